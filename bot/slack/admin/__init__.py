"""`/lock admin …`: the terminal's admin operations, from Slack, for admins only.

Every change goes through `bot.admin`, the functions `lockbot` calls too, with the Slack user
as the actor: the two cannot drift apart, and the audit trail says who did what.

    /lock admin help
    /lock admin doors | add-door NAME DEVICE_ID [ALIAS…] | rename NAME NEW | alias NAME ALIAS
                      | unalias ALIAS | remove-door NAME | channels NAME [#CHANNEL…|any]
    /lock admin groups | add-group NAME [DOOR…] | ungroup NAME DOOR… | remove-group NAME
    /lock admin grant|revoke @someone|@team DOOR|GROUP|*|admin
    /lock admin grants | sync [--dry-run] | audit [N]
    /lock admin mute|unmute DOOR|GROUP EVENT | mutes | alerts DOOR|GROUP [#CHANNEL|default]
                | quiet [#CHANNEL [HH:MM-HH:MM [ZONE]|off]]

The package, by what each module holds:

- `dispatch`: `run_admin`, the entry point: admins only, then the subcommand the words ask for.
- `parsing`: the words of a command, and the IDs in Slack's mentions (`InputError`).
- `subcommands`: the `SUBCOMMANDS` table and the `sub` decorator that fills it.
- `doors`, `group_commands`, `grants`, `sync`, `audit`, `news`: the subcommands, by topic.
- `help`: the help text, built from the table.

Every sentence an admin reads is in `bot.slack.words` (`admin`, `admin_doors`, `admin_access`,
`admin_news`; a refusal of the domain in `refusals`), except each subcommand's usage line in the
table, which is its definition.
"""

# Each of these adds its subcommands to SUBCOMMANDS as it is imported, and the help lists them
# in that order: keep it the order of the help, not the alphabet's.
# isort: off
from bot.slack.admin import doors
from bot.slack.admin import group_commands
from bot.slack.admin import grants
from bot.slack.admin import sync
from bot.slack.admin import audit
from bot.slack.admin import news

# isort: on
from bot.slack.admin.dispatch import run_admin

__all__ = ["audit", "doors", "grants", "group_commands", "news", "run_admin", "sync"]
