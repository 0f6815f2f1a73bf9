"""What the domain refuses, as facts: why (`Refused`) and what it is about, never a sentence.

Each surface words a refusal once, in its own terms (Slack: `bot.slack.words.refusals`; the
terminal: `bot.cli.words`), so a hint names what the reader can type where they are reading:
`/lock admin doors` in Slack, `lockbot doors list` at the terminal. The families (`DoorError`,
`AccessError`, `EventError`, `ScheduleError`) subclass `Refusal` where their operations live,
so callers keep catching what they did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class BadName(StrEnum):
    """Why a text cannot name a door or a group (`bot.names.valid_name`)."""

    EMPTY = "empty"  # no letter or digit
    TOO_LONG = "too_long"  # over `bot.names.NAME_MAX`
    STAR = "star"  # `*` means every door


class Refused(StrEnum):
    """Why the domain refused; the comment names the facts each carries (on `Refusal`)."""

    # Names and doors (DoorError)
    NO_SUCH_DOOR = "no_such_door"  # missing: each unknown name with its closest
    NO_SUCH_ALIAS = "no_such_alias"  # names: (alias,)
    NO_SUCH_GROUP = "no_such_group"  # names: (group,)
    NO_SUCH_TARGET = "no_such_target"  # missing: (the name, its closest door or group)
    BAD_DOOR_NAME = "bad_door_name"  # names: (name,), bad_name
    BAD_GROUP_NAME = "bad_group_name"  # names: (name,), bad_name
    NAME_TAKEN = "name_taken"  # names: the names a door, alias or group already has
    GROUP_NAME_TAKEN = "group_name_taken"  # names: (name,)
    NAMES_REPEAT = "names_repeat"  # a door's name and aliases are not all different
    NO_DEVICE_ID = "no_device_id"
    NOT_A_CHANNEL = "not_a_channel"  # names: (text,), for a door's channel limit
    SYNC_RACE = "sync_race"  # the doors changed while `doors sync` wrote; nothing written
    APPLY_RACE = "apply_race"  # the doors changed while `config apply` wrote; nothing written
    # Device news (EventError)
    NOT_AN_EVENT = "not_an_event"  # names: (text,), choices: the event types relayed
    NOT_A_NEWS_CHANNEL = "not_a_news_channel"  # names: (text,), for news and quiet hours
    NOT_HOURS = "not_hours"  # names: (text,)
    UNKNOWN_ZONE = "unknown_zone"  # names: (zone,)
    # Access (AccessError)
    NOT_A_SUBJECT = "not_a_subject"  # names: (text,)
    # Schedules (ScheduleError)
    SCHEDULE_TARGET_UNKNOWN = "schedule_target_unknown"  # missing: (the name, its closest)
    EMPTY_GROUP = "empty_group"  # names: (group,)
    MAY_NOT_LOCK = "may_not_lock"  # names: the doors the person may not lock
    WRONG_CHANNEL = "wrong_channel"  # WrongChannel: channel_id, allowed
    TOO_OFTEN = "too_often"  # TooOften: when, gap, minimum
    TOO_MANY = "too_many"  # TooMany: owner, limit
    NO_SUCH_SCHEDULE = "no_such_schedule"  # number: the schedule id
    NOT_YOUR_SCHEDULE = "not_your_schedule"  # number: the schedule id, names: (its owner,)


@dataclass(frozen=True)
class Missing:
    """A name that names nothing, and the closest name there is, if any."""

    text: str
    closest: str | None = None


class Refusal(ValueError):
    """Something the domain will not do as asked: `why`, and the facts to word it with."""

    def __init__(
        self,
        why: Refused,
        *,
        names: Sequence[str] = (),
        missing: Sequence[Missing] = (),
        choices: Sequence[str] = (),
        bad_name: BadName | None = None,
        number: int | None = None,
    ) -> None:
        self.why = why
        self.names = tuple(names)
        self.missing = tuple(missing)
        self.choices = tuple(choices)
        self.bad_name = bad_name
        self.number = number
        facts = [*map(repr, self.names), *(repr(m.text) for m in self.missing)]
        super().__init__(f"{why.value}: {', '.join(facts)}" if facts else why.value)
