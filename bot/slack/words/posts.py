"""What lockbot posts in a channel about a lock, as Block Kit: the root message (the door or
group with its status emoji, then a context line: who asked, from where, how long it took), a
failure's Try again button, a group's doors as fields, and the alert with a button to the
thread. The plain text of each (`locks`, `groups`) stays as the notification fallback."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from bot.models import LockBatch, LockRequest, LockStatus, Rejection
from bot.slack.blockkit import (
    BLOCKS_MAX,
    RETRY_ACTION_ID,
    Message,
    actions,
    button,
    context,
    field_sections,
    link_button,
    section,
)
from bot.slack.words import groups, locks
from bot.slack.words.common import bold, count, elapsed, fit, mention, who_asked
from bot.text import escape

TRY_AGAIN = "🔁 Try again"
# A group's doors as fields, ten to a section: at most this many sections (200 doors); the
# thread has a line for every door.
DOOR_SECTIONS_MAX = 20
assert DOOR_SECTIONS_MAX + 4 <= BLOCKS_MAX  # with the headline, context, "more" and button


def _where(channel_id: str | None) -> str:
    if not channel_id:
        return ""
    return " in a DM" if channel_id.startswith("D") else f" in <#{channel_id}>"


def _asked(by: str, source: str, channel_id: str | None) -> str:
    if source == "schedule":
        return f"Set by {by}{_where(channel_id)} · scheduled"
    return f"Asked by {by}{_where(channel_id)}"


def _took(seconds: float | None) -> str:
    seconds = seconds or 0.0
    return f"{seconds:.1f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


def _retry(target: str) -> list[Block]:
    return [actions(button(TRY_AGAIN, RETRY_ACTION_ID, target))]


def retrying(user_id: str) -> Message:
    """Said in the thread when someone taps Try again and it goes ahead."""
    return Message.plain(f"🔁 {mention(user_id)} asked to try again…")


# -- one door ----------------------------------------------------------------------------------


def started(request: LockRequest) -> Message:
    asked = _asked(who_asked(request), request.source, request.channel_id)
    return Message(
        locks.started(request),
        (section(f"🔒 Locking {locks.door(request)}…"), context(asked)),
    )


def finished(request: LockRequest) -> Message:
    """The root message, edited to the outcome; a failure gets a Try again button."""
    asked = _asked(who_asked(request), request.source, request.channel_id)
    if request.status is LockStatus.LOCKED:
        line = f"{asked} · took {elapsed(request)}"
    else:
        line = f"{asked} · {elapsed(request)} · details in the thread"
    blocks: list[Block] = [section(locks.headline(request)), context(line)]
    if request.status is not LockStatus.LOCKED:
        blocks += _retry(request.door_name or request.text)
    return Message(locks.root_final(request), tuple(blocks))


def alert(request: LockRequest, permalink: str | None) -> Message:
    """For the alert channel: what failed, what to do (for an offline lock, what to check at
    it), and a button to the thread."""
    label = "What to check" if request.error_type in locks.OFFLINE_ERRORS else "What to do"
    blocks: list[Block] = [
        section(locks.alert_head(request, name_channel=not permalink)),
        section(f"*{label}:* {locks.next_step(request)}"),
    ]
    if permalink:
        blocks.append(actions(link_button(locks.OPEN_THREAD, permalink)))
    return Message(locks.alert(request, permalink), tuple(blocks))


# -- a group -----------------------------------------------------------------------------------


def group_started(batch: LockBatch, doors: int) -> Message:
    what = f"{groups.group_name(batch)} ({count(doors, 'door')})…"
    head = f"⏰ Scheduled lock: {what}" if batch.source == "schedule" else f"🔒 Locking {what}"
    asked = _asked(mention(batch.user_id), batch.source, batch.channel_id)
    return Message(groups.group_started(batch, doors), (section(head), context(asked)))


# A group's door, in the few words of its field.
_OUTCOMES: dict[str, str] = {
    LockStatus.TIMED_OUT: "did not confirm",
    LockStatus.EXPIRED: "not sent (too late)",
    Rejection.DOOR_MISSING: "skipped: missing from Seam",
    Rejection.WRONG_CHANNEL: "skipped: not from this channel",
}


def _mark(status: LockStatus) -> str:
    if status in (LockStatus.TIMED_OUT, LockStatus.EXPIRED):
        return "⌛"
    return {LockStatus.LOCKED: "✅", LockStatus.REJECTED: "⏭️"}.get(status, "❌")


def _door_field(request: LockRequest) -> str:
    if request.status is LockStatus.LOCKED:
        outcome = f"locked in {elapsed(request)}"
    else:
        error = request.error_type or "error"
        outcome = _OUTCOMES.get(request.status) or _OUTCOMES.get(
            error, f"failed: `{escape(error)}`"
        )
    return f"{_mark(request.status)} {bold(request.door_name or request.text)}\n{outcome}"


def group_finished(batch: LockBatch, members: Sequence[LockRequest]) -> Message:
    """The group's root message, edited to its summary: the record as it stands, every door's
    outcome as a field (the ones that did not lock first), and Try again when one failed."""
    locked = batch.status is LockStatus.LOCKED
    mark = "✅" if locked else "⚠️"
    summary = escape(batch.summary or "")
    asked = _asked(mention(batch.user_id), batch.source, batch.channel_id)
    line = f"{asked} · took {_took(batch.elapsed_s)}" + (
        "" if locked else " · details in the thread"
    )
    order = sorted(members, key=lambda r: r.status is LockStatus.LOCKED)
    fields = field_sections([_door_field(r) for r in order], DOOR_SECTIONS_MAX)
    blocks: list[Block] = [section(f"{mark} {groups.group_name(batch)}: {summary}"), context(line)]
    blocks += fields
    shown = sum(len(f.fields or ()) for f in fields)
    if shown < len(members):
        blocks.append(context(f"…and {count(len(members) - shown, 'more door')}, in the thread"))
    if not locked:
        blocks += _retry(batch.group_name or batch.text)
    return Message(groups.group_root_final(batch), tuple(blocks))


def group_alert(batch: LockBatch, failed: Sequence[LockRequest], permalink: str | None) -> Message:
    lines = [f"• {groups.member_line(r)}" for r in failed]
    blocks: list[Block] = [
        section(groups.group_alert_head(batch, name_channel=not permalink)),
        section(fit(f"*{count(len(failed), 'door')} not locked:*", lines)),
    ]
    if permalink:
        blocks.append(actions(link_button(locks.OPEN_THREAD, permalink)))
    return Message(groups.group_alert(batch, failed, permalink), tuple(blocks))
