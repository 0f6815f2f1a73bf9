"""Words every surface shares: echoing people's text back safely, times and spans as people
read them, and the rule a name breaks."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.names import NAME_MAX
from bot.refusals import BadName


def escape(text: str) -> str:
    """Chat markup escaping (Slack's mrkdwn: `&`, `<`, `>`), so a door called `<!channel>`
    echoes back as text and never as a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def local_time(moment: datetime, zone: str, *, year: bool = False) -> str:
    """A moment as people in `zone` read it: "Thu 26 Nov 22:00"."""
    return moment.astimezone(ZoneInfo(zone)).strftime(
        "%a %d %b %Y %H:%M" if year else "%a %d %b %H:%M"
    )


def span(length: timedelta) -> str:
    """A length of time in words: "14 min", "1 h 10 min", "3 days"; rounded to the minute, never
    "0 min"."""
    minutes = max(1, round(length.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours >= 48:
        return f"{round(minutes / 1440)} days"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def bad_name(name: str, why: BadName | None, kind: str) -> str:
    """The rule `name` breaks as a `kind` ("door name", "group name", "alias"), with the name
    quoted as typed: the same rule, said alike, wherever a name is given."""
    match why:
        case BadName.EMPTY | None:
            rule = f"a {kind} needs at least one letter or digit"
        case BadName.TOO_LONG:
            rule = f"a {kind} is at most {NAME_MAX} characters"
        case BadName.STAR:
            rule = "`*` means every door and cannot be a name"
    return f"{name!r}: {rule}"
