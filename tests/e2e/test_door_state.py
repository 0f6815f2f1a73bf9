"""A door's state is the newest fact, whoever told it: `/lock list` after lockbot's own lock, a
Seam event (a keypad unlock, signed and posted to the webhook like Seam's), an old event replayed
late, and `/lock status` reading the lock live. The fake's device is changed through its harness
as the lock itself would change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import select

from bot.db import Database
from bot.models import LockRequest, LockStatus, utcnow
from tests.e2e.conftest import LiveBot, assert_all_final, followed_up, set_locked
from tests.e2e.test_seam_webhook import post_event, seam_event, with_secret
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.slack_api import FakeSlack


async def front_door(live: LiveBot, user_id: str = "U1") -> str:
    """Front Door's line of `/lock list`."""
    sent = await live.command("list", user_id=user_id)
    assert sent.response.status_code == 200
    [line] = [x for x in sent.response.json()["text"].splitlines() if "*Front Door*" in x]
    return line


async def backdate(database_url: str, hours: float) -> None:
    """As if every lock request had happened `hours` ago."""
    db = Database(database_url)
    async with db.session() as s:
        for row in (await s.exec(select(LockRequest))).all():
            row.created_at -= timedelta(hours=hours)
            assert row.finished_at is not None
            row.finished_at -= timedelta(hours=hours)
            s.add(row)
        await s.commit()
    await db.close()


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def unlocked_by_keypad(live: LiveBot, lock: httpx.AsyncClient, minutes: float) -> None:
    """Someone opens Front Door with its keypad; Seam tells the webhook."""
    await set_locked(lock, False)
    at = stamp(utcnow() - timedelta(minutes=minutes))
    event = seam_event("lock.unlocked", method="keycode", occurred_at=at, created_at=at)
    response = await post_event(live.http, event)
    assert response.json() == {"ok": True, "outcome": "relayed"}


@with_secret
async def test_list_tells_the_newest_fact_and_who_told_it(
    live: LiveBot, database_url: str, lock_itself: httpx.AsyncClient, slack: FakeSlack
) -> None:
    assert (await live.command("front door")).response.status_code == 200
    [row] = await assert_all_final(database_url)
    assert row.status is LockStatus.LOCKED
    await backdate(database_url, hours=2)
    assert (
        await front_door(live) == "🔒 *Front Door* (also `main`): locked by lockbot (<@U1>) 2 h ago"
    )

    await unlocked_by_keypad(live, lock_itself, minutes=5)
    assert await front_door(live) == "🔓 *Front Door* (also `main`): unlocked by keypad 5 min ago"

    # A lock by hand from before the unlock, delivered only now (a retried webhook), is old news.
    at = stamp(utcnow() - timedelta(minutes=30))
    late = seam_event("lock.locked", method="manual", occurred_at=at, created_at=at)
    assert (await post_event(live.http, late)).json()["outcome"] == "relayed"
    assert await front_door(live) == "🔓 *Front Door* (also `main`): unlocked by keypad 5 min ago"

    # Someone locks it by hand and Seam's event never comes: a live read finds out.
    await set_locked(lock_itself, True)
    _, status = await followed_up(live, slack, "status front door")
    assert status.startswith("🔒 *Front Door*: locked · online"), status
    assert await front_door(live) == "🔒 *Front Door* (also `main`): locked (checked live) just now"


@with_secret
async def test_lockbots_own_try_is_told_with_the_state_it_found(
    live: LiveBot, seam: SeamProxy, database_url: str, lock_itself: httpx.AsyncClient
) -> None:
    await unlocked_by_keypad(live, lock_itself, minutes=5)
    seam.hold_attempts = True
    await live.command("front door")
    attempt = await seam.wait_for_attempt()
    assert await front_door(live) == (
        "⏳ *Front Door* (also `main`): being locked now (asked by <@U1>) · "
        "was unlocked by keypad 5 min ago"
    )
    await seam.resolve(attempt, "error", ("device_offline", "Device is offline"))
    await assert_all_final(database_url)
    # The failure is newer than the unlock, and says nothing against it.
    assert await front_door(live) == (
        "🔓 *Front Door* (also `main`): unlocked by keypad 5 min ago · "
        "❌ then lockbot's lock failed just now (`device_offline`)"
    )
