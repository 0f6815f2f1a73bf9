"""What people see: the main channel messages as Block Kit JSON (docs/messages.md), and a rough
HTML rendering of them for a screenshot (docs/messages.png).

    python -m tests.support.preview docs/messages.md /tmp/messages.html
    chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --window-size=760,1700 --screenshot=docs/messages.png /tmp/messages.html
"""

from __future__ import annotations

import html
import json
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.models import LockStatus
from bot.slack.blockkit import Message
from bot.slack.words import groups, locks, posts, windows
from bot.window_news import KeptOpen, WindowUnlock
from tests.unit.test_slack_words import T0, batch, request

PERMALINK = "https://example.slack.com/archives/C1/p1736974800000100"
PEOPLE = {"U1": "ann", "U2": "maria"}
CHANNELS = {"C1": "front-desk"}


def scenes() -> list[tuple[str, Message, list[Message]]]:
    """(title, message, its thread) for each message the docs show."""
    offline = {"error_type": "device_offline", "error_message": "Lock is offline"}
    failed = request(LockStatus.FAILED, 1.4, door_name="Back Door", **offline)
    members = [
        request(LockStatus.LOCKED, 1.1),
        failed,
        request(LockStatus.LOCKED, 1.3, door_name="Garage"),
        request(LockStatus.LOCKED, 1.2, door_name="Side Door"),
    ]
    summary = "3 of 4 locked, 1 failed: Back Door (device_offline)"
    group = batch(LockStatus.FAILED, summary, finished_at=T0 + timedelta(seconds=2.1))
    return [
        ("A lock, while it runs", posts.started(request()), []),
        (
            "A failure, with Try again",
            posts.finished(failed),
            [Message.plain(locks.thread_final(failed))],
        ),
        (
            "A group's summary",
            posts.group_finished(group, members),
            [Message.plain(groups.member_line(r)) for r in members],
        ),
        ("The alert", posts.alert(failed, PERMALINK), []),
        _window_unlock(),
    ]


def _window_unlock() -> tuple[str, Message, list[Message]]:
    """An unlock inside a lock window (#15): kept open once, then locked again."""
    at = T0 + timedelta(hours=1, minutes=10)
    unlock = WindowUnlock(
        7,
        "Front Door",
        "keycode",
        "Cleaner",
        at,
        T0 + timedelta(hours=9),
        at + timedelta(minutes=5),
        "UTC",
        timedelta(minutes=30),
    )
    kept = KeptOpen("Front Door", "U2", at + timedelta(minutes=32), "UTC", False)
    relocked = request(LockStatus.LOCKED, 1.2, source="relock")
    thread = [windows.said(kept), locks.thread_final(relocked)]
    return (
        "An unlock inside a lock window",
        windows.unlocked_message(unlock),
        [Message.plain(line) for line in thread],
    )


def _mrkdwn(text: str) -> str:
    out = html.escape(text, quote=False).replace("&amp;amp;", "&amp;")
    out = re.sub(r"&lt;@(\w+)&gt;", lambda m: f"<b class=at>@{PEOPLE.get(m[1], m[1])}</b>", out)
    out = re.sub(r"&lt;#(\w+)&gt;", lambda m: f"<b class=at>#{CHANNELS.get(m[1], m[1])}</b>", out)
    out = re.sub(r"&lt;(http[^|]+)\|([^&]+)&gt;", r"<a>\2</a>", out)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*([^*\n]+)\*", r"<b>\1</b>", out)
    return out.replace("\n", "<br>")


def _block(block: dict[str, Any]) -> str:
    if block["type"] == "section":
        text = f"<div>{_mrkdwn(block['text']['text'])}</div>" if "text" in block else ""
        fields = "".join(f"<div>{_mrkdwn(f['text'])}</div>" for f in block.get("fields", []))
        return text + (f"<div class=fields>{fields}</div>" if fields else "")
    if block["type"] == "context":
        texts = " ".join(_mrkdwn(e["text"]) for e in block["elements"])
        return f"<div class=context>{texts}</div>"
    buttons = "".join(f"<span class=button>{e['text']['text']}</span>" for e in block["elements"])
    return f"<div class=actions>{buttons}</div>"


def _message(message: Message, reply: bool = False) -> str:
    blocks = "".join(f"<div class=block>{_block(b)}</div>" for b in message.payload()["blocks"])
    head = "<div class=name>lockbot <span class=app>APP</span> <span class=t>22:00</span></div>"
    return f"<div class='msg{' reply' if reply else ''}'><div class=avatar>🔒</div><div>{head}{blocks}</div></div>"


STYLE = """
body{font:15px/1.46 'Noto Sans','Helvetica',sans-serif;color:#1d1c1d;margin:0;background:#fff;width:740px}
h2{font-size:13px;color:#616061;margin:18px 20px 4px;text-transform:uppercase;letter-spacing:.5px}
.msg{display:flex;gap:10px;padding:6px 20px}.reply{margin-left:46px;border-left:3px solid #ddd}
.avatar{width:36px;height:36px;border-radius:6px;background:#4a154b;color:#fff;display:flex;
align-items:center;justify-content:center;flex:none}.name{font-weight:700}
.app{font-size:10px;background:#ddd;border-radius:2px;padding:0 3px;font-weight:400}
.t{color:#616061;font-weight:400;font-size:12px}.block{margin:4px 0}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:6px 16px;margin-top:6px}
.context{color:#616061;font-size:12px}.at{color:#1264a3;background:#e8f5fa;font-weight:400}
code{color:#e01e5a;background:#f6f6f6;border:1px solid #ddd;border-radius:3px;padding:0 2px;font-size:12px}
.button{display:inline-block;border:1px solid #bbb;border-radius:4px;padding:3px 12px;font-weight:700;
font-size:13px}a{color:#1264a3}
"""


def main(markdown: Path, page: Path) -> None:
    parts = [
        "# What lockbot posts in a channel\n\n",
        "Block Kit, with the plain `text` kept as the notification fallback. Generated by "
        "`python -m tests.support.preview` from the builders in `bot/slack/words/posts.py` (and "
        "`windows.py` for a lock window's message); "
        "paste a `blocks` array into [Block Kit Builder](https://app.slack.com/block-kit-builder) "
        "to see it in Slack's own rendering.\n\n![the messages, roughly as Slack shows them]"
        "(messages.png)\n",
    ]
    sections = []
    for title, message, thread in scenes():
        payload = json.dumps(message.payload(), indent=2, ensure_ascii=False)
        parts.append(f"\n## {title}\n\n```json\n{payload}\n```\n")
        replies = "".join(_message(m, reply=True) for m in thread)
        sections.append(f"<h2>{title}</h2>{_message(message)}{replies}")
    markdown.write_text("".join(parts))
    style = f"<style>{STYLE}</style>"
    page.write_text(f"<!doctype html><meta charset=utf-8>{style}{''.join(sections)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
