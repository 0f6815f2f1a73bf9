"""A gate a fake holds calls at until the test releases them: "the remote call is still under
way" as a fact the test controls, not as a duration it hopes for."""

from __future__ import annotations

import asyncio


class Gate:
    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._arrived = asyncio.Event()
        self.arrivals = 0  # calls that reached the gate
        self.waiting = 0  # calls held at it now

    async def pass_through(self) -> None:
        """Called by the fake for each call: returns once the gate is released."""
        self.arrivals += 1
        self.waiting += 1
        self._arrived.set()
        try:
            await self._open.wait()
        finally:
            self.waiting -= 1

    async def arrived(self, timeout_s: float = 10.0) -> None:
        """Until a call is held here (AssertionError if none comes)."""
        try:
            await asyncio.wait_for(self._arrived.wait(), timeout_s)
        except TimeoutError:
            raise AssertionError(f"no call reached the gate within {timeout_s:g} s") from None

    def release(self) -> None:
        self._open.set()

    @property
    def released(self) -> bool:
        return self._open.is_set()
