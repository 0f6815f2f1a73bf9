"""The table of `/lock admin` subcommands, and the decorator that adds one to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.locking import LockService
from bot.ports import DeviceReader
from bot.slack.later import Later


@dataclass(frozen=True)
class Context:
    service: LockService
    devices: DeviceReader
    actor: str  # the Slack user, named in the audit trail for every change
    # For `quiet` hours given without a time zone (LOCKBOT_TIMEZONE, when the caller passes it).
    default_timezone: str = "UTC"


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
