"""SlackGroups, the GroupDirectory on Slack's `usergroups.users.list`, against the fake Slack:
answers and failures are cached, concurrent asks share one call, a slow call is not waited
for past `wait_s` but still fills the cache."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import GroupLookupError
from bot.slack.usergroups import SlackGroups
from tests.fakes.slack_api import TEST_TOKEN, FakeSlack

CALL = "usergroups.users.list"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(groups={"S1": ["U1", "U2"]}) as fake:
        yield fake


def directory(slack: FakeSlack, **kwargs: float) -> SlackGroups:
    return SlackGroups(AsyncWebClient(token=TEST_TOKEN, base_url=slack.api_url), **kwargs)


async def test_members_are_cached_and_a_deleted_group_has_none(slack: FakeSlack) -> None:
    groups = directory(slack)
    assert await groups.members("S1") == {"U1", "U2"}
    assert await groups.members("S1") == {"U1", "U2"}
    assert await groups.members("SGONE") == frozenset()  # no_such_subteam: a definite answer
    assert [c.args["usergroup"] for c in slack.calls_to(CALL)] == ["S1", "SGONE"]


async def test_a_failure_is_remembered_for_failure_ttl_s(slack: FakeSlack) -> None:
    slack.fail(CALL, error="fatal_error", times=3)
    remembered = directory(slack)
    for _ in range(3):
        with pytest.raises(GroupLookupError, match="fatal_error"):
            await remembered.members("S1")
    assert len(slack.calls_to(CALL)) == 1
    forgetful = directory(slack, failure_ttl_s=0.0)  # each ask after the window asks again
    for _ in range(2):
        with pytest.raises(GroupLookupError):
            await forgetful.members("S1")
    assert len(slack.calls_to(CALL)) == 3


async def test_concurrent_asks_share_one_call_and_a_slow_one_fills_the_cache(
    slack: FakeSlack,
) -> None:
    gate = slack.hold(CALL)
    groups = directory(slack, wait_s=60.0)
    asks = [asyncio.create_task(groups.members("S1")) for _ in range(5)]
    await gate.arrived()
    gate.release()
    assert await asyncio.gather(*asks) == [{"U1", "U2"}] * 5
    assert len(slack.calls_to(CALL)) == 1

    slow = slack.hold(CALL)
    impatient = directory(slack, wait_s=0.05)
    with pytest.raises(GroupLookupError, match="did not answer"):
        await impatient.members("S1")
    assert slow.waiting == 1
    slow.release()
    # The call went on: the next ask takes its answer (in flight or cached), asking no more.
    impatient.wait_s = 60.0
    assert await impatient.members("S1") == {"U1", "U2"}
    assert len(slack.calls_to(CALL)) == 2
