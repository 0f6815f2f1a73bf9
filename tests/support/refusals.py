"""`refused`: `pytest.raises` for a domain refusal, matched against what the terminal says of it
(`bot.cli.words`), since a refusal carries facts, not a sentence."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.cli.words import refusal
from bot.refusals import Refusal


@contextmanager
def refused(
    kind: type[Refusal], match: str | None = None
) -> Iterator[pytest.ExceptionInfo[Refusal]]:
    with pytest.raises(kind) as raised:
        yield raised
    if match is not None:
        said = refusal(raised.value)
        assert re.search(match, said), f"{match!r} not in {said!r}"
