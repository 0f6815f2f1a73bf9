"""`lockbot config apply|export` end to end: the installed console script as a child process,
against a real database (SQLite, or PostgreSQL when LOCKBOT_TEST_DATABASE_URL is set).

Nothing here talks to Seam or Slack, so the children run with plain `subprocess.run`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent
from typing import TypeVar

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from bot.db import sync_url
from bot.models import AuditEvent, Door, DoorGroup, Grant

Row = TypeVar("Row", bound=SQLModel)

LOCKBOT = str(Path(sys.executable).parent / "lockbot")
OURS = ("SLACK_", "SEAM_", "LOCKBOT_", "DATABASE_URL")
LOGIN = "ops-alice"

BUILDING = """\
# lockbot config: the whole truth about doors, groups and access
doors:
  - name: Front Door
    device_id: august_device_1
    aliases: [main]
    channels: [C0123LOBBY]
  - name: Back Door
    device_id: august_device_2
groups:
  - name: Floor 2
    doors: [main, Back Door]
grants:
  U0123ABCD: [Front Door, Floor 2]
  S0NIGHT: ["*"]
admins: [U0ADMIN]
"""

BUILDING_DIFF = [
    "+ door Back Door: device august_device_2",
    "+ door Front Door: device august_device_1",
    "+ alias Front Door: main",
    "+ channel Front Door: C0123LOBBY",
    "+ group Floor 2",
    "+ group Floor 2: Back Door",
    "+ group Floor 2: Front Door",
    "+ grant S0NIGHT: *",
    "+ grant U0123ABCD: Floor 2 (group)",
    "+ grant U0123ABCD: Front Door",
    "+ admin U0ADMIN",
]


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class Cli:
    env: dict[str, str]
    cwd: Path

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        done = subprocess.run(
            [LOCKBOT, *args],
            env=self.env,
            cwd=self.cwd,
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def write(self, name: str, text: str) -> str:
        (self.cwd / name).write_text(dedent(text), encoding="utf-8")
        return name


@pytest.fixture
def lockbot(database_url: str, tmp_path: Path) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    # getpass.getuser() reads LOGNAME first: the actor in the audit trail is cli:ops-alice.
    env |= {"DATABASE_URL": database_url, "LOGNAME": LOGIN, "PYTHONIOENCODING": "utf-8"}
    return Cli(env, tmp_path)


def rows(database_url: str, model: type[Row]) -> list[Row]:
    engine = sa.create_engine(sync_url(database_url))
    try:
        with Session(engine) as session:
            return list(session.exec(select(model).order_by(sa.text("id"))).all())
    finally:
        engine.dispose()


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_dry_run_shows_the_diff_and_writes_nothing(lockbot: Cli, database_url: str) -> None:
    file = lockbot.write("building.yml", BUILDING)
    result = lockbot("config", "apply", file, "--dry-run")
    assert result.code == 0, result.err
    assert lines(result.out) == [
        *BUILDING_DIFF,
        "✓ dry run, nothing written: 11 to add, 0 to change, 0 to remove",
    ]
    assert rows(database_url, Door) == []
    assert rows(database_url, AuditEvent) == []


def test_apply_then_apply_again_changes_nothing(lockbot: Cli, database_url: str) -> None:
    file = lockbot.write("building.yml", BUILDING)
    first = lockbot("config", "apply", file)
    assert first.code == 0, first.err
    assert lines(first.out) == [
        *BUILDING_DIFF,
        "✓ applied building.yml: 11 added, 0 changed, 0 removed",
    ]
    again = lockbot("config", "apply", file)
    assert again.code == 0, again.err
    assert lines(again.out) == ["✓ no changes: the database already matches building.yml"]

    # The group grant points at the group (its doors as they are at lock time), not its doors.
    [floor] = rows(database_url, DoorGroup)
    grants = rows(database_url, Grant)
    assert [(g.subject, g.permission) for g in grants if g.group_id == floor.id] == [
        ("U0123ABCD", "lock")
    ]
    assert len(grants) == 4

    events = rows(database_url, AuditEvent)
    assert {e.actor for e in events} == {f"cli:{LOGIN}"}
    assert len(events) == len(BUILDING_DIFF) + 1  # the second apply wrote no audit rows
    assert [(e.action, e.target, e.detail) for e in events[:2]] == [
        ("door.add", "Back Door", "device august_device_2"),
        ("door.add", "Front Door", "device august_device_1"),
    ]
    assert ("grant.add", "U0123ABCD", "Floor 2 (group)") in [
        (e.action, e.target, e.detail) for e in events
    ]
    assert (events[-1].action, events[-1].target, events[-1].detail) == (
        "config.apply",
        "building.yml",
        "11 added, 0 changed, 0 removed",
    )


def test_changes_and_removals_are_shown_and_applied(lockbot: Cli, database_url: str) -> None:
    assert lockbot("config", "apply", lockbot.write("building.yml", BUILDING)).code == 0
    front_id = next(d.id for d in rows(database_url, Door) if d.name == "Front Door")
    edited = lockbot.write(
        "building.yml",
        BUILDING.replace("august_device_1", "august_device_9")
        .replace("  - name: Back Door\n    device_id: august_device_2\n", "")
        .replace("[main, Back Door]", "[main]")
        .replace('  S0NIGHT: ["*"]\n', ""),
    )
    result = lockbot("config", "apply", edited)
    assert result.code == 0, result.err
    assert lines(result.out) == [
        "~ door Front Door: device august_device_1 → august_device_9",
        "- door Back Door: device august_device_2",
        "- group Floor 2: Back Door",
        "- grant S0NIGHT: *",
        "✓ applied building.yml: 0 added, 1 changed, 3 removed",
    ]
    assert [(d.id, d.name, d.device_id) for d in rows(database_url, Door)] == [
        (front_id, "Front Door", "august_device_9")
    ]


def test_an_invalid_file_reports_every_problem_and_changes_nothing(
    lockbot: Cli, database_url: str
) -> None:
    assert lockbot("config", "apply", lockbot.write("building.yml", BUILDING)).code == 0
    before = lockbot("config", "export").out
    events = len(rows(database_url, AuditEvent))
    broken = lockbot.write(
        "broken.yml",
        """\
        doors:
          - name: Front Door
            device_id: august_device_1
            aliases: [main]
          - name: MAIN
            device_id: august_device_2
            channels: [lobby]
          - name: Side Door
        groups:
          - name: Floor 2
            doors: [Front Door, Garage]
        grants:
          bob: [Front Door]
          U0123ABCD: [Floor 3]
        admins: [U0ADMIN]
        """,
    )
    result = lockbot("config", "apply", broken)
    assert result.code == 1
    assert result.out == ""
    assert lines(result.err) == [
        "broken.yml:5: 'MAIN' already names an alias of 'Front Door' (line 4); door names, "
        "aliases and group names must all differ",
        "broken.yml:7: 'lobby' is not a channel ID (C… or G…); in Slack, a channel's details "
        "show its ID at the bottom",
        "broken.yml:8: 'Side Door' has no `device_id:`",
        "broken.yml:11: no door in this file is called 'Garage'",
        "broken.yml:13: 'bob' is not a Slack ID: use a user ID (U… or W…) or a user group ID "
        "(S…), which Slack shows under a profile's ⋮ menu as “Copy member ID”",
        "broken.yml:14: no door or group in this file is called 'Floor 3' (did you mean "
        "'Floor 2'?)",
        "✗ 6 problems in broken.yml; nothing was changed",
    ]
    syntax = lockbot("config", "apply", lockbot.write("syntax.yml", "doors: [\n"))
    assert syntax.code == 1
    assert lines(syntax.err)[0].startswith("syntax.yml:2: YAML syntax: ")
    assert lockbot("config", "export").out == before
    assert len(rows(database_url, AuditEvent)) == events


def test_export_round_trips(lockbot: Cli, tmp_path: Path) -> None:
    assert lockbot("config", "apply", lockbot.write("building.yml", BUILDING)).code == 0
    printed = lockbot("config", "export")
    assert printed.code == 0, printed.err
    assert printed.out.startswith("# lockbot config: the whole truth about doors, groups")
    assert "    doors: [Back Door, Front Door]\n" in printed.out
    assert '  S0NIGHT: ["*"]\n  U0123ABCD: [Floor 2, Front Door]\n' in printed.out

    written = lockbot("config", "export", "-o", "exported.yml")
    assert written.code == 0, written.err
    assert written.out.strip() == "✓ wrote exported.yml"
    assert (tmp_path / "exported.yml").read_text(encoding="utf-8") == printed.out

    # export | apply --dry-run
    piped = lockbot("config", "apply", "-", "--dry-run", stdin=printed.out)
    assert piped.code == 0, piped.err
    assert lines(piped.out) == ["✓ no changes: the database already matches <stdin>"]


def test_a_missing_file_is_one_clear_error(lockbot: Cli) -> None:
    result = lockbot("config", "apply", "nowhere.yml")
    assert result.code == 1
    assert result.err.strip() == "✗ cannot read nowhere.yml: No such file or directory"
