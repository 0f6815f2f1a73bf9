"""Echoing people's text back safely: the one rule every message needs, wherever it is worded."""

from __future__ import annotations


def escape(text: str) -> str:
    """Chat markup escaping (Slack's mrkdwn: `&`, `<`, `>`), so a door called `<!channel>`
    echoes back as text and never as a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
