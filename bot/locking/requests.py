"""What a lock request is before and after it is recorded: who asked, the timing it runs on,
and what the intake answers (a `Submission` for a door, a `GroupSubmission` for a group)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.models import LockBatch, LockRequest, LockStatus, Rejection, utcnow
from bot.ports import MessageRef

# Requests lockbot starts itself (a schedule's run, a window's relock) on someone's behalf:
# they are not that person's typing, so never count against their rate limit, and they lock
# from their schedule's channel, so a channel limit made after the schedule holds for them too.
ON_BEHALF = ("schedule", "relock")


@dataclass(frozen=True)
class Requester:
    user_id: str
    source: str = "slack"  # slack | cli | schedule | relock (bot/relocks.py)
    channel_id: str | None = None
    response_url: str | None = None
    # Where to tell it: the thread of an earlier request's message (Slack's Try again), whose
    # root then shows this request's outcome; None for a message of its own.
    thread: MessageRef | None = None

    @property
    def on_behalf(self) -> bool:
        return self.source in ON_BEHALF

    @property
    def from_channel(self) -> bool:
        """Whether the request comes from a channel (so a door's channel limit applies)."""
        return self.source == "slack" or self.on_behalf


@dataclass(frozen=True)
class Timing:
    timeout_s: float = 60.0
    poll_first_s: float = 0.25
    poll_backoff: float = 1.5
    poll_max_s: float = 0.8
    # Reads where a device's history says it answers come at most this far apart on average:
    # the SDK reads every 0.5 s, so the answer is seen no later than it would be there.
    near_gap_s: float = 0.4
    learn: bool = True  # False: every lock on the cadence, whatever its device's history

    def poll_delay(self, polls_done: int) -> float:
        return min(self.poll_first_s * self.poll_backoff**polls_done, self.poll_max_s)


@dataclass(frozen=True)
class Submission:
    """A `/lock <door>` as recorded."""

    request: LockRequest
    suggestions: list[str] = field(default_factory=list)
    # The request already locking this door, when this one joined it instead of asking Seam.
    joined: LockRequest | None = None
    # The only channels the door may be locked from, when it was asked from another one.
    channels: list[str] = field(default_factory=list)
    # The request it joined was still pending when this one was committed, under a lock its
    # settle waits for: it will find this one, so nobody needs to catch up (`Receipts`).
    leader_pending: bool = False

    @property
    def accepted(self) -> bool:
        """Accepted and ours to carry out (a joined request waits on another one)."""
        return self.request.status is LockStatus.PENDING and self.joined is None

    @property
    def rejection(self) -> Rejection | None:
        """Why it does not go ahead, when lockbot itself refused it."""
        return _rejection(self.request.status, self.request.error_type)


@dataclass(frozen=True)
class GroupSubmission:
    """A `/lock <group>`: one row per door, all pointing at `batch`."""

    batch: LockBatch
    members: list[LockRequest] = field(default_factory=list)
    # Doors of the group the user may not lock; any of them denies the whole group.
    blocked: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.batch.status is LockStatus.PENDING

    @property
    def rejection(self) -> Rejection | None:
        return _rejection(self.batch.status, self.batch.error_type)


def _rejection(status: LockStatus, error_type: str | None) -> Rejection | None:
    if status not in (LockStatus.DENIED, LockStatus.REJECTED) or error_type is None:
        return None
    try:
        return Rejection(error_type)
    except ValueError:  # a row written by an older lockbot
        return None


def same_place(follower: LockRequest, leader: LockRequest) -> bool:
    """Whether a request that joined `leader` is told in the leader's thread: only when it was
    asked in the same channel. Someone who asked in a DM or a private channel is answered there,
    and never named in a channel they did not ask in."""
    return follower.channel_id is not None and follower.channel_id == leader.channel_id


def final_values(
    status: LockStatus, error_type: str | None, error_message: str | None
) -> dict[str, Any]:
    """The columns that end a request; a lock that succeeded carries no error."""
    assert status.final
    values: dict[str, Any] = {"status": status, "finished_at": utcnow(), "lease_until": None}
    if status is LockStatus.LOCKED:
        return values | {"error_type": None, "error_message": None}
    return values | {"error_type": error_type, "error_message": (error_message or "")[:500]}
