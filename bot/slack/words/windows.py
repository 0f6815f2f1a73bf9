"""Lock windows in Slack: the message about an unlock inside a window (with Lock now and Keep
open), the lines of its thread, and the answers to a Keep open tap."""

from __future__ import annotations

from datetime import datetime
from typing import assert_never
from zoneinfo import ZoneInfo

from bot.slack.blockkit import Message, actions, button, context, section
from bot.slack.words.common import bold, mention
from bot.slack.words.news import how_done
from bot.text import escape, span
from bot.window_news import (
    KeepOpenRefused,
    KeptOpen,
    NoRelock,
    RelockGaveUp,
    WindowNews,
    WindowUnlock,
)

LOCK_NOW_ACTION_ID = "window_lock_now"
KEEP_OPEN_ACTION_ID = "window_keep_open"
KEEP_OPEN_TO_END_ACTION_ID = "window_keep_open_to_end"
# Lock now on a message whose door was removed since.
LOCK_NOW_GONE = (
    "⌛ This message's door is not lockbot's any more, so there is nothing to lock. "
    "`/lock list` shows the doors you may lock."
)


def _at(moment: datetime, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%H:%M}"


def _who(method: str | None, code_name: str | None) -> str:
    if method is None:
        return "found unlocked by a check"
    if code_name:
        return f"unlocked with the keypad code “{escape(code_name)}”"
    how = how_done(method)
    return f"unlocked ({how})" if how else "unlocked (by whom, the lock does not say)"


def unlocked(news: WindowUnlock) -> str:
    zone = news.timezone
    who = _who(news.method, news.code_name)
    head = (
        f"🔓 {bold(news.door)} was {who} at {_at(news.at, zone)}; it should stay locked until "
        f"{_at(news.until, zone)}."
    )
    if news.relock_at is None:
        return f"{head} I won't lock it again by myself: tap *Lock now* to lock it."
    return f"{head} I'll lock it again at {_at(news.relock_at, zone)} unless someone keeps it open."


def unlocked_message(news: WindowUnlock) -> Message:
    """The channel's message: what happened, then the buttons (Keep open only when a relock
    is waiting; its longer form is for admins)."""
    text = unlocked(news)
    value = str(news.relock_id)
    buttons = [button("🔒 Lock now", LOCK_NOW_ACTION_ID, value)]
    note = "*Lock now* locks it at once, as you."
    if news.relock_at is not None:
        buttons.append(button(f"Keep open {span(news.keep_open)}", KEEP_OPEN_ACTION_ID, value))
        until = _at(news.until, news.timezone)
        buttons.append(button(f"Keep open until {until}", KEEP_OPEN_TO_END_ACTION_ID, value))
        note = (
            "*Keep open* postpones the relock, for anyone who may lock the door; until the "
            "window ends, for admins."
        )
    return Message(text, (section(text), context(note), actions(*buttons)))


def said(news: WindowNews) -> str:
    """A line in the unlock message's thread."""
    match news:
        case KeptOpen(door, by, until, zone, True):
            return (
                f"⏸️ {mention(by)} kept {bold(door)} open until the window ends at "
                f"{_at(until, zone)}; I won't lock it again."
            )
        case KeptOpen(door, by, until, zone, _):
            return (
                f"⏸️ {mention(by)} kept {bold(door)} open: I'll lock it again at {_at(until, zone)}."
            )
        case NoRelock(door, "already_locked", _, _):
            return f"🔒 {bold(door)} is locked again already; nothing for me to do."
        case NoRelock(door, "unscheduled", _, _):
            return f"🗑️ Its schedule was removed, so I'm not locking {bold(door)} again."
        case NoRelock(door, _, until, zone):
            return f"🌅 The window ended at {_at(until, zone)}; I'm not locking {bold(door)} again."
        case RelockGaveUp(door, tries, error):
            why = f" (`{error}`)" if error else ""
            return (
                f"🚨 I could not lock {bold(door)} again{why}, after {tries} tries, and I'm "
                "stopping. *What to do:* check the door and lock it by hand, or tap *Lock now*."
            )
    assert_never(news)


def keep_open_refused(refused: KeepOpenRefused) -> str:
    door = bold(refused.door) if refused.door else "this door"
    match refused.why:
        case "may_not_lock":
            return f"🙅 Only people who may lock {door} may keep it open."
        case "admins_only":
            return f"🙅 Only admins may keep {door} open until the window ends."
        case "over":
            return f"⌛ There is no relock of {door} waiting any more; nothing to postpone."
        case "kept":
            assert refused.until is not None
            at = _at(refused.until, refused.timezone)
            if refused.to_window_end:
                return f"⏸️ {door} is kept open until the window ends at {at} already."
            return f"⏸️ {door} is kept open until {at} already; nothing to postpone."
    assert_never(refused.why)
