"""When a lock answers: a small model of each device's resolution time, learned from its
recent locks (pure; the tracker feeds it, `poll_plan` turns it into read times).

Each lock Seam confirmed gives a `Bracket`, in seconds after `lock_door` answered: the attempt
resolved after the last read that saw it pending (or at an event's time) and by the read, or
the event, that told us it had ended. Lockbot never sees the moment itself. Taking the read that
saw it as the time would be late by up to a gap between reads, and plans built on that would
drift later with every lock; so a bracket counts as what it is, an even chance anywhere inside
it, and the quantiles are those of all the brackets together. Wide brackets (a cold device's
gaps) thus make a wide profile, which earns more reads, which make narrower brackets.

A bracket nothing opened (no read saw the attempt pending) says only "by then"; where it fell
below that read comes from the profile (see `History.judge`). Failed and
timed-out locks are never added, and quantiles of a window of 20 are not moved by one or two
outliers.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

WINDOW = 20  # locks kept per device: recent enough to follow a device that changes
WARM = 5  # samples a device needs before its own profile is trusted
# Locks confirmed by one read after the window teach nothing about where the window starts;
# with fewer samples than this in the window, the next lock reads both edges again.
FRESH = 8
FLEET = 200  # samples pooled across devices, newest kept
SURPRISE_AT, SURPRISE_OF = 2, 3  # this many early locks of the last few: read from the start
# A bracket wider than this (a failed read in between, a restart) says too little to keep.
MAX_WIDTH_S = 2.0
POINT_S = 1e-6  # the width given to a span whose ends meet (an event's time)
# The tail may not reach past the p90 by more than this many p10–p90 spreads, so that one
# outlier in a window of 20, which is its p99, does not carry it away.
TAIL_FENCE = 2.0


@dataclass(frozen=True)
class Bracket:
    """When one attempt resolved: after `after_s` and by `by_s`, counted from lock_door's answer."""

    after_s: float
    by_s: float

    @property
    def opened(self) -> bool:
        """Something saw the attempt still pending: a read, or the event's own time."""
        return self.after_s > 0

    @property
    def informative(self) -> bool:
        return self.opened and 0 <= self.by_s - self.after_s <= MAX_WIDTH_S


@dataclass(frozen=True)
class Sample:
    """What one lock adds to a history: a span the resolution fell in, or nothing (None)."""

    span: tuple[float, float] | None
    # Nothing saw the attempt pending: the span's start is the profile's word, not a read's.
    assumed: bool = False
    early: bool = False  # resolved before a read that came before most of the device's locks


class Spread:
    """The distribution of a set of spans, each an even chance over itself (a point when its
    two ends meet): quantiles of the mixture, linear between the spans' ends."""

    def __init__(self, spans: Iterable[tuple[float, float]]) -> None:
        widened = [(lo, max(hi, lo + POINT_S)) for lo, hi in spans]
        if not widened:
            raise ValueError("no spans")
        # The mixture's CDF is linear between ends, its slope changing at each one: one sweep.
        share = 1 / len(widened)
        turns: dict[float, float] = {}
        for lo, hi in widened:
            turns[lo] = turns.get(lo, 0.0) + share / (hi - lo)
            turns[hi] = turns.get(hi, 0.0) - share / (hi - lo)
        self.ends = sorted(turns)
        self.cdf: list[float] = []
        slope, total, previous = 0.0, 0.0, self.ends[0]
        for x in self.ends:
            total += slope * (x - previous)
            self.cdf.append(total)
            slope += turns[x]
            previous = x

    def quantile(self, q: float) -> float:
        q = min(1.0, max(0.0, q)) * self.cdf[-1]  # the sum of floats may miss 1 by a hair
        # The first end where the CDF reaches q, give or take what summing floats loses.
        i = bisect.bisect_left(self.cdf, q - 1e-12)
        if i == 0:
            return self.ends[0]
        f0, f1 = self.cdf[i - 1], self.cdf[i]
        x0, x1 = self.ends[i - 1], self.ends[i]
        return x0 + (x1 - x0) * ((q - f0) / (f1 - f0) if f1 > f0 else 0.0)


@dataclass(frozen=True)
class Profile:
    """What a history says, in the terms a plan needs."""

    spans: tuple[tuple[float, float], ...]
    # Read the lower edge too: the window holds few samples, or recent locks came early.
    check_start: bool = False
    # Recent locks resolved before the first read: the device may have got quicker, and only
    # reads from the start can tell by how much.
    surprised: bool = False
    source: str = "device"  # device | fleet

    def __post_init__(self) -> None:
        object.__setattr__(self, "_spread", Spread(self.spans))

    def q(self, q: float) -> float:
        spread: Spread = self.__dict__["_spread"]
        return spread.quantile(q)

    @property
    def low(self) -> float:
        return self.q(0.1)

    @property
    def median(self) -> float:
        return self.q(0.5)

    @property
    def high(self) -> float:
        return self.q(0.9)

    @property
    def tail(self) -> float:
        """About the p99, fenced (see TAIL_FENCE)."""
        return min(self.q(0.99), self.high + TAIL_FENCE * (self.high - self.low))

    @property
    def midpoints(self) -> list[float]:
        return [(lo + hi) / 2 for lo, hi in self.spans]


@dataclass
class History:
    """One device's recent locks."""

    samples: deque[Sample] = field(default_factory=lambda: deque(maxlen=WINDOW))

    def add(self, bracket: Bracket) -> Sample:
        self.samples.append(sample := self.judge(bracket))
        return sample

    def judge(self, bracket: Bracket) -> Sample:
        if bracket.informative:
            return Sample((bracket.after_s, bracket.by_s))
        before = self.profile()
        if bracket.opened or before is None:
            return Sample(None)  # too wide to say anything, or nothing to judge it by
        # Nothing saw it pending, so only "by then" is known. Where it fell below that read is
        # taken from the profile: from its p10 on; or, when the read came before most of the
        # device's locks, from as far before the read as the profile is wide, so that early
        # locks pull the first read earlier, and never hold it where it was.
        by, low = bracket.by_s, before.low
        if by < before.median:
            start = max(0.0, min(low, by) - (before.high - low))
            return Sample((start, by), assumed=True, early=True)
        return Sample((min(low, by), by), assumed=True)

    @property
    def surprised(self) -> bool:
        recent = list(self.samples)[-SURPRISE_OF:]
        return sum(s.early for s in recent) >= SURPRISE_AT

    def profile(self) -> Profile | None:
        spans = [s.span for s in self.samples if s.span is not None]
        if len(spans) < WARM:
            return None
        # Spans only assumed (single reads) keep a profile, which then reads both edges.
        seen = sum(1 for s in self.samples if s.span is not None and not s.assumed)
        surprised = self.surprised
        return Profile(tuple(spans), check_start=seen < FRESH or surprised, surprised=surprised)


@dataclass
class Resolutions:
    """Every device's history, the fleet's pooled samples, and whether Seam's events have been
    settling this process's locks (then reads are only a safety net)."""

    devices: dict[str, History] = field(default_factory=dict)
    fleet: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=FLEET))
    events_flowing: bool = False
    # Profiles are asked for at every read and change only when a lock settles.
    _profiles: dict[str, Profile | None] = field(default_factory=dict, repr=False)

    def observe(self, device_id: str, bracket: Bracket) -> None:
        sample = self.devices.setdefault(device_id, History()).add(bracket)
        if sample.span is not None:
            self.fleet.append(sample.span)
        self._profiles.clear()  # the fleet's may have changed too

    def settled(self, *, by_event: bool) -> None:
        """Who told this process of its last outcome: an event, or one of its reads."""
        self.events_flowing = by_event

    def profile(self, device_id: str) -> Profile | None:
        """The device's own, else the fleet's (which a plan follows only where it pays)."""
        if device_id not in self._profiles:
            self._profiles[device_id] = self._profile(device_id)
        return self._profiles[device_id]

    def _profile(self, device_id: str) -> Profile | None:
        history = self.devices.get(device_id)
        own = history.profile() if history is not None else None
        if own is not None:
            return own
        if len(self.fleet) < WARM:
            return None
        return Profile(tuple(self.fleet), check_start=True, source="fleet")
