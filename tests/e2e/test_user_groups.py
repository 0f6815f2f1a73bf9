"""User-group grants end to end, with Slack's `usergroups.users.list` slow or failing: the look-up
happens before the request's write, so a slow Slack holds up only the member who waits on it,
and a failing one is asked once per group and half minute, its members told why they were
turned away.

The seed: U1 may lock Front Door and Back Door directly; the SNIGHT user group (U7) may lock
Garage.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.models import LockStatus
from tests.e2e.conftest import LiveBot, lock_rows
from tests.fakes.slack_api import FakeSlack

GROUP_CALL = "usergroups.users.list"
UNCHECKED = (
    "🚫 I couldn't reach Slack to check your user groups, so I can't tell whether you may lock "
    "*Garage*. Nothing was locked; try again in a minute."
)


async def test_a_slow_user_group_look_up_holds_up_no_one_else(
    live: LiveBot, slack: FakeSlack, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Here the gate alone decides when Slack answers, not the bot's own patience with it.
    monkeypatch.setattr(live.bot.runtime.service.access.groups, "wait_s", 60.0)
    gate = slack.hold(GROUP_CALL)
    member = asyncio.create_task(live.command("garage", user_id="U7"))
    await gate.arrived()  # U7's /lock is waiting on Slack now

    # U1's direct grant needs no Slack: acked, and its row committed, while U7 still waits.
    direct = await live.command("front door", user_id="U1")
    assert direct.response.status_code == 200 and direct.response.text == ""
    rows = await lock_rows(database_url)
    assert [(r.user_id, r.door_name) for r in rows] == [("U1", "Front Door")]
    assert rows[0].status in (LockStatus.PENDING, LockStatus.LOCKED)
    assert gate.waiting == 1 and not member.done()

    # Another member asking meanwhile shares the one call in flight.
    second = asyncio.create_task(live.command("garage", user_id="U7"))
    gate.release()
    for sent in await asyncio.gather(member, second):
        assert sent.response.status_code == 200
    assert len(slack.calls_to(GROUP_CALL)) == 1
    update = await slack.wait_for(
        lambda c: c.method == "chat.update" and "*Garage* is locked" in c.args.get("text", "")
    )
    assert "Asked by <@U7>" in update.args["text"]
    garage = [r for r in await lock_rows(database_url) if r.door_name == "Garage"]
    assert len(garage) == 2 and all(r.status is not LockStatus.DENIED for r in garage)


async def test_a_failing_slack_is_asked_once_and_members_are_told_why(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    slack.fail(GROUP_CALL, error="fatal_error", times=99)
    first = (await live.command("garage", user_id="U7")).response.json()
    assert first["text"] == UNCHECKED
    assert len(slack.calls_to(GROUP_CALL)) == 1

    # Within the failure's half minute, more members (at once, too) don't ask Slack again.
    more = await asyncio.gather(*(live.command("garage", user_id="U7") for _ in range(5)))
    assert [m.response.json()["text"] for m in more] == [UNCHECKED] * 5
    assert len(slack.calls_to(GROUP_CALL)) == 1

    rows = await lock_rows(database_url)
    assert {(r.status, r.error_type) for r in rows} == {(LockStatus.DENIED, "groups_unchecked")}
    assert len(rows) == 6
    # Someone with a direct grant is not affected at all.
    assert (await live.command("front door", user_id="U1")).response.text == ""
    assert len(slack.calls_to(GROUP_CALL)) == 1


async def test_a_member_is_answered_while_slack_still_holds_the_look_up(
    live: LiveBot, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # How long a command waits on Slack (2 s, for Slack's 3 s ack), shortened for the test.
    monkeypatch.setattr(live.bot.runtime.service.access.groups, "wait_s", 0.1)
    gate = slack.hold(GROUP_CALL)
    sent = await live.command("garage", user_id="U7")
    assert sent.response.json()["text"] == UNCHECKED
    assert gate.waiting == 1  # answered while Slack still had not

    # The call went on, and its answer is kept: the next try needs no new call.
    gate.release()
    await slack.wait_for(lambda c: c.method == GROUP_CALL and c.response is not None)
    assert (await live.command("garage", user_id="U7")).response.text == ""
    assert len(slack.calls_to(GROUP_CALL)) == 1
