"""What the domain refuses, as Slack says it: each `Refused` once, with the commands typed in
Slack (`/lock admin doors`, `/lock schedules`), never the terminal's."""

from __future__ import annotations

from typing import assert_never

from bot.refusals import Missing, Refusal, Refused
from bot.schedules import TooMany, TooOften, WrongChannel
from bot.slack.words.admin import PREFIX, not_a_grantee
from bot.slack.words.common import mention
from bot.text import bad_name, escape, span

_DOORS = f"`{PREFIX} doors`"
_GROUPS = f"`{PREFIX} groups`"


def _named(missing: Missing) -> str:
    return f"{missing.text!r}" + (
        f" (did you mean {missing.closest!r}?)" if missing.closest else ""
    )


def _schedule_limit(error: Refusal) -> str:
    """The limits on schedules, in Slack's markup (channels, mentions), escaped here."""
    if isinstance(error, WrongChannel):
        only = "; ".join(
            f"*{escape(name)}* only from {', '.join(f'<#{c}>' for c in channels)}"
            for name, channels in error.allowed.items()
        )
        return (
            f"A schedule's runs lock from the channel they report in, and <#{error.channel_id}> "
            f"is not one its doors may be locked from: {only}. Schedule it from there."
        )
    if isinstance(error, TooOften):
        return (
            f"{escape(error.when.describe())} runs as often as every {span(error.gap)}; "
            f"a schedule may run at most once every {span(error.minimum)}. Pick a longer "
            "interval, or ask an admin."
        )
    assert isinstance(error, TooMany)
    return (
        f"{mention(error.owner)} already has {error.limit} active schedules, the most "
        "one person may have. Pause or remove one first (`/lock schedules` lists them)."
    )


def _sentence(error: Refusal) -> str:
    """The refusal as plain text, for `refusal` to escape."""
    name = error.names[0] if error.names else ""
    missing = error.missing[0] if error.missing else Missing("")
    match error.why:
        case Refused.NO_SUCH_DOOR:
            listed = ", ".join(_named(m) for m in error.missing)
            return f"No door is called {listed}; {_DOORS} shows them"
        case Refused.NO_SUCH_ALIAS:
            return f"No alias is called {name!r}; {_DOORS} shows them"
        case Refused.NO_SUCH_GROUP:
            return f"No group is called {name!r}; {_GROUPS} shows them"
        case Refused.NO_SUCH_TARGET:
            return f"No door or group is called {_named(missing)}; {_DOORS} and {_GROUPS} show them"
        case Refused.BAD_DOOR_NAME:
            return bad_name(name, error.bad_name, "door name")
        case Refused.BAD_GROUP_NAME:
            return bad_name(name, error.bad_name, "group name")
        case Refused.NAME_TAKEN:
            return f"{', '.join(map(repr, error.names))} already names a door, alias or group"
        case Refused.GROUP_NAME_TAKEN:
            return f"{name!r} already names a door or alias; pick another group name"
        case Refused.NAMES_REPEAT:
            return "The name and aliases must differ from each other"
        case Refused.NO_DEVICE_ID:
            return f"The device ID is empty; {_DOORS} shows the known ones"
        case Refused.NOT_A_CHANNEL:
            return (
                f"{name!r} is not a channel ID (C… or G…); in Slack, a channel's details show "
                "its ID at the bottom"
            )
        case Refused.SYNC_RACE:
            return (
                "The doors changed while syncing (another sync or `doors add`?); nothing was "
                f"written, run `{PREFIX} sync` again"
            )
        case Refused.APPLY_RACE:
            return (
                "The doors changed while applying (someone else at work?); nothing was "
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
            return not_a_grantee(name)
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
            return f"There is no schedule {error.number}; `/lock schedules` lists them."
        case Refused.NOT_YOUR_SCHEDULE:
            return (
                f"Schedule {error.number} belongs to {name}; only they or an admin may change it."
            )
        case Refused.WRONG_CHANNEL | Refused.TOO_OFTEN | Refused.TOO_MANY:
            raise AssertionError("worded with Slack's markup by _schedule_limit")
    assert_never(error.why)


def refusal(error: Refusal) -> str:
    """A refusal as Slack answers it: ⚠️ and the sentence."""
    if isinstance(error, WrongChannel | TooOften | TooMany):
        return f"⚠️ {_schedule_limit(error)}"
    return f"⚠️ {escape(_sentence(error))}"
