import pytest

from bot.db import Database
from bot.door_admin import add_door, remove_door
from bot.models import Door, DoorAlias
from bot.names import (
    Directory,
    DoorError,
    list_doors,
    load_directory,
    normalise,
    valid_name,
)
from tests.support.refusals import refused


@pytest.mark.parametrize(
    "typed",
    ["Front Door", "front door", "Front-Door", "FRONT_DOOR", "  front   door ", "front-_ door"],
)
def test_name_variants_normalise_alike(typed: str) -> None:
    assert normalise(typed) == "front door"


def test_valid_name_rejects_empty_and_star() -> None:
    assert valid_name(" - _ ") is not None
    assert valid_name("*") is not None
    assert valid_name("x" * 81) is not None
    assert valid_name("Back Door") is None


def directory() -> Directory:
    doors = [
        Door(id=1, name="Front Door", key="front door", device_id="d1"),
        Door(id=2, name="Back Door", key="back door", device_id="d2"),
        Door(id=3, name="Garage", key="garage", device_id="d3"),
    ]
    return Directory.build(doors, [DoorAlias(id=1, door_id=2, alias="rear", key="rear")])


def test_find_by_name_and_alias() -> None:
    d = directory()
    assert d.find("FRONT_DOOR") is not None and d.find("FRONT_DOOR").device_id == "d1"  # type: ignore[union-attr]
    found = d.find("Rear")
    assert found is not None and found.name == "Back Door"
    assert d.find("front") is None


def test_suggestions_for_typos_and_partial_names() -> None:
    d = directory()
    assert d.suggest("frnt door")[0] == "Front Door"
    assert d.suggest("front") == ["Front Door"]
    assert d.suggest("garag") == ["Garage"]
    assert d.suggest("zzzz") == []
    assert d.suggest("") == []


async def test_add_list_remove(db: Database) -> None:
    async with db.session() as s:
        door = await add_door(s, "Back Door", "dev-2", ["rear", "Yard Gate"])
        await s.commit()
        assert door.key == "back door"
    async with db.session() as s:
        rows = await list_doors(s)
        assert [(d.name, a) for d, a in rows] == [("Back Door", ["rear", "Yard Gate"])]
        assert (await load_directory(s)).find("yard-gate") is not None
    async with db.session() as s:
        await remove_door(s, "BACK_DOOR")
        await s.commit()
    async with db.session() as s:
        assert await list_doors(s) == []
        assert (await load_directory(s)).find("rear") is None


async def test_add_refuses_duplicates_and_bad_names(db: Database) -> None:
    async with db.session() as s:
        await add_door(s, "Front Door", "dev-1", ["main"])
        await s.commit()
    for name, aliases in [("front-door", []), ("Side", ["MAIN"]), ("Side", ["x", "X"]), ("*", [])]:
        async with db.session() as s:
            with pytest.raises(DoorError):
                await add_door(s, name, "dev-9", aliases)
                await s.commit()
    async with db.session() as s:
        with refused(DoorError, match="no door is called"):
            await remove_door(s, "nope")
            await s.commit()
