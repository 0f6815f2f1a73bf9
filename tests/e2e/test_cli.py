"""`lockbot` end to end: the console script as a child process, against a real database and
Seam's fake server behind the fault proxy.

The proxy runs in this test's event loop, so children are started with
`asyncio.create_subprocess_exec` and awaited; a blocking `subprocess.run` would starve it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, select

from bot.access import grant
from bot.db import Database, pending_migrations, sync_url
from bot.door_admin import add_door
from bot.models import Door, DoorAlias, Grant, LockRequest, LockStatus, utcnow
from tests.e2e.conftest import lock_rows
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import API_KEY, AUGUST_1, AUGUST_2

Row = TypeVar("Row", bound=SQLModel)

PYTHON_M_BOT: tuple[str, ...] = (sys.executable, "-m", "bot")
# The console script pip installed next to this interpreter: what an operator actually types.
INSTALLED: tuple[str, ...] = (str(Path(sys.executable).parent / "lockbot"),)
OURS = ("SLACK_", "SEAM_", "LOCKBOT_", "DATABASE_URL")
SEAM_DOWN = '{"error": {"type": "service_unavailable", "message": "Seam is down"}}'


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class Cli:
    """Where and with what environment `lockbot` runs: cwd is a temp dir, so no stray .env."""

    env: dict[str, str]
    cwd: Path


async def lockbot(
    *args: str,
    cli: Cli,
    program: Sequence[str] = PYTHON_M_BOT,
    timeout_s: float = 30.0,
) -> Result:
    process = await start(*args, cli=cli, program=program)
    return await finish(process, timeout_s)


async def start(
    *args: str, cli: Cli, program: Sequence[str] = PYTHON_M_BOT
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *program,
        *args,
        env=cli.env,
        cwd=cli.cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(process: asyncio.subprocess.Process, timeout_s: float = 30.0) -> Result:
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        raise AssertionError(
            f"lockbot did not exit within {timeout_s:g} s\nstdout: {out.decode()}\n"
            f"stderr: {err.decode()}"
        ) from None
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture
def cli(database_url: str, seam: SeamProxy, tmp_path: Path) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env |= {
        "DATABASE_URL": database_url,
        "SEAM_API_KEY": API_KEY,
        "SEAM_ENDPOINT": seam.url,
        "LOCKBOT_LOCK_TIMEOUT": "5",
        "LOCKBOT_POLL_FIRST": "0.05",
        "LOCKBOT_POLL_MAX": "0.2",
    }
    return Cli(env, tmp_path)


async def all_rows(database_url: str, model: type[Row]) -> list[Row]:
    db = Database(database_url)
    try:
        async with db.session() as session:
            return list((await session.exec(select(model))).all())
    finally:
        await db.close()


async def seed(database_url: str) -> dict[str, int]:
    """Front Door (alias `main`) and Back Door, no grants; returns their ids by name."""
    db = Database(database_url)
    try:
        async with db.session() as session:
            front = await add_door(session, "Front Door", AUGUST_1, ["main"])
            back = await add_door(session, "Back Door", AUGUST_2)
            await session.commit()
    finally:
        await db.close()
    assert front.id is not None and back.id is not None
    return {"Front Door": front.id, "Back Door": back.id}


# -- schema and doors ------------------------------------------------------------------------


async def test_db_upgrade_creates_a_fresh_schema_and_is_idempotent(
    cli: Cli, database_url: str, tmp_path: Path
) -> None:
    fresh_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    fresh = Cli(cli.env | {"DATABASE_URL": fresh_url}, cli.cwd)
    # A brand-new file through the installed script, and the (already current) test database.
    created, again = await asyncio.gather(
        lockbot("db", "upgrade", cli=fresh, program=INSTALLED),
        lockbot("db", "upgrade", cli=cli),
    )
    for result in (created, again):
        assert result.code == 0, result.err
        assert "✓ database schema is current" in result.out

    engine = sa.create_engine(sync_url(fresh_url))
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"door", "door_alias", "access_grant", "lock_request", "alembic_version"} <= tables
    assert pending_migrations(fresh_url) == []
    assert pending_migrations(database_url) == []


async def test_doors_add_list_remove(cli: Cli, database_url: str, seam: SeamProxy) -> None:
    added = await lockbot(
        "doors",
        "add",
        "Front Door",
        AUGUST_1,
        "--alias",
        "main",
        "--alias",
        "North Entrance",
        cli=cli,
    )
    assert added.code == 0, added.err
    assert added.out.strip() == (f"✓ added Front Door → {AUGUST_1} (aliases: main, North Entrance)")

    # The same name in other clothes, and a new name whose alias is taken: both refused.
    same_name, taken_alias = await asyncio.gather(
        lockbot("doors", "add", "front-DOOR", AUGUST_2, cli=cli),
        lockbot("doors", "add", "Back Door", AUGUST_2, "--alias", "NORTH_entrance", cli=cli),
    )
    assert same_name.code == 1
    assert same_name.out == ""
    assert "'front-DOOR' already names a door, alias or group" in same_name.err
    assert taken_alias.code == 1
    assert "'NORTH_entrance' already names a door, alias or group" in taken_alias.err

    doors = await all_rows(database_url, Door)
    assert [(d.name, d.key, d.device_id) for d in doors] == [("Front Door", "front door", AUGUST_1)]
    aliases = await all_rows(database_url, DoorAlias)
    assert sorted(a.alias for a in aliases) == ["North Entrance", "main"]

    listed = await lockbot("doors", "list", cli=cli)
    assert listed.code == 0, listed.err
    assert lines(listed.out) == [f"Front Door\t{AUGUST_1}  (aliases: main, North Entrance)"]

    # Removing a door takes its aliases and grants with it.
    db = Database(database_url)
    async with db.session() as session:
        await grant(session, "U0123ABCD", "Front Door")
        await session.commit()
    await db.close()
    removed = await lockbot("doors", "remove", "front_door", cli=cli)
    assert removed.code == 0, removed.err
    assert removed.out.strip() == "✓ removed Front Door"
    assert await all_rows(database_url, Door) == []
    assert await all_rows(database_url, DoorAlias) == []
    assert await all_rows(database_url, Grant) == []

    unknown, empty = await asyncio.gather(
        lockbot("doors", "remove", "Front Door", cli=cli),
        lockbot("doors", "list", cli=cli),
    )
    assert unknown.code == 1
    assert "no door is called 'Front Door'" in unknown.err
    assert empty.code == 0
    assert "No doors yet" in empty.out
    assert seam.calls == []  # managing doors never talks to Seam


# -- access ----------------------------------------------------------------------------------


async def test_grant_revoke_and_grants(cli: Cli, database_url: str) -> None:
    ids = await seed(database_url)

    user, group, everyone = await asyncio.gather(
        lockbot("grant", "U0123ABCD", "front-door", cli=cli),
        lockbot("grant", "S0NIGHT", "Back Door", cli=cli),
        lockbot("grant", "W0ADMIN", "*", cli=cli),
    )
    for result in (user, group, everyone):
        assert result.code == 0, result.err
    assert user.out.strip() == "✓ U0123ABCD may lock front-door"
    assert group.out.strip() == "✓ S0NIGHT may lock Back Door"
    assert everyone.out.strip() == "✓ W0ADMIN may lock *"

    name, no_door, no_grant, again, listed = await asyncio.gather(
        lockbot("grant", "bob", "Front Door", cli=cli),
        lockbot("grant", "U0123ABCD", "Side Door", cli=cli),
        lockbot("revoke", "U0123ABCD", "Back Door", cli=cli),
        lockbot("grant", "U0123ABCD", "MAIN", cli=cli),  # the alias: same door, same grant
        lockbot("grants", cli=cli),
    )
    assert name.code == 1
    assert "'bob' is not a Slack ID" in name.err
    assert "user ID (U… or W…)" in name.err and "user group ID (S…)" in name.err
    assert no_door.code == 1
    assert "no door or group is called 'Side Door'" in no_door.err
    assert no_grant.code == 1
    assert "U0123ABCD had no grant for Back Door" in no_grant.err
    assert again.code == 0, again.err
    assert again.out.strip() == "✓ U0123ABCD may lock MAIN (already could)"
    assert listed.code == 0, listed.err
    assert lines(listed.out) == [
        "S0NIGHT\tBack Door",
        "U0123ABCD\tFront Door",
        "W0ADMIN\t*",
    ]

    revoked, revoked_all = await asyncio.gather(
        lockbot("revoke", "U0123ABCD", "main", cli=cli),
        lockbot("revoke", "W0ADMIN", "*", cli=cli),
    )
    assert revoked.code == 0, revoked.err
    assert revoked.out.strip() == "✓ U0123ABCD may no longer lock main"
    assert revoked_all.code == 0, revoked_all.err
    grants = await all_rows(database_url, Grant)
    assert [(g.subject, g.door_id) for g in grants] == [("S0NIGHT", ids["Back Door"])]


async def test_refusals_name_the_terminals_commands_never_slacks(
    cli: Cli, database_url: str
) -> None:
    """Each surface words a refusal with what its reader types: `lockbot …` here."""
    await seed(database_url)
    no_schedule, no_target, no_alias = await asyncio.gather(
        lockbot("schedules", "pause", "99", cli=cli),
        lockbot("grant", "U0123ABCD", "Attic", cli=cli),
        lockbot("doors", "unalias", "rear", cli=cli),
    )
    assert no_schedule.code == 1
    assert no_schedule.err.strip() == (
        "✗ There is no schedule 99; `lockbot schedules list` lists them."
    )
    assert no_target.code == 1
    assert no_target.err.strip() == (
        "✗ no door or group is called 'Attic'; `lockbot doors list` and `lockbot groups list` "
        "show them"
    )
    assert no_alias.code == 1
    assert no_alias.err.strip() == "✗ no alias is called 'rear'; `lockbot doors list` shows them"
    for refused in (no_schedule, no_target, no_alias):
        assert "/lock" not in refused.err


# -- lock ------------------------------------------------------------------------------------


async def test_lock_succeeds_through_seam(cli: Cli, database_url: str, seam: SeamProxy) -> None:
    await seed(database_url)
    result = await lockbot("lock", "front-door", cli=cli)
    assert result.code == 0, result.err
    assert "Locking Front Door" in result.out
    assert "✅ Front Door is locked" in result.out
    assert len(seam.calls_to("/locks/lock_door")) == 1

    rows = await lock_rows(database_url)
    assert len(rows) == 1
    row = rows[0]
    assert (row.status, row.source, row.device_id, row.door_name, row.text) == (
        LockStatus.LOCKED,
        "cli",
        AUGUST_1,
        "Front Door",
        "front-door",
    )
    assert row.user_id.startswith("cli:")
    assert row.action_attempt_id == seam.attempt_ids[0]
    assert row.finished_at is not None


async def test_lock_reports_the_error_the_lock_gave(
    cli: Cli, database_url: str, seam: SeamProxy
) -> None:
    await seed(database_url)
    seam.hold_attempts = True
    process = await start("lock", "Front Door", cli=cli)
    attempt = await seam.wait_for_attempt(timeout_s=20)
    await seam.resolve(attempt, "error", ("device_offline", "Device is offline"))
    result = await finish(process)

    assert result.code == 1
    assert "device_offline" in result.err
    assert "Device is offline" in result.err
    assert "is locked" not in result.out
    rows = await lock_rows(database_url)
    assert [(r.status, r.error_type, r.action_attempt_id) for r in rows] == [
        (LockStatus.FAILED, "device_offline", attempt)
    ]


async def test_lock_fails_when_seam_answers_503(
    cli: Cli, database_url: str, seam: SeamProxy
) -> None:
    await seed(database_url)
    # More faults than calls we expect: a retried lock_door would meet a 503 too, and show.
    seam.fail("/locks/lock_door", status=503, body=SEAM_DOWN, times=5)
    result = await lockbot("lock", "Front Door", cli=cli)

    assert result.code == 1
    assert "seam_unavailable" in result.err
    assert [c.status for c in seam.calls_to("/locks/lock_door")] == [503]  # never retried
    rows = await lock_rows(database_url)
    assert [(r.status, r.error_type) for r in rows] == [(LockStatus.FAILED, "seam_unavailable")]


async def test_lock_of_an_unknown_door_suggests_and_never_calls_seam(
    cli: Cli, database_url: str, seam: SeamProxy
) -> None:
    await seed(database_url)
    result = await lockbot("lock", "frnt door", cli=cli, program=INSTALLED)

    assert result.code == 1
    assert "no door is called 'frnt door'; did you mean Front Door?" in result.err
    assert seam.calls == []
    rows = await lock_rows(database_url)
    assert [(r.status, r.error_type, r.source) for r in rows] == [
        (LockStatus.REJECTED, "unknown_door", "cli")
    ]


async def test_lock_leaves_the_running_bots_requests_alone(
    cli: Cli, database_url: str, seam: SeamProxy
) -> None:
    """A pending Slack request belongs to `lockbot serve`; the CLI must not resume or report it."""
    ids = await seed(database_url)
    db = Database(database_url)
    async with db.session() as session:
        session.add(
            LockRequest(
                source="slack",
                user_id="U1",
                text="back door",
                door_id=ids["Back Door"],
                door_name="Back Door",
                device_id=AUGUST_2,
                action_attempt_id="held-elsewhere",
            )
        )
        await session.commit()
    await db.close()

    result = await lockbot("lock", "Front Door", cli=cli)
    assert result.code == 0, result.err
    assert "✅ Front Door is locked" in result.out and "Back Door" not in result.out
    assert len(seam.calls_to("/locks/lock_door")) == 1
    # A poll of the other request's attempt would be a 404 from the fake: there is none.
    assert all(c.status == 200 for c in seam.calls)
    statuses = {r.text: r.status for r in await lock_rows(database_url)}
    assert statuses == {"back door": LockStatus.PENDING, "Front Door": LockStatus.LOCKED}


async def test_lock_without_a_seam_key_says_what_to_set(cli: Cli) -> None:
    env = {k: v for k, v in cli.env.items() if k != "SEAM_API_KEY"}
    result = await lockbot("lock", "Front Door", cli=Cli(env, cli.cwd))
    assert result.code == 1
    assert "SEAM_API_KEY is not set" in result.err
    assert "Traceback" not in result.err


async def test_lock_of_a_door_already_in_flight_waits_for_that_outcome(
    cli: Cli, database_url: str, seam: SeamProxy
) -> None:
    ids = await seed(database_url)
    db = Database(database_url)
    async with db.session() as session:
        session.add(
            LockRequest(
                source="slack",
                user_id="U1",
                text="front door",
                door_id=ids["Front Door"],
                door_name="Front Door",
                device_id=AUGUST_1,
                action_attempt_id="held-by-serve",
            )
        )
        await session.commit()
    process = await start("lock", "Front Door", cli=cli)
    for _ in range(200):  # the CLI's request joins the one `lockbot serve` is tracking
        follower = [r for r in await lock_rows(database_url) if r.joined_id is not None]
        if follower:
            break
        await asyncio.sleep(0.05)
    assert follower, "the CLI never recorded its request"
    # What `lockbot serve` does when its lock ends: the joined request gets the same outcome.
    async with db.session() as session:
        row = await session.get(LockRequest, follower[0].id)
        assert row is not None
        row.status, row.finished_at = LockStatus.LOCKED, utcnow()
        session.add(row)
        await session.commit()
    await db.close()
    result = await finish(process)
    assert result.code == 0, result.err
    assert "already being locked (asked by U1)" in result.out
    assert "✅ Front Door is locked" in result.out
    assert seam.calls_to("/locks/lock_door") == []
