"""The buttons on an unlock inside a lock window (`words.windows`): Lock now, Keep open, and
Keep open until the window ends (admins).

Lock now is a lock request from whoever tapped, through `LockService.submit` like a typed
`/lock`, told in the message's thread. Keep open postpones the relock (`Relocks.keep_open`,
which checks that the tapper may lock the door, audits, and tells the thread); a refusal goes to
the tapper alone. Neither ever unlocks anything.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot import metrics
from bot.locking import Requester
from bot.relocks import Relocks
from bot.slack import picker, retry
from bot.slack.words import windows as words
from bot.window_news import KeepOpenRefused, KeptOpen

log = logging.getLogger(__name__)


class _Reply(Protocol):
    @property
    def result(self) -> str: ...

    def payload(self) -> dict[str, Any]: ...


Lock = Callable[[Requester, str], Awaitable[_Reply | None]]


def _relock_id(action: dict[str, Any]) -> int | None:
    """The relock row a button names; None for a value no button of ours carries: an id is
    positive ASCII digits (`isdigit` alone also passes "²") within the table's 32-bit integer."""
    value = picker.chosen_value(action)
    if value is None or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number < 2**31 else None


def add_window_buttons(app: AsyncApp, relocks: Relocks, lock: Lock) -> None:
    @app.action(words.LOCK_NOW_ACTION_ID)
    async def lock_now(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        relock_id, requester = _relock_id(action), retry.tapped_by(body)
        if requester is None:
            return
        name = None if relock_id is None else await relocks.door_name(relock_id)
        if name is None:  # its door was removed since (or the value is not ours)
            await respond(
                text=words.LOCK_NOW_GONE, replace_original=False, response_type="ephemeral"
            )
            return
        reply = await lock(requester, name)
        metrics.command_count("lock_now", reply.result if reply else "accepted").inc()
        if reply is not None:
            await respond(replace_original=False, **reply.payload())

    async def keep_open(
        body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, to_end: bool
    ) -> None:
        relock_id = _relock_id(action)
        user = (body.get("user") or {}).get("id")
        if not user:
            return
        done: KeptOpen | KeepOpenRefused = KeepOpenRefused("", "over")
        if relock_id is not None:
            done = await relocks.keep_open(relock_id, str(user), to_window_end=to_end)
        result = "refused" if isinstance(done, KeepOpenRefused) else "kept"
        metrics.command_count("keep_open", result).inc()
        if isinstance(done, KeepOpenRefused):
            text = words.keep_open_refused(done)
            await respond(text=text, replace_original=False, response_type="ephemeral")

    @app.action(words.KEEP_OPEN_ACTION_ID)
    async def keep_open_a_while(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        await keep_open(body, action, respond, to_end=False)

    @app.action(words.KEEP_OPEN_TO_END_ACTION_ID)
    async def keep_open_to_end(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        await keep_open(body, action, respond, to_end=True)
