"""Group commit: the requests many intakes decided at once are recorded by one writer, in one
transaction per batch, and each is acked only after its batch commits.

A request hands its row (decided on a snapshot of the directory) to `Receipts.record` and waits.
The writer takes whatever has queued, writes it with Core statements (the rows in one
`INSERT … RETURNING`, executed as one multi-row statement), and commits (`Database.in_writer`:
on SQLite on the event loop itself, on PostgreSQL through `run_sync`). Requests that arrive
meanwhile form the next batch. On one client a request is written alone at once; under a burst
(the last batch had company) the writer first lets the loop take in what has already arrived,
for a few turns and at most 2 ms, so the batches stay whole.

In the same transaction, after the rows are written (on SQLite the write lock is then held; on
PostgreSQL the version row is read `FOR SHARE`, so a change to the directory waits for this
commit or this read waits for it):
- the directory's version is read: a batch holding a row decided on an older snapshot is rolled
  back, and those requests are decided again (`StaleSnapshot`), so a grant revoked before the
  commit never authorizes a request;
- a pending row joins the lock already in flight for its door, or the first pending row of the
  batch for it; the in-flight leaders are read `FOR SHARE` too, so one that was still pending
  will find this row when it settles (no catch-up needed).
A batch that fails is written again one row at a time, so one bad row fails alone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import SQLModel

from bot.db import CommitUnknown, Database
from bot.locking.requests import same_place
from bot.locking.snapshot import VERSION
from bot.models import LockRequest, LockStatus, assembled_request

log = logging.getLogger(__name__)

_TABLE = SQLModel.metadata.tables["lock_request"]
_COLUMNS = tuple(c.name for c in _TABLE.columns if c.name != "id")
# Left out of an INSERT, these would take their default rather than the row's None.
_DEFAULTED = frozenset(
    c.name
    for c in _TABLE.columns
    if c.name != "id" and (c.default is not None or c.server_default is not None)
)
# Built once, values given as parameters: SQLAlchemy's compiled cache then finds it cheaply.
# One multi-row INSERT per batch ("insertmanyvalues"). Its RETURNING rows are matched to the
# requests by request id: asking SQLAlchemy to keep them in order instead makes it insert row by
# row on SQLite, one hand-off to aiosqlite's thread each.
_INSERT = _TABLE.insert().returning(_TABLE.c.id, _TABLE.c.request_id)
_PENDING = LockStatus.PENDING
_LEADERS = sa.select(_TABLE).where(
    _TABLE.c.door_id.in_(sa.bindparam("doors", expanding=True)),
    _TABLE.c.status == _PENDING,
    _TABLE.c.joined_id.is_(None),
)
_STILL_PENDING = (
    sa.select(_TABLE.c.id)
    .where(_TABLE.c.id.in_(sa.bindparam("ids", expanding=True)), _TABLE.c.status == _PENDING)
    .with_for_update(read=True)
)
_VERSION_SHARED = VERSION.with_for_update(read=True)
_BATCH_ROWS = sa.tuple_(_TABLE.c.id, _TABLE.c.request_id).in_(sa.bindparam("pairs", expanding=True))
_COUNT_OF = sa.select(sa.func.count()).where(_BATCH_ROWS)
# Pending and nobody's: `Recovery.take_over` carries such a request out. A joined one is left
# alone: its leader's outcome settles it.
_LET_GO = (
    sa.update(_TABLE)
    .where(_BATCH_ROWS, _TABLE.c.status == _PENDING, _TABLE.c.joined_id.is_(None))
    .values(owner=None, lease_until=None)
)
MAX_BATCH = 500
# A turn of the loop reads the sockets that are ready and starts their handlers; a handler
# reaches `record` on the next turn. Four turns gathered a 50-connection burst into whole batches.
COMPANY_TURNS = 4
COMPANY_WAIT_S = 0.002
_JOIN_COLUMNS = ("joined_id", "deadline_at", "message_channel", "message_ts")


# What a batch's transaction found: the leaders in flight for its doors (by door id), and
# which of them were still pending at the commit.
_Written = tuple[dict[int, LockRequest], set[int]]


class RecordUnknown(Exception):
    """The connection broke as the request's COMMIT went, and the database cannot say yet
    whether it landed. If it did, it is carried out like any request taken over."""


class StaleSnapshot(Exception):
    """The directory changed after the request was decided: decide it again on `version`."""

    def __init__(self, version: int) -> None:
        super().__init__(f"the directory is at version {version}")
        self.version = version


@dataclass(frozen=True)
class Receipt:
    """A request as committed: the lock in flight it joined, if any, and whether that one was
    still pending at the commit (then it tells this request when it settles)."""

    leader: LockRequest | None = None
    leader_pending: bool = False


@dataclass
class _Waiting:
    row: LockRequest
    version: int  # of the snapshot it was decided on
    done: asyncio.Future[Receipt]
    leader: LockRequest | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def answer(self, receipt: Receipt | None = None, error: BaseException | None = None) -> None:
        if self.done.done():  # the request gave up waiting; its row is written all the same
            return
        if error is not None:
            self.done.set_exception(error)
        else:
            self.done.set_result(receipt or Receipt())


def _joins(row: LockRequest, leader: LockRequest) -> dict[str, Any]:
    """The columns of a request that waits on `leader`; told in its thread only when it was
    asked in the same channel (`same_place`)."""
    here = same_place(row, leader)
    return {
        "joined_id": leader.id,
        "deadline_at": leader.deadline_at,
        "message_channel": leader.message_channel if here else None,
        "message_ts": leader.message_ts if here else None,
    }


def _set_columns(batch: list[_Waiting]) -> list[dict[str, Any]]:
    """The batch's values, with only the columns some row sets: a request's row leaves most of
    them empty (its outcome, Seam's attempt, …), and each value given costs a bind processor per
    row. A column left out is NULL all the same; SQLAlchemy compiles one INSERT per set of
    columns and keeps it."""
    named = {name for w in batch for name, value in w.values.items() if value is not None}
    named |= _DEFAULTED
    return [{name: w.values[name] for name in named} for w in batch]


class Receipts:
    """The one writer of this process's door requests."""

    def __init__(
        self, db: Database, max_batch: int = MAX_BATCH, company_wait_s: float = COMPANY_WAIT_S
    ) -> None:
        self.db = db
        self.max_batch = max_batch
        self.company_wait_s = company_wait_s
        self._queue: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None
        self._shared_reads = db.engine.dialect.name == "postgresql"
        self.batches = 0  # for the tests and the bench: how many transactions it took
        self._last_size = 0
        self._letting_go: set[asyncio.Task[None]] = set()

    async def record(self, row: LockRequest, version: int) -> Receipt:
        """Write `row` (its id is set) and return once it is committed; raises what failed it,
        or `StaleSnapshot`."""
        waiting = _Waiting(row, version, asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await waiting.done

    async def _write(self) -> None:
        while self._queue:
            await self._company()
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            self._last_size = len(batch)
            try:
                await self._commit(batch)
            except Exception as error:
                # A batch whose COMMIT may have landed is never written again (`_after_cut`).
                if len(batch) == 1 or isinstance(error, (StaleSnapshot, RecordUnknown)):
                    for waiting in batch:
                        waiting.answer(error=error)
                    continue
                log.warning("a batch of %d requests failed (%s); each alone", len(batch), error)
                for waiting in batch:
                    try:
                        await self._commit([waiting])
                    except Exception as alone:
                        waiting.answer(error=alone)

    async def _company(self) -> None:
        """Under a burst (the last batch had company), let the event loop take in the requests
        that have already arrived before a batch is taken: a few turns of the loop, never past
        `company_wait_s`. Without it, batches alternated between one straggler and the rest,
        and each paid a whole transaction. A request alone (one client) is written at once."""
        if self._last_size < 2:
            return
        until = time.monotonic() + self.company_wait_s
        for _ in range(COMPANY_TURNS):
            if len(self._queue) >= self.max_batch or time.monotonic() >= until:
                return
            await asyncio.sleep(0)

    async def _commit(self, batch: list[_Waiting]) -> None:
        def write(conn: sa.Connection) -> _Written:
            return self._written(conn, batch)

        try:
            leaders, pending = await self.db.in_writer(write)
        except CommitUnknown as unknown:
            leaders, pending = await self._after_cut(batch, unknown, write)
        self.batches += 1
        known = {leader.id for leader in leaders.values()}
        for waiting in batch:
            # Straight into the instance, as `assembled_request` built it: no session tracks
            # it, so the instrumented set per column would buy nothing.
            values = waiting.values
            waiting.row.__dict__.update({name: values[name] for name in _JOIN_COLUMNS})
            leader = waiting.leader
            still = leader is not None and (leader.id in pending or leader.id not in known)
            waiting.answer(Receipt(leader, still))

    async def _after_cut(
        self,
        batch: list[_Waiting],
        unknown: CommitUnknown,
        write: Callable[[sa.Connection], _Written],
    ) -> _Written:
        """The connection broke with the batch's COMMIT on its way: once its session is over on
        the server (`fenced`), the table says whether it landed. Never written twice: its
        pending rows would join copies of themselves that nothing tracks."""
        found = await self._found(batch) if unknown.fenced and not self.db.closed else None
        if found == len(batch):  # only the answer was lost
            return cast(_Written, unknown.result)
        if found == 0:  # rolled back: written again, once
            try:
                return await self.db.in_writer(write)
            except CommitUnknown:
                pass  # cut again: it may have landed this time
        # The database cannot say yet. Whatever landed is let go as soon as it can, so that
        # whoever takes over pending requests carries it out (here, or another replica).
        task = asyncio.create_task(self._let_go([waiting.row for waiting in batch]))
        self._letting_go.add(task)
        task.add_done_callback(self._letting_go.discard)
        raise RecordUnknown() from unknown

    async def _found(self, batch: list[_Waiting]) -> int | None:
        """How many rows of the batch are in the table (all or none: it was one transaction),
        by id and request id; None when the database cannot say."""
        pairs = [(waiting.row.id, waiting.row.request_id) for waiting in batch]
        try:
            async with self.db.engine.connect() as conn:
                found = int((await conn.execute(_COUNT_OF, {"pairs": pairs})).scalar_one())
        except sa.exc.DBAPIError:
            return None
        log.warning("a batch's COMMIT was cut; %d of its %d rows had landed", found, len(pairs))
        return found

    async def _let_go(self, rows: list[LockRequest], wait_s: float = 1.0) -> None:
        pairs = [(row.id, row.request_id) for row in rows]
        while not self.db.closed:  # else whoever takes over after this process, as ever
            try:
                async with self.db.engine.begin() as conn:
                    result = await conn.execute(_LET_GO, {"pairs": pairs})
                log.warning("of a cut batch, %d pending requests let go", result.rowcount)
                return
            except sa.exc.DBAPIError as error:
                log.warning("a cut batch: cannot reach the database yet (%s)", error)
            await asyncio.sleep(wait_s)
            wait_s = min(wait_s * 2, 30.0)

    def _written(self, conn: sa.Connection, batch: list[_Waiting]) -> _Written:
        """The batch's transaction (on a sync connection, see `Database.in_writer`): the
        leaders it found in flight, and which of them were still pending at the commit."""
        leaders = self._leaders(conn, batch)
        first: list[_Waiting] = []
        later: list[_Waiting] = []
        new: dict[int, _Waiting] = {}
        for waiting in batch:
            row = waiting.row
            state = row.__dict__  # every column is there: `assembled_request` puts them all
            waiting.values = {name: state[name] for name in _COLUMNS}
            waiting.leader = None
            if row.status is not _PENDING or row.door_id is None:
                first.append(waiting)
            elif (leader := leaders.get(row.door_id)) is not None:
                waiting.leader = leader
                waiting.values |= _joins(row, leader)
                first.append(waiting)
            elif row.door_id in new:
                later.append(waiting)
            else:
                new[row.door_id] = waiting
                first.append(waiting)
        self._insert(conn, first)
        for waiting in later:  # behind a leader of this batch, whose id is known now
            assert waiting.row.door_id is not None
            waiting.leader = new[waiting.row.door_id].row
            waiting.values |= _joins(waiting.row, waiting.leader)
        self._insert(conn, later)
        version = int(conn.execute(self._version()).scalar() or 0)
        if any(waiting.version != version for waiting in batch):
            conn.rollback()
            raise StaleSnapshot(version)
        pending = self._still_pending(conn, leaders)
        return leaders, pending  # `in_writer` commits

    def _version(self) -> sa.Select[int]:
        return _VERSION_SHARED if self._shared_reads else VERSION

    def _leaders(self, conn: sa.Connection, batch: list[_Waiting]) -> dict[int, LockRequest]:
        doors = {w.row.door_id for w in batch if w.row.status is _PENDING and w.row.door_id}
        if not doors:
            return {}
        rows = conn.execute(_LEADERS, {"doors": sorted(doors)}).mappings()
        return {row["door_id"]: assembled_request(**row) for row in rows}

    def _still_pending(self, conn: sa.Connection, leaders: dict[int, LockRequest]) -> set[int]:
        if not leaders:
            return set()
        ids = sorted(leader.id for leader in leaders.values() if leader.id is not None)
        return set(conn.execute(_STILL_PENDING, {"ids": ids}).scalars())

    def _insert(self, conn: sa.Connection, batch: list[_Waiting]) -> None:
        by_request = {w.row.request_id: w for w in batch}
        if len(by_request) < len(batch) or None in by_request:
            # Request ids are new for every request; should two ever meet, one at a time.
            for waiting in batch:
                waiting.row.id = conn.execute(_INSERT, waiting.values).one().id
            return
        if batch:
            for row_id, request_id in conn.execute(_INSERT, _set_columns(batch)):
                by_request[request_id].row.__dict__["id"] = row_id  # as `assembled_request` sets
