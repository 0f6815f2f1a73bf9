"""PostgreSQL drops the bot's connections (a restart, a failover, an idle timeout in a pooler):
the next `/lock` is still recorded and locks, with no one told "couldn't record"."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.db import sync_url
from bot.models import LockStatus
from tests.conftest import PG_URL
from tests.e2e.conftest import LiveBot, assert_all_final
from tests.fakes.slack_api import FakeSlack

pytestmark = pytest.mark.skipif(not PG_URL, reason="a server that drops its connections")


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
