"""User-group membership from Slack (`usergroups.users.list`), cached briefly."""

from __future__ import annotations

import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class SlackGroups:
    """The GroupDirectory port. Memberships change rarely; a short cache keeps acks fast."""

    def __init__(self, client: AsyncWebClient, ttl_s: float = 60.0) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}

    async def members(self, group_id: str) -> frozenset[str]:
        now = time.monotonic()
        cached = self._cache.get(group_id)
        if cached and now - cached[0] < self.ttl_s:
            return cached[1]
        try:
            response = await self.client.usergroups_users_list(usergroup=group_id)
        except SlackApiError as error:
            # Deny rather than fail the command; the log says why a member was turned away.
            log.warning(
                "cannot read members of user group %s: %s", group_id, error.response.get("error")
            )
            return frozenset()
        users = frozenset(str(u) for u in response.get("users") or [])
        self._cache[group_id] = (now, users)
        return users
