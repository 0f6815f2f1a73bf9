"""What the page follows live: every call the bot made to the Slack stand-in, what the page's
people typed and were answered, and the world's state, as Server-Sent Events.

Each event's id is its place in the feed, so a page that reconnects (EventSource does on its
own) gets what it missed, and a page opened late gets the whole story.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from bot.standins.slack_api import Call

# What the page shows; the rest (auth.test, users.info, …) is the bot's own business.
SHOWN = frozenset({
    "chat.postMessage", "chat.update", "chat.delete", "chat.postEphemeral", "response_url",
    "views.publish", "views.open",
})  # fmt: skip


class Feed:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        self.closing = False

    def add(self, kind: str, **fields: Any) -> None:
        self.events.append({"kind": kind, **fields})
        self._changed.set()
        self._changed = asyncio.Event()

    def slack_call(self, call: Call) -> None:
        """A `FakeSlack` listener."""
        if call.method in SHOWN:
            self.add("call", method=call.method, args=call.args, response=call.response,
                     failed=call.failed, path=call.path)  # fmt: skip

    def close(self) -> None:
        self.closing = True
        self._changed.set()

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """GET /api/feed: the events from the one after `Last-Event-ID` on, then each new one."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        last = request.headers.get("Last-Event-ID", "")
        sent = int(last) + 1 if last.isdigit() else 0
        try:
            while not self.closing:
                changed = self._changed
                while sent < len(self.events):
                    data = json.dumps(self.events[sent], ensure_ascii=False)
                    await response.write(f"id: {sent}\ndata: {data}\n\n".encode())
                    sent += 1
                try:
                    await asyncio.wait_for(changed.wait(), timeout=15)
                except TimeoutError:
                    await response.write(b": still here\n\n")  # keeps the connection open
        except ConnectionResetError:
            pass  # the page went away; EventSource comes back with Last-Event-ID
        return response
