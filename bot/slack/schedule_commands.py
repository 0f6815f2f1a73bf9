"""`/lock schedule`, `/lock schedules`, `/lock unschedule|pause|resume`: words around
bot.schedules, shown only to the person who asked."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.db import Database
from bot.events.wording import duration
from bot.schedules import ScheduleError, Schedules, ScheduleView, TooMany, TooOften, WrongChannel
from bot.slack.later import Later
from bot.slack.messages import mention
from bot.text import escape, local_time
from bot.when import WhenError, names_zone, parse_when

log = logging.getLogger(__name__)
LIST_MAX = 30


def line(item: ScheduleView) -> str:
    s = item.schedule
    state = "⏸️ paused" if s.paused else f"next {local_time(item.next_runs[0], s.timezone)}"
    return (
        f"`{item.id}` *{escape(s.target)}*: {escape(item.when.describe())}, {state}, "
        f"in <#{s.channel_id}>, by {mention(s.created_by)}"
    )


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


def refusal(error: ScheduleError | WhenError) -> str:
    if isinstance(error, WrongChannel):
        only = "; ".join(
            f"*{escape(name)}* only from {', '.join(f'<#{c}>' for c in channels)}"
            for name, channels in error.allowed.items()
        )
        return (
            f"⚠️ A schedule's runs lock from the channel they report in, and <#{error.channel_id}> "
            f"is not one its doors may be locked from: {only}. Schedule it from there."
        )
    if isinstance(error, TooOften):
        return (
            f"⚠️ {escape(error.when.describe())} runs as often as every {duration(error.gap)}; "
            f"a schedule may run at most once every {duration(error.minimum)}. Pick a longer "
            "interval, or ask an admin."
        )
    if isinstance(error, TooMany):
        return (
            f"⚠️ {mention(error.owner)} already has {error.limit} active schedules, the most "
            "one person may have. Pause or remove one first (`/lock schedules` lists them)."
        )
    return f"⚠️ {escape(str(error))}"


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
            parse_when(when, self.default_timezone)  # a <when> that can't be is told at once
        except WhenError as error:
            return f"⚠️ {escape(str(error))}"
        if names_zone(when):
            return await self._add(user_id, channel_id, target, when, self.default_timezone)
        # Their zone is in Slack (`users.info`): asked after the ack, as Slack may be slow.
        return Later(
            note=f"⏳ Scheduling *{escape(target)}* in your Slack time zone…",
            work=lambda: self._add_in_their_zone(user_id, channel_id, target, when),
            failed=(
                "⚠️ Something went wrong on lockbot's side while saving the schedule. "
                "`/lock schedules` shows whether it is there; if not, try again in a minute."
            ),
        )

    async def _add_in_their_zone(
        self, user_id: str, channel_id: str, target: str, when: str
    ) -> str:
        zone = await user_timezone(self.client, user_id, self.default_timezone)
        return await self._add(user_id, channel_id, target, when, zone)

    async def _add(self, user_id: str, channel_id: str, target: str, when: str, zone: str) -> str:
        await self._look_up_groups(user_id, target)
        try:
            async with self.db.writing() as session:
                item = await self.schedules.add(session, user_id, target, when, channel_id, zone)
        except (ScheduleError, WhenError) as error:
            return refusal(error)
        runs = ", ".join(local_time(t, item.schedule.timezone) for t in item.next_runs)
        return (
            f"⏰ Schedule `{item.id}`: I'll lock *{escape(item.schedule.target)}* "
            f"{escape(item.when.describe())} and report here in <#{channel_id}>. "
            f"Next runs: {runs}. Pause with `/lock pause {item.id}`, remove with "
            f"`/lock unschedule {item.id}`."
        )

    async def _look_up_groups(self, user_id: str, target: str | None = None) -> None:
        """Ask Slack about the user's groups before the write: the checks bot.schedules makes
        inside it then find the answers (or the failure) in the directory's cache."""
        await self.schedules.access.membership(self.db, user_id, target)

    async def list(self, user_id: str) -> str:
        async with self.db.session() as session:
            items = await self.schedules.visible(session, user_id)
        if not items:
            return (
                "📭 No schedules you can see. Add one with "
                "`/lock schedule front door every weekday at 22:00`."
            )
        lines = [line(item) for item in items[:LIST_MAX]]
        if len(items) > LIST_MAX:
            lines.append(f"…and {len(items) - LIST_MAX} more (`lockbot schedules list`).")
        return "⏰ *Schedules*\n" + "\n".join(lines)

    async def change(self, user_id: str, action: str, schedule_id: int) -> str:
        await self._look_up_groups(user_id)
        try:
            async with self.db.writing() as session:
                if action == "unschedule":
                    gone = await self.schedules.remove(session, user_id, schedule_id)
                    return f"🗑️ Removed schedule `{schedule_id}` (*{escape(gone.target)}*)."
                if action == "pause":
                    item = await self.schedules.pause(session, user_id, schedule_id)
                    return f"⏸️ Paused schedule `{item.id}`: *{escape(item.schedule.target)}*."
                item = await self.schedules.resume(session, user_id, schedule_id)
        except ScheduleError as error:
            return refusal(error)
        return f"▶️ Resumed: {line(item)}"
