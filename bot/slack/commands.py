"""The `/lock` grammar: text in, a Command out. Pure, so it can be fuzzed.

    /lock                       → Pick: buttons for the doors and groups you may lock
    /lock help                  → Help
    /lock <door or group>       → Lock
    /lock list                  → ListTargets
    /lock status <door|group>   → Status
    /lock history [door] [N]    → History
    /lock admin <…>             → Admin (parsed further by bot.slack.admin)
    /lock schedule <door|group> <when>   → Schedule (`<when>`: see bot.when)
    /lock schedule              → BuildSchedule: the schedule builder (a modal)
    /lock schedules             → ListSchedules
    /lock unschedule|pause|resume <id>   → ChangeSchedule

A keyword wins over a door of the same name only when the rest does not name a door exactly;
the listener checks that (`keyword_or_door`), since it needs the database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_TEXT = 200
HISTORY_DEFAULT = 10
HISTORY_MAX = 50
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Pick:
    pass


@dataclass(frozen=True)
class Lock:
    target: str


@dataclass(frozen=True)
class ListTargets:
    pass


@dataclass(frozen=True)
class Status:
    target: str


@dataclass(frozen=True)
class History:
    target: str | None = None
    limit: int = HISTORY_DEFAULT


@dataclass(frozen=True)
class Admin:
    args: str


@dataclass(frozen=True)
class Schedule:
    target: str
    when: str


@dataclass(frozen=True)
class BuildSchedule:
    pass


@dataclass(frozen=True)
class ListSchedules:
    pass


@dataclass(frozen=True)
class ChangeSchedule:
    action: str  # unschedule | pause | resume
    schedule_id: int


@dataclass(frozen=True)
class Invalid:
    reason: str


Command = (
    Help
    | Pick
    | Lock
    | ListTargets
    | Status
    | History
    | Admin
    | Schedule
    | BuildSchedule
    | ListSchedules
    | ChangeSchedule
    | Invalid
)
KEYWORDS = frozenset(
    {"help", "list", "status", "history", "admin", "schedule", "schedules", "unschedule"}
    | {"pause", "resume"}
)
# Where the `<when>` of `/lock schedule <target> <when>` starts, when the target is not quoted.
_WHEN_STARTS = frozenset(
    {"every", "daily", "weekdays", "weekends", "weekday", "weekend", "at", "cron", "on"}
)
_SCHEDULE_EXAMPLE = "For example `/lock schedule front door every weekday at 22:00`."


def clean(text: str) -> str:
    """Drop control and format characters and collapse whitespace; undo Slack's escaping of
    `&`, `<` and `>` (mentions stay `<@U…>`, since their brackets are not escaped)."""
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    if text.isprintable():  # no control, format or separator character but the plain space
        return _SPACES.sub(" ", text).strip()
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch)[0] != "C"
    )
    return _SPACES.sub(" ", kept).strip()


def parse(text: str | None) -> Command:
    raw = clean(text or "")
    if len(raw) > MAX_TEXT:
        return Invalid(f"That is {len(raw)} characters; a door name is at most {MAX_TEXT}.")
    if not raw:
        return Pick()
    if raw.casefold() in ("help", "?", "-h", "--help"):
        return Help()
    word, _, rest = raw.partition(" ")
    match word.casefold():
        case "list":
            return ListTargets() if not rest else Lock(raw)
        case "status":
            return (
                Status(rest)
                if rest
                else Invalid("Which door? For example `/lock status front door`.")
            )
        case "history":
            return _history(rest)
        case "admin":
            return Admin(rest)
        case "schedule":
            return _schedule(rest) if rest else BuildSchedule()
        case "schedules":
            return ListSchedules() if not rest else Lock(raw)
        case "unschedule" | "pause" | "resume" as action:
            number = rest.removeprefix("#")
            if not number.isdigit():
                return Invalid(
                    f"Which schedule? For example `/lock {action} 3`; `/lock schedules` lists them."
                )
            return ChangeSchedule(action, int(number))
    return Lock(raw)


def _schedule(rest: str) -> Schedule | Invalid:
    if rest.startswith('"') and '"' in rest[1:]:
        target, _, when = rest[1:].partition('"')
        target, when = target.strip(), when.strip()
    else:
        words = rest.split(" ")
        cut = next((i for i, w in enumerate(words) if i and w.casefold() in _WHEN_STARTS), None)
        if cut is None:
            return Invalid(f"Say what to lock and when. {_SCHEDULE_EXAMPLE}")
        target, when = " ".join(words[:cut]), " ".join(words[cut:])
    if not target or not when:
        return Invalid(f"Say what to lock and when. {_SCHEDULE_EXAMPLE}")
    return Schedule(target, when)


def _history(rest: str) -> History | Invalid:
    words = rest.split(" ") if rest else []
    limit = HISTORY_DEFAULT
    if words and words[-1].isdigit():
        limit = int(words.pop())
        if not 1 <= limit <= HISTORY_MAX:
            return Invalid(f"History shows 1 to {HISTORY_MAX} requests; you asked for {limit}.")
    return History(" ".join(words) or None, limit)
