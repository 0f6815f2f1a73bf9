"""The terminal's words for what the domain refuses: each `Refused` once, with the commands a
terminal user types (`lockbot doors list`), never Slack's."""

from __future__ import annotations

from typing import assert_never

from bot.refusals import Missing, Refusal, Refused
from bot.schedules import TooMany, TooOften, WrongChannel
from bot.text import bad_name, span


def _named(missing: Missing) -> str:
    return f"{missing.text!r}" + (
        f" (did you mean {missing.closest!r}?)" if missing.closest else ""
    )


def _schedule_limit(error: Refusal) -> str:
    if isinstance(error, WrongChannel):
        only = "; ".join(
            f"{name} only from {', '.join(ids)}" for name, ids in error.allowed.items()
        )
        return (
            "A schedule's runs lock from the channel they report in, and "
            f"{error.channel_id} is not one its doors may be locked from: {only}."
        )
    if isinstance(error, TooOften):
        return (
            f"{error.when.describe()} runs as often as every {span(error.gap)}, and a schedule "
            f"may run at most once every {span(error.minimum)}. An admin may schedule it more "
            "often."
        )
    assert isinstance(error, TooMany)
    return (
        f"{error.owner} has {error.limit} active schedules, the most one person may have. "
        "Pause or remove one first, or ask an admin."
    )


def refusal(error: Refusal) -> str:
    """The sentence a terminal user reads after `✗`."""
    name = error.names[0] if error.names else ""
    missing = error.missing[0] if error.missing else Missing("")
    match error.why:
        case Refused.NO_SUCH_DOOR:
            listed = ", ".join(_named(m) for m in error.missing)
            return f"no door is called {listed}; `lockbot doors list` shows them"
        case Refused.NO_SUCH_ALIAS:
            return f"no alias is called {name!r}; `lockbot doors list` shows them"
        case Refused.NO_SUCH_GROUP:
            return f"no group is called {name!r}; `lockbot groups list` shows them"
        case Refused.NO_SUCH_TARGET:
            return (
                f"no door or group is called {_named(missing)}; `lockbot doors list` and "
                "`lockbot groups list` show them"
            )
        case Refused.BAD_DOOR_NAME:
            return bad_name(name, error.bad_name, "door name")
        case Refused.BAD_GROUP_NAME:
            return bad_name(name, error.bad_name, "group name")
        case Refused.NAME_TAKEN:
            return f"{', '.join(map(repr, error.names))} already names a door, alias or group"
        case Refused.GROUP_NAME_TAKEN:
            return f"{name!r} already names a door or alias; pick another group name"
        case Refused.NAMES_REPEAT:
            return "the name and aliases must differ from each other"
        case Refused.NO_DEVICE_ID:
            return "the device ID is empty; `lockbot doors list` shows the known ones"
        case Refused.NOT_A_CHANNEL:
            return (
                f"{name!r} is not a channel ID (C… or G…); in Slack, a channel's details show "
                "its ID at the bottom"
            )
        case Refused.SYNC_RACE:
            return (
                "the doors changed while syncing (another sync or `doors add`?); nothing was "
                "written, run `lockbot doors sync` again"
            )
        case Refused.APPLY_RACE:
            return (
                "the doors changed while applying (someone else at work?); nothing was "
                "written, run it again"
            )
        case Refused.NOT_AN_EVENT:
            return f"{name!r} is not an event I relay; use one of {', '.join(error.choices)}"
        case Refused.NOT_A_NEWS_CHANNEL:
            return (
                f"{name!r} is not a Slack channel ID; use the ID (C… or G…), which Slack shows "
                "at the bottom of the channel's details"
            )
        case Refused.NOT_HOURS:
            return f"{name!r} is not a span of hours; write it like 22:00-07:00"
        case Refused.UNKNOWN_ZONE:
            return f"{name!r} is not a time zone I know; use one like Europe/Berlin"
        case Refused.NOT_A_SUBJECT:
            return (
                f"{name!r} is not a Slack ID: use a user ID (U… or W…) or a user group ID "
                "(S…), which Slack shows under a profile's ⋮ menu as “Copy member ID”"
            )
        case Refused.SCHEDULE_TARGET_UNKNOWN:
            also = f" Did you mean {missing.closest!r}?" if missing.closest else ""
            return f"I don't know a door or group called {missing.text!r}.{also}"
        case Refused.EMPTY_GROUP:
            return f"{name} has no doors to lock yet."
        case Refused.MAY_NOT_LOCK:
            return (
                "You may schedule only what you may lock, and you may not lock "
                f"{', '.join(error.names)}."
            )
        case Refused.WRONG_CHANNEL | Refused.TOO_OFTEN | Refused.TOO_MANY:
            return _schedule_limit(error)
        case Refused.NO_SUCH_SCHEDULE:
            return f"There is no schedule {error.number}; `lockbot schedules list` lists them."
        case Refused.NOT_YOUR_SCHEDULE:
            return (
                f"Schedule {error.number} belongs to {name}; only they or an admin may change it."
            )
    assert_never(error.why)
