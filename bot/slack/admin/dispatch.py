"""The entry point: who may run `/lock admin`, and which subcommand the words ask for."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import access, names
from bot.locking import LockService
from bot.models import Grant, Permission
from bot.ports import DeviceReader
from bot.slack.admin.help import help_text
from bot.slack.admin.parsing import InputError, split
from bot.slack.admin.subcommands import SUBCOMMANDS, Context
from bot.slack.admin.wording import NAMES_SHOWN, PREFIX, domain_error, warning, who
from bot.slack.later import Later
from bot.text import escape

log = logging.getLogger(__name__)


async def _admins(session: AsyncSession, configured: frozenset[str]) -> list[str]:
    query = select(Grant.subject).where(col(Grant.permission) == Permission.ADMIN.value)
    granted = set((await session.exec(query)).all())
    return sorted(configured) + sorted(granted - configured)


def denied(admins: Sequence[str]) -> str:
    ask = ", ".join(who(a) for a in admins[:NAMES_SHOWN]) or "a lockbot admin"
    return f"🚫 `{PREFIX}` is for lockbot admins. If something needs changing, ask {ask}."


async def run_admin(
    service: LockService,
    devices: DeviceReader,
    user_id: str,
    channel_id: str | None,
    args: str,
    *,
    default_timezone: str = "UTC",
) -> str | Later:
    word = args.split(" ", 1)[0][:40]
    async with service.db.session() as session:
        if not await service.access.is_admin(session, user_id):
            log.warning(
                "/lock admin %r refused: %s is not an admin (channel %s)", word, user_id, channel_id
            )
            return denied(await _admins(session, service.access.admins))
    try:
        words = split(args)
    except InputError as error:
        return warning(str(error))
    if not words or words[0].casefold() in ("help", "?", "-h", "--help"):
        return help_text()
    spec = SUBCOMMANDS.get(words[0].casefold())
    if spec is None:
        return f"🤔 I don't know `{escape(words[0])}`.\n{help_text()}"
    rest = words[1:]
    if spec.joins and len(rest) > 1:
        rest = [" ".join(rest)]
    if not spec.fits(len(rest)):
        return (
            f"⚠️ That doesn't fit `{spec.name}`. Names with spaces go in quotes, like "
            f"`{PREFIX} {escape(spec.usage)}`."
        )
    log.info("/lock admin %s by %s (channel %s)", spec.name, user_id, channel_id)
    try:
        return await spec.run(Context(service, devices, user_id, default_timezone), rest)
    except InputError as error:
        return warning(str(error))
    except (names.DoorError, access.AccessError) as error:
        return domain_error(error)
    except sa.exc.IntegrityError:
        log.warning("/lock admin %s by %s lost a race with another change", spec.name, user_id)
        return (
            "⚠️ Something else changed the same thing at the same moment, so nothing was "
            "written. Try again."
        )
