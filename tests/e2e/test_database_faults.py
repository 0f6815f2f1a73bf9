"""PostgreSQL faults the bot must ride through: a server that dropped its connections (a
restart, a failover, a pooler's idle timeout), and a COMMIT whose answer never came back. Each
`/lock` is still recorded once, and locks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from bot.db import sync_url
from bot.models import LockStatus
from bot.runtime import Bot
from tests.conftest import PG_URL
from tests.e2e.conftest import LiveBot, assert_all_final, bot_settings, seed_doors
from tests.fakes.postgres_proxy import PostgresProxy
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.slack_api import FakeSlack

pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL's connections")


def drop_every_connection(database_url: str) -> int:
    """What `pg_ctl restart` does to the bot, without restarting the server the suite shares."""
    engine = sa.create_engine(sync_url(database_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        dropped = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    engine.dispose()
    return int(dropped)


async def test_a_lock_after_the_server_dropped_the_bots_connections_is_recorded_and_locks(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    await live.command("front door")
    await slack.wait_for(lambda c: c.method == "chat.update" and "✅" in c.args["text"])

    assert drop_every_connection(database_url) > 0
    sent = await live.command("back door")
    assert sent.response.status_code == 200
    assert "could not record" not in sent.response.text
    update = await slack.wait_for(
        lambda c: c.method == "chat.update" and "Back Door" in c.args["text"]
    )
    assert update.args["text"].startswith("✅ *Back Door* is locked.")
    rows = await assert_all_final(database_url)
    assert [r.status for r in rows] == [LockStatus.LOCKED, LockStatus.LOCKED]


@pytest.fixture
async def postgres() -> AsyncIterator[PostgresProxy]:
    proxy = await PostgresProxy().start()
    yield proxy
    await proxy.stop()


@pytest.fixture
async def proxied(
    database_url: str, postgres: PostgresProxy, seam: SeamProxy, slack: FakeSlack
) -> AsyncIterator[LiveBot]:
    """The bot, seeded, talking to PostgreSQL through `postgres`."""
    await seed_doors(database_url)
    settings = bot_settings(postgres.url_for(database_url), seam.url, slack.api_url)
    bot = Bot(settings, http=True, port=0)
    await bot.start()
    live = LiveBot(bot)
    yield live
    await live.close()


@pytest.mark.parametrize("applied", [True, False], ids=["applied", "rolled back"])
async def test_locks_whose_commit_was_cut_are_recorded_once_and_lock(
    proxied: LiveBot, postgres: PostgresProxy, slack: FakeSlack, database_url: str, applied: bool
) -> None:
    """The bot hears only a broken connection, whether or not the server applied the batch.
    Applied, writing the batch again would record each request twice (a pending copy joining
    itself, which nothing tracks, so the door never locks); rolled back, giving up would tell
    "could not record" for nothing. The bot asks the database which it was."""
    postgres.cut_next_commit(after=b"INSERT INTO lock_request", applied=applied)
    sent = await asyncio.gather(
        proxied.command("front door"), proxied.command("back door", user_id="U1")
    )
    assert postgres.cuts == 1  # the fault did happen
    assert [s.response.status_code for s in sent] == [200, 200]
    assert all("could not record" not in s.response.text for s in sent)
    for door in ("Front Door", "Back Door"):
        update = await slack.wait_for(
            lambda c, door=door: c.method == "chat.update" and f"*{door}* is" in c.args["text"]
        )
        assert update.args["text"].startswith(f"✅ *{door}* is locked."), update.args["text"]
    rows = await assert_all_final(database_url)
    assert sorted((r.door_name, r.status) for r in rows) == [
        ("Back Door", LockStatus.LOCKED),
        ("Front Door", LockStatus.LOCKED),
    ]
