"""The files a deployer uses: docker-compose.yml must pass `docker compose config`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_compose_file_passes_compose_config(tmp_path: Path) -> None:
    command = compose_command()
    if command is None:
        pytest.skip(
            "neither `docker compose` nor `docker-compose` is installed (.ci/run installs one)"
        )
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    result = subprocess.run(
        [*command, "config"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    rendered = result.stdout
    assert "postgresql+psycopg://lockbot:lockbot@db:5432/lockbot" in rendered
    assert "condition: service_healthy" in rendered
    # As compose itself reads the file: only lockbot publishes a port, on loopback.
    services = yaml.safe_load(rendered)["services"]
    assert {name: published(s) for name, s in services.items() if s.get("ports")} == {
        "lockbot": [("127.0.0.1", "3000", "3000")]
    }


def published(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(host address, host port, container port) of each mapping, short or long syntax."""
    found = []
    for port in service.get("ports", []):
        if isinstance(port, dict):  # `docker compose config` (v2) writes the long syntax
            found.append((port.get("host_ip", ""), str(port.get("published", "")),
                          str(port["target"])))  # fmt: skip
            continue
        parts = str(port).split("/")[0].split(":")
        host_ip = parts[0] if len(parts) == 3 else ""
        found.append((host_ip, parts[-2] if len(parts) > 1 else "", parts[-1]))
    return found


def test_compose_publishes_ports_on_loopback_only() -> None:
    """/metrics and the probes are for this host; a proxy on it forwards /slack/events."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name, service in services.items():
        for host_ip, _, _ in published(service):
            assert host_ip == "127.0.0.1", f"{name} publishes a port beyond this host"
    assert published(services["lockbot"]) == [("127.0.0.1", "3000", "3000")]


def test_image_runs_as_non_root_with_a_health_check() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    runtime_stage = dockerfile.rsplit("FROM ", 1)[1]
    assert "\nUSER 10001" in runtime_stage
    assert "HEALTHCHECK" in runtime_stage and "/healthz" in runtime_stage


def test_every_setting_is_documented_in_the_readme_and_env_example() -> None:
    from bot.config import Settings

    names = {str(field.validation_alias) for field in Settings.model_fields.values()}
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    assert sorted(n for n in names if f"`{n}`" not in readme) == []
    assert sorted(n for n in names if n not in example) == []


def test_the_manifest_turns_the_home_tab_on_and_subscribes_to_its_event() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    # lockbot tells a lock started from the Home tab in the Messages tab.
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    events = manifest["settings"]["event_subscriptions"]
    assert events["bot_events"] == ["app_home_opened"]
    # HTTP mode: events come to the signed endpoint the commands and taps come to.
    assert events["request_url"] == manifest["settings"]["interactivity"]["request_url"]
    assert events["request_url"].endswith("/slack/events")


def test_the_manifest_declares_the_global_shortcuts_the_bot_listens_for() -> None:
    from bot.slack.modal_views import LOCK_SHORTCUT, SCHEDULE_SHORTCUT

    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    shortcuts = {s["callback_id"]: s for s in manifest["features"]["shortcuts"]}
    assert set(shortcuts) == {LOCK_SHORTCUT, SCHEDULE_SHORTCUT}
    assert shortcuts[LOCK_SHORTCUT]["name"] == "Lock a door"
    assert shortcuts[SCHEDULE_SHORTCUT]["name"] == "Schedule a lock"
    for shortcut in shortcuts.values():
        # Slack's limits: a name of at most 24 characters, a description of at most 150.
        assert shortcut["type"] == "global" and len(shortcut["name"]) <= 24
        assert 0 < len(shortcut["description"]) <= 150
    # Shortcuts and forms arrive as interactivity, at the one signed endpoint.
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
