"""The Slack side of the WindowNotifier port: the unlock message in the window's channel, lines
in its thread, and an alert when a relock is given up on. Best effort, as device news is: the
`relock` row keeps what happened either way."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import MessageRef
from bot.slack.blockkit import Message
from bot.slack.words import windows as words
from bot.window_news import RelockGaveUp, WindowNews, WindowUnlock

log = logging.getLogger(__name__)


class SlackWindowNotifier:
    def __init__(self, client: AsyncWebClient, alert_channel: str) -> None:
        self.client = client
        self.alert_channel = alert_channel

    async def window_unlocked(self, channel: str, news: WindowUnlock) -> MessageRef | None:
        try:
            response = await self.client.chat_postMessage(
                channel=channel, unfurl_links=False, **words.unlocked_message(news).payload()
            )
        except SlackApiError as error:
            log.warning("could not tell %s's unlock in %s: %s", news.door, channel, error)
            return None
        return MessageRef(str(response["channel"]), str(response["ts"]))

    async def window_news(self, channel: str, thread: str | None, news: WindowNews) -> None:
        line = Message.plain(words.said(news)).payload()
        await self.client.chat_postMessage(channel=channel, thread_ts=thread, **line)
        if isinstance(news, RelockGaveUp) and self.alert_channel:
            await self.client.chat_postMessage(channel=self.alert_channel, **line)
