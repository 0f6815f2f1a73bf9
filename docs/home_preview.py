"""A rough look at the App Home without Slack: renders the view in docs/home.md as an HTML page
(its path is printed) and, with --screenshot, photographs it with headless Chromium
(docs/home-preview.png). Slack draws it in its own way; this is for reading what people see.

    .venv/bin/python docs/home_preview.py --screenshot
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
STYLE = """
body { font: 15px/1.45 -apple-system, 'Segoe UI', Lato, sans-serif; color: #1d1c1d;
       max-width: 760px; margin: 24px auto; }
h1 { font-size: 22px; margin: 8px 0 12px; }
.section { display: flex; justify-content: space-between; align-items: flex-start;
           gap: 16px; margin: 10px 0; }
.context { color: #616061; font-size: 13px; margin: 6px 0; }
button, select { font: inherit; border: 1px solid #bbb; border-radius: 6px; background: #fff;
                 padding: 4px 12px; white-space: nowrap; }
code { background: #f2f2f2; border: 1px solid #ddd; border-radius: 3px; padding: 0 3px;
       color: #c01343; font-size: 13px; }
.mention { background: #e8f5fa; color: #1264a3; border-radius: 3px; padding: 0 2px; }
hr { border: 0; border-top: 1px solid #ddd; margin: 16px 0; }
"""


def mrkdwn(text: str) -> str:
    """Enough of Slack's mrkdwn for a preview: dates, mentions, bold, code, new lines."""
    text = re.sub(r"<!date\^\d+\^[^|]*\|([^>]*)>", r"\1", text)
    text = re.sub(r"<@(\w+)>", "\x01@\\1\x02", text)
    out = html.escape(text).replace("&amp;lt;", "&lt;").replace("&amp;gt;", "&gt;")
    out = out.replace("\x01", '<span class="mention">').replace("\x02", "</span>")
    out = re.sub(r"`([^`]*)`", r"<code>\1</code>", out)
    out = re.sub(r"\*([^*\n]+)\*", r"<b>\1</b>", out)
    return out.replace("\n", "<br>")


def element(item: dict[str, Any]) -> str:
    if item["type"] == "button":
        return f"<button>{html.escape(item['text']['text'])}</button>"
    if item["type"] == "static_select":
        return f"<select><option>{html.escape(item['placeholder']['text'])}</option></select>"
    return ""


def block(item: dict[str, Any]) -> str:
    match item["type"]:
        case "header":
            return f"<h1>{html.escape(item['text']['text'])}</h1>"
        case "divider":
            return "<hr>"
        case "context":
            return f'<div class="context">{mrkdwn(item["elements"][0]["text"])}</div>'
        case "actions":
            return f'<div class="section">{"".join(map(element, item["elements"]))}</div>'
    accessory = element(item["accessory"]) if "accessory" in item else ""
    return f'<div class="section"><div>{mrkdwn(item["text"]["text"])}</div>{accessory}</div>'


def main() -> None:
    view = json.loads((HERE / "home.md").read_text().split("```json\n", 1)[1].split("\n```")[0])
    page = Path(tempfile.mkdtemp()) / "home-preview.html"
    body = "\n".join(map(block, view["blocks"]))
    page.write_text(f"<!doctype html><meta charset=utf-8><style>{STYLE}</style>\n{body}\n")
    print(page)
    if "--screenshot" in sys.argv:
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        shot = f"--screenshot={HERE / 'home-preview.png'}"
        # Our own page and a fixed browser path: nothing untrusted reaches the command line.
        size = "--window-size=820,600"
        subprocess.run([CHROMIUM, *flags, shot, size, page.as_uri()], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
