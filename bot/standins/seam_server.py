"""Starts Seam's own fake server (`@seamapi/fake-seam-connect`, pinned in package.json).

The node package lives in a checkout's `tests/fakes/seam` (`npm ci --prefix tests/fakes/seam`,
which `make test` and `make demo` run); the tests and `lockbot demo` both start it from there.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

# bot/standins/ → the checkout's root (lockbot is installed from it with `pip install -e .`).
CHECKOUT_FAKE = Path(__file__).resolve().parents[2] / "tests" / "fakes" / "seam"
API_KEY = "seam_apikey1_token"
# Locks the fake seeds; every one is named "Smart Device", which makes duplicate names real.
AUGUST_1 = "august_device_1"
AUGUST_2 = "august_device_2"
SCHLAGE = "schlage_device_id"


class FakeSeamServer:
    """A node process serving the fake on 127.0.0.1; it dies with its stdin (and so with us)."""

    def __init__(self, directory: Path = CHECKOUT_FAKE) -> None:
        self.directory = directory
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> FakeSeamServer:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not installed; the README's test command installs it")
        if not (self.directory / "node_modules").exists():
            raise RuntimeError(
                f"run `npm ci --prefix {self.directory}` first (make test and make demo do)"
            )
        self.process = subprocess.Popen(  # noqa: S603 (node, found on PATH, runs our script)
            [node, "server.mjs", "0", "--exit-on-stdin-eof"],
            cwd=self.directory,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("listening "):
            self.stop()
            raise RuntimeError(f"fake Seam did not start: {line!r}")
        self.url = line.removeprefix("listening ")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=5)
            for pipe in (self.process.stdin, self.process.stdout):
                if pipe is not None:
                    pipe.close()
            self.process = None
