"""A local fake of Slack's Web API (and of slash-command response URLs) for end-to-end tests.

Point ``AsyncWebClient(base_url=fake.api_url)`` at it, then assert on ``fake.calls``. It can fail
a method on demand (``fail``) or hold its calls until the test releases them (``hold``).

It also plays Slack's side of Socket Mode: ``apps.connections.open`` (authorised with the app
token) hands out a ``ws://`` URL of this fake, whose ``/socket`` endpoint greets with ``hello``
like Slack does; ``send_slash_command`` then pushes an envelope and returns the bot's ack.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web
from multidict import CIMultiDict

from bot.slack.scopes import REQUIRED_BOT_SCOPES
from tests.fakes.gate import Gate
from tests.support.slack_requests import slash_payload

Json = dict[str, Any]
TEST_TOKEN = "xoxb-test-token"  # the bot token FakeSlack accepts unless told otherwise
TEST_APP_TOKEN = "xapp-test-token"  # the app-level token for apps.connections.open
APP_ID = "A1"


@dataclass
class Call:
    """One request received by the fake, in arrival order."""

    method: str  # Web API method such as "chat.postMessage", "response_url" or "socket_ack"
    args: Json  # query parameters merged with the (form or JSON) body
    headers: Mapping[str, str]  # case-insensitive copy of the request headers
    failed: bool = False  # answered with an error (bad token, injected fault, ...)
    response: Json | None = None  # the JSON answered, when there was one


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
        self.groups: dict[str, list[str]] = groups or {}  # usergroup id -> user ids
        # The bot token's scopes, sent like Slack as the `x-oauth-scopes` header of auth.test.
        self.scopes: set[str] = set(scopes)
        self.unknown_users: set[str] = set()  # users.info answers user_not_found for these
        self.timezones: dict[str, str] = {}  # users.info's tz per user (default Europe/Berlin)
        self.deleted_users: set[str] = set()  # users.info answers with `"deleted": true`
        self.calls: list[Call] = []
        self.sockets: list[web.WebSocketResponse] = []  # open Socket Mode connections, oldest first
        self._tickets: set[str] = set()  # from apps.connections.open, each good for one connect
        self._acks: dict[str, asyncio.Future[Json]] = {}  # envelope_id -> the bot's ack
        self._faults: list[_Fault] = []
        self._gates: dict[str, Gate] = {}
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._ts_counter = itertools.count(1)

    async def start(self) -> None:
        """Bind a free port on 127.0.0.1 and start serving."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{name:.*}", self._handle_response_url)
        app.router.add_get("/socket", self._handle_socket)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
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
        if ticket not in self._tickets:  # like Slack: only URLs from apps.connections.open work
            return web.Response(status=401, text="invalid ticket")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)  # answers the SDK's pings with pongs
        await ws.prepare(request)
        headers = CIMultiDict(request.headers)
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
        call = Call(method, args, CIMultiDict(request.headers))
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

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        call = await self._record(request, "response_url")
        return self._take_fault(call) or web.Response(text="ok")

    async def _handle_api(self, request: web.Request) -> web.Response:
        call = await self._record(request, request.match_info["method"])
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
        handler = self._methods().get(call.method)
        result = handler(call.args) if handler else {"ok": False, "error": "unknown_method"}
        call.failed, call.response = not result["ok"], result
        headers = {}
        if call.method == "auth.test":
            headers["x-oauth-scopes"] = ",".join(sorted(self.scopes))
        return web.json_response(result, headers=headers)

    def _methods(self) -> dict[str, Callable[[Json], Json]]:
        return {
            "auth.test": self._auth_test,
            "apps.connections.open": self._connections_open,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "chat.getPermalink": self._permalink,
            "chat.postEphemeral": self._post_ephemeral,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroup_users,
            "conversations.info": self._conversations_info,
            "views.publish": self._views_publish,
            "views.open": self._views_open,
        }

    def _next_ts(self) -> str:
        micros = 1_700_000_000_000_000 + 100 * next(self._ts_counter)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _auth_test(self, args: Json) -> Json:
        return {"ok": True, "url": "https://fake.slack.test/", "team": "Test", "team_id": "T1",
                "user": "lockbot", "user_id": "UBOT", "bot_id": "BBOT"}  # fmt: skip

    def _connections_open(self, args: Json) -> Json:
        ticket = str(uuid.uuid4())
        self._tickets.add(ticket)
        url = f"ws://127.0.0.1:{self._port}/socket?ticket={ticket}&app_id={APP_ID}"
        return {"ok": True, "url": url}

    def _post_message(self, args: Json) -> Json:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        ts = self._next_ts()
        message: Json = {"type": "message", "user": "UBOT", "bot_id": "BBOT", "ts": ts,
                         "text": args.get("text", "")}  # fmt: skip
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        if args.get("blocks"):
            message["blocks"] = args["blocks"]
        return {"ok": True, "channel": args["channel"], "ts": ts, "message": message}

    def _update(self, args: Json) -> Json:
        if not args.get("channel") or not args.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": args["channel"], "ts": args["ts"],
                "text": args.get("text", "")}  # fmt: skip

    def _delete(self, args: Json) -> Json:
        if not args.get("channel") or not args.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": args["channel"], "ts": args["ts"]}

    def _permalink(self, args: Json) -> Json:
        channel, ts = args.get("channel", ""), str(args.get("message_ts", ""))
        if not channel or not ts:
            return {"ok": False, "error": "message_not_found"}
        url = f"https://fake.slack.test/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": url}

    def _post_ephemeral(self, args: Json) -> Json:
        if not args.get("channel") or not args.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _users_info(self, args: Json) -> Json:
        user_id = args.get("user")
        if not user_id or user_id in self.unknown_users:
            return {"ok": False, "error": "user_not_found"}
        name = f"user_{str(user_id).lower()}"
        deleted = user_id in self.deleted_users
        return {"ok": True, "user": {"id": user_id, "team_id": "T1", "name": name,
                "real_name": name, "tz": self.timezones.get(str(user_id), "Europe/Berlin"),
                "tz_label": "a time zone",
                "tz_offset": 3600, "is_bot": False, "deleted": deleted}}  # fmt: skip

    def _usergroup_users(self, args: Json) -> Json:
        users = self.groups.get(str(args.get("usergroup", "")))
        if users is None:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(users)}

    def _views_publish(self, args: Json) -> Json:
        view = args.get("view")
        if isinstance(view, str):  # form-encoded: the view is a JSON string
            view = json.loads(view)
        if not args.get("user_id") or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": {"id": f"V{next(self._ts_counter)}", **view}}

    def home_views(self, user_id: str) -> list[Json]:
        """The Home views published for ``user_id``, oldest first."""
        calls = [c for c in self.calls_to("views.publish") if not c.failed]
        return [c.args["view"] for c in calls if c.args.get("user_id") == user_id]

    def _conversations_info(self, args: Json) -> Json:
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": {"id": channel, "name": f"chan-{str(channel).lower()}",
                "is_channel": True, "is_member": True, "is_archived": False}}  # fmt: skip

    def _views_open(self, args: Json) -> Json:
        view = args.get("view")
        if isinstance(view, str):  # form-encoded callers send the view as JSON text
            view = json.loads(view)
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        if not isinstance(view, dict) or view.get("type") != "modal":
            return {"ok": False, "error": "invalid_arguments"}
        view_id = f"V{next(self._ts_counter):08d}"
        return {
            "ok": True,
            "view": {**view, "id": view_id, "team_id": "T1", "state": {"values": {}}},
        }
