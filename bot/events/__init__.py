"""Device news from Seam: what to tell, where, and when to stay quiet (issue #5).

`EventRelay.handle` is the one handler for both ways in (webhook and poller). Each event is
claimed once by its id (the `seam_event` row), what it says of the lock is kept
(`bot.door_state`), then:

- an action attempt's outcome settles the lock request waiting on it, through
  `LockService.settle`, whose `UPDATE … WHERE pending` keeps the outcome told once even when the
  poll gets there at the same moment;
- device news is routed to the door's alert channel (the door's, else its first group's by name,
  else LOCKBOT_ALERT_CHANNEL) and told, unless noise control holds it back (our
  own lock, muted, quiet hours) or folds it into an earlier message (a flapping device, a battery
  told today already).

A device shared by several doors is named, routed and muted as its first door (lowest id): one
device, one message, however many names it has.

The relay is built from parts it is handed, each owning its state and what it needs:

- `relay`: `EventRelay`: claim, facts, then the parts below, in that order.
- `attempts`: `Attempts`: attempt outcomes settle the requests waiting on them.
- `routing`: `Router` → `Route`: which door a device speaks as, and which channel hears it.
- `noise`: `NoiseControl`: own locks, mutes, quiet hours, flapping connections, daily battery.
- `notices`: `Notices`: the messages noise control keeps and edits (EventNotice rows).
- `unexpected`: `UnexpectedUnlocks`: the warning for an unlock soon after a scheduled lock.
- `telling`: `Teller`: posts and edits, best effort.
- The news itself is facts (`bot.news`), which the `EventNotifier` words (Slack:
  `bot.slack.words.news`).
- `muting`: the admin side: mutes and quiet hours as plain domain functions that do not commit
  (`bot.admin` wraps them with the audit trail): `EventError`, `is_quiet`, `parse_hours`.
- `kinds`: the Seam event types lockbot knows by name (`EVENT_TYPES`: the ones it tells).
- `facts`: what an event says of the lock's state.
"""

from bot.door_state import OWN_LOCK_WINDOW
from bot.events.attempts import Attempts
from bot.events.kinds import (
    BATTERY_CHANGED,
    CONNECTED,
    DISCONNECTED,
    EVENT_TYPES,
    LOCK_FAILED,
    LOCK_SUCCEEDED,
    LOCKED,
    LOW_BATTERY,
    TAMPERED,
    UNLOCKED,
)
from bot.events.muting import (
    EventError,
    MuteView,
    channel,
    clear_quiet,
    door_or_group,
    event_type,
    groups_of,
    is_quiet,
    label,
    list_mutes,
    list_quiet,
    mute,
    parse_hours,
    set_quiet,
    unmute,
    zone,
)
from bot.events.noise import BATTERY_EVERY, NoiseControl
from bot.events.relay import EventRelay
from bot.events.routing import Route, Router
from bot.events.telling import Teller
from bot.events.unexpected import UnexpectedUnlocks

__all__ = [
    "BATTERY_CHANGED",
    "BATTERY_EVERY",
    "CONNECTED",
    "DISCONNECTED",
    "EVENT_TYPES",
    "LOCKED",
    "LOCK_FAILED",
    "LOCK_SUCCEEDED",
    "LOW_BATTERY",
    "OWN_LOCK_WINDOW",
    "TAMPERED",
    "UNLOCKED",
    "Attempts",
    "EventError",
    "EventRelay",
    "MuteView",
    "NoiseControl",
    "Route",
    "Router",
    "Teller",
    "UnexpectedUnlocks",
    "channel",
    "clear_quiet",
    "door_or_group",
    "event_type",
    "groups_of",
    "is_quiet",
    "label",
    "list_mutes",
    "list_quiet",
    "mute",
    "parse_hours",
    "set_quiet",
    "unmute",
    "zone",
]
