"""`/lock admin` answers about doors, groups, the Seam sync and the audit trail."""

from __future__ import annotations

from collections.abc import Sequence

from bot.door_groups import GroupView
from bot.models import AuditEvent, Door, DoorGroup
from bot.slack.words.admin import PREFIX, channel_list, cut, listing, names
from bot.slack.words.common import bold, count, grantee, short_date
from bot.text import escape

# -- doors -------------------------------------------------------------------------------------


def doors(rows: Sequence[tuple[Door, Sequence[str]]], channels: dict[int, list[str]]) -> str:
    if not rows:
        return (
            f'🚪 No doors yet. Add one with `{PREFIX} add-door "Front Door" DEVICE_ID`, or '
            f"import Seam's locks with `{PREFIX} sync`."
        )
    lines = []
    for door, aliases in rows:
        parts = [f"{bold(door.name)} `{escape(door.device_id)}`"]
        if aliases:
            parts.append("aliases: " + ", ".join(escape(a) for a in aliases))
        if limited := channels.get(door.id or -1):
            parts.append(f"only from {channel_list(limited)}")
        if door.missing_at is not None:
            parts.append("⚠️ missing from Seam")
        lines.append("• " + " · ".join(parts))
    return listing(
        f"🚪 *{count(len(rows), 'door')}*", lines, "`lockbot doors list` shows them all."
    )


def door_added(door: Door, aliases: Sequence[str]) -> str:
    also = f" (aliases: {', '.join(escape(a) for a in aliases)})" if aliases else ""
    return (
        f"✅ Added {bold(door.name)} → `{escape(door.device_id)}`{also}. Only admins may lock it "
        f'until you grant it: `{PREFIX} grant @someone "{escape(door.name)}"`.'
    )


def renamed(old: str, new: str) -> str:
    return f"✅ {bold(old)} is now {bold(new)}."


def alias_added(alias: str, door: Door) -> str:
    return f"✅ {bold(alias)} now means {bold(door.name)}."


def alias_removed(alias: str, door: Door) -> str:
    return f"✅ {bold(alias)} no longer means {bold(door.name)}."


def door_removed(door: Door) -> str:
    return f"🗑️ Removed {bold(door.name)}, with its aliases and grants. Its lock history stays."


def door_channels(door: Door, channels: Sequence[str], *, changed: bool) -> str:
    """Where a door may be locked from; `changed`: as it is now after this change."""
    if not channels:
        return f"🌐 {bold(door.name)} may be locked from any channel{' again' if changed else ''}."
    now = "may now be locked only" if changed else "may be locked only"
    return f"📍 {bold(door.name)} {now} from {channel_list(channels)}."


# -- groups ------------------------------------------------------------------------------------


def groups(views: Sequence[GroupView]) -> str:
    if not views:
        return (
            "🗂️ No groups yet. Make one with "
            f'`{PREFIX} add-group "Floor 2" "Front Door" "Back Door"`.'
        )
    lines = [
        f"• {bold(v.group.name)}: " + (names([d.name for d in v.doors]) or "no doors yet")
        for v in views
    ]
    return listing(
        f"🗂️ *{count(len(views), 'group')}*", lines, "`lockbot groups list` shows them all."
    )


def group_changed(view: GroupView) -> str:
    listed = names([d.name for d in view.doors]) or "no doors"
    return f"✅ {bold(view.group.name)} has {listed}."


def group_removed(group: DoorGroup) -> str:
    return f"🗑️ Removed the group {bold(group.name)} and its grants. Its doors stay."


# -- sync --------------------------------------------------------------------------------------

SYNC_GRANT_HINT = f'{PREFIX} grant @someone "DOOR"'


def syncing() -> str:
    return "⏳ Asking Seam for its locks…"


def sync_failed() -> str:
    return "⚠️ The sync failed on lockbot's side; `lockbot doors sync` in a terminal says why."


def no_locks_listed(message: str, code: str) -> str:
    return (
        f"⚠️ I could not list Seam's locks: {escape(message)} (`{escape(code)}`). "
        "Nothing changed; try again in a minute."
    )


def synced(lines: Sequence[str], dry_run: bool) -> str:
    """The sync report's lines (`bot.reports.sync_lines`): its changes, then from its summary
    on, which always shows."""
    escaped = [escape(line) for line in lines]
    summary = next(i for i, line in enumerate(escaped) if line.startswith("✓"))
    header = "🔄 *Seam sync*" + (" (dry run)" if dry_run else "")
    return listing(
        header,
        escaped[:summary],
        "`lockbot doors sync --dry-run` shows every line.",
        tail=escaped[summary:],
        code=True,
    )


# -- audit -------------------------------------------------------------------------------------


def audit(events: Sequence[AuditEvent]) -> str:
    if not events:
        return "📜 No admin changes recorded yet."
    lines = [
        f"• {short_date(e.created_at)} {grantee(e.actor)} `{escape(e.action)}` {bold(e.target)}"
        + (f": {escape(cut(e.detail, 150))}" if e.detail else "")
        for e in events
    ]
    head = f"📜 *Last {count(len(events), 'change')}*, newest first"
    return listing(head, lines, "`lockbot audit --limit N` shows more.")
