"""Echoing people's text back safely: the one rule every message needs, wherever it is worded."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def escape(text: str) -> str:
    """Chat markup escaping (Slack's mrkdwn: `&`, `<`, `>`), so a door called `<!channel>`
    echoes back as text and never as a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def local_time(moment: datetime, zone: str, *, year: bool = False) -> str:
    """A moment as people in `zone` read it: "Thu 26 Nov 22:00"."""
    return moment.astimezone(ZoneInfo(zone)).strftime(
        "%a %d %b %Y %H:%M" if year else "%a %d %b %H:%M"
    )
