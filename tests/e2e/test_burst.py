"""A burst of /lock commands: every one acked in time, recorded, ended, and Seam asked sparingly.

A correctness bound, not a benchmark: Slack gives up on a slash command after 3 s, so each ack
must come within that, and the in-flight dedupe must keep Seam from being asked once per tap.

The bot runs as its own process (`python -m bot serve --http`), as in production, and the 50
clients are raw keep-alive sockets in another (tests/support/raw_http.py), so that neither the
clients nor the fakes share a process with what they time.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.models import LockStatus
from tests.e2e.conftest import SIGNING_SECRET, assert_all_final, bot_env, seed_doors
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.slack_api import FakeSlack
from tests.support.bot_process import BotProcess
from tests.support.raw_http import concurrent_clients, http_request
from tests.support.slack_requests import signed_headers, slash_command

TOTAL = 1000
CLIENTS = 50
ACK_WITHIN_S = 3.0
# Who asks for what: U1 has Front and Back Door, U7 Garage (through SNIGHT), UADMIN every door.
PLAN = [
    ("U1", "front door"),
    ("U7", "garage"),
    ("UADMIN", "back door"),
    ("U1", "rear"),
    ("UADMIN", "garage"),
    ("UADMIN", "main"),
]


@pytest.fixture
async def bot_process(
    database_url: str, seam: SeamProxy, slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[BotProcess]:
    await seed_doors(database_url)
    env = bot_env(
        database_url, seam.url, slack.api_url,
        LOCKBOT_RATE_LIMIT="0", LOCKBOT_LOCK_TIMEOUT="10", LOCKBOT_LOG_FORMAT="text",
    )  # fmt: skip
    with (tmp_path / "bot.log").open("w") as log:
        process = BotProcess(env, tmp_path, stderr=log.fileno())
        await process.start()
        try:
            yield process
        finally:
            await process.stop()


async def test_a_thousand_locks_from_fifty_clients(
    bot_process: BotProcess, seam: SeamProxy, slack: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    plans: list[list[bytes]] = [[] for _ in range(CLIENTS)]
    for i in range(TOTAL):
        user, door = PLAN[i % len(PLAN)]
        body = slash_command(
            door, user_id=user, channel_id="C1", response_url=slack.response_url(f"r{i}")
        )
        request = http_request(
            "/slack/events", body, signed_headers(body, SIGNING_SECRET), bot_process.port
        )
        plans[i % CLIENTS].append(request)

    started = time.perf_counter()
    answers = await concurrent_clients(bot_process.port, plans)
    acked_in = time.perf_counter() - started

    results = [
        (a.status, a.elapsed_s, json.loads(a.body)["text"] if a.body else "")
        for plan in answers for a in plan
    ]  # fmt: skip
    assert len(results) == TOTAL
    assert [r for r in results if r[0] != 200] == []
    slow = sorted(r[1] for r in results if r[1] >= ACK_WITHIN_S)
    assert not slow, f"{len(slow)} acks took {ACK_WITHIN_S:g} s or more (slowest {slow[-1]:.2f} s)"
    # Each ack is a plain ack (this request leads) or "already being locked" (it joined one).
    assert {text[:1] for _, _, text in results} <= {"", "⏳"}, {t for _, _, t in results}

    rows = await assert_all_final(database_url, timeout_s=60)
    settled_in = time.perf_counter() - started
    assert len(rows) == TOTAL
    leaders = [
        r for r in rows
        if r.joined_id is None and r.status not in (LockStatus.DENIED, LockStatus.REJECTED)
    ]  # fmt: skip
    lock_calls = len(seam.calls_to("/locks/lock_door"))
    assert lock_calls <= len(leaders)
    assert lock_calls < TOTAL
    assert {r.status for r in rows} == {LockStatus.LOCKED}
    errors = [line for line in (tmp_path / "bot.log").read_text().splitlines()
              if " ERROR " in line or "Traceback" in line]  # fmt: skip
    assert errors == []
    times = sorted(r[1] for r in results)
    print(
        f"\n{TOTAL} acks in {acked_in:.1f} s (median {times[TOTAL // 2]:.2f} s, "
        f"p99 {times[int(TOTAL * 0.99)]:.2f} s, slowest {times[-1]:.2f} s); all final after "
        f"{settled_in:.1f} s; {len(leaders)} leaders, {lock_calls} lock_door calls"
    )
