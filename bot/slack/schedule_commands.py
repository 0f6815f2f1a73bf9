"""`/lock schedule`, `/lock schedules`, `/lock unschedule|pause|resume`: bot.schedules from
Slack, answered only to the person who asked, in the words of `bot.slack.words.schedules`."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.db import Database
from bot.schedules import ScheduleError, Schedules, ScheduleView
from bot.slack.later import Later
from bot.slack.words import schedules as words
from bot.slack.words.refusals import refusal
from bot.when import WhenError
from bot.windows import parse_schedule, says_zone

log = logging.getLogger(__name__)


async def user_timezone(client: AsyncWebClient, user_id: str, default: str) -> str:
    """The person's Slack time zone, so "at 22:00" means their 22:00."""
    try:
        response = await client.users_info(user=user_id)
        zone = (response.get("user") or {}).get("tz")
        if isinstance(zone, str) and zone:
            ZoneInfo(zone)
            return zone
    except (SlackApiError, ValueError, KeyError) as error:
        log.warning("no Slack time zone for %s (%s); using %s", user_id, error, default)
    return default


class ScheduleCommands:
    def __init__(
        self, db: Database, schedules: Schedules, client: AsyncWebClient, default_timezone: str
    ) -> None:
        self.db = db
        self.schedules = schedules
        self.client = client
        self.default_timezone = default_timezone

    async def add(self, user_id: str, channel_id: str, target: str, when: str) -> str | Later:
        try:
            # A <when> that can't be is told at once.
            parse_schedule(when, self.default_timezone, self.schedules.limits.relock_min)
        except WhenError as error:
            return words.bad_when(error)
        if says_zone(when):
            return await self._add(user_id, channel_id, target, when, self.default_timezone)
        # Their zone is in Slack (`users.info`): asked after the ack, as Slack may be slow.
        return Later(
            note=words.scheduling(target),
            work=lambda: self._add_in_their_zone(user_id, channel_id, target, when),
            failed=words.scheduling_failed(),
        )

    async def _add_in_their_zone(
        self, user_id: str, channel_id: str, target: str, when: str
    ) -> str:
        zone = await user_timezone(self.client, user_id, self.default_timezone)
        return await self._add(user_id, channel_id, target, when, zone)

    async def create(
        self, user_id: str, channel_id: str, target: str, when: str, zone: str
    ) -> ScheduleView:
        """The one way Slack makes a schedule, typed or from the schedule builder; raises
        ScheduleError or WhenError for the caller to word."""
        await self._look_up_groups(user_id, target)
        async with self.db.writing() as session:
            return await self.schedules.add(session, user_id, target, when, channel_id, zone)

    async def _add(self, user_id: str, channel_id: str, target: str, when: str, zone: str) -> str:
        try:
            item = await self.create(user_id, channel_id, target, when, zone)
        except ScheduleError as error:
            return refusal(error)
        except WhenError as error:
            return words.bad_when(error)
        return words.added(item, channel_id)

    async def _look_up_groups(self, user_id: str, target: str | None = None) -> None:
        """Ask Slack about the user's groups before the write: the checks bot.schedules makes
        inside it then find the answers (or the failure) in the directory's cache."""
        await self.schedules.access.membership(self.db, user_id, target)

    async def list(self, user_id: str) -> str:
        async with self.db.session() as session:
            items = await self.schedules.visible(session, user_id)
        return words.listed(items)

    async def change(self, user_id: str, action: str, schedule_id: int) -> str:
        await self._look_up_groups(user_id)
        try:
            async with self.db.writing() as session:
                if action == "unschedule":
                    gone = await self.schedules.remove(session, user_id, schedule_id)
                    return words.removed(schedule_id, gone)
                if action == "pause":
                    item = await self.schedules.pause(session, user_id, schedule_id)
                    return words.paused(item)
                item = await self.schedules.resume(session, user_id, schedule_id)
        except ScheduleError as error:
            return refusal(error)
        return words.resumed(item)
