"""A local stand-in for Slack's Web API (and slash-command response URLs): the tests' and the
demo's (`lockbot demo`), one and the same.

Point ``AsyncWebClient(base_url=fake.api_url)`` at it, then assert on ``fake.calls``. It can fail
a method on demand (``fail``) or hold its calls until the test releases them (``hold``), and it
tells its ``listeners`` of each call once answered (the demo's page follows them live). What it
answers is `slack_methods.Workspace`'s.

It also plays Slack's side of Socket Mode: ``apps.connections.open`` (authorised with the app
token) hands out a ``ws://`` URL of this fake, whose ``/socket`` endpoint greets with ``hello``
like Slack does; ``send_slash_command`` then pushes an envelope and returns the bot's ack.
"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from aiohttp import WSMsgType, web

from bot.slack.scopes import REQUIRED_BOT_SCOPES
from bot.standins.gate import Gate
from bot.standins.slack_methods import APP_ID, Json, Workspace
from bot.standins.slack_requests import slash_payload

__all__ = ["APP_ID", "TEST_APP_TOKEN", "TEST_TOKEN", "Call", "FakeSlack", "Json"]
TEST_TOKEN = "xoxb-test-token"  # noqa: S105  the bot token FakeSlack accepts unless told otherwise
TEST_APP_TOKEN = "xapp-test-token"  # noqa: S105  the app-level token for apps.connections.open


@dataclass
class Call:
    """One request received by the fake, in arrival order."""

    method: str  # Web API method such as "chat.postMessage", "response_url" or "socket_ack"
    args: Json  # query parameters merged with the (form or JSON) body
    headers: Mapping[str, str]  # case-insensitive copy of the request headers
    failed: bool = False  # answered with an error (bad token, injected fault, ...)
    response: Json | None = None  # the JSON answered, when there was one
    path: str = ""  # the URL's path: which response_url, for one


@dataclass
class _Fault:
    method: str
    status: int
    error: str | None
    remaining: int
    retry_after: int | None
    channel: str | None


class FakeSlack:
    """An aiohttp server on 127.0.0.1 (free port) that answers like Slack's Web API."""

    def __init__(
        self,
        token: str = TEST_TOKEN,
        *,
        groups: dict[str, list[str]] | None = None,
        app_token: str = TEST_APP_TOKEN,
        scopes: frozenset[str] | set[str] = REQUIRED_BOT_SCOPES,
    ) -> None:
        self.token = token  # the only bot token accepted
        self.app_token = app_token  # the only token apps.connections.open accepts
        self.workspace = Workspace(groups=groups or {}, scopes=set(scopes))
        # The workspace's parts tests change, under the names they have always had.
        self.groups = self.workspace.groups
        self.scopes = self.workspace.scopes
        self.unknown_users = self.workspace.unknown_users
        self.timezones = self.workspace.timezones
        self.deleted_users = self.workspace.deleted_users
        self.calls: list[Call] = []
        # Told of each Web API and response_url call once it is answered, failed ones too.
        self.listeners: list[Callable[[Call], None]] = []
        self.sockets: list[web.WebSocketResponse] = []  # open Socket Mode connections, oldest first
        self._acks: dict[str, asyncio.Future[Json]] = {}  # envelope_id -> the bot's ack
        self._faults: list[_Fault] = []
        self._gates: dict[str, Gate] = {}
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    async def start(self) -> None:
        """Bind a free port on 127.0.0.1 and start serving."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{name:.*}", self._handle_response_url)
        app.router.add_get("/socket", self._handle_socket)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        self.workspace.socket_url = f"ws://127.0.0.1:{self._port}/socket"
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        """Stop serving (idempotent); open sockets are closed with 1001 (going away) first."""
        for gate in self._gates.values():
            gate.release()  # a held call must not keep the server from stopping
        for ws in list(self.sockets):
            await ws.close(code=1001, message=b"server shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (requires ``start()``)."""
        if self._port is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """Base URL for ``AsyncWebClient(base_url=...)``, with its trailing slash."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A slash-command ``response_url`` served by this fake."""
        return f"{self.base_url}/response/{name}"

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        times: int = 1,
        retry_after: int | None = None,
        channel: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (only for ``channel``, if given) fail.

        The answer has HTTP ``status``, a JSON body ``{"ok": false, "error": error}`` when
        ``error`` is given (plain text otherwise) and ``Retry-After`` when ``retry_after`` is.
        ``method`` may also be ``"response_url"``.
        """
        if status == 200 and error is None:
            raise ValueError("a failure with HTTP 200 needs an error code")
        self._faults.append(_Fault(method, status, error, times, retry_after, channel))

    def hold(self, method: str) -> Gate:
        """Hold every call of ``method`` (recorded on arrival) until ``release()``."""
        gate = self._gates[method] = Gate()
        return gate

    def calls_to(self, method: str) -> list[Call]:
        """Every recorded call of ``method``, failed ones included."""
        return [c for c in self.calls if c.method == method]

    def messages(self, channel: str | None = None) -> list[Call]:
        """Successful ``chat.postMessage`` calls, optionally only those to ``channel``."""
        return [
            c
            for c in self.calls_to("chat.postMessage")
            if not c.failed and (channel is None or c.args.get("channel") == channel)
        ]

    async def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 10.0) -> Call:  # noqa: ASYNC109
        """Poll ``calls`` until one satisfies ``predicate``; AssertionError on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for call in list(self.calls):
                if predicate(call):
                    return call
            if loop.time() >= deadline:
                recorded = "\n".join(
                    f"  {c.method} {c.args!r} failed={c.failed}" for c in self.calls
                )
                raise AssertionError(
                    f"no matching Slack call within {timeout}s; recorded:\n{recorded or '  (none)'}"
                )
            await asyncio.sleep(0.01)

    async def wait_connected(self, timeout: float = 10.0) -> web.WebSocketResponse:  # noqa: ASYNC109
        """Wait until a Socket Mode client is connected (and greeted); return its socket."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._open_sockets():
            if loop.time() >= deadline:
                opened = self.calls_to("apps.connections.open")
                raise AssertionError(
                    f"no Socket Mode connection within {timeout}s; apps.connections.open calls: "
                    f"{[(c.failed, c.response) for c in opened]!r}"
                )
            await asyncio.sleep(0.01)
        return self._open_sockets()[-1]

    async def send_envelope(
        self,
        type_: str,
        payload: Json,
        *,
        accepts_response_payload: bool = True,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Json:
        """Push one envelope to the newest connection; return the ack's payload ({} if none)."""
        sockets = self._open_sockets()
        if not sockets:
            raise AssertionError("no Socket Mode client is connected")
        envelope_id = str(uuid.uuid4())
        acked: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = acked
        envelope = {"envelope_id": envelope_id, "type": type_, "payload": payload,
                    "accepts_response_payload": accepts_response_payload}  # fmt: skip
        try:
            await sockets[-1].send_json(envelope)
            ack = await asyncio.wait_for(acked, timeout)
        except TimeoutError:
            raise AssertionError(f"no ack for envelope {envelope_id} within {timeout}s") from None
        finally:
            self._acks.pop(envelope_id, None)
        payload_back = ack.get("payload")
        return payload_back if isinstance(payload_back, dict) else {}

    async def send_slash_command(
        self,
        text: str,
        *,
        user_id: str = "U1",
        channel_id: str = "C1",
        response_url: str | None = None,
        command: str = "/lock",
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Json:
        """Send a ``slash_commands`` envelope, as Slack does in Socket Mode; return the ack payload.

        ``response_url`` defaults to one served by this fake, so follow-ups are recorded.
        """
        payload = slash_payload(
            text,
            user_id=user_id,
            channel_id=channel_id,
            response_url=response_url or self.response_url("socket"),
            command=command,
        )
        payload |= {"api_app_id": APP_ID, "is_enterprise_install": "false"}
        return await self.send_envelope("slash_commands", payload, timeout=timeout)

    def _open_sockets(self) -> list[web.WebSocketResponse]:
        return [ws for ws in self.sockets if not ws.closed]

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self.workspace.tickets:  # like Slack: only apps.connections.open's URLs
            return web.Response(status=401, text="invalid ticket")
        self.workspace.tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)  # answers the SDK's pings with pongs
        await ws.prepare(request)
        headers = request.headers.copy()
        await ws.send_json({
            "type": "hello",
            "num_connections": len(self._open_sockets()) + 1,
            "debug_info": {"host": "fake-slack", "build_number": 1,
                           "approximate_connection_time": 18060},
            "connection_info": {"app_id": APP_ID},
        })  # fmt: skip
        self.sockets.append(ws)  # only now does wait_connected() see it: connected and greeted
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                message = json.loads(msg.data)
                envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
                if not envelope_id:
                    continue
                self.calls.append(Call("socket_ack", message, headers))
                acked = self._acks.get(envelope_id)
                if acked is not None and not acked.done():
                    acked.set_result(message)
        finally:
            self.sockets.remove(ws)
        return ws

    async def _record(self, request: web.Request, method: str) -> Call:
        args: Json = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                args.update(body if isinstance(body, dict) else {"_body": body})
            else:
                args.update({k: str(v) for k, v in (await request.post()).items()})
        call = Call(method, args, request.headers.copy(), path=request.path)
        self.calls.append(call)
        return call

    def _take_fault(self, call: Call) -> web.Response | None:
        for fault in self._faults:
            if fault.method != call.method or fault.remaining <= 0:
                continue
            if fault.channel is not None and call.args.get("channel") != fault.channel:
                continue
            fault.remaining -= 1
            call.failed = True
            headers = (
                {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            )
            if fault.error is None:
                return web.Response(status=fault.status, text="injected failure", headers=headers)
            call.response = {"ok": False, "error": fault.error}
            return web.json_response(call.response, status=fault.status, headers=headers)
        return None

    def _told(self, call: Call) -> None:
        for listener in self.listeners:
            listener(call)

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        call = await self._record(request, "response_url")
        answer = self._take_fault(call) or web.Response(text="ok")
        self._told(call)
        return answer

    async def _handle_api(self, request: web.Request) -> web.Response:
        call = await self._record(request, request.match_info["method"])
        try:
            return await self._answer(request, call)
        finally:
            self._told(call)

    async def _answer(self, request: web.Request, call: Call) -> web.Response:
        app_level = call.method == "apps.connections.open"  # wants the app-level token
        given = request.headers.get("Authorization")
        if given != f"Bearer {self.app_token if app_level else self.token}":
            wrong_kind = app_level and given == f"Bearer {self.token}"
            error = "not_allowed_token_type" if wrong_kind else "invalid_auth"
            call.failed, call.response = True, {"ok": False, "error": error}
            return web.json_response(call.response)
        if (gate := self._gates.get(call.method)) is not None:
            await gate.pass_through()
        fault = self._take_fault(call)
        if fault is not None:
            return fault
        result = self.workspace.answer(call.method, call.args)
        call.failed, call.response = not result["ok"], result
        headers = {}
        if call.method == "auth.test":
            headers["x-oauth-scopes"] = ",".join(sorted(self.scopes))
        return web.json_response(result, headers=headers)

    def home_views(self, user_id: str) -> list[Json]:
        """The Home views published for ``user_id``, oldest first."""
        calls = [c for c in self.calls_to("views.publish") if not c.failed]
        return [c.args["view"] for c in calls if c.args.get("user_id") == user_id]
