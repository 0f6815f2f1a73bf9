"""`lockbot config`: doors, aliases, channel limits, groups and grants as one YAML file.

The file is the whole truth. `apply` makes the database match it exactly (it adds, changes and
removes), in one transaction, with an audit row per change; `export` writes the database in the
same format, sorted, so that a building can live in git and `export | apply --dry-run` changes
nothing.

    # lockbot config: the whole truth about doors, groups and access
    doors:
      - name: Front Door
        device_id: august_device_1
        aliases: [main]            # optional
        channels: [C0123LOBBY]     # optional: only lockable from these channels
      - name: Back Door
        device_id: august_device_2
    groups:
      - name: Floor 2
        doors: [Front Door, Back Door]   # names or aliases of doors in this file
    grants:     # subject (Slack user U…/W… or user group S… ID) → what it may lock
      U0123ABCD: [Front Door, Floor 2]   # door names, group names, or "*" for every door
      S0NIGHT: ["*"]
    admins: [U0ADMIN]   # subjects with the admin permission (LOCKBOT_ADMINS applies too)

Rules:

- `doors` is required (`doors: []` really means no doors); the other sections may be left out,
  which means none. An empty file is refused rather than read as "remove everything".
- Door names, aliases and group names share one namespace, compared the way `/lock` compares them
  (case, spaces, `-` and `_` do not matter): one name never means two things.
- A file door is the database door with the same `device_id` when exactly one door on each side
  has it, else the door with the same name; anything else is new. So renaming a door in the file
  keeps its history, and a renamed door keeps its name in `doors sync` (name_source "admin").
- Removing a door or group from the file removes it, with its aliases, channel limits, group
  places and grants. Lock history stays.
- `*` must be quoted in YAML (`["*"]`): bare, it starts a YAML alias.
- Every problem is reported as `FILE:LINE: message`, and nothing is changed.

The package, by what each module holds:

- `reading`: the file, as read: YAML → `Config`, every `Problem` by line in a `ConfigError`.
- `state`: the database, as it is (`State`, `load_state`).
- `planning`: the difference (`Change`, `Plan`, `plan`, `counts_text`).
- `writing`: `apply`, which writes a plan in one transaction.
- `exporting`: `export` and `render`, the database as a config file.
"""

from bot.config_file.exporting import HEADER, export, render
from bot.config_file.planning import Change, Plan, counts_text, plan
from bot.config_file.reading import (
    DOOR_KEYS,
    GROUP_KEYS,
    SECTIONS,
    Access,
    Config,
    ConfigError,
    DoorSpec,
    GroupSpec,
    Problem,
    load,
    parse,
)
from bot.config_file.state import State, load_state
from bot.config_file.writing import apply

__all__ = [
    "DOOR_KEYS",
    "GROUP_KEYS",
    "HEADER",
    "SECTIONS",
    "Access",
    "Change",
    "Config",
    "ConfigError",
    "DoorSpec",
    "GroupSpec",
    "Plan",
    "Problem",
    "State",
    "apply",
    "counts_text",
    "export",
    "load",
    "load_state",
    "parse",
    "plan",
    "render",
]
