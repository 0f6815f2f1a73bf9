"""`lockbot demo` without a browser: it starts, seeds a building, and what the page's server
sends (signed, to the bot's real /slack/events) reaches its outcome in the Slack stand-in; the
side panel's levers reach the bot through Seam as production news would. And `lockbot demo`
itself prints its page and stops everything on Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import httpx
from sqlmodel import select

from bot.db import Database
from bot.demo.building import ADA, ALERTS, BEN, CAM, LOCKS, OFFICE
from bot.demo.stage import Demo
from bot.models import Door, DoorGroup
from bot.slack.blockkit import RETRY_ACTION_ID
from bot.standins.slack_api import Call


def page(demo: Demo) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=demo.url, timeout=10)


def root_edited_to(text: str) -> object:
    return lambda c: c.method == "chat.update" and c.args.get("text", "").startswith(text)


async def test_the_demo_seeds_a_building_and_a_typed_lock_reaches_its_outcome(demo: Demo) -> None:
    assert demo.url.startswith("http://127.0.0.1:")
    db = Database(demo.database_url)
    async with db.session() as s:
        doors = sorted(d.name for d in (await s.exec(select(Door))).all())
        groups = sorted(g.name for g in (await s.exec(select(DoorGroup))).all())
    await db.close()
    assert doors == sorted(lock.name for lock in LOCKS)  # synced from Seam, named as Seam names
    assert groups == ["Floor 1", "Floor 2"]
    assert demo.slack is not None

    async with page(demo) as http:
        sent = await http.post("/api/command", json={"user": ADA.user_id, "channel": OFFICE,
                                                     "text": "front door"})  # fmt: skip
        assert sent.json() == {"status": 200}  # the bot took the page's signature
        update = await demo.slack.wait_for(root_edited_to("✅ *Front Door* is locked"))
        assert f"<@{ADA.user_id}>" in update.args["text"]
        await demo.slack.wait_for(lambda c: c.args.get("text", "").startswith("✅ Locked in"))

        # Cam has no grants: the bot refuses, and only Cam is told (the ack the page shows).
        refused = await http.post("/api/command", json={"user": CAM.user_id, "channel": OFFICE,
                                                        "text": "front door"})  # fmt: skip
        assert refused.json() == {"status": 200}
        ack = next(e for e in reversed(demo.feed.events) if e["kind"] == "ack")
        assert ack["user"] == CAM.user_id and "Front Door" in ack["body"]["text"]

        # Only JSON: a form another site posts cross-origin (no preflight) is refused.
        forged = json.dumps({"user": ADA.user_id, "channel": OFFICE, "text": "floor 1"})
        sent = await http.post("/api/command", content=forged,
                               headers={"Content-Type": "text/plain"})  # fmt: skip
        assert sent.status_code == 415


async def test_the_side_panel_reaches_the_bot_through_seam(demo: Demo) -> None:
    assert demo.slack is not None
    slack = demo.slack

    def alert(*words: str) -> object:
        def said(c: Call) -> bool:
            text = str(c.args.get("text", ""))
            return (
                c.method == "chat.postMessage"
                and c.args.get("channel") == ALERTS
                and all(w in text for w in words)
            )

        return said

    async with page(demo) as http:
        # A lock goes offline: Seam's event log says so, the poller reads it, the alert follows.
        await http.post("/api/world", json={"what": "offline", "device_id": LOCKS[1].device_id})
        await slack.wait_for(alert("Back Door", "offline"), timeout=15)
        # A door unlocked by hand is device news too.
        await http.post("/api/world", json={"what": "unlock", "device_id": LOCKS[2].device_id})
        await slack.wait_for(alert("Garage", "unlocked"), timeout=15)

        # The next lock fails with Seam's 503: a failure with Try again, and an alert.
        armed = await http.post("/api/world", json={"what": "fail_next"})
        assert armed.json()["next_lock_fails"] is True
        await http.post("/api/command", json={"user": BEN.user_id, "channel": OFFICE,
                                              "text": "meeting room"})  # fmt: skip
        failed = await slack.wait_for(
            lambda c: c.method == "chat.update" and "Meeting Room" in c.args.get("text", "")
            and "seam_unavailable" in c.args.get("text", "")
        )  # fmt: skip
        await slack.wait_for(alert("Meeting Room", "seam_unavailable"))
        blocks = failed.args["blocks"]
        retry = next(
            e for b in blocks if b["type"] == "actions" for e in b["elements"]
            if e["action_id"] == RETRY_ACTION_ID
        )  # fmt: skip

        # Ben taps Try again on the root message: the page's server sends the message along.
        tapped = await http.post("/api/action", json={
            "user": BEN.user_id, "channel": OFFICE, "ts": failed.args["ts"], "where": "message",
            "action_id": RETRY_ACTION_ID, "value": retry["value"],
        })  # fmt: skip
        assert tapped.json() == {"status": 200}
        await slack.wait_for(root_edited_to("✅ *Meeting Room* is locked"))


async def test_lockbot_demo_prints_its_page_and_stops_everything_on_ctrl_c() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "demo", "--port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        url = ""
        while not url:
            line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
            assert line, "lockbot demo exited before printing its page"
            if "http://127.0.0.1:" in line:
                url = line[line.index("http://") :].split()[0]
        async with httpx.AsyncClient(timeout=10) as http:
            shown = await http.get(url)
            assert shown.status_code == 200 and "lockbot demo" in shown.text
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def sse(http: httpx.AsyncClient, last_id: int | None, until: str) -> list[tuple[int, dict]]:
    """The feed's events (id, event) from after `last_id` up to the first whose JSON has `until`."""
    headers = {} if last_id is None else {"Last-Event-ID": str(last_id)}
    got: list[tuple[int, dict]] = []
    async with http.stream("GET", "/api/feed", headers=headers) as stream:
        event_id = -1
        async for line in stream.aiter_lines():
            if line.startswith("id: "):
                event_id = int(line.removeprefix("id: "))
            elif line.startswith("data: "):
                got.append((event_id, json.loads(line.removeprefix("data: "))))
                if until in line:
                    return got
    raise AssertionError(f"the feed ended before {until!r}")


async def test_the_feed_tells_the_page_what_happened_and_resumes_where_it_left_off(
    demo: Demo,
) -> None:
    async with page(demo) as http:
        await http.post("/api/command", json={"user": ADA.user_id, "channel": OFFICE,
                                              "text": "front door"})  # fmt: skip
        first = await asyncio.wait_for(sse(http, None, "is locked"), 15)
        kinds = [(e["kind"], e.get("method")) for _, e in first]
        assert kinds[0] == ("typed", None) and ("call", "chat.update") in kinds
        assert [i for i, _ in first] == list(range(len(first)))
        # A page that reconnects (EventSource sends Last-Event-ID) gets only what came after.
        await http.post("/api/world", json={"what": "slow", "on": False})
        rest = await asyncio.wait_for(sse(http, first[-1][0], '"world"'), 15)
        assert rest[0][0] == first[-1][0] + 1 and rest[-1][1]["kind"] == "world"
