"""The ack is a durable receipt under load: `kill -9` the bot in the middle of a 50-connection
burst, and every request that got its 200 has its row; after a restart every one of them ends.

The clients (tests/support/raw_http.py, a process of their own) record which requests were
answered; each request carries its own response_url, which its row keeps, so an answer and a
row are matched one to one.
"""

from __future__ import annotations

from pathlib import Path

from bot.models import LockStatus
from tests.e2e.conftest import SIGNING_SECRET, assert_all_final, bot_env, lock_rows, seed_doors
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.slack_api import FakeSlack
from tests.support.bot_process import BotProcess
from tests.support.raw_http import KillAfter, concurrent_clients, http_request
from tests.support.slack_requests import signed_headers, slash_command

CLIENTS = 50
EACH = 60
# Killed by the clients' process on this many answers: well into the burst, well before its end,
# and at a moment the bot cannot see coming (not right after one of its commits).
KILL_AFTER_ACKS = 300
# U1 may lock both doors (leads or joins the lock in flight); U2 may not (denied, recorded too).
ASKS = [("U1", "front door"), ("U2", "front door"), ("U1", "rear")]


async def test_kill_9_mid_burst_loses_no_acked_request_and_each_ends_after_restart(
    database_url: str,
    seam: SeamProxy,
    slack: FakeSlack,
    tmp_path: Path,
    processes: list[BotProcess],
) -> None:
    await seed_doors(database_url)
    env = bot_env(database_url, seam.url, slack.api_url, LOCKBOT_RATE_LIMIT="0",
                  LOCKBOT_LOCK_TIMEOUT="20", LOCKBOT_LOG_FORMAT="text")  # fmt: skip
    first = BotProcess(env, tmp_path)
    processes.append(first)
    await first.start()

    plans: list[list[bytes]] = [[] for _ in range(CLIENTS)]
    for n in range(CLIENTS * EACH):
        user, door = ASKS[n % len(ASKS)]
        body = slash_command(door, user_id=user, channel_id="C1",
                             response_url=slack.response_url(f"ask-{n}"))  # fmt: skip
        headers = signed_headers(body, SIGNING_SECRET)
        plans[n % CLIENTS].append(http_request("/slack/events", body, headers, first.port))

    assert first.process is not None
    answers = await concurrent_clients(
        first.port, plans, kill=KillAfter(first.process.pid, KILL_AFTER_ACKS)
    )
    await first.process.wait()

    acked = {
        slack.response_url(f"ask-{n * CLIENTS + client}")
        for client, got in enumerate(answers)
        for n, answer in enumerate(got)
        if answer.status == 200
    }
    assert 0 < len(acked) < CLIENTS * EACH, "the kill came before the burst ended"
    rows = {row.response_url: row for row in await lock_rows(database_url)}
    missing = acked - rows.keys()
    assert not missing, f"{len(missing)} acked requests have no row, e.g. {sorted(missing)[:3]}"

    second = BotProcess(env, tmp_path)
    second.port, second.url = first.port, first.url
    processes.append(second)
    await second.start()
    # Joined requests whose leader ended just before the kill wait for the sweeper (every 30 s).
    final = {row.response_url: row for row in await assert_all_final(database_url, 60)}
    outcomes = {final[url].status for url in acked}
    assert outcomes <= {LockStatus.LOCKED, LockStatus.DENIED}, outcomes
    denied = {final[url].user_id for url in acked if final[url].status is LockStatus.DENIED}
    assert denied <= {"U2"}
