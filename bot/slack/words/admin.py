"""`/lock admin` in Slack: what every answer shares (names, channels, an answer cut to fit one
message, a warning), the refusals of the dispatcher, and how admins are told they typed
something that cannot be done as typed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.slack.words.common import bold, grantee
from bot.text import escape

# Slack folds long messages behind "Show more" and a section block holds 3,000 characters;
# an answer that fits on a screen is one that gets read.
MAX_CHARS = 3000
LINE_MAX = 400
NAMES_SHOWN = 10

PREFIX = "/lock admin"


def names(items: Sequence[str]) -> str:
    """The first few names in bold, and how many more."""
    shown = ", ".join(bold(n) for n in items[:NAMES_SHOWN])
    left = len(items) - NAMES_SHOWN
    return shown + (f" and {left} more" if left > 0 else "")


def channel_list(channels: Sequence[str]) -> str:
    return ", ".join(f"<#{escape(c)}>" for c in channels)


def cut(line: str, limit: int = LINE_MAX) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def listing(
    header: str,
    lines: Sequence[str],
    hint: str,
    *,
    tail: Sequence[str] = (),
    code: bool = False,
) -> str:
    """`header`, as many `lines` (each cut to `LINE_MAX`) as fit in one Slack answer, then
    `tail`, which always shows; `hint` says where to see the rest when some are left out."""
    lines = [cut(line) for line in lines]
    tail = [cut(line) for line in tail]
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
    """A sentence (raw text, escaped here) as a refusal: ⚠️ and a capital letter."""
    return f"⚠️ {escape(message[:1].upper() + message[1:])}"


# -- the dispatcher ----------------------------------------------------------------------------


def not_an_admin(admins: Sequence[str]) -> str:
    ask = ", ".join(grantee(a) for a in admins[:NAMES_SHOWN]) or "a lockbot admin"
    return f"🚫 `{PREFIX}` is for lockbot admins. If something needs changing, ask {ask}."


def unknown_subcommand(word: str, help_text: str) -> str:
    return f"🤔 I don't know `{escape(word)}`.\n{help_text}"


def does_not_fit(name: str, usage: str) -> str:
    return (
        f"⚠️ That doesn't fit `{name}`. Names with spaces go in quotes, like "
        f"`{PREFIX} {escape(usage)}`."
    )


def lost_race() -> str:
    return (
        "⚠️ Something else changed the same thing at the same moment, so nothing was "
        "written. Try again."
    )


HELP_INTRO = (
    "🛠️ *lockbot admin*. Put names with spaces in quotes; mention people, user groups and "
    "channels with `@` and `#`. Every change is recorded with your name."
)


def help_entry(usage: str, about: str) -> str:
    return f"• `{PREFIX} {usage}`: {about}"


# -- what was typed (raw sentences: `warning` escapes them) ------------------------------------


def quote_not_closed() -> str:
    return (
        "a quote is not closed. Put names with spaces in quotes, like "
        f'`{PREFIX} rename "Front Door" "Main Entrance"`.'
    )


def unreadable(error: object) -> str:
    return f"I could not read that ({error})."


def not_a_grantee(word: str) -> str:
    return (
        f"“{word}” is not someone I can grant to. Mention a person or user group and pick them "
        "from Slack's list as you type `@`, or paste their ID (U…, W… or S…)."
    )


def channel_as_text(word: str) -> str:
    return (
        f"“{word}” reached me as plain text. Pick the channel from Slack's list as you type "
        "`#`, so Slack sends its ID."
    )


def sync_arguments() -> str:
    return f"`sync` takes only `--dry-run`, like `{PREFIX} sync --dry-run`."


def audit_arguments(most: int) -> str:
    return f"`audit` shows 1 to {most} changes, like `{PREFIX} audit 20`."


def quiet_off_arguments() -> str:
    return f"`off` takes nothing after it, like `{PREFIX} quiet #alerts off`."


def channels_or_any() -> str:
    return "give channels, or `any` to lift the limit, not both."
