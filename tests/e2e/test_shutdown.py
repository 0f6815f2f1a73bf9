"""SIGTERM mid-attempt: the bot stops taking requests, exits 0, and hands the attempt over.

Unlike `kill -9` (test_restart.py), SIGTERM is what an orchestrator sends on every deploy, so the
bot must leave cleanly: no traceback, exit code 0, and the pending row intact for the next start.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx
import pytest

from bot.models import LockStatus
from tests.e2e.conftest import (
    SIGNING_SECRET,
    assert_one_lock_resumed,
    bot_env,
    lock_rows,
    seed_doors,
)
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.slack_api import FakeSlack
from tests.support.bot_process import BotProcess
from tests.support.slack_requests import signed_headers, slash_command

EXIT_WITHIN_S = 10.0


async def terminate(bot: BotProcess, timeout_s: float = EXIT_WITHIN_S) -> tuple[int, float]:
    """SIGTERM, as systemd, Docker or Kubernetes would send; the exit code and seconds taken."""
    assert bot.process is not None
    started = time.monotonic()
    bot.process.send_signal(signal.SIGTERM)
    try:
        code = await asyncio.wait_for(bot.process.wait(), timeout_s)
    except TimeoutError:
        raise AssertionError(f"the bot was still running {timeout_s} s after SIGTERM") from None
    return code, time.monotonic() - started


async def polls_seen(seam: SeamProxy, count: int, timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.01)):
        if len(seam.calls_to("/action_attempts/get")) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {count} polls reached Seam")


async def post_command(client: httpx.AsyncClient, url: str, text: str) -> httpx.Response:
    body = slash_command(text)
    return await client.post(
        f"{url}/slack/events", content=body, headers=signed_headers(body, SIGNING_SECRET)
    )


async def test_sigterm_mid_attempt_exits_0_and_the_next_start_posts_the_outcome(
    database_url: str,
    seam: SeamProxy,
    slack: FakeSlack,
    tmp_path: Path,
    processes: list[BotProcess],
) -> None:
    await seed_doors(database_url)
    env = bot_env(database_url, seam.url, slack.api_url, LOCKBOT_LOCK_TIMEOUT="30")
    log_path = tmp_path / "bot-stderr.log"
    with log_path.open("wb") as stderr:
        first = BotProcess(env, tmp_path, stderr=stderr.fileno())
        processes.append(first)
        await first.start()

        seam.hold_attempts = True
        async with httpx.AsyncClient(timeout=5) as client:
            ack = await post_command(client, first.url, "front door")
            assert ack.status_code == 200
            attempt = await seam.wait_for_attempt()
            # The note comes after the attempt id is stored: the request is in flight at Seam.
            await slack.wait_for(lambda c: "Seam accepted" in c.args.get("text", ""))
            # Let the poll loop run, so SIGTERM lands among scheduled (or in-flight) polls.
            await polls_seen(seam, 2)

            code, took = await terminate(first)
            assert code == 0, f"exit code {code} on SIGTERM\n{log_path.read_text()}"
            assert took < EXIT_WITHIN_S

            # Intake is closed: nothing listens on the port any more.
            with pytest.raises(httpx.ConnectError):
                await post_command(client, first.url, "back door")

        # Handed over, not lost: still pending, with the attempt the next start will track.
        rows = await lock_rows(database_url)
        assert [(r.status, r.action_attempt_id) for r in rows] == [(LockStatus.PENDING, attempt)]
        assert not slack.calls_to("chat.update")

        # While the bot is down, the lock finishes.
        await seam.resolve(attempt, "success")

        second = BotProcess(env, tmp_path, stderr=stderr.fileno())
        second.port, second.url = first.port, first.url
        processes.append(second)
        await second.start()
        await assert_one_lock_resumed(slack, seam, database_url)

        code, _ = await terminate(second)
        assert code == 0

    log = log_path.read_text()
    assert "shutting down" in log
    assert "Traceback" not in log, log
