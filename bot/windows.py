"""Lock windows: a schedule with an end (`weekdays at 22:00 until 07:00`). Pure: no Slack,
Seam or database.

A window starts with the schedule's lock and ends at a wall-clock time in the schedule's zone:
`until 07:00` (or `for 9h`, the same end said as a length). Its length is kept in wall-clock
minutes, so `22:00 until 07:00` ends at 07:00 on the night DST starts or ends (8 or 10 real
hours), as a person reading the schedule expects. An end that does not exist that night (in a
spring-forward gap) is placed on the old offset, later by the gap, and an end that happens twice
is its first occurrence: as `bot.when` places fire times.

A window has one start a day (its cron has one minute and one hour), ends before the next day's
start (at most a day long, and not when it starts), and says how long after an unlock inside it
lockbot locks the door again: `relock after 10m` (at least a minute), or `relock never`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.when import When, WhenError, names_zone, parse_when, time_of_day

__all__ = ["DEFAULT_RELOCK", "Planned", "Window", "duration", "parse_schedule", "says_zone"]

DEFAULT_RELOCK = timedelta(minutes=5)
RELOCK_MIN = timedelta(minutes=1)
DAY_MINUTES = 24 * 60
_WINDOW_EXAMPLES = (
    "For example `weekdays at 22:00 until 07:00`, `every day at 18:30 until 06:00 in "
    "Europe/Berlin relock after 10m`, or `cron 0 22 * * 1-5 until 07:00 relock never`."
)
_RELOCK = re.compile(r"(?P<rest>.*?)\s+relock(?:\s+(?P<how>.*))?", re.I)
_END = re.compile(
    r"(?P<start>.*?)\s+(?P<kind>until|for)(?:\s+(?P<end>.*?))?(?P<zone>\s+in(?:\s+\S+)?)?", re.I
)
_PART = re.compile(r"(\d+)([a-z]+)")
_UNIT_SECONDS = {
    spelling: seconds
    for seconds, spellings in (
        (1, ("s", "sec", "secs", "second", "seconds")),
        (60, ("m", "min", "mins", "minute", "minutes")),
        (3600, ("h", "hr", "hrs", "hour", "hours")),
    )
    for spelling in spellings
}


def _fail(reason: str) -> WhenError:
    return WhenError(f"{reason} {_WINDOW_EXAMPLES}")


def duration(text: str) -> timedelta:
    """`10m`, `10 min`, `1h 30m`, `90 seconds` as a length of time; WhenError otherwise."""
    compact = "".join(text.lower().split())
    parts = _PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise _fail(f"`{text}` is not a length of time, like `10m` or `1h`.")
    if any(unit not in _UNIT_SECONDS for _, unit in parts):
        raise _fail(f"`{text}` is not a length of time, like `10m` or `1h`.")
    return timedelta(seconds=sum(int(n) * _UNIT_SECONDS[u] for n, u in parts))


@dataclass(frozen=True)
class Window:
    """How long a schedule keeps its doors locked, and when an unlock inside is undone."""

    minutes: int  # wall-clock length, 1 … a day less a minute
    relock_after: timedelta | None = DEFAULT_RELOCK  # None: never

    def end(self, when: When, start: datetime) -> datetime:
        """The end (UTC) of the window a fire at `start` opened (see the module doc)."""
        zone = ZoneInfo(when.timezone)
        hour, minute = start_of(when)
        local = start.astimezone(zone)
        # The scheduled wall time, even when the fire was moved by a DST gap.
        base = datetime.combine(local.date(), time(hour, minute))
        wall = base + timedelta(minutes=self.minutes)
        return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)

    def holds(self, when: When, start: datetime, at: datetime) -> bool:
        """Whether `at` falls inside the window a fire at `start` opened."""
        return start <= at < self.end(when, start)

    def until(self, when: When) -> str:
        """The end as a wall-clock time, e.g. "07:00"."""
        hour, minute = start_of(when)
        end = (hour * 60 + minute + self.minutes) % DAY_MINUTES
        return f"{end // 60:02d}:{end % 60:02d}"


@dataclass(frozen=True)
class Planned:
    """A parsed `<when>`: when the lock runs, and its window, if it has an end."""

    when: When
    window: Window | None = None

    def describe(self) -> str:
        """Plain words, e.g. "every weekday at 22:00 until 07:00 (Europe/Berlin, relock after
        5 min)"."""
        words = self.when.describe()
        if self.window is None:
            return words
        head, _, zone = words.rpartition(" (")
        relock = self.window.relock_after
        after = "never relock" if relock is None else f"relock after {_span(relock)}"
        return f"{head} until {self.window.until(self.when)} ({zone.removesuffix(')')}, {after})"


def _span(length: timedelta) -> str:
    seconds = int(length.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def start_of(when: When) -> tuple[int, int]:
    """(hour, minute) a window's cron starts at; WhenError when it has more than one a day."""
    minute, hour = when.cron.split()[:2]
    if not (minute.isdigit() and hour.isdigit()):
        raise _fail("A window starts once a day: give its cron one minute and one hour.")
    return int(hour), int(minute)


def says_zone(text: str) -> bool:
    """Whether a `<when>`, window or not, names its time zone, so no default is needed."""
    cleaned = " ".join(text.split())
    found = _RELOCK.fullmatch(cleaned)
    return names_zone(found["rest"] if found else cleaned)


def parse_schedule(text: str, default_timezone: str, relock_min: timedelta = RELOCK_MIN) -> Planned:
    """Parse a `<when>`, with an optional window end and relock; WhenError for the user."""
    cleaned = " ".join(text.split())
    relock: timedelta | None = DEFAULT_RELOCK
    relock_said = False
    if (found := _RELOCK.fullmatch(cleaned)) is not None:
        relock_said, cleaned = True, found["rest"]
        relock = _relock(found["how"] or "", relock_min)
    end = _END.fullmatch(cleaned)
    if end is None:
        if relock_said:
            raise _fail("`relock` is for a window: say when it ends with `until`.")
        return Planned(parse_when(cleaned, default_timezone))
    when = parse_when(f"{end['start']}{end['zone'] or ''}", default_timezone)
    hour, minute = start_of(when)
    if end["end"] is None:
        raise _fail(f"Say when the window ends after `{end['kind']}`.")
    if end["kind"].lower() == "for":
        length = duration(end["end"])
        minutes = int(length.total_seconds() // 60)
        if length >= timedelta(days=1):
            raise _fail("A window is at most a day long.")
    else:
        until_hour, until_minute = time_of_day(end["end"])
        minutes = (until_hour * 60 + until_minute - hour * 60 - minute) % DAY_MINUTES
    if minutes <= 0:
        raise _fail(f"The window would end when it starts ({hour:02d}:{minute:02d}).")
    return Planned(when, Window(minutes, relock))


def _relock(how: str, minimum: timedelta) -> timedelta | None:
    words = how.lower().strip()
    if words == "never":
        return None
    if not words.startswith("after "):
        raise _fail("Say `relock after 10m` or `relock never`.")
    after = duration(words.removeprefix("after "))
    if after < minimum:
        raise _fail(f"Relock after at least {_span(minimum)}.")
    return after
