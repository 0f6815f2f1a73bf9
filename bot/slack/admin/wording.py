"""How `/lock admin` answers are worded, and cut to fit one Slack message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.ids import is_group_id, is_user_id
from bot.text import escape

# Slack folds long messages behind "Show more" and a section block holds 3,000 characters;
# an answer that fits on a screen is one that gets read.
MAX_CHARS = 3000
LINE_MAX = 400
NAMES_SHOWN = 10

PREFIX = "/lock admin"

# The terminal's hints inside domain errors, as an admin in Slack would type them.
_HINTS = {
    "`lockbot doors list`": f"`{PREFIX} doors`",
    "`lockbot groups list`": f"`{PREFIX} groups`",
    "`lockbot doors sync`": f"`{PREFIX} sync`",
}


def who(subject: str) -> str:
    if is_user_id(subject):
        return f"<@{subject}>"
    if is_group_id(subject):
        return f"<!subteam^{subject}>"
    return f"`{escape(subject)}`"


def bold(name: str) -> str:
    return f"*{escape(name)}*"


def names(items: Sequence[str]) -> str:
    shown = ", ".join(bold(n) for n in items[:NAMES_SHOWN])
    left = len(items) - NAMES_SHOWN
    return shown + (f" and {left} more" if left > 0 else "")


def channel_list(channels: Sequence[str]) -> str:
    return ", ".join(f"<#{escape(c)}>" for c in channels)


def when(moment: datetime) -> str:
    # Slack shows the date token in each reader's own time zone; the fallback is UTC.
    utc = moment.astimezone(UTC)
    return f"<!date^{int(utc.timestamp())}^{{date_short}} {{time}}|{utc:%Y-%m-%d %H:%M} UTC>"


def _cut(line: str, limit: int = LINE_MAX) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def fit(
    header: str,
    lines: Sequence[str],
    hint: str,
    *,
    tail: Sequence[str] = (),
    code: bool = False,
) -> str:
    """`header`, as many `lines` as fit in one Slack answer, then `tail`, which always shows."""
    lines = [_cut(line) for line in lines]
    tail = [_cut(line) for line in tail]
    budget = MAX_CHARS - len(header) - sum(len(t) + 1 for t in tail) - len(hint) - 40
    shown: list[str] = []
    for line in lines:
        budget -= len(line) + 1
        if budget < 0:
            break
        shown.append(line)
    left = len(lines) - len(shown)
    body = [*shown, *([f"…and {left} more."] if left else []), *tail]
    text = "\n".join(body)
    if code:
        text = f"```\n{text}\n```"
    return f"{header}\n{text}" + (f"\n{hint}" if left else "")


def warning(message: str) -> str:
    return f"⚠️ {escape(message[:1].upper() + message[1:])}"


def domain_error(error: Exception) -> str:
    message = str(error)
    for terminal, slack in _HINTS.items():
        message = message.replace(terminal, slack)
    return warning(message)
