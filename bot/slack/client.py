"""The Slack Web API client: slack_sdk's, with retries, a log line, a metric and health per call."""

from __future__ import annotations

import logging
import time
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot import metrics
from bot.health import ServiceHealth, reason_code

log = logging.getLogger(__name__)


def _outage(status: int) -> str | None:
    """Why an answer from Slack means Slack is failing (429, 5xx), named by its status and never
    by Slack's text; None when the call itself was wrong."""
    if status < 429:
        return None
    if status == 429:
        return "slack_rate_limited"
    return "slack_unavailable" if status >= 500 else f"slack_http_{status}"


def _broken(error: Exception) -> str:
    if isinstance(error, TimeoutError):
        return "slack_timeout"
    if isinstance(error, aiohttp.ClientConnectionError | OSError):
        return "slack_unreachable"
    return "slack_error"


class SlackClient(AsyncWebClient):
    """Every Web API method funnels through `api_call`, so it is measured once, here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.health = ServiceHealth("slack")
        self.retry_handlers.extend(
            [
                AsyncRateLimitErrorRetryHandler(max_retry_count=3),
                AsyncServerErrorRetryHandler(max_retry_count=2),
            ]
        )
        # The connection-error handler is in slack_sdk's default list already; keep one.
        if not any(isinstance(h, AsyncConnectionErrorRetryHandler) for h in self.retry_handlers):
            self.retry_handlers.append(AsyncConnectionErrorRetryHandler())

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        started = time.perf_counter()
        try:
            response = await super().api_call(api_method, **kwargs)
        except SlackApiError as error:
            code = str(error.response.get("error", "error"))
            self._record(api_method, code, started, failed=_outage(error.response.status_code))
            raise
        except Exception as error:
            self._record(api_method, type(error).__name__, started, failed=_broken(error))
            raise
        self._record(api_method, "ok", started, failed=None)
        return response

    def _record(self, method: str, status: str, started: float, *, failed: str | None) -> None:
        """`failed`: why Slack counts as failing (a code of ours), None when Slack answered."""
        # A label, like a probe, is a code: Slack's `error` is one unless Slack is broken.
        metrics.SLACK_CALLS.labels(method=method, status=reason_code(status)).inc()
        if failed is not None:
            self.health.failed(method, failed)
        else:
            self.health.ok()
        elapsed_ms = (time.perf_counter() - started) * 1000
        level = logging.INFO if status == "ok" else logging.WARNING
        log.log(level, "slack %s → %s (%.0f ms)", method, status, elapsed_ms)
