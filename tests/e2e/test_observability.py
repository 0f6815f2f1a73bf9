"""What an operator sees: metrics that move, probes that tell the truth, logs that tie together."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import (
    ALERTS,
    BOT_TOKEN,
    SIGNING_SECRET,
    LiveBot,
    bot_env,
    lock_rows,
    seed_doors,
)
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import API_KEY
from tests.fakes.slack_api import FakeSlack
from tests.support.bot_process import BotProcess
from tests.support.slack_requests import signed_headers, slash_command


async def until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    for _ in range(int(timeout_s / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never became true")


async def scrape(live: LiveBot) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await live.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_move_after_a_success_a_failure_and_a_denial(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack
) -> None:
    before = await scrape(live)
    await live.command("front door")
    await slack.wait_for(lambda c: c.method == "chat.update")
    seam.fail("/locks/lock_door", status=503, body="down", content_type="text/plain")
    await live.command("back door")
    await slack.wait_for(lambda c: c.args.get("channel") == ALERTS)
    await live.command("front door", user_id="U2")
    after = await scrape(live)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("lockbot_commands_total", kind="lock", result="accepted") == 2
    assert delta("lockbot_commands_total", kind="lock", result="denied") == 1
    assert delta("lockbot_lock_outcomes_total", result="locked") == 1
    assert delta("lockbot_lock_outcomes_total", result="failed") == 1
    assert delta("lockbot_ack_seconds_count") == 3
    assert delta("lockbot_time_to_outcome_seconds_count") == 2
    assert delta("lockbot_seam_calls_total", method="locks.lock_door", status="pending") == 1
    assert (
        delta("lockbot_seam_calls_total", method="locks.lock_door", status="seam_unavailable") == 1
    )
    assert delta("lockbot_slack_calls_total", method="chat.update", status="ok") == 2
    assert value(after, "lockbot_pending_requests") == 0
    assert ("lockbot_scheduler_leader", ()) in after


async def test_probes(live: LiveBot, seam: SeamProxy) -> None:
    health = await live.http.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"ok": True, "database": "ok", "slack": "ok", "seam": "ok"}
    for _ in range(100):  # auth.test runs in the background at start-up
        ready = await live.http.get("/readyz")
        if ready.status_code == 200:
            break
        await asyncio.sleep(0.05)
    assert ready.json() == {"ok": True, "migrations": "applied", "slack": "connected"}

    # Three Seam calls in a row fail: /healthz says Seam is failing, and why.
    seam.fail("/locks/lock_door", status=503, body="down", content_type="text/plain", times=3)
    # Three doors, so no request joins another that is still in flight.
    for door, user in (("front door", "U1"), ("back door", "U1"), ("garage", "UADMIN")):
        await live.command(door, user_id=user)
    for _ in range(100):
        health = await live.http.get("/healthz")
        if health.status_code == 503:
            break
        await asyncio.sleep(0.05)
    assert health.status_code == 503
    assert health.json()["seam"] == "failing: locks.lock_door: seam_unavailable"


async def test_probes_name_a_failure_by_code_never_by_the_services_words(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack
) -> None:
    """Anyone who can reach the probes reads them: a code of ours, never Seam's or Slack's text."""
    words = "Zebra stampede in rack 7, call Bob on +1 555 0100"
    seam.fail(
        "/locks/lock_door",
        status=503,
        times=3,
        body=json.dumps({"error": {"type": "zebra_stampede", "message": words}}),
    )
    for method in (
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "conversations.open",
        "chat.getPermalink",
    ):
        slack.fail(method, status=503, error=words, times=100)
    for door, user in (("front door", "U1"), ("back door", "U1"), ("garage", "UADMIN")):
        await live.command(door, user_id=user)
    for _ in range(200):
        health = await live.http.get("/healthz")
        if health.status_code == 503 and "ok" not in (
            health.json()["slack"],
            health.json()["seam"],
        ):
            break
        await asyncio.sleep(0.05)
    ready = await live.http.get("/readyz")
    assert health.json() == {
        "ok": False,
        "database": "ok",
        "slack": health.json()["slack"],
        "seam": "failing: locks.lock_door: seam_unavailable",
    }
    assert health.json()["slack"] in (
        f"failing: {m}: slack_unavailable" for m in ("chat.postMessage", "chat.update")
    )
    for body in (health.text, ready.text):
        assert "zebra" not in body.lower() and "555" not in body


async def test_every_log_line_of_a_request_carries_its_id(
    database_url: str, seam: SeamProxy, slack: FakeSlack, tmp_path: Path
) -> None:
    await seed_doors(database_url)
    log_path = tmp_path / "bot.log"
    env = bot_env(database_url, seam.url, slack.api_url, LOCKBOT_LOG_FORMAT="json")
    with log_path.open("wb") as log_file:
        bot = BotProcess(env, tmp_path, stderr=log_file.fileno())
        await bot.start()
        try:
            seam.hold_attempts = True
            body = slash_command("front door")
            async with httpx.AsyncClient() as client:
                await client.post(
                    f"{bot.url}/slack/events",
                    content=body,
                    headers=signed_headers(body, SIGNING_SECRET),
                )
            attempt = await seam.wait_for_attempt()
            await slack.wait_for(lambda c: "Seam accepted" in c.args.get("text", ""))
            await until(lambda: bool(seam.calls_to("/action_attempts/get")))  # seen pending
            await seam.resolve(attempt, "success")
            await slack.wait_for(lambda c: c.method == "chat.update")
        finally:
            await bot.stop()

    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    [row] = await lock_rows(database_url)
    assert row.request_id
    mine = [entry["message"] for entry in lines if entry.get("request_id") == row.request_id]
    story = "\n".join(mine)
    for step in (
        "U1 asked for 'Front Door' in C1 → pending",
        "seam locks.lock_door → pending",
        "slack chat.postMessage → ok",
        "seam action_attempts.get → pending",
        "seam action_attempts.get → success",
        "slack chat.update → ok",
        "settled: locked",
    ):
        assert step in story, f"{step!r} missing from the request's log:\n{story}"
    # Nothing about this request was logged without its id.
    strays = [
        e["message"]
        for e in lines
        if "request_id" not in e
        and (
            "lock request" in e["message"]
            or "seam " in e["message"]
            or "slack chat." in e["message"]
        )
    ]
    assert strays == []
    raw = log_path.read_text()
    for secret in (BOT_TOKEN, SIGNING_SECRET, API_KEY):
        assert secret not in raw


async def test_secrets_stay_out_of_logs_even_in_tracebacks(
    database_url: str, seam: SeamProxy, slack: FakeSlack, tmp_path: Path
) -> None:
    """Faults that log tracebacks: Seam rejecting the key, Slack refusing an update."""
    await seed_doors(database_url)
    log_path = tmp_path / "bot.log"
    env = bot_env(database_url, seam.url, slack.api_url, LOCKBOT_LOG_FORMAT="text")
    seam.fail(
        "/locks/lock_door",
        status=401,
        times=1,
        body='{"error": {"type": "unauthorized", "message": "Unauthorized"}}',
    )
    slack.fail("chat.update", error="fatal_error", times=9)
    with log_path.open("wb") as log_file:
        bot = BotProcess(env, tmp_path, stderr=log_file.fileno())
        await bot.start()
        try:
            async with httpx.AsyncClient() as client:
                for text in ("front door", "back door"):
                    body = slash_command(text)
                    await client.post(
                        f"{bot.url}/slack/events",
                        content=body,
                        headers=signed_headers(body, SIGNING_SECRET),
                    )
            await until(lambda: len(slack.calls_to("chat.update")) >= 2)
        finally:
            await bot.stop()
    raw = log_path.read_text()
    assert "Traceback" in raw, "the fault should have logged a traceback"
    for secret in (BOT_TOKEN, SIGNING_SECRET, API_KEY):
        assert secret not in raw
