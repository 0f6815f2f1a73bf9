"""The bot token scopes lockbot needs; `manifest.yml` asks for exactly these (a test checks)."""

from __future__ import annotations

REQUIRED_BOT_SCOPES: frozenset[str] = frozenset(
    {
        "commands",  # the /lock slash command
        "chat:write",  # chat.postMessage, chat.update, chat.delete, chat.getPermalink
        "usergroups:read",  # usergroups.users.list, for grants given to a user group (S…)
        "users:read",  # users.info: `lockbot doctor` checks that grants name real users
    }
)
