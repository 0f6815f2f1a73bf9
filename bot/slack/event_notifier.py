"""The Slack side of the EventNotifier port: device news worded (`words.news`), posted, and
edited in place.

Best effort: a post that fails is logged and reported as None, never raised, so one bad channel
cannot stop the relay (the event's row records what became of it).
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.news import News
from bot.ports import MessageRef
from bot.slack.words.news import message

log = logging.getLogger(__name__)


def _error(error: SlackApiError) -> str:
    return str(error.response.get("error", "unknown_error"))


class SlackEventNotifier:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def post(self, channel: str, news: News) -> MessageRef | None:
        try:
            response = await self.client.chat_postMessage(
                channel=channel, unfurl_links=False, unfurl_media=False, **message(news).payload()
            )
        except SlackApiError as error:
            # not_in_channel, channel_not_found…: an admin fixes those; `lockbot doctor` says how.
            log.warning("could not post device news in %s: %s", channel, _error(error))
            return None
        except Exception:
            log.exception("could not post device news in %s", channel)
            return None
        return MessageRef(str(response["channel"]), str(response["ts"]))

    async def update(self, ref: MessageRef, news: News) -> None:
        try:
            await self.client.chat_update(channel=ref.channel, ts=ref.ts, **message(news).payload())
        except SlackApiError as error:
            log.warning(
                "could not update device news %s in %s: %s", ref.ts, ref.channel, _error(error)
            )
        except Exception:
            log.exception("could not update device news %s in %s", ref.ts, ref.channel)
