"""Reproducible installs: pyproject.toml says what the code needs, requirements*.lock pins the
whole tree with hashes, and every install (make, CI, the image) takes its versions from a lock."""

from __future__ import annotations

import ast
import fnmatch
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LOCKS = {  # lock file → the extras it holds besides the runtime dependencies
    "requirements.lock": (),
    "requirements-dev.lock": ("dev",),
    "requirements-bench.lock": ("dev", "bench"),
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def declared(*extras: str) -> dict[str, Requirement]:
    lines = list(PYPROJECT["dependencies"])
    for extra in extras:
        lines += PYPROJECT["optional-dependencies"][extra]
    return {canonicalize_name(r.name): r for r in map(Requirement, lines)}


def pins(lock: str) -> dict[str, str]:
    """name → version; and every entry is pinned with at least one hash."""
    text = (ROOT / lock).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 1)[1])
    found: dict[str, str] = {}
    for entry in entries:
        if entry.startswith("#") or not entry.strip():
            continue
        match = PIN.match(entry)
        assert match, f"{lock}: not an exact pin: {entry.splitlines()[0]}"
        assert "--hash=sha256:" in entry, f"{lock}: {match[1]} has no hash"
        found[canonicalize_name(match[1])] = match[2]
    return found


@pytest.mark.parametrize("lock", list(LOCKS))
def test_each_lock_pins_every_declared_dependency_within_its_range(lock: str) -> None:
    pinned = pins(lock)
    for name, requirement in declared(*LOCKS[lock]).items():
        assert name in pinned, f"{lock} lacks {name}: run `make lock`"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock} pins {name}=={pinned[name]}, outside {requirement}: run `make lock`"
        )


def test_the_locks_agree_on_every_package_they_share() -> None:
    runtime, dev, bench = (pins(lock) for lock in LOCKS)
    assert {n: v for n, v in dev.items() if runtime.get(n, v) != v} == {}
    assert {n: v for n, v in bench.items() if dev.get(n, v) != v} == {}
    assert set(runtime) <= set(dev) <= set(bench)


@pytest.mark.parametrize(
    ("name", "refused", "allowed"),
    [
        # 3.42 checks signatures against an empty secret: anyone could sign a request.
        ("slack-sdk", "3.42.0", "3.43.0"),
        # Before 3.13.12 there is no SeamInvalidWebhookPayloadError for bot/web.py to catch.
        ("seam", "3.13.11", "3.13.12"),
        # Caps: the newest versions the suite has passed on, and no further.
        ("sqlalchemy", "2.2.0", "2.1.9"),
        ("sqlmodel", "0.0.51", "0.0.50"),
    ],
)
def test_floors_and_caps(name: str, refused: str, allowed: str) -> None:
    specifier = declared()[name].specifier
    assert not specifier.contains(refused) and specifier.contains(allowed)


def _imports(folder: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        if "node_modules" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"bot", "tests", "bench", "migrations"}


@pytest.mark.parametrize(
    ("folder", "extras"),
    [("bot", ()), ("migrations", ()), ("tests", ("dev",)), ("bench", ("dev", "bench"))],
)
def test_every_package_imported_is_declared_not_borrowed(
    folder: str, extras: tuple[str, ...]
) -> None:
    """A package that comes only through another one (svix through seam) may go with it."""
    by_module = importlib.metadata.packages_distributions()
    names = set(declared(*extras))
    undeclared = {
        module: dists
        for module in _imports(folder)
        if not (dists := by_module.get(module, [module]))
        or not any(canonicalize_name(d) in names for d in dists)
    }
    assert undeclared == {}


def test_make_and_the_image_install_from_the_locks() -> None:
    make = shutil.which("make")
    if make is None:
        pytest.skip("no make")
    # What `make install` and `make bench` would run, variables expanded, nothing run.
    dry = subprocess.run([make, "-n", "-B", "install", "bench"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    installs = [line for line in dry.splitlines() if "pip install" in line]
    assert [line.split("pip install --quiet ", 1)[1] for line in installs] == [
        "--upgrade pip",
        "--require-hashes -r requirements-dev.lock",
        "--no-deps -e .",
        "--require-hashes -r requirements-bench.lock",
    ]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^\$\(INSTALLED\): \$\(DEV_LOCK\)", makefile, re.M)  # a new lock reinstalls
    assert re.search(r"^\$\(BENCH_INSTALLED\): .*\$\(BENCH_LOCK\)", makefile, re.M)
    dockerfile = (ROOT / "Dockerfile").read_text()
    runs = [line.split("pip install", 1)[1] for line in dockerfile.splitlines()
            if line.startswith("RUN") and "pip install" in line]  # fmt: skip
    assert runs == [
        " --no-cache-dir --require-hashes -r requirements.lock",
        " --no-cache-dir --no-deps .",
    ]
    assert "COPY requirements.lock" in dockerfile
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]  # fmt: skip
    assert not [p for p in ignored if fnmatch.fnmatch("requirements.lock", p)]


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI builds .venv from the lock; a dev may not")
def test_ci_runs_on_exactly_what_the_dev_lock_pins() -> None:
    wrong = {}
    for name, version in pins("requirements-dev.lock").items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            wrong[name] = (version, installed)
    assert wrong == {}
