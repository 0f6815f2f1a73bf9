"""Wiring: builds the parts from Settings and runs them for as long as the bot lives."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass

from aiohttp import web
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.access import AccessPolicy
from bot.config import Settings
from bot.db import Database, migrate_async
from bot.locking import LockService, Timing
from bot.ports import GroupDirectory, Notifier
from bot.scheduler import Scheduler
from bot.seam import SeamBackend
from bot.slack.groups import SlackGroups
from bot.slack.notifier import SlackNotifier
from bot.web import build_web_app

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_S = 8.0


def slack_client(settings: Settings) -> AsyncWebClient:
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value() or None,
        base_url=settings.slack_api_url,
    )
    client.retry_handlers.extend(
        [
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ]
    )
    # The connection-error handler is already in the default list; keep one of it.
    if not any(isinstance(h, AsyncConnectionErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(AsyncConnectionErrorRetryHandler())
    return client


def timing(settings: Settings) -> Timing:
    return Timing(
        timeout_s=settings.lock_timeout_s,
        poll_first_s=settings.poll_first_s,
        poll_backoff=settings.poll_backoff,
        poll_max_s=settings.poll_max_s,
    )


@dataclass
class Runtime:
    settings: Settings
    db: Database
    backend: SeamBackend
    scheduler: Scheduler
    service: LockService

    @classmethod
    def build(cls, settings: Settings, notifier: Notifier, groups: GroupDirectory) -> Runtime:
        db = Database(settings.database_url)
        backend = SeamBackend(
            settings.seam_api_key.get_secret_value(),
            settings.seam_endpoint,
            timeout_s=settings.seam_timeout_s,
        )
        scheduler = Scheduler()
        service = LockService(
            db,
            backend,
            notifier,
            scheduler,
            AccessPolicy(settings.admins, groups),
            timing(settings),
        )
        return cls(settings, db, backend, scheduler, service)

    async def start(self) -> None:
        self.scheduler.start()
        await self.service.resume_pending()

    async def close(self) -> None:
        await self.service.drain(SHUTDOWN_GRACE_S)
        self.scheduler.shutdown()
        await self.backend.close()
        await self.db.close()


async def serve(settings: Settings, *, http: bool, port: int) -> None:
    """Run the bot until SIGINT or SIGTERM."""
    await migrate_async(settings.database_url)
    client = slack_client(settings)
    runtime = Runtime.build(
        settings, SlackNotifier(client, settings.alert_channel), SlackGroups(client)
    )
    # Imported here so that the CLI's other commands never pay for Bolt's import.
    from bot.slack.app import build_app

    bolt = build_app(
        runtime.service,
        client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        admins=settings.admins,
    )
    socket_mode = settings.socket_mode and not http
    web_app = build_web_app(runtime.db, bolt if not socket_mode else None)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, port)
    await site.start()
    await runtime.start()
    log.info(
        "lockbot listening on http://%s:%d (%s)",
        settings.host,
        port,
        "Socket Mode" if socket_mode else "HTTP: POST /slack/events",
    )

    socket_handler = None
    if socket_mode:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        socket_handler = AsyncSocketModeHandler(bolt, settings.slack_app_token.get_secret_value())
        await socket_handler.connect_async()  # type: ignore[no-untyped-call]

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    if socket_handler is not None:
        await socket_handler.close_async()  # type: ignore[no-untyped-call]
    await runner.cleanup()
    await runtime.close()
