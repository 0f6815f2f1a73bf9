"""The `<when>` of a schedule command: parsed into a cron schedule in the user's time zone.

Pure: no Slack, Seam or database. `parse_when` accepts plain phrases (`every weekday at 22:00`,
`at 7:15pm on monday and wednesday`) or a 5-field `cron ...` expression, either one optionally
followed by `in <IANA zone>`, and gives a `When`. Its `cron` is canonical standard crontab
("m h dom mon dow", day of week 0-6 = Sunday-Saturday, 7 also read as Sunday).

Day-of-week numbering: APScheduler 3.x's CronTrigger (and `CronTrigger.from_crontab`, which
passes the fifth field straight through) counts 0 = *Monday*, unlike crontab's 0 = Sunday, so
`from_crontab("0 22 * * 1")` would fire on Tuesdays. `When.trigger` therefore hands APScheduler
the day of week as names (`mon,wed`), which mean the same thing in both.

Standard cron runs a job when *either* a restricted day of month or a restricted day of week
matches; APScheduler requires both. Rather than quietly change the meaning, an expression that
restricts both is refused.

Daylight saving time (the trigger works in local wall-clock time):
- A time that exists every day keeps its local time: 22:00 stays 22:00, the UTC offset changes.
- A time that does not exist on the spring-forward day (02:30 in Europe/Berlin on the last
  Sunday of March) fires once, as APScheduler 3 places it: on the old offset, i.e. later by
  the length of the gap (02:30 CET = 03:30 CEST). With several times inside the missing hour
  (`*/30 2 * * *`) only the first fires that day: the clock is past the others by then.
- A time that happens twice on the fall-back day fires once, at its first occurrence (the
  summer-time one); so does each run of an hourly schedule in the repeated hour.
APScheduler 3.11 alone gets two of these wrong (it fires a repeated time twice, and skips a
run in the first hour of the day after spring forward); `_WallClockCronTrigger` fixes both
while leaving all field matching to APScheduler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from apscheduler.triggers.cron import CronTrigger

__all__ = ["When", "WhenError", "parse_when", "resolve_zone", "time_of_day"]

EXAMPLES = (
    "Try `every weekday at 22:00`, `at 7:15pm on mon,wed`, `weekends at 10:00` or "
    "`cron 0 22 * * 1-5`, optionally followed by `in Europe/Berlin`."
)
ZONE_EXAMPLES = (
    "Use an IANA time zone name, such as `in Europe/Berlin`, `in America/New_York` or `in UTC`."
)

# Crontab's day-of-week numbers: 0 (and 7) is Sunday.
_CRON_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAY_WORDS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_ALL_DAYS = frozenset(range(7))
_WEEKDAYS = frozenset(range(1, 6))
_WEEKEND = frozenset({0, 6})
# Spellings of each day a person may type, mapped to crontab's number.
_DAY_SPELLINGS: dict[str, int] = {
    spelling: number
    for number, word in enumerate(_DAY_WORDS)
    for spelling in (word.lower(), f"{word.lower()}s", word.lower()[:3])
} | {"tues": 2, "weds": 3, "thur": 4, "thurs": 4}
# Words that stand for a set of days.
_DAY_GROUPS: dict[str, frozenset[int]] = {
    "day": _ALL_DAYS,
    "days": _ALL_DAYS,
    "daily": _ALL_DAYS,
    "everyday": _ALL_DAYS,
    "weekday": _WEEKDAYS,
    "weekdays": _WEEKDAYS,
    "weekend": _WEEKEND,
    "weekends": _WEEKEND,
}


class WhenError(ValueError):
    """A `<when>` that cannot be scheduled. The message is for the user and ends with examples."""


def _fail(reason: str) -> WhenError:
    return WhenError(f"{reason} {EXAMPLES}")


@dataclass(frozen=True)
class When:
    """A recurring schedule: a canonical crontab expression in an IANA time zone."""

    cron: str  # "m h dom mon dow", dow in crontab's sense: 0-6 = Sunday-Saturday
    timezone: str  # IANA name, e.g. "Europe/Berlin"

    def trigger(self) -> CronTrigger:
        """The APScheduler trigger: fires in local time of `timezone` (see the module doc)."""
        minute, hour, day, month, day_of_week = self.cron.split()
        days = _parse_day_of_week(day_of_week)
        names = "*" if days == _ALL_DAYS else ",".join(_CRON_DAY_NAMES[d] for d in sorted(days))
        return _WallClockCronTrigger.from_crontab(
            f"{minute} {hour} {day} {month} {names}", timezone=ZoneInfo(self.timezone)
        )

    def describe(self) -> str:
        """Plain words, e.g. "every weekday at 22:00 (Europe/Berlin)"."""
        minute, hour, day, month, day_of_week = self.cron.split()
        if not (minute.isdigit() and hour.isdigit() and day == "*" and month == "*"):
            return f"cron `{self.cron}` ({self.timezone})"
        at = f"{int(hour):02d}:{int(minute):02d}"
        days = _parse_day_of_week(day_of_week)
        if days == _ALL_DAYS:
            words = f"every day at {at}"
        elif days == _WEEKDAYS:
            words = f"every weekday at {at}"
        elif len(days) == 1:
            words = f"every {_DAY_WORDS[next(iter(days))]} at {at}"
        else:
            # Monday first, Sunday last, as a week is usually read.
            named = [_DAY_WORDS[d] for d in sorted(days, key=lambda d: (d + 6) % 7)]
            words = f"at {at} on {', '.join(named[:-1])} and {named[-1]}"
        return f"{words} ({self.timezone})"

    def next_runs(self, count: int = 3, after: datetime | None = None) -> list[datetime]:
        """The next `count` run times, strictly after `after` (default: now), in `timezone`."""
        zone = ZoneInfo(self.timezone)
        if after is None:
            after = datetime.now(zone)
        elif after.tzinfo is None or after.utcoffset() is None:
            raise ValueError("after must be a timezone-aware datetime")
        trigger = self.trigger()
        runs: list[datetime] = []
        previous = after
        while len(runs) < count:
            # Given as the previous fire time, `previous` itself is excluded.
            fire: datetime | None = trigger.get_next_fire_time(previous, previous)
            if fire is None:
                break
            runs.append(fire.astimezone(zone))
            previous = fire
        return runs


class _WallClockCronTrigger(CronTrigger):  # type: ignore[misc]  # APScheduler 3 is untyped
    """CronTrigger that matches the fields against local wall-clock time, DST-safe.

    APScheduler 3.11's own arithmetic steps across an offset change in UTC, which skips a run
    in the first hour of the day after spring forward (`0 0 * * *` in Europe/Berlin misses
    the Monday: agronholm/apscheduler#606) and fires a repeated fall-back time twice. Here
    APScheduler matches the same fields on a clock without DST (the local wall time, read as
    UTC), and each wall time found is then placed in the zone: a time in a spring-forward gap
    on the old offset (02:30 -> 03:30 CEST), a repeated time at its first occurrence only.
    Fire times come back normalised to real local times.
    """

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        # Where to start looking (inclusive), as CronTrigger does it. Instants are compared in
        # UTC: datetimes sharing a tzinfo compare by wall clock, blind to fold.
        start = now.astimezone(UTC)
        if previous_fire_time is not None:
            previous = previous_fire_time.astimezone(UTC)
            start = min(start, previous + timedelta(microseconds=1))
            if start == previous:
                start += timedelta(microseconds=1)
        elif self.start_date is not None:
            start = max(start, self.start_date.astimezone(UTC))
        # The same fields on a clock without DST: a copy of this trigger in UTC.
        state: dict[str, Any] = super().__getstate__()
        wall_clock = CronTrigger.__new__(CronTrigger)
        wall_clock.__setstate__({**state, "timezone": UTC, "start_date": None, "end_date": None})
        wall: datetime | None = start.astimezone(self.timezone).replace(tzinfo=UTC)
        while True:
            wall = wall_clock.get_next_fire_time(None, wall)
            if wall is None:
                return None
            # fold=0: a gap time takes the old offset, a repeated time its first occurrence.
            fire = wall.replace(tzinfo=self.timezone, fold=0).astimezone(UTC)
            if fire >= start:
                if self.end_date is not None and fire > self.end_date.astimezone(UTC):
                    return None
                fire = fire.astimezone(self.timezone)
                jittered: datetime | None = self._apply_jitter(fire, self.jitter, now)
                return jittered
            # Already past in real time (the second pass of a repeated hour): look further.
            wall += timedelta(microseconds=1)


_ZONE = re.compile(r"(?P<rest>.*?)\s*(?<!\S)in(?:\s+(?P<zone>\S+))?", re.I)


def names_zone(text: str) -> bool:
    """Whether a `<when>` says its time zone (`… in Europe/Berlin`), so no default is needed."""
    return _ZONE.fullmatch(" ".join(text.split())) is not None


def parse_when(text: str, default_timezone: str) -> When:
    """Parse a `<when>`; raise WhenError with a message for the user when it can't be."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise _fail("Say when.")
    zone_name = default_timezone
    zone_match = _ZONE.fullmatch(cleaned)
    if zone_match:
        if zone_match["zone"] is None:
            raise WhenError(f"Name a time zone after `in`. {ZONE_EXAMPLES}")
        zone_name = zone_match["zone"]
        cleaned = zone_match["rest"]
        if not cleaned:
            raise _fail("Say when.")
    zone = resolve_zone(zone_name)
    lowered = cleaned.lower()
    if lowered == "cron" or lowered.startswith("cron "):
        return When(_parse_cron(cleaned[4:].strip()), zone)
    return When(_parse_natural(lowered), zone)


@lru_cache(maxsize=1)
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def resolve_zone(name: str) -> str:
    """The canonical IANA name for `name` (any case), or WhenError naming it."""
    if name.upper() == "UTC":
        return "UTC"
    candidate = _zones_by_lower_name().get(name.lower(), name)
    try:
        ZoneInfo(candidate)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise WhenError(f"`{name}` is not a time zone I know. {ZONE_EXAMPLES}") from None
    return candidate


# --- cron ------------------------------------------------------------------------------------

_CRON_ITEM = re.compile(r"(?P<start>\*|\w+)(?:-(?P<end>\w+))?(?:/(?P<step>\d+))?")


def _parse_cron(expression: str) -> str:
    fields = expression.lower().split()
    if len(fields) != 5:
        raise _fail(
            f"A cron schedule needs 5 fields (minute hour day-of-month month day-of-week), "
            f"and `{expression}` has {len(fields)}."
        )
    # Leading zeros mean nothing to cron: 05 and 5 are the same minute.
    fields = [re.sub(r"\d+", lambda m: str(int(m.group())), field) for field in fields]
    minute, hour, day, month, day_of_week = fields
    try:  # APScheduler checks the first four fields; day of week is crontab's, checked below
        CronTrigger.from_crontab(f"{minute} {hour} {day} {month} *", timezone=UTC)
    except ValueError as error:
        raise _fail(f"Cron `{expression}` is not valid: {error}.") from None
    try:
        days = _parse_day_of_week(day_of_week)
    except ValueError as error:
        raise _fail(f"Cron `{expression}` is not valid: {error}.") from None
    if day != "*" and day_of_week != "*":
        raise _fail(
            "A cron schedule with both a day of month and a day of week is not supported "
            "(cron would run on either)."
        )
    return f"{minute} {hour} {day} {month} {_day_of_week_field(days)}"


def _parse_day_of_week(field: str) -> frozenset[int]:
    """Crontab's day-of-week field as day numbers (0 = Sunday); ValueError when invalid."""
    days: set[int] = set()
    for item in field.lower().split(","):
        match = _CRON_ITEM.fullmatch(item)
        if not match:
            raise ValueError(f"`{item}` is not a day of week")
        if match["start"] == "*":
            if match["end"] is not None:
                raise ValueError(f"`{item}` is not a day of week")
            first, last = 0, 7
        else:
            first = _cron_day(match["start"])
            last = first if match["end"] is None else _cron_day(match["end"])
            if match["step"] is not None and match["end"] is None:
                last = 7
        if last < first:
            raise ValueError(f"the day-of-week range `{item}` runs backwards")
        step = 1 if match["step"] is None else int(match["step"])
        if step == 0:
            raise ValueError(f"`{item}` has a step of 0")
        days.update(day % 7 for day in range(first, last + 1, step))
    return frozenset(days)


def _cron_day(token: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token in _CRON_DAY_NAMES:
        return _CRON_DAY_NAMES.index(token)
    raise ValueError(f"`{token}` is not a day of week (0-7 or sun-sat)")


def _day_of_week_field(days: frozenset[int]) -> str:
    """Compact crontab day-of-week: `*`, `1-5`, `0,6`, `1,3,5`."""
    if days == _ALL_DAYS:
        return "*"
    parts: list[str] = []
    run: list[int] = []
    for day in [*sorted(days), None]:
        if run and day is not None and day == run[-1] + 1:
            run.append(day)
            continue
        if len(run) >= 3:
            parts.append(f"{run[0]}-{run[-1]}")
        else:
            parts.extend(str(d) for d in run)
        run = [] if day is None else [day]
    return ",".join(parts)


# --- plain words -----------------------------------------------------------------------------

_TIME = r"noon|midnight|\d{1,2}(?:[:.]\d+)?\s*(?:[ap]\.?m\.?)?"
_DAYS_THEN_TIME = re.compile(r"(?P<days>.+?)\s+at\s+(?P<time>.+)")
_TIME_THEN_DAYS = re.compile(rf"at\s+(?P<time>{_TIME})(?:\s+(?P<days>.*))?")
_TIME_PARTS = re.compile(r"(?P<hour>\d{1,2})(?:[:.](?P<minute>\d+))?\s*(?:(?P<half>[ap])\.?m\.?)?")


def _parse_natural(text: str) -> str:
    match = _TIME_THEN_DAYS.fullmatch(text) or _DAYS_THEN_TIME.fullmatch(text)
    if not match:
        if re.fullmatch(r"[\d*/,-]+(?: \S+){4}", text):
            raise _fail(f"Start a cron schedule with `cron`: `cron {text}`.")
        raise _fail(f"I can't read `{text}` as a schedule.")
    hour, minute = _parse_time(match["time"])
    if match["days"] is None:
        raise _fail(f"Say which days for `{text}`, e.g. `every day at {hour:02d}:{minute:02d}`.")
    days = _parse_days(match["days"])
    return f"{minute} {hour} * * {_day_of_week_field(days)}"


def time_of_day(text: str) -> tuple[int, int]:
    """(hour, minute) of a typed time, or WhenError: the same times a `<when>` reads."""
    return _parse_time(" ".join(text.lower().split()))


def _parse_time(text: str) -> tuple[int, int]:
    """(hour, minute) from `22:00`, `9`, `7:15pm`, `10 pm`, `noon`, `midnight`."""
    if text == "noon":
        return 12, 0
    if text == "midnight":
        return 0, 0
    match = _TIME_PARTS.fullmatch(text)
    if not match:
        raise _fail(f"`{text}` is not a time of day.")
    hour = int(match["hour"])
    minute = 0 if match["minute"] is None else int(match["minute"])
    if match["minute"] is not None and len(match["minute"]) != 2:
        raise _fail(f"`{text}` is not a time of day: give minutes as two digits.")
    if minute > 59:
        raise _fail(f"`{text}` is not a time of day: minutes go from 00 to 59.")
    if match["half"] is not None:
        if not 1 <= hour <= 12:
            raise _fail(f"`{text}` is not a time of day: with am/pm, hours go from 1 to 12.")
        hour = hour % 12 + (12 if match["half"] == "p" else 0)
    elif hour > 23:
        raise _fail(f"`{text}` is not a time of day: hours go from 0 to 23.")
    return hour, minute


def _parse_days(text: str) -> frozenset[int]:
    """Days from `every day`, `weekdays`, `on mon, wed`, `monday and wednesday`, `mon-fri`."""
    words = re.sub(r"^(?:every|each|on)\s+", "", text.strip())
    words = re.sub(r"\b(week|weekend) days?\b", r"\1s", words)
    words = re.sub(r"\s*(?:-|–|\bto\b|\bthrough\b|\bthru\b)\s*", "-", words)
    tokens = [token for token in re.split(r"\s*(?:,|&|/|\band\b|\s)\s*", words) if token]
    if not tokens:
        raise _fail(f"Say which days in `{text}`.")
    days: set[int] = set()
    for token in tokens:
        if token in _DAY_GROUPS:
            days |= _DAY_GROUPS[token]
            continue
        ends = token.split("-")
        unknown = [end for end in ends if end not in _DAY_SPELLINGS]
        if unknown or len(ends) > 2:
            raise _fail(f"`{unknown[0] if unknown else token}` is not a day of the week.")
        first, last = (_DAY_SPELLINGS[end] for end in (ends[0], ends[-1]))
        # Ranges run forward through the week and may wrap: fri-mon is Fri, Sat, Sun, Mon.
        days.update((first + offset) % 7 for offset in range((last - first) % 7 + 1))
    return frozenset(days)
