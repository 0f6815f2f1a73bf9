"""`/lock admin sync`: Seam's locks into the doors table."""

from __future__ import annotations

from bot import admin
from bot.ports import BackendError
from bot.reports import sync_lines
from bot.slack.admin.parsing import InputError
from bot.slack.admin.subcommands import Context, sub
from bot.slack.admin.wording import PREFIX, fit
from bot.slack.later import Later
from bot.text import escape

SLACK_GRANT_HINT = f'{PREFIX} grant @someone "DOOR"'


@sub(
    "sync",
    "sync --dry-run",
    "import Seam's locks: add new ones, follow renames, mark vanished ones missing "
    "(`--dry-run` only says what would change)",
    "Seam and audit",
    min_args=0,
    max_args=1,
)
async def _sync(ctx: Context, args: list[str]) -> str | Later:
    if args and args[0].casefold() not in ("--dry-run", "dry-run"):
        raise InputError(f"`sync` takes only `--dry-run`, like `{PREFIX} sync --dry-run`.")
    dry_run = bool(args)
    return Later(
        note="⏳ Asking Seam for its locks…",
        work=lambda: _synced(ctx, dry_run),
        failed="⚠️ The sync failed on lockbot's side; `lockbot doors sync` in a terminal says why.",
    )


async def _synced(ctx: Context, dry_run: bool) -> str:
    try:
        # Before the write session: a slow Seam must not hold up other writers.
        locks = await ctx.devices.list_locks()
    except BackendError as error:
        return (
            f"⚠️ I could not list Seam's locks: {escape(error.message)} (`{escape(error.code)}`). "
            "Nothing changed; try again in a minute."
        )
    async with ctx.service.db.writing() as session:
        report = await admin.sync(session, ctx.actor, locks, dry_run=dry_run)
    lines = [escape(line) for line in sync_lines(report, SLACK_GRANT_HINT)]
    summary = next(i for i, line in enumerate(lines) if line.startswith("✓"))
    header = "🔄 *Seam sync*" + (" (dry run)" if dry_run else "")
    return fit(
        header,
        lines[:summary],
        "`lockbot doors sync --dry-run` shows every line.",
        tail=lines[summary:],
        code=True,
    )
