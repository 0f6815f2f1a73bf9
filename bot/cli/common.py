"""What every `lockbot` command shares: settings, failing with a message, running one piece of
work in a migrated database session, and the operator the audit trail names."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli.words import refusal
from bot.config import Settings
from bot.db import Database, migrate_async
from bot.logs import configure
from bot.refusals import Refusal
from bot.when import WhenError

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


def operator() -> str:
    """Who the audit trail names for a change made at this terminal."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # a container user with no passwd entry and no $USER
        return "cli:unknown"


def in_session(work: Callable[[AsyncSession], Awaitable[T]], config: Settings | None = None) -> T:
    """Migrate if needed, then run `work` in one session; a refusal is said in the terminal's
    words (`bot.cli.words`), with exit code 1."""
    url = (config or settings()).database_url

    async def main() -> T:
        await migrate_async(url)
        db = Database(url)
        try:
            # The only session of this process, so the write turn costs nothing.
            async with db.writing() as session:
                return await work(session)
        finally:
            await db.close()

    try:
        return asyncio.run(main())
    except Refusal as error:
        raise fail(refusal(error)) from None
    except WhenError as error:  # the `<when>` grammar's own help, the same on every surface
        raise fail(str(error)) from None


def admin_change(work: Callable[[AsyncSession, str], Awaitable[T]]) -> T:
    """Run one bot.admin operation, in its session, as this terminal's operator."""
    actor = operator()
    return in_session(lambda session: work(session, actor))


def echo_lines(lines: list[str], *, empty: str) -> None:
    """One line each; with none, what to type to make one."""
    for line in lines or [empty]:
        typer.echo(line)
