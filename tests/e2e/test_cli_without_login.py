"""The installed `lockbot` in a container whose user has no passwd entry and no $USER: every
command still runs, and the audit trail and the lock request name `cli:unknown`.

The child gets no login variables, and a `sitecustomize` first on its path makes
`pwd.getpwuid` raise as it does for a uid missing from /etc/passwd (the tests may run as a
user who has an entry, and changing uid would need root)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.models import AuditEvent, LockStatus
from tests.e2e.conftest import lock_rows
from tests.e2e.test_cli import INSTALLED, Cli, all_rows, lockbot, seed
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import API_KEY, AUGUST_1

LOGIN_VARIABLES = ("LOGNAME", "USER", "LNAME", "USERNAME")  # what getpass.getuser() reads first
NO_PASSWD_ENTRY = """\
import pwd


def _missing(uid):
    raise KeyError(f"getpwuid(): uid not found: {uid}")


pwd.getpwuid = _missing
"""


@pytest.fixture
def loginless(database_url: str, seam: SeamProxy, tmp_path: Path) -> Cli:
    site = tmp_path / "no-passwd-entry"
    site.mkdir()
    (site / "sitecustomize.py").write_text(NO_PASSWD_ENTRY, encoding="utf-8")
    cwd = tmp_path / "work"  # no .env, and no stray lockbot.db
    cwd.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(site),
        "PYTHONIOENCODING": "utf-8",
        "DATABASE_URL": database_url,
        "SEAM_API_KEY": API_KEY,
        "SEAM_ENDPOINT": seam.url,
        "LOCKBOT_LOCK_TIMEOUT": "5",
        "LOCKBOT_POLL_FIRST": "0.05",
        "LOCKBOT_POLL_MAX": "0.2",
    }
    assert not set(LOGIN_VARIABLES) & set(env)
    return Cli(env, cwd)


async def test_config_apply_names_an_unknown_operator(loginless: Cli, database_url: str) -> None:
    (loginless.cwd / "building.yml").write_text(
        "doors:\n  - name: Front Door\n    device_id: august_device_1\n", encoding="utf-8"
    )
    result = await lockbot("config", "apply", "building.yml", cli=loginless, program=INSTALLED)
    assert result.code == 0, result.err
    assert "✓ applied building.yml: 1 added, 0 changed, 0 removed" in result.out
    audit = sorted(await all_rows(database_url, AuditEvent), key=lambda event: event.id or 0)
    assert [(event.actor, event.action) for event in audit] == [
        ("cli:unknown", "door.add"),
        ("cli:unknown", "config.apply"),
    ]


async def test_lock_names_an_unknown_operator(
    loginless: Cli, database_url: str, seam: SeamProxy
) -> None:
    await seed(database_url)
    result = await lockbot("lock", "Front Door", cli=loginless, program=INSTALLED)
    assert result.code == 0, result.err
    assert "✅ Front Door is locked" in result.out
    [row] = await lock_rows(database_url)
    assert (row.status, row.user_id, row.source, row.device_id) == (
        LockStatus.LOCKED, "cli:unknown", "cli", AUGUST_1
    )  # fmt: skip
    assert len(seam.calls_to("/locks/lock_door")) == 1
