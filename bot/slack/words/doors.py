"""How a door's state reads in Slack: which it is, who or what says so, and how long ago."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.door_state import DoorState, LockFact, Source
from bot.models import Door, LockRequest, LockStatus
from bot.slack.words.common import ago, bold, mention, who_asked
from bot.text import escape

_ALIASES_SHOWN = 3
# How Seam's `method` reads after "locked" / "unlocked".
_HOW = {
    "keycode": "by keypad",
    "keypad": "by keypad",
    "manual": "by hand",
    "remote": "remotely",
    "seamapi": "remotely",
    "automatic": "by auto-lock",
}


# When a fact was true, in words: "5 min ago" by default. A view that stays on screen (the App
# Home) hands in a date instead, which does not go stale.
Stamp = Callable[[datetime], str]


def lock_words(fact: LockFact, now: datetime, stamp: Stamp | None = None) -> tuple[str, str]:
    """("🔓", "unlocked by keypad 5 min ago"), ("🔒", "locked by lockbot (<@U1>) 2 h ago"),
    ("🔒", "locked (checked live) just now")."""
    emoji, verb = ("🔒", "locked") if fact.locked else ("🔓", "unlocked")
    when = stamp(fact.at) if stamp else ago(fact.at, now)
    match fact.source:
        case Source.LOCKBOT:
            actor = mention(fact.actor or "")
            by = f"{actor}'s schedule" if fact.via == "schedule" else actor
            return emoji, f"{verb} by lockbot ({by}) {when}"
        case Source.READ:
            return emoji, f"{verb} (checked live) {when}"
    method = fact.method if fact.method != "unknown" else None
    if method is None:
        how = "outside lockbot" if fact.locked else "(reported by the lock)"
    else:
        how = _HOW.get(method, f"({escape(method)})")
    return emoji, f"{verb} {how} {when}"


_FAILED = (LockStatus.FAILED, LockStatus.TIMED_OUT, LockStatus.EXPIRED)


def _failure(request: LockRequest, now: datetime, stamp: Stamp | None) -> tuple[str, str]:
    at = request.finished_at or request.created_at
    when = stamp(at) if stamp else ago(at, now)
    if request.status is LockStatus.TIMED_OUT:
        return "⌛", f"did not confirm {when} (asked by {who_asked(request)})"
    if request.status is LockStatus.EXPIRED:
        return "⌛", f"was not sent {when}: too late (asked by {who_asked(request)})"
    return "❌", f"failed {when} (`{escape(request.error_type or 'error')}`)"


def state_words(
    state: DoorState | None, now: datetime, stamp: Stamp | None = None
) -> tuple[str, str]:
    """A door's state, and lockbot's own try where it is newer news."""
    fact = state.lock if state else None
    request = state.last_request if state else None
    if request is not None and request.status is LockStatus.PENDING:
        words = f"being locked now (asked by {who_asked(request)})"
        return "⏳", words + (f" · was {lock_words(fact, now, stamp)[1]}" if fact else "")
    failed = request if request and request.status in _FAILED else None
    if fact is None:
        return _failure(failed, now, stamp) if failed else ("❔", "not known yet")
    emoji, words = lock_words(fact, now, stamp)
    if failed and (failed.finished_at or failed.created_at) > fact.at:
        mark, what = _failure(failed, now, stamp)
        words += f" · {mark} then lockbot's lock {what}"
    return emoji, words


def door_state_line(
    door: Door, aliases: Sequence[str], state: DoorState | None, now: datetime
) -> str:
    emoji, words = state_words(state, now)
    also = ""
    if aliases:
        shown = ", ".join(f"`{escape(a)}`" for a in aliases[:_ALIASES_SHOWN])
        also = f" (also {shown}{', …' if len(aliases) > _ALIASES_SHOWN else ''})"
    line = f"{emoji} {bold(door.name)}{also}: {words}"
    if door.missing_at is not None:
        line += f" · 🚪 missing from Seam since {ago(door.missing_at, now)}, so it can't be locked"
    return line
