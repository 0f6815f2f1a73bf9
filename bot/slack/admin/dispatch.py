"""The entry point: who may run `/lock admin`, and which subcommand the words ask for."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.access import AccessPolicy
from bot.db import Database
from bot.models import Grant, Permission
from bot.ports import DeviceReader
from bot.refusals import Refusal
from bot.slack.admin.help import help_text
from bot.slack.admin.parsing import InputError, split
from bot.slack.admin.subcommands import SUBCOMMANDS, Context
from bot.slack.later import Later
from bot.slack.words import admin as words
from bot.slack.words.refusals import refusal

log = logging.getLogger(__name__)


async def _admins(session: AsyncSession, configured: frozenset[str]) -> list[str]:
    query = select(Grant.subject).where(col(Grant.permission) == Permission.ADMIN.value)
    granted = set((await session.exec(query)).all())
    return sorted(configured) + sorted(granted - configured)


async def run_admin(
    db: Database,
    access: AccessPolicy,
    devices: DeviceReader,
    user_id: str,
    channel_id: str | None,
    args: str,
    *,
    default_timezone: str = "UTC",
) -> str | Later:
    word = args.split(" ", 1)[0][:40]
    async with db.session() as session:
        if not await access.is_admin(session, user_id):
            log.warning(
                "/lock admin %r refused: %s is not an admin (channel %s)", word, user_id, channel_id
            )
            return words.not_an_admin(await _admins(session, access.admins))
    try:
        typed = split(args)
    except InputError as error:
        return words.warning(str(error))
    if not typed or typed[0].casefold() in ("help", "?", "-h", "--help"):
        return help_text()
    spec = SUBCOMMANDS.get(typed[0].casefold())
    if spec is None:
        return words.unknown_subcommand(typed[0], help_text())
    rest = typed[1:]
    if spec.joins and len(rest) > 1:
        rest = [" ".join(rest)]
    if not spec.fits(len(rest)):
        return words.does_not_fit(spec.name, spec.usage)
    log.info("/lock admin %s by %s (channel %s)", spec.name, user_id, channel_id)
    try:
        return await spec.run(Context(db, access, devices, user_id, default_timezone), rest)
    except InputError as error:
        return words.warning(str(error))
    except Refusal as error:
        return refusal(error)
    except sa.exc.IntegrityError:
        log.warning("/lock admin %s by %s lost a race with another change", spec.name, user_id)
        return words.lost_race()
