"""The `/lock` grammar: text in, a Command out. Pure, so it can be fuzzed."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_TEXT = 200
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Lock:
    target: str


@dataclass(frozen=True)
class Invalid:
    reason: str


Command = Help | Lock | Invalid


def clean(text: str) -> str:
    """Drop control and format characters and collapse whitespace."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch)[0] != "C"
    )
    return _SPACES.sub(" ", kept).strip()


def parse(text: str | None) -> Command:
    raw = clean(text or "")
    if len(raw) > MAX_TEXT:
        return Invalid(f"That is {len(raw)} characters; a door name is at most {MAX_TEXT}.")
    if raw.casefold() in ("", "help", "?", "-h", "--help"):
        return Help()
    return Lock(raw)
