"""The Seam adapter against httpx.MockTransport: every answer maps to one domain outcome."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from bot.ports import Attempt, BackendError, BackendErrorKind, DeviceState, Problem
from bot.seam import SeamBackend

Handler = Callable[[httpx.Request], httpx.Response]


def backend(handler: Handler) -> SeamBackend:
    return SeamBackend("seam_test_key", "https://seam.test", transport=httpx.MockTransport(handler))


def attempt(status: str, error: dict[str, str] | None = None) -> dict[str, object]:
    return {
        "action_attempt": {
            "action_attempt_id": "aa-1",
            "action_type": "LOCK_DOOR",
            "status": status,
            "result": {} if status == "success" else None,
            "error": error,
        },
        "ok": True,
    }


def api_error(status: int, type_: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"type": type_, "message": message}})


async def test_lock_door_posts_the_device_and_returns_the_attempt() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=attempt("pending"))

    result = await backend(handler).lock_door("dev-1")
    assert result == Attempt("aa-1", "pending")
    assert seen[0].url.path == "/locks/lock_door"
    assert seen[0].method == "POST"
    assert json.loads(seen[0].content)["device_id"] == "dev-1"
    assert seen[0].headers["authorization"] == "Bearer seam_test_key"


async def test_get_attempt_reads_success_and_error_details() -> None:
    answers = iter(
        [
            attempt("success"),
            attempt("error", {"type": "device_offline", "message": "Device is offline"}),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/action_attempts/get"
        assert request.url.params["action_attempt_id"] == "aa-1"
        return httpx.Response(200, json=next(answers))

    seam = backend(handler)
    assert await seam.get_attempt("aa-1") == Attempt("aa-1", "success")
    assert await seam.get_attempt("aa-1") == Attempt(
        "aa-1", "error", "device_offline", "Device is offline"
    )


@pytest.mark.parametrize(
    ("response", "kind", "code"),
    [
        (
            api_error(401, "unauthorized", "bad key"),
            BackendErrorKind.UNAUTHORIZED,
            "seam_unauthorized",
        ),
        (
            api_error(404, "device_not_found", "Device not found"),
            BackendErrorKind.NOT_FOUND,
            "device_not_found",
        ),
        (
            api_error(400, "invalid_input", "device_id is bad"),
            BackendErrorKind.REJECTED,
            "invalid_input",
        ),
        (
            api_error(500, "internal_error", "boom"),
            BackendErrorKind.UNAVAILABLE,
            "seam_unavailable",
        ),
        (
            api_error(429, "rate_limited", "slow down"),
            BackendErrorKind.UNAVAILABLE,
            "seam_rate_limited",
        ),
        (
            httpx.Response(503, text="<html>down</html>"),
            BackendErrorKind.UNAVAILABLE,
            "seam_unavailable",
        ),
        (
            httpx.Response(429, text="slow", headers={"retry-after": "7"}),
            BackendErrorKind.UNAVAILABLE,
            "seam_rate_limited",
        ),
        (httpx.Response(200, text="not json"), BackendErrorKind.UNAVAILABLE, "seam_bad_response"),
        (httpx.Response(200, json={"ok": True}), BackendErrorKind.UNAVAILABLE, "seam_bad_response"),
    ],
)
async def test_http_failures_map_to_backend_errors(
    response: httpx.Response, kind: BackendErrorKind, code: str
) -> None:
    with pytest.raises(BackendError) as caught:
        await backend(lambda _: response).lock_door("dev-1")
    assert (caught.value.kind, caught.value.code) == (kind, code)
    assert not caught.value.maybe_sent


async def test_retry_after_is_kept_for_the_caller() -> None:
    response = httpx.Response(429, text="slow", headers={"retry-after": "7"})
    with pytest.raises(BackendError) as caught:
        await backend(lambda _: response).get_attempt("aa-1")
    assert caught.value.retry_after_s == 7.0


async def test_refused_connection_is_unavailable_and_not_sent() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(BackendError) as caught:
        await backend(handler).lock_door("dev-1")
    assert caught.value.code == "seam_unreachable"
    assert not caught.value.maybe_sent


async def test_read_timeout_may_have_reached_seam() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(BackendError) as caught:
        await backend(handler).lock_door("dev-1")
    assert caught.value.code == "seam_timeout"
    assert caught.value.maybe_sent


async def test_real_transport_redials_refused_connections_but_never_resends() -> None:
    """Against a closed loopback port, lock_door fails as unreachable after a few dials."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    seam = SeamBackend("seam_test_key", f"http://127.0.0.1:{port}", timeout_s=2)
    with pytest.raises(BackendError) as caught:
        await seam.lock_door("dev-1")
    assert caught.value.code == "seam_unreachable"
    await seam.close()


def lock_body(properties: dict[str, object], **device: object) -> dict[str, object]:
    lock = {
        "device_id": "dev-1",
        "device_type": "august_lock",
        "display_name": "Front Door",
        "properties": properties,
        "errors": [],
        "warnings": [],
        **device,
    }
    return {"device": lock, "ok": True}  # /devices/get


async def test_get_lock_reads_state_battery_door_and_problems() -> None:
    seen: list[httpx.Request] = []
    body = lock_body(
        {
            "locked": False,
            "online": True,
            "battery": {"level": 0.12, "status": "low"},
            "door_open": True,
        },
        errors=[
            {
                "error_code": "hub_disconnected",
                "message": "Hub is offline",
                "is_device_error": True,
                "created_at": "2025-01-01T00:00:00Z",
            },
            {"error_code": "brand_new_code", "message": "Something new"},  # no SDK class yet
        ],
        warnings=[{"warning_code": "power_saving_mode", "message": "Saving power"}],
    )

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=body)

    state = await backend(handler).get_lock("dev-1")
    assert seen[0].url.path == "/devices/get"
    assert seen[0].url.params["device_id"] == "dev-1"
    assert state == DeviceState(
        device_id="dev-1",
        locked=False,
        online=True,
        battery_level=0.12,
        battery_status="low",
        door_open=True,
        errors=(
            Problem("hub_disconnected", "Hub is offline"),
            Problem("brand_new_code", "Something new"),
        ),
        warnings=(Problem("power_saving_mode", "Saving power"),),
    )


async def test_get_lock_leaves_unreported_properties_unknown() -> None:
    body = lock_body({"online": False, "battery_level": 0.5})
    state = await backend(lambda _: httpx.Response(200, json=body)).get_lock("dev-1")
    assert state == DeviceState(device_id="dev-1", online=False, battery_level=0.5)


@pytest.mark.parametrize(
    ("response", "kind", "code"),
    [
        (
            api_error(404, "device_not_found", "Device not found"),
            BackendErrorKind.NOT_FOUND,
            "device_not_found",
        ),
        (
            api_error(401, "unauthorized", "bad key"),
            BackendErrorKind.UNAUTHORIZED,
            "seam_unauthorized",
        ),
        (httpx.Response(503, text=""), BackendErrorKind.UNAVAILABLE, "seam_unavailable"),
        (httpx.Response(200, json={"ok": True}), BackendErrorKind.UNAVAILABLE, "seam_bad_response"),
    ],
)
async def test_get_lock_failures_map_to_backend_errors(
    response: httpx.Response, kind: BackendErrorKind, code: str
) -> None:
    seam = backend(lambda _: response)
    with pytest.raises(BackendError) as caught:
        await seam.get_lock("dev-1")
    assert (caught.value.kind, caught.value.code) == (kind, code)
    # Seam answering "no such device" is Seam working; the others count against its health.
    assert (seam.health.last_error is None) == (kind is BackendErrorKind.NOT_FOUND)
