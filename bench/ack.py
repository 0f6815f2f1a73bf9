"""P1: how fast a signed `/lock` is acked at POST /slack/events, next to two baselines.

P1a sends one request after another on one keep-alive connection and times each; P1b lets `wrk`
drive 50 connections for a while. The targets, each its own process on 127.0.0.1:

  raw aiohttp        answers 200 at once: the physical floor
  default Bolt       AsyncApp with default settings whose /lock only calls ack()
  Bolt, pbr          the same with process_before_response=True, as lockbot runs it (context)
  lockbot, denied    the real path for a user who may not lock: parse, rate-limit, resolve,
                     authorize, record (committed), then the ack
  lockbot, joins     the same for a user who may: the first request leads a lock that Seam keeps
                     pending, and every later one joins it (recorded, acked)
lockbot runs on SQLite, and on PostgreSQL too when the bench has a server for it (PG_URL,
from LOCKBOT_BENCH_PG_URL or LOCKBOT_TEST_DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import ALLOWED, DENIED, PG_URL, RawClient, Stack, signed_lock, summary
from bench.servers import ServerProcess
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.slack_requests import signed_headers, slash_command

# The rate limit stays on (an ample value) so every request is counted, as in production.
AMPLE_RATE_LIMIT = "1000000"


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    kind: str  # a bench.servers kind, or "lockbot"
    user: str = ALLOWED
    database: str = "sqlite"  # lockbot's: sqlite or postgresql


TARGETS = (
    Target("raw", "raw aiohttp handler (floor)", "raw"),
    Target("bolt", "default Bolt AsyncApp, ack() only", "bolt"),
    Target("bolt_pbr", "Bolt AsyncApp, process_before_response, ack() only", "bolt-pbr"),
    Target("lockbot_denied", "lockbot on SQLite, denied user", "lockbot", DENIED),
    Target("lockbot_joined", "lockbot on SQLite, allowed user, joins the lock in flight",
           "lockbot", ALLOWED),
    Target("lockbot_denied_pg", "lockbot on PostgreSQL, denied user", "lockbot", DENIED,
           "postgresql"),
    Target("lockbot_joined_pg", "lockbot on PostgreSQL, allowed user, joins the lock in flight",
           "lockbot", ALLOWED, "postgresql"),
)  # fmt: skip


def available(targets: tuple[Target, ...] = TARGETS) -> tuple[Target, ...]:
    """The targets this machine can run: PostgreSQL's only with a server (PG_URL)."""
    return tuple(t for t in targets if t.database == "sqlite" or PG_URL)


@contextlib.asynccontextmanager
async def serving(stack: Stack, target: Target) -> AsyncIterator[tuple[int, int]]:
    """The target running on a fresh database when it is lockbot: (port, pid)."""
    if target.kind != "lockbot":
        server = ServerProcess(target.kind, stack.slack.api_url, SIGNING_SECRET, BOT_TOKEN)
        await server.start()
        try:
            yield server.port, server.pid
        finally:
            await server.stop()
        return
    stack.seam.resolve_after = None  # attempts stay pending: later requests join the first
    bot = await stack.start_bot(
        stack.new_database(target.database), LOCKBOT_RATE_LIMIT=AMPLE_RATE_LIMIT
    )
    try:
        assert bot.process is not None
        yield bot.port, bot.process.pid
    finally:
        await stack.stop_bot(bot)


async def sequential(port: int, user: str, count: int, warmup: int) -> list[float]:
    request = signed_lock("front door", user, port)

    def run() -> list[float]:
        with RawClient(port) as client:
            client.timed(request, warmup)
            return client.timed(request, count)

    return await asyncio.to_thread(run)


async def p1a(
    stack: Stack, count: int = 2000, warmup: int = 200, targets: tuple[Target, ...] | None = None
) -> dict[str, Any]:
    """Ack latency, one client: {target: {label, p50, p99, …, samples}} in seconds."""
    results: dict[str, Any] = {}
    for target in available() if targets is None else targets:
        async with serving(stack, target) as (port, _):
            timings = await sequential(port, target.user, count, warmup)
        results[target.key] = {"label": target.label, **summary(timings), "samples": timings}
    return results


# -- P1b: wrk ---------------------------------------------------------------------------------


def ensure_wrk() -> str | None:
    """The path of wrk, installing Debian's package when missing and root; None: skipped."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return found
    for command in (["apt-get", "install", "-y", "-q", "wrk"], ["apt-get", "update", "-q"],
                    ["apt-get", "install", "-y", "-q", "wrk"]):  # fmt: skip
        done = subprocess.run(command, capture_output=True, check=False)
        if command[1] == "install" and done.returncode == 0:
            break
    return shutil.which("wrk")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, every thread) the process has used: per request, steadier than
    req/s on a machine shared with other work, which takes the cores from both alike."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk_script(port: int, user: str) -> str:
    body = slash_command("front door", user_id=user)
    # A fixed timestamp, signed once: Bolt accepts it for 5 minutes, far longer than a run.
    headers = signed_headers(body, SIGNING_SECRET, timestamp=int(time.time()))
    lines = ['wrk.method = "POST"', f"wrk.body = [==[{body}]==]"]
    lines += [f'wrk.headers["{name}"] = "{value}"' for name, value in headers.items()]
    return "\n".join(lines) + "\n"


_UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNIT[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    result: dict[str, Any] = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])}  # type: ignore[index]
    total = re.search(r"(\d+) requests in ([\d.]+\w+)", output)
    if total:
        result["requests"] = int(total[1])
    for q in ("50", "90", "99"):
        found = re.search(rf"^\s+{q}(?:\.000)?%\s+([\d.]+\w+)", output, re.MULTILINE)
        if found:
            result[f"p{q}"] = _seconds(found[1])
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = int(non_2xx[1]) if non_2xx else 0
    errors = re.search(r"Socket errors: (.*)", output)
    result["socket_errors"] = errors[1].strip() if errors else ""
    return result


async def p1b(
    stack: Stack, duration_s: int = 10, connections: int = 50, threads: int = 2
) -> dict[str, Any]:
    """Ack throughput under wrk: {target: {label, rps, p50, p99, non_2xx, …}}, or skipped."""
    wrk = ensure_wrk()
    if wrk is None:
        return {"skipped": "wrk is not installed (and this is not root with apt-get to install it)"}
    results: dict[str, Any] = {"settings": f"wrk -t{threads} -c{connections} -d{duration_s}s"}
    with tempfile.TemporaryDirectory() as tmp:
        for target in available():
            async with serving(stack, target) as (port, pid):
                # Warmed up as P1a is: the first lock's Seam call imports httpx's async backend.
                await sequential(port, target.user, 0, 200)
                cpu_before = cpu_seconds(pid)
                script = Path(tmp) / f"{target.key}.lua"
                script.write_text(wrk_script(port, target.user))
                command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration_s}s",
                           "--latency", "-s", str(script), f"http://127.0.0.1:{port}/slack/events"]  # fmt: skip
                done = await asyncio.to_thread(
                    subprocess.run, command, capture_output=True, text=True, check=True
                )
                cpu_s = cpu_seconds(pid) - cpu_before
            measured = parse_wrk(done.stdout)
            if measured.get("requests"):
                measured["cpu_us"] = cpu_s / measured["requests"] * 1e6
            results[target.key] = {"label": target.label, **measured}
    return results
