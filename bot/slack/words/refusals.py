"""What the domain refuses, as Slack says it: each `Refused` once, with the commands typed in
Slack (`/lock admin doors`, `/lock schedules`), never the terminal's."""

from __future__ import annotations

from bot.refusal_text import Pointers, sentence
from bot.refusals import Refusal
from bot.schedules import TooMany, TooOften, WrongChannel
from bot.slack.words.admin import PREFIX, not_a_grantee
from bot.slack.words.common import mention
from bot.text import escape, span


def _schedule_limit(error: Refusal) -> str:
    """The limits on schedules, in Slack's markup (channels, mentions), escaped here."""
    if isinstance(error, WrongChannel):
        only = "; ".join(
            f"*{escape(name)}* only from {', '.join(f'<#{c}>' for c in channels)}"
            for name, channels in error.allowed.items()
        )
        return (
            f"A schedule's runs lock from the channel they report in, and <#{error.channel_id}> "
            f"is not one its doors may be locked from: {only}. Schedule it from there."
        )
    if isinstance(error, TooOften):
        return (
            f"{escape(error.when.describe())} runs as often as every {span(error.gap)}; "
            f"a schedule may run at most once every {span(error.minimum)}. Pick a longer "
            "interval, or ask an admin."
        )
    assert isinstance(error, TooMany)
    return (
        f"{mention(error.owner)} already has {error.limit} active schedules, the most "
        "one person may have. Pause or remove one first (`/lock schedules` lists them)."
    )


SLACK = Pointers(
    doors=f"`{PREFIX} doors`",
    groups=f"`{PREFIX} groups`",
    sync=f"`{PREFIX} sync`",
    schedules="`/lock schedules`",
    capitalised=True,
)


def _sentence(error: Refusal) -> str:
    """The refusal as plain text, for `refusal` to escape."""
    name = error.names[0] if error.names else ""
    return sentence(error, SLACK, not_a_grantee(name))


def refusal(error: Refusal) -> str:
    """A refusal as Slack answers it: ⚠️ and the sentence."""
    if isinstance(error, WrongChannel | TooOften | TooMany):
        return f"⚠️ {_schedule_limit(error)}"
    return f"⚠️ {escape(_sentence(error))}"


def plain(error: Refusal) -> str:
    """The sentence without markup, where Slack shows plain text (a form field's error); not
    for the schedule limits, which each form words for its own fields."""
    return _sentence(error)
