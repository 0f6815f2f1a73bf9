"""Starts the demo: Seam's fake server and the fault proxy, the Slack stand-in, the real bot on
a SQLite file in a temporary directory (doors synced from Seam, groups and grants made), and
the page; everything on 127.0.0.1. `run` keeps it up until Ctrl-C, then stops it all."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import socket
import tempfile
from pathlib import Path

from aiohttp import web

from bot import admin
from bot.config import Settings
from bot.db import Database, migrate_async
from bot.demo.building import ADA, ALERTS, CHANNELS, GRANTS, GROUPS, PEOPLE
from bot.demo.feed import Feed
from bot.demo.page import Page
from bot.demo.world import World
from bot.runtime import Bot
from bot.seam import SeamBackend
from bot.standins.seam_proxy import SeamProxy
from bot.standins.seam_server import API_KEY, CHECKOUT_FAKE, FakeSeamServer
from bot.standins.slack_api import TEST_TOKEN, FakeSlack

log = logging.getLogger(__name__)
ACTOR = "demo"  # who the audit trail says set the building up


async def seed(database_url: str, seam_url: str) -> None:
    """What an operator would do on day one: `doors sync`, two groups, a few grants."""
    await migrate_async(database_url)
    backend = SeamBackend(API_KEY, seam_url)
    db = Database(database_url)
    try:
        locks = await backend.list_locks()
        async with db.session() as session:
            await admin.sync(session, ACTOR, locks)
            for name, doors in GROUPS.items():
                await admin.add_group(session, ACTOR, name, doors)
            for person, targets in GRANTS.items():
                for target in targets:
                    await admin.grant(session, ACTOR, person, target)
    finally:
        await backend.close()
        await db.close()


class Demo:
    def __init__(self, *, port: int = 0, seam_fake: Path = CHECKOUT_FAKE) -> None:
        self.requested_port = port
        self.seam_fake = seam_fake
        self.feed = Feed()
        self.signing_secret = secrets.token_hex(16)  # made up each run; only the page signs
        self._directory = tempfile.TemporaryDirectory(prefix="lockbot-demo-")
        self.database_url = f"sqlite:///{Path(self._directory.name) / 'lockbot.db'}"
        self.seam: FakeSeamServer | None = None
        self.proxy: SeamProxy | None = None
        self.world: World | None = None
        self.slack: FakeSlack | None = None
        self.bot: Bot | None = None
        self.page: Page | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    def settings(self, slack_api_url: str, seam_url: str) -> Settings:
        env = {
            "SLACK_BOT_TOKEN": TEST_TOKEN,
            "SLACK_SIGNING_SECRET": self.signing_secret,
            "SLACK_API_URL": slack_api_url,
            "SEAM_API_KEY": API_KEY,
            "SEAM_ENDPOINT": seam_url,
            "DATABASE_URL": self.database_url,
            "LOCKBOT_ALERT_CHANNEL": ALERTS,
            "LOCKBOT_ADMINS": ADA.user_id,
            "LOCKBOT_LOCK_TIMEOUT": "20",
            "LOCKBOT_EVENTS_POLL": "1",  # the side panel's news shows within a second or so
            "LOCKBOT_HOME_REFRESH": "1",
            "LOCKBOT_HOST": "127.0.0.1",
        }
        # Validated as given: neither the environment nor a .env file has a say in the demo.
        return Settings.model_validate(env)

    async def start(self) -> None:
        self.seam = await asyncio.to_thread(FakeSeamServer(self.seam_fake).start)
        self.proxy = await SeamProxy(self.seam.url).start()
        self.world = World(self.seam.url, self.proxy)
        await self.world.build()
        self.slack = FakeSlack(TEST_TOKEN)
        self.slack.workspace.names.update({p.user_id: p.name for p in PEOPLE})
        self.slack.workspace.channels.update(CHANNELS)
        self.slack.listeners.append(self.feed.slack_call)
        await self.slack.start()
        await seed(self.database_url, self.proxy.url)
        self.bot = Bot(self.settings(self.slack.api_url, self.proxy.url), http=True, port=0)
        await self.bot.start()
        if self.bot.poller is not None:
            # Seam's news counts from now: written before the page can make any, rather than
            # at the poller's first read (which waits for leadership, a second or so).
            await self.bot.poller.cursor()
        bot_url = f"http://127.0.0.1:{self.bot.port}"
        self.page = Page(self.feed, self.slack, self.world, bot_url, self.signing_secret)
        self._runner = web.AppRunner(self.page.app(), access_log=None)
        await self._runner.setup()
        sock = socket.create_server(("127.0.0.1", self.requested_port))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        """Stops whatever started, the newest first; safe after a failed start."""
        self.feed.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if self.page is not None:
            await self.page.close()
        if self.bot is not None:
            await self.bot.stop()
        if self.slack is not None:
            await self.slack.stop()
        if self.world is not None:
            await self.world.close()
        if self.proxy is not None:
            await self.proxy.stop()
        if self.seam is not None:
            await asyncio.to_thread(self.seam.stop)
        self._directory.cleanup()


async def run(port: int, seam_fake: Path) -> None:
    """Start the demo, print the page's address, and stop everything on Ctrl-C or SIGTERM."""
    demo = Demo(port=port, seam_fake=seam_fake)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await demo.start()
        print(f"\n🔒 lockbot demo: open {demo.url} in your browser (Ctrl-C stops it)\n", flush=True)
        await stop.wait()
    finally:
        print("stopping the demo…", flush=True)
        await demo.stop()
