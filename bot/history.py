"""What the lock_request table remembers: each door's last outcome, and the recent requests a
person may see. Read-only; the words for Slack live in `bot.slack.words.lists`."""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.access import AccessPolicy
from bot.models import Door, LockRequest, LockStatus

# Denied and rejected requests never reached Seam, so they say nothing about the door itself.
_REACHED_SEAM = (LockStatus.PENDING, LockStatus.LOCKED, LockStatus.FAILED, LockStatus.TIMED_OUT)


async def last_outcomes(
    session: AsyncSession, door_ids: Collection[int] | None = None
) -> dict[int, LockRequest]:
    """The latest request per door that reached Seam (or is on its way), by door ID."""
    if door_ids is not None and not door_ids:
        return {}
    latest = (
        select(func.max(LockRequest.id))
        .where(col(LockRequest.door_id).is_not(None))
        .where(col(LockRequest.status).in_(_REACHED_SEAM))
        .group_by(col(LockRequest.door_id))
    )
    if door_ids is not None:
        latest = latest.where(col(LockRequest.door_id).in_(door_ids))
    rows = (await session.exec(select(LockRequest).where(col(LockRequest.id).in_(latest)))).all()
    return {row.door_id: row for row in rows if row.door_id is not None}


async def recent_requests(
    session: AsyncSession, door_ids: Collection[int] | None, limit: int
) -> list[LockRequest]:
    """The newest `limit` requests, newest first: for these doors, or (None) every request,
    including those that named no known door."""
    if limit < 1 or (door_ids is not None and not door_ids):
        return []
    query = select(LockRequest)
    if door_ids is not None:
        query = query.where(col(LockRequest.door_id).in_(door_ids))
    # IDs, not created_at: a group's rows share one timestamp, and IDs keep their order.
    query = query.order_by(col(LockRequest.id).desc()).limit(limit)
    return list((await session.exec(query)).all())


async def visible_doors(
    session: AsyncSession, policy: AccessPolicy, user_id: str
) -> set[int] | None:
    """The doors whose history `user_id` may read: those they may lock; None (everything,
    requests for unknown names included) for admins."""
    if await policy.is_admin(session, user_id):
        return None
    allowed = await policy.lockable(session, user_id)
    if allowed is None:
        # A `*` grant covers every door, but not what other people typed that named none.
        ids = (await session.exec(select(Door.id))).all()
        return {door_id for door_id in ids if door_id is not None}
    return allowed
