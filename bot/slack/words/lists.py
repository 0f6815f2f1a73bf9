"""`/lock list` and `/lock history` in Slack, and what both say when a name names nothing or
a door is not the asker's to see."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from bot.door_groups import GroupView
from bot.door_state import DoorState
from bot.models import Door, LockRequest, LockStatus
from bot.slack.words.common import (
    ago,
    ask_admins,
    bold,
    count,
    elapsed,
    fit,
    pretty_date,
    who_asked,
)
from bot.slack.words.doors import door_state_line
from bot.text import escape

# History must fit 50 rows; Slack shows a long message folded, and refuses only past 40k.
HISTORY_TEXT_MAX = 12_000
_GROUP_DOORS_SHOWN = 8


def _first(names: Sequence[str]) -> str:
    """The first few of `names` (already worded), and how many more."""
    shown = ", ".join(names[:_GROUP_DOORS_SHOWN])
    extra = len(names) - _GROUP_DOORS_SHOWN
    return shown + (f" and {extra} more" if extra > 0 else "")


def unknown(text: str, suggestions: Sequence[str], command: str) -> str:
    said = f"“{escape(text)}”"
    if not suggestions:
        return (
            f"🤔 I don't know a door or group called {said}. `/lock list` shows the ones you "
            "may lock."
        )
    names = ", ".join(bold(s) for s in suggestions)
    return (
        f"🤔 I don't know a door or group called {said}. Did you mean {names}? "
        f"Try `/lock {command} {escape(suggestions[0].lower())}`."
    )


def not_yours(what: str, name: str, blocked: Sequence[str] | None, admins: Collection[str]) -> str:
    """Refusing the `what` (status, history) of a door, or of a group with `blocked` doors."""
    if blocked is None:
        subject = f"{bold(name)} isn't one of them"
    else:
        subject = f"{bold(name)} has doors you may not lock ({_first([bold(b) for b in blocked])})"
    return (
        f"🚫 You can only see the {what} of doors you may lock, and {subject}. "
        f"Ask {ask_admins(admins)} for access."
    )


# -- /lock list --------------------------------------------------------------------------------


def targets(
    doors: Sequence[tuple[Door, Sequence[str], DoorState | None]],
    groups: Sequence[GroupView],
    now: datetime,
) -> str:
    """What the asker may lock: each door (with its aliases and state), then each group."""
    lines = [door_state_line(door, aliases, state, now) for door, aliases, state in doors]
    for view in groups:
        names = _first([escape(d.name) for d in view.doors])
        lines.append(
            f"🏢 {bold(view.group.name)} (group, {count(len(view.doors), 'door')}): {names}"
        )
    head = f"🔐 *You can lock {count(len(doors), 'door')}"
    head += f" and {count(len(groups), 'group')}:*" if groups else ":*"
    tail = (
        "_`/lock &lt;name&gt;` locks one; "
        "`/lock status &lt;name&gt;` asks Seam how it is right now._"
    )
    return fit(head, lines, tail)


# -- /lock history -----------------------------------------------------------------------------

_OUTCOME = {
    LockStatus.LOCKED: ("✅", "locked"),
    LockStatus.PENDING: ("⏳", "in progress"),
    LockStatus.TIMED_OUT: ("⌛", "did not confirm"),
    LockStatus.FAILED: ("❌", "failed"),
    LockStatus.DENIED: ("🚫", "not allowed"),
    LockStatus.REJECTED: ("⏭️", "not tried"),
    LockStatus.EXPIRED: ("⌛", "not sent (too late)"),
}


def history_line(request: LockRequest, now: datetime) -> str:
    emoji, outcome = _OUTCOME[request.status]
    if request.error_type == "unknown_door":
        emoji, outcome = "🤷", "no such door"
    elif request.status in (LockStatus.FAILED, LockStatus.REJECTED) and request.error_type:
        outcome += f" (`{escape(request.error_type)}`)"
    name = bold(request.door_name) if request.door_name else f"“{escape(request.text)}”"
    via = " (group)" if request.batch_id is not None else ""
    when = f"{ago(request.created_at, now)}, {pretty_date(request.created_at)}"
    line = f"{emoji} {name}{via} {outcome} · {who_asked(request)} · {when}"
    if request.status in (LockStatus.LOCKED, LockStatus.FAILED, LockStatus.TIMED_OUT):
        line += f" · {elapsed(request)}"
    return line


def no_history_to_show(admins: Collection[str]) -> str:
    return (
        "📭 There's no history to show you: you can only see the history of doors you "
        f"may lock, and you can't lock any yet. Ask {ask_admins(admins)} for access."
    )


def history(rows: Sequence[LockRequest], name: str | None, every_door: bool, now: datetime) -> str:
    """The latest requests for the door or group `name`, else for every door (an admin), else
    for the doors the asker may lock."""
    if name is not None:
        scope = f"for {bold(name)}"
    elif every_door:
        scope = "for every door"
    else:
        scope = "for the doors you may lock"
    if not rows:
        return f"📭 No lock requests yet {scope}."
    head = f"🕘 Last {count(len(rows), 'lock request')} {scope}:"
    return fit(head, [history_line(r, now) for r in rows], limit=HISTORY_TEXT_MAX)
