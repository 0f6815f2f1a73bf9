"""The HTTP front door for /lock takes only a signed /lock; everything else is Bolt's."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from bot.slack.front import CommandFront
from tests.support.slack_requests import signed_headers, slash_command

SECRET = "front-door-secret-0123"


class Answers:
    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []

    async def __call__(self, command: Mapping[str, Any]) -> dict[str, Any]:
        self.asked.append(dict(command))
        return {"text": f"asked for {command.get('text')}", "response_type": "ephemeral"}


def front() -> tuple[CommandFront, Answers]:
    answers = Answers()
    return CommandFront(SECRET, answers), answers


async def test_a_signed_lock_is_answered_with_every_field_slack_sent() -> None:
    door, answers = front()
    body = slash_command("front door", user_id="U7", channel_id="C9")
    payload = await door.take(body.encode(), signed_headers(body, SECRET))
    assert payload == {"text": "asked for front door", "response_type": "ephemeral"}
    [asked] = answers.asked
    assert (asked["command"], asked["user_id"], asked["channel_id"]) == ("/lock", "U7", "C9")
    assert asked["trigger_id"] and asked["response_url"]


async def test_an_empty_text_is_given_as_empty() -> None:
    door, answers = front()
    body = slash_command("")
    assert await door.take(body.encode(), signed_headers(body, SECRET)) is not None
    assert answers.asked[0]["text"] == ""


async def test_what_it_cannot_verify_is_left_to_bolt() -> None:
    door, answers = front()
    body = slash_command("front door")
    stale = int(time.time()) - 6 * 60
    cases: list[tuple[bytes, Mapping[str, str]]] = [
        (body.encode(), signed_headers(body, "another-secret-0123")),
        (body.encode(), signed_headers(body, SECRET, timestamp=stale)),
        (body.encode(), {}),
        (body.encode(), signed_headers(body, SECRET) | {"X-Slack-Request-Timestamp": "soon"}),
        (body.encode() + b"&text=back+door", signed_headers(body, SECRET)),  # changed after
        (b"command=%2Flock&text=\xff", signed_headers("command=%2Flock&text=", SECRET)),
    ]
    for raw, headers in cases:
        assert await door.take(raw, headers) is None
    assert answers.asked == []


async def test_other_commands_and_other_requests_are_left_to_bolt() -> None:
    door, answers = front()
    other = slash_command("front door", command="/lockdown")
    ssl_check = urlencode({"ssl_check": "1", "command": "/lock", "token": "x"})
    action = urlencode({"payload": '{"type": "block_actions"}', "command": "/lock"})
    smuggled = '{"type": "event_callback", "text": "x&command=%2Flock&user_id=UADMIN&text=y"}'
    for body in (other, ssl_check, action, smuggled):
        assert await door.take(body.encode(), signed_headers(body, SECRET)) is None, body
        as_json = signed_headers(body, SECRET, content_type="application/json")
        assert await door.take(body.encode(), as_json) is None, body
    assert answers.asked == []
