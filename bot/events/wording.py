"""How device news reads: every sentence the relay posts is made here."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.text import escape

_LOW = ("low", "critical")

# How Seam's `method` reads in a sentence.
_METHODS = {
    "keycode": "keypad code",
    "manual": "manual",
    "remote": "remote",
    "seamapi": "remote",
    "automatic": "auto-lock",
}


def bold(name: str) -> str:
    return f"*{escape(name)}*"


def duration(span: timedelta) -> str:
    """ "14 min", "1 h 10 min", "3 days": rounded to the minute, never "0 min"."""
    minutes = max(1, round(span.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours >= 48:
        return f"{round(minutes / 1440)} days"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def is_low(battery_status: str) -> bool:
    return battery_status in _LOW


def _method(method: str | None) -> str | None:
    if method is None or method == "unknown":
        return None
    return _METHODS.get(method, escape(method))


def _percent(level: float | None) -> str:
    return f" ({round(level * 100)}%)" if level is not None else ""


def tampered_text(name: str) -> str:
    return f"🚨 {bold(name)} reports tampering"


def unlocked_text(name: str, method: str | None) -> str:
    how = _method(method)
    return f"🔓 {bold(name)} was unlocked" + (f" ({how})" if how else "")


def unexpected_text(
    name: str, method: str | None, at: datetime, locked_at: datetime, zone: ZoneInfo
) -> str:
    """An unlock at `at`, soon after the scheduled lock due at `locked_at`, in the schedule's
    time zone."""
    how = _method(method)
    return (
        f"⚠️ Unexpected: {bold(name)} was unlocked"
        + (f" ({how})" if how else "")
        + f" at {at.astimezone(zone):%H:%M}, "
        + f"{duration(at - locked_at)} after its "
        + f"{locked_at.astimezone(zone):%H:%M} scheduled lock"
    )


def locked_text(name: str, method: str | None) -> str:
    if method == "manual":
        return f"🔒 {bold(name)} was locked by hand"
    how = _method(method)
    if how is None:
        return f"🔒 {bold(name)} was locked outside lockbot"
    return f"🔒 {bold(name)} was locked ({how})"


def battery_text(name: str, status: str, level: float | None) -> str:
    icon = "🪫" if is_low(status) else "🔋"
    again = "" if is_low(status) else " again"
    return f"{icon} {bold(name)} battery is {escape(status)}{again}{_percent(level)}"


def offline_text(name: str) -> str:
    return f"📴 {bold(name)} went offline"


def online_text(name: str, offline_for: timedelta | None) -> str:
    after = f" after {duration(offline_for)}" if offline_for is not None else ""
    return f"📶 {bold(name)} is back online{after}"


def outage_text(name: str, offline_for: timedelta) -> str:
    """An outage's message, edited once the device is back."""
    return f"📶 {bold(name)} was offline for {duration(offline_for)}; online now"


def flapping_text(name: str, count: int, span: timedelta, *, online: bool) -> str:
    """A flapping spell's message, edited at each disconnect and reconnect."""
    icon, now = ("📶", "online") if online else ("📴", "offline")
    return f"{icon} {bold(name)} flapped {count} times in {duration(span)}; {now} now"
