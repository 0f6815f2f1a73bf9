"""Device news from Seam: what to tell, where, and when to stay quiet (issue #5).

`EventRelay.handle` is the one handler for both ways in (webhook and poller). Each event is
claimed once by its id (the `seam_event` row), then:

- an action attempt's outcome settles the lock request waiting on it, through
  `LockService.settle`, whose `UPDATE … WHERE pending` keeps the outcome told once even when the
  poll gets there at the same moment;
- device news is told in the door's alert channel (the door's, else its first group's by name,
  else LOCKBOT_ALERT_CHANNEL), in plain words, unless muted, quiet hours hold it back, or noise
  control folds it into an earlier message (a flapping device, a battery told today already).

A device shared by several doors is named, routed and muted as its first door (lowest id): one
device, one message, however many names it has.

The admin side (mutes, quiet hours) lives here too as plain domain functions that do not commit;
`bot.admin` wraps them with the audit trail.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database
from bot.doors import DoorError, find_door, load_directory
from bot.groups import find_group
from bot.models import (
    Door,
    DoorGroup,
    EventMute,
    EventNotice,
    GroupMember,
    LockRequest,
    LockStatus,
    QuietHours,
    Schedule,
    ScheduleRun,
    SeamEvent,
    utcnow,
)
from bot.ports import DeviceEvent, EventNotifier, MessageRef
from bot.slack.messages import escape

if TYPE_CHECKING:
    from bot.locking import LockService

log = logging.getLogger(__name__)

DISCONNECTED = "device.disconnected"
CONNECTED = "device.connected"
LOW_BATTERY = "device.low_battery"
BATTERY_CHANGED = "device.battery_status_changed"
TAMPERED = "device.tampered"
UNLOCKED = "lock.unlocked"
LOCKED = "lock.locked"
# The device news lockbot tells, and so the names an admin may mute.
EVENT_TYPES = (DISCONNECTED, CONNECTED, LOW_BATTERY, BATTERY_CHANGED, TAMPERED, UNLOCKED, LOCKED)
LOCK_SUCCEEDED = "action_attempt.lock_door.succeeded"
LOCK_FAILED = "action_attempt.lock_door.failed"

# A lock.locked this close to one of lockbot's own lock requests is lockbot's doing (Seam's clock
# and ours differ a little, and the event can come before or after the request settles).
OWN_LOCK_WINDOW = timedelta(minutes=2)
BATTERY_EVERY = timedelta(days=1)
_LOW = ("low", "critical")

# How Seam's `method` reads in a sentence.
_METHODS = {
    "keycode": "keypad code",
    "manual": "manual",
    "remote": "remote",
    "seamapi": "remote",
    "automatic": "auto-lock",
}


class EventError(DoorError):
    """A mute or quiet-hours change that cannot be made as asked. A DoorError, so Slack and the
    terminal already show it as a refusal rather than a crash."""


# -- words -------------------------------------------------------------------------------------


def bold(name: str) -> str:
    return f"*{escape(name)}*"


def duration(span: timedelta) -> str:
    """"14 min", "1 h 10 min", "3 days": rounded to the minute, never "0 min"."""
    minutes = max(1, round(span.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours >= 48:
        return f"{round(minutes / 1440)} days"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def _method(method: str | None) -> str | None:
    if method is None or method == "unknown":
        return None
    return _METHODS.get(method, escape(method))


def _percent(level: float | None) -> str:
    return f" ({round(level * 100)}%)" if level is not None else ""


def unlocked_text(name: str, method: str | None) -> str:
    how = _method(method)
    return f"🔓 {bold(name)} was unlocked" + (f" ({how})" if how else "")


def locked_text(name: str, method: str | None) -> str:
    if method == "manual":
        return f"🔒 {bold(name)} was locked by hand"
    how = _method(method)
    if how is None:
        return f"🔒 {bold(name)} was locked outside lockbot"
    return f"🔒 {bold(name)} was locked ({how})"


def battery_text(name: str, status: str, level: float | None) -> str:
    icon = "🪫" if status in _LOW else "🔋"
    again = "" if status in _LOW else " again"
    return f"{icon} {bold(name)} battery is {escape(status)}{again}{_percent(level)}"


# -- admin: mutes and quiet hours (no commits here; bot.admin commits with the audit row) -------


def event_type(text: str) -> str:
    """The Seam event type an admin typed, or EventError listing the ones there are."""
    wanted = text.strip().casefold()
    if wanted in EVENT_TYPES:
        return wanted
    raise EventError(f"{text!r} is not an event I relay; use one of {', '.join(EVENT_TYPES)}")


async def door_or_group(session: AsyncSession, text: str) -> Door | DoorGroup:
    door = await find_door(session, text)
    if door is not None:
        return door
    group = await find_group(session, text)
    if group is not None:
        return group
    hint = (await load_directory(session)).suggest(text)
    also = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise EventError(
        f"no door or group is called {text!r}{also}; `lockbot doors list` and "
        "`lockbot groups list` show them"
    )


async def groups_of(session: AsyncSession, door_id: int) -> list[DoorGroup]:
    """The groups a door is in, by name: the first with a channel routes the door's news."""
    query = (
        select(DoorGroup)
        .join(GroupMember, col(GroupMember.group_id) == col(DoorGroup.id))
        .where(col(GroupMember.door_id) == door_id)
        .order_by(col(DoorGroup.key))
    )
    return list((await session.exec(query)).all())


def label(target: Door | DoorGroup) -> str:
    return f"{target.name} (group)" if isinstance(target, DoorGroup) else target.name


def _mute_where(kind: str, target: Door | DoorGroup) -> sa.ColumnElement[bool]:
    is_group = isinstance(target, DoorGroup)
    return sa.and_(
        col(EventMute.event_type) == kind,
        col(EventMute.group_id) == target.id if is_group else col(EventMute.group_id).is_(None),
        col(EventMute.door_id).is_(None) if is_group else col(EventMute.door_id) == target.id,
    )


async def mute(session: AsyncSession, actor: str, target: Door | DoorGroup, kind: str) -> bool:
    """Mute `kind` for a door or group; False when it already was."""
    # Checked by hand: the unique constraint treats the NULL column as distinct every time.
    if (await session.exec(select(EventMute).where(_mute_where(kind, target)))).first():
        return False
    is_group = isinstance(target, DoorGroup)
    session.add(
        EventMute(
            event_type=kind,
            door_id=None if is_group else target.id,
            group_id=target.id if is_group else None,
            created_by=actor[:64],
        )
    )
    await session.flush()
    return True


async def unmute(session: AsyncSession, target: Door | DoorGroup, kind: str) -> bool:
    rows = (await session.exec(select(EventMute).where(_mute_where(kind, target)))).all()
    for row in rows:
        await session.delete(row)
    await session.flush()
    return bool(rows)


@dataclass(frozen=True)
class MuteView:
    target: str  # "Front Door" or "Floor 2 (group)"
    event_type: str
    created_by: str


async def list_mutes(session: AsyncSession) -> list[MuteView]:
    rows = (await session.exec(select(EventMute).order_by(col(EventMute.id)))).all()
    doors = {d.id: d for d in (await session.exec(select(Door))).all()}
    groups = {g.id: g for g in (await session.exec(select(DoorGroup))).all()}
    out = []
    for row in rows:
        target: Door | DoorGroup | None = (
            doors.get(row.door_id) if row.door_id is not None else groups.get(row.group_id)
        )
        if target is not None:
            out.append(MuteView(label(target), row.event_type, row.created_by))
    return sorted(out, key=lambda m: (m.target.casefold(), m.event_type))


_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})$")
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,30}$")


def channel(text: str) -> str:
    """A Slack channel ID: routing and quiet hours compare IDs, so a name would never match."""
    text = text.strip()
    if not _CHANNEL.match(text):
        raise EventError(
            f"{text!r} is not a Slack channel ID; use the ID (C… or G…), which Slack shows at "
            "the bottom of the channel's details"
        )
    return text


def parse_hours(text: str) -> tuple[str, str]:
    """"22:00-07:00" → ("22:00", "07:00")."""
    found = _HOURS.match(text.strip())
    if found:
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        if h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60 and (h1, m1) != (h2, m2):
            return f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"
    raise EventError(f"{text!r} is not a span of hours; write it like 22:00-07:00")


def zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise EventError(
            f"{name!r} is not a time zone I know; use one like Europe/Berlin"
        ) from None
    return name


async def set_quiet(
    session: AsyncSession, channel_id: str, hours: str, timezone: str
) -> QuietHours:
    start, end = parse_hours(hours)
    row = await session.get(QuietHours, channel(channel_id))
    if row is None:
        row = QuietHours(channel_id=channel_id, start=start, end=end, timezone=zone(timezone))
    else:
        row.start, row.end, row.timezone = start, end, zone(timezone)
    session.add(row)
    await session.flush()
    return row


async def clear_quiet(session: AsyncSession, channel_id: str) -> bool:
    row = await session.get(QuietHours, channel(channel_id))
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def list_quiet(session: AsyncSession) -> list[QuietHours]:
    return list((await session.exec(select(QuietHours).order_by(col(QuietHours.channel_id)))).all())


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def is_quiet(hours: QuietHours, moment: datetime) -> bool:
    local = moment.astimezone(ZoneInfo(hours.timezone))
    now = local.hour * 60 + local.minute
    start, end = _minutes(hours.start), _minutes(hours.end)
    if start < end:
        return start <= now < end
    return now >= start or now < end  # across midnight, like 22:00-07:00


# -- the relay ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Door:
    """The door an event is about, as the relay needs it."""

    door: Door
    groups: list[DoorGroup]
    muted: bool
    channel: str | None

    @property
    def name(self) -> str:
        return self.door.name


class EventRelay:
    def __init__(
        self,
        db: Database,
        service: LockService,
        notifier: EventNotifier,
        *,
        default_channel: str = "",
        flap_minutes: float = 10.0,
        locked_hours: float = 8.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.service = service
        self.notifier = notifier
        self.default_channel = default_channel
        self.flap = timedelta(minutes=flap_minutes)
        self.locked = timedelta(hours=locked_hours)
        self.clock = clock
        # The webhook and the poller can hand us two events of one device at once; the notices
        # they both read and rewrite need them one after the other.
        self._devices: dict[str, asyncio.Lock] = {}

    async def handle(self, event: DeviceEvent, via: str) -> str:
        """Handle one event once (its id is the dedupe key); returns what was done with it:
        duplicate, relayed, muted, suppressed, settled, ignored; or failed (Slack refused the
        post) and error (a bug here; logged, and kept so the event is not handled again)."""
        if not await self._claim(event, via):
            log.info("seam event %s (%s) via %s: duplicate", event.event_id, event.event_type, via)
            return "duplicate"
        try:
            outcome = await self._dispatch(event)
        except Exception:
            log.exception("seam event %s (%s): handling failed", event.event_id, event.event_type)
            outcome = "error"
        async with self.db.writing() as session:
            await session.exec(
                sa.update(SeamEvent)
                .where(col(SeamEvent.event_id) == event.event_id[:64])
                .values(outcome=outcome)
            )
            await session.commit()
        log.info(
            "seam event %s (%s, device %s) via %s: %s",
            event.event_id,
            event.event_type,
            event.device_id,
            via,
            outcome,
        )
        return outcome

    async def _claim(self, event: DeviceEvent, via: str) -> bool:
        row = SeamEvent(
            event_id=event.event_id[:64],
            event_type=event.event_type[:80],
            device_id=event.device_id[:120] if event.device_id else None,
            occurred_at=event.occurred_at,
            received_at=self.clock(),
            via=via[:16],
        )
        try:
            async with self.db.writing() as session:
                session.add(row)
                await session.commit()
        except sa.exc.IntegrityError:
            return False  # the other way in (or an earlier poll) got it first
        return True

    async def _dispatch(self, event: DeviceEvent) -> str:
        if event.event_type in (LOCK_SUCCEEDED, LOCK_FAILED):
            return await self._attempt(event)
        if event.event_type not in EVENT_TYPES or not event.device_id:
            return "ignored"
        lock = self._devices.setdefault(event.device_id, asyncio.Lock())
        async with lock:
            return await self._device_news(event, event.device_id)

    # -- attempt outcomes --------------------------------------------------------------------

    async def _attempt(self, event: DeviceEvent) -> str:
        if not event.action_attempt_id:
            return "ignored"
        async with self.db.session() as session:
            query = select(LockRequest.id).where(
                col(LockRequest.action_attempt_id) == event.action_attempt_id,
                col(LockRequest.status) == LockStatus.PENDING,
            )
            request_ids = list((await session.exec(query)).all())
        settled = False
        for request_id in request_ids:
            assert request_id is not None
            if event.event_type == LOCK_SUCCEEDED:
                row = await self.service.settle(request_id, LockStatus.LOCKED)
            else:
                row = await self.service.settle(
                    request_id,
                    LockStatus.FAILED,
                    event.error_type or "unknown_error",
                    event.error_message or "Seam reported an error without details",
                )
            # None: the poll (or the sweeper) wrote the outcome first and has told it.
            settled = settled or row is not None
        return "settled" if settled else "ignored"

    # -- device news -------------------------------------------------------------------------

    async def _door(
        self, session: AsyncSession, event: DeviceEvent, device_id: str
    ) -> _Door | None:
        query = select(Door).where(col(Door.device_id) == device_id).order_by(col(Door.id))
        door = (await session.exec(query)).first()
        if door is None:
            return None
        assert door.id is not None
        groups = await groups_of(session, door.id)
        group_ids = [g.id for g in groups]
        mutes = select(EventMute.id).where(
            col(EventMute.event_type) == event.event_type,
            or_(col(EventMute.door_id) == door.id, col(EventMute.group_id).in_(group_ids)),
        )
        muted = (await session.exec(mutes)).first() is not None
        routed = door.alert_channel or next(
            (g.alert_channel for g in groups if g.alert_channel), None
        )
        return _Door(door, groups, muted, routed or self.default_channel or None)

    async def _device_news(self, event: DeviceEvent, device_id: str) -> str:
        async with self.db.session() as session:
            about = await self._door(session, event, device_id)
            if about is None:
                return "ignored"  # a lock Seam knows and lockbot does not
            if event.event_type == LOCKED and await self._ours(session, event, device_id):
                return "ignored"
            if about.muted:
                return "muted"
            if about.channel is None:
                log.warning(
                    "no channel for %s news of %s: set LOCKBOT_ALERT_CHANNEL, or "
                    "`lockbot doors alerts`",
                    event.event_type,
                    about.name,
                )
                return "ignored"
            hours = await session.get(QuietHours, about.channel)
            quiet = hours is not None and is_quiet(hours, self.clock())
            unexpected = None
            if event.event_type == UNLOCKED:
                unexpected = await self._unexpected(session, event, about)
        name, where = about.name, about.channel
        match event.event_type:
            case "device.tampered":
                return await self._post(where, f"🚨 {bold(name)} reports tampering")
            case "lock.unlocked":
                if unexpected is not None:
                    return await self._post(where, unexpected)
                if quiet:
                    return "suppressed"
                return await self._post(where, unlocked_text(name, event.method))
            case "lock.locked":
                if quiet:
                    return "suppressed"
                return await self._post(where, locked_text(name, event.method))
            case "device.low_battery" | "device.battery_status_changed":
                return await self._battery(event, device_id, name, where, quiet)
            case _:
                return await self._connection(event, device_id, name, where, quiet)

    async def _ours(self, session: AsyncSession, event: DeviceEvent, device_id: str) -> bool:
        """Whether lockbot itself asked for this lock: a request for the device pending, or
        ended, around the time of the event."""
        at = event.occurred_at
        query = select(LockRequest.id).where(
            col(LockRequest.device_id) == device_id,
            col(LockRequest.created_at) <= at + OWN_LOCK_WINDOW,
            or_(
                col(LockRequest.status) == LockStatus.PENDING,
                col(LockRequest.finished_at) >= at - OWN_LOCK_WINDOW,
            ),
        )
        return (await session.exec(query.limit(1))).first() is not None

    async def _unexpected(
        self, session: AsyncSession, event: DeviceEvent, about: _Door
    ) -> str | None:
        """The warning for an unlock soon after the door's latest scheduled lock, else None."""
        if self.locked <= timedelta(0):
            return None
        group_ids = [g.id for g in about.groups]
        query = (
            select(ScheduleRun, Schedule)
            .join(Schedule, col(Schedule.id) == col(ScheduleRun.schedule_id))
            .where(
                or_(col(Schedule.door_id) == about.door.id, col(Schedule.group_id).in_(group_ids)),
                col(ScheduleRun.outcome).in_(("ran", "late")),
                # When it ran, not when it was due: a late run locked the door only then.
                col(ScheduleRun.started_at) <= event.occurred_at,
            )
            .order_by(col(ScheduleRun.started_at).desc())
            .limit(1)
        )
        found = (await session.exec(query)).first()
        if found is None:
            return None
        run, schedule = found
        if event.occurred_at - run.started_at > self.locked:
            return None
        local = ZoneInfo(schedule.timezone)
        how = _method(event.method)
        return (
            f"⚠️ Unexpected: {bold(about.name)} was unlocked"
            + (f" ({how})" if how else "")
            + f" at {event.occurred_at.astimezone(local):%H:%M}, "
            + f"{duration(event.occurred_at - run.fire_at)} after its "
            + f"{run.fire_at.astimezone(local):%H:%M} scheduled lock"
        )

    # -- noise control -----------------------------------------------------------------------

    async def _battery(
        self, event: DeviceEvent, device_id: str, name: str, where: str, quiet: bool
    ) -> str:
        status = event.battery_status or ("low" if event.event_type == LOW_BATTERY else None)
        if status is None:
            return "ignored"
        notice = await self._notice(device_id, "battery")
        if status not in _LOW:
            # Good news is worth telling only to those who heard the bad news.
            if notice is None:
                return "ignored"
            if quiet:
                return "suppressed"
            outcome = await self._post(where, battery_text(name, status, event.battery_level))
            await self._drop_notice(device_id, "battery")
            return outcome
        now = self.clock()
        if notice is not None and now - notice.last_at < BATTERY_EVERY:
            return "suppressed"
        if quiet:
            return "suppressed"
        text = battery_text(name, status, event.battery_level)
        ref = await self._send(where, text)
        if ref is None:
            return "failed"
        await self._save_notice(device_id, "battery", ref, now, now, 1, text)
        return "relayed"

    async def _connection(
        self, event: DeviceEvent, device_id: str, name: str, where: str, quiet: bool
    ) -> str:
        """One message per outage, or per flapping spell: a reconnect, or another disconnect,
        within `flap_minutes` of the message's latest event edits it instead of posting."""
        at = event.occurred_at
        notice = await self._notice(device_id, "connection")
        recent = (
            notice is not None and notice.channel == where and at - notice.last_at <= self.flap
        )
        if event.event_type == DISCONNECTED:
            if notice is not None and recent:
                count = notice.count + 1
                text = f"📴 {bold(name)} flapped {count} times in {duration(at - notice.opened_at)}"
                text += "; offline now"
                await self._edit(notice, text, count=count, last_at=at)
                return "suppressed"
            if quiet:
                return "suppressed"
            text = f"📴 {bold(name)} went offline"
            ref = await self._send(where, text)
            if ref is None:
                return "failed"
            await self._save_notice(device_id, "connection", ref, at, at, 1, text)
            return "relayed"
        down_since = await self._down_since(event, device_id)
        if notice is not None and recent:
            if down_since is None:
                return "suppressed"  # its message already says it is online
            if notice.count == 1:
                text = f"📶 {bold(name)} was offline for {duration(at - down_since)}; online now"
            else:
                span = duration(at - notice.opened_at)
                text = f"📶 {bold(name)} flapped {notice.count} times in {span}; online now"
            await self._edit(notice, text, last_at=at)
            return "suppressed"
        if quiet:
            return "suppressed"
        after = f" after {duration(at - down_since)}" if down_since is not None else ""
        outcome = await self._post(where, f"📶 {bold(name)} is back online{after}")
        # The outage's message is done with: a new disconnect starts a new one.
        await self._drop_notice(device_id, "connection")
        return outcome

    async def _down_since(self, event: DeviceEvent, device_id: str) -> datetime | None:
        """When the device went offline, if its latest connection event before this one was a
        disconnect (told or not: quiet hours may have held it back)."""
        async with self.db.session() as session:
            query = (
                select(SeamEvent)
                .where(
                    col(SeamEvent.device_id) == device_id,
                    col(SeamEvent.event_type).in_((DISCONNECTED, CONNECTED)),
                    col(SeamEvent.occurred_at) <= event.occurred_at,
                    col(SeamEvent.event_id) != event.event_id[:64],
                )
                .order_by(col(SeamEvent.occurred_at).desc(), col(SeamEvent.id).desc())
                .limit(1)
            )
            last = (await session.exec(query)).first()
        if last is None or last.event_type != DISCONNECTED:
            return None
        return last.occurred_at

    # -- notices and posting -----------------------------------------------------------------

    async def _notice(self, device_id: str, kind: str) -> EventNotice | None:
        async with self.db.session() as session:
            query = select(EventNotice).where(
                col(EventNotice.device_id) == device_id, col(EventNotice.kind) == kind
            )
            return (await session.exec(query)).first()

    async def _save_notice(
        self,
        device_id: str,
        kind: str,
        ref: MessageRef,
        opened_at: datetime,
        last_at: datetime,
        count: int,
        text: str,
    ) -> None:
        async with self.db.writing() as session:
            query = select(EventNotice).where(
                col(EventNotice.device_id) == device_id, col(EventNotice.kind) == kind
            )
            row = (await session.exec(query)).first() or EventNotice(
                device_id=device_id, kind=kind, channel=ref.channel, ts=ref.ts,
                opened_at=opened_at, last_at=last_at,
            )
            row.channel, row.ts = ref.channel, ref.ts
            row.opened_at, row.last_at, row.count, row.text = opened_at, last_at, count, text[:2000]
            session.add(row)
            await session.commit()

    async def _drop_notice(self, device_id: str, kind: str) -> None:
        async with self.db.writing() as session:
            await session.exec(
                sa.delete(EventNotice).where(
                    col(EventNotice.device_id) == device_id, col(EventNotice.kind) == kind
                )
            )
            await session.commit()

    async def _edit(self, notice: EventNotice, text: str, **values: object) -> None:
        # Edits notify nobody, so they go ahead in quiet hours: the message stays true.
        try:
            await self.notifier.update(MessageRef(notice.channel, notice.ts), text)
        except Exception:
            log.exception("could not update the message about device %s", notice.device_id)
        async with self.db.writing() as session:
            await session.exec(
                sa.update(EventNotice)
                .where(col(EventNotice.id) == notice.id)
                .values(text=text[:2000], **values)
            )
            await session.commit()

    async def _send(self, channel: str, text: str) -> MessageRef | None:
        try:
            return await self.notifier.post(channel, text)
        except Exception:
            # Telling is best effort; the event's row keeps what happened.
            log.exception("could not post device news in %s", channel)
            return None

    async def _post(self, channel: str, text: str) -> str:
        return "relayed" if await self._send(channel, text) is not None else "failed"
