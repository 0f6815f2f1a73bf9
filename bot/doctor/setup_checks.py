"""The checks of lockbot's own setup against the world: doors Seam still knows, an alert
channel the bot can post to, grants whose doors and people exist, and a running bot for the
schedules and pending lock requests."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from slack_sdk.errors import SlackApiError
from sqlmodel import col, select

from bot.doctor.checks import Check, failed, passed, plural
from bot.doctor.probe import Probe
from bot.doctor.slack_checks import slack_error
from bot.ids import is_group_id, is_user_id
from bot.models import Door, Grant, Schedule
from bot.names import list_doors

SLACK_CONCURRENCY = 4  # users.info / usergroups.users.list calls in flight at once
TEST_MESSAGE = "lockbot doctor: checking that I can post here. This message deletes itself."

FIX_STALE_DOORS = (
    "run `lockbot doors sync`, which marks them missing; or point each door at its new device "
    "with `lockbot doors remove NAME` + `lockbot doors add NAME DEVICE_ID`"
)
FIX_ALERT_UNSET = (
    "set LOCKBOT_ALERT_CHANNEL to a channel ID (C…) and invite the bot there: /invite @lockbot"
)
FIX_ALERT = {
    "not_in_channel": "invite the bot: /invite @lockbot in that channel",
    "channel_not_found": (
        "check the channel ID (channel details → About → Channel ID); "
        "for a private channel, invite the bot first: /invite @lockbot"
    ),
    "is_archived": "unarchive the channel, or set LOCKBOT_ALERT_CHANNEL to another one",
    "missing_scope": "add chat:write in the app's OAuth & Permissions and reinstall the app",
}
FIX_REVOKE = "take them back with `lockbot revoke SUBJECT DOOR`"
FIX_ORPHANS = (
    "delete grants of deleted doors: DELETE FROM access_grant "
    "WHERE door_id IS NOT NULL AND door_id NOT IN (SELECT id FROM door)"
)


async def doors(probe: Probe) -> Check:
    name = "doors"
    missing = [
        reason
        for reason, ready in (
            ("Seam unreachable", probe.locks is not None),
            ("the database is not ready", probe.db_ready),
        )
        if not ready
    ]
    if missing or probe.db is None or probe.locks is None:
        return failed(name, f"not checked: {'; '.join(missing)}")
    async with probe.db.session() as session:
        rows = await list_doors(session)
    if not rows:
        return passed(name, "no doors yet (add one with `lockbot doors add NAME DEVICE_ID`)")
    known = {str(getattr(lock, "device_id", "")) for lock in probe.locks}
    stale = [door for door, _ in rows if door.device_id not in known]
    if stale:
        listed = ", ".join(f"{door.name} ({door.device_id})" for door in stale)
        return failed(
            name,
            f"Seam no longer knows the device of {plural(len(stale), 'door')}: {listed}",
            FIX_STALE_DOORS,
        )
    return passed(name, f"Seam knows the lock of every door ({len(rows)})")


async def alert_channel(probe: Probe) -> Check:
    name, channel = "alert channel", probe.settings.alert_channel
    if not channel:
        return failed(
            name, "LOCKBOT_ALERT_CHANNEL is not set; failures will only show in threads",
            FIX_ALERT_UNSET,
        )  # fmt: skip
    if probe.auth is None:
        return failed(name, f"not checked ({channel}): the bot token does not work")
    try:
        posted = await probe.slack.chat_postMessage(
            channel=channel, text=TEST_MESSAGE, unfurl_links=False, unfurl_media=False
        )
    except SlackApiError as error:
        code = slack_error(error)
        fix = FIX_ALERT.get(code, "")
        return failed(name, f"the bot cannot post to {channel} ({code})", fix)
    try:
        await probe.slack.chat_delete(channel=str(posted["channel"]), ts=str(posted["ts"]))
    except SlackApiError as error:
        return passed(
            name,
            f"the bot can post to {channel}, but could not delete its test message "
            f"({slack_error(error)}); delete it by hand",
        )
    return passed(name, f"the bot can post to {channel} (test message posted and deleted)")


async def grants(probe: Probe) -> Check:
    name = "grants"
    if not probe.db_ready or probe.db is None:
        return failed(name, "not checked: the database is not ready")
    async with probe.db.session() as session:
        rows = (
            await session.exec(
                select(Grant.subject, Grant.door_id, Door.name)
                .join(Door, col(Grant.door_id) == col(Door.id), isouter=True)
                .order_by(col(Grant.subject), col(Grant.id))
            )
        ).all()
    if not rows:
        return passed(name, "no grants yet")
    problems: list[str] = []
    fixes: list[str] = []
    orphans = [subject for subject, door_id, door in rows if door_id and door is None]
    if orphans:
        problems.append(
            f"{plural(len(orphans), 'grant')} "
            f"{'names' if len(orphans) == 1 else 'name'} a door that no longer exists "
            f"({', '.join(orphans)})"
        )
        fixes.append(FIX_ORPHANS)
    doors_of: dict[str, list[str]] = {}
    for subject, door_id, door in rows:
        if door_id is None or door is not None:
            doors_of.setdefault(subject, []).append(door or "*")
    unknown = await _unknown_subjects(probe, sorted(doors_of), problems)
    if unknown:
        problems.extend(f"{why}: {s} (door {', '.join(doors_of[s])})" for s, why in unknown)
        fixes.insert(0, FIX_REVOKE)
    if problems:
        return failed(name, "; ".join(problems), "; ".join(fixes))
    return passed(
        name,
        f"{plural(len(rows), 'grant')}; every door, user and user group in them exists",
    )


async def _unknown_subjects(
    probe: Probe, subjects: list[str], problems: list[str]
) -> list[tuple[str, str]]:
    """(subject, why) for each subject Slack does not know; other trouble goes to problems."""
    odd = [s for s in subjects if not (is_user_id(s) or is_group_id(s))]
    unknown = [(s, "not a Slack user or user group ID") for s in odd]
    to_ask = [s for s in subjects if s not in odd]
    if not to_ask:
        return unknown
    if probe.auth is None:
        problems.append(
            f"{plural(len(to_ask), 'user or group')} not checked: the bot token does not work"
        )
        return unknown
    limit = asyncio.Semaphore(SLACK_CONCURRENCY)
    errors: dict[str, str] = {}

    async def ask(subject: str) -> str | None:
        async with limit:
            try:
                if is_user_id(subject):
                    found = await probe.slack.users_info(user=subject)
                    user = found.get("user") or {}
                    return "deleted Slack user" if user.get("deleted") else None
                await probe.slack.usergroups_users_list(usergroup=subject)
                return None
            except SlackApiError as error:
                code = slack_error(error)
                if code == "user_not_found":
                    return "unknown Slack user"
                if code == "no_such_subteam":
                    return "unknown user group"
                errors[subject] = code
                return None

    answers = await asyncio.gather(*(ask(s) for s in to_ask))
    unknown += [(s, why) for s, why in zip(to_ask, answers, strict=True) if why]
    if errors:
        codes = sorted(set(errors.values()))
        asked = ", ".join(sorted(errors))
        problems.append(
            f"Slack would not say whether {asked} exist ({', '.join(codes)})"
            + ("; add users:read and reinstall the app" if "missing_scope" in codes else "")
        )
    return sorted(unknown)


async def schedules(probe: Probe) -> Check:
    """Active schedules, and on PostgreSQL whether a running replica holds their lock."""
    name = "schedules"
    if not (probe.db_ready and probe.db is not None):
        return failed(name, "not checked: the database is not ready")
    from bot.leadership import LOCK_KEY

    async with probe.db.session() as session:
        query = select(Schedule).where(col(Schedule.paused).is_(False))
        active = len((await session.exec(query)).all())
        if session.get_bind().dialect.name != "postgresql":
            return passed(name, f"{plural(active, 'active schedule')}; `lockbot serve` runs them")
        held = (
            await (await session.connection()).execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database()) "
                    "AND ((classid::bigint << 32) | objid::bigint) = :key"
                ),
                {"key": LOCK_KEY},
            )
        ).scalar_one()
    if held:
        return passed(name, f"{plural(active, 'active schedule')}; a running replica leads")
    if not active:
        return passed(name, "no active schedules, and no `lockbot serve` is leading")
    return failed(
        name,
        f"{plural(active, 'active schedule')}, but no `lockbot serve` holds the scheduler "
        "lock, so none will run",
        "start `lockbot serve` (any one replica takes the lead within seconds)",
    )


async def pending_locks(probe: Probe) -> Check:
    """Lock requests that no running bot carries out: they wait, and expire if it is late."""
    name = "pending locks"
    if not (probe.db_ready and probe.db is not None):
        return failed(name, "not checked: the database is not ready")
    from bot.locking.lease import Lease
    from bot.locking.recovery import stranded

    waiting = await stranded(probe.db, Lease(probe.settings.lease_s))
    if not waiting:
        return passed(name, "none is waiting for a bot to carry it out")
    return failed(
        name,
        f"{plural(waiting, 'lock request')} acked but not carried out: no `lockbot serve` "
        "has held it for a while",
        "start `lockbot serve`; a request past its deadline then ends as expired, unsent",
    )
