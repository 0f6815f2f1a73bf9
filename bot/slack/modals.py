"""The modals' listeners: the global shortcuts ("Schedule a lock", "Lock a door") and `/lock
schedule` alone open a form; a submitted form goes down the path typed text takes.

A form is opened after the ack, in a task: it needs the person's Slack time zone
(`users.info`) and `views.open`, and a listener awaits nothing remote before its ack. A
submission is answered in the ack itself (Bolt runs with `process_before_response`, so the ack
is the HTTP response): a field's error (`response_action: errors`), or the form closes or says
what was done. What the form offered is not trusted: the schedule goes through
`ScheduleCommands.create` and the lock through `LockService.submit`, which check access, channel
limits, schedule limits and the rate limit again, as for typed text, and a second submit of the
same form finds the first (the schedule made, or the lock in flight, joined: one Seam call).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import metrics
from bot.access import Lockable, lockable_targets
from bot.ids import is_channel_id
from bot.locking import LockService, Requester, Submission
from bot.logs import bind_request, new_request_id
from bot.models import Rejection
from bot.refusals import Refusal
from bot.schedules import ScheduleError, TooOften, WrongChannel
from bot.slack import modal_views as views
from bot.slack.later import respond
from bot.slack.notifier import slack_error
from bot.slack.picker import option_groups
from bot.slack.schedule_commands import ScheduleCommands, user_timezone
from bot.slack.words import locks, usage
from bot.slack.words import modals as words
from bot.when import WhenError

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, Any]], Any]


def _errors(errors: dict[str, str]) -> dict[str, Any]:
    return {"response_action": "errors", "errors": errors}


def _schedule_field(error: Refusal) -> str:
    """The field a schedule's refusal is about: the channel, the days, else what to lock."""
    if isinstance(error, WrongChannel):
        return views.CHANNEL
    if isinstance(error, TooOften):
        return views.DAYS
    return views.TARGET


@dataclass(frozen=True)
class Asked:
    """Who asked for a form and how: the trigger to open it with (Slack's, good for 3 s), and a
    slash command's channel and response_url (a shortcut has neither)."""

    user_id: str
    trigger_id: str
    channel_id: str | None = None
    response_url: str | None = None

    @property
    def channel(self) -> str | None:
        """The channel asked from, when a form may offer it (a DM is no place to report in)."""
        return self.channel_id if self.channel_id and is_channel_id(self.channel_id) else None


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


class Modals:
    def __init__(
        self,
        service: LockService,
        schedules: ScheduleCommands,
        client: AsyncWebClient,
        admins: frozenset[str],
    ) -> None:
        self.service = service
        self.schedules = schedules
        self.client = client
        self.admins = admins

    async def _targets(self, user_id: str) -> Lockable | None:
        """What the person may lock, or None when that is nothing (the form is not shown)."""
        async with self.service.db.session() as session:
            targets = await lockable_targets(session, self.service.access, user_id)
        return targets if option_groups(targets)[0] else None

    async def open_schedule_builder(self, asked: Asked) -> None:
        targets = await self._targets(asked.user_id)
        if targets is None:
            view = views.notice(words.SCHEDULE_TITLE, locks.nothing_to_lock(self.admins))
        else:
            default = self.schedules.default_timezone
            zone = await user_timezone(self.client, asked.user_id, default)
            view = views.schedule_builder(targets, zone, asked.channel)
        await self._open(asked, view, words.TYPED_SCHEDULE)

    async def open_lock_form(self, asked: Asked) -> None:
        targets = await self._targets(asked.user_id)
        if targets is None:
            view = views.notice(words.LOCK_TITLE, locks.nothing_to_lock(self.admins))
        else:
            view = views.lock_form(targets)
        await self._open(asked, view, words.TYPED_LOCK)

    async def _open(self, asked: Asked, view: views.View, typed: str) -> None:
        try:
            await self.client.views_open(trigger_id=asked.trigger_id, view=view)
        except SlackApiError as error:
            # A trigger lasts 3 s; past it (or for any other refusal) say so, with the command.
            log.warning("views.open for %s failed: %s", asked.user_id, slack_error(error))
            text = words.could_not_open(slack_error(error), typed)
            await respond(self.client, asked.response_url, asked.user_id, text)

    async def submit_schedule(self, user_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """The ack for a submitted schedule builder."""
        form = views.read_schedule(values)
        if isinstance(form, dict):
            return _errors(form)
        try:
            item = await self.schedules.create(
                user_id, form.channel, form.target, form.when, form.zone
            )
        except ScheduleError as error:
            return _errors({_schedule_field(error): words.schedule_refused(error)})
        except WhenError as error:  # the form makes only what bot.when reads; kept for safety
            return _errors({views.DAYS: str(error)})
        done = views.notice(words.SCHEDULE_TITLE, words.scheduled(item))
        return {"response_action": "update", "view": done}

    async def submit_lock(self, user_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """The ack for a submitted "Lock a door": empty (the form closes) when the lock went
        ahead, a field's error when it was refused."""
        form = views.read_lock(values)
        if isinstance(form, dict):
            return _errors(form)
        request_id = new_request_id()
        bind_request(request_id)
        log.info("lock form %r from %s to %s", form.target, user_id, form.channel)
        # No channel: the thread is the person's DM with the bot (a user ID posts there).
        requester = Requester(user_id=user_id, channel_id=form.channel or user_id)
        submission = await self.service.submit(requester, form.target, request_id)
        if self.service.begin(submission):
            return {}
        if isinstance(submission, Submission) and submission.joined is not None:
            text = words.joined(submission.request, submission.joined)
            return {"response_action": "update", "view": views.notice(words.LOCK_TITLE, text)}
        field = views.CHANNEL if submission.rejection is Rejection.WRONG_CHANNEL else views.TARGET
        return _errors({field: words.lock_refused(submission, self.service.intake.rate_limit)})


def add_modals(app: AsyncApp, modals: Modals, spawn: Spawn) -> None:
    """The shortcuts and the forms' submissions, on `app` (Bolt checks each one's signature)."""

    opens = {
        views.SCHEDULE_SHORTCUT: modals.open_schedule_builder,
        views.LOCK_SHORTCUT: modals.open_lock_form,
    }

    @app.shortcut(re.compile(f"^(?:{'|'.join(map(re.escape, opens))})$"))
    async def shortcut(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        callback_id = str(body.get("callback_id", ""))
        spawn(opens[callback_id](Asked(_user(body), str(body.get("trigger_id", "")))))
        metrics.command_count(callback_id, "form").inc()

    async def submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], kind: str
    ) -> None:
        user = _user(body)
        values = (view.get("state") or {}).get("values") or {}
        submit = modals.submit_schedule if kind == "schedule_form" else modals.submit_lock
        try:
            answer = await submit(user, values)
        except Exception:
            log.exception("a %s from %s failed", kind, user)
            answer = _errors({views.TARGET: usage.command_failed()})
        result = "refused" if answer.get("response_action") == "errors" else "accepted"
        metrics.command_count(kind, result).inc()
        await ack(**answer)

    @app.view(views.SCHEDULE_VIEW)
    async def schedule_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await submitted(ack, body, view, "schedule_form")

    @app.view(views.LOCK_VIEW)
    async def lock_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await submitted(ack, body, view, "lock_form")
