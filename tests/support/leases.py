"""Stand-in for "the process that owned these requests died": their leases run out."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col

from bot.db import Database
from bot.models import LockBatch, LockRequest, LockStatus, utcnow


async def lapse_leases(db: Database) -> None:
    past = utcnow() - timedelta(seconds=1)
    async with db.session() as session:
        for model in (LockRequest, LockBatch):
            await session.exec(
                sa.update(model)
                .where(col(model.status) == LockStatus.PENDING)
                .values(lease_until=past)
            )
        await session.commit()
