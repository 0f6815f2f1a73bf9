"""Intake: the fast, durable part of a lock request, which runs before Slack gets its ack.

It resolves the name, authorizes, vets the door (channel limits, still in Seam) and records the
request, or a group's batch and one request per door, in one write. Every `LockRequest` and
`LockBatch` is built here. Nothing here talks to Seam; Slack is asked about user groups before
the write begins, never inside it.

A door's request (the hot path) is decided in memory on a snapshot of the directory
(`deciding.py`, `snapshot.py`), counted against the rate limit in memory (`rate_window.py`) and
handed to the group-commit writer (`receipts.py`), which checks the snapshot's version in the
transaction that records it. A group's (`/lock floor 2`, a schedule's run) is decided and
written here with the ORM, in one transaction of its own.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.access import AccessPolicy, Membership, Verdict
from bot.db import Database
from bot.door_admin import door_channels
from bot.locking.deciding import (
    AskSlackFirst,
    ask_slack_first_if_it_could_help,
    decide_door,
    in_thread,
    vet,
)
from bot.locking.lease import Lease
from bot.locking.rate_window import RateWindow
from bot.locking.receipts import Receipts, StaleSnapshot
from bot.locking.requests import GroupSubmission, Requester, Submission, Timing, same_place
from bot.locking.snapshot import Snapshot, Snapshots
from bot.logs import bind_request, new_request_id
from bot.models import (
    Door,
    DoorGroup,
    LockBatch,
    LockRequest,
    LockStatus,
    Rejection,
    assembled_request,
    utcnow,
)
from bot.names import group_doors, lookup, suggest_targets

log = logging.getLogger(__name__)

# Rounds a request may take: the directory changed under it, or another request became the one
# in flight for its door between the read and the write.
ATTEMPTS = 5


class Intake:
    def __init__(
        self,
        db: Database,
        access: AccessPolicy,
        timing: Timing,
        lease: Lease,
        rate_limit: int = 20,
        fanout_limit: int = 10,
    ) -> None:
        self.db = db
        self.access = access
        self.timing = timing
        self.lease = lease
        self.rate_limit = rate_limit  # requests per user per minute; 0 turns the limit off
        self.fanout_limit = fanout_limit
        self.snapshots = Snapshots(db)
        self.receipts = Receipts(db)
        self.window = RateWindow(db, rate_limit, lease.owner)

    async def submit(
        self, requester: Requester, text: str, request_id: str | None, as_group: bool
    ) -> Submission | GroupSubmission:
        """Record a lock request, for `LockService.submit` (its one caller, which says what
        `as_group` is for); a new request id when it is given none."""
        request_id = request_id or new_request_id()
        bind_request(request_id)
        now = utcnow()
        counted = not requester.on_behalf and self.rate_limit > 0
        if counted:
            counted = await self.window.take(requester.user_id, now)
            over_limit = not counted
        else:
            over_limit = False
        try:
            submission = await self._submit(requester, text, request_id, as_group, now, over_limit)
        except BaseException:
            if counted:
                self.window.give_back(requester.user_id, now)
            raise
        if isinstance(submission, GroupSubmission):
            batch = submission.batch
            log.info(
                "group lock %s: %s asked for %r in %s (%d doors) → %s",
                batch.id,
                requester.user_id,
                batch.group_name,
                requester.channel_id,
                len(submission.members),
                batch.status.value,
            )
            return submission
        row = submission.request
        log.info(
            "lock request %s: %s asked for %r in %s → %s%s",
            row.id,
            requester.user_id,
            row.door_name or text,
            requester.channel_id,
            row.status.value,
            f" (joins request {row.joined_id})" if row.joined_id else "",
        )
        return submission

    async def _submit(
        self,
        requester: Requester,
        text: str,
        request_id: str,
        as_group: bool,
        now: datetime,
        over_limit: bool,
    ) -> Submission | GroupSubmission:
        # Most people hold a grant themselves, or none a user group could give: then one write
        # settles it. Only when a user group might allow it is Slack asked, outside the write.
        membership = Membership.not_asked(requester.user_id)
        attempt = 0
        while True:
            snapshot = await self.snapshots.current()
            named = snapshot.lookup(text)
            try:
                if as_group or (isinstance(named, DoorGroup) and not over_limit):
                    return await self._record(
                        requester, text, request_id, as_group, membership, now, over_limit
                    )
                return await self._receipt(snapshot, requester, text, request_id, membership,
                                           now, over_limit)  # fmt: skip
            except AskSlackFirst:
                membership = await self.access.membership(self.db, requester.user_id, text)
                continue
            except StaleSnapshot as stale:
                await self.snapshots.at_least(stale.version)
            except sa.exc.IntegrityError:
                # Another request for the door became the one in flight between our read and
                # our write (the unique index said so); the next round joins it.
                pass
            attempt += 1
            if attempt == ATTEMPTS:
                raise RuntimeError(f"could not record {text!r} in {ATTEMPTS} rounds")

    async def _receipt(
        self,
        snapshot: Snapshot,
        requester: Requester,
        text: str,
        request_id: str,
        membership: Membership,
        now: datetime,
        over_limit: bool,
    ) -> Submission:
        """A door's request, decided on the snapshot and written by the group-commit writer."""
        values = self._asked(requester, text, request_id, now)
        values["response_url"] = requester.response_url
        deadline = now + timedelta(seconds=self.timing.timeout_s)
        decided = decide_door(snapshot, self.access, requester, values, membership,
                              over_limit=over_limit, now=now, deadline=deadline)  # fmt: skip
        row = assembled_request(**decided.values)
        receipt = await self.receipts.record(row, snapshot.version)
        return Submission(
            row, decided.suggestions, receipt.leader, decided.channels, receipt.leader_pending
        )

    async def _record(
        self,
        requester: Requester,
        text: str,
        request_id: str,
        as_group: bool,
        membership: Membership,
        now: datetime,
        over_limit: bool,
    ) -> Submission | GroupSubmission:
        """The path through the tables, in one ORM transaction: a group, and whatever the
        snapshot took for one when the tables no longer say so."""
        row = LockRequest(
            **self._asked(requester, text, request_id, now), response_url=requester.response_url
        )
        suggestions: list[str] = []
        channels: list[str] = []
        leader: LockRequest | None = None
        async with self.db.writing() as session:
            named = await lookup(session, text)
            if isinstance(named, DoorGroup) and not over_limit:
                assert named.id is not None
                doors = await group_doors(session, named.id)
                return await self._record_group(
                    session,
                    requester,
                    text,
                    request_id,
                    named.name,
                    named.id,
                    doors,
                    membership,
                    now,
                )
            door = named if isinstance(named, Door) else None
            if door is not None and as_group:
                return await self._record_group(
                    session,
                    requester,
                    text,
                    request_id,
                    door.name,
                    None,
                    [door],
                    membership,
                    now,
                )
            if over_limit:
                row.status, row.error_type = LockStatus.REJECTED, Rejection.RATE_LIMITED
            elif door is None or door.id is None:
                suggestions = await suggest_targets(session, text)
                row.status, row.error_type = LockStatus.REJECTED, Rejection.UNKNOWN_DOOR
            else:
                row.door_id, row.door_name, row.device_id = door.id, door.name, door.device_id
                verdict = await self.access.may_lock(
                    session, requester.user_id, door.id, membership
                )
                ask_slack_first_if_it_could_help(verdict, membership)
                if not verdict:
                    row.status, row.error_type = LockStatus.DENIED, verdict.reason
                else:
                    channels = await self._vet(session, row, door, requester)
                    if not row.status.final:
                        leader = await self._in_flight(session, door.id)
                        if leader is not None:
                            row.joined_id = leader.id
                            row.deadline_at = leader.deadline_at
                            if same_place(row, leader):
                                row.message_channel = leader.message_channel
                                row.message_ts = leader.message_ts
                        else:
                            row.deadline_at = now + timedelta(seconds=self.timing.timeout_s)
                            in_thread(row, requester.thread)
            if row.status.final:
                row.finished_at, row.lease_until = now, None
            session.add(row)  # a door's request comes this way only when the snapshot was off
            await session.commit()
        return Submission(row, suggestions, leader, channels)

    async def _record_group(
        self,
        session: AsyncSession,
        requester: Requester,
        text: str,
        request_id: str,
        name: str,
        group_id: int | None,
        doors: list[Door],
        membership: Membership,
        now: datetime,
    ) -> GroupSubmission:
        asked = self._asked(requester, text, request_id, now)
        batch = LockBatch(
            **asked, group_id=group_id, group_name=name, response_url=requester.response_url
        )
        user = requester.user_id
        verdicts: list[tuple[str, Verdict]] = []
        for door in doors:
            assert door.id is not None
            verdicts.append(
                (door.name, await self.access.may_lock(session, user, door.id, membership))
            )
        for _, verdict in verdicts:
            ask_slack_first_if_it_could_help(verdict, membership)
        blocked = [name for name, verdict in verdicts if not verdict]
        if blocked:
            # Slack's silence is the reason only when it is all that stands in the way.
            reasons = {verdict.reason for _, verdict in verdicts if not verdict}
            why = (
                Rejection.NOT_ALLOWED
                if Rejection.NOT_ALLOWED in reasons
                else Rejection.GROUPS_UNCHECKED
            )
            batch.status, batch.error_type = LockStatus.DENIED, why
        elif not doors:
            batch.status, batch.error_type = LockStatus.REJECTED, Rejection.EMPTY_GROUP
        if batch.status.final:
            batch.finished_at, batch.lease_until = now, None
            session.add(batch)
            await session.commit()
            return GroupSubmission(batch, [], blocked)
        in_thread(batch, requester.thread)
        session.add(batch)
        await session.flush()
        # Later doors wait for a free slot, so the whole group gets as many rounds as it needs;
        # each door's own deadline is set again when its turn comes (`start`).
        rounds = -(-len(doors) // self.fanout_limit)
        deadline = now + timedelta(seconds=self.timing.timeout_s * rounds)
        members = []
        for door in doors:
            # The batch answers through the response_url: a door's row has none.
            row = LockRequest(
                **asked,
                door_id=door.id,
                door_name=door.name,
                device_id=door.device_id,
                batch_id=batch.id,
            )
            in_thread(row, requester.thread)
            await self._vet(session, row, door, requester)
            if row.status.final:
                row.finished_at, row.lease_until = now, None
            else:
                assert door.id is not None
                leader = await self._in_flight(session, door.id)
                row.joined_id = leader.id if leader else None
                row.deadline_at = leader.deadline_at if leader else deadline
            session.add(row)
            members.append(row)
        await session.commit()
        return GroupSubmission(batch, members)

    def _asked(
        self, requester: Requester, text: str, request_id: str, now: datetime
    ) -> dict[str, Any]:
        """The columns every row of one request shares: who asked what, from where and when,
        and who carries it out (this process, on a fresh lease)."""
        return {
            "request_id": request_id,
            "source": requester.source,
            "user_id": requester.user_id,
            "text": text,
            "channel_id": requester.channel_id,
            "created_at": now,
            "owner": self.lease.owner,
            "lease_until": self.lease.until(now),
        }

    async def _vet(
        self, session: AsyncSession, row: LockRequest, door: Door, requester: Requester
    ) -> list[str]:
        """Refuse a door that cannot be locked from here; returns its channels when limited."""
        assert door.id is not None
        refused = vet(door, await door_channels(session, door.id), requester)
        if refused is None:
            return []
        row.status, row.error_type = LockStatus.REJECTED, refused.why
        row.error_message = refused.message
        return refused.channels

    async def recheck(self, row: LockRequest) -> tuple[LockStatus, Rejection, str] | None:
        """Whether a request recorded a while ago may still be sent: access, the door's channel
        limits and its presence in Seam may all have changed since it was acked. None: it may;
        otherwise the final state, error type and message it ends with."""
        async with self.db.session() as session:
            door = await session.get(Door, row.door_id) if row.door_id is not None else None
            if door is None or door.id is None:
                return LockStatus.REJECTED, Rejection.DOOR_REMOVED, "the door was removed meanwhile"
            if not await self.access.may_lock(session, row.user_id, door.id):
                return (
                    LockStatus.DENIED,
                    Rejection.ACCESS_CHANGED,
                    "access was taken away meanwhile",
                )
            probe = LockRequest(source=row.source, user_id=row.user_id, text=row.text)
            requester = Requester(row.user_id, row.source, row.channel_id, row.response_url)
            await self._vet(session, probe, door, requester)
        if probe.status.final:
            assert probe.error_type is not None
            return probe.status, Rejection(probe.error_type), probe.error_message or ""
        return None

    async def _in_flight(self, session: AsyncSession, door_id: int) -> LockRequest | None:
        query = select(LockRequest).where(
            col(LockRequest.door_id) == door_id,
            col(LockRequest.status) == LockStatus.PENDING,
            col(LockRequest.joined_id).is_(None),
        )
        return (await session.exec(query)).first()
