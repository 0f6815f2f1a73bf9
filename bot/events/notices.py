"""The messages noise control keeps (EventNotice rows): one per device and kind (an outage or
flapping spell, low battery), so later news can edit it or wait a day instead of posting again."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select

from bot.db import Database
from bot.events.telling import Teller
from bot.models import EventNotice
from bot.news import News
from bot.ports import MessageRef


def _told(news: News) -> str:
    """What the notice says it told: the news as facts (each surface words them its way)."""
    return repr(news)[:2000]


def _of(device_id: str, kind: str) -> sa.ColumnElement[bool]:
    return sa.and_(col(EventNotice.device_id) == device_id, col(EventNotice.kind) == kind)


class Notices:
    def __init__(self, db: Database, tell: Teller) -> None:
        self.db = db
        self.tell = tell

    async def find(self, device_id: str, kind: str) -> EventNotice | None:
        async with self.db.session() as session:
            return (await session.exec(select(EventNotice).where(_of(device_id, kind)))).first()

    async def open(self, device_id: str, kind: str, channel: str, news: News, at: datetime) -> str:
        """Post `news` and keep it as the device's `kind` notice; relayed, or failed (nothing
        kept)."""
        ref = await self.tell.send(channel, news)
        if ref is None:
            return "failed"
        async with self.db.writing() as session:
            row = (await session.exec(select(EventNotice).where(_of(device_id, kind)))).first()
            row = row or EventNotice(
                device_id=device_id,
                kind=kind,
                channel=ref.channel,
                ts=ref.ts,
                opened_at=at,
                last_at=at,
            )
            row.channel, row.ts = ref.channel, ref.ts
            row.opened_at, row.last_at, row.count, row.text = at, at, 1, _told(news)
            session.add(row)
            await session.commit()
        return "relayed"

    async def edit(self, notice: EventNotice, news: News, **values: object) -> None:
        # Edits notify nobody, so they go ahead in quiet hours: the message stays true.
        await self.tell.edit(MessageRef(notice.channel, notice.ts), news, notice.device_id)
        async with self.db.writing() as session:
            await session.exec(
                sa.update(EventNotice)
                .where(col(EventNotice.id) == notice.id)
                .values(text=_told(news), **values)
            )
            await session.commit()

    async def drop(self, device_id: str, kind: str) -> None:
        async with self.db.writing() as session:
            await session.exec(sa.delete(EventNotice).where(_of(device_id, kind)))
            await session.commit()
