"""The Slack side of the Notifier port: root message, thread replies, root edit, alerts.

When the bot cannot post in the channel it falls back to the command's response_url, then to a
DM. Trouble an admin must fix (a rejected Seam key, an alert channel that does not exist) is sent
to the admins by DM once, not on every command.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from datetime import datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.models import LockBatch, LockRequest, LockStatus, Schedule
from bot.ports import MessageRef, Progress
from bot.slack.blockkit import Message
from bot.slack.later import send_to_response_url
from bot.slack.words import groups, locks, posts, schedules

log = logging.getLogger(__name__)

# Errors that mean "the bot cannot post here", where the command's response_url still works.
_CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
# Errors an admin must fix, told to the admins at most once in this period.
ADMIN_NOTICE_EVERY_S = 6 * 3600.0


def slack_error(error: SlackApiError) -> str:
    return str(error.response.get("error", "unknown_error"))


class SlackNotifier:
    def __init__(
        self, client: AsyncWebClient, alert_channel: str, admins: Collection[str] = ()
    ) -> None:
        self.client = client
        self.alert_channel = alert_channel
        self.admins = sorted(admins)
        self._noticed: dict[str, float] = {}
        # Told the user ID of whoever's lock just settled (the App Home shows it); it must not
        # block, as it runs before the outcome is posted.
        self.settled: Callable[[str], None] | None = None

    def _settled(self, user_id: str) -> None:
        if self.settled is not None:
            self.settled(user_id)

    async def started(self, request: LockRequest) -> MessageRef | None:
        if request.batch_id is not None:
            return None  # the group's root message speaks for its doors
        return await self._post_root(request, posts.started(request))

    async def _post_root(
        self, request: LockRequest | LockBatch, message: Message
    ) -> MessageRef | None:
        if request.channel_id:
            try:
                return await self._post(request.channel_id, message)
            except SlackApiError as error:
                if slack_error(error) not in _CANNOT_POST:
                    raise
                log.info(
                    "%s %s: cannot post in %s (%s)",
                    type(request).__name__,
                    request.id,
                    request.channel_id,
                    slack_error(error),
                )
                if request.source == "schedule" and self.alert_channel:
                    # Nobody to answer directly: the run reports in the alert channel.
                    note = schedules.posted_elsewhere(request.channel_id, slack_error(error))
                    return await self._post_in_alerts(message.noted(note))
        await self._respond(request, message.text)
        return None

    async def _post_in_alerts(self, message: Message) -> MessageRef | None:
        try:
            return await self._post(self.alert_channel, message)
        except SlackApiError as error:
            if slack_error(error) not in _CANNOT_POST:
                raise
            await self._alert_channel_broken(slack_error(error))
            return None

    async def _post(self, channel: str, message: Message) -> MessageRef:
        response = await self.client.chat_postMessage(
            channel=channel, unfurl_links=False, **message.payload()
        )
        return MessageRef(str(response["channel"]), str(response["ts"]))

    async def group_started(
        self, batch: LockBatch, members: list[LockRequest]
    ) -> MessageRef | None:
        return await self._post_root(batch, posts.group_started(batch, len(members)))

    async def group_finished(self, batch: LockBatch, members: list[LockRequest]) -> None:
        self._settled(batch.user_id)
        if batch.message_channel and batch.message_ts:
            message = posts.group_finished(batch, members)
            if batch.source == "schedule" and batch.message_channel != batch.channel_id:
                message = message.noted(schedules.posted_elsewhere(batch.channel_id))
            await self.client.chat_update(
                channel=batch.message_channel, ts=batch.message_ts, **message.payload()
            )
        else:
            lines = groups.member_lines(members)
            await self._respond(batch, f"{groups.group_root_final(batch)}\n{lines}")
        failed = [r for r in members if r.status is not LockStatus.LOCKED]
        if failed and self.alert_channel:
            permalink = await self._permalink(batch.message_channel, batch.message_ts)
            await self._post_in_alerts(posts.group_alert(batch, failed, permalink))

    async def progress(self, request: LockRequest, step: Progress) -> None:
        if step is Progress.SENT and request.message_ts:
            await self._reply(request, locks.sent())

    async def finished(self, request: LockRequest) -> None:
        self._settled(request.user_id)
        if request.batch_id is not None:
            # One line per door in the group's thread; the summary and alert come once, after.
            if request.message_channel and request.message_ts:
                await self._reply(request, groups.member_line(request))
            return
        if request.joined_id is not None:
            # The request it joined owns the root message and the alert; just tell this person.
            if request.message_channel and request.message_ts:
                await self._reply(request, locks.followers_final([request]))
            else:
                await self._respond(request, locks.joined_final(request))
            return
        if request.message_channel and request.message_ts:
            await self._reply(request, locks.thread_final(request))
            if request.source == "relock":
                # Its root is the unlock message, which keeps its story and buttons.
                if request.status is not LockStatus.LOCKED:
                    await self.alert(request)
                return
            await self.client.chat_update(
                channel=request.message_channel,
                ts=request.message_ts,
                **posts.finished(request).payload(),
            )
        else:
            await self._respond(
                request, f"{locks.root_final(request)}\n{locks.thread_final(request)}"
            )
        if request.status is not LockStatus.LOCKED:
            await self.alert(request)

    async def followers_finished(self, leader: LockRequest, followers: list[LockRequest]) -> None:
        for follower in followers:
            self._settled(follower.user_id)
        assert leader.message_channel and leader.message_ts
        await self.client.chat_postMessage(
            channel=leader.message_channel,
            thread_ts=leader.message_ts,
            **Message.plain(locks.followers_final(followers)).payload(),
        )

    async def alert(self, request: LockRequest) -> None:
        if request.error_type == "seam_unauthorized":
            # Every lock fails the same way until the key is fixed: tell the admins, once.
            await self.notify_admins("seam_unauthorized", locks.seam_key_rejected())
            if self._recently_noticed("seam_unauthorized_alert"):
                return
        if not self.alert_channel:
            return
        permalink = await self._permalink(request.message_channel, request.message_ts)
        await self._post_in_alerts(posts.alert(request, permalink))

    async def _permalink(self, channel: str | None, ts: str | None) -> str | None:
        if not (channel and ts):
            return None
        try:
            link = await self.client.chat_getPermalink(channel=channel, message_ts=ts)
            return str(link["permalink"])
        except SlackApiError as error:
            log.warning("no permalink for %s/%s: %s", channel, ts, slack_error(error))
            return None

    async def _alert_channel_broken(self, error: str) -> None:
        log.error("the alert channel %s refuses posts: %s", self.alert_channel, error)
        await self.notify_admins(
            "alert_channel", locks.alert_channel_broken(self.alert_channel, error)
        )

    async def schedule_missed(self, schedule: Schedule, missed: list[datetime], more: bool) -> None:
        await self._schedule_notice(schedule, schedules.schedule_missed(schedule, missed, more))

    async def schedule_not_run(self, schedule: Schedule, reason: str) -> None:
        await self._schedule_notice(schedule, schedules.schedule_not_run(schedule, reason))

    async def schedule_lost(self, schedule: Schedule, fire_at: datetime) -> None:
        await self._schedule_notice(schedule, schedules.schedule_lost(schedule, fire_at))

    async def _schedule_notice(self, schedule: Schedule, text: str) -> None:
        """In the schedule's channel, and in the alert channel: nobody may be watching either."""
        for channel in dict.fromkeys(c for c in (schedule.channel_id, self.alert_channel) if c):
            try:
                await self.client.chat_postMessage(
                    channel=channel, unfurl_links=False, **Message.plain(text).payload()
                )
            except SlackApiError as error:
                log.warning("schedule notice to %s failed: %s", channel, slack_error(error))

    async def notify_admins(self, topic: str, text: str) -> None:
        """DM every admin about `topic`, unless they heard about it recently."""
        if self._recently_noticed(topic):
            return
        for admin in self.admins:
            try:
                await self.client.chat_postMessage(channel=admin, text=text)
            except SlackApiError as error:
                log.warning("could not DM admin %s: %s", admin, slack_error(error))

    def _recently_noticed(self, topic: str) -> bool:
        now = time.monotonic()
        last = self._noticed.get(topic)
        if last is not None and now - last < ADMIN_NOTICE_EVERY_S:
            return True
        self._noticed[topic] = now
        return False

    async def _reply(self, request: LockRequest, text: str) -> None:
        """A line in the request's thread: short, in one section."""
        assert request.message_channel and request.message_ts
        await self.client.chat_postMessage(
            channel=request.message_channel,
            thread_ts=request.message_ts,
            **Message.plain(text).payload(),
        )

    async def _respond(self, request: LockRequest | LockBatch, text: str) -> None:
        """Answer the person directly: the command's response_url, else a DM."""
        if request.response_url:
            problem = await send_to_response_url(request.response_url, text, "in_channel")
            if problem is None:
                return
            log.warning("lock request %s: response_url %s, sending a DM", request.id, problem)
        if request.source != "slack":
            log.warning("lock request %s: nowhere to post %r", request.id, text)
            return
        await self.client.chat_postMessage(channel=request.user_id, text=text)
