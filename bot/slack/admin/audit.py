"""`/lock admin audit`: the latest changes, who made them and when."""

from __future__ import annotations

from bot import audit
from bot.slack.admin.parsing import InputError
from bot.slack.admin.subcommands import Context, sub
from bot.slack.words import admin_doors as words
from bot.slack.words.admin import audit_arguments

AUDIT_DEFAULT = 10
AUDIT_MAX = 50


@sub(
    "audit",
    "audit 20",
    f"the last N changes, who made them and when (default {AUDIT_DEFAULT}, at most {AUDIT_MAX})",
    "Seam and audit",
    min_args=0,
    max_args=1,
)
async def _audit(ctx: Context, args: list[str]) -> str:
    limit = AUDIT_DEFAULT
    if args:
        if not args[0].isdigit() or not 1 <= int(args[0]) <= AUDIT_MAX:
            raise InputError(audit_arguments(AUDIT_MAX))
        limit = int(args[0])
    async with ctx.db.session() as session:
        events = await audit.recent(session, limit)
    return words.audit(events)
