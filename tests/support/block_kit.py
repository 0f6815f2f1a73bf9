"""Hold what the bot sends against slack_sdk's Block Kit models and Slack's limits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    SectionBlock,
)

# Slack's documented limits, restated here so the test does not trust the code's own numbers.
LIMITS = {"blocks": 50, "fields": 10, "field": 2000, "section": 3000, "context": 10}
BUTTON_TEXT, BUTTON_VALUE = 75, 2000
# Slack reads `<…>` in mrkdwn as a control sequence (a mention, a channel, a link), even in code
# spans: a placeholder such as `/lock <door>` must be sent as `&lt;door&gt;` or Slack mangles it.
CONTROL = re.compile(r"<(?:[@#!][^<>]*|(?:https?|mailto|slack):[^<>]*)>")


def plain_angles(text: str) -> list[str]:
    """The `<…>` in a mrkdwn text that Slack would not read as a control sequence."""
    return re.findall(r"<[^<>]*>", CONTROL.sub("", text))


def valid_blocks(payload: Mapping[str, Any]) -> list[Block]:
    """The message's blocks, parsed by slack_sdk and validated (its `to_dict` raises on a limit
    it knows); the text fallback must be there too."""
    assert payload.get("text"), f"no text fallback: {payload!r}"
    assert not plain_angles(str(payload["text"])), payload["text"]
    raw = payload.get("blocks")
    assert isinstance(raw, list) and raw, f"no blocks: {payload!r}"
    assert len(raw) <= LIMITS["blocks"], len(raw)
    parsed = Block.parse_all(raw)
    assert len(parsed) == len(raw) and all(b is not None for b in parsed), raw
    for block, sent in zip(parsed, raw, strict=True):
        assert block.to_dict() == sent  # validates, and nothing was lost in the round trip
        assert not plain_angles(mrkdwn([block])), mrkdwn([block])
        if isinstance(block, SectionBlock):
            assert block.text is not None or block.fields
            if block.text is not None:
                assert len(block.text.text) <= LIMITS["section"]
            fields = block.fields or []
            assert len(fields) <= LIMITS["fields"]
            assert all(len(f.text) <= LIMITS["field"] for f in fields)
        elif isinstance(block, ContextBlock):
            assert 0 < len(block.elements) <= LIMITS["context"]
        elif isinstance(block, ActionsBlock):
            for element in block.elements:
                assert isinstance(element, ButtonElement)
                assert element.text is not None and len(element.text.text) <= BUTTON_TEXT
                assert element.value is None or len(element.value) <= BUTTON_VALUE
    return parsed


def buttons(blocks: list[Block]) -> list[ButtonElement]:
    return [
        element
        for block in blocks
        if isinstance(block, ActionsBlock)
        for element in block.elements
        if isinstance(element, ButtonElement)
    ]


def mrkdwn(blocks: list[Block]) -> str:
    """Every text the blocks show, one per line, to look for words in."""
    texts: list[str] = []
    for block in blocks:
        if isinstance(block, SectionBlock):
            texts += [block.text.text] if block.text is not None else []
            texts += [f.text for f in block.fields or []]
        elif isinstance(block, ContextBlock):
            texts += [str(getattr(e, "text", "")) for e in block.elements]
    return "\n".join(texts)


def field_texts(blocks: list[Block]) -> list[str]:
    return [f.text for b in blocks if isinstance(b, SectionBlock) for f in b.fields or []]
