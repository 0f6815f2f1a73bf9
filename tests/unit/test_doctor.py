"""The doctor's pieces that need no services: scopes, rendering, and failing without raising."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot.config import Settings
from bot.db import migrate
from bot.doctor.all_checks import Doctor, run_checks
from bot.doctor.checks import Check, render, report, settings_check
from bot.slack.scopes import REQUIRED_BOT_SCOPES

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def settings(**env: str) -> Settings:
    return Settings(_env_file=None, **env)  # type: ignore[call-arg]


def test_manifest_asks_for_exactly_the_required_bot_scopes() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == REQUIRED_BOT_SCOPES
    assert "users:read" in REQUIRED_BOT_SCOPES


def test_render_and_report() -> None:
    good = Check("database", True, "fine")
    bad = Check("doors", False, "Back Door is gone", "re-add it")
    bare = Check("slack scopes", False, "not checked")
    assert render(good) == "✓ database: fine"
    assert render(bad) == "✗ doors: Back Door is gone — re-add it"
    assert render(bare) == "✗ slack scopes: not checked"
    assert report([good]) == {
        "ok": True,
        "checks": [{"name": "database", "ok": True, "detail": "fine", "fix": ""}],
    }
    assert report([good, bad])["ok"] is False


async def test_nothing_configured_fails_every_check_without_calls_or_files(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "nowhere.db"
    checks = await run_checks(settings(DATABASE_URL=f"sqlite:///{missing}",
                                       SLACK_API_URL="http://127.0.0.1:9/api/",
                                       SEAM_ENDPOINT="http://127.0.0.1:9"))  # fmt: skip
    by_name = {c.name: c for c in checks}
    assert list(by_name) == ["database", "slack token", "slack scopes", "slack signing secret",
                             "seam key", "doors", "alert channel", "grants", "seam events",
                             "schedules", "pending locks"]  # fmt: skip
    assert not any(c.ok for c in checks)
    assert "does not exist yet" in by_name["database"].detail
    assert "lockbot db upgrade" in by_name["database"].fix
    assert not missing.exists()  # looking did not create an empty database
    assert by_name["slack token"].detail == "SLACK_BOT_TOKEN is not set"
    assert by_name["seam key"].detail == "SEAM_API_KEY is not set"
    assert by_name["slack signing secret"].detail.startswith("SLACK_SIGNING_SECRET is not set")


async def test_unreachable_services_and_bad_urls_become_readable_failures(tmp_path: Path) -> None:
    checks = await run_checks(settings(DATABASE_URL="mysql://u:hunter2pass@db/x",
                                       SLACK_BOT_TOKEN="xoxb-unit-secret",
                                       SLACK_API_URL="http://127.0.0.1:9/api/",
                                       SEAM_API_KEY="seam_unit_secret",
                                       SEAM_ENDPOINT="http://127.0.0.1:9",
                                       LOCKBOT_SEAM_TIMEOUT="2"))  # fmt: skip
    by_name = {c.name: c for c in checks}
    assert "unsupported DATABASE_URL backend 'mysql'" in by_name["database"].detail
    assert by_name["slack token"].detail.startswith("cannot reach Slack at http://127.0.0.1:9")
    assert "listing locks failed" in by_name["seam key"].detail
    assert "SEAM_ENDPOINT" in by_name["seam key"].fix
    for check in checks:
        text = render(check)
        assert "hunter2pass" not in text and "unit_secret" not in text and "unit-secret" not in text


async def test_a_check_that_raises_is_a_failure_with_its_secrets_scrubbed() -> None:
    doctor = Doctor(settings(SLACK_BOT_TOKEN="xoxb-very-secret"))

    async def boom() -> Check:
        raise RuntimeError("token xoxb-very-secret\nwas refused")

    check = await doctor.guarded("slack token", boom)
    assert check == Check("slack token", False, "unexpected error: RuntimeError: token [redacted]")


def test_settings_that_do_not_load_name_the_variable_not_its_value() -> None:
    with pytest.raises(ValidationError) as raised:
        settings(PORT="not-a-port", SLACK_BOT_TOKEN="xoxb-kept-secret")
    check = settings_check(raised.value)
    assert not check.ok and check.detail.startswith("the configuration does not load: PORT: ")
    assert "not-a-port" not in check.detail and "kept-secret" not in render(check)


async def test_grants_of_deleted_doors_are_reported(tmp_path: Path) -> None:
    """The foreign key cascades, but a database edited by hand can still hold orphans."""
    path = tmp_path / "orphans.db"
    url = f"sqlite:///{path}"
    migrate(url)
    with closing(sqlite3.connect(path)) as conn:  # foreign keys are off in a plain connection
        conn.execute("INSERT INTO door (id, name, key, device_id, created_at) "
                     "VALUES (1, 'Gone', 'gone', 'd1', '2024-01-01 00:00:00')")  # fmt: skip
        conn.execute("INSERT INTO access_grant (subject, door_id, created_at) "
                     "VALUES ('U1', 1, '2024-01-01 00:00:00')")  # fmt: skip
        conn.execute("DELETE FROM door")
        conn.commit()
    doctor = Doctor(settings(DATABASE_URL=url))
    try:
        assert (await doctor.database()).ok
        check = await doctor.grants()
    finally:
        await doctor.close()
    assert not check.ok
    assert check.detail == "1 grant names a door that no longer exists (U1)"
    assert "DELETE FROM access_grant" in check.fix


async def test_events_say_how_device_news_arrives(tmp_path: Path) -> None:
    base = {"SEAM_API_KEY": "seam_key", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}

    async def events(**env: str) -> Check:
        doctor = Doctor(settings(**base, **env))
        doctor.locks = []  # as if the seam key check had listed them
        return await doctor.seam_events()

    webhook = await events(SEAM_WEBHOOK_SECRET="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert webhook.ok and webhook.detail == "by webhook at POST /seam/webhook (HTTP mode)"
    polling = await events()
    assert polling.ok and polling.detail == "polling Seam's event log every 5 s"
    off = await events(LOCKBOT_EVENTS_POLL="0")
    assert off.ok and off.detail.startswith("off")
    broken = await events(SEAM_WEBHOOK_SECRET="whsec_%%%")
    assert not broken.ok and "whsec_" in broken.fix
    unheard = await Doctor(settings(**base)).seam_events()  # the key check found no locks
    assert not unheard.ok and "SEAM_API_KEY" in unheard.detail


async def test_schedules_say_whether_anyone_will_run_them(database_url: str) -> None:
    from bot.db import Database
    from bot.leadership import leadership_for
    from bot.models import Schedule

    db = Database(database_url)
    async with db.session() as s:
        s.add(Schedule(target="Front Door", cron="0 22 * * *", timezone="UTC",
                       channel_id="C1", created_by="U1"))  # fmt: skip
        await s.commit()
    await db.close()
    doctor = Doctor(settings(DATABASE_URL=database_url))
    try:
        assert (await doctor.database()).ok
        alone = await doctor.schedules()
        if not database_url.startswith("postgresql"):
            assert alone.ok and alone.detail.startswith("1 active schedule;")
            return
        assert not alone.ok and "none will run" in alone.detail
        leader = leadership_for(database_url)
        assert await leader.try_lead()
        try:
            led = await doctor.schedules()
            assert led.ok and "a running replica leads" in led.detail
        finally:
            await leader.close()
    finally:
        await doctor.close()


async def test_pending_locks_nobody_carries_out_are_reported(database_url: str) -> None:
    from datetime import timedelta

    from bot.db import Database
    from bot.models import LockRequest, utcnow

    db = Database(database_url)
    doctor = Doctor(settings(DATABASE_URL=database_url, LOCKBOT_LEASE="15"))
    try:
        assert (await doctor.database()).ok
        assert (await doctor.pending_locks()).ok
        now = utcnow()
        async with db.session() as s:
            # One a running bot holds; one whose bot stopped renewing a minute ago.
            s.add(LockRequest(source="slack", user_id="U1", text="a", owner="live",
                              lease_until=now + timedelta(seconds=10)))  # fmt: skip
            s.add(LockRequest(source="slack", user_id="U1", text="b", owner="gone",
                              lease_until=now - timedelta(minutes=1)))  # fmt: skip
            await s.commit()
        stranded = await doctor.pending_locks()
        assert not stranded.ok
        assert stranded.detail.startswith("1 lock request acked but not carried out")
        assert "lockbot serve" in stranded.fix
    finally:
        await doctor.close()
        await db.close()
