"""A tap on a failure's Try again button (`blockkit.RETRY_ACTION_ID`).

The tap is a new lock request from whoever tapped, in the channel of the message: it goes
through `LockService.submit` like `/lock <name>`, so permission and channel limits are checked
at the moment of the tap, and a second tap joins the first while it is in flight. It is told in
the thread of the message tapped, whose root then shows the new outcome.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.locking import GroupSubmission, Requester, Submission
from bot.models import LockBatch, LockRequest
from bot.ports import MessageRef
from bot.slack.words import posts

log = logging.getLogger(__name__)


def tapped_by(body: dict[str, Any]) -> Requester | None:
    """Who tapped, where, and the thread to answer in; None for a payload without them."""
    user = (body.get("user") or {}).get("id")
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    # The button is on a thread's root; were it on a reply, its thread is the one to answer in.
    root = (body.get("message") or {}).get("thread_ts") or container.get("message_ts")
    if not (user and channel and root):
        return None
    return Requester(
        user_id=str(user),
        channel_id=str(channel),
        response_url=body.get("response_url"),
        thread=MessageRef(str(channel), str(root)),
    )


async def announce(client: AsyncWebClient, submission: Submission | GroupSubmission) -> None:
    """Before the lock starts: a line in the thread, and the root back to "Locking…" (without
    its button). Best effort: the request is recorded and goes ahead either way."""
    row: LockRequest | LockBatch
    if isinstance(submission, GroupSubmission):
        row, root = submission.batch, posts.group_started(submission.batch, len(submission.members))
    else:
        row, root = submission.request, posts.started(submission.request)
    if not (row.message_channel and row.message_ts):
        return
    try:
        await client.chat_postMessage(
            channel=row.message_channel,
            thread_ts=row.message_ts,
            **posts.retrying(row.user_id).payload(),
        )
        await client.chat_update(channel=row.message_channel, ts=row.message_ts, **root.payload())
    except Exception:
        log.exception("could not say in the thread that %s is trying again", row.user_id)
