"""A fault-injecting proxy in front of Seam's fake server.

The fake resolves every lock at once. The proxy can hold new attempts pending (through the
fake's own `/_fake/update_action_attempt`), fail the attempts of chosen devices, add latency to
every call, hold the calls to a path until the test releases them (`hold`), answer with 5xx or
429, stall, or drop the connection, and it counts every call and the attempts open at once, so
tests can drive each path the bot must handle.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

from bot.standins.gate import Gate


@dataclass
class Fault:
    path: str
    status: int | None = None  # answer with this status (and `body`) instead of forwarding
    body: str = ""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    stall_s: float = 0.0  # wait this long before answering (or forwarding)
    times: int = 1


@dataclass
class ProxiedCall:
    path: str
    status: int
    body: dict[str, Any]


class SeamProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.calls: list[ProxiedCall] = []
        self.faults: list[Fault] = []
        self.hold_attempts = False
        # Held attempts succeed this many seconds after lock_door answered, as a lock that
        # takes its time would (None: they wait for the test's `resolve`).
        self.finish_after_s: float | None = None
        self._finishing: set[asyncio.Task[None]] = set()
        # Called with the attempt id as it succeeds, before a read can see it: a test sends
        # Seam's event there, so the event, not a poll that happens to fall in between, is what
        # settles the lock, however loaded the machine.
        self.on_finish: list[Callable[[str], Awaitable[None]]] = []
        self.attempt_ids: list[str] = []
        self.delay_s = 0.0  # added to every call, as a slow network or a slow Seam would
        # device ID → (error type, message) its lock attempts end with.
        self.failing_devices: dict[str, tuple[str, str]] = {}
        # Attempts from lock_door until a read of them shows an outcome: what a fan-out cap limits.
        self.open_attempts: set[str] = set()
        self.peak_open_attempts = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.gates: dict[str, Gate] = {}  # path → where its calls wait until released
        # Every call as it arrives, before it is held or forwarded.
        self.arrivals: list[str] = []
        # Held calls whose caller hung up meanwhile (the bot was killed): dropped, as if the bot
        # had died before its call reached Seam.
        self.dropped: list[str] = []
        self._client = httpx.AsyncClient(base_url=self.upstream, timeout=10)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> SeamProxy:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        for task in self._finishing:
            task.cancel()
        for gate in self.gates.values():
            gate.release()  # a held call must not keep the server from stopping
        if self._runner is not None:
            await self._runner.cleanup()
        await self._client.aclose()

    def fail(self, path: str, **kwargs: Any) -> None:
        self.faults.append(Fault(path, **kwargs))

    def hold(self, path: str) -> Gate:
        """Hold every call to `path` until the gate is released."""
        gate = self.gates[path] = Gate()
        return gate

    def release(self, path: str) -> None:
        self.gates[path].release()

    def arrived(self, path: str) -> int:
        return self.arrivals.count(path)

    async def wait_for_arrivals(self, path: str, count: int = 1, timeout_s: float = 10.0) -> None:
        for _ in range(int(timeout_s / 0.01)):
            if self.arrived(path) >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"{self.arrived(path)} calls to {path} arrived, not {count}")

    def calls_to(self, path: str) -> list[ProxiedCall]:
        return [c for c in self.calls if c.path == path]

    async def resolve(
        self, attempt_id: str, status: str = "success", error: tuple[str, str] | None = None
    ) -> None:
        """Move an attempt on, as the lock itself would."""
        body: dict[str, Any] = {"action_attempt_id": attempt_id, "status": status}
        if status == "success":
            body["result"] = {}
        if error is not None:
            body["error"] = {"type": error[0], "message": error[1]}
        response = await self._client.post("/_fake/update_action_attempt", json=body)
        response.raise_for_status()

    async def wait_for_attempt(self, timeout_s: float = 10.0) -> str:
        for _ in range(int(timeout_s / 0.01)):
            if self.attempt_ids:
                return self.attempt_ids[-1]
            await asyncio.sleep(0.01)
        raise AssertionError(f"no lock_door reached Seam; calls: {self.calls}")

    def reads_of(self, attempt_id: str) -> int:
        """How many times the attempt was read (/action_attempts/get answered)."""
        return sum(
            1 for c in self.calls_to("/action_attempts/get")
            if (c.body.get("action_attempt") or {}).get("action_attempt_id") == attempt_id
        )  # fmt: skip

    async def _finish_later(self, attempt_id: str, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        for callback in self.on_finish:
            await callback(attempt_id)
        await self.resolve(attempt_id, "success")

    def _take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.path == path and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            path = "/" + request.match_info["path"]
            self.arrivals.append(path)
            if (gate := self.gates.get(path)) is not None:
                await gate.pass_through()
                if request.transport is None or request.transport.is_closing():
                    self.dropped.append(path)
                    return web.Response(status=499)
            return await self._forward(request)
        finally:
            self.in_flight -= 1

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        raw = await request.read()
        fault = self._take_fault(path)
        if fault and fault.stall_s:
            await asyncio.sleep(fault.stall_s)
        if fault and fault.status is not None:
            self.calls.append(ProxiedCall(path, fault.status, {}))
            return web.Response(
                status=fault.status,
                text=fault.body,
                content_type=fault.content_type,
                headers=fault.headers,
            )
        upstream = await self._client.request(
            request.method,
            path,
            params=request.query,
            content=raw,
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
        )
        body = upstream.json() if "json" in upstream.headers.get("content-type", "") else {}
        if path == "/locks/lock_door" and upstream.status_code == 200:
            attempt_id = body["action_attempt"]["action_attempt_id"]
            self.attempt_ids.append(attempt_id)
            self.open_attempts.add(attempt_id)
            self.peak_open_attempts = max(self.peak_open_attempts, len(self.open_attempts))
            device = json.loads(raw or b"{}").get("device_id")  # the SDK sends JSON
            if device in self.failing_devices:
                await self.resolve(attempt_id, "error", error=self.failing_devices[device])
                body["action_attempt"].update(status="pending", result=None, error=None)
            elif self.hold_attempts:
                await self.resolve(attempt_id, "pending")
                body["action_attempt"].update(status="pending", result=None, error=None)
                if self.finish_after_s is not None:
                    task = asyncio.get_running_loop().create_task(
                        self._finish_later(attempt_id, self.finish_after_s)
                    )
                    self._finishing.add(task)
                    task.add_done_callback(self._finishing.discard)
        if path == "/action_attempts/get" and upstream.status_code == 200:
            attempt = body.get("action_attempt") or {}
            if attempt.get("status") in ("success", "error"):
                self.open_attempts.discard(attempt.get("action_attempt_id", ""))
        self.calls.append(ProxiedCall(path, upstream.status_code, body))
        return web.json_response(body, status=upstream.status_code)
