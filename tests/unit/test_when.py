"""bot.when: `<when>` phrases and cron strings into DST-safe APScheduler triggers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.when import EXAMPLES, ZONE_EXAMPLES, When, WhenError, parse_when

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")


def at(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=zone, fold=fold)


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cron", "timezone"),
    [
        ("every day at 22:00", "0 22 * * *", "Europe/Berlin"),
        ("daily at 22:00", "0 22 * * *", "Europe/Berlin"),
        ("Every Day At 22:00", "0 22 * * *", "Europe/Berlin"),
        ("  every   day  at   22:00  ", "0 22 * * *", "Europe/Berlin"),
        ("every day at 10pm", "0 22 * * *", "Europe/Berlin"),
        ("every day at 10 PM", "0 22 * * *", "Europe/Berlin"),
        ("every day at 10 p.m.", "0 22 * * *", "Europe/Berlin"),
        ("every day at 12am", "0 0 * * *", "Europe/Berlin"),
        ("every day at 12pm", "0 12 * * *", "Europe/Berlin"),
        ("every day at 12:30am", "30 0 * * *", "Europe/Berlin"),
        ("every day at midnight", "0 0 * * *", "Europe/Berlin"),
        ("at noon on fridays", "0 12 * * 5", "Europe/Berlin"),
        ("every day at 07:05", "5 7 * * *", "Europe/Berlin"),
        ("weekdays at 18:30", "30 18 * * 1-5", "Europe/Berlin"),
        ("every weekday at 18:30", "30 18 * * 1-5", "Europe/Berlin"),
        ("weekends at 10:00", "0 10 * * 0,6", "Europe/Berlin"),
        ("every weekend day at 10:00", "0 10 * * 0,6", "Europe/Berlin"),
        ("every friday at 17:00", "0 17 * * 5", "Europe/Berlin"),
        ("every fri at 17:00", "0 17 * * 5", "Europe/Berlin"),
        ("every sunday at 8", "0 8 * * 0", "Europe/Berlin"),
        ("every mon, wed at 9", "0 9 * * 1,3", "Europe/Berlin"),
        ("at 07:15 on mon,wed", "15 7 * * 1,3", "Europe/Berlin"),
        ("at 7:15pm on monday and wednesday", "15 19 * * 1,3", "Europe/Berlin"),
        ("at 7:15 PM on Monday & Wednesday", "15 19 * * 1,3", "Europe/Berlin"),
        ("at 9 every weekday", "0 9 * * 1-5", "Europe/Berlin"),
        ("at 22:00 daily", "0 22 * * *", "Europe/Berlin"),
        ("mon-fri at 9", "0 9 * * 1-5", "Europe/Berlin"),
        ("monday to friday at 9", "0 9 * * 1-5", "Europe/Berlin"),
        ("fri-mon at 9", "0 9 * * 0,1,5,6", "Europe/Berlin"),
        ("every mon, tue, wed, thu, fri at 9", "0 9 * * 1-5", "Europe/Berlin"),
        ("every weekday and saturday at 9", "0 9 * * 1-6", "Europe/Berlin"),
        ("every day at 22:00 in America/New_York", "0 22 * * *", "America/New_York"),
        ("every day at 22:00 in america/new_york", "0 22 * * *", "America/New_York"),
        ("every day at 22:00 IN utc", "0 22 * * *", "UTC"),
        ("every day at 22:00 in UTC", "0 22 * * *", "UTC"),
        ("at 7:15pm on mon,wed in Asia/Tokyo", "15 19 * * 1,3", "Asia/Tokyo"),
        # cron: day of week in crontab's sense (0 and 7 = Sunday), normalised
        ("cron 0 22 * * 1-5", "0 22 * * 1-5", "Europe/Berlin"),
        ("CRON   0  22 * *   1-5 ", "0 22 * * 1-5", "Europe/Berlin"),
        ("cron 00 22 * * mon-fri", "0 22 * * 1-5", "Europe/Berlin"),
        ("cron 0 9 * * 0", "0 9 * * 0", "Europe/Berlin"),
        ("cron 0 9 * * 7", "0 9 * * 0", "Europe/Berlin"),
        ("cron 0 9 * * sun,sat", "0 9 * * 0,6", "Europe/Berlin"),
        ("cron 0 9 * * */2", "0 9 * * 0,2,4,6", "Europe/Berlin"),
        ("cron 0 9 * * 1-5/2", "0 9 * * 1,3,5", "Europe/Berlin"),
        ("cron 0 9 * * 0-6", "0 9 * * *", "Europe/Berlin"),
        ("cron */15 8-18 * * *", "*/15 8-18 * * *", "Europe/Berlin"),
        ("cron 0 0 1 * *", "0 0 1 * *", "Europe/Berlin"),
        ("cron 30 6 * jan-mar 1", "30 6 * jan-mar 1", "Europe/Berlin"),
        ("cron 0 22 * * 1-5 in Europe/London", "0 22 * * 1-5", "Europe/London"),
    ],
)
def test_parse_table(text: str, cron: str, timezone: str) -> None:
    assert parse_when(text, "Europe/Berlin") == When(cron, timezone)


def test_natural_and_cron_forms_are_the_same_schedule() -> None:
    assert parse_when("weekdays at 22:00", "UTC") == parse_when("cron 0 22 * * 1-5", "UTC")
    assert parse_when("at 10pm on mon and wed", "UTC") == parse_when("cron 0 22 * * 1,3", "UTC")


# --- describe --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("every weekday at 22:00 in Europe/Berlin", "every weekday at 22:00 (Europe/Berlin)"),
        ("cron 0 22 * * 1-5 in Europe/Berlin", "every weekday at 22:00 (Europe/Berlin)"),
        ("every day at 07:15", "every day at 07:15 (UTC)"),
        ("daily at 7:15am", "every day at 07:15 (UTC)"),
        ("every friday at 17:00", "every Friday at 17:00 (UTC)"),
        ("cron 0 9 * * 7", "every Sunday at 09:00 (UTC)"),
        ("at 07:15 on mon,wed", "at 07:15 on Monday and Wednesday (UTC)"),
        ("at 7:15pm on monday and wednesday", "at 19:15 on Monday and Wednesday (UTC)"),
        ("weekends at 10:00", "at 10:00 on Saturday and Sunday (UTC)"),
        ("every mon, wed, fri at 6", "at 06:00 on Monday, Wednesday and Friday (UTC)"),
        ("cron */15 8-18 * * *", "cron `*/15 8-18 * * *` (UTC)"),
        ("cron 0 0 1 * *", "cron `0 0 1 * *` (UTC)"),
        ("cron 0 22 * jan 1-5", "cron `0 22 * jan 1-5` (UTC)"),
    ],
)
def test_describe(text: str, words: str) -> None:
    assert parse_when(text, "UTC").describe() == words


# --- next runs -------------------------------------------------------------------------------


def test_next_runs_weekdays_skip_the_weekend() -> None:
    when = parse_when("weekdays at 22:00", "Europe/Berlin")
    runs = when.next_runs(4, after=at(BERLIN, 2025, 1, 3, 12))  # Friday noon
    assert runs == [
        at(BERLIN, 2025, 1, 3, 22),
        at(BERLIN, 2025, 1, 6, 22),
        at(BERLIN, 2025, 1, 7, 22),
        at(BERLIN, 2025, 1, 8, 22),
    ]
    assert all(run.tzinfo == BERLIN for run in runs)


def test_next_runs_are_strictly_after() -> None:
    when = parse_when("every day at 22:00", "Europe/Berlin")
    assert when.next_runs(1, after=at(BERLIN, 2025, 1, 6, 22)) == [at(BERLIN, 2025, 1, 7, 22)]
    just_before = at(BERLIN, 2025, 1, 6, 21, 59, 59, 999999)
    assert when.next_runs(1, after=just_before) == [at(BERLIN, 2025, 1, 6, 22)]


def test_next_runs_after_in_another_zone_is_the_same_instant() -> None:
    when = parse_when("every day at 22:00", "Europe/Berlin")
    # 20:30 UTC is 21:30 in Berlin (winter): tonight's run is still ahead.
    runs = when.next_runs(2, after=datetime(2025, 1, 6, 20, 30, tzinfo=UTC))
    assert runs == [at(BERLIN, 2025, 1, 6, 22), at(BERLIN, 2025, 1, 7, 22)]
    assert [run.utcoffset() for run in runs] == [timedelta(hours=1)] * 2


def test_next_runs_count_and_default_now() -> None:
    when = parse_when("every day at 22:00", "Europe/Berlin")
    assert when.next_runs(0, after=at(BERLIN, 2025, 1, 6)) == []
    before = datetime.now(UTC)
    runs = when.next_runs()
    assert len(runs) == 3
    assert before < runs[0] <= before + timedelta(days=1)
    assert [run.hour for run in runs] == [22, 22, 22]


def test_next_runs_refuses_naive_after() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_when("every day at 22:00", "UTC").next_runs(after=datetime(2025, 1, 6))


@pytest.mark.parametrize(
    ("cron", "weekday"),  # weekday(): Monday = 0
    [("0 22 * * 1", 0), ("0 22 * * 0", 6), ("0 22 * * 7", 6), ("0 22 * * 6", 5), ("0 9 * * 5", 4)],
)
def test_cron_day_of_week_is_crontabs_not_apschedulers(cron: str, weekday: int) -> None:
    runs = parse_when(f"cron {cron}", "UTC").next_runs(5, after=at(BERLIN, 2025, 1, 1))
    assert {run.weekday() for run in runs} == {weekday}


def test_plain_from_crontab_would_be_off_by_one_day() -> None:
    """Why When.trigger converts: APScheduler 3 reads day-of-week 1 as Tuesday."""
    plain = CronTrigger.from_crontab("0 22 * * 1", timezone=UTC)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert plain.get_next_fire_time(None, start).weekday() == 1  # Tuesday
    ours = When("0 22 * * 1", "UTC").trigger()
    assert ours.get_next_fire_time(None, start).weekday() == 0  # Monday


def test_trigger_is_a_cron_trigger_in_the_zone() -> None:
    trigger = parse_when("weekdays at 22:00", "Europe/Berlin").trigger()
    assert isinstance(trigger, CronTrigger)
    assert trigger.timezone == BERLIN
    fire = trigger.get_next_fire_time(None, at(BERLIN, 2025, 1, 4, 12))  # Saturday
    assert fire == at(BERLIN, 2025, 1, 6, 22)


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Say when."),
        ("   ", "Say when."),
        ("sometimes", "can't read `sometimes`"),
        ("every day", "can't read `every day`"),
        ("every day at 25:00", "`25:00` is not a time of day: hours go from 0 to 23"),
        ("at 7:61", "`7:61` is not a time of day: minutes go from 00 to 59"),
        ("every day at 7:5", "minutes as two digits"),
        ("at 13pm on mon", "with am/pm, hours go from 1 to 12"),
        ("every day at 0am", "with am/pm, hours go from 1 to 12"),
        ("every day at quarter past nine", "`quarter past nine` is not a time of day"),
        ("every funday at 9", "`funday` is not a day of the week"),
        ("every other day at 9", "`other` is not a day of the week"),
        ("at 22:00", "Say which days"),
        ("in UTC", "Say when."),
        ("cron", "needs 5 fields"),
        ("cron 0 22 * * 1-5 *", "needs 5 fields (minute hour day-of-month month day-of-week)"),
        ("cron 0 0 22 * * 1-5", "has 6"),
        ("cron 0 22 * *", "has 4"),
        ("cron a b c d e", "Cron `a b c d e` is not valid"),
        ("cron 61 22 * * *", "Cron `61 22 * * *` is not valid"),
        ("cron 0 24 * * *", "is not valid"),
        ("cron 0 22 32 * *", "is not valid"),
        ("cron 0 22 * 13 *", "is not valid"),
        ("cron 0 22 * * 8", "`8` is not a day of week"),
        ("cron 0 22 * * funday", "`funday` is not a day of week"),
        ("cron 0 22 * * 5-1", "runs backwards"),
        ("cron 0 22 * * */0", "step of 0"),
        ("cron 0 22 1 * 1", "both a day of month and a day of week"),
        ("0 22 * * 1-5", "Start a cron schedule with `cron`: `cron 0 22 * * 1-5`"),
    ],
)
def test_bad_input(text: str, says: str) -> None:
    with pytest.raises(WhenError) as raised:
        parse_when(text, "Europe/Berlin")
    message = str(raised.value)
    assert says in message
    assert message.endswith(EXAMPLES)
    assert "`every weekday at 22:00`" in message
    assert len(message) < 400


def test_when_error_is_a_value_error() -> None:
    assert issubclass(WhenError, ValueError)


# --- time zones ------------------------------------------------------------------------------


def test_default_zone_is_used_without_in() -> None:
    assert parse_when("every day at 22:00", "America/New_York").timezone == "America/New_York"
    assert parse_when("every day at 22:00", "UTC").timezone == "UTC"


def test_in_overrides_the_default_zone_and_changes_the_instant() -> None:
    berlin = parse_when("every day at 22:00", "Europe/Berlin")
    tokyo = parse_when("every day at 22:00 in Asia/Tokyo", "Europe/Berlin")
    after = datetime(2025, 1, 6, tzinfo=UTC)
    assert berlin.next_runs(1, after=after)[0] == datetime(2025, 1, 6, 21, tzinfo=UTC)
    assert tokyo.next_runs(1, after=after)[0] == datetime(2025, 1, 6, 13, tzinfo=UTC)
    assert tokyo.next_runs(1, after=after)[0].tzinfo == ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "Europe", "Berlin", "../../etc/passwd", "/etc/localtime"]
)
def test_unknown_zone_is_named_with_an_example(zone: str) -> None:
    with pytest.raises(WhenError) as raised:
        parse_when(f"every day at 22:00 in {zone}", "UTC")
    message = str(raised.value)
    assert f"`{zone}` is not a time zone" in message
    assert message.endswith(ZONE_EXAMPLES)
    assert "`in Europe/Berlin`" in message


def test_in_without_a_zone() -> None:
    with pytest.raises(WhenError, match="Name a time zone after `in`"):
        parse_when("every day at 22:00 in", "UTC")


def test_bad_default_zone_is_a_when_error() -> None:
    with pytest.raises(WhenError, match="`Nowhere/Land` is not a time zone"):
        parse_when("every day at 22:00", "Nowhere/Land")


# --- daylight saving time --------------------------------------------------------------------
# 2025: Europe/Berlin springs forward Sun 30 March 02:00 CET -> 03:00 CEST and falls back
# Sun 26 October 03:00 CEST -> 02:00 CET; America/New_York springs forward Sun 9 March
# 02:00 EST -> 03:00 EDT and falls back Sun 2 November 02:00 EDT -> 01:00 EST.


@pytest.mark.parametrize(
    ("zone", "after", "offsets"),
    [
        (BERLIN, at(BERLIN, 2025, 3, 28), (1, 1, 2, 2)),  # 28, 29 | 30, 31 March
        (BERLIN, at(BERLIN, 2025, 10, 24), (2, 2, 1, 1)),  # 24, 25 | 26, 27 October
        (NEW_YORK, at(NEW_YORK, 2025, 3, 7), (-5, -5, -4, -4)),  # 7, 8 | 9, 10 March
        (NEW_YORK, at(NEW_YORK, 2025, 10, 31), (-4, -4, -5, -5)),  # 31 Oct, 1 | 2, 3 Nov
    ],
)
def test_22_00_stays_22_00_local_across_dst(
    zone: ZoneInfo, after: datetime, offsets: tuple[int, ...]
) -> None:
    when = When("0 22 * * *", str(zone))
    runs = when.next_runs(4, after=after)
    assert [(run.hour, run.minute) for run in runs] == [(22, 0)] * 4
    assert [run.date() for run in runs] == [after.date() + timedelta(days=i) for i in range(4)]
    assert [run.utcoffset() for run in runs] == [timedelta(hours=h) for h in offsets]
    utc_hours = {run.astimezone(UTC).hour for run in runs}
    assert len(utc_hours) == 2  # the UTC time moves by an hour, the local one doesn't


def runs_on(when: When, day: date, zone: ZoneInfo) -> list[datetime]:
    after = at(zone, day.year, day.month, day.day) - timedelta(days=1)
    return [run for run in when.next_runs(6, after=after) if run.date() == day]


def test_berlin_spring_forward_nonexistent_time_runs_once_an_hour_later() -> None:
    """02:30 doesn't exist on 30 March: it runs once, on the old offset, i.e. at 03:30 CEST."""
    when = parse_when("every day at 2:30", "Europe/Berlin")
    on_the_day = runs_on(when, date(2025, 3, 30), BERLIN)
    assert on_the_day == [datetime(2025, 3, 30, 1, 30, tzinfo=UTC)]
    assert (on_the_day[0].hour, on_the_day[0].minute) == (3, 30)
    assert on_the_day[0].utcoffset() == timedelta(hours=2)
    runs = when.next_runs(3, after=at(BERLIN, 2025, 3, 29, 12))
    assert [run.isoformat() for run in runs] == [
        "2025-03-30T03:30:00+02:00",
        "2025-03-31T02:30:00+02:00",
        "2025-04-01T02:30:00+02:00",
    ]


def test_new_york_spring_forward_nonexistent_time_runs_once_an_hour_later() -> None:
    when = parse_when("every day at 2:30am", "America/New_York")
    runs = when.next_runs(3, after=at(NEW_YORK, 2025, 3, 8, 12))
    assert [run.isoformat() for run in runs] == [
        "2025-03-09T03:30:00-04:00",
        "2025-03-10T02:30:00-04:00",
        "2025-03-11T02:30:00-04:00",
    ]
    assert runs[0] == datetime(2025, 3, 9, 7, 30, tzinfo=UTC)


def test_berlin_fall_back_repeated_time_runs_once_at_its_first_occurrence() -> None:
    when = parse_when("every day at 02:30", "Europe/Berlin")
    runs = when.next_runs(3, after=at(BERLIN, 2025, 10, 25, 12))
    assert [run.isoformat() for run in runs] == [
        "2025-10-26T02:30:00+02:00",  # CEST; the CET 02:30 an hour later does not run
        "2025-10-27T02:30:00+01:00",
        "2025-10-28T02:30:00+01:00",
    ]
    assert len(runs_on(when, date(2025, 10, 26), BERLIN)) == 1


def test_new_york_fall_back_repeated_time_runs_once_at_its_first_occurrence() -> None:
    when = parse_when("every day at 1:30am", "America/New_York")
    runs = when.next_runs(3, after=at(NEW_YORK, 2025, 11, 1, 12))
    assert [run.isoformat() for run in runs] == [
        "2025-11-02T01:30:00-04:00",  # EDT; the EST 01:30 an hour later does not run
        "2025-11-03T01:30:00-05:00",
        "2025-11-04T01:30:00-05:00",
    ]
    # (in UTC: PEP 495 makes a time in a repeated hour unequal to any other zone's)
    assert runs[0].astimezone(UTC) == datetime(2025, 11, 2, 5, 30, tzinfo=UTC)
    assert len(runs_on(when, date(2025, 11, 2), NEW_YORK)) == 1


def test_fall_back_from_inside_the_second_pass_does_not_run_again() -> None:
    when = parse_when("every day at 02:30", "Europe/Berlin")
    second_pass = at(BERLIN, 2025, 10, 26, 2, 15, fold=1)  # 02:15 CET, after 02:30 CEST ran
    assert second_pass.utcoffset() == timedelta(hours=1)
    assert when.next_runs(1, after=second_pass) == [at(BERLIN, 2025, 10, 27, 2, 30)]


def test_hourly_runs_once_per_wall_clock_time_in_the_repeated_hour() -> None:
    when = parse_when("cron 30 * * * *", "Europe/Berlin")
    runs = when.next_runs(4, after=at(BERLIN, 2025, 10, 26, 0, 45))
    assert [run.isoformat() for run in runs] == [
        "2025-10-26T01:30:00+02:00",
        "2025-10-26T02:30:00+02:00",
        "2025-10-26T03:30:00+01:00",
        "2025-10-26T04:30:00+01:00",
    ]


def test_several_times_in_the_missing_hour_run_once() -> None:
    """02:00 and 02:30 both fall in Berlin's gap: only 02:00 runs (at 03:00 CEST) that day."""
    when = parse_when("cron */30 2 * * *", "Europe/Berlin")
    assert [run.isoformat() for run in when.next_runs(3, after=at(BERLIN, 2025, 3, 29, 12))] == [
        "2025-03-30T03:00:00+02:00",
        "2025-03-31T02:00:00+02:00",
        "2025-03-31T02:30:00+02:00",
    ]


@pytest.mark.parametrize(
    ("zone", "day"),
    [(BERLIN, date(2025, 3, 31)), (NEW_YORK, date(2025, 3, 10)), (SYDNEY, date(2025, 10, 6))],
)
@pytest.mark.parametrize("text", ["every day at midnight", "every day at 0:30", "weekdays at 0:00"])
def test_first_hour_after_spring_forward_is_not_skipped(
    zone: ZoneInfo, day: date, text: str
) -> None:
    """APScheduler 3.11's own CronTrigger skips these (agronholm/apscheduler#606)."""
    when = parse_when(text, str(zone))
    assert len(runs_on(when, day, zone)) == 1


def test_scheduler_style_calls_match_next_runs_across_dst() -> None:
    """The scheduler asks with the previous fire time and a `now` a little later."""
    when = parse_when("every day at 0:00", "Europe/Berlin")
    trigger = when.trigger()
    fire = trigger.get_next_fire_time(None, at(BERLIN, 2025, 3, 28, 12))
    fires = [fire]
    for _ in range(4):
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=3))
        fires.append(fire)
    assert fires == when.next_runs(5, after=at(BERLIN, 2025, 3, 28, 12))
    assert [run.day for run in fires] == [29, 30, 31, 1, 2]


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK, SYDNEY])
@pytest.mark.parametrize("hour_minute", [(0, 0), (0, 30), (1, 30), (2, 30), (22, 0)])
@pytest.mark.parametrize("days", [range(7), range(1, 6), [1], [0, 6]])
def test_a_year_of_runs_matches_the_calendar(
    zone: ZoneInfo, hour_minute: tuple[int, int], days: range | list[int]
) -> None:
    """Against a day-by-day oracle: each matching day runs once, at its local time (a
    nonexistent time on the old offset, a repeated one at its first occurrence)."""
    hour, minute = hour_minute
    day_field = ",".join(str(d) for d in days)
    when = When(f"{minute} {hour} * * {day_field}", str(zone))
    expected: list[datetime] = []
    day = date(2025, 1, 1)
    while day.year == 2025:
        if day.isoweekday() % 7 in days:
            local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
            expected.append(local.astimezone(UTC))
        day += timedelta(days=1)
    runs = when.next_runs(len(expected), after=at(zone, 2024, 12, 31, 23, 59))
    assert [run.astimezone(UTC) for run in runs] == expected


# --- how often (bot.cadence) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "gap"),
    [
        ("cron * * * * *", timedelta(minutes=1)),
        ("cron 0 * * * *", timedelta(hours=1)),
        ("cron 0,30,31 * * * *", timedelta(minutes=1)),
        # Every five minutes, but only on the first of the month: the structure, not a window.
        ("cron */5 * 1 * *", timedelta(minutes=5)),
        ("every day at 22:00", timedelta(days=1)),
        ("every weekday at 22:00", timedelta(days=1)),
        ("every monday at 9:00", timedelta(days=7)),
        # 23:30 on Monday, then 00:30 on Tuesday: across midnight.
        ("cron 30 0,23 * * 1,2", timedelta(hours=1)),
        ("cron 0 0,23 31,1 * *", timedelta(hours=1)),
        ("cron 0 22 31 * *", timedelta(days=31)),
        ("cron 0 12 29 2 *", timedelta(days=4 * 365 + 1)),
        # Wall-clock time, whatever the zone's daylight saving does.
        ("cron 0 1,2 * * * in Europe/Berlin", timedelta(hours=1)),
    ],
)
def test_the_shortest_gap_between_runs(text: str, gap: timedelta) -> None:
    from bot.cadence import shortest_gap

    assert shortest_gap(parse_when(text, "UTC")) == gap


def test_a_schedule_that_never_runs_twice_has_no_gap() -> None:
    from bot.cadence import shortest_gap

    assert shortest_gap(parse_when("cron 0 0 30 2 *", "UTC")) is None
