"""`/lock admin sync`: Seam's locks into the doors table."""

from __future__ import annotations

from bot import admin
from bot.ports import BackendError
from bot.reports import sync_lines
from bot.slack.admin.parsing import InputError
from bot.slack.admin.subcommands import Context, sub
from bot.slack.later import Later
from bot.slack.words import admin_doors as words
from bot.slack.words.admin import sync_arguments


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
        raise InputError(sync_arguments())
    dry_run = bool(args)
    return Later(
        note=words.syncing(), work=lambda: _synced(ctx, dry_run), failed=words.sync_failed()
    )


async def _synced(ctx: Context, dry_run: bool) -> str:
    try:
        # Before the write session: a slow Seam must not hold up other writers.
        locks = await ctx.devices.list_locks()
    except BackendError as error:
        return words.no_locks_listed(error.message, error.code)
    report = await ctx.change(admin.sync, locks, dry_run=dry_run)
    return words.synced(sync_lines(report, words.SYNC_GRANT_HINT), dry_run)
