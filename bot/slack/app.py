"""The Bolt AsyncApp and its `/lock` listener."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import metrics
from bot.locking import LockService, Requester
from bot.logs import bind_request, new_request_id
from bot.models import LockStatus
from bot.slack import messages
from bot.slack.commands import Help, Invalid, Lock, parse

log = logging.getLogger(__name__)


def build_app(
    service: LockService,
    client: AsyncWebClient,
    *,
    signing_secret: str | None,
    admins: frozenset[str],
) -> AsyncApp:
    # process_before_response: the listener acks as soon as the request is recorded, then hands
    # the slow part to a task. Bolt's default would poll for the ack every 10 ms instead.
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret or None,
        process_before_response=True,
    )

    @app.command("/lock")
    async def lock_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        started = time.perf_counter()
        kind, result = await handle(ack, command)
        metrics.COMMANDS.labels(kind=kind, result=result).inc()
        metrics.ACK_SECONDS.observe(time.perf_counter() - started)

    async def handle(ack: AsyncAck, command: dict[str, Any]) -> tuple[str, str]:
        """Answer one /lock; returns its kind and result for the metrics."""
        match parse(command.get("text")):
            case Help():
                await ack(text=messages.HELP, response_type="ephemeral")
                return "help", "ok"
            case Invalid(reason):
                await ack(text=messages.invalid(reason), response_type="ephemeral")
                return "invalid", "rejected"
            case Lock(target):
                request_id = new_request_id()
                bind_request(request_id)
                log.info(
                    "/lock %r from %s in %s",
                    target,
                    command.get("user_id"),
                    command.get("channel_id"),
                )
                requester = Requester(
                    user_id=command["user_id"],
                    channel_id=command.get("channel_id"),
                    response_url=command.get("response_url"),
                )
                try:
                    submission = await service.submit(requester, target, request_id)
                except Exception:
                    log.exception("could not record a /lock from %s", requester.user_id)
                    await ack(text=messages.intake_failed(), response_type="ephemeral")
                    return "lock", "error"
                request = submission.request
                if submission.accepted:
                    await ack()
                    assert request.id is not None
                    service.spawn(service.start(request.id))
                elif submission.joined is not None:
                    await ack(
                        text=messages.joined(request, submission.joined), response_type="ephemeral"
                    )
                    return "lock", "joined"
                elif request.error_type == "door_missing":
                    await ack(text=messages.door_missing(request), response_type="ephemeral")
                elif request.error_type == "rate_limited":
                    await ack(
                        text=messages.rate_limited(service.rate_limit), response_type="ephemeral"
                    )
                elif request.status is LockStatus.DENIED:
                    await ack(
                        text=messages.denied(request, sorted(admins)),
                        response_type="ephemeral",
                    )
                else:
                    await ack(
                        text=messages.unknown_door(target, submission.suggestions),
                        response_type="ephemeral",
                    )
                return "lock", "accepted" if submission.accepted else request.status.value

    return app
