"""Keeping within a Slack method's rate tier when many things ask for the same call: at most one
run per key (a person) every `gap_s`, requests in between coalesced into one run that reads the
newest state, and at most `per_minute` runs in any minute overall (views.publish is Tier 4,
about 100 a minute per workspace)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
_KEYS_KEPT = 1000  # past this many, keys whose gap is over are forgotten


@dataclass(eq=False)  # it holds state (the gaps, the minute's runs): equal only to itself
class Debouncer:
    run: Callable[[str], Awaitable[None]]
    gap_s: float
    per_minute: int = 90
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    # Each key's last run began at; the keys with a run to come (which will read the news);
    # when the last minute's runs began.
    _last: dict[str, float] = field(default_factory=dict, init=False)
    _waiting: set[str] = field(default_factory=set, init=False)
    _window: deque[float] = field(default_factory=deque, init=False)
    _turn: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, init=False)
    _closed: bool = field(default=False, init=False)

    def request(self, key: str) -> None:
        """Run for `key` as soon as its gap and the minute's budget allow; a request while one
        is waiting is already served by it."""
        if key in self._waiting or self._closed:
            return
        if len(self._last) > _KEYS_KEPT:
            self._forget_before(self.clock())
        self._waiting.add(key)
        task = asyncio.get_running_loop().create_task(self._run(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, key: str) -> None:
        try:
            last = self._last.get(key)
            if last is not None and (wait := last + self.gap_s - self.clock()) > 0:
                await self.sleep(wait)
            await self._take_turn()
            # From here a new request waits for its own run: this one may have read too early.
            self._waiting.discard(key)
            self._last[key] = self.clock()
            await self.run(key)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("refreshing %s failed", key)
        finally:
            self._waiting.discard(key)

    async def _take_turn(self) -> None:
        async with self._turn:
            while len(self._window) >= self.per_minute:
                wait = self._window[0] + 60.0 - self.clock()
                if wait <= 0:
                    self._window.popleft()
                else:
                    await self.sleep(wait)
            self._window.append(self.clock())

    def _forget_before(self, moment: float) -> None:
        """Drop the gaps that ended before `moment`, so the map does not grow for ever."""
        for key in [k for k, at in self._last.items() if at + self.gap_s < moment]:
            del self._last[key]

    async def close(self) -> None:
        self._closed = True  # a lock that settles during shutdown asks no more
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
