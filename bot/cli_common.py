"""What every `lockbot` command shares: settings, failing with a message, running async work in
a migrated database session, and the operator the audit trail names."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import access, names
from bot.config import Settings
from bot.db import Database, migrate_async
from bot.logs import configure

T = TypeVar("T")


def settings() -> Settings:
    loaded = Settings()
    configure(loaded.secrets(), fmt=loaded.log_format)
    return loaded


def fail(message: str) -> typer.Exit:
    typer.secho(f"✗ {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


def require_seam(config: Settings) -> None:
    if not config.seam_api_key.get_secret_value():
        raise fail("SEAM_API_KEY is not set; see the README's configuration table")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def with_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Migrate if needed, then run `work` in one session. Domain errors become exit code 1."""

    async def main() -> T:
        url = settings().database_url
        await migrate_async(url)
        db = Database(url)
        try:
            async with db.session() as session:
                return await work(session)
        finally:
            await db.close()

    try:
        return run(main())
    except (names.DoorError, access.AccessError) as error:
        raise fail(str(error)) from None


def operator() -> str:
    """Who the audit trail names for a change made at this terminal."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # a container user with no passwd entry and no $USER
        return "cli:unknown"


def admin_change(work: Callable[[AsyncSession, str], Awaitable[T]]) -> T:
    """Run one bot.admin operation as this terminal's operator."""
    actor = operator()
    return with_session(lambda session: work(session, actor))
