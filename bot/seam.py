"""The only module that talks to Seam: the official SDK's AsyncSeam behind the LockBackend port.

Retries follow the API's semantics. `lock_door` acts, so it is retried only when the connection
was never made (httpx's transport `retries`, which covers connect errors alone). Reading an action
attempt is safe, and the poll loop in `locking` already reads it again on its own schedule, so a
failed read is reported as transient rather than retried here.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from seam.exceptions import (
    SeamError,
    SeamHttpApiError,
    SeamHttpInvalidResponseError,
    SeamHttpUnauthorizedError,
)
from seam.seam import AsyncSeam

from bot import metrics
from bot.health import ServiceHealth
from bot.ports import (
    Attempt,
    AttemptStatus,
    BackendError,
    BackendErrorKind,
    DeviceEvent,
    DeviceState,
    Problem,
)

T = TypeVar("T")
log = logging.getLogger(__name__)
_CONNECT_RETRIES = 2
# Events asked for per `/events/list` call. The SDK returns a plain list (no paginator), so a full
# page is followed by another at the next offset.
EVENTS_PAGE = 500
EVENTS_MAX_PAGES = 20  # a backlog beyond this waits for the next poll rather than stall this one


def _retry_after(headers: httpx.Headers | None) -> float | None:
    value = headers.get("retry-after") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def translate(error: Exception) -> BackendError:
    """Map whatever the SDK or httpx raised to the domain's BackendError."""
    U = BackendErrorKind.UNAVAILABLE
    if isinstance(error, SeamHttpUnauthorizedError):
        return BackendError(
            BackendErrorKind.UNAUTHORIZED, "seam_unauthorized", "Seam rejected the API key"
        )
    if isinstance(error, SeamHttpApiError):
        code, status, message = error.code or "unknown_error", error.status_code, str(error)
        if status == 429:
            return BackendError(U, "seam_rate_limited", "Seam is rate limiting us")
        if status >= 500:
            return BackendError(U, "seam_unavailable", f"Seam answered {status}: {message}")
        if status == 404 or code.endswith("_not_found"):
            return BackendError(BackendErrorKind.NOT_FOUND, code, message)
        return BackendError(BackendErrorKind.REJECTED, code, message)
    if isinstance(error, httpx.HTTPStatusError):
        status = error.response.status_code
        retry_after = _retry_after(error.response.headers)
        if status == 401:
            return translate(SeamHttpUnauthorizedError(None))
        if status == 429:
            return BackendError(
                U, "seam_rate_limited", "Seam is rate limiting us", retry_after_s=retry_after
            )
        if status == 404:
            return BackendError(BackendErrorKind.NOT_FOUND, "not_found", "Seam answered 404")
        if status >= 500:
            return BackendError(U, "seam_unavailable", f"Seam answered {status}")
        return BackendError(BackendErrorKind.REJECTED, f"http_{status}", f"Seam answered {status}")
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return BackendError(U, "seam_unreachable", "could not connect to Seam")
    if isinstance(error, httpx.TimeoutException):
        return BackendError(U, "seam_timeout", "Seam did not answer in time", maybe_sent=True)
    if isinstance(error, httpx.TransportError):
        return BackendError(
            U, "seam_connection_lost", f"the connection to Seam broke: {error}", maybe_sent=True
        )
    if isinstance(error, SeamHttpInvalidResponseError | json.JSONDecodeError | SeamError):
        return BackendError(U, "seam_bad_response", "Seam sent an answer we could not read")
    raise error


def to_attempt(raw: Any) -> Attempt:
    status: AttemptStatus = raw.status if raw.status in ("pending", "success", "error") else "error"
    error = getattr(raw, "error", None)
    return Attempt(
        id=str(raw.action_attempt_id),
        status=status,
        error_type=getattr(error, "type", None) if error else None,
        error_message=getattr(error, "message", None) if error else None,
    )


@dataclass(frozen=True)
class SeamLock:
    """A device as `lockbot doors sync` needs it, free of SDK types."""

    device_id: str
    name: str  # "" when Seam gives the device no name at all
    is_lock: bool


def device_name(device: Any) -> str:
    """`display_name`, else `properties.appearance.name`, else `properties.name`."""
    properties = getattr(device, "properties", None)
    appearance = getattr(properties, "appearance", None)
    for candidate in (
        getattr(device, "display_name", None),
        getattr(appearance, "name", None),
        getattr(properties, "name", None),
    ):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return ""


def is_lock(device: Any) -> bool:
    """A lock lockbot can lock: Seam's capability flag says so, or (flag absent) its type does.

    `capabilities_supported` is no help: Seam's fake lists `lock` for thermostats too.
    """
    can_lock = getattr(device, "can_remotely_lock", None)
    if can_lock is not None:
        return bool(can_lock)
    return str(getattr(device, "device_type", "") or "").endswith("_lock")


def to_lock(device: Any) -> SeamLock:
    return SeamLock(
        device_id=str(device.device_id), name=device_name(device), is_lock=is_lock(device)
    )


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _problems(items: Any, code_key: str) -> tuple[Problem, ...]:
    """Seam's errors or warnings; codes the SDK has no class for arrive as plain mappings."""
    out = []
    for item in items or ():
        code = getattr(item, code_key, None) or "unknown"
        message = getattr(item, "message", None) or ""
        out.append(Problem(code=str(code), message=str(message)))
    return tuple(out)


def to_device_state(device: Any, device_id: str) -> DeviceState:
    """A lock's live state, free of SDK types; what a lock does not report stays None."""
    properties = getattr(device, "properties", None)
    battery = getattr(properties, "battery", None)
    # Locks report `battery.level`, some also (or only) the older top-level `battery_level`.
    level = getattr(battery, "level", None)
    if level is None:
        level = getattr(properties, "battery_level", None)
    status = getattr(battery, "status", None)
    return DeviceState(
        device_id=str(getattr(device, "device_id", None) or device_id),
        locked=_flag(getattr(properties, "locked", None)),
        online=_flag(getattr(properties, "online", None)),
        battery_level=(
            float(level) if isinstance(level, int | float) and not isinstance(level, bool) else None
        ),
        battery_status=str(status) if status else None,
        door_open=_flag(getattr(properties, "door_open", None)),
        errors=_problems(getattr(device, "errors", None), "error_code"),
        warnings=_problems(getattr(device, "warnings", None), "warning_code"),
    )


def _field(source: Any, name: str) -> Any:
    """One field of an SDK event, which is a dataclass for known types and a DeepAttrDict
    (a mapping) for types newer than the SDK; either may lack the field."""
    if isinstance(source, Mapping):
        return source.get(name)
    return getattr(source, name, None)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _timestamp(value: Any) -> datetime | None:
    """Seam's ISO 8601 strings (`…Z`) as aware UTC; a naive one is taken to be UTC already."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def to_device_event(sdk_event: Any, raw: Mapping[str, Any] | None = None) -> DeviceEvent | None:
    """A Seam event as the domain's DeviceEvent; None when it has no id or type to act on.

    `raw` is the event's JSON when we have it (the webhook): the SDK's classes keep only the
    documented fields, and a failed attempt's `error` is not among them.
    """

    def get(name: str) -> Any:
        value = _field(sdk_event, name)
        if value is None and raw is not None:
            value = raw.get(name)
        return value

    event_id, event_type = _text(get("event_id")), _text(get("event_type"))
    if event_id is None or event_type is None:
        return None
    # An event that cannot be dated is still news; dating it on arrival is the best we can do.
    occurred_at = (
        _timestamp(get("occurred_at")) or _timestamp(get("created_at")) or datetime.now(UTC)
    )
    error = get("error")
    # `device_battery_level` is the lock's own battery; `battery_level` may be a keypad's.
    level = _number(get("device_battery_level"))
    if level is None:
        level = _number(get("battery_level"))
    return DeviceEvent(
        event_id=event_id,
        event_type=event_type,
        occurred_at=occurred_at,
        device_id=_text(get("device_id")),
        action_attempt_id=_text(get("action_attempt_id")),
        method=_text(get("method")) if event_type.startswith("lock.") else None,
        access_code_id=_text(get("access_code_id")) if event_type.startswith("lock.") else None,
        error_type=_text(_field(error, "type")) if error is not None else None,
        error_message=_text(_field(error, "message")) if error is not None else None,
        battery_level=level,
        battery_status=_text(get("battery_status")),
    )


class SeamBackend:
    """LockBackend on Seam Connect. One long-lived client; close it on shutdown."""

    def __init__(
        self,
        api_key: str,
        endpoint: str,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        page_size: int | None = None,
    ) -> None:
        self.health = ServiceHealth("seam")
        self.page_size = page_size  # devices per page when listing; None: Seam's default
        self.client = AsyncSeam(
            api_key=api_key,
            endpoint=endpoint,
            wait_for_action_attempt=False,
            timeout=timeout_s,
            # A transport of our own replaces the SDK's retrying one, which would also retry
            # reads we poll anyway; httpx's `retries` only redials connections that never opened.
            httpx_options={
                "transport": transport or httpx.AsyncHTTPTransport(retries=_CONNECT_RETRIES)
            },
        )

    async def _call(self, method: str, func: Callable[[], Awaitable[T]]) -> T:
        started = time.perf_counter()
        try:
            result = await func()
        except Exception as error:
            failure = translate(error)
            self._record(method, failure.code, started)
            if failure.kind in (BackendErrorKind.UNAVAILABLE, BackendErrorKind.UNAUTHORIZED):
                self.health.failed(method, failure.code)
            else:
                self.health.ok()  # Seam answered; the request itself was wrong
            raise failure from error
        self.health.ok()
        status = getattr(result, "status", "ok")
        self._record(method, str(status), started)
        return result

    def _record(self, method: str, status: str, started: float) -> None:
        metrics.SEAM_CALLS.labels(method=method, status=status).inc()
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info("seam %s → %s (%.0f ms)", method, status, elapsed_ms)

    async def lock_door(self, device_id: str) -> Attempt:
        raw = await self._call(
            "locks.lock_door",
            lambda: self.client.locks.lock_door(device_id=device_id, wait_for_action_attempt=False),
        )
        return to_attempt(raw)

    async def get_attempt(self, attempt_id: str) -> Attempt:
        raw = await self._call(
            "action_attempts.get",
            lambda: self.client.action_attempts.get(
                action_attempt_id=attempt_id, wait_for_action_attempt=False
            ),
        )
        return to_attempt(raw)

    async def get_lock(self, device_id: str) -> DeviceState:
        """The lock as Seam sees it now. A read: never retried here, the person can ask again.
        `/devices/get`: Seam deprecated `/locks/get`, and a device carries the same properties."""
        device = await self._call(
            "devices.get", lambda: self.client.devices.get(device_id=device_id)
        )
        return to_device_state(device, device_id)

    async def access_code_name(self, access_code_id: str) -> str | None:
        """The name people gave an access code (a lock window says who unlocked); a read."""
        code = await self._call(
            "access_codes.get",
            lambda: self.client.access_codes.get(access_code_id=access_code_id),
        )
        return _text(_field(code, "name"))

    async def list_locks(self) -> list[SeamLock]:
        """Every lock in the workspace, page after page; thermostats, sensors and the like are
        left out. `/locks/list` has no pages, so this walks the paginated `/devices/list`."""

        async def walk() -> list[SeamLock]:
            params: dict[str, Any] = {} if self.page_size is None else {"limit": self.page_size}
            paginator = self.client.create_paginator(self.client.devices.list, params)
            return [to_lock(device) async for device in paginator.flatten()]

        devices = await self._call("devices.list", walk)
        return [device for device in devices if device.is_lock]

    async def list_events(self, since: datetime) -> list[DeviceEvent]:
        """Seam's events since `since`, oldest first. A read; the poller asks again anyway.

        The SDK's `events.list` has no paginator, only `limit` and an offset, so a full page is
        followed by the next one, and paging stops as soon as a page brings nothing new (a server
        that ignores the offset would otherwise be asked the same page for ever).
        """
        stamp = since.astimezone(UTC).isoformat().replace("+00:00", "Z")

        async def walk() -> list[Any]:
            seen: dict[str, Any] = {}
            for page in range(EVENTS_MAX_PAGES):
                batch = await self.client.events.list(
                    since=stamp,
                    limit=EVENTS_PAGE,
                    unstable_offset=page * EVENTS_PAGE if page else None,
                )
                fresh = [e for e in batch if str(_field(e, "event_id")) not in seen]
                seen.update((str(_field(e, "event_id")), e) for e in fresh)
                if len(batch) < EVENTS_PAGE or not fresh:
                    break
            return list(seen.values())

        raw = await self._call("events.list", walk)
        events = [event for event in map(to_device_event, raw) if event is not None]
        return sorted(events, key=lambda e: (e.occurred_at, e.event_id))

    async def close(self) -> None:
        await self.client.close()


@asynccontextmanager
async def seam_backend(api_key: str, endpoint: str, **kwargs: Any) -> AsyncIterator[SeamBackend]:
    backend = SeamBackend(api_key, endpoint, **kwargs)
    try:
        yield backend
    finally:
        await backend.close()
