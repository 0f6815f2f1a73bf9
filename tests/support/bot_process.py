"""The bot as a child process (`python -m bot serve --http`), as an operator would run it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotProcess:
    """Started with only the given environment (plus PATH and the like), in `cwd`."""

    def __init__(self, env: dict[str, str], cwd: Path, *, stderr: int | None = None) -> None:
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "SEAM_", "LOCKBOT_", "DATABASE_URL"))
        }
        self.env |= env
        self.cwd = cwd
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stderr = asyncio.subprocess.DEVNULL if stderr is None else stderr
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "serve",
            "--http",
            "--port",
            str(self.port),
            env=self.env,
            cwd=self.cwd,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=self.stderr,
        )
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if self.process.returncode is not None:
                    raise AssertionError("the bot exited during start-up")
                await asyncio.sleep(0.05)
        self.process.kill()
        await self.process.wait()
        raise AssertionError("the bot never became healthy within 15 s")

    async def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        """SIGTERM, as an operator would; a bot still running 15 s later fails the test, and is
        killed first so that it cannot outlive it and hold the database."""
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError("the bot did not exit within 15 s of SIGTERM") from None
