"""Telling device news: best effort, since the event's row keeps what happened either way."""

from __future__ import annotations

import logging

from bot.ports import EventNotifier, MessageRef

log = logging.getLogger(__name__)


class Teller:
    """Posts and edits through the EventNotifier, turning its failures into outcomes."""

    def __init__(self, notifier: EventNotifier) -> None:
        self.notifier = notifier

    async def send(self, channel: str, text: str) -> MessageRef | None:
        """The message posted, or None when it could not be (logged)."""
        try:
            return await self.notifier.post(channel, text)
        except Exception:
            log.exception("could not post device news in %s", channel)
            return None

    async def post(self, channel: str, text: str) -> str:
        """The relay's outcome for a post: relayed or failed."""
        return "relayed" if await self.send(channel, text) is not None else "failed"

    async def edit(self, ref: MessageRef, text: str, device_id: str) -> None:
        try:
            await self.notifier.update(ref, text)
        except Exception:
            log.exception("could not update the message about device %s", device_id)
