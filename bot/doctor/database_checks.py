"""The database check: reachable, and its schema current, without creating anything."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.db import Database, pending_migrations
from bot.doctor.checks import Check, failed, passed, plural
from bot.doctor.probe import Probe

FIX_DB_UPGRADE = "run `lockbot db upgrade` (`lockbot serve` also does it at start)"
FIX_DB_URL = "check DATABASE_URL, and that the database server is running and reachable"


def describe_database(url: str) -> str:
    """Where the database is, without user or password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {parsed.database}" if parsed.database else "in-memory SQLite"
    where = parsed.host or "localhost"
    if parsed.port:
        where += f":{parsed.port}"
    return f"PostgreSQL at {where}/{parsed.database or ''}"


async def database(probe: Probe) -> Check:
    name, url = "database", probe.settings.database_url
    try:
        parsed = make_url(url)
        where = describe_database(url)
    except Exception:
        return failed(
            name,
            "DATABASE_URL is not a database URL",
            "use sqlite:///path.db or postgresql+psycopg://user:pass@host/db",
        )
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    # Connecting would create an empty SQLite file; say so instead of leaving one behind.
    if file not in (None, "", ":memory:") and not await asyncio.to_thread(Path(str(file)).exists):
        fix = "run `lockbot db upgrade` to create it, or point DATABASE_URL at the right file"
        return failed(name, f"{where} does not exist yet", fix)
    try:
        probe.db = Database(url)
    except ValueError as error:
        return failed(name, str(error), "use sqlite:///path.db or postgresql+psycopg://…")
    if not await probe.db.ping():
        return failed(name, f"cannot connect to {where}", FIX_DB_URL)
    pending = await asyncio.to_thread(pending_migrations, url)
    if pending:
        return failed(
            name,
            f"{where} is reachable, but its schema is not current "
            f"({plural(len(pending), 'migration')} to apply)",
            FIX_DB_UPGRADE,
        )
    probe.db_ready = True
    return passed(name, f"{where} is reachable and its schema is current")
