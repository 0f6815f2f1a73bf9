"""Where the ack's time goes: py-spy samples the bot process while one client sends signed /lock
requests (allowed user, joining the lock in flight: the longest ack path), one after another.

py-spy counts on-CPU samples of every thread (the event loop and aiosqlite's worker), so the
shares below are of the CPU the bot spent, not of wall time.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.ack import AMPLE_RATE_LIMIT, sequential
from bench.common import ALLOWED, Stack

# Shares of the samples whose stack holds a frame matching the regex (leaf_only: the running
# frame itself). SQLAlchemy's async layer runs statements in greenlets, which py-spy shows as stacks
# of their own, so the `lockbot:` rows undercount what their queries cost; the SQLAlchemy and
# aiosqlite rows count every stack.
STAGES: tuple[tuple[str, str, bool], ...] = (
    ("aiohttp request handling (everything from the socket to the response)",
     r"RequestHandler\._handle_request \(aiohttp/", False),
    ("Bolt: body parsing", r"to_bolt_request \(slack_bolt/", False),
    ("Bolt: signature check", r"\(slack_sdk/signature/|request_verification", False),
    ("lockbot: the /lock listener (handle)", r"build_app\.<locals>\.handle \(bot/slack/app", False),
    ("lockbot: LockService.submit", r"(LockService|Intake)\.submit \(bot/locking", False),
    ("lockbot: find_door query", r"^find_door \(bot/names", False),
    ("lockbot: rate-limit count query", r"Intake\._over_limit \(bot/locking", False),
    ("lockbot: access (grants) query", r"AccessPolicy\.may_lock \(bot/access", False),
    ("lockbot: in-flight query", r"Intake\._in_flight \(bot/locking", False),
    ("lockbot: building the LockRequest row", r"__init__ for class bot\.models", False),
    ("lockbot: catch-up task after a join (after the ack)", r"Tracker\.catch_up", False),
    ("SQLAlchemy + sqlmodel, all of it", r"\((sqlalchemy|sqlmodel)/|<sqlalchemy generated", False),
    ("SQLAlchemy: session commit (flush + COMMIT)", r"Session\.commit \(sqlalchemy/orm", False),
    ("SQLAlchemy: statement cache keys", r"_generate_cache_key \(sqlalchemy/", False),
    ("aiosqlite, all of it (hand-offs to its thread and back)", r"\(aiosqlite/", False),
    ("aiosqlite: queue hand-off to its thread (one per cursor call)",
     r"^Connection\._execute \(aiosqlite/core\.py:158\)", True),
    ("logging (records, JSON, scrubbing)", r"\(logging/|\(bot/logs\.py", False),
    ("prometheus_client", r"\(prometheus_client/", False),
    ("asyncio / selectors, as the running frame", r"\((asyncio/|selectors\.py)", True),
)  # fmt: skip


def py_spy() -> str | None:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


def _short(frame: str) -> str:
    """`func (/long/path/site-packages/pkg/mod.py:12)` → `func (pkg/mod.py:12)`."""
    return re.sub(r"\((?:[^()]*/(?:site-packages|lib/python3\.\d+|wt-bench|main))/", "(", frame)


def analyse(raw: str, top: int = 15) -> dict[str, Any]:
    """Collapsed stacks (`a;b;c N`) → totals, stage shares, top self and inclusive functions."""
    total = 0
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    for line in raw.splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        if not stack_text or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack_text.split(";")]
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[_strip_line(frame)] += count
        for label, pattern, leaf_only in STAGES:
            if any(re.search(pattern, f) for f in (frames[-1:] if leaf_only else frames)):
                stages[label] += count

    def share(n: int) -> float:
        return round(100 * n / total, 1) if total else 0.0

    return {
        "samples": total,
        "stages": [(label, share(stages[label])) for label, _, _ in STAGES],
        "self": [(f, share(n)) for f, n in own.most_common(top)],
        "inclusive": [(f, share(n)) for f, n in inclusive.most_common(top * 4)
                      if not re.search(_PLUMBING, f)][:top],
    }  # fmt: skip


# Frames every sample has (the CLI, the event loop, threads): no news in a top list.
_PLUMBING = r"\((asyncio/|typer/|<frozen runpy>|threading\.py|bot/cli/|bot/__main__\.py)"


def _strip_line(frame: str) -> str:
    return re.sub(r":\d+\)$", ")", frame)


async def profile_ack(stack: Stack, count: int = 3000, rate: int = 250) -> dict[str, Any]:
    spy = py_spy()
    if spy is None:
        return {"skipped": "py-spy is not installed (pip install -e '.[bench]')"}
    stack.seam.resolve_after = None
    bot = await stack.start_bot(stack.new_database(), LOCKBOT_RATE_LIMIT=AMPLE_RATE_LIMIT)
    assert bot.process is not None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "ack.txt"
            await sequential(bot.port, ALLOWED, 200, 0)  # warm up before sampling
            recorder = await asyncio.create_subprocess_exec(
                spy, "record", "--pid", str(bot.process.pid), "--rate", str(rate),
                "--format", "raw", "--output", str(out), "--gil",
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            await asyncio.sleep(1.0)  # py-spy attaches
            if recorder.returncode is not None:
                error = (await recorder.stderr.read()).decode() if recorder.stderr else ""
                return {"skipped": f"py-spy could not attach: {error.strip()[-300:]}"}
            timings = await sequential(bot.port, ALLOWED, count, 0)
            recorder.send_signal(signal.SIGINT)  # py-spy writes its file and exits
            await asyncio.wait_for(recorder.communicate(), 30)
            if not out.exists():
                return {"skipped": f"py-spy wrote nothing (exit {recorder.returncode})"}
            result = analyse(out.read_text(errors="replace"))
    finally:
        await stack.stop_bot(bot)
    result["requests"] = len(timings)
    result["tool"] = f"py-spy record --rate {rate} --gil (samples of the thread holding the GIL)"
    return result
