"""Answers that wait on another service (Seam, Slack), given after the ack.

With `process_before_response`, whatever a listener awaits delays its ack, and Slack gives up
after 3 s. So a command that must ask Seam or Slack first acks at once with a short note, and
its answer follows through the command's `response_url` (a DM when that fails), from a task the
`LockService` tracks like its own: it is not collected mid-flight, and shutdown waits for it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Later:
    note: str  # the ack, at once: "⏳ Asking Seam about *Front Door*…"
    work: Callable[[], Awaitable[str]]  # the answer, after the ack
    failed: str  # said instead when `work` raises, so the asker is never left waiting


async def follow_up(
    client: AsyncWebClient, later: Later, response_url: str | None, user_id: str
) -> None:
    try:
        text = await later.work()
    except Exception:
        log.exception("a command's answer failed after its ack")
        text = later.failed
    await respond(client, response_url, user_id, text)


async def respond(
    client: AsyncWebClient, response_url: str | None, user_id: str, text: str
) -> None:
    """Tell the asker alone: the command's response_url, else a DM."""
    if response_url:
        problem = await send_to_response_url(response_url, text, "ephemeral")
        if problem is None:
            return
        log.warning("a command's response_url %s; answering %s by DM", problem, user_id)
    try:
        await client.chat_postMessage(channel=user_id, text=text)
    except Exception:
        log.exception("could not answer %s at all", user_id)


async def send_to_response_url(response_url: str, text: str, response_type: str) -> str | None:
    """Post `text` through a command's response_url: None when Slack took it, else what went
    wrong, for the log line before the caller's fallback (a DM)."""
    try:
        sent = await AsyncWebhookClient(response_url).send(
            text=text, response_type=response_type, replace_original=False
        )
    except Exception as error:  # response URLs expire and hosts fail; a DM still works
        return f"failed: {type(error).__name__}"
    return None if sent.status_code == 200 else f"answered {sent.status_code}"
