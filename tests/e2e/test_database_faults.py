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
from tests.fakes.postgres_proxy import Cut, PostgresProxy
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
    request: pytest.FixtureRequest,
    database_url: str,
    postgres: PostgresProxy,
    seam: SeamProxy,
    slack: FakeSlack,
) -> AsyncIterator[LiveBot]:
    """The bot, seeded, talking to PostgreSQL through `postgres`; `@pytest.mark.settings`
    as for `live`."""
    await seed_doors(database_url)
    marker = request.node.get_closest_marker("settings")
    extra = marker.kwargs if marker else {}
    settings = bot_settings(postgres.url_for(database_url), seam.url, slack.api_url, **extra)
    bot = Bot(settings, http=True, port=0)
    await bot.start()
    live = LiveBot(bot)
    yield live
    await live.close()


@pytest.mark.parametrize("cut", ["applied", "lost", "late"])
@pytest.mark.parametrize("doors", [["front door"], ["front door", "back door"]], ids=["one", "two"])
async def test_locks_whose_commit_was_cut_are_recorded_once_and_lock(
    proxied: LiveBot,
    postgres: PostgresProxy,
    slack: FakeSlack,
    database_url: str,
    cut: Cut,
    doors: list[str],
) -> None:
    """The bot hears only a broken connection, whatever the server did with the COMMIT.
    Applied (now or a moment later), writing the batch again would record each request twice
    (a pending copy joining itself, which nothing tracks, so the door never locks); lost,
    giving up would tell "could not record" for nothing. The bot ends the broken session on
    the server, then asks the table which it was."""
    postgres.cut_next_commit(after=b"INSERT INTO lock_request", cut=cut)
    sent = await asyncio.gather(*(proxied.command(door) for door in doors))
    assert postgres.cuts == 1  # the fault did happen
    assert [s.response.status_code for s in sent] == [200] * len(doors)
    assert all("could not record" not in s.response.text for s in sent)
    names = sorted(door.title() for door in doors)
    for name in names:
        update = await slack.wait_for(
            lambda c, name=name: c.method == "chat.update" and f"*{name}* is" in c.args["text"]
        )
        assert update.args["text"].startswith(f"✅ *{name}* is locked."), update.args["text"]
    await asyncio.sleep(0.3)  # a late copy would show by now
    rows = await assert_all_final(database_url)
    assert sorted((r.door_name, r.status) for r in rows) == [(n, LockStatus.LOCKED) for n in names]


@pytest.mark.settings(LOCKBOT_LOCK_TIMEOUT="20")  # the suite's 3 s would pass while it is down
async def test_a_lock_whose_commit_was_cut_as_the_server_went_down_is_told_so_and_still_locks(
    proxied: LiveBot, postgres: PostgresProxy, slack: FakeSlack, database_url: str
) -> None:
    """The COMMIT landed, and the database is gone before anyone can ask it. The asker is told
    it can't be said yet; once the database is back, the landed request is let go and taken
    over like any other, so the door locks and nothing is left to block it."""
    postgres.cut_next_commit(after=b"INSERT INTO lock_request", cut="applied", down_s=1.5)
    sent = await proxied.command("front door")
    assert postgres.cuts == 1
    assert "can't tell yet" in sent.response.text, sent.response.text
    update = await slack.wait_for(
        lambda c: c.method == "chat.update" and "*Front Door* is" in c.args["text"], timeout=20
    )
    assert update.args["text"].startswith("✅ *Front Door* is locked."), update.args["text"]
    rows = await assert_all_final(database_url)
    assert [(r.door_name, r.status) for r in rows] == [("Front Door", LockStatus.LOCKED)]
