"""The App Home tab (issue #14): what a person may lock, with each door's state and a Lock
button, their schedules with Pause/Resume, and for admins what needs attention.

It is published (`views.publish`) when the person opens the tab, and again, for people who have
opened it while this process runs, when their lock settles, when they tap a button in it, and
when a Seam event changes a door they may lock; at most once per person every
`LOCKBOT_HOME_REFRESH` seconds (the requests in between coalesce) and at most 90 a minute in
all, under Slack's Tier 4 (`bot.slack.refresh`). The words and blocks are
`bot.slack.words.home`.

A tap goes the way a typed command does: a Lock through `LockService.submit` (permission
re-checked, a double tap joins the lock in flight), Pause/Resume through `Schedules`, with the
same checks as `/lock pause|resume`. A lock from the Home tab has no channel, so its thread is
in the person's DM with lockbot, and a refusal is said there too.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import col, select

from bot import metrics
from bot.access import lockable_targets
from bot.attention import needs_attention
from bot.db import Database
from bot.door_state import door_states
from bot.event_intake import EventHandler
from bot.events.facts import facts_of
from bot.locking import Requester
from bot.models import Door, utcnow
from bot.ports import DeviceEvent
from bot.schedules import ScheduleError, Schedules, last_runs, owned
from bot.slack.picker import chosen_value
from bot.slack.refresh import Debouncer
from bot.slack.words import home as words
from bot.slack.words.refusals import refusal

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncAck, AsyncApp

log = logging.getLogger(__name__)
VIEWERS_MAX = 5000  # people whose Home is kept up to date, the most recent first
VIEWER_FOR_S = 24 * 3600.0  # how long after opening the tab a person's Home is kept up to date


class Answer(Protocol):
    """What the lock path answers the person who tapped (`bot.slack.app.Reply`)."""

    @property
    def text(self) -> str: ...

    @property
    def blocks(self) -> list[dict[str, Any]] | None: ...

    @property
    def result(self) -> str: ...


LockTap = Callable[[Requester, str], Awaitable[Answer | None]]


def _user(body: dict[str, Any]) -> str | None:
    user = (body.get("user") or {}).get("id")
    return str(user) if user else None


class Home:
    def __init__(
        self, db: Database, schedules: Schedules, client: AsyncWebClient, *, gap_s: float
    ) -> None:
        self.db = db
        self.schedules = schedules
        self.access = schedules.access
        self.client = client
        self.refresher = Debouncer(self.publish, gap_s=gap_s)
        self._viewers: OrderedDict[str, float] = OrderedDict()  # user → when they last looked
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    # -- what a person sees --------------------------------------------------------------------

    async def view(self, user_id: str) -> dict[str, Any]:
        now = utcnow()
        async with self.db.session() as session:
            targets = await lockable_targets(session, self.access, user_id)
            states = await door_states(session, [d.id for d in targets.doors if d.id is not None])
            mine = await owned(session, user_id)
            last = await last_runs(session, [item.id for item in mine])
            admin = await self.access.is_admin(session, user_id)
            attention = await needs_attention(session, now) if admin else None
        facts = words.HomeFacts(
            doors=[(door, states.get(door.id or -1)) for door in targets.doors],
            groups=targets.groups,
            schedules=[(item, last.get(item.id)) for item in mine],
            attention=attention,
            admins=sorted(self.access.admins),
            now=now,
        )
        return words.home_view(facts)

    async def publish(self, user_id: str) -> None:
        await self.client.views_publish(user_id=user_id, view=await self.view(user_id))

    # -- when to publish -----------------------------------------------------------------------

    def opened(self, user_id: str) -> None:
        """The person is looking at their Home: show it, and keep it up to date."""
        self._viewers.pop(user_id, None)
        self._viewers[user_id] = time.monotonic()
        while len(self._viewers) > VIEWERS_MAX:
            self._viewers.popitem(last=False)
        self.refresher.request(user_id)

    def viewers(self) -> list[str]:
        """Who opened their Home lately, in this process."""
        cutoff = time.monotonic() - VIEWER_FOR_S
        while self._viewers and next(iter(self._viewers.values())) < cutoff:
            self._viewers.popitem(last=False)
        return list(self._viewers)

    def refresh(self, user_id: str) -> None:
        """Something of `user_id`'s changed (their lock settled): show it, if they look."""
        if user_id in self.viewers():
            self.refresher.request(user_id)

    def device_changed(self, device_id: str) -> None:
        """A Seam event changed what is known of a device: refresh whoever may see its doors."""
        if self._viewers:
            self._spawn(self._device_changed(device_id))

    async def _device_changed(self, device_id: str) -> None:
        async with self.db.session() as session:
            query = select(Door.id).where(col(Door.device_id) == device_id)
            doors = {door_id for door_id in (await session.exec(query)).all() if door_id}
            if not doors:
                return
            for user_id in self.viewers():
                allowed = await self.access.lockable(session, user_id)
                if allowed is None or allowed & doors:
                    self.refresher.request(user_id)

    # -- taps ----------------------------------------------------------------------------------

    async def lock(self, tap: LockTap, user_id: str, target: str) -> None:
        # No channel: the lock's thread goes to the person's DM with lockbot (a post to a user
        # ID), where a refusal is said too.
        answer = await tap(Requester(user_id=user_id, channel_id=user_id), target)
        metrics.command_count("home", answer.result if answer else "accepted").inc()
        if answer is not None:
            self._spawn(self._tell(user_id, answer.text, answer.blocks))
        self.opened(user_id)

    async def change_schedule(self, user_id: str, schedule_id: int, pause: bool) -> None:
        """`/lock pause|resume <id>` from a button: the same checks, then the Home shows it."""
        await self.access.membership(self.db, user_id)  # before the write (bot.access)
        try:
            async with self.db.writing() as session:
                change = self.schedules.pause if pause else self.schedules.resume
                await change(session, user_id, schedule_id)
        except ScheduleError as error:
            self._spawn(self._tell(user_id, refusal(error)))
        self.opened(user_id)

    async def _tell(
        self, user_id: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> None:
        try:
            await self.client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
        except Exception:
            log.exception("could not answer %s's tap in the App Home", user_id)

    def listen(self, app: AsyncApp, tap: LockTap) -> None:
        """The Home's listeners on the Bolt app, which checks every request's signature."""

        @app.event("app_home_opened")
        async def home_opened(event: dict[str, Any]) -> None:
            # The event also comes for the Messages tab; answered at once, published after.
            user = event.get("user")
            if event.get("tab") == "home" and user:
                self.opened(str(user))

        @app.action(words.LOCK_ACTION)
        async def lock_tapped(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
            await ack()
            user, target = _user(body), chosen_value(action)
            if user and target is not None:
                await self.lock(tap, user, target)

        pause_or_resume = re.compile(f"^({words.PAUSE_ACTION}|{words.RESUME_ACTION})$")

        @app.action(pause_or_resume)
        async def schedule_tapped(
            ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]
        ) -> None:
            await ack()
            user, value = _user(body), str(action.get("value") or "")
            if user and value.isdigit():
                pause = action.get("action_id") == words.PAUSE_ACTION
                await self.change_schedule(user, int(value), pause)

    # -- the tasks it starts -------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        if self._closed:
            coro.close()
            return
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.refresher.close()


@dataclass(eq=False)
class HomeWatch:
    """The event handler, and then the Homes of the people who may see the door it changed."""

    relay: EventHandler
    home: Home

    async def handle(self, event: DeviceEvent, via: str) -> str:
        outcome = await self.relay.handle(event, via)
        if outcome != "duplicate" and event.device_id and facts_of(event) is not None:
            self.home.device_changed(event.device_id)
        return outcome
