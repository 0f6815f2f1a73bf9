"""On SQLite the group commit writes on the event loop itself, with a connection that waits
for no lock; when another process holds the file's write lock, the batch goes to the writer
thread, which waits for it as any writer does. Neither a lock request nor the bot is lost."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL
from tests.e2e.conftest import LiveBot, lock_rows
from tests.fakes.seam_proxy import SeamProxy

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="SQLite's write lock")


async def test_another_process_writing_neither_fails_a_lock_nor_stalls_the_bot(
    live: LiveBot, seam: SeamProxy, database_url: str
) -> None:
    # As `lockbot doors sync` in a terminal would hold it, mid-transaction.
    held = sqlite3.connect(str(make_url(database_url).database), isolation_level=None)
    held.execute("BEGIN IMMEDIATE")
    try:
        sent = asyncio.create_task(live.command("front door"))
        await asyncio.sleep(0.5)
        assert not sent.done(), "acked before its row could be written"
        health = await live.http.get("/healthz", timeout=3)
        assert health.status_code == 200, "the bot stopped while its write waited"
    finally:
        held.execute("ROLLBACK")
        held.close()
    ack = await sent
    assert ack.response.status_code == 200 and ack.response.text == ""  # a plain ack
    assert ack.elapsed_s >= 0.5
    await seam.wait_for_attempt()
    assert [row.user_id for row in await lock_rows(database_url)] == ["U1"]
