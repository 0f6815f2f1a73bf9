"""What the checks share: the settings, the clients they open, and the results some checks need
from others (the doors need Seam's locks); and `guarded`, which keeps one check from stopping
the rest and any secret from reaching a detail or a fix."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.db import Database
from bot.doctor.checks import Check, failed, first_line

CHECK_TIMEOUT_S = 20.0  # the most any one check may take, whatever its clients do
SLACK_TIMEOUT_S = 10  # per Slack HTTP call


class Probe:
    """One run of the checks: what they opened and what they found, for the checks after them."""

    def __init__(self, settings: Settings, *, http: bool = False) -> None:
        self.settings = settings
        self.http = settings.serves_slack_http(http=http)  # as `lockbot serve [--http]` would
        self.db: Database | None = None  # set by the database check
        self.db_ready = False  # the database check found its schema current
        self.auth: AsyncSlackResponse | None = None  # the bot token's auth.test answer
        self.locks: list[Any] | None = None  # the locks the seam key check listed
        self.seam: Any = None  # bot.seam.SeamBackend, imported when it is needed
        self._slack: AsyncWebClient | None = None

    def secrets(self) -> list[str]:
        values = list(self.settings.secrets())
        try:
            password = make_url(self.settings.database_url).password
        except Exception:
            password = None
        if password:
            values.append(str(password))
        return sorted((v for v in values if v), key=len, reverse=True)

    def scrub(self, check: Check) -> Check:
        detail, fix = check.detail, check.fix
        for secret in self.secrets():
            detail, fix = detail.replace(secret, "[redacted]"), fix.replace(secret, "[redacted]")
        return Check(check.name, check.ok, detail, fix)

    @property
    def slack(self) -> AsyncWebClient:
        if self._slack is None:
            from bot.runtime import slack_client

            self._slack = slack_client(self.settings)
            self._slack.timeout = SLACK_TIMEOUT_S
        return self._slack

    async def close(self) -> None:
        closers: list[Awaitable[Any]] = []
        if self._slack is not None and self._slack.session is not None:
            closers.append(self._slack.session.close())
        if self.seam is not None:
            closers.append(self.seam.close())
        if self.db is not None:
            closers.append(self.db.close())
        # Closing is best effort: a client that fails to close must not hide the report.
        await asyncio.gather(*closers, return_exceptions=True)

    async def guarded(
        self, name: str, check: Callable[[], Awaitable[Check]], timeout_s: float = CHECK_TIMEOUT_S
    ) -> Check:
        """Run one check; a timeout or an unexpected error becomes its ✗, never a traceback."""
        try:
            result = await asyncio.wait_for(check(), timeout_s)
        except TimeoutError:
            result = failed(
                name,
                f"no answer within {timeout_s:g} s",
                "check the network and the service's URL setting, then run doctor again",
            )
        except Exception as error:
            result = failed(name, f"unexpected error: {first_line(error)}")
        return self.scrub(result)
