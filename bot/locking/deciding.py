"""What becomes of a `/lock <door>`, decided without the database: the door the name means, who
may lock it and from where, all read from a `Snapshot`. Pure, so that the hot path does no I/O
before the one write that records it, and so that the tests can hold it to the tables' answers.
It works on the row's values, not a `LockRequest`: each set of a model's attribute goes through
SQLAlchemy's instrumentation, which under a burst cost more than the deciding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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


def vet(door: Door, channels: list[str], requester: Requester) -> Vetting | None:
    """Why a door cannot be locked from here (its `channels` limit it, or it is missing from
    Seam), or None when it can."""
    if channels and requester.from_channel and requester.channel_id not in channels:
        why = f"may be locked only from {', '.join(channels)}"
        return Vetting(Rejection.WRONG_CHANNEL, why, channels)
    if door.missing_at is not None:
        # `lockbot doors sync` found its device gone from Seam: asking would fail.
        return Vetting(Rejection.DOOR_MISSING, "the door's device is missing from Seam")
    return None


@dataclass(frozen=True)
class Vetting:
    """A door refused where it was asked from: why, in the audit trail's words, and the
    channels it may be locked from when that was why."""

    why: Rejection
    message: str
    channels: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Decided:
    """A door request decided on a snapshot: the row's values (a pending one may still join a
    lock in flight when it is written), and what the answer needs besides."""

    values: dict[str, Any]
    suggestions: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)


def decide_door(
    snapshot: Snapshot,
    access: AccessPolicy,
    requester: Requester,
    values: dict[str, Any],
    membership: Membership,
    *,
    over_limit: bool,
    now: datetime,
    deadline: datetime,
) -> Decided:
    """Add to a row's `values` (who asked what) the door its text names, or its refusal.
    Raises `AskSlackFirst` when only a user group not yet asked about could allow it."""
    named = snapshot.lookup(values["text"])
    door = named if isinstance(named, Door) else None
    suggestions: list[str] = []
    channels: list[str] = []
    if over_limit:
        values |= {"status": LockStatus.REJECTED, "error_type": Rejection.RATE_LIMITED}
    elif door is None or door.id is None:
        suggestions = snapshot.suggest(values["text"])
        values |= {"status": LockStatus.REJECTED, "error_type": Rejection.UNKNOWN_DOOR}
    else:
        values |= {"door_id": door.id, "door_name": door.name, "device_id": door.device_id}
        verdict = access.decide(requester.user_id, snapshot.lock_subjects(door.id), membership)
        ask_slack_first_if_it_could_help(verdict, membership)
        refused = None if not verdict else vet(door, snapshot.door_channels(door.id), requester)
        if not verdict:
            values |= {"status": LockStatus.DENIED, "error_type": verdict.reason}
        elif refused is not None:
            values |= {"status": LockStatus.REJECTED, "error_type": refused.why,
                       "error_message": refused.message}  # fmt: skip
            channels = refused.channels
        else:
            # Its own lock unless the write finds one in flight for the door (`Receipts`).
            values["deadline_at"] = deadline
            thread = requester.thread
            if thread is not None:  # told in the thread it was asked from (a Try again)
                values |= {"message_channel": thread.channel, "message_ts": thread.ts}
    if "status" in values:  # refused: it ends here
        values |= {"finished_at": now, "lease_until": None}
    return Decided(values, suggestions, channels)
