"""The Slack Web API client: slack_sdk's, with retries, a log line, a metric and health per call."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot import metrics
from bot.health import ServiceHealth

log = logging.getLogger(__name__)


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
            self._record(api_method, code, started, failed=error.response.status_code >= 429)
            raise
        except Exception as error:
            self._record(api_method, type(error).__name__, started, failed=True)
            raise
        self._record(api_method, "ok", started, failed=False)
        return response

    def _record(self, method: str, status: str, started: float, *, failed: bool) -> None:
        metrics.SLACK_CALLS.labels(method=method, status=status).inc()
        if failed:
            self.health.failed(f"{method}: {status}")
        else:
            self.health.ok()
        elapsed_ms = (time.perf_counter() - started) * 1000
        level = logging.INFO if status == "ok" else logging.WARNING
        log.log(level, "slack %s → %s (%.0f ms)", method, status, elapsed_ms)
