"""The helpers every Slack sentence shares, each with one meaning: a name in bold, a person,
a time, a length of time, an answer cut to fit one message."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from bot.ids import is_group_id, is_user_id
from bot.models import LockRequest
from bot.text import escape

# One section block's worth: the answer renders whole, and could move into blocks unchanged.
TEXT_MAX = 3000


def bold(name: str) -> str:
    return f"*{escape(name)}*"


def mention(user_id: str) -> str:
    """A Slack user as a mention; a terminal operator (`cli:alice`) as plain text."""
    return f"<@{user_id}>" if is_user_id(user_id) else escape(user_id)


def grantee(subject: str) -> str:
    """Whoever a grant names: a user or a user group as a mention, anything else as code."""
    if is_user_id(subject):
        return f"<@{subject}>"
    if is_group_id(subject):
        return f"<!subteam^{subject}>"
    return f"`{escape(subject)}`"


def who_asked(request: LockRequest) -> str:
    """Whoever asked for a lock: a mention from Slack, plain text from elsewhere."""
    return f"<@{request.user_id}>" if request.source == "slack" else escape(request.user_id)


def ask_admins(admins: Collection[str]) -> str:
    """Whom to ask for access: the admins by mention, else "an admin"."""
    return ", ".join(f"<@{a}>" for a in sorted(admins)) or "an admin"


def count(number: int, thing: str) -> str:
    """ "1 door", "3 doors"."""
    return f"{number} {thing}{'' if number == 1 else 's'}"


def elapsed(request: LockRequest) -> str:
    """How long a lock request took: "1.2 s", "3.5 min", "2.0 h", "3.0 d"."""
    seconds = request.elapsed_s or 0.0
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def ago(when: datetime, now: datetime) -> str:
    """ "just now", "5 min ago", "2 h ago", "3 d ago". A time a little ahead of ours (another
    clock) is "just now"."""
    seconds = max(0.0, (now - when).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


def pretty_date(when: datetime) -> str:
    """A date Slack shows in the reader's own time zone, "Yesterday at 10:00"; the fallback is
    for clients that can't."""
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def short_date(moment: datetime) -> str:
    """A date Slack shows in the reader's own time zone, "Jan 5, 2025 10:00"; the fallback is
    UTC."""
    utc = moment.astimezone(UTC)
    return f"<!date^{int(utc.timestamp())}^{{date_short}} {{time}}|{utc:%Y-%m-%d %H:%M} UTC>"


def fit(head: str, lines: Sequence[str], tail: str = "", limit: int = TEXT_MAX) -> str:
    """`head`, as many `lines` as fit in `limit` characters, then "…and N more", then `tail`."""
    budget = limit - len(head) - (len(tail) + 1 if tail else 0)
    shown: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        rest = len(lines) - index - 1
        # Keep room for the "…and N more" line unless this is the last one.
        reserve = len(f"\n…and {len(lines)} more") if rest else 0
        if used + 1 + len(line) + reserve > budget:
            break
        shown.append(line)
        used += 1 + len(line)
    more = len(lines) - len(shown)
    parts = [head, *shown]
    if more:
        parts.append(f"…and {more} more")
    if tail:
        parts.append(tail)
    return "\n".join(parts)
