"""How device news reads: every sentence the relay posts is made here."""

from __future__ import annotations

from datetime import timedelta

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
    """"14 min", "1 h 10 min", "3 days": rounded to the minute, never "0 min"."""
    minutes = max(1, round(span.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours >= 48:
        return f"{round(minutes / 1440)} days"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def _method(method: str | None) -> str | None:
    if method is None or method == "unknown":
        return None
    return _METHODS.get(method, escape(method))


def _percent(level: float | None) -> str:
    return f" ({round(level * 100)}%)" if level is not None else ""


def unlocked_text(name: str, method: str | None) -> str:
    how = _method(method)
    return f"🔓 {bold(name)} was unlocked" + (f" ({how})" if how else "")


def locked_text(name: str, method: str | None) -> str:
    if method == "manual":
        return f"🔒 {bold(name)} was locked by hand"
    how = _method(method)
    if how is None:
        return f"🔒 {bold(name)} was locked outside lockbot"
    return f"🔒 {bold(name)} was locked ({how})"


def battery_text(name: str, status: str, level: float | None) -> str:
    icon = "🪫" if status in _LOW else "🔋"
    again = "" if status in _LOW else " again"
    return f"{icon} {bold(name)} battery is {escape(status)}{again}{_percent(level)}"
