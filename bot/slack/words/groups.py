"""A group lock in Slack (`/lock floor 2`): one root message, a thread line per door, the
summary, one alert, and the answers given when lockbot locks none of it.

The summary itself is the batch's record (`lock_batch.summary`), written once by the domain
(`bot.locking.group_runs.group_summary`); it is shown here as it stands (docs/design.md)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot.models import LockBatch, LockRequest, LockStatus
from bot.slack.words.common import ask_admins, count, elapsed, mention
from bot.slack.words.locks import OPEN_THREAD, door, error_detail, next_step
from bot.text import escape


def group_name(batch: LockBatch) -> str:
    return f"*{escape(batch.group_name or batch.text)}*"


def group_started(batch: LockBatch, doors: int) -> str:
    doors_ = count(doors, "door")
    if batch.source == "schedule":
        return (
            f"⏰ Scheduled lock: {group_name(batch)} ({doors_}), set by {mention(batch.user_id)}…"
        )
    return f"🔒 Locking {group_name(batch)} ({doors_}) for {mention(batch.user_id)}…"


def group_root_final(batch: LockBatch) -> str:
    seconds = batch.elapsed_s or 0.0
    took = f"{seconds:.1f} s" if seconds < 60 else f"{seconds / 60:.1f} min"
    summary = escape(batch.summary or "")
    asker = mention(batch.user_id)
    if batch.source == "schedule":
        mark = "⏰" if batch.status is LockStatus.LOCKED else "⚠️"
        tail = "" if batch.status is LockStatus.LOCKED else "; details in the thread"
        return (
            f"{mark} Scheduled lock: {group_name(batch)}, {summary}. Set by {asker}, "
            f"took {took}{tail}."
        )
    if batch.status is LockStatus.LOCKED:
        return f"✅ {group_name(batch)}: {summary}. Asked by {asker}, took {took}."
    return (
        f"⚠️ {group_name(batch)}: {summary}. Asked by {asker}, took {took}; details in the thread."
    )


def member_line(request: LockRequest) -> str:
    """One door of a group, in the group's thread."""
    name = door(request)
    match request.status:
        case LockStatus.LOCKED:
            return f"✅ {name} locked in {elapsed(request)}."
        case LockStatus.REJECTED if request.error_type == "door_missing":
            return f"⏭️ {name} skipped: its device is missing from Seam. {next_step(request)}"
        case LockStatus.REJECTED if request.error_type == "wrong_channel":
            return f"⏭️ {name} skipped: it {escape(request.error_message or '')}."
        case LockStatus.TIMED_OUT:
            return f"⌛ {name} did not confirm. {next_step(request)}"
        case LockStatus.EXPIRED:
            return f"⌛ {name} not sent: it was too late. {next_step(request)}"
        case _:
            return f"❌ {name}: {error_detail(request)}. {next_step(request)}"


def member_lines(members: Sequence[LockRequest]) -> str:
    """Every door of a group, one bullet each: for an answer that has no thread."""
    return "\n".join(f"• {member_line(r)}" for r in members)


def group_alert_head(batch: LockBatch, *, name_channel: bool) -> str:
    where = f" in <#{batch.channel_id}>" if batch.channel_id and name_channel else ""
    return (
        f"🚨 Group lock {group_name(batch)}, asked by {mention(batch.user_id)}{where}: "
        f"{escape(batch.summary or '')}."
    )


def group_alert(batch: LockBatch, failed: Sequence[LockRequest], permalink: str | None) -> str:
    link = f" <{permalink}|{OPEN_THREAD}>" if permalink else ""
    head = group_alert_head(batch, name_channel=not permalink)
    return f"{head}{link}\n{member_lines(failed)}"


def group_denied(batch: LockBatch, blocked: Sequence[str], admins: Collection[str]) -> str:
    doors_ = ", ".join(f"*{escape(b)}*" for b in blocked)
    return (
        f"🚫 You may not lock every door of {group_name(batch)} (not: {doors_}), so I locked "
        f"none. Ask {ask_admins(admins)} for access to the group "
        f'(`/lock admin grant <@{batch.user_id}> "{escape(batch.group_name or "")}"`).'
    )


def group_empty(batch: LockBatch) -> str:
    return (
        f"🫙 {group_name(batch)} has no doors yet. An admin can add some with "
        f'`lockbot groups add "{escape(batch.group_name or "")}" DOOR…`.'
    )
