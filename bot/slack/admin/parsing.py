"""Reading what Slack sends: the words of a `/lock admin` command, and the IDs in mentions."""

from __future__ import annotations

import re
import shlex

from bot import access
from bot.slack.words import admin as words

# Mentions, channels and links Slack made of what was typed. The text arrives with Slack's
# `&lt;`/`&gt;`/`&amp;` already undone (bot.slack.commands.clean), so a typed `<Lab>` is text.
_ENTITY = re.compile(r"<([@#!][^<>]*|(?:https?|mailto):[^<>]*)>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)>")
_SUBTEAM = re.compile(r"<!subteam\^(S[A-Z0-9]+)>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)>")


class InputError(ValueError):
    """What the admin typed cannot be done as typed; the message (`bot.slack.words.admin`)
    says how to put it."""


def _canonical(match: re.Match[str]) -> str:
    ref, _, label = match.group(1).partition("|")
    if ref[:1] in ("@", "#", "!"):
        # The label is display text that may hold spaces or quotes; the ID is what counts.
        return f"<{ref}>"
    # A link Slack made of something typed (a door called example.com): take what was typed.
    return label or ref


def split(args: str) -> list[str]:
    """Words of `args`, quotes grouping names with spaces; mentions keep only their IDs."""
    text = _ENTITY.sub(_canonical, args)
    # Phones and Macs turn straight double quotes into curly ones as people type.
    text = text.replace("“", '"').replace("”", '"').replace("„", '"')
    try:
        typed = shlex.split(text)
    except ValueError as error:
        if "quotation" in str(error):
            raise InputError(words.quote_not_closed()) from None
        raise InputError(words.unreadable(error)) from None
    return typed


def subject_id(word: str) -> str:
    """The Slack ID of a user or user group, from a mention or a raw ID."""
    for pattern in (_USER, _SUBTEAM):
        if found := pattern.fullmatch(word):
            return found.group(1)
    if access.valid_subject(word) is None:
        return word
    raise InputError(words.not_a_grantee(word))


def channel_id(word: str) -> str:
    if found := _CHANNEL.fullmatch(word):
        return found.group(1)
    if word.startswith("#"):
        raise InputError(words.channel_as_text(word))
    return word
