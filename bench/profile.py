"""Where the ack's time goes: py-spy samples the bot process while `wrk` drives signed /lock
requests over 50 connections (allowed user, joining the lock in flight: the longest ack path),
as P1b does; one client one after another when wrk is missing.

py-spy counts samples of the thread holding the GIL (the event loop, or the group-commit writer's
thread while it runs Python), so the shares below are of the Python work the bot did.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.ack import AMPLE_RATE_LIMIT, ensure_wrk, sequential, wrk_script
from bench.common import ALLOWED, Stack

# Shares of the samples whose stack holds a frame matching the regex (leaf_only: the running
# frame itself).
STAGES: tuple[tuple[str, str, bool], ...] = (
    ("aiohttp request handling (everything from the socket to the response)",
     r"RequestHandler\._handle_request \(aiohttp/", False),
    ("lockbot: the front door for /lock, all of it (bot/slack/front.py)",
     r"CommandFront\.take \(bot/slack/front", False),
    ("slack_sdk: the signature check", r"\(slack_sdk/signature/", False),
    ("urllib: the form's fields", r"parse_qsl \(urllib/", False),
    ("lockbot: SlackCommands.answer (parse, reply, words, metrics)",
     r"SlackCommands\.answer \(bot/slack/app", False),
    ("Bolt: dispatch (what the front door leaves to it; none in this run)",
     r"AsyncApp\.async_dispatch \(slack_bolt/", False),
    ("lockbot: LockService.submit (decide, count, hand over, wait)",
     r"(LockService|Intake)\.submit \(bot/locking", False),
    ("lockbot: deciding on the snapshot", r"decide_door \(bot/locking/deciding", False),
    ("lockbot: the rate limit's window", r"RateWindow\.take \(bot/locking", False),
    ("lockbot: assembling the LockRequest", r"assembled_request \(bot/models", False),
    ("lockbot: group commit, on the event loop (queue, answers)",
     r"Receipts\.(record|_write|_commit) \(bot/locking", False),
    ("lockbot: group commit, the batch's transaction (SQLAlchemy Core)",
     r"Receipts\._written \(bot/locking", False),
    ("SQLAlchemy + sqlmodel, all of it", r"\((sqlalchemy|sqlmodel)/|<sqlalchemy generated", False),
    ("sqlite3 / psycopg calls", r"\(psycopg/|method '(execute|commit)' of 'sqlite3", False),
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


async def profile_ack(
    stack: Stack, count: int = 3000, rate: int = 250, duration_s: int = 10
) -> dict[str, Any]:
    spy = py_spy()
    if spy is None:
        return {"skipped": "py-spy is not installed (pip install -e '.[bench]')"}
    wrk = ensure_wrk()
    stack.seam.resolve_after = None
    bot = await stack.start_bot(stack.new_database(), LOCKBOT_RATE_LIMIT=AMPLE_RATE_LIMIT)
    assert bot.process is not None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "ack.txt"
            await sequential(bot.port, ALLOWED, 0, 200)  # warm up before sampling
            recorder = await asyncio.create_subprocess_exec(
                spy, "record", "--pid", str(bot.process.pid), "--rate", str(rate),
                "--format", "raw", "--output", str(out), "--gil",
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            await asyncio.sleep(1.0)  # py-spy attaches
            if recorder.returncode is not None:
                error = (await recorder.stderr.read()).decode() if recorder.stderr else ""
                return {"skipped": f"py-spy could not attach: {error.strip()[-300:]}"}
            if wrk is None:
                load = f"one client sent {count} signed `/lock` requests one after another"
                requests = len(await sequential(bot.port, ALLOWED, count, 0))
            else:
                script = Path(tmp) / "lock.lua"
                script.write_text(wrk_script(bot.port, ALLOWED))
                settings = f"wrk -t2 -c50 -d{duration_s}s"
                command = [wrk, *settings.split()[1:], "-s", str(script),
                           f"http://127.0.0.1:{bot.port}/slack/events"]  # fmt: skip
                done = await asyncio.to_thread(
                    subprocess.run, command, capture_output=True, text=True, check=True
                )
                found = re.search(r"(\d+) requests in", done.stdout)
                requests = int(found[1]) if found else 0
                load = f"`{settings}` sent {requests} signed `/lock` requests (as P1b does)"
            recorder.send_signal(signal.SIGINT)  # py-spy writes its file and exits
            await asyncio.wait_for(recorder.communicate(), 30)
            if not out.exists():
                return {"skipped": f"py-spy wrote nothing (exit {recorder.returncode})"}
            result = analyse(out.read_text(errors="replace"))
    finally:
        await stack.stop_bot(bot)
    result["requests"] = requests
    result["load"] = load
    result["tool"] = f"py-spy record --rate {rate} --gil (samples of the thread holding the GIL)"
    return result
