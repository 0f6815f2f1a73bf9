"""The terminal's words for what the domain refuses: each `Refused` once, with the commands a
terminal user types (`lockbot doors list`), never Slack's."""

from __future__ import annotations

from bot.refusal_text import Pointers, sentence
from bot.refusals import Refusal, Refused
from bot.schedules import TooMany, TooOften, WrongChannel
from bot.text import span


def _schedule_limit(error: Refusal) -> str:
    if isinstance(error, WrongChannel):
        only = "; ".join(
            f"{name} only from {', '.join(ids)}" for name, ids in error.allowed.items()
        )
        return (
            "A schedule's runs lock from the channel they report in, and "
            f"{error.channel_id} is not one its doors may be locked from: {only}."
        )
    if isinstance(error, TooOften):
        return (
            f"{error.when.describe()} runs as often as every {span(error.gap)}, and a schedule "
            f"may run at most once every {span(error.minimum)}. An admin may schedule it more "
            "often."
        )
    assert isinstance(error, TooMany)
    return (
        f"{error.owner} has {error.limit} active schedules, the most one person may have. "
        "Pause or remove one first, or ask an admin."
    )


TERMINAL = Pointers(
    doors="`lockbot doors list`",
    groups="`lockbot groups list`",
    sync="`lockbot doors sync`",
    schedules="`lockbot schedules list`",
)


def refusal(error: Refusal) -> str:
    """The sentence a terminal user reads after `✗`."""
    if error.why in (Refused.WRONG_CHANNEL, Refused.TOO_OFTEN, Refused.TOO_MANY):
        return _schedule_limit(error)
    name = error.names[0] if error.names else ""
    not_a_subject = (
        f"{name!r} is not a Slack ID: use a user ID (U… or W…) or a user group ID "
        "(S…), which Slack shows under a profile's ⋮ menu as “Copy member ID”"
    )
    return sentence(error, TERMINAL, not_a_subject)
