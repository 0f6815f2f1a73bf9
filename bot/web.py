"""The HTTP side: Bolt's `POST /slack/events` (HTTP mode), and the probes and metrics (always)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import sqlalchemy as sa
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from sqlmodel import col, func, select

from bot import metrics
from bot.db import Database
from bot.health import ServiceHealth
from bot.models import LockRequest, LockStatus

SLACK_PATH = "/slack/events"


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


def _answer(checks: dict[str, str], good: set[str]) -> web.Response:
    ok = all(value in good for value in checks.values())
    return web.json_response({"ok": ok, **checks}, status=200 if ok else 503)


async def pending_count(db: Database) -> int:
    async with db.session() as session:
        query = select(func.count()).where(col(LockRequest.status) == LockStatus.PENDING)
        return int((await session.exec(query)).one())


def build_web_app(probes: Probes, bolt: AsyncApp | None) -> web.Application:
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
            bolt_request = await to_bolt_request(request)
            bolt_response = await bolt.async_dispatch(bolt_request)
            return await to_aiohttp_response(bolt_response)

        app.router.add_post(SLACK_PATH, slack_events)
    return app
