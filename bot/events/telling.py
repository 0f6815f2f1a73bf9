"""Telling device news: best effort, since the event's row keeps what happened either way."""

from __future__ import annotations

import logging

from bot.news import News
from bot.ports import EventNotifier, MessageRef

log = logging.getLogger(__name__)


class Teller:
    """Posts and edits through the EventNotifier, turning its failures into outcomes."""

    def __init__(self, notifier: EventNotifier) -> None:
        self.notifier = notifier

    async def send(self, channel: str, news: News) -> MessageRef | None:
        """The message posted, or None when it could not be (logged)."""
        try:
            return await self.notifier.post(channel, news)
        except Exception:
            log.exception("could not post device news in %s", channel)
            return None

    async def post(self, channel: str, news: News) -> str:
        """The relay's outcome for a post: relayed or failed."""
        return "relayed" if await self.send(channel, news) is not None else "failed"

    async def edit(self, ref: MessageRef, news: News, device_id: str) -> None:
        try:
            await self.notifier.update(ref, news)
        except Exception:
            log.exception("could not update the message about device %s", device_id)
