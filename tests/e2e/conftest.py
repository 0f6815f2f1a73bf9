"""End-to-end harness: the real bot over HTTP, Seam's fake server behind a fault proxy, fake Slack.

A test talks to the bot the way Slack does (signed POSTs to /slack/events) and asserts on what
the bot said to the fake Slack and asked of Seam.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from bot.access import grant
from bot.config import Settings
from bot.db import Database
from bot.demo.stage import Demo
from bot.door_admin import add_door
from bot.models import LockRequest, LockStatus
from bot.runtime import Bot
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import API_KEY, AUGUST_1, AUGUST_2, SCHLAGE, FakeSeamServer
from tests.fakes.slack_api import TEST_APP_TOKEN, FakeSlack
from tests.support.bot_process import BotProcess
from tests.support.slack_requests import block_action, signed_headers, slash_command

SIGNING_SECRET = "test-signing-secret-0123"
BOT_TOKEN = "xoxb-test-token"
ALERTS = "CALERTS"


@pytest.fixture(scope="session")
def fake_seam() -> Iterator[FakeSeamServer]:
    server = FakeSeamServer().start()
    yield server
    server.stop()


@pytest.fixture
async def seam(fake_seam: FakeSeamServer) -> AsyncIterator[SeamProxy]:
    proxy = await SeamProxy(fake_seam.url).start()
    yield proxy
    await proxy.stop()


@pytest.fixture
async def lock_itself(fake_seam: FakeSeamServer) -> AsyncIterator[httpx.AsyncClient]:
    """Changes the fake's devices as the lock itself would (a keypad unlock); the fake is
    shared by the session, so it is reset after."""
    async with httpx.AsyncClient(base_url=fake_seam.url, timeout=10) as client:
        try:
            yield client
        finally:
            (await client.post("/_harness/reset", json={})).raise_for_status()


async def set_locked(client: httpx.AsyncClient, locked: bool) -> None:
    update = {"device_id": AUGUST_1, "properties": {"locked": locked}}
    (await client.post("/_harness/update_device", json=update)).raise_for_status()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(BOT_TOKEN, groups={"SNIGHT": ["U7"]}) as fake:
        yield fake


@pytest.fixture
async def demo() -> AsyncIterator[Demo]:
    """`lockbot demo` in this process, on free loopback ports: its own Seam fake and proxy,
    Slack stand-in, bot (on its own SQLite file, whatever the suite's database) and page."""
    running = Demo(port=0)
    try:
        await running.start()
        yield running
    finally:
        await running.stop()


def bot_env(database_url: str, seam_url: str, slack_api_url: str, **extra: str) -> dict[str, str]:
    """The environment an operator would give the bot, pointed at the fakes."""
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api_url,
        "SEAM_API_KEY": API_KEY,
        "SEAM_ENDPOINT": seam_url,
        "DATABASE_URL": database_url,
        "LOCKBOT_ALERT_CHANNEL": ALERTS,
        "LOCKBOT_ADMINS": "UADMIN",
        "LOCKBOT_LOCK_TIMEOUT": "3",
        "LOCKBOT_POLL_FIRST": "0.05",
        "LOCKBOT_POLL_MAX": "0.3",
        # Seam's event log is read only where a test asks for it, so that counting Seam calls
        # elsewhere counts the lock's own.
        "LOCKBOT_EVENTS_POLL": "0",
        # A restart after kill -9 takes the dead process's requests over once their lease lapses.
        "LOCKBOT_LEASE": "3",
        **extra,
    }


def bot_settings(database_url: str, seam_url: str, slack_api_url: str, **extra: str) -> Settings:
    env = bot_env(database_url, seam_url, slack_api_url, **extra)
    return Settings(_env_file=None, **env)  # type: ignore[call-arg]


async def seed_doors(database_url: str) -> None:
    """Front Door and Back Door (alias `rear`) for U1; Garage for the SNIGHT user group."""
    db = Database(database_url)
    async with db.session() as s:
        await add_door(s, "Front Door", AUGUST_1, ["main"])
        await add_door(s, "Back Door", AUGUST_2, ["rear"])
        await add_door(s, "Garage", SCHLAGE)
        await grant(s, "U1", "Front Door")
        await grant(s, "U1", "Back Door")
        await grant(s, "SNIGHT", "Garage")
        await s.commit()
    await db.close()


@dataclass
class Sent:
    response: httpx.Response
    elapsed_s: float


class LiveBot:
    """The bot serving HTTP on a free loopback port, plus a signed-request client for it."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.url = f"http://127.0.0.1:{bot.port}"
        self.http = httpx.AsyncClient(base_url=self.url, timeout=10)

    async def command(
        self,
        text: str,
        *,
        user_id: str = "U1",
        channel_id: str = "C1",
        response_url: str = "",
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
    ) -> Sent:
        body = slash_command(
            text,
            user_id=user_id,
            channel_id=channel_id,
            **({"response_url": response_url} if response_url else {}),
        )
        headers = signed_headers(body, secret, timestamp=timestamp)
        started = time.perf_counter()
        response = await self.http.post("/slack/events", content=body, headers=headers)
        return Sent(response, time.perf_counter() - started)

    async def action(
        self, value: str, *, secret: str = SIGNING_SECRET, **fields: Any
    ) -> httpx.Response:
        """Tap a lockbot button carrying `value` (see tests.support.slack_requests.block_action)."""
        body = block_action(value, **fields)
        return await self.http.post(
            "/slack/events", content=body, headers=signed_headers(body, secret)
        )

    async def close(self) -> None:
        await self.http.aclose()
        await self.bot.stop()


@pytest.fixture
async def socket_bot(database_url: str, seam: SeamProxy, slack: FakeSlack) -> AsyncIterator[Bot]:
    """The bot in Socket Mode (SLACK_APP_TOKEN set, no --http), connected to the fake Slack."""
    await seed_doors(database_url)
    settings = bot_settings(database_url, seam.url, slack.api_url, SLACK_APP_TOKEN=TEST_APP_TOKEN)
    bot = Bot(settings, http=False, port=0)
    try:
        await bot.start()
        await slack.wait_connected()
        yield bot
    finally:
        await bot.stop()


@pytest.fixture
async def processes() -> AsyncIterator[list[BotProcess]]:
    """Bot child processes a test starts; whatever still runs is stopped afterwards."""
    started: list[BotProcess] = []
    yield started
    results = await asyncio.gather(*(p.stop() for p in started), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


@pytest.fixture
async def live(
    request: pytest.FixtureRequest, database_url: str, seam: SeamProxy, slack: FakeSlack
) -> AsyncIterator[LiveBot]:
    """The bot, seeded. `@pytest.mark.settings(NAME="value")` overrides its environment."""
    await seed_doors(database_url)
    marker = request.node.get_closest_marker("settings")
    extra = marker.kwargs if marker else {}
    seam_url = extra.pop("SEAM_ENDPOINT", seam.url)
    settings = bot_settings(database_url, seam_url, slack.api_url, **extra)
    bot = Bot(settings, http=True, port=0)
    await bot.start()
    live = LiveBot(bot)
    yield live
    await live.close()


async def followed_up(live: LiveBot, slack: FakeSlack, text: str, **fields: Any) -> tuple[str, str]:
    """`/lock <text>` answered after its ack: the ack's note, then what the bot posted to the
    command's response_url (waited for)."""
    seen = len(slack.calls_to("response_url"))
    sent = await live.command(text, response_url=slack.response_url(), **fields)
    assert sent.response.status_code == 200
    note = sent.response.json()
    assert note.get("response_type") == "ephemeral", note
    deadline = time.monotonic() + 10
    while len(posts := slack.calls_to("response_url")) <= seen:
        assert time.monotonic() < deadline, f"no answer to {text!r} at its response_url"
        await asyncio.sleep(0.01)
    answer = posts[seen]
    assert answer.args.get("response_type") == "ephemeral", answer.args
    return str(note["text"]), str(answer.args["text"])


async def lock_rows(database_url: str) -> list[LockRequest]:
    db = Database(database_url)
    async with db.session() as s:
        rows = (await s.exec(select(LockRequest).order_by(col(LockRequest.id)))).all()
    await db.close()
    return list(rows)


async def assert_all_final(database_url: str, timeout_s: float = 10) -> list[LockRequest]:
    """Wait until no lock_request row is pending, then check each is final with finished_at.

    The invariant behind "never lose a lock command": every request ends, and says when.
    Returns the rows, oldest first.
    """
    db = Database(database_url)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            async with db.session() as s:
                rows = list((await s.exec(select(LockRequest).order_by(col(LockRequest.id)))).all())
            pending = [r for r in rows if not r.status.final]
            if not pending:
                break
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"{len(pending)} of {len(rows)} lock requests still pending after "
                    f"{timeout_s:g} s: "
                    + ", ".join(
                        f"#{r.id} {r.user_id} {r.door_name} joined={r.joined_id}"
                        for r in pending[:10]
                    )
                )
            await asyncio.sleep(0.05)
    finally:
        await db.close()
    unfinished = [r.id for r in rows if r.finished_at is None]
    assert not unfinished, f"final rows without finished_at: {unfinished}"
    return rows


async def quiet(slack: FakeSlack, quiet_s: float = 0.3, timeout_s: float = 10) -> None:
    """Wait until the fake Slack has seen no new call for `quiet_s`, so counts are settled."""
    deadline = time.monotonic() + timeout_s
    seen = -1
    while len(slack.calls) != seen:
        if time.monotonic() >= deadline:
            raise AssertionError(f"Slack never went quiet within {timeout_s:g} s")
        seen = len(slack.calls)
        await asyncio.sleep(quiet_s)


async def assert_one_lock_resumed(slack: FakeSlack, seam: SeamProxy, database_url: str) -> None:
    """After a restart: Front Door's outcome edited into its one root message, one Seam lock."""
    update = await slack.wait_for(lambda c: c.method == "chat.update", timeout=15)
    root = slack.messages("C1")[0]
    assert root.response is not None and update.args["ts"] == root.response["ts"]
    assert update.args["text"].startswith("✅ *Front Door* is locked. Asked by <@U1>")
    assert [r.status for r in await lock_rows(database_url)] == [LockStatus.LOCKED]
    # The restart tracked the old attempt instead of locking again, and reused the thread.
    assert len(seam.calls_to("/locks/lock_door")) == 1
    assert len([c for c in slack.messages("C1") if "thread_ts" not in c.args]) == 1
