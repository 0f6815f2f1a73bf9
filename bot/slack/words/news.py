"""Device news as Slack says it: every post and edit of the event relay, from its facts."""

from __future__ import annotations

from typing import assert_never
from zoneinfo import ZoneInfo

from bot.news import (
    Battery,
    Flapping,
    Locked,
    News,
    Offline,
    Online,
    Outage,
    Tampered,
    UnexpectedUnlock,
    Unlocked,
    is_low,
)
from bot.slack.blockkit import Message, context, section
from bot.slack.words.common import bold
from bot.slack.words.locks import OFFLINE_CHECK
from bot.text import escape, span

# How Seam's `method` reads in a sentence.
_METHODS = {
    "keycode": "keypad code",
    "manual": "manual",
    "remote": "remote",
    "seamapi": "remote",
    "automatic": "auto-lock",
}


def how_done(method: str | None) -> str | None:
    """How Seam says a lock or unlock was done, in words ("keypad code"); None when unknown."""
    return _method(method)


def _method(method: str | None) -> str | None:
    if method is None or method == "unknown":
        return None
    return _METHODS.get(method, escape(method))


def _how(method: str | None) -> str:
    how = _method(method)
    return f" ({how})" if how else ""


def _unexpected(news: UnexpectedUnlock) -> str:
    zone = ZoneInfo(news.timezone)
    return (
        f"⚠️ Unexpected: {bold(news.door)} was unlocked{_how(news.method)} at "
        f"{news.at.astimezone(zone):%H:%M}, {span(news.at - news.locked_at)} after its "
        f"{news.locked_at.astimezone(zone):%H:%M} scheduled lock"
    )


def _locked(news: Locked) -> str:
    if news.method == "manual":
        return f"🔒 {bold(news.door)} was locked by hand"
    how = _method(news.method)
    if how is None:
        return f"🔒 {bold(news.door)} was locked outside lockbot"
    return f"🔒 {bold(news.door)} was locked ({how})"


def _battery_news(news: Battery) -> str:
    low = is_low(news.status)
    percent = f" ({round(news.level * 100)}%)" if news.level is not None else ""
    return (
        f"{'🪫' if low else '🔋'} {bold(news.door)} battery is {escape(news.status)}"
        f"{'' if low else ' again'}{percent}"
    )


def said(news: News) -> str:
    """The message for `news`."""
    match news:
        case Tampered(door):
            return f"🚨 {bold(door)} reports tampering"
        case Unlocked(door, method):
            return f"🔓 {bold(door)} was unlocked{_how(method)}"
        case UnexpectedUnlock():
            return _unexpected(news)
        case Locked():
            return _locked(news)
        case Battery():
            return _battery_news(news)
        case Offline(door):
            return f"📴 {bold(door)} went offline"
        case Online(door, offline_for):
            after = f" after {span(offline_for)}" if offline_for is not None else ""
            return f"📶 {bold(door)} is back online{after}"
        case Outage(door, offline_for):
            return f"📶 {bold(door)} was offline for {span(offline_for)}; online now"
        case Flapping(door, times, spell, online):
            icon, now = ("📶", "online") if online else ("📴", "offline")
            return f"{icon} {bold(door)} flapped {times} times in {span(spell)}; {now} now"
    assert_never(news)


def message(news: News) -> Message:
    """`said(news)` in Block Kit; a lock gone offline also says what to check at it."""
    text = said(news)
    if isinstance(news, Offline) or (isinstance(news, Flapping) and not news.online):
        return Message(text, (section(text), context(f"*What to check:* {OFFLINE_CHECK}")))
    return Message.plain(text)
