"""`lockbot doctor` end to end: the real command as a child process, against Seam's fake server,
the fake Slack and a real database. Checks are independent, so one run can break several at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.access import grant
from bot.db import Database
from bot.door_admin import add_door
from tests.e2e.conftest import ALERTS, API_KEY, BOT_TOKEN, SIGNING_SECRET, bot_env, seed_doors
from tests.e2e.test_cli import OURS, Cli, Result, lines, lockbot
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.slack_api import TEST_APP_TOKEN, FakeSlack

CHECKS = ["database", "slack token", "slack scopes", "slack app token", "slack signing secret",
          "seam key", "doors", "alert channel", "grants", "seam events", "schedules",
          "pending locks"]  # fmt: skip
WRONG_BOT_TOKEN = "xoxb-wrong-token-0042"
WRONG_APP_TOKEN = "xapp-wrong-token-0042"
WRONG_SEAM_KEY = "seam_wrong_key"
SECRETS = [BOT_TOKEN, TEST_APP_TOKEN, API_KEY, SIGNING_SECRET, WRONG_BOT_TOKEN,
           WRONG_APP_TOKEN, WRONG_SEAM_KEY]  # fmt: skip


def doctor_cli(tmp_path: Path, name: str, env: dict[str, str]) -> Cli:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    cwd = tmp_path / name  # no .env, and no stray lockbot.db
    cwd.mkdir()
    return Cli(clean | env, cwd)


def by_check(result: Result) -> dict[str, str]:
    """`name` → its line, for every line of the text report."""
    found: dict[str, str] = {}
    for line in lines(result.out):
        mark, _, rest = line.partition(" ")
        assert mark in ("✓", "✗"), line
        found[rest.split(":", 1)[0]] = line
    return found


def assert_no_secrets(*results: Result) -> None:
    for result in results:
        for secret in SECRETS:
            assert secret not in result.out and secret not in result.err, secret
        assert "Traceback" not in result.err


async def test_doctor_all_green_then_each_check_failing(
    database_url: str, seam: SeamProxy, slack: FakeSlack, tmp_path: Path
) -> None:
    await seed_doors(database_url)  # doors on AUGUST_1, AUGUST_2, SCHLAGE; grants to U1, SNIGHT
    good = bot_env(database_url, seam.url, slack.api_url, SLACK_APP_TOKEN=TEST_APP_TOKEN)

    text, as_json = await asyncio.gather(
        lockbot("doctor", cli=doctor_cli(tmp_path, "text", good)),
        lockbot("doctor", "--json", cli=doctor_cli(tmp_path, "json", good)),
    )
    assert text.code == 0, text.out + text.err
    checks = by_check(text)
    assert list(checks) == CHECKS
    assert all(line.startswith("✓ ") for line in checks.values()), text.out
    assert checks["doors"] == "✓ doors: Seam knows the lock of every door (3)"
    assert "@lockbot (UBOT) in Test (T1)" in checks["slack token"]
    assert as_json.code == 0, as_json.err
    report = json.loads(as_json.out)
    assert report["ok"] is True
    assert [c["name"] for c in report["checks"]] == CHECKS
    assert all(c["ok"] and c["detail"] and c["fix"] == "" for c in report["checks"])
    # The alert-channel probe leaves nothing behind: each test message was deleted again.
    posted = sorted(c.response["ts"] for c in slack.messages(ALERTS) if c.response)
    deleted = sorted(c.args["ts"] for c in slack.calls_to("chat.delete") if not c.failed)
    assert len(posted) == 2 and posted == deleted
    # Every user and group in a grant was looked up.
    assert {c.args["user"] for c in slack.calls_to("users.info")} == {"U1"}
    assert {c.args["usergroup"] for c in slack.calls_to("usergroups.users.list")} == {"SNIGHT"}

    # Run A: the credentials work, the world they describe does not.
    db = Database(database_url)
    async with db.session() as session:
        await add_door(session, "Side Door", "august_device_gone")
        await grant(session, "U0GONE", "Front Door")
        await grant(session, "W0LEFT", "*")
        await grant(session, "S0GONE", "Back Door")
        await session.commit()
    await db.close()
    slack.scopes.discard("users:read")
    slack.unknown_users.add("U0GONE")
    slack.deleted_users.add("W0LEFT")
    slack.fail("chat.postMessage", error="channel_not_found", channel="CGONE", times=9)
    world = doctor_cli(tmp_path, "world", good | {"LOCKBOT_ALERT_CHANNEL": "CGONE"})

    # Run B: every credential is wrong or missing, the database was never migrated, no alert
    # channel; checked for `lockbot serve --http`, which needs the signing secret.
    fresh = tmp_path / "fresh.db"
    fresh.touch()  # an empty SQLite database: reachable, no schema
    creds = {k: v for k, v in good.items() if k != "LOCKBOT_ALERT_CHANNEL"} | {
        "DATABASE_URL": f"sqlite:///{fresh}",
        "SLACK_BOT_TOKEN": WRONG_BOT_TOKEN,
        "SLACK_APP_TOKEN": WRONG_APP_TOKEN,
        "SEAM_API_KEY": WRONG_SEAM_KEY,
        "SLACK_SIGNING_SECRET": "",
    }
    a, b, b_json = await asyncio.gather(
        lockbot("doctor", cli=world),
        lockbot("doctor", "--http", cli=doctor_cli(tmp_path, "creds", creds)),
        lockbot("doctor", "--http", "--json", cli=doctor_cli(tmp_path, "creds-json", creds)),
    )

    assert a.code == 1, a.out + a.err
    checks = by_check(a)
    assert list(checks) == CHECKS
    for ok in ("database", "slack token", "slack app token", "seam key"):
        assert checks[ok].startswith("✓ "), checks[ok]
    assert checks["slack scopes"] == (
        "✗ slack scopes: the bot token lacks users:read — add them in the app's OAuth & "
        "Permissions (or recreate from manifest.yml) and reinstall the app"
    )
    assert checks["doors"].startswith("✗ doors: ")
    assert "Side Door (august_device_gone)" in checks["doors"]
    assert "Front Door" not in checks["doors"]
    assert "— run `lockbot doors sync`, which marks them missing" in checks["doors"]
    assert checks["alert channel"].startswith("✗ alert channel: ")
    assert "CGONE (channel_not_found) — check the channel ID" in checks["alert channel"]
    assert checks["grants"].startswith(
        "✗ grants: unknown user group: S0GONE (door Back Door); unknown Slack user: U0GONE "
        "(door Front Door); deleted Slack user: W0LEFT (door *)"
    )
    assert checks["grants"].endswith("— take them back with `lockbot revoke SUBJECT DOOR`")
    assert "U1" not in checks["grants"] and "SNIGHT" not in checks["grants"]

    assert b.code == 1, b.out + b.err
    checks = by_check(b)
    assert list(checks) == CHECKS
    assert all(line.startswith("✗ ") for line in checks.values()), b.out
    assert "schema is not current" in checks["database"]
    assert "— run `lockbot db upgrade`" in checks["database"]
    assert (
        "(invalid_auth) — set SLACK_BOT_TOKEN to the Bot User OAuth Token" in checks["slack token"]
    )
    assert checks["slack scopes"] == "✗ slack scopes: not checked: the bot token does not work"
    assert (
        "SLACK_APP_TOKEN (invalid_auth) — set SLACK_APP_TOKEN to an app-level token (xapp-…)"
        in (checks["slack app token"])
    )
    assert (
        "Seam rejected SEAM_API_KEY — create an API key in the Seam console" in checks["seam key"]
    )
    assert "not checked: Seam unreachable; the database is not ready" in checks["doors"]
    assert (
        "LOCKBOT_ALERT_CHANNEL is not set; failures will only show in threads — set"
        in (checks["alert channel"])
    )
    assert "not checked: the database is not ready" in checks["grants"]

    assert b_json.code == 1, b_json.err
    report = json.loads(b_json.out)
    assert report["ok"] is False
    assert [(c["name"], c["ok"]) for c in report["checks"]] == [(n, False) for n in CHECKS]
    assert {c["name"]: c["fix"] for c in report["checks"]}["database"].startswith(
        "run `lockbot db upgrade`"
    )
    assert_no_secrets(text, as_json, a, b, b_json)
    with closing(sqlite3.connect(fresh)) as conn:  # doctor only looked: still no schema
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []


async def test_doctor_wants_the_signing_secret_wherever_slack_requests_come_over_http(
    database_url: str, seam: SeamProxy, slack: FakeSlack, tmp_path: Path
) -> None:
    """`lockbot serve` takes Slack's requests over HTTP without SLACK_APP_TOKEN, and with
    --http; only Socket Mode (an app token, no --http) can do without the secret."""
    no_secret = bot_env(database_url, seam.url, slack.api_url, SLACK_SIGNING_SECRET="")
    socket = no_secret | {"SLACK_APP_TOKEN": TEST_APP_TOKEN}
    http, forced, socket_mode, blank = await asyncio.gather(
        lockbot("doctor", cli=doctor_cli(tmp_path, "http", no_secret)),
        lockbot("doctor", "--http", cli=doctor_cli(tmp_path, "forced", socket)),
        lockbot("doctor", cli=doctor_cli(tmp_path, "socket", socket)),
        lockbot(
            "doctor", cli=doctor_cli(tmp_path, "blank", no_secret | {"SLACK_SIGNING_SECRET": "   "})
        ),
    )
    for result in (http, forced, blank):
        assert result.code == 1, result.out + result.err
        assert by_check(result)["slack signing secret"] == (
            "✗ slack signing secret: SLACK_SIGNING_SECRET is not set, so `lockbot serve` would "
            "refuse to start in HTTP mode — copy the Signing Secret from the Slack app's Basic "
            "Information page (App Credentials) into SLACK_SIGNING_SECRET; or, for Socket Mode, "
            "set SLACK_APP_TOKEN and serve without --http"
        )
    assert socket_mode.code == 0, socket_mode.out + socket_mode.err
    assert by_check(socket_mode)["slack signing secret"] == (
        "✓ slack signing secret: not needed in Socket Mode (`lockbot serve --http` would need it)"
    )
