"""How often a `<when>` runs: the shortest time between two of its runs, read from the cron's
structure rather than from a window of upcoming runs, so that `*/5 * 1 * *` (every five minutes,
on the first of the month) is seen for what it is whenever it is asked.

Measured on the wall clock, as the cron reads: a daylight-saving change that brings two runs
closer once a year does not count. Pure, like bot.when.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from bot.when import When

__all__ = ["shortest_gap"]

_DAY = timedelta(days=1)
_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
# Days looked at for two run days in a row: a 29 February comes round within eight years.
_DAYS_LOOKED_AT = timedelta(days=8 * 366)


def shortest_gap(when: When) -> timedelta | None:
    """The shortest time between two consecutive runs; None when it runs at most once."""
    minute, hour, day, month, day_of_week = when.cron.split()
    # Hour and minute fields are the same every day, so one day shows the times of every day.
    times = list(_runs(When(f"{minute} {hour} * * *", "UTC"), _EPOCH, _EPOCH + _DAY))
    gaps = [later - earlier for earlier, later in pairwise(times)]
    days = _shortest_day_gap(When(f"0 0 {day} {month} {day_of_week}", "UTC"))
    if days is not None and times:
        # From the last run of one run day to the first of the next.
        gaps.append(days - (times[-1] - times[0]))
    return min(gaps, default=None)


def _shortest_day_gap(days: When) -> timedelta | None:
    shortest: timedelta | None = None
    previous: datetime | None = None
    for run in _runs(days, _EPOCH, _EPOCH + _DAYS_LOOKED_AT):
        if previous is not None and (shortest is None or run - previous < shortest):
            shortest = run - previous
            if shortest == _DAY:
                break  # nothing comes closer than the next day
        previous = run
    return shortest


def _runs(when: When, start: datetime, end: datetime) -> Iterator[datetime]:
    """Run times in [start, end)."""
    trigger = when.trigger()
    run: datetime | None = trigger.get_next_fire_time(None, start)
    while run is not None and run < end:
        yield run
        run = trigger.get_next_fire_time(run, run)
