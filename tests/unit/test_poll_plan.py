"""The resolution model and the poll plan (pure), and `Pacing` on a real database."""

from __future__ import annotations

import itertools
import random
import statistics
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.db import Database
from bot.locking import poll_plan
from bot.locking.pacing import Pacing, bracket_of
from bot.locking.requests import Timing
from bot.locking.resolution import (
    FRESH,
    WARM,
    WINDOW,
    Bracket,
    History,
    Profile,
    Resolutions,
    Spread,
)
from bot.models import LockRequest, LockStatus, utcnow

TIMING = Timing()  # the shipped cadence: 0.25 s, ×1.5, at most 0.8 s; reads 0.4 s apart near
SDK_INTERVAL_S = 0.5

spans = st.lists(
    st.tuples(st.floats(0, 30), st.floats(0, 3)).map(lambda t: (t[0], t[0] + t[1])),
    min_size=1,
    max_size=40,
)


def brute_cdf(spans: list[tuple[float, float]], t: float) -> float:
    total = 0.0
    for lo, hi in spans:
        if hi - lo < 1e-6:
            total += 1.0 if t >= lo else 0.0
        else:
            total += min(1.0, max(0.0, (t - lo) / (hi - lo)))
    return total / len(spans)


# -- quantiles of brackets ----------------------------------------------------------------------


@given(spans, st.floats(0, 1), st.floats(0, 1))
def test_quantiles_rise_with_q_and_stay_within_the_spans(
    values: list[tuple[float, float]], a: float, b: float
) -> None:
    spread = Spread(values)
    low, high = sorted((a, b))
    assert spread.quantile(low) <= spread.quantile(high) + 1e-9
    lowest = min(lo for lo, _ in values)
    highest = max(hi for _, hi in values)
    assert lowest - 1e-9 <= spread.quantile(low) <= highest + 1e-6


@given(spans.filter(lambda v: all(hi - lo > 0.01 for lo, hi in v)), st.floats(0.01, 0.99))
def test_a_quantile_is_where_the_brackets_together_reach_q(
    values: list[tuple[float, float]], q: float
) -> None:
    assert brute_cdf(values, Spread(values).quantile(q)) == pytest.approx(q, abs=1e-6)


def test_one_bracket_is_an_even_chance_over_it() -> None:
    spread = Spread([(2.0, 3.0)])
    assert [spread.quantile(q) for q in (0, 0.1, 0.5, 0.9, 1)] == pytest.approx(
        [2.0, 2.1, 2.5, 2.9, 3.0]
    )


# -- what a history keeps ------------------------------------------------------------------------


def history_of(*brackets: Bracket) -> History:
    history = History()
    for bracket in brackets:
        history.add(bracket)
    return history


def test_a_device_needs_a_few_locks_and_then_reads_both_edges_until_it_has_more() -> None:
    assert history_of(*[Bracket(0.9, 1.1)] * (WARM - 1)).profile() is None
    warm = history_of(*[Bracket(0.9, 1.1)] * WARM).profile()
    assert warm is not None and warm.check_start
    fresh = history_of(*[Bracket(0.9, 1.1)] * FRESH).profile()
    assert fresh is not None and not fresh.check_start


def test_outliers_do_not_move_the_window_and_the_tail_is_fenced() -> None:
    usual = [Bracket(1.0 + i / 100, 1.1 + i / 100) for i in range(WINDOW - 2)]
    profile = history_of(*usual, Bracket(40.0, 40.5), Bracket(55.0, 55.5)).profile()
    assert profile is not None
    assert profile.high < 1.3
    assert profile.tail < 2.0  # p90 + 2 × (p90 − p10), not the outliers


def test_a_bracket_nothing_opened_is_judged_against_the_profile() -> None:
    history = history_of(*[Bracket(4.0, 4.4)] * FRESH)
    profile = history.profile()
    assert profile is not None
    # One read after most of the window saw it done: from the p10 to that read.
    after = history.judge(Bracket(0.0, 4.5))
    assert after.span == pytest.approx((profile.low, 4.5)) and not after.early
    # Done by a read ahead of most of them: earlier by up to the profile's width.
    early = history.judge(Bracket(0.0, 4.0))
    assert early.early and early.span is not None and early.span[0] < 4.0
    # Too wide to say anything (a read failed in between).
    assert history.judge(Bracket(1.0, 9.0)).span is None


def test_the_fleet_stands_in_for_a_device_without_a_history() -> None:
    model = Resolutions()
    for device in ("a", "b"):
        for _ in range(WARM):
            model.observe(device, Bracket(2.0, 2.3))
    own = model.profile("a")
    fleet = model.profile("new")
    assert own is not None and own.source == "device"
    assert fleet is not None and fleet.source == "fleet" and fleet.check_start


# -- the plan -----------------------------------------------------------------------------------


def test_nothing_known_is_todays_cadence() -> None:
    assert poll_plan.plan(None, TIMING) is None  # each gap from the read before, as ever
    assert poll_plan.cadence(TIMING)[:4] == pytest.approx([0.25, 0.625, 1.1875, 1.9875])


def test_a_narrow_fresh_window_is_one_read_and_a_second_for_the_late() -> None:
    profile = history_of(*[Bracket(0.9 + i / 50, 1.0 + i / 50) for i in range(FRESH)]).profile()
    assert profile is not None and not profile.check_start
    times = poll_plan.plan(profile, TIMING)
    assert times is not None and profile.median < times[0] < profile.high
    assert times[1] > profile.high and poll_plan.reads_until(times, profile.median) == 1


def test_a_wide_window_is_read_no_further_apart_than_the_near_gap() -> None:
    profile = history_of(*[Bracket(t, t + 0.3) for t in (4.0, 4.3, 4.6, 4.9, 5.2)] * 2).profile()
    assert profile is not None
    times = poll_plan.plan(profile, TIMING)
    assert times is not None
    inside = [t for t in times if profile.low <= t <= profile.high]
    assert times[0] == pytest.approx(profile.low)
    assert max(b - a for a, b in itertools.pairwise(inside)) <= TIMING.near_gap_s + 1e-9
    assert poll_plan.reads_until(times, profile.high) < poll_plan.reads_until(
        poll_plan.cadence(TIMING), profile.high
    )


def test_a_surprise_reads_from_the_start_again() -> None:
    history = history_of(*[Bracket(8.0, 8.4)] * FRESH)
    history.add(Bracket(0.0, 7.9))
    history.add(Bracket(0.0, 7.9))  # two of the last three came before the first read
    profile = history.profile()
    assert profile is not None and profile.surprised
    times = poll_plan.plan(profile, TIMING) or poll_plan.cadence(TIMING)  # None: the cadence
    assert times[0] == pytest.approx(TIMING.poll_first_s)


def test_a_fleet_of_unlike_locks_is_not_followed() -> None:
    model = Resolutions()
    for device, t in (("quick", 1.0), ("middling", 4.5), ("slow", 9.0)):
        for _ in range(WARM):
            model.observe(device, Bracket(t, t + 0.2))
    assert model.profile("new") is not None
    assert poll_plan.plan(model.profile("new"), TIMING) is None


def test_with_events_one_read_after_the_tail_then_sparser() -> None:
    profile = history_of(*[Bracket(2.0, 2.4)] * FRESH).profile()
    times = poll_plan.plan(profile, TIMING, events=True)
    assert profile is not None and times is not None and times[0] > profile.tail
    assert all(b >= 2 * a - 1e-9 for a, b in itertools.pairwise(times))
    assert len(times) <= 5


profiles = st.lists(st.tuples(st.floats(0.05, 20), st.floats(0, 1.5)), min_size=WARM,
                    max_size=WINDOW).map(lambda v: Profile(tuple((a, a + w) for a, w in v)))  # fmt: skip


@settings(max_examples=200)
@given(profiles, st.booleans(), st.booleans())
def test_every_plan_is_ordered_spaced_and_ends_by_the_deadline(
    profile: Profile, fresh: bool, events: bool
) -> None:
    if fresh:
        profile = Profile(profile.spans, check_start=False)
    times = poll_plan.plan(profile, TIMING, events=events) or poll_plan.cadence(TIMING)
    assert all(0 < t <= TIMING.timeout_s for t in times)
    assert all(b - a >= poll_plan.MIN_GAP_S - 1e-9 for a, b in itertools.pairwise(times))
    if not events:  # reads keep coming until the deadline, at most the cadence's cap apart
        last = times[-1] if times else 0.0
        assert TIMING.timeout_s - last <= max(TIMING.poll_max_s, profile.high - profile.low) + 1


def test_next_read_is_the_first_planned_one_not_yet_past() -> None:
    times = (0.5, 1.0, 1.5)
    assert poll_plan.next_read(times, 0.0) == pytest.approx(0.5)
    assert poll_plan.next_read(times, 0.98) == pytest.approx(0.52)  # 1.0 is too close: 1.5
    assert poll_plan.next_read(times, 2.0) is None


# -- the goals, on the model alone (the bench measures them for real) --------------------------


def simulate(center_s: float, locks: int, seed: int) -> tuple[list[int], list[float]]:
    """Locks of one device answering at center ±15 %: reads and wait after the answer of each
    after the first ten."""
    rng, model = random.Random(seed), Resolutions()
    reads, waits = [], []
    for i in range(locks):
        answer = rng.uniform(center_s * 0.85, center_s * 1.15)
        times = poll_plan.plan(model.profile("d"), TIMING) or poll_plan.cadence(TIMING)
        n = poll_plan.reads_until(times, answer)
        seen = times[n - 1]
        model.observe("d", Bracket(times[n - 2] if n > 1 else 0.0, seen))
        if i >= 10:
            reads.append(n)
            waits.append(seen - answer)
    return reads, waits


@pytest.mark.parametrize("center_s", [1.0, 4.5, 9.0])
def test_warm_plans_read_half_as_often_as_the_sdk_and_see_the_answer_as_soon(
    center_s: float,
) -> None:
    reads, waits = [], []
    for seed in range(10):
        r, w = simulate(center_s, 30, seed)
        reads += r
        waits += w
    sdk_reads = center_s / SDK_INTERVAL_S  # about the median of a fixed 0.5 s read
    assert statistics.median(reads) <= sdk_reads / 2
    assert statistics.median(waits) <= SDK_INTERVAL_S / 2


# -- Pacing on the table -------------------------------------------------------------------------


def test_a_rows_bracket() -> None:
    sent = utcnow()
    assert bracket_of(None, None, sent) is None
    assert bracket_of(sent, None, sent + timedelta(seconds=2)) == Bracket(0.0, 2.0)
    skewed = bracket_of(sent, sent - timedelta(seconds=5), sent + timedelta(seconds=2))
    assert skewed == Bracket(0.0, 2.0)  # an event stamped before lock_door answered: unopened
    assert bracket_of(sent, sent + timedelta(seconds=1), sent + timedelta(seconds=2)) == Bracket(
        1.0, 2.0
    )


async def confirmed(db: Database, device: str, after_s: float, by_s: float,
                    status: LockStatus = LockStatus.LOCKED) -> None:  # fmt: skip
    sent = utcnow() - timedelta(minutes=1)
    async with db.session() as s:
        s.add(LockRequest(
            source="slack", user_id="U1", text="x", device_id=device, status=status,
            sent_at=sent, resolved_after=sent + timedelta(seconds=after_s),
            finished_at=sent + timedelta(seconds=by_s),
        ))  # fmt: skip
        await s.commit()


async def test_pacing_starts_from_the_table_and_hears_of_other_processes_locks(
    db: Database,
) -> None:
    for _ in range(WARM):
        await confirmed(db, "dev-a", 3.0, 3.3)
    await confirmed(db, "dev-a", 0.1, 0.2, status=LockStatus.FAILED)  # failures teach nothing
    pacing = Pacing(db, TIMING)
    assert await pacing.load() == WARM
    profile = pacing.model.profile("dev-a")
    assert profile is not None and profile.low == pytest.approx(3.03)

    # Another replica settles locks of another device: the next look finds them, once.
    assert pacing.model.profile("dev-b") is not None  # the fleet's, for now
    for _ in range(WARM):
        await confirmed(db, "dev-b", 6.0, 6.3)
    assert await pacing.refresh() == WARM
    assert await pacing.refresh() == 0
    own = pacing.model.profile("dev-b")
    assert own is not None and own.source == "device" and own.low > 6.0
