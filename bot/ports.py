"""What the domain needs from the edges, as protocols.

The domain (doors, access, locking) is written against these; Seam, Slack, the terminal and the
tests each provide their own implementations.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from bot.door_sync import ListedLock
from bot.models import LockBatch, LockRequest
from bot.news import News
from bot.window_news import WindowNews, WindowUnlock

AttemptStatus = Literal["pending", "success", "error"]


@dataclass(frozen=True)
class Attempt:
    """A lock's action attempt as the backend reports it."""

    id: str
    status: AttemptStatus
    error_type: str | None = None
    error_message: str | None = None


class BackendErrorKind(StrEnum):
    UNAVAILABLE = "unavailable"  # 5xx, 429, refused, timed out, unreadable answer
    UNAUTHORIZED = "unauthorized"  # the API key is wrong
    NOT_FOUND = "not_found"  # the device (or attempt) is unknown to the backend
    REJECTED = "rejected"  # the backend refused the request itself (4xx)


class BackendError(Exception):
    def __init__(
        self,
        kind: BackendErrorKind,
        code: str,
        message: str,
        *,
        maybe_sent: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.message = message
        # True when the request may have reached the backend (a read timeout), so the door may
        # have locked even though we never heard back.
        self.maybe_sent = maybe_sent
        self.retry_after_s = retry_after_s


class LockBackend(Protocol):
    async def lock_door(self, device_id: str) -> Attempt: ...

    async def get_attempt(self, attempt_id: str) -> Attempt: ...


@dataclass(frozen=True)
class Problem:
    """An error or warning Seam reports on a device."""

    code: str
    message: str


@dataclass(frozen=True)
class DeviceState:
    """A lock as the backend sees it right now; None where the lock does not report it."""

    device_id: str
    locked: bool | None = None
    online: bool | None = None
    battery_level: float | None = None  # 0.0 … 1.0
    battery_status: str | None = None  # critical | low | good | full
    door_open: bool | None = None
    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()


class DeviceReader(Protocol):
    """Reads devices live: `/lock status`, and `/lock admin sync`."""

    async def get_lock(self, device_id: str) -> DeviceState: ...

    async def list_locks(self) -> Sequence[ListedLock]: ...


class CodeReader(Protocol):
    """Names the access code a keypad unlock used (lock windows tell who it was)."""

    async def access_code_name(self, access_code_id: str) -> str | None: ...


@dataclass(frozen=True)
class DeviceEvent:
    """A Seam event, as the domain needs it (bot.seam translates the SDK's classes)."""

    event_id: str
    event_type: str  # device.disconnected, lock.unlocked, action_attempt.lock_door.succeeded…
    occurred_at: datetime
    device_id: str | None = None
    action_attempt_id: str | None = None
    method: str | None = None  # lock.locked / lock.unlocked: manual, keycode, remote, unknown…
    access_code_id: str | None = None  # lock.unlocked by keycode: the code used
    error_type: str | None = None  # action_attempt.*.failed
    error_message: str | None = None
    battery_level: float | None = None  # 0.0 … 1.0
    battery_status: str | None = None  # critical | low | good | full


class EventSource(Protocol):
    """Seam's event log, read by the poller when there is no webhook."""

    async def list_events(self, since: datetime) -> Sequence[DeviceEvent]: ...


class EventNotifier(Protocol):
    """Tells device news, as facts it words itself; `update` edits an earlier post in place
    (a flapping device)."""

    async def post(self, channel: str, news: News) -> MessageRef | None: ...

    async def update(self, ref: MessageRef, news: News) -> None: ...


class WindowNotifier(Protocol):
    """Tells lock windows' news: the unlock message (with its buttons), then lines in its
    thread; a relock given up on is also alerted."""

    async def window_unlocked(self, channel: str, news: WindowUnlock) -> MessageRef | None: ...

    async def window_news(self, channel: str, thread: str | None, news: WindowNews) -> None: ...


class Progress(StrEnum):
    SENT = "sent"  # the backend accepted the request and is working on it


@dataclass(frozen=True)
class MessageRef:
    channel: str
    ts: str


class Notifier(Protocol):
    """Tells people how a lock request is going. Called only after the row is written."""

    async def started(self, request: LockRequest) -> MessageRef | None: ...

    async def progress(self, request: LockRequest, step: Progress) -> None: ...

    async def finished(self, request: LockRequest) -> None: ...

    async def followers_finished(self, leader: LockRequest, followers: list[LockRequest]) -> None:
        """Everyone who joined `leader` and is told in its thread, at once."""

    async def group_started(
        self, batch: LockBatch, members: list[LockRequest]
    ) -> MessageRef | None: ...

    async def group_finished(self, batch: LockBatch, members: list[LockRequest]) -> None: ...


class GroupLookupError(Exception):
    """The directory could not say who is in a user group (Slack down, slow or refusing)."""

    def __init__(self, group_id: str, reason: str) -> None:
        super().__init__(f"cannot read the members of user group {group_id}: {reason}")
        self.group_id = group_id
        self.reason = reason


class GroupDirectory(Protocol):
    """Who is in a user group (Slack S… IDs); GroupLookupError when it cannot tell."""

    async def members(self, group_id: str) -> frozenset[str]: ...


class Jobs(Protocol):
    """Runs a coroutine later; a second call with the same key replaces the first."""

    def call_later(
        self, delay_s: float, key: str, func: Callable[..., Awaitable[Any]], *args: Any
    ) -> None: ...

    def cancel(self, key: str) -> None: ...
