"""Starts Seam's own fake server (`@seamapi/fake-seam-connect`, pinned in package.json)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).parent / "seam"
API_KEY = "seam_apikey1_token"
# Locks the fake seeds; every one is named "Smart Device", which makes duplicate names real.
AUGUST_1 = "august_device_1"
AUGUST_2 = "august_device_2"
SCHLAGE = "schlage_device_id"


class FakeSeamServer:
    """A node process serving the fake on 127.0.0.1; it dies with its stdin (and so with us)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> FakeSeamServer:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not installed; the README's test command installs it")
        if not (HERE / "node_modules").exists():
            raise RuntimeError(f"run `npm ci` in {HERE} first (make test does)")
        self.process = subprocess.Popen(
            [node, "server.mjs", "0", "--exit-on-stdin-eof"],
            cwd=HERE,
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
