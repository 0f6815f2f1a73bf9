"""bot.history on a real database: last outcome per door, recent requests, who sees what."""

from __future__ import annotations

from datetime import timedelta

from bot.access import AccessPolicy, grant
from bot.db import Database
from bot.door_admin import add_door
from bot.history import last_outcomes, recent_requests, visible_doors
from bot.models import LockRequest, LockStatus, utcnow


class Groups:
    def __init__(self, groups: dict[str, frozenset[str]]) -> None:
        self.groups = groups

    async def members(self, group_id: str) -> frozenset[str]:
        return self.groups.get(group_id, frozenset())


async def three_doors(db: Database) -> tuple[int, int, int]:
    async with db.session() as s:
        front = await add_door(s, "Front Door", "d1")
        back = await add_door(s, "Back Door", "d2")
        garage = await add_door(s, "Garage", "d3")
        await s.commit()
    assert front.id and back.id and garage.id
    return front.id, back.id, garage.id


async def record(db: Database, *rows: tuple[int | None, LockStatus, str]) -> list[LockRequest]:
    """Rows (door, status, user) a second apart, oldest first."""
    start = utcnow() - timedelta(hours=1)
    made = []
    async with db.session() as s:
        for i, (door_id, status, user) in enumerate(rows):
            at = start + timedelta(seconds=i)
            row = LockRequest(
                source="slack",
                user_id=user,
                text=f"door {door_id}",
                door_id=door_id,
                door_name=None if door_id is None else f"door {door_id}",
                status=status,
                created_at=at,
                finished_at=None if status is LockStatus.PENDING else at + timedelta(seconds=1),
            )
            s.add(row)
            made.append(row)
        await s.commit()
    return made


async def test_last_outcome_is_the_latest_request_that_reached_seam(db: Database) -> None:
    front, back, garage = await three_doors(db)
    rows = await record(
        db,
        (front, LockStatus.FAILED, "U1"),
        (front, LockStatus.LOCKED, "U1"),
        (front, LockStatus.DENIED, "U2"),  # never reached Seam: says nothing about the door
        (back, LockStatus.LOCKED, "U1"),
        (back, LockStatus.TIMED_OUT, "U1"),
        (None, LockStatus.REJECTED, "U2"),
    )
    async with db.session() as s:
        every = await last_outcomes(s)
        only_front = await last_outcomes(s, {front, garage})
        none = await last_outcomes(s, set())
    assert {door: row.id for door, row in every.items()} == {front: rows[1].id, back: rows[4].id}
    assert every[back].status is LockStatus.TIMED_OUT
    assert list(only_front) == [front]
    assert none == {}


async def test_a_pending_request_is_the_doors_latest_state(db: Database) -> None:
    front, _, _ = await three_doors(db)
    await record(db, (front, LockStatus.LOCKED, "U1"), (front, LockStatus.PENDING, "U2"))
    async with db.session() as s:
        assert (await last_outcomes(s, [front]))[front].status is LockStatus.PENDING


async def test_recent_requests_newest_first_filtered_and_limited(db: Database) -> None:
    front, back, garage = await three_doors(db)
    rows = await record(
        db,
        (front, LockStatus.LOCKED, "U1"),
        (garage, LockStatus.LOCKED, "U7"),
        (back, LockStatus.FAILED, "U1"),
        (None, LockStatus.REJECTED, "U2"),
        (front, LockStatus.DENIED, "U2"),
    )
    ids = [r.id for r in rows]
    async with db.session() as s:
        mine = await recent_requests(s, {front, back}, 10)
        everything = await recent_requests(s, None, 10)
        two = await recent_requests(s, None, 2)
        nothing = await recent_requests(s, set(), 10)
    assert [r.id for r in mine] == [ids[4], ids[2], ids[0]]
    assert [r.id for r in everything] == ids[::-1]  # the door-less request included
    assert [r.id for r in two] == [ids[4], ids[3]]
    assert nothing == []


async def test_visibility_follows_who_may_lock(db: Database) -> None:
    front, back, garage = await three_doors(db)
    async with db.session() as s:
        await grant(s, "U1", "Front Door")
        await grant(s, "U1", "Back Door")
        await grant(s, "SNIGHT", "Garage")
        await grant(s, "USTAR", "*")
        await grant(s, "UBOSS", None)  # admin by grant
        await s.commit()
    policy = AccessPolicy(admins={"UADMIN"}, groups=Groups({"SNIGHT": frozenset({"U7"})}))
    async with db.session() as s:
        assert await visible_doors(s, policy, "U1") == {front, back}
        assert await visible_doors(s, policy, "U7") == {garage}
        assert await visible_doors(s, policy, "UNOBODY") == set()
        # Every door, but not the names others typed that matched none.
        assert await visible_doors(s, policy, "USTAR") == {front, back, garage}
        assert await visible_doors(s, policy, "UADMIN") is None
        assert await visible_doors(s, policy, "UBOSS") is None
