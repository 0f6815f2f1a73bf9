"""The Slack fake behaves like Slack for the real slack_sdk client; signed requests verify."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import TEST_TOKEN, FakeSlack
from tests.support.slack_requests import signed_headers, slash_command


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        yield slack


def client(fake: FakeSlack, token: str = TEST_TOKEN) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=fake.api_url)


async def test_post_message_returns_ts_and_is_recorded(fake: FakeSlack) -> None:
    web = client(fake)
    first = await web.chat_postMessage(channel="C1", text="hello", thread_ts="1.2")
    second = await web.chat_postMessage(channel="C1", text="again")

    assert first["ok"] and first["channel"] == "C1"
    assert first["message"]["text"] == "hello" and first["message"]["thread_ts"] == "1.2"
    assert float(first["ts"]) < float(second["ts"])
    [call, _] = fake.messages("C1")
    assert call.args["text"] == "hello" and call.args["thread_ts"] == "1.2"
    assert call.headers["authorization"] == "Bearer xoxb-test-token"
    link = await web.chat_getPermalink(channel="C1", message_ts=first["ts"])
    assert link["permalink"].endswith(f"/archives/C1/p{first['ts'].replace('.', '')}")


async def test_form_methods_and_groups(fake: FakeSlack) -> None:
    fake.groups["S1"] = ["U1", "U2"]
    web = client(fake)
    assert (await web.usergroups_users_list(usergroup="S1"))["users"] == ["U1", "U2"]
    assert (await web.users_info(user="U7"))["user"]["tz"] == "Europe/Berlin"
    assert (await web.auth_test())["user_id"] == "UBOT"
    with pytest.raises(SlackApiError) as raised:
        await web.usergroups_users_list(usergroup="S404")
    assert raised.value.response["error"] == "no_such_subteam"
    with pytest.raises(SlackApiError) as raised:
        await web.api_call("nope.nothing")
    assert raised.value.response["error"] == "unknown_method"


async def test_rate_limit_is_retried(fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", status=429, error="ratelimited", retry_after=1)
    web = client(fake)
    web.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))

    response = await web.chat_postMessage(channel="C1", text="eventually")

    assert response["ok"]
    first, second = fake.calls_to("chat.postMessage")
    assert first.failed and not second.failed
    assert len(fake.messages()) == 1


async def test_channel_fault_raises_only_for_that_channel(fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", error="not_in_channel", channel="C2", times=99)
    web = client(fake)
    with pytest.raises(SlackApiError) as raised:
        await web.chat_postMessage(channel="C2", text="nope")
    assert raised.value.response["error"] == "not_in_channel"
    assert (await web.chat_postMessage(channel="C1", text="fine"))["ok"]
    assert [c.args["channel"] for c in fake.messages()] == ["C1"]


async def test_bad_token_is_invalid_auth(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client(fake, token="xoxb-wrong").chat_postMessage(channel="C1", text="hi")
    assert raised.value.response["error"] == "invalid_auth"
    assert fake.calls[0].failed and fake.messages() == []


async def test_response_url_and_wait_for(fake: FakeSlack) -> None:
    async with aiohttp.ClientSession() as session:
        resp = await session.post(fake.response_url("r9"), json={"text": "done"})
        assert resp.status == 200 and await resp.text() == "ok"
    call = await fake.wait_for(lambda c: c.method == "response_url")
    assert call.args == {"text": "done"}
    with pytest.raises(AssertionError, match="response_url"):
        await fake.wait_for(lambda c: c.method == "chat.update", timeout=0.05)


def test_signature_round_trip() -> None:
    body = slash_command("front-door 10m", user_id="U9")
    headers = signed_headers(body, "s3cret")
    verifier = SignatureVerifier("s3cret")
    ts, sig = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]

    assert parse_qs(body)["text"] == ["front-door 10m"]
    assert verifier.is_valid(body, ts, sig)
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid(body.replace("U9", "U8"), ts, sig)
    stale = signed_headers(body, "s3cret", timestamp=int(time.time()) - 3600)
    assert not verifier.is_valid_request(body, stale)
