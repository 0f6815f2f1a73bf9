"""bot.windows: a schedule's window (`until 07:00`, `for 9h`) and its relock, and the window's
end across midnight and DST in the schedule's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.when import When, WhenError
from bot.windows import DEFAULT_RELOCK, Planned, Window, duration, parse_schedule, says_zone

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=BERLIN, fold=fold)


def ends(text: str, start: datetime) -> datetime:
    planned = parse_schedule(text, "Europe/Berlin")
    assert planned.window is not None
    return planned.window.end(planned.when, start)


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cron", "zone", "minutes", "relock"),
    [
        ("weekdays at 22:00 until 07:00", "0 22 * * 1-5", "UTC", 540, DEFAULT_RELOCK),
        (
            "every day at 18:30 until 06:00 in Europe/Berlin",
            "30 18 * * *",
            "Europe/Berlin",
            690,
            DEFAULT_RELOCK,
        ),
        ("cron 0 22 * * 1-5 until 07:00", "0 22 * * 1-5", "UTC", 540, DEFAULT_RELOCK),
        (
            "daily at 22:00 until 7am relock after 10m",
            "0 22 * * *",
            "UTC",
            540,
            timedelta(minutes=10),
        ),
        ("daily at 22:00 for 9h relock never", "0 22 * * *", "UTC", 540, None),
        (
            "daily at 9:00 until 17:30 relock after 1 h 30 min",
            "0 9 * * *",
            "UTC",
            510,
            timedelta(minutes=90),
        ),
    ],
)
def test_a_when_with_an_end_is_a_window(
    text: str, cron: str, zone: str, minutes: int, relock: timedelta | None
) -> None:
    assert parse_schedule(text, "UTC") == Planned(When(cron, zone), Window(minutes, relock))


def test_a_when_without_an_end_is_a_plain_schedule() -> None:
    assert parse_schedule("weekdays at 22:00 in Europe/Berlin", "UTC") == Planned(
        When("0 22 * * 1-5", "Europe/Berlin")
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("daily at 22:00 until 22:00", "The window would end when it starts (22:00)."),
        ("daily at 22:00 for 0m", "The window would end when it starts (22:00)."),
        ("daily at 22:00 for 25h", "A window is at most a day long."),
        ("daily at 22:00 for 24h", "A window is at most a day long."),
        ("cron 0 */2 * * * until 07:00", "A window starts once a day"),
        ("daily at 22:00 relock after 5m", "`relock` is for a window"),
        ("daily at 22:00 until 07:00 relock after 30s", "Relock after at least 1 min."),
        ("daily at 22:00 until 07:00 relock soon", "Say `relock after 10m` or `relock never`."),
        ("daily at 22:00 until", "Say when the window ends after `until`."),
        ("daily at 22:00 until 25:00", "`25:00` is not a time of day"),
        ("daily at 22:00 for a while", "`a while` is not a length of time"),
    ],
)
def test_a_window_that_cannot_be_is_refused_with_examples(text: str, reason: str) -> None:
    with pytest.raises(WhenError) as refused:
        parse_schedule(text, "UTC")
    assert str(refused.value).startswith(reason)


def test_a_test_may_allow_a_shorter_relock_than_people_get() -> None:
    planned = parse_schedule("daily at 22:00 until 07:00 relock after 3s", "UTC", timedelta(0))
    assert planned.window == Window(540, timedelta(seconds=3))


def test_durations_and_zones_are_read_as_typed() -> None:
    assert duration("1h 30m") == duration("90 minutes") == timedelta(minutes=90)
    assert says_zone("weekdays at 22:00 until 07:00 in Europe/Berlin relock after 10m")
    assert not says_zone("weekdays at 22:00 until 07:00 relock never")


def test_a_window_is_described_with_its_end_and_relock() -> None:
    planned = parse_schedule("weekdays at 22:00 until 07:00 in Europe/Berlin", "UTC")
    assert planned.describe() == (
        "every weekday at 22:00 until 07:00 (Europe/Berlin, relock after 5 min)"
    )
    never = parse_schedule("cron 30 18 * * 6 for 12h relock never", "UTC")
    assert never.describe() == "every Saturday at 18:30 until 06:30 (UTC, never relock)"


# --- the end ---------------------------------------------------------------------------------


def test_a_window_crosses_midnight() -> None:
    start = berlin(2026, 6, 1, 22, 0)  # a Monday
    assert ends("weekdays at 22:00 until 07:00", start) == berlin(2026, 6, 2, 7, 0)
    planned = parse_schedule("weekdays at 22:00 until 07:00", "Europe/Berlin")
    assert planned.window is not None
    assert planned.window.holds(planned.when, start, berlin(2026, 6, 2, 6, 59))
    assert not planned.window.holds(planned.when, start, berlin(2026, 6, 2, 7, 0))
    assert not planned.window.holds(planned.when, start, berlin(2026, 6, 1, 21, 59))


def test_the_end_keeps_its_wall_clock_time_when_dst_starts_or_ends() -> None:
    # Spring forward (29 March 2026): 22:00 CET to 07:00 CEST is 8 real hours.
    spring = berlin(2026, 3, 28, 22, 0)
    assert ends("daily at 22:00 until 07:00", spring) == berlin(2026, 3, 29, 7, 0)
    assert ends("daily at 22:00 until 07:00", spring) - spring == timedelta(hours=8)
    # Fall back (25 October 2026): 10 real hours.
    fall = berlin(2026, 10, 24, 22, 0)
    assert ends("daily at 22:00 until 07:00", fall) - fall == timedelta(hours=10)


def test_an_end_in_the_gap_is_later_by_the_gap_and_a_repeated_end_is_the_first() -> None:
    # 02:30 does not exist on 29 March in Berlin: it reads as 02:30 CET, i.e. 03:30 CEST.
    gap = ends("daily at 01:30 until 02:30", berlin(2026, 3, 29, 1, 30))
    assert gap == datetime(2026, 3, 29, 1, 30, tzinfo=UTC) == berlin(2026, 3, 29, 3, 30)
    # 02:30 happens twice on 25 October: the window ends at the first (CEST).
    repeated = ends("daily at 00:30 until 02:30", berlin(2026, 10, 25, 0, 30))
    assert repeated == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_start_moved_by_the_gap_still_ends_at_its_wall_clock_time() -> None:
    # A 02:30 schedule fires at 03:30 CEST on 29 March; its window still ends at 04:00.
    start = berlin(2026, 3, 29, 3, 30)
    assert ends("daily at 02:30 until 04:00", start) == berlin(2026, 3, 29, 4, 0)
