"""The table of `/lock admin` subcommands, and the decorator that adds one to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.access import AccessPolicy
from bot.db import Database
from bot.ports import DeviceReader
from bot.slack.later import Later

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True)
class Context:
    db: Database
    access: AccessPolicy
    devices: DeviceReader
    actor: str  # the Slack user, named in the audit trail for every change
    # For `quiet` hours given without a time zone (LOCKBOT_TIMEZONE, when the caller passes it).
    default_timezone: str = "UTC"

    async def read(self, query: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self.db.session() as session:
            return await query(session)

    async def change(
        self,
        change: Callable[Concatenate[AsyncSession, str, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """An admin change (bot/admin.py), made as the asker: one write, with its audit row."""
        async with self.db.writing() as session:
            return await change(session, self.actor, *args, **kwargs)


# A handler answers at once, or (`Later`) after the ack when it must ask Seam first.
Handler = Callable[[Context, list[str]], Awaitable[str | Later]]


@dataclass(frozen=True)
class Sub:
    name: str
    usage: str  # a command an admin could type as it is, shown in the help
    about: str
    section: str
    run: Handler
    min_args: int = 0
    max_args: int | None = 0
    # Unquoted words make one name (`remove-door front door`): nothing else could be meant.
    joins: bool = False

    def fits(self, count: int) -> bool:
        return count >= self.min_args and (self.max_args is None or count <= self.max_args)


SUBCOMMANDS: dict[str, Sub] = {}


def sub(
    name: str,
    usage: str,
    about: str,
    section: str,
    *,
    min_args: int = 0,
    max_args: int | None = 0,
    joins: bool = False,
) -> Callable[[Handler], Handler]:
    def register(run: Handler) -> Handler:
        SUBCOMMANDS[name] = Sub(
            name, usage, about, section, run, min_args=min_args, max_args=max_args, joins=joins
        )
        return run

    return register


def listing(
    name: str,
    about: str,
    section: str,
    read: Callable[[AsyncSession], Awaitable[T]],
    say: Callable[[T], str],
) -> None:
    """A subcommand that only reads and shows (`groups`, `mutes`): no arguments."""

    async def show(ctx: Context, args: list[str]) -> str:
        return say(await ctx.read(read))

    sub(name, name, about, section)(show)
