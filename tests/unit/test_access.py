from bot.access import (
    AccessError,
    AccessPolicy,
    Membership,
    grant,
    list_grants,
    revoke,
    valid_subject,
)
from bot.db import Database
from bot.door_admin import add_door
from bot.models import Rejection
from bot.ports import GroupLookupError
from tests.support.refusals import refused


class Groups:
    def __init__(self, groups: dict[str, frozenset[str]]) -> None:
        self.groups = groups
        self.asked: list[str] = []

    async def members(self, group_id: str) -> frozenset[str]:
        self.asked.append(group_id)
        return self.groups.get(group_id, frozenset())


async def doors(db: Database) -> tuple[int, int]:
    async with db.session() as s:
        front = await add_door(s, "Front Door", "d1")
        back = await add_door(s, "Back Door", "d2")
        await s.commit()
    assert front.id and back.id
    return front.id, back.id


def test_subjects_must_be_slack_ids() -> None:
    assert valid_subject("U012ABC") is None
    assert valid_subject("W012ABC") is None
    assert valid_subject("S012ABC") is None
    for bad in ("bob", "@bob", "u012abc", "C012ABC", ""):
        assert valid_subject(bad) is not None


async def test_deny_by_default_and_direct_grant(db: Database) -> None:
    front, back = await doors(db)
    policy = AccessPolicy(admins=set(), groups=Groups({}))
    async with db.session() as s:
        assert not await policy.may_lock(s, "U1", front)
        assert await grant(s, "U1", "front door")
        assert not await grant(s, "U1", "FRONT-DOOR"), "a second identical grant is a no-op"
        assert await policy.may_lock(s, "U1", front)
        assert not await policy.may_lock(s, "U1", back)
        assert not await policy.may_lock(s, "U2", front)


async def test_star_grant_covers_every_door_and_is_not_duplicated(db: Database) -> None:
    front, back = await doors(db)
    policy = AccessPolicy(admins=set(), groups=Groups({}))
    async with db.session() as s:
        assert await grant(s, "U1", "*")
        assert not await grant(s, "U1", "*")
        assert await policy.may_lock(s, "U1", front) and await policy.may_lock(s, "U1", back)
        assert await list_grants(s) == [("U1", "*")]
        assert await revoke(s, "U1", "*")
        assert not await policy.may_lock(s, "U1", front)


async def test_group_grant_asks_slack_only_when_needed(db: Database) -> None:
    front, _ = await doors(db)
    groups = Groups({"S1": frozenset({"U7"})})
    policy = AccessPolicy(admins=set(), groups=groups)
    async with db.session() as s:
        await grant(s, "S1", "Front Door")
        await grant(s, "U8", "Front Door")
        await s.commit()
        assert await policy.may_lock(s, "U7", front)
        assert not await policy.may_lock(s, "U9", front)
        asked_before = len(groups.asked)
        assert await policy.may_lock(s, "U8", front)
        assert len(groups.asked) == asked_before, "a direct grant needs no group lookup"


class Unreachable(Groups):
    async def members(self, group_id: str) -> frozenset[str]:
        self.asked.append(group_id)
        raise GroupLookupError(group_id, "fatal_error")


async def test_membership_asks_only_the_groups_that_could_decide(db: Database) -> None:
    front, back = await doors(db)
    groups = Groups({"S1": frozenset({"U7"}), "S2": frozenset({"U7"})})
    policy = AccessPolicy(admins=set(), groups=groups)
    async with db.session() as s:
        await grant(s, "U1", "Front Door")
        await grant(s, "S1", "Front Door")
        await grant(s, "S2", "Back Door")
        await s.commit()
    # U1's own grant decides Front Door: Slack is not asked at all.
    assert await policy.membership(db, "U1", "front door") == Membership("U1")
    assert groups.asked == []
    # U7 locking Front Door: only S1 could allow it, so only S1 is asked.
    seven = await policy.membership(db, "U7", "front door")
    assert seven == Membership("U7", frozenset({"S1"})) and groups.asked == ["S1"]
    async with db.session() as s:
        assert await policy.may_lock(s, "U7", front, seven)
        # Not asked about S2, so for Back Door U7 counts as outside it: deny by default.
        assert not await policy.may_lock(s, "U7", back, seven)
    assert groups.asked == ["S1"], "a check with a membership never asks Slack"
    # An unknown name, or an operator, needs nobody asked.
    assert await policy.membership(db, "U7", "attic") == Membership("U7")
    assert await policy.membership(db, "cli:alice", "back door") == Membership("cli:alice")
    assert groups.asked == ["S1"]


async def test_an_unreachable_directory_denies_and_says_why(db: Database) -> None:
    front, _ = await doors(db)
    policy = AccessPolicy(admins=set(), groups=Unreachable({}))
    async with db.session() as s:
        await grant(s, "S1", "Front Door")
        await s.commit()
    membership = await policy.membership(db, "U7", "front door")
    assert membership == Membership("U7", unchecked=frozenset({"S1"}))
    async with db.session() as s:
        verdict = await policy.may_lock(s, "U7", front, membership)
        assert not verdict and verdict.reason is Rejection.GROUPS_UNCHECKED
        live = await policy.may_lock(s, "U7", front)
        assert not live and live.reason is Rejection.GROUPS_UNCHECKED
        await grant(s, "U8", "Front Door")
        assert (await policy.may_lock(s, "U9", front, Membership("U9"))).reason == "not_allowed"


async def test_admins_may_lock_anything(db: Database) -> None:
    front, _ = await doors(db)
    policy = AccessPolicy(admins={"UADMIN"}, groups=Groups({}))
    async with db.session() as s:
        assert await policy.may_lock(s, "UADMIN", front)


async def test_grant_errors_are_clear(db: Database) -> None:
    await doors(db)
    async with db.session() as s:
        with refused(AccessError, match="not a Slack ID"):
            await grant(s, "bob", "Front Door")
            await s.commit()
        with refused(AccessError, match="no door or group is called"):
            await grant(s, "U1", "Attic")
            await s.commit()
        assert not await revoke(s, "U1", "Front Door")
