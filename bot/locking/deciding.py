"""What becomes of a `/lock <door>`, decided without the database: the door the name means, who
may lock it and from where, all read from a `Snapshot`. Pure, so that the hot path does no I/O
before the one write that records it, and so that the tests can hold it to the tables' answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.access import AccessPolicy, Membership, Verdict
from bot.locking.requests import Requester
from bot.locking.snapshot import Snapshot
from bot.models import Door, LockBatch, LockRequest, LockStatus, Rejection
from bot.ports import MessageRef


class AskSlackFirst(Exception):
    """A user group might allow it and Slack was not asked yet: leave the write (it rolls back)
    and ask outside it."""


def ask_slack_first_if_it_could_help(verdict: Verdict, membership: Membership) -> None:
    if not verdict and verdict.unchecked and not membership.asked:
        raise AskSlackFirst


def in_thread(row: LockRequest | LockBatch, thread: MessageRef | None) -> None:
    """Tell it in the thread it was asked from (a Try again), not in a message of its own."""
    if thread is not None:
        row.message_channel, row.message_ts = thread.channel, thread.ts


def vet(row: LockRequest, door: Door, channels: list[str], requester: Requester) -> list[str]:
    """Refuse a door that cannot be locked from here (its `channels` limit it, or it is missing
    from Seam); returns its channels when they refused it."""
    # A schedule's runs lock from its channel, so a limit made after the schedule holds too.
    from_channel = requester.source in ("slack", "schedule")
    if channels and from_channel and requester.channel_id not in channels:
        row.status, row.error_type = LockStatus.REJECTED, Rejection.WRONG_CHANNEL
        row.error_message = f"may be locked only from {', '.join(channels)}"
        return channels
    if door.missing_at is not None:
        # `lockbot doors sync` found its device gone from Seam: asking would fail.
        row.status, row.error_type = LockStatus.REJECTED, Rejection.DOOR_MISSING
        row.error_message = "the door's device is missing from Seam"
    return []


@dataclass(frozen=True)
class Decided:
    """A door request decided on a snapshot: the row to record (pending rows may still join a
    lock in flight when they are written), and what the answer needs besides."""

    row: LockRequest
    suggestions: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)


def decide_door(
    snapshot: Snapshot,
    access: AccessPolicy,
    requester: Requester,
    row: LockRequest,
    membership: Membership,
    *,
    over_limit: bool,
    now: datetime,
    deadline: datetime,
) -> Decided:
    """Fill in `row` (built with who asked what) for the door its text names, or its refusal.
    Raises `AskSlackFirst` when only a user group not yet asked about could allow it."""
    named = snapshot.lookup(row.text)
    door = named if isinstance(named, Door) else None
    suggestions: list[str] = []
    channels: list[str] = []
    if over_limit:
        row.status, row.error_type = LockStatus.REJECTED, Rejection.RATE_LIMITED
    elif door is None or door.id is None:
        suggestions = snapshot.suggest(row.text)
        row.status, row.error_type = LockStatus.REJECTED, Rejection.UNKNOWN_DOOR
    else:
        row.door_id, row.door_name, row.device_id = door.id, door.name, door.device_id
        verdict = access.decide(requester.user_id, snapshot.lock_subjects(door.id), membership)
        ask_slack_first_if_it_could_help(verdict, membership)
        if not verdict:
            row.status, row.error_type = LockStatus.DENIED, verdict.reason
        else:
            channels = vet(row, door, snapshot.door_channels(door.id), requester)
            if not row.status.final:
                # Its own lock unless the write finds one in flight for the door (`Receipts`).
                row.deadline_at = deadline
                in_thread(row, requester.thread)
    if row.status.final:
        row.finished_at, row.lease_until = now, None
    return Decided(row, suggestions, channels)
