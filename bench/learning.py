"""The poll plan learned per device (#17): three locks that answer in their own time (about
1 s, 4.5 s and 9 s, each ±15 %, uniformly), lockbot's locks of each and the official SDK's
`wait_for_action_attempt` on the same lock, all in one run.

For each lock (device), in parallel with the others:
  cold    `cold_batch` locks at once, on as many doors of that lock: no history yet
  warm-up `warmup` more, one after another (10 locks in all, by default)
  warm    `warm` more, one after another, measured
and, the whole time, the SDK locking the same device again and again (a thread per device).
Run twice: with Seam's events off (reads alone) and on (the proxy sends Seam's webhook for
every attempt as it succeeds, signed like Seam's).

  detection   resolved at the proxy → the first /action_attempts/get that saw success
  to Slack    resolved at the proxy → the root message's chat.update at the fake Slack
  from event  the webhook's POST → that chat.update (events on)
  calls       lock_door plus every read of that attempt; reads: the reads alone
  cadence     today's cadence replayed on the same resolution times
and, as the baseline for cold, today's cadence alone (LOCKBOT_POLL_LEARN=false), measured on the
same three locks in the same run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlmodel import col, select

from bench.common import ALLOWED, AttemptTrace, Stack, summary
from bench.outcome import CURRENT, sdk_lock
from bot.access import grant
from bot.db import Database
from bot.door_admin import add_door
from bot.models import LockRequest
from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.test_seam_webhook import SECRET as WEBHOOK_SECRET
from tests.e2e.test_seam_webhook import WEBHOOK, seam_event, signed
from tests.fakes.seam_server import AUGUST_1, AUGUST_2, SCHLAGE
from tests.support.slack_requests import signed_headers, slash_command

PROFILES = ((1.0, AUGUST_1), (4.5, AUGUST_2), (9.0, SCHLAGE))
JITTER = 0.15
PAUSE_S = 0.3  # up to this long between one lock's outcome and the next, at random


def door(profile_s: float, i: int) -> str:
    return f"Learn {profile_s:g} {i}"


def _add(bucket: dict[str, list[float]], **values: float) -> None:
    for name, value in values.items():
        bucket.setdefault(name, []).append(value)


class Run:
    """One bot on a fresh database, the three locks, the SDK beside them."""

    def __init__(self, stack: Stack, events: bool) -> None:
        self.stack, self.events = stack, events
        self.db: Database | None = None
        self.http: httpx.AsyncClient | None = None
        self.last_id: dict[str, int] = {}
        self.posted: dict[str, float] = {}  # attempt id → when its webhook was sent

    async def start(self, profiles: tuple[tuple[float, str], ...], doors: int,
                    env: dict[str, str]) -> None:  # fmt: skip
        url = self.stack.new_database()
        if self.events:
            env = env | {"SEAM_WEBHOOK_SECRET": WEBHOOK_SECRET}
        self.bot = await self.stack.start_bot(url, **env)
        self.db = Database(url)
        async with self.db.session() as s:
            for profile_s, device in profiles:
                for i in range(1, doors + 1):
                    await add_door(s, door(profile_s, i), device)
                    await grant(s, ALLOWED, door(profile_s, i))
            await s.commit()
        self.http = httpx.AsyncClient(base_url=self.bot.url, timeout=10)
        seam = self.stack.seam
        seam.by_device = {
            device: (lambda c=profile_s: random.uniform(c * (1 - JITTER), c * (1 + JITTER)))
            for profile_s, device in profiles
        }
        seam.on_resolved = self._tell if self.events else None

    async def stop(self) -> None:
        seam = self.stack.seam
        seam.by_device, seam.on_resolved = {}, None
        if self.http is not None:
            await self.http.aclose()
        if self.db is not None:
            await self.db.close()
        await self.stack.stop_bot(self.bot)

    async def _tell(self, trace: AttemptTrace) -> None:
        """Seam's webhook for an attempt that just succeeded (the SDK's too, as Seam would)."""
        assert self.http is not None
        event = seam_event("action_attempt.lock_door.succeeded", device_id=str(trace.device_id),
                           action_attempt_id=trace.attempt_id, action_type="LOCK_DOOR",
                           status="success")  # fmt: skip
        payload = json.dumps(event)
        self.posted[trace.attempt_id] = time.perf_counter()
        # The SDK's last attempt may succeed as the bot stops: nobody waits for that one.
        with contextlib.suppress(httpx.TransportError):
            await self.http.post(WEBHOOK, content=payload, headers=signed(payload))

    async def lock(self, name: str) -> LockRequest:
        """Lock a door; its row once final and told in Slack."""
        assert self.http is not None and self.db is not None
        before = self.last_id.get(name, 0)
        body = slash_command(name.lower(), user_id=ALLOWED)
        response = await self.http.post("/slack/events", content=body,
                                         headers=signed_headers(body, SIGNING_SECRET))  # fmt: skip
        response.raise_for_status()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            async with self.db.session() as s:
                query = select(LockRequest).where(
                    col(LockRequest.door_name) == name, col(LockRequest.id) > before
                )
                row = (await s.exec(query)).first()
            if (
                row is not None
                and row.status.final
                and row.message_ts in self.stack.slack.root_updates()
            ):
                assert row.id is not None
                self.last_id[name] = row.id
                return row
            await asyncio.sleep(0.02)
        raise AssertionError(f"{name} did not settle")


def _sample(stack: Stack, run: Run, row: LockRequest, into: dict[str, list[float]],
            schedule: list[list[float]]) -> None:  # fmt: skip
    trace = stack.seam.traces[str(row.action_attempt_id)]
    assert trace.resolved_at and trace.resolve_after_s, (trace, row)
    told = stack.slack.root_updates()[str(row.message_ts)]
    cadence = CURRENT.poll_times(trace.resolve_after_s + 5)
    seen = next(t for t in cadence if t >= trace.resolve_after_s)
    _add(into, to_slack=told - trace.resolved_at, calls=trace.calls, reads=trace.calls - 1,
         resolved_s=trace.resolve_after_s, cadence_calls=2 + cadence.index(seen),
         cadence_detection=seen - trace.resolve_after_s)  # fmt: skip
    if trace.detected_at is not None:  # a read saw it (with events on, the event came first)
        _add(into, detection=trace.detected_at - trace.resolved_at)
    if trace.attempt_id in run.posted:
        _add(into, from_event=told - run.posted[trace.attempt_id])
    schedule.append([t - trace.locked_at for t in trace.reads_at])


def _sdk_loop(endpoint: str, device: str, stop: threading.Event) -> list[tuple[str, float]]:
    done = []
    while not stop.is_set():
        done.append(sdk_lock(endpoint, random.uniform(0, PAUSE_S), device))
    return done


async def _device(run: Run, profile_s: float, cold_batch: int, warmup: int, warm: int
                  ) -> dict[str, Any]:  # fmt: skip
    stack = run.stack
    out: dict[str, Any] = {"cold": {}, "warm": {}, "schedule": {"cold": [], "warm": []}}
    rows = await asyncio.gather(*(run.lock(door(profile_s, i)) for i in range(1, cold_batch + 1)))
    for row in rows:
        _sample(stack, run, row, out["cold"], out["schedule"]["cold"])
    for i in range(warmup + warm):
        await asyncio.sleep(random.uniform(0, PAUSE_S))
        row = await run.lock(door(profile_s, 1))
        if i >= warmup:
            _sample(stack, run, row, out["warm"], out["schedule"]["warm"])
    return out


Raw = dict[str, Any]  # {"lockbot": {profile: {"cold", "warm": {name: [..]}, "schedule"}}, "sdk": …}


async def run_once(stack: Stack, profiles: tuple[tuple[float, str], ...], cold_batch: int,
                   warmup: int = 0, warm: int = 0, *, events: bool = False, sdk: bool = False,
                   learn: bool = True) -> Raw:  # fmt: skip
    """A fresh database and bot: a cold batch per lock, then (optionally) warm-up and warm
    locks, with the SDK beside them when `sdk`."""
    run = Run(stack, events)
    await run.start(profiles, cold_batch, {} if learn else {"LOCKBOT_POLL_LEARN": "false"})
    stop = threading.Event()
    loop = asyncio.get_running_loop()
    try:
        with ThreadPoolExecutor(max_workers=len(profiles)) as pool:
            sdk_runs = [loop.run_in_executor(pool, _sdk_loop, stack.seam.url, device, stop)
                        for _, device in profiles if sdk]  # fmt: skip
            try:
                ours = await asyncio.gather(*(_device(run, p, cold_batch, warmup, warm)
                                              for p, _ in profiles))  # fmt: skip
            finally:
                stop.set()
            sdk_done = await asyncio.gather(*sdk_runs)
    finally:
        await run.stop()
    raw: Raw = {"lockbot": {f"{p:g}": mine for (p, _), mine in zip(profiles, ours, strict=True)},
                "sdk": {}}  # fmt: skip
    for (profile_s, _), theirs in zip(profiles, sdk_done, strict=False):
        samples: dict[str, Any] = {"schedule": []}
        for attempt_id, returned in theirs:
            trace = stack.seam.traces[attempt_id]
            assert trace.resolved_at and trace.detected_at, trace
            _add(samples, detection=trace.detected_at - trace.resolved_at,
                 returned=returned - trace.resolved_at, calls=trace.calls,
                 reads=trace.calls - 1)  # fmt: skip
            samples["schedule"].append([t - trace.locked_at for t in trace.reads_at])
        raw["sdk"][f"{profile_s:g}"] = samples
    return raw


def _more_cold(into: Raw, more: Raw) -> None:
    for p, mine in more["lockbot"].items():
        for name, values in mine["cold"].items():
            into["lockbot"][p]["cold"].setdefault(name, []).extend(values)
        into["lockbot"][p]["schedule"]["cold"] += mine["schedule"]["cold"]


def _summarised(figures: dict[str, Any]) -> dict[str, Any]:
    return {name: values if name == "schedule" else summary(values) | {"samples": values}
            for name, values in figures.items()}  # fmt: skip


def _summary(raw: Raw) -> dict[str, Any]:
    return {
        "lockbot": {p: {"cold": _summarised(v["cold"]), "warm": _summarised(v["warm"]),
                        "schedule": v["schedule"]} for p, v in raw["lockbot"].items()},
        "sdk": {p: _summarised(v) for p, v in raw["sdk"].items()},
    }  # fmt: skip


async def learned(stack: Stack, profiles: tuple[tuple[float, str], ...] = PROFILES,
                  cold_batch: int = 5, warmup: int = 5, warm: int = 20, cold_rounds: int = 3,
                  events: tuple[bool, ...] = (False, True)) -> dict[str, Any]:  # fmt: skip
    """See the module's docstring. Every round on a fresh database and bot: per run (events
    off, on) one with the SDK beside it and `cold_rounds - 1` more cold batches; then today's
    cadence alone (`LOCKBOT_POLL_LEARN=false`), `cold_rounds` batches, the baseline for cold."""
    results: dict[str, Any] = {
        "profiles": [p for p, _ in profiles], "jitter": JITTER, "cold_batch": cold_batch,
        "cold_rounds": cold_rounds, "warmup": warmup, "warm": warm, "cadence": CURRENT.key,
        "runs": {},
    }  # fmt: skip
    for on in events:
        raw = await run_once(stack, profiles, cold_batch, warmup, warm, events=on, sdk=True)
        for _ in range(cold_rounds - 1):
            _more_cold(raw, await run_once(stack, profiles, cold_batch, events=on))
        results["runs"]["on" if on else "off"] = _summary(raw)
    baseline = await run_once(stack, profiles, cold_batch, learn=False)
    for _ in range(cold_rounds - 1):
        _more_cold(baseline, await run_once(stack, profiles, cold_batch, learn=False))
    results["today"] = _summary(baseline)["lockbot"]
    return results
