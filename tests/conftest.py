"""Shared fixtures: a migrated database per test, on SQLite or (when asked) PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db import Database, migrate, sync_url

PG_URL = os.environ.get("LOCKBOT_TEST_DATABASE_URL", "")
TABLES = (
    "relock",
    "device_state",
    "quiet_hours",
    "event_mute",
    "event_notice",
    "event_cursor",
    "seam_event",
    "schedule_run",
    "schedule",
    "lock_request",
    "lock_batch",
    "audit_event",
    "access_grant",
    "door_channel",
    "door_group_member",
    "door_group",
    "door_alias",
    "door",
    "directory_version",
)


@pytest.fixture(scope="session")
def _postgres_schema() -> Iterator[str]:
    """A database of this run's own on the server LOCKBOT_TEST_DATABASE_URL names, migrated
    once; tests then empty the tables. Its own, so that two runs on one server never meet."""
    name = f"lockbot_test_{os.getpid()}"
    server = sa.create_engine(sync_url(PG_URL), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    with server.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if not PG_URL:
        url = f"sqlite:///{tmp_path / 'lockbot.db'}"
        migrate(url)
        return url
    url: str = request.getfixturevalue("_postgres_schema")
    engine = sa.create_engine(sync_url(url))
    with engine.begin() as conn:
        # Only this worker uses this database, so any other session is one an earlier test
        # leaked (a failed test's bot, say); its locks would make TRUNCATE wait for ever.
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        conn.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
        conn.execute(sa.text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.close()
