"""Wiring: builds the parts from Settings and runs them for as long as the bot lives."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web
from seam.seam_webhook import SeamWebhook
from slack_sdk.errors import SlackApiError

from bot.access import AccessPolicy
from bot.config import Settings
from bot.db import Database, migrate_async
from bot.event_intake import EventHandler, EventPoller
from bot.events import Attempts, EventRelay, NoiseControl, Router, Teller, UnexpectedUnlocks
from bot.leadership import leadership_for
from bot.locking import LockService, Timing
from bot.locking.lease import Lease
from bot.locking.pacing import REFRESH_S
from bot.locking.recovery import Recovery
from bot.locking.snapshot import ChangeListener
from bot.ports import GroupDirectory, Notifier
from bot.relocks import Relocks
from bot.schedule_runner import ScheduleRunner
from bot.scheduler import Scheduler
from bot.schedules import Limits, Schedules
from bot.seam import SeamBackend
from bot.slack.client import SlackClient
from bot.slack.event_notifier import SlackEventNotifier
from bot.slack.front import CommandFront
from bot.slack.home import Home, HomeWatch
from bot.slack.notifier import SlackNotifier
from bot.slack.usergroups import SlackGroups
from bot.slack.window_notifier import SlackWindowNotifier
from bot.web import SEAM_PATH, Probes, SeamWebhookIntake, build_web_app
from bot.window_watch import WindowWatch

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_S = 8.0
SWEEP_EVERY_S = 30.0


def slack_client(settings: Settings) -> SlackClient:
    return SlackClient(
        token=settings.slack_bot_token.get_secret_value() or None,
        base_url=settings.slack_api_url,
    )


def timing(settings: Settings) -> Timing:
    return Timing(
        timeout_s=settings.lock_timeout_s,
        poll_first_s=settings.poll_first_s,
        poll_backoff=settings.poll_backoff,
        poll_max_s=settings.poll_max_s,
        learn=settings.poll_learn,
    )


@dataclass
class Runtime:
    settings: Settings
    db: Database
    backend: SeamBackend
    scheduler: Scheduler
    service: LockService
    recovery: Recovery
    # PostgreSQL: the task that reads the directory again when a change is announced.
    listening: asyncio.Task[None] | None = None

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
            rate_limit=settings.rate_limit,
            fanout_limit=settings.fanout_limit,
            lease=Lease(settings.lease_s),
        )
        return cls(settings, db, backend, scheduler, service, Recovery(service))

    def keep_leases(self) -> None:
        """Renew this process's leases while it runs, so nobody takes its requests over."""
        self.scheduler.start()
        lease = self.service.lease
        self.scheduler.every(lease.renew_every_s, "lease", self.recovery.renew)

    async def start(self) -> None:
        self.keep_leases()
        if self.db.engine.dialect.name == "postgresql":
            listener = ChangeListener(self.service.intake.snapshots, self.settings.database_url)
            self.listening = asyncio.create_task(listener.run())
        # When each device answers, from the table: before the first read is planned.
        pacing = self.service.tracker.pacing
        await pacing.load()
        await self.recovery.take_over()
        lease = self.service.lease
        self.scheduler.every(lease.renew_every_s, "take-over", self.recovery.take_over)
        self.scheduler.every(SWEEP_EVERY_S, "sweep", self.recovery.sweep)
        # What other replicas (and `lockbot lock`) learned meanwhile.
        self.scheduler.every(REFRESH_S, "poll-plan", pacing.refresh)

    async def close(self) -> None:
        if self.listening is not None:
            self.listening.cancel()
        await self.service.drain(SHUTDOWN_GRACE_S)
        await self.scheduler.drain(SHUTDOWN_GRACE_S / 2)
        if self.service.idle and self.scheduler.idle:
            # What is still pending is handed over now rather than when the lease runs out;
            # not while a task may still be inside a call to Seam, which would then be repeated.
            try:
                await self.recovery.release()
            except Exception:
                log.exception("could not hand over pending requests; their leases will lapse")
        await self.backend.close()
        await self.db.close()


class StartupError(RuntimeError):
    """The bot cannot start as configured; the message says what to fix."""


# Without the secret, POST /slack/events would take anyone's word for who is asking.
HTTP_NEEDS_SIGNING = (
    "HTTP mode (POST /slack/events) needs SLACK_SIGNING_SECRET: copy the Signing Secret from "
    "the Slack app's Basic Information page into it; or, for Socket Mode, set SLACK_APP_TOKEN "
    "and start without --http"
)


class Bot:
    """The whole bot: database, Seam, scheduler, Slack, and the HTTP server."""

    def __init__(self, settings: Settings, *, http: bool, port: int) -> None:
        self.settings = settings
        self.socket_mode = not settings.serves_slack_http(http=http)
        if not self.socket_mode and not settings.has_signing_secret:
            raise StartupError(HTTP_NEEDS_SIGNING)
        self.requested_port = port
        self.port = port
        self.client = slack_client(settings)
        notifier = SlackNotifier(self.client, settings.alert_channel, settings.admins)
        self.runtime = Runtime.build(settings, notifier, SlackGroups(self.client))
        self.schedule_runner = ScheduleRunner(
            self.runtime.db,
            self.runtime.service,
            self.runtime.scheduler,
            notifier,
            leadership_for(settings.database_url),
            grace_s=settings.schedule_grace_s,
        )
        self.schedules = Schedules(
            self.runtime.service.access,
            self.schedule_runner.reload,
            Limits(
                min_interval=timedelta(minutes=settings.schedule_min_minutes),
                per_person=settings.schedules_per_person,
                relock_min=timedelta(seconds=settings.relock_min_s),
            ),
        )
        # The App Home (#14): shown on opening, and again when a lock settles or a door changes.
        self.home = Home(
            self.runtime.db, self.schedules, self.client, gap_s=settings.home_refresh_s
        )
        notifier.settled = self.home.refresh
        # Seam events (#5): one relay, fed by the webhook or, without one, by the poller.
        tell = Teller(SlackEventNotifier(self.client))
        # Lock windows (#15): an unlock inside one is told and relocked by the leader.
        window_notifier = SlackWindowNotifier(self.client, settings.alert_channel)
        keep_open = timedelta(minutes=settings.keep_open_minutes)
        db, backend = self.runtime.db, self.runtime.backend
        self.windows = WindowWatch(db, window_notifier, backend, backend, keep_open=keep_open)
        self.relocks = Relocks(
            db,
            self.runtime.service,
            backend,
            window_notifier,
            is_leader=lambda: self.schedule_runner.leading,
            keep_open=keep_open,
            every_s=settings.relock_look_s,
        )
        relay = EventRelay(
            self.runtime.db,
            Attempts(self.runtime.db, self.runtime.service.tracker),
            Router(settings.alert_channel),
            NoiseControl(self.runtime.db, tell, flap=timedelta(minutes=settings.flap_minutes)),
            UnexpectedUnlocks(timedelta(hours=settings.locked_hours)),
            tell,
            windows=self.windows,
        )
        self.relay: EventHandler = HomeWatch(relay, self.home)
        self.seam_webhook = self._seam_webhook(settings)
        self.poller: EventPoller | None = None
        self._runner: web.AppRunner | None = None
        self._socket: Any = None
        self._background: set[asyncio.Task[None]] = set()
        self.probes = Probes(
            db=self.runtime.db,
            slack=self.client.health,
            seam=self.runtime.backend.health,
            socket_connected=self._socket_connected if self.socket_mode else None,
        )

    def _seam_webhook(self, settings: Settings) -> SeamWebhook | None:
        """The webhook needs a public URL (HTTP mode) and the secret to check Seam's signature;
        without both, the poller reads Seam's event log instead."""
        secret = settings.seam_webhook_secret.get_secret_value()
        if not secret or self.socket_mode:
            return None
        try:
            return SeamWebhook(secret)
        except Exception:  # binascii.Error, standardwebhooks' EmptyWebhookSecretError
            raise StartupError(
                "SEAM_WEBHOOK_SECRET is not a webhook signing secret; copy the whsec_… value "
                "from the webhook's page in Seam's console"
            ) from None

    async def start(self) -> None:
        await migrate_async(self.settings.database_url)
        # One connection pool for every Slack call; slack_sdk opens a session per call otherwise.
        self.client.session = aiohttp.ClientSession()
        # Imported here so that the CLI's other commands never pay for Bolt's import.
        from bot.slack.app import build_app

        secret = self.settings.slack_signing_secret.get_secret_value()
        slack_app = build_app(
            self.runtime.service,
            self.client,
            signing_secret=secret,
            admins=self.settings.admins,
            devices=self.runtime.backend,
            schedules=self.schedules,
            default_timezone=self.settings.timezone,
            home=self.home,
            relocks=self.relocks,
        )
        self.probes.migrated = True
        webhook = (
            None if self.seam_webhook is None else SeamWebhookIntake(self.seam_webhook, self.relay)
        )
        self._runner = web.AppRunner(
            build_web_app(
                self.probes,
                None if self.socket_mode else slack_app.bolt,
                webhook,
                signing_secret=secret,
                front=None if self.socket_mode else CommandFront(secret, slack_app.answer_lock),
            ),
            access_log=None,
        )
        await self._runner.setup()
        # Binding the socket ourselves lets port 0 mean "any free port" and still tell which.
        sock = socket.create_server((self.settings.host, self.requested_port), reuse_port=False)
        self.port = int(sock.getsockname()[1])
        await web.SockSite(self._runner, sock).start()
        await self.runtime.start()
        self.schedule_runner.start()
        self.relocks.start()
        if self.settings.window_check_minutes > 0:
            every = self.settings.window_check_minutes * 60
            self.runtime.scheduler.every(every, "window-check", self._check_windows)
        if self.seam_webhook is None:
            self.poller = EventPoller(
                self.runtime.db,
                self.runtime.backend,
                self.relay,
                self.settings.events_poll_s,
                is_leader=lambda: self.schedule_runner.leading,
            )
            self.poller.start()
        if self.socket_mode:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            app_token = self.settings.slack_app_token.get_secret_value()
            # slack_sdk retries a rejected token for ever; ask once so a bad one stops the start.
            try:
                await self.client.apps_connections_open(app_token=app_token)
            except SlackApiError as error:
                raise StartupError(
                    f"Slack refused SLACK_APP_TOKEN ({error.response.get('error')}); use an "
                    "app-level token (xapp-…) with the connections:write scope"
                ) from None
            self._socket = AsyncSocketModeHandler(slack_app.bolt, app_token)
            await self._socket.connect_async()
            self.probes.slack_live = True
        else:
            task = asyncio.get_running_loop().create_task(self._check_slack())
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        events = f"polling every {self.settings.events_poll_s:g} s"
        if self.seam_webhook is not None:
            events = f"webhook POST {SEAM_PATH}"
        elif self.settings.events_poll_s <= 0:
            events = "off"
        log.info(
            "lockbot listening on http://%s:%d (%s; Seam events: %s)",
            self.settings.host,
            self.port,
            "Socket Mode" if self.socket_mode else "HTTP: POST /slack/events",
            events,
        )

    async def _check_windows(self) -> None:
        if self.schedule_runner.leading:
            await self.windows.check()

    async def _check_slack(self) -> None:
        """HTTP mode has no connection to watch: ready once the bot token works."""
        while not self.probes.slack_live:
            try:
                await self.client.auth_test()
                self.probes.slack_live = True
            except Exception as error:
                log.warning("Slack is not answering auth.test (%s); retrying in 10 s", error)
                await asyncio.sleep(10)

    async def _socket_connected(self) -> bool:
        return self._socket is not None and bool(await self._socket.client.is_connected())

    async def stop(self) -> None:
        for task in self._background:
            task.cancel()
        if self._socket is not None:
            await self._socket.close_async()
        if self._runner is not None:
            await self._runner.cleanup()
        # Before the database closes: a poll under way finishes handing on its events.
        if self.poller is not None:
            await self.poller.stop()
        await self.relocks.close()
        await self.schedule_runner.close()
        await self.home.close()
        await self.runtime.close()
        if self.client.session is not None:
            await self.client.session.close()


async def serve(settings: Settings, *, http: bool, port: int) -> None:
    """Run the bot until SIGINT or SIGTERM."""
    bot = Bot(settings, http=http, port=port)
    await bot.start()
    # What start-up built (modules, tables, the app) lives as long as the process: frozen, the
    # collector stops walking it again and again, which under a burst of /lock cost more than
    # Bolt's own work per request.
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    await bot.stop()
