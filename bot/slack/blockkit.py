"""Block Kit, built with slack_sdk's own models and cut to Slack's limits by construction.

A `Message` is what the bot posts: its blocks, and the plain `text` Slack shows in
notifications and to screen readers. slack_sdk validates every block when it is turned into
JSON, and raises on a limit it knows; the builders here cut text, fields and blocks first, so a
long name or a big group never costs the message itself. The words come from bot/slack/words/.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

# Slack's limits (docs.slack.dev, Block Kit reference); slack_sdk checks most of them too.
BLOCKS_MAX = 50  # per message
FIELDS_MAX = 10  # per section
FIELD_TEXT_MAX = 2000
SECTION_TEXT_MAX = 3000
CONTEXT_ELEMENTS_MAX = 10
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000

# A failure's Try again button: its value is the door or group to lock, as typed in /lock.
RETRY_ACTION_ID = "lock_retry"
# A link button still sends Slack an action, which the app acknowledges and ignores.
LINK_ACTION_ID = "open_thread"


@dataclass(frozen=True)
class Message:
    text: str  # the notification fallback: what the message said before it had blocks
    blocks: tuple[Block, ...] = ()

    @classmethod
    def plain(cls, text: str) -> Message:
        """A short line (a thread reply): the same words, in one section."""
        return cls(text, (section(text),))

    def noted(self, note: str) -> Message:
        """The message with a line before it (why it is posted here and not where it was asked)."""
        return Message(f"{note}\n{self.text}", (section(note), *self.blocks)[:BLOCKS_MAX])

    def payload(self) -> dict[str, Any]:
        """chat.postMessage / chat.update arguments; `to_dict` validates every block."""
        return {"text": self.text, "blocks": [block.to_dict() for block in self.blocks]}


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> MarkdownTextObject:
    return MarkdownTextObject(text=cut(text, limit))


def section(text: str) -> SectionBlock:
    return SectionBlock(text=mrkdwn(text))


def context(*parts: str) -> ContextBlock:
    return ContextBlock(elements=[mrkdwn(p) for p in parts[:CONTEXT_ELEMENTS_MAX] if p])


def field_sections(fields: Sequence[str], max_blocks: int) -> list[SectionBlock]:
    """`fields`, ten to a section, in at most `max_blocks` sections (the caller says what the
    rest were)."""
    shown = fields[: FIELDS_MAX * max_blocks]
    return [
        SectionBlock(fields=[mrkdwn(f, FIELD_TEXT_MAX) for f in shown[i : i + FIELDS_MAX]])
        for i in range(0, len(shown), FIELDS_MAX)
    ]


def button(label: str, action_id: str, value: str) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=cut(label, BUTTON_TEXT_MAX), emoji=True),
        action_id=action_id,
        value=cut(value, BUTTON_VALUE_MAX),
    )


def link_button(label: str, url: str) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=cut(label, BUTTON_TEXT_MAX), emoji=True),
        action_id=LINK_ACTION_ID,
        url=url,
    )


def actions(*elements: ButtonElement) -> ActionsBlock:
    return ActionsBlock(elements=list(elements))
