"""`/lock admin audit`: the latest changes, who made them and when."""

from __future__ import annotations

from bot import audit
from bot.slack.admin.parsing import InputError
from bot.slack.admin.subcommands import Context, sub
from bot.slack.admin.wording import PREFIX, _cut, bold, fit, when, who
from bot.text import escape

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
            raise InputError(f"`audit` shows 1 to {AUDIT_MAX} changes, like `{PREFIX} audit 20`.")
        limit = int(args[0])
    async with ctx.service.db.session() as session:
        events = await audit.recent(session, limit)
    if not events:
        return "📜 No admin changes recorded yet."
    lines = [
        f"• {when(e.created_at)} {who(e.actor)} `{escape(e.action)}` {bold(e.target)}"
        + (f": {escape(_cut(e.detail, 150))}" if e.detail else "")
        for e in events
    ]
    count = f"{len(events)} change{'' if len(events) == 1 else 's'}"
    return fit(f"📜 *Last {count}*, newest first", lines, "`lockbot audit --limit N` shows more.")
