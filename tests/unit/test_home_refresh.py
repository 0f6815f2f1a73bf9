"""The App Home's refresh pacing (bot.slack.refresh.Debouncer): one run per person per gap, the
requests in between coalesced, and no more than the minute's budget overall. Its clock is a
stand-in that moves only when the debouncer waits, so nothing here depends on real time."""

from __future__ import annotations

import asyncio

import pytest

from bot.slack.refresh import Debouncer


class Clock:
    """Time that passes only when the test says so (`advance`); sleepers wake as it does."""

    def __init__(self) -> None:
        self.now = 0.0
        self._moved: asyncio.Event | None = None

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        until = self.now + seconds
        while self.now < until:
            self._moved = self._moved or asyncio.Event()
            await self._moved.wait()

    async def advance(self, seconds: float) -> None:
        self.now += seconds
        moved, self._moved = self._moved, None
        if moved is not None:
            moved.set()
        await settle()


class Runs:
    """Records each run as (key, time), optionally holding runs until released."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.seen: list[tuple[str, float]] = []
        self.gate: asyncio.Event | None = None
        self.fail_next = False

    async def __call__(self, key: str) -> None:
        self.seen.append((key, self.clock.now))
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("Slack said no")


async def settle() -> None:
    """Let every task the debouncer started run as far as it can."""
    for _ in range(50):
        await asyncio.sleep(0)


def debouncer(gap_s: float = 3.0, per_minute: int = 90) -> tuple[Debouncer, Runs, Clock]:
    clock = Clock()
    runs = Runs(clock)
    return (
        Debouncer(runs, gap_s=gap_s, per_minute=per_minute, clock=clock, sleep=clock.sleep),
        runs,
        clock,
    )


async def test_the_first_request_runs_at_once_and_those_in_its_gap_coalesce() -> None:
    paced, runs, clock = debouncer(gap_s=3.0)
    paced.request("U1")
    await settle()
    for _ in range(5):
        paced.request("U1")
    paced.request("U2")
    await settle()
    assert runs.seen == [("U1", 0.0), ("U2", 0.0)]
    await clock.advance(2.0)
    assert len(runs.seen) == 2, "not before U1's gap is over"
    await clock.advance(1.0)
    assert runs.seen == [("U1", 0.0), ("U2", 0.0), ("U1", 3.0)]


async def test_a_request_during_a_run_gets_a_run_of_its_own() -> None:
    paced, runs, clock = debouncer(gap_s=1.0)
    runs.gate = asyncio.Event()
    paced.request("U1")
    await settle()
    paced.request("U1")  # the run under way may have read the state before this news
    runs.gate.set()
    await clock.advance(1.0)
    assert runs.seen == [("U1", 0.0), ("U1", 1.0)]


async def test_no_more_runs_in_a_minute_than_the_budget() -> None:
    paced, runs, clock = debouncer(gap_s=0.0, per_minute=3)
    for user in ("U1", "U2", "U3", "U4", "U5"):
        paced.request(user)
    await settle()
    assert len(runs.seen) == 3
    await clock.advance(59.0)
    assert len(runs.seen) == 3
    await clock.advance(1.0)
    assert [at for _, at in runs.seen] == [0.0, 0.0, 0.0, 60.0, 60.0]
    assert sorted(key for key, _ in runs.seen) == ["U1", "U2", "U3", "U4", "U5"]


async def test_a_failed_run_is_logged_and_the_next_request_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    paced, runs, _ = debouncer(gap_s=0.0)
    runs.fail_next = True
    paced.request("U1")
    await settle()
    paced.request("U1")
    await settle()
    assert len(runs.seen) == 2
    assert "refreshing U1 failed" in caplog.text


async def test_after_close_nothing_more_runs() -> None:
    paced, runs, clock = debouncer(gap_s=5.0)
    paced.request("U1")
    await settle()
    paced.request("U1")  # waiting for its gap when the bot stops
    await paced.close()
    paced.request("U2")
    await clock.advance(10.0)
    assert runs.seen == [("U1", 0.0)]
