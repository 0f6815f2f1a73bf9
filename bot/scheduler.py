"""APScheduler lifecycle: the jobs that poll action attempts run here.

Jobs live in memory only. The database is the source of truth: a restart rebuilds the poll jobs
from the pending rows (`Recovery.take_over`), so nothing pickled is ever trusted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.models import utcnow

log = logging.getLogger(__name__)


class Scheduler:
    """The `Jobs` port on an AsyncIOScheduler."""

    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(
            timezone="UTC",
            # A poll that runs late is still useful, so never drop one for being late.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        self._running: set[asyncio.Task[Any]] = set()

    def start(self) -> None:
        if not self._scheduler.running:
            self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def call_later(
        self, delay_s: float, key: str, func: Callable[..., Awaitable[Any]], *args: Any
    ) -> None:
        self._scheduler.add_job(
            self._tracked,
            DateTrigger(run_date=utcnow() + timedelta(seconds=max(delay_s, 0.0))),
            args=(func, *args),
            id=key,
            replace_existing=True,
        )

    async def _tracked(self, func: Callable[..., Awaitable[Any]], *args: Any) -> None:
        # Remembered while running, so shutdown can let a job finish before the database closes.
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            await func(*args)
        finally:
            self._running.discard(task)

    @property
    def idle(self) -> bool:
        """No job is running (a poll, a sweep…)."""
        return not self._running

    async def drain(self, timeout_s: float) -> None:
        """Stop starting jobs, and give the running ones `timeout_s` to finish.

        Pause first: APScheduler's shutdown cancels jobs that are still running.
        """
        if self._scheduler.running:
            self._scheduler.pause()
        if self._running:
            await asyncio.wait(list(self._running), timeout=timeout_s)
        self.shutdown()

    def every(self, interval_s: float, key: str, func: Callable[..., Awaitable[Any]]) -> None:
        self._scheduler.add_job(
            func, IntervalTrigger(seconds=interval_s), id=key, replace_existing=True
        )

    def at(self, key: str, trigger: Any, func: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run `func` whenever `trigger` fires (a schedule's cron trigger)."""
        self._scheduler.add_job(
            self._tracked,
            trigger,
            args=(func, *args),
            id=key,
            replace_existing=True,
            # Catching up is the runner's job (it knows about downtime); never run twice here.
            misfire_grace_time=1,
            coalesce=True,
        )

    def cancel(self, key: str) -> None:
        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(key)

    def pending(self) -> list[str]:
        return [job.id for job in self._scheduler.get_jobs()]
