"""`/lock admin …`: the terminal's admin operations, from Slack, for admins only."""

from __future__ import annotations

from bot.locking import LockService
from bot.ports import DeviceReader


async def run_admin(
    service: LockService, devices: DeviceReader, user_id: str, channel_id: str | None, args: str
) -> str:
    raise NotImplementedError  # helper E: being written
