"""User-group membership from Slack (`usergroups.users.list`), cached briefly.

Answers are cached for `MEMBERS_TTL_S`. A look-up that fails is remembered for `FAILURE_TTL_S`,
so a Slack outage costs one call per group and half minute rather than one per command, and
until then the group counts as "not a member" (`GroupLookupError`; deny by default). A command
waits at most `WAIT_S` for an answer, since Slack wants its ack within 3 s; the call itself goes
on, and its answer fills the cache for the next one. Commands asking about the same group at
the same time share one call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import GroupLookupError

log = logging.getLogger(__name__)

MEMBERS_TTL_S = 60.0
FAILURE_TTL_S = 30.0
WAIT_S = 2.0


@dataclass(frozen=True)
class _Known:
    until: float  # time.monotonic()
    users: frozenset[str] | None  # None: Slack could not tell us
    why: str = ""


class SlackGroups:
    """The GroupDirectory port. Memberships change rarely; a short cache keeps acks fast."""

    def __init__(
        self,
        client: AsyncWebClient,
        ttl_s: float = MEMBERS_TTL_S,
        *,
        failure_ttl_s: float = FAILURE_TTL_S,
        wait_s: float = WAIT_S,
    ) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self.failure_ttl_s = failure_ttl_s
        self.wait_s = wait_s
        self._known: dict[str, _Known] = {}
        self._asking: dict[str, asyncio.Task[_Known]] = {}

    async def members(self, group_id: str) -> frozenset[str]:
        known = self._known.get(group_id)
        if known is None or time.monotonic() >= known.until:
            known = await self._answer(group_id)
        if known.users is None:
            raise GroupLookupError(group_id, known.why)
        return known.users

    async def _answer(self, group_id: str) -> _Known:
        task = self._asking.get(group_id)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._ask(group_id))
            self._asking[group_id] = task
            task.add_done_callback(lambda done: self._forget(group_id, done))
        try:
            # Shielded: a command that stops waiting leaves the call to fill the cache.
            return await asyncio.wait_for(asyncio.shield(task), self.wait_s)
        except TimeoutError:
            return _Known(0.0, None, f"Slack did not answer within {self.wait_s:g} s")

    def _forget(self, group_id: str, done: asyncio.Task[_Known]) -> None:
        if self._asking.get(group_id) is done:
            del self._asking[group_id]

    async def _ask(self, group_id: str) -> _Known:
        try:
            response = await self.client.usergroups_users_list(usergroup=group_id)
        except SlackApiError as error:
            code = str(error.response.get("error"))
            if code == "no_such_subteam":  # deleted: a definite answer, nobody is in it
                return self._remember(group_id, frozenset())
            return self._failed(group_id, code)
        except Exception as error:  # refused, timed out, unreadable: Slack cannot tell us
            return self._failed(group_id, type(error).__name__)
        return self._remember(group_id, frozenset(str(u) for u in response.get("users") or []))

    def _remember(self, group_id: str, users: frozenset[str]) -> _Known:
        known = _Known(time.monotonic() + self.ttl_s, users)
        self._known[group_id] = known
        return known

    def _failed(self, group_id: str, why: str) -> _Known:
        log.warning(
            "cannot read the members of user group %s (%s); its members are denied for %g s",
            group_id,
            why,
            self.failure_ttl_s,
        )
        known = _Known(time.monotonic() + self.failure_ttl_s, None, why)
        self._known[group_id] = known
        return known
