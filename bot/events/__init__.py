"""Device news from Seam: what to tell, where, and when to stay quiet (issue #5).

`EventRelay.handle` is the one handler for both ways in (webhook and poller). Each event is
claimed once by its id (the `seam_event` row), then:

- an action attempt's outcome settles the lock request waiting on it, through
  `LockService.settle`, whose `UPDATE … WHERE pending` keeps the outcome told once even when the
  poll gets there at the same moment;
- device news is told in the door's alert channel (the door's, else its first group's by name,
  else LOCKBOT_ALERT_CHANNEL), in plain words, unless muted, quiet hours hold it back, or noise
  control folds it into an earlier message (a flapping device, a battery told today already).

A device shared by several doors is named, routed and muted as its first door (lowest id): one
device, one message, however many names it has.

The admin side (mutes, quiet hours) lives here too as plain domain functions that do not commit;
`bot.admin` wraps them with the audit trail.

The package, by what each module holds:

- `relay`: `EventRelay`: the claim by event id, attempt outcomes, and the hand-off to device news.
- `routing`: device news: which door, muted or not, which channel, which sentence.
- `notices`: noise control (flapping connections, daily battery news) and the messages it edits.
- `unexpected`: the warning for an unlock soon after a scheduled lock.
- `wording`: every sentence the relay posts.
- `muting`: the admin side: mutes and quiet hours (`EventError`, `is_quiet`, `parse_hours`).
- `kinds`: the Seam event types lockbot knows by name (`EVENT_TYPES`: the ones it tells).
"""

from bot.door_state import OWN_LOCK_WINDOW
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
from bot.events.notices import BATTERY_EVERY
from bot.events.relay import EventRelay
from bot.events.wording import battery_text, bold, duration, locked_text, unlocked_text

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
    "EventError",
    "EventRelay",
    "MuteView",
    "battery_text",
    "bold",
    "channel",
    "clear_quiet",
    "door_or_group",
    "duration",
    "event_type",
    "groups_of",
    "is_quiet",
    "label",
    "list_mutes",
    "list_quiet",
    "locked_text",
    "mute",
    "parse_hours",
    "set_quiet",
    "unlocked_text",
    "unmute",
    "zone",
]
