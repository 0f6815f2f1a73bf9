"""Logging: readable text on a terminal, one JSON object per line elsewhere.

Every line logged while a lock request is being handled carries its request id (a context
variable, so background tasks inherit it). Secrets are scrubbed from every formatted line,
tracebacks included.
"""

from __future__ import annotations

import contextvars
import json
import logging
import random
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

LogFormat = Literal["auto", "json", "text"]

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "lockbot_request_id", default=None
)


def new_request_id() -> str:
    """12 hex digits, new for every request. It ties log lines and a row together and needs no
    secrecy, so it comes from `random` (uuid4 reads the kernel's random source on every call,
    which under a burst of /lock cost more than the rest of the id's work)."""
    return f"{random.getrandbits(48):012x}"


def bind_request(request_id: str | None) -> None:
    """Tag every later log line in this task (and the tasks it starts) with `request_id`."""
    _request_id.set(request_id)


def current_request_id() -> str | None:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class _Redacting(logging.Formatter):
    def __init__(self, fmt: str | None, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        # Longest first, so a secret that contains another is replaced whole.
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text


class RedactingFormatter(_Redacting):
    """Text lines: `time level logger [request id]: message`."""

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        record.rid = f" [{rid}]" if rid else ""
        return self.redact(super().format(record))


class JsonFormatter(_Redacting):
    """One JSON object per line, for log shippers."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__(None, secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            entry["request_id"] = rid
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(entry, ensure_ascii=False))


def configure(secrets: Iterable[str], level: int = logging.INFO, fmt: LogFormat = "auto") -> None:
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        JsonFormatter(secrets)
        if as_json
        else RedactingFormatter("%(asctime)s %(levelname)s %(name)s%(rid)s: %(message)s", secrets)
    )
    # Neither format says where a line was logged from, so the logger need not walk the stack
    # to find out (the logging HOWTO's "Optimization"): under a burst of /lock that walk, through
    # Bolt's and aiohttp's frames, cost more than the rest of the line.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Bolt warns that the token is unused because we hand it a ready client; that is on purpose.
    logging.getLogger("slack_bolt.AsyncApp").setLevel(logging.ERROR)
    # Their INFO lines repeat ours or print payloads; warnings still come through.
    for noisy in ("alembic", "apscheduler", "slack_bolt", "slack_sdk", "httpx", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
