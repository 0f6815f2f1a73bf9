"""Where the reads of an attempt go (pure): the times, counted from lock_door's answer, at which
the tracker asks Seam how the attempt is doing.

- Nothing known of the device: today's cadence (`Timing`: first read, backoff, cap), which
  `plan` gives as None, each gap counted from the read before, as it always was.
- A profile (`resolution.Profile`): the first read at its p10, then reads evenly to its p90, no
  further apart than `Timing.near_gap_s`, so they crowd where the device usually answers; then
  backing off to the deadline. A window about that gap wide (`ONE_READ`) is one read at its p75
  and one as far past its p90, once the profile is fresh; otherwise both edges are read, which keeps
  it learning. After a surprise (locks resolved before the first read) the cadence's reads
  come first.
- Seam's events settling our locks: reads are a safety net, one after the tail (about the p99),
  then each gap twice the last, to the deadline.

A profile is followed only where, replayed on its own history, it costs no more reads than the
cadence (a fleet of unlike locks does not).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.locking.requests import Timing
from bot.locking.resolution import Profile

MIN_GAP_S = 0.05  # two planned reads closer than this are one
# One read is enough for a window up to this many near gaps wide: a profile is wider than the
# device's window by about its brackets' width, since each counts as an even chance over itself.
ONE_READ = 1.25


def cadence(timing: Timing, until_s: float | None = None) -> tuple[float, ...]:
    """Today's cadence as read times: each gap `poll_first_s * backoff**n`, capped."""
    until = timing.timeout_s if until_s is None else until_s
    times: list[float] = []
    t, n = 0.0, 0
    while True:
        t += timing.poll_delay(n)
        if t > until:
            return tuple(times)
        times.append(t)
        n += 1


def _backoff(timing: Timing, start_s: float, gap_s: float) -> list[float]:
    times: list[float] = []
    t, gap = start_s, gap_s
    while True:
        gap = min(gap * timing.poll_backoff, max(timing.poll_max_s, gap_s))
        t += gap
        if t > timing.timeout_s:
            return times
        times.append(t)


def _thin(times: Sequence[float]) -> tuple[float, ...]:
    kept: list[float] = []
    for t in sorted(times):
        if t > 0 and (not kept or t - kept[-1] >= MIN_GAP_S):
            kept.append(t)
    return tuple(kept)


def learned(profile: Profile, timing: Timing) -> tuple[float, ...]:
    """Reads crowded where this profile says the answer comes."""
    spread = max(0.0, profile.high - profile.low)
    gaps = max(1, math.ceil(spread / timing.near_gap_s))
    window = [profile.low + spread * k / gaps for k in range(gaps + 1)]
    spacing = spread / gaps if spread > 0 else timing.near_gap_s
    if spread <= ONE_READ * timing.near_gap_s and not profile.check_start:
        # One read finds a narrow window's answer as soon as two would, anywhere past its
        # middle (the median wait is half the window either way); at the p75 it stays inside
        # a profile a little wider than the truth, and the late quarter gets a second read
        # as far past the p90.
        three_quarters = profile.q(0.75)
        spacing = max(profile.high - three_quarters, MIN_GAP_S)
        window = [three_quarters, profile.high + spacing]
    first = window[0]
    before = [t for t in cadence(timing, first) if t < first] if profile.surprised else []
    after = _backoff(timing, window[-1], max(spacing, MIN_GAP_S))
    return _thin([t for t in before + window if t <= timing.timeout_s] + after)


def safety_net(profile: Profile | None, timing: Timing) -> tuple[float, ...]:
    """With events arriving, reads only for an event that got lost: after the tail, then
    doubling, so a lost event costs at most as long again as the lock had taken."""
    first = (profile.tail if profile is not None else timing.poll_max_s) + timing.near_gap_s
    times: list[float] = []
    t = first
    while t <= timing.timeout_s:
        times.append(t)
        t *= 2
    return tuple(times)


def reads_until(times: Sequence[float], resolved_s: float) -> int:
    """How many reads a lock resolving at `resolved_s` costs on these read times."""
    for i, t in enumerate(times):
        if t >= resolved_s:
            return i + 1
    return len(times) + 1  # the read at the deadline


def plan(
    profile: Profile | None, timing: Timing, *, events: bool = False
) -> tuple[float, ...] | None:
    """The read times for a lock of a device with this profile (None: nothing known); None
    for today's cadence, each gap counted from the read before, as ever."""
    if events:
        return safety_net(profile, timing)
    if profile is None:
        return None
    times = learned(profile, timing)
    fallback = cadence(timing)
    ours = sum(reads_until(times, s) for s in profile.midpoints)
    theirs = sum(reads_until(fallback, s) for s in profile.midpoints)
    return times if ours <= theirs else None


def next_read(times: Sequence[float], elapsed_s: float) -> float | None:
    """Seconds from now to the next planned read, None when the plan has no more."""
    for t in times:
        if t >= elapsed_s + MIN_GAP_S:
            return t - elapsed_s
    return None
