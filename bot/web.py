"""The HTTP side: Bolt's `POST /slack/events` (HTTP mode) and `GET /healthz` (always)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.db import Database

SLACK_PATH = "/slack/events"


def build_web_app(
    db: Database,
    bolt: AsyncApp | None,
    *,
    slack_connected: Callable[[], Awaitable[bool]] | None = None,
) -> web.Application:
    """`slack_connected` is given in Socket Mode, where a dropped socket means a deaf bot."""
    app = web.Application()

    async def healthz(_: web.Request) -> web.Response:
        checks = {"database": "ok" if await db.ping() else "unreachable"}
        if slack_connected is not None:
            checks["slack_socket"] = "ok" if await slack_connected() else "disconnected"
        ok = all(value == "ok" for value in checks.values())
        return web.json_response({"ok": ok, **checks}, status=200 if ok else 503)

    app.router.add_get("/healthz", healthz)
    if bolt is not None:

        async def slack_events(request: web.Request) -> web.Response:
            bolt_request = await to_bolt_request(request)
            bolt_response = await bolt.async_dispatch(bolt_request)
            return await to_aiohttp_response(bolt_response)

        app.router.add_post(SLACK_PATH, slack_events)
    return app
