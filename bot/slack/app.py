"""The Bolt AsyncApp: the `/lock` command and the buttons it shows.

Every path ends in the same place: a target name goes through `LockService.submit` (resolve,
authorize, record) whether it was typed, picked from the menu, or chosen among look-alikes.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import metrics
from bot.access import lockable_targets
from bot.locking import GroupSubmission, LockService, RecordUnknown, Requester, Submission
from bot.logs import bind_request, new_request_id
from bot.models import LockStatus, Rejection
from bot.names import find_door, find_group
from bot.ports import DeviceReader
from bot.relocks import Relocks
from bot.schedules import Schedules
from bot.slack import blockkit, picker, retry, views
from bot.slack.admin import run_admin
from bot.slack.commands import (
    Admin,
    BuildSchedule,
    ChangeSchedule,
    Command,
    Help,
    History,
    Invalid,
    ListSchedules,
    ListTargets,
    Lock,
    Pick,
    Schedule,
    Status,
    parse,
)
from bot.slack.front import LOCK_COMMAND, AnswerCommand
from bot.slack.home import Home
from bot.slack.later import Later, follow_up
from bot.slack.modals import Asked, Modals, add_modals
from bot.slack.schedule_commands import ScheduleCommands
from bot.slack.window_buttons import add_window_buttons
from bot.slack.words import groups, locks, usage

log = logging.getLogger(__name__)
# Commands whose keyword may also be a door's name ("Status Room"); built once, not per /lock.
_KEYWORD_COMMANDS = (
    ListTargets
    | Status
    | History
    | Admin
    | ListSchedules
    | ChangeSchedule
    | Schedule
    | BuildSchedule
)


@dataclass(frozen=True)
class Reply:
    """What the asker alone sees; None from `lock` means the lock went ahead silently."""

    text: str
    blocks: list[dict[str, Any]] | None = None
    result: str = "answered"  # for the metrics: denied, rejected, joined, error…
    later: Later | None = None  # the answer that follows the ack, through the response_url
    opens: Callable[[], Coroutine[Any, Any, None]] | None = None  # a form opened after the ack

    @classmethod
    def form(cls, opens: Callable[[], Coroutine[Any, Any, None]]) -> Reply:
        """An empty ack, then a modal: the form is the answer."""
        return cls("", result="form", opens=opens)

    @classmethod
    def of(cls, answer: str | Later) -> Reply:
        if isinstance(answer, Later):
            return cls(answer.note, result="later", later=answer)
        return cls(answer)

    def payload(self) -> dict[str, Any]:
        if not self.text:
            return {}
        out: dict[str, Any] = {"text": self.text, "response_type": "ephemeral"}
        if self.blocks:
            out["blocks"] = self.blocks
        return out


@dataclass(frozen=True)
class SlackApp:
    """Bolt's app, and the answer to `/lock` that the HTTP front door gives without it."""

    bolt: AsyncApp
    answer_lock: AnswerCommand


class SlackCommands:
    """Turns what a person did in Slack into the service's calls, and the outcome into words."""

    def __init__(
        self,
        service: LockService,
        devices: DeviceReader,
        admins: frozenset[str],
        schedules: ScheduleCommands,
    ) -> None:
        self.service = service
        self.devices = devices
        self.admins = admins
        self.schedules = schedules
        self.client = schedules.client
        self.modals = Modals(service, schedules, schedules.client, admins)

    async def names_target(self, text: str) -> bool:
        async with self.service.db.session() as session:
            return bool(await find_door(session, text) or await find_group(session, text))

    async def command(
        self, command: Command, raw: str, body: Mapping[str, Any]
    ) -> tuple[Reply | None, str]:
        """Answer one /lock; returns the reply and the command's kind for the metrics."""
        user = str(body["user_id"])
        if isinstance(command, _KEYWORD_COMMANDS) and await self.names_target(raw):
            command = Lock(raw)  # a door called "Status Room" is still a door
        match command:
            case Help():
                return Reply(usage.HELP), "help"
            case Invalid(reason):
                return Reply(usage.invalid(reason)), "invalid"
            case Pick():
                return await self.pick(user), "pick"
            case ListTargets():
                return Reply(await views.list_targets(self.service, user)), "list"
            case Status(target):
                answer = await views.status(self.service, self.devices, user, target)
                return Reply.of(answer), "status"
            case History(target, limit):
                return Reply(await views.history(self.service, user, target, limit)), "history"
            case Admin(args):
                answer = await run_admin(
                    self.service.db,
                    self.service.access,
                    self.devices,
                    user,
                    body.get("channel_id"),
                    args,
                    default_timezone=self.schedules.default_timezone,
                )
                return Reply.of(answer), "admin"
            case Schedule(target, when):
                channel = str(body.get("channel_id") or user)
                answer = await self.schedules.add(user, channel, target, when)
                return Reply.of(answer), "schedule"
            case BuildSchedule():
                trigger, here = str(body.get("trigger_id", "")), body.get("channel_id")
                asked = Asked(user, trigger, here, body.get("response_url"))
                return Reply.form(lambda: self.modals.open_schedule_builder(asked)), "schedule_form"
            case ListSchedules():
                return Reply(await self.schedules.list(user)), "schedules"
            case ChangeSchedule(action, schedule_id):
                return Reply(await self.schedules.change(user, action, schedule_id)), action
            case Lock(target):
                requester = Requester(
                    user_id=user,
                    channel_id=body.get("channel_id"),
                    response_url=body.get("response_url"),
                )
                return await self.lock(requester, target), "lock"
        raise AssertionError(f"unhandled command {command!r}")

    async def answer(self, command: Mapping[str, Any]) -> dict[str, Any]:
        """One /lock, answered: the ack's payload ({} for a silent ack). What follows the ack
        (an answer through the response_url, a form) is started as a task."""
        started = time.perf_counter()
        text = str(command.get("text") or "")
        parsed = parse(text)
        try:
            reply, kind = await self.command(parsed, text.strip(), command)
        except Exception:
            log.exception("/lock %r failed", text)
            reply, kind = Reply(usage.command_failed()), type(parsed).__name__.lower()
        if reply is not None and reply.later is not None:
            user = str(command.get("user_id", ""))
            later = follow_up(self.client, reply.later, command.get("response_url"), user)
            self.service.spawn(later)
        if reply is not None and reply.opens is not None:
            self.service.spawn(reply.opens())
        result = "accepted" if reply is None else reply.result
        metrics.command_count(kind, result).inc()
        metrics.ACK_SECONDS.observe(time.perf_counter() - started)
        return {} if reply is None else reply.payload()

    async def pick(self, user_id: str) -> Reply:
        async with self.service.db.session() as session:
            targets = await lockable_targets(session, self.service.access, user_id)
        if not targets.doors:
            return Reply(locks.nothing_to_lock(sorted(self.admins)))
        return Reply(locks.picker_text(targets), picker.picker(targets))

    async def lock(
        self,
        requester: Requester,
        target: str,
        announce: Callable[[Submission | GroupSubmission], Awaitable[None]] | None = None,
    ) -> Reply | None:
        """Record and begin a lock; `announce` is told of an accepted one before it begins."""
        request_id = new_request_id()
        bind_request(request_id)
        # One line per request, the intake's, which says who asked what and how it ended.
        try:
            submission = await self.service.submit(requester, target, request_id)
        except RecordUnknown:
            log.warning("/lock %r from %s: recorded or not, the database cannot say yet",
                        target, requester.user_id)  # fmt: skip
            return Reply(locks.intake_unknown(), result="error")
        except Exception:
            log.exception(
                "could not record /lock %r from %s in %s",
                target,
                requester.user_id,
                requester.channel_id,
            )
            return Reply(locks.intake_failed(), result="error")
        if announce is not None and submission.accepted:
            await announce(submission)
        if isinstance(submission, GroupSubmission):
            return self._group_reply(submission)
        return self._door_reply(target, submission)

    def _group_reply(self, submission: GroupSubmission) -> Reply | None:
        batch = submission.batch
        if self.service.begin(submission):
            return None
        if submission.rejection is Rejection.GROUPS_UNCHECKED:
            return Reply(locks.groups_unchecked(groups.group_name(batch)), result="denied")
        if batch.status is LockStatus.DENIED:
            return Reply(
                groups.group_denied(batch, submission.blocked, sorted(self.admins)),
                result="denied",
            )
        return Reply(groups.group_empty(batch), result="rejected")

    def _door_reply(self, target: str, submission: Submission) -> Reply | None:
        request = submission.request
        if self.service.begin(submission):
            return None
        if submission.joined is not None:
            return Reply(locks.joined(request, submission.joined), result="joined")
        match submission.rejection:
            case Rejection.DOOR_MISSING:
                return Reply(locks.door_missing(request), result="rejected")
            case Rejection.WRONG_CHANNEL:
                return Reply(locks.wrong_channel(request, submission.channels), result="rejected")
            case Rejection.RATE_LIMITED:
                per_minute = self.service.intake.rate_limit
                return Reply(locks.rate_limited(per_minute), result="rejected")
            case Rejection.GROUPS_UNCHECKED:
                return Reply(locks.groups_unchecked(locks.door(request)), result="denied")
        if request.status is LockStatus.DENIED:
            return Reply(locks.denied(request, sorted(self.admins)), result="denied")
        text = locks.unknown_door(target, submission.suggestions)
        if not submission.suggestions:
            return Reply(text, result="rejected")
        choices = [(name, name) for name in submission.suggestions]
        return Reply(text, picker.buttons(locks.which_one(target), choices), "rejected")


def build_app(
    service: LockService,
    client: AsyncWebClient,
    *,
    signing_secret: str | None,
    admins: frozenset[str],
    devices: DeviceReader,
    schedules: Schedules,
    default_timezone: str = "UTC",
    home: Home | None = None,
    relocks: Relocks | None = None,
) -> SlackApp:
    # process_before_response: the listener acks as soon as the request is recorded, then hands
    # the slow part to a task. Bolt's default would poll for the ack every 10 ms instead.
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret or None,
        process_before_response=True,
    )
    slack = SlackCommands(
        service,
        devices,
        admins,
        ScheduleCommands(service.db, schedules, client, default_timezone),
    )

    # Registered first: Bolt tries each listener's matcher in turn. Over HTTP the front door
    # (bot/slack/front.py) answers /lock before Bolt sees it; this serves Socket Mode.
    @app.command(LOCK_COMMAND)
    async def lock_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack(**await slack.answer(command))

    add_modals(app, slack.modals, service.spawn)

    @app.action(re.compile(f"^{picker.ACTION_ID}:"))
    async def lock_choice(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        # Ack first: the choice is recorded within the 3 s either way, and the answer replaces
        # the buttons, so a second tap cannot lock twice from the same message.
        await ack()
        target = picker.chosen_value(action)
        user = (body.get("user") or {}).get("id")
        if target is None or not user:
            return
        channel = (body.get("channel") or {}).get("id")
        requester = Requester(
            user_id=str(user), channel_id=channel, response_url=body.get("response_url")
        )
        reply = await slack.lock(requester, target)
        metrics.command_count("pick", reply.result if reply else "accepted").inc()
        if reply is None:
            await respond(
                text=locks.picked(target), replace_original=True, response_type="ephemeral"
            )
        else:
            await respond(replace_original=True, **reply.payload())

    @app.action(blockkit.RETRY_ACTION_ID)
    async def try_again(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        # Bolt has checked the signature; the tap is checked again like typed text (bot/slack/
        # retry.py). A refusal goes to the tapper alone and leaves the message as it is.
        await ack()
        target = picker.chosen_value(action)
        requester = retry.tapped_by(body)
        if target is None or requester is None:
            return
        reply = await slack.lock(requester, target, lambda s: retry.announce(client, s))
        metrics.command_count("retry", reply.result if reply else "accepted").inc()
        if reply is not None:
            await respond(replace_original=False, **reply.payload())

    @app.action(blockkit.LINK_ACTION_ID)
    async def link_opened(ack: AsyncAck) -> None:
        await ack()  # Slack opens the link itself; it still wants the tap acknowledged

    if home is not None:
        home.listen(app, slack.lock)
    if relocks is not None:
        add_window_buttons(app, relocks, slack.lock)
    return SlackApp(app, slack.answer)
