"""Fixtures the unit tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.scheduler import Scheduler


@pytest.fixture
async def scheduler() -> AsyncIterator[Scheduler]:
    jobs = Scheduler()
    jobs.start()
    yield jobs
    jobs.shutdown()
