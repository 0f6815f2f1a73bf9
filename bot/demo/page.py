"""The demo's page and the server behind it (127.0.0.1 only).

The page says what a person did ("Ada typed /lock front door in #office", "Ben tapped this
button"); this server turns it into the request Slack would send, signs it with the demo's
signing secret, and POSTs it to the bot's real `/slack/events`. What the bot says back comes to
the page through the feed: its calls to the Slack stand-in, and the answers to the requests.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

import httpx
from aiohttp import web

from bot.demo.building import ALERTS, CHANNELS, OFFICE, PEOPLE
from bot.demo.feed import Feed
from bot.demo.world import World
from bot.standins.slack_api import FakeSlack
from bot.standins.slack_requests import (
    app_home_opened,
    block_actions_payload,
    home_action_payload,
    shortcut_payload,
    signed_headers,
    slash_payload,
    view_submission_payload,
)

Json = dict[str, Any]
STATIC = files("bot.demo") / "static"
PAGES = {"/": "index.html", "/page.js": "page.js", "/blockkit.js": "blockkit.js",
         "/page.css": "page.css"}  # fmt: skip
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}


async def asked_json(request: web.Request) -> Any:
    """The page's JSON body. Only JSON: a cross-site form cannot send it without the browser
    asking this server first (CORS preflight), which it never allows."""
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="send JSON")
    return await request.json()


@dataclass
class Page:
    feed: Feed
    slack: FakeSlack
    world: World
    bot_url: str  # http://127.0.0.1:<port> of the bot
    signing_secret: str

    def __post_init__(self) -> None:
        self.http = httpx.AsyncClient(base_url=self.bot_url, timeout=10)
        self._numbers = itertools.count(1)

    def app(self) -> web.Application:
        app = web.Application()
        for path in PAGES:
            app.router.add_get(path, self.static)
        app.router.add_get("/api/setup", self.setup)
        app.router.add_get("/api/feed", self.feed.stream)
        app.router.add_post("/api/command", self.command)
        app.router.add_post("/api/action", self.action)
        app.router.add_post("/api/home", self.home)
        app.router.add_post("/api/shortcut", self.shortcut)
        app.router.add_post("/api/submit", self.submit)
        app.router.add_post("/api/world", self.act_on_world)
        return app

    async def close(self) -> None:
        await self.http.aclose()

    async def static(self, request: web.Request) -> web.Response:
        name = PAGES[request.path]
        kind = TYPES[name[name.rindex(".") :]]
        text = (STATIC / name).read_text(encoding="utf-8")
        return web.Response(text=text, content_type=kind, charset="utf-8")

    async def setup(self, request: web.Request) -> web.Response:
        return web.json_response({
            "people": [{"id": p.user_id, "name": p.name, "role": p.role} for p in PEOPLE],
            "channels": [{"id": c, "name": n} for c, n in CHANNELS.items()],
            "office": OFFICE, "alerts": ALERTS, "world": self.world.state(),
            "events": len(self.feed.events),  # what happened before the page opened
        })  # fmt: skip

    def _response_url(self, user: str, channel: str, key: str) -> str:
        """A response_url of the stand-in that says whose, where, and which message it answers."""
        return self.slack.response_url(f"demo/{user}/{channel}/{key}")

    def _trigger(self, user: str) -> str:
        return f"{next(self._numbers)}.{user}"  # the page opens a form for whoever triggered it

    async def _send(self, body: str, content_type: str) -> tuple[int, Any]:
        """POST a body to the bot's /slack/events as Slack would: signed, just now."""
        headers = signed_headers(body, self.signing_secret, content_type=content_type)
        answer = await self.http.post("/slack/events", content=body, headers=headers)
        try:
            return answer.status_code, answer.json() if answer.content else {}
        except ValueError:
            return answer.status_code, {"text": answer.text}

    async def _interaction(self, payload: Json) -> tuple[int, Any]:
        form = urlencode({"payload": json.dumps(payload)})
        return await self._send(form, "application/x-www-form-urlencoded")

    async def command(self, request: web.Request) -> web.Response:
        asked = await asked_json(request)
        user, channel, text = str(asked["user"]), str(asked["channel"]), str(asked["text"])
        key = f"c{next(self._numbers)}"
        self.feed.add("typed", user=user, channel=channel, text=f"/lock {text}".strip(), key=key)
        payload = slash_payload(text, user_id=user, channel_id=channel,
                                response_url=self._response_url(user, channel, key))  # fmt: skip
        payload["trigger_id"] = self._trigger(user)
        payload["channel_name"] = CHANNELS.get(channel, "directmessage")
        status, answer = await self._send(urlencode(payload), "application/x-www-form-urlencoded")
        if answer:
            self.feed.add("ack", user=user, channel=channel, key=key, status=status, body=answer)
        return web.json_response({"status": status})

    async def action(self, request: web.Request) -> web.Response:
        """A tap on a button or a pick from a menu: in a channel's message, in something only
        the tapper sees (`key`: the response_url it came with), or in the Home tab."""
        tap = await asked_json(request)
        user, value = str(tap["user"]), str(tap["value"])
        action_id, menu = str(tap["action_id"]), bool(tap.get("menu"))
        if tap.get("where") == "home":
            payload = home_action_payload(value, user_id=user, action_id=action_id, menu=menu)
        else:
            channel = str(tap["channel"])
            message = self.message(channel, str(tap["ts"])) if tap.get("ts") else None
            key = str(tap.get("key") or f"a{next(self._numbers)}")
            payload = block_actions_payload(
                value, user_id=user, channel_id=channel, action_id=action_id, menu=menu,
                response_url=self._response_url(user, channel, key), message=message,
            )  # fmt: skip
        payload["trigger_id"] = self._trigger(user)
        status, _ = await self._interaction(payload)
        return web.json_response({"status": status})

    def message(self, channel: str, ts: str) -> Json | None:
        """A channel's message as it is now (posted, then edited), as Slack sends it with a tap."""
        found: Json | None = None
        for call in self.slack.calls:
            args, answer = call.args, call.response or {}
            if call.method == "chat.postMessage" and answer.get("ts") == ts:
                found = dict(answer.get("message") or {})
            elif call.method == "chat.update" and found and args.get("ts") == ts:
                found |= {k: args[k] for k in ("text", "blocks") if k in args}
        if found is not None and isinstance(found.get("blocks"), str):
            found["blocks"] = json.loads(found["blocks"])
        return found

    async def home(self, request: web.Request) -> web.Response:
        user = str((await asked_json(request))["user"])
        status, _ = await self._send(app_home_opened(user), "application/json")
        return web.json_response({"status": status})

    async def shortcut(self, request: web.Request) -> web.Response:
        asked = await asked_json(request)
        user = str(asked["user"])
        payload = shortcut_payload(str(asked["callback_id"]), user_id=user)
        payload["trigger_id"] = self._trigger(user)
        status, _ = await self._interaction(payload)
        return web.json_response({"status": status})

    async def submit(self, request: web.Request) -> web.Response:
        """A form sent: the bot's answer (`response_action: errors`, or nothing) goes back."""
        sent = await asked_json(request)
        view = sent["view"]
        payload = view_submission_payload(
            str(view.get("callback_id", "")), sent["values"], user_id=str(sent["user"]),
            view_id=str(view.get("id", "V1")),
        )  # fmt: skip
        payload["view"] |= {
            k: view[k] for k in ("private_metadata", "blocks", "title") if k in view
        }
        status, answer = await self._interaction(payload)
        return web.json_response({"status": status, "answer": answer})

    async def act_on_world(self, request: web.Request) -> web.Response:
        asked = await asked_json(request)
        what, device = str(asked["what"]), str(asked.get("device_id", ""))
        match what:
            case "offline":
                await self.world.go_offline(device)
            case "online":
                await self.world.come_online(device)
            case "unlock":
                await self.world.unlock_by_hand(device)
            case "fail_next":
                self.world.fail_next_lock()
            case "slow":
                self.world.set_slow(bool(asked.get("on")))
            case _:
                raise web.HTTPBadRequest(text=f"unknown world action {what!r}")
        self.feed.add("world", state=self.world.state(), what=what, device_id=device)
        return web.json_response(self.world.state())
