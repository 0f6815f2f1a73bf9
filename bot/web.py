"""The HTTP side: Bolt's `POST /slack/events` and Seam's `POST /seam/webhook` (HTTP mode), and
the probes and metrics (always)."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from seam import SeamWebhookVerificationError
from seam.exceptions import SeamInvalidWebhookPayloadError
from seam.seam_webhook import SeamWebhook
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from sqlmodel import col, func, select

from bot import metrics
from bot.db import Database
from bot.event_intake import EventHandler
from bot.health import ServiceHealth
from bot.models import LockRequest, LockStatus
from bot.seam import to_device_event
from bot.slack.front import CommandFront

log = logging.getLogger(__name__)
SLACK_PATH = "/slack/events"
SEAM_PATH = "/seam/webhook"
# Svix retries a message under the same svix-id for days, but the bursts that matter (a retry
# racing a slow answer) come within minutes; older repeats fall through to the relay's dedupe.
REPLAY_MEMORY_S = 600.0
REPLAY_MEMORY_MAX = 10_000


@dataclass
class Probes:
    """What /healthz and /readyz look at."""

    db: Database
    slack: ServiceHealth
    seam: ServiceHealth
    # Given in Socket Mode, where a dropped socket means a deaf bot.
    socket_connected: Callable[[], Awaitable[bool]] | None = None
    migrated: bool = False
    slack_live: bool = False

    async def health(self) -> dict[str, str]:
        checks = {
            "database": "ok" if await self.db.ping() else "unreachable",
            "slack": self.slack.report(),
            "seam": self.seam.report(),
        }
        if self.socket_connected is not None:
            checks["slack_socket"] = "ok" if await self.socket_connected() else "disconnected"
        return checks

    async def readiness(self) -> dict[str, str]:
        live = self.slack_live
        if self.socket_connected is not None:
            live = live and await self.socket_connected()
        return {
            "migrations": "applied" if self.migrated else "pending",
            "slack": "connected" if live else "not connected",
        }


@dataclass
class SeamWebhookIntake:
    """Seam's webhook: a Svix-signed POST per event, handed to the relay once verified."""

    verifier: SeamWebhook
    relay: EventHandler
    # svix-id → when it was handled (monotonic), so a redelivery costs no database work.
    _handled: dict[str, float] = field(default_factory=dict)

    def _seen(self, message_id: str) -> bool:
        # Ids go in as they are handled, so the dict is oldest first: forget from the front.
        expired = time.monotonic() - REPLAY_MEMORY_S
        while self._handled:
            oldest, at = next(iter(self._handled.items()))
            if at >= expired and len(self._handled) <= REPLAY_MEMORY_MAX:
                break
            del self._handled[oldest]
        return message_id in self._handled

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = dict(request.headers)
        try:
            payload = body.decode("utf-8")
            sdk_event = self.verifier.verify(payload, headers)
        except SeamInvalidWebhookPayloadError as error:
            # Signed by Seam but not an event we can read: retrying will not change that, so
            # answer 2xx (Svix would retry anything else for days) and leave it to the log.
            log.error("Seam webhook: a signed payload we cannot read (%s)", error)
            return web.json_response({"ok": True, "outcome": "unreadable"})
        except (SeamWebhookVerificationError, ValueError) as error:
            # ValueError: a signature header svix cannot parse, or a body that is not UTF-8.
            log.warning("Seam webhook: rejected a request (%s)", error)
            return web.json_response({"ok": False, "error": "invalid_signature"}, status=401)
        message_id = request.headers.get("svix-id") or request.headers.get("webhook-id") or ""
        if message_id and self._seen(message_id):
            return web.json_response({"ok": True, "outcome": "duplicate"})
        event = to_device_event(sdk_event, json.loads(payload))
        if event is None:
            log.warning("Seam webhook: an event without an id or type; ignored")
            return web.json_response({"ok": True, "outcome": "ignored"})
        try:
            outcome = await self.relay.handle(event, "webhook")
        except Exception:
            # 5xx makes Svix deliver it again later; the relay's dedupe keeps that safe.
            log.exception("Seam webhook: could not handle %s", event.event_id)
            return web.json_response({"ok": False, "error": "internal"}, status=500)
        if message_id:
            self._handled[message_id] = time.monotonic()
        return web.json_response({"ok": True, "outcome": outcome})


def _answer(checks: dict[str, str], good: set[str]) -> web.Response:
    ok = all(value in good for value in checks.values())
    return web.json_response({"ok": ok, **checks}, status=200 if ok else 503)


async def pending_count(db: Database) -> int:
    async with db.session() as session:
        query = select(func.count()).where(col(LockRequest.status) == LockStatus.PENDING)
        return int((await session.exec(query)).one())


def build_web_app(
    probes: Probes,
    bolt: AsyncApp | None,
    seam_webhook: SeamWebhookIntake | None = None,
    *,
    signing_secret: str = "",
    front: CommandFront | None = None,
) -> web.Application:
    """`bolt` is served at POST /slack/events only with the secret it checks requests against:
    the runtime refuses to start without one, and this refuses too, whoever builds the app."""
    if bolt is not None and not signing_secret.strip():
        raise ValueError(f"{SLACK_PATH} needs a signing secret; without one, anyone could sign")
    app = web.Application()

    async def healthz(_: web.Request) -> web.Response:
        return _answer(await probes.health(), {"ok"})

    async def readyz(_: web.Request) -> web.Response:
        return _answer(await probes.readiness(), {"applied", "connected"})

    async def metrics_page(_: web.Request) -> web.Response:
        # On a database error the gauge keeps its last value; /healthz reports the database.
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            metrics.PENDING.set(await pending_count(probes.db))
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
    if bolt is not None:

        async def slack_events(request: web.Request) -> web.Response:
            stamp = request.headers.get("X-Slack-Request-Timestamp")
            if stamp is not None and not (stamp.isascii() and stamp.isdigit() and len(stamp) < 20):
                # Bolt would answer 500 (int() raises inside its signature check).
                return web.json_response({"error": "invalid request"}, status=401)
            if front is not None:
                payload = await front.take(await request.read(), request.headers)
                if payload is not None:
                    return web.json_response(payload) if payload else web.Response()
            try:
                bolt_request = await to_bolt_request(request)
            except (ValueError, LookupError, AttributeError, TypeError):
                # Not text, a charset no one knows, JSON that is broken or not an object:
                # Bolt parses the body before it checks the signature, and raised (a 500).
                return web.json_response({"error": "invalid request"}, status=400)
            bolt_response = await bolt.async_dispatch(bolt_request)
            return await to_aiohttp_response(bolt_response)

        app.router.add_post(SLACK_PATH, slack_events)
    if seam_webhook is not None:
        app.router.add_post(SEAM_PATH, seam_webhook.receive)
    return app
