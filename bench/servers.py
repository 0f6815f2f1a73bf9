"""The baselines lockbot's ack is measured against, each served by aiohttp in its own process.

  raw       an aiohttp handler that answers 200 at once: the floor of this machine and aiohttp
  bolt      a default Bolt AsyncApp (same signing secret) whose /lock handler only calls ack()
  bolt-pbr  the same with process_before_response=True, as lockbot runs Bolt: Bolt's own cost

Both Bolt apps are served the way bot/web.py serves lockbot's. Every server binds 127.0.0.1.
Usage: SIGNING_SECRET=… BOT_TOKEN=… python -m bench.servers KIND --port N [--slack-api-url URL]
(It imports no more than it serves, so that it starts fast.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import sys
from pathlib import Path

import httpx
from aiohttp import web

from tests.support.bot_process import free_port

KINDS = ("raw", "bolt", "bolt-pbr")
REPO = Path(__file__).resolve().parent.parent


def build(kind: str, slack_api_url: str, signing_secret: str, token: str) -> web.Application:
    app = web.Application()

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get("/healthz", healthz)
    if kind == "raw":

        async def ok(_: web.Request) -> web.Response:
            return web.Response(status=200)

        app.router.add_post("/slack/events", ok)
        return app

    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    # Default settings; only the Web API (auth.test, once) goes to the fake Slack.
    client = AsyncWebClient(token=token, base_url=slack_api_url)
    if kind == "bolt":
        bolt = AsyncApp(client=client, signing_secret=signing_secret)
    else:
        bolt = AsyncApp(client=client, signing_secret=signing_secret, process_before_response=True)

    @bolt.command("/lock")
    async def lock(ack: AsyncAck) -> None:
        await ack()

    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    app.router.add_post("/slack/events", slack_events)
    return app


async def serve(kind: str, port: int, slack_api_url: str, signing_secret: str, token: str) -> None:
    runner = web.AppRunner(build(kind, slack_api_url, signing_secret, token), access_log=None)
    await runner.setup()
    sock = socket.create_server(("127.0.0.1", port))
    await web.SockSite(runner, sock).start()
    await asyncio.Event().wait()


class ServerProcess:
    """A baseline server as a child process, like tests.support.bot_process.BotProcess."""

    def __init__(self, kind: str, slack_api_url: str, signing_secret: str, token: str) -> None:
        assert kind in KINDS
        self.kind = kind
        self.slack_api_url = slack_api_url
        self.secrets = {"SIGNING_SECRET": signing_secret, "BOT_TOKEN": token}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.servers", self.kind, "--port", str(self.port),
            "--slack-api-url", self.slack_api_url, cwd=REPO, env={**os.environ, **self.secrets},
        )  # fmt: skip
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if self.process.returncode is not None:
                    raise RuntimeError(f"the {self.kind} server exited during start-up")
                await asyncio.sleep(0.05)
        raise RuntimeError(f"the {self.kind} server never answered /healthz")

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--slack-api-url", default="http://127.0.0.1:9/api/")
    args = parser.parse_args()
    secret, token = os.environ["SIGNING_SECRET"], os.environ["BOT_TOKEN"]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.kind, args.port, args.slack_api_url, secret, token))
