"""`bot.names.resolve`: the one answer to "which door or group did they mean?"."""

from bot.db import Database
from bot.door_admin import add_door
from bot.door_groups import add_group
from bot.models import Door, DoorGroup
from bot.names import Unknown, covered_doors, lookup, resolve


async def seeded(db: Database) -> None:
    async with db.session() as s:
        await add_door(s, "Front Door", "dev-1", ["main"])
        await add_door(s, "Back Door", "dev-2")
        await add_door(s, "Garage", "dev-3")
        await add_group(s, "Floor 2", ["Garage", "Front Door"])
        await s.commit()


async def test_a_door_is_found_by_any_spelling_of_its_name_or_alias(db: Database) -> None:
    await seeded(db)
    async with db.session() as s:
        for typed in ("Front Door", "FRONT_DOOR", "  front-door ", "Main"):
            found = await resolve(s, typed)
            assert isinstance(found, Door) and found.name == "Front Door", typed
            assert await covered_doors(s, found) == [found]


async def test_a_group_is_found_with_its_doors_by_name(db: Database) -> None:
    await seeded(db)
    async with db.session() as s:
        found = await resolve(s, "floor-2")
        assert isinstance(found, DoorGroup) and found.name == "Floor 2"
        assert [d.name for d in await covered_doors(s, found)] == ["Front Door", "Garage"]
        assert await lookup(s, "FLOOR 2") == found


async def test_an_unknown_name_suggests_doors_and_groups(db: Database) -> None:
    await seeded(db)
    async with db.session() as s:
        assert await resolve(s, "floor 3") == Unknown("floor 3", ["Floor 2"])
        assert await resolve(s, "frnt door") == Unknown("frnt door", ["Front Door"])
        assert await resolve(s, "zzzz") == Unknown("zzzz", [])
        assert await resolve(s, " - ") == Unknown(" - ", [])
        assert await lookup(s, "floor 3") is None
