"""The sentences both surfaces say for what the domain refuses. Each surface hands in where its
readers look things up (`Pointers`: `lockbot doors list` at the terminal, `/lock admin doors` in
Slack), so a hint always names a command the reader can type where they are; the schedule limits,
which Slack says with its own markup, each surface words itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from bot.refusals import Missing, Refusal, Refused
from bot.text import bad_name


@dataclass(frozen=True)
class Pointers:
    doors: str  # where the doors are listed
    groups: str
    sync: str  # how to sync the doors again
    schedules: str  # where schedules are listed
    capitalised: bool = False  # a sentence of Slack's starts with a capital; a terminal line not

    def start(self, words: str) -> str:
        return words[:1].upper() + words[1:] if self.capitalised else words


def named(missing: Missing) -> str:
    return f"{missing.text!r}" + (
        f" (did you mean {missing.closest!r}?)" if missing.closest else ""
    )


def sentence(error: Refusal, see: Pointers, not_a_subject: str) -> str:
    """`error` in plain words; the schedule limits are not here (see the module's doc)."""
    name = error.names[0] if error.names else ""
    missing = error.missing[0] if error.missing else Missing("")
    match error.why:
        case Refused.NO_SUCH_DOOR:
            listed = ", ".join(named(m) for m in error.missing)
            return see.start(f"no door is called {listed}; {see.doors} shows them")
        case Refused.NO_SUCH_ALIAS:
            return see.start(f"no alias is called {name!r}; {see.doors} shows them")
        case Refused.NO_SUCH_GROUP:
            return see.start(f"no group is called {name!r}; {see.groups} shows them")
        case Refused.NO_SUCH_TARGET:
            return see.start(
                f"no door or group is called {named(missing)}; {see.doors} and {see.groups} "
                "show them"
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
            return see.start("the name and aliases must differ from each other")
        case Refused.NO_DEVICE_ID:
            return see.start(f"the device ID is empty; {see.doors} shows the known ones")
        case Refused.NOT_A_CHANNEL:
            return (
                f"{name!r} is not a channel ID (C… or G…); in Slack, a channel's details show "
                "its ID at the bottom"
            )
        case Refused.SYNC_RACE:
            return see.start(
                "the doors changed while syncing (another sync or `doors add`?); nothing was "
                f"written, run {see.sync} again"
            )
        case Refused.APPLY_RACE:
            return see.start(
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
            return not_a_subject
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
        case Refused.NO_SUCH_SCHEDULE:
            return f"There is no schedule {error.number}; {see.schedules} lists them."
        case Refused.NOT_YOUR_SCHEDULE:
            return (
                f"Schedule {error.number} belongs to {name}; only they or an admin may change it."
            )
        case Refused.WRONG_CHANNEL | Refused.TOO_OFTEN | Refused.TOO_MANY:
            raise AssertionError("each surface words the schedule limits itself")
    assert_never(error.why)
