"""P2 and P2b: how soon the outcome reaches Slack once Seam resolves an attempt, and how many
Seam calls a lock costs, next to the official `seam` SDK's `wait_for_action_attempt` (a fixed
0.5 s poll) on the same delays.

The proxy (bench.common.DelayProxy) holds every new attempt pending and resolves it after a
planned delay: 0.5, 2, 5 and 15 s, each jittered uniformly by ±0.5 s (±half the delay when
shorter) so a cadence meets every phase of the resolution. In each batch, `per_batch` lockbot
locks (each on its own door, all on one fake lock) and as many SDK locks (another fake lock) run
side by side, each started after a random 0 to 0.3 s.

  detection   resolved at the proxy → the first /action_attempts/get that saw success
  to Slack    resolved at the proxy → the root message's chat.update at the fake Slack (lockbot)
  returned    resolved at the proxy → lock_door(wait_for_action_attempt=…) returned (SDK)
  calls       lock_door plus every /action_attempts/get of that attempt, counted at the proxy
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
from seam import Seam
from sqlmodel import col, select

from bench.common import ALLOWED, Stack, bench_door, jittered, summary
from bot.config import Settings
from bot.db import Database
from bot.models import LockRequest
from tests.e2e.conftest import SIGNING_SECRET
from tests.fakes.seam_server import API_KEY, AUGUST_2
from tests.support.slack_requests import signed_headers, slash_command

DELAYS = (0.5, 2.0, 5.0, 15.0)
SDK_POLLING_S = 0.5  # the SDK's default polling_interval
STAGGER_S = 0.3


@dataclass(frozen=True)
class Cadence:
    first_s: float
    backoff: float
    max_s: float

    @property
    def key(self) -> str:
        return f"{self.first_s:g} / {self.backoff:g} / {self.max_s:g}"

    def env(self) -> dict[str, str]:
        # The cadence alone: the learned plan (bench/learning.py) would take over as the one
        # bench lock built a history.
        return {"LOCKBOT_POLL_FIRST": str(self.first_s),
                "LOCKBOT_POLL_BACKOFF": str(self.backoff), "LOCKBOT_POLL_MAX": str(self.max_s),
                "LOCKBOT_POLL_LEARN": "false"}  # fmt: skip

    def poll_times(self, until_s: float) -> list[float]:
        """When the polls come, counted from lock_door's answer (bot.locking.Timing)."""
        times, t, n = [], 0.0, 0
        while t <= until_s:
            t += min(self.first_s * self.backoff**n, self.max_s)
            times.append(t)
            n += 1
        return times


_DEFAULTS = Settings.model_fields
# The shipped defaults (LOCKBOT_POLL_FIRST / _BACKOFF / _MAX), read from Settings so the bench
# always measures what ships.
CURRENT = Cadence(
    _DEFAULTS["poll_first_s"].default,
    _DEFAULTS["poll_backoff"].default,
    _DEFAULTS["poll_max_s"].default,
)
ALTERNATIVES = (
    Cadence(0.5, 1.0, 0.5),  # the SDK's fixed 0.5 s, run by lockbot
    Cadence(0.25, 1.5, 0.5),  # today's start, capped at the SDK's interval
    Cadence(0.25, 1.5, 1.0),  # today's start, the 1 s cap shipped before the first bench run
    Cadence(1.0, 1.0, 1.0),  # fixed 1 s
    Cadence(0.5, 2.0, 2.0),  # fast doubling to 2 s: the fewest calls
)
SDK_AS_CADENCE = Cadence(SDK_POLLING_S, 1.0, SDK_POLLING_S)


def sdk_lock(endpoint: str, stagger_s: float, device_id: str = AUGUST_2) -> tuple[str, float]:
    """Lock through the official SDK and wait as it does; (attempt id, when it returned)."""
    time.sleep(stagger_s)
    seam = Seam(api_key=API_KEY, endpoint=endpoint)
    try:
        attempt = seam.locks.lock_door(
            device_id=device_id,
            wait_for_action_attempt={"timeout": 60.0, "polling_interval": SDK_POLLING_S},
        )
        return str(attempt.action_attempt_id), time.perf_counter()
    finally:
        with contextlib.suppress(Exception):
            seam.client.close()


async def _send_lock(http: httpx.AsyncClient, door: str, stagger_s: float) -> None:
    await asyncio.sleep(stagger_s)
    body = slash_command(door, user_id=ALLOWED)
    response = await http.post("/slack/events", content=body,
                               headers=signed_headers(body, SIGNING_SECRET))  # fmt: skip
    response.raise_for_status()


async def _settled_rows(
    db: Database, stack: Stack, after_id: int, count: int, timeout_s: float
) -> list[LockRequest]:
    """Wait for `count` new rows, all final, each with its root message edited."""
    deadline = time.monotonic() + timeout_s
    while True:
        async with db.session() as s:
            query = select(LockRequest).where(col(LockRequest.id) > after_id)
            rows = list((await s.exec(query)).all())
        updates = stack.slack.root_updates()
        if len(rows) == count and all(r.status.final and r.message_ts in updates for r in rows):
            return rows
        if time.monotonic() > deadline:
            states = [(r.id, r.status.value, r.error_type) for r in rows]
            raise AssertionError(f"batch did not settle in {timeout_s:g} s: {states}")
        await asyncio.sleep(0.05)


def _add(bucket: dict[str, list[float]], **values: float) -> None:
    for name, value in values.items():
        bucket.setdefault(name, []).append(value)


async def _batch(
    stack: Stack,
    db: Database,
    http: httpx.AsyncClient,
    pool: ThreadPoolExecutor,
    size: int,
    with_sdk: bool,
    after_id: int,
    timeout_s: float,
) -> tuple[list[LockRequest], list[tuple[str, float]]]:
    """`size` lockbot locks (one per bench door) and as many SDK locks, all at about once."""
    loop = asyncio.get_running_loop()
    sdk_runs = [
        loop.run_in_executor(pool, sdk_lock, stack.seam.url, random.uniform(0, STAGGER_S))
        for _ in range(size if with_sdk else 0)
    ]
    sends = [_send_lock(http, bench_door(i), random.uniform(0, STAGGER_S))
             for i in range(1, size + 1)]  # fmt: skip
    await asyncio.gather(*sends)
    rows = await _settled_rows(db, stack, after_id, size, timeout_s)
    return rows, list(await asyncio.gather(*sdk_runs))


async def run_cadence(
    stack: Stack,
    cadence: Cadence,
    delays: Iterable[float] = DELAYS,
    per_batch: int = 15,
    rounds: int = 2,
    with_sdk: bool = True,
) -> tuple[dict[float, dict[str, list[float]]], dict[float, dict[str, list[float]]]]:
    """Run lockbot on `cadence` (and the SDK beside it): per delay, the raw samples of each."""
    url = stack.new_database()
    bot = await stack.start_bot(url, bench_doors=per_batch, **cadence.env())
    db = Database(url)
    ours: dict[float, dict[str, list[float]]] = {}
    sdk: dict[float, dict[str, list[float]]] = {}
    last_id = 0
    try:
        async with httpx.AsyncClient(base_url=bot.url, timeout=10) as http:
            with ThreadPoolExecutor(max_workers=per_batch) as pool:
                for delay in delays:
                    for _ in range(rounds):
                        stack.seam.resolve_after = jittered(delay)
                        rows, sdk_done = await _batch(
                            stack, db, http, pool, per_batch, with_sdk, last_id, delay + 20
                        )
                        last_id = max(r.id or 0 for r in rows)
                        _collect(stack, rows, sdk_done, ours.setdefault(delay, {}),
                                 sdk.setdefault(delay, {}))  # fmt: skip
    finally:
        stack.seam.resolve_after = None
        await db.close()
        await stack.stop_bot(bot)
    return ours, sdk


def _collect(
    stack: Stack,
    rows: list[LockRequest],
    sdk_done: list[tuple[str, float]],
    ours: dict[str, list[float]],
    sdk: dict[str, list[float]],
) -> None:
    updates = stack.slack.root_updates()
    for row in rows:
        trace = stack.seam.traces[str(row.action_attempt_id)]
        assert trace.resolved_at and trace.detected_at, trace
        _add(ours, detection=trace.detected_at - trace.resolved_at,
             to_slack=updates[str(row.message_ts)] - trace.resolved_at, calls=trace.calls)  # fmt: skip
    for attempt_id, returned in sdk_done:
        trace = stack.seam.traces[attempt_id]
        assert trace.resolved_at and trace.detected_at, trace
        _add(sdk, detection=trace.detected_at - trace.resolved_at,
             returned=returned - trace.resolved_at, calls=trace.calls)  # fmt: skip


def _summarise(samples: dict[float, dict[str, list[float]]]) -> dict[str, Any]:
    return {
        f"{delay:g}": {name: summary(values) | {"samples": values}
                       for name, values in by_name.items()}
        for delay, by_name in samples.items()
    }  # fmt: skip


async def p2(
    stack: Stack,
    cadences: Iterable[Cadence] = (CURRENT, *ALTERNATIVES),
    delays: Iterable[float] = DELAYS,
    per_batch: int = 15,
    rounds_current: int = 3,
    rounds_other: int = 2,
) -> dict[str, Any]:
    """Every cadence on every delay, the SDK beside each run (pooled)."""
    delays = tuple(delays)
    results: dict[str, Any] = {"current": CURRENT.key, "delays": list(delays), "cadences": {}}
    sdk_all: dict[float, dict[str, list[float]]] = {}
    for cadence in cadences:
        rounds = rounds_current if cadence == CURRENT else rounds_other
        ours, sdk = await run_cadence(stack, cadence, delays, per_batch, rounds)
        results["cadences"][cadence.key] = {
            "first_s": cadence.first_s, "backoff": cadence.backoff, "max_s": cadence.max_s,
            "by_delay": _summarise(ours),
        }  # fmt: skip
        for delay, by_name in sdk.items():
            for name, values in by_name.items():
                sdk_all.setdefault(delay, {}).setdefault(name, []).extend(values)
    results["sdk"] = {"polling_interval_s": SDK_POLLING_S, "by_delay": _summarise(sdk_all)}
    results["model"] = model_grid(delays)
    return results


# -- the model: what a cadence costs and detects, from its poll times alone ----------------------


def model(cadence: Cadence, delay_s: float, draws: int = 4000, seed: int = 7) -> dict[str, float]:
    """Resolution uniform over the same jitter as the bench; no network or processing time."""
    rng = random.Random(seed)
    width = min(0.5, delay_s / 2)
    polls = cadence.poll_times(delay_s + width + 5)
    detections, calls = [], []
    for _ in range(draws):
        t = rng.uniform(delay_s - width, delay_s + width)
        k = next(i for i, p in enumerate(polls) if p >= t)
        detections.append(polls[k] - t)
        calls.append(1 + k + 1)
    return {
        "detection_p50": statistics.median(detections),
        "detection_max": max(detections),
        "calls_p50": statistics.median(calls),
        "calls_mean": statistics.fmean(calls),
    }


MODEL_GRID = [Cadence(f, b, m) for f in (0.25, 0.5, 1.0) for b in (1.0, 1.25, 1.5, 2.0)
              for m in (0.5, 0.75, 1.0, 1.5, 2.0, 3.0) if f <= m]  # fmt: skip


def model_grid(delays: Iterable[float]) -> dict[str, Any]:
    """Every grid cadence and the SDK, modelled; and which grid cadences meet both P2b goals
    (≤ 6 calls at 5 s, median detection no slower than the SDK's at every delay)."""
    delays = tuple(delays)
    sdk = {f"{d:g}": model(SDK_AS_CADENCE, d) for d in delays}
    grid = {c.key: {f"{d:g}": model(c, d) for d in delays} for c in MODEL_GRID}
    both = [
        key for key, by_delay in grid.items()
        if "5" in by_delay and by_delay["5"]["calls_p50"] <= 6
        and all(by_delay[d]["detection_p50"] <= sdk[d]["detection_p50"] + 1e-9 for d in by_delay)
    ]  # fmt: skip
    no_slower = [key for key, by_delay in grid.items()
                 if all(by_delay[d]["detection_p50"] <= sdk[d]["detection_p50"] + 1e-9
                        for d in by_delay)]  # fmt: skip
    few_calls = [
        key for key, by_delay in grid.items() if "5" in by_delay and by_delay["5"]["calls_p50"] <= 6
    ]
    return {
        "sdk": sdk,
        "grid": grid,
        "meets_both": both,
        # The best a cadence does on one goal while it keeps the other.
        "fewest_calls_no_slower": min(no_slower, key=lambda k: grid[k]["5"]["calls_mean"],
                                      default=None) if "5" in sdk else None,
        "fastest_with_6_calls": min(few_calls, key=lambda k: grid[k]["5"]["detection_p50"],
                                    default=None),
    }  # fmt: skip
