"""`/lock list`, `/lock status` and `/lock history`: read-only answers, shown only to the asker."""

from __future__ import annotations

from bot.locking import LockService
from bot.ports import DeviceReader


async def list_targets(service: LockService, user_id: str) -> str:
    raise NotImplementedError  # helper D: being written


async def status(service: LockService, devices: DeviceReader, user_id: str, target: str) -> str:
    raise NotImplementedError  # helper D: being written


async def history(service: LockService, user_id: str, target: str | None, limit: int) -> str:
    raise NotImplementedError  # helper D: being written
