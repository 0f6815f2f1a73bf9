"""The audit trail of admin changes: who changed what, from Slack or the terminal."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import AuditEvent


def record(session: AsyncSession, actor: str, action: str, target: str, detail: str = "") -> None:
    """Add an event to the session: it is written with the change it describes, or not at all."""
    session.add(
        AuditEvent(actor=actor[:64], action=action, target=target[:200], detail=detail[:1000])
    )


async def recent(session: AsyncSession, limit: int = 20) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    return list((await session.exec(query)).all())
