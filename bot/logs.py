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
import time
from collections.abc import Iterable
from typing import Literal

LogFormat = Literal["auto", "json", "text"]
_json = json.JSONEncoder(ensure_ascii=False).encode

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
    """One JSON object per line, for log shippers. Built by hand from parts that need no
    escaping or are escaped once (under a burst of /lock, a dict through json.dumps and a
    datetime per line were most of the request's log line)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__(None, secrets)
        self._second = -1
        self._second_text = ""
        self._names: dict[str, str] = {}
        self._levels: dict[str, str] = {}

    def _ts(self, created: float) -> str:
        second = int(created)
        if second != self._second:  # lines come many to a second: its text is made once
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._second_text}.{int((created - second) * 1000):03d}+00:00"

    def _quoted(self, name: str, cache: dict[str, str]) -> str:
        """A logger's or a level's name as JSON: there are few of each, so each is made once."""
        quoted = cache.get(name)
        if quoted is None:
            quoted = cache[name] = _json(name)
        return quoted

    def format(self, record: logging.LogRecord) -> str:
        line = (
            f'{{"ts": "{self._ts(record.created)}", '
            f'"level": {self._quoted(record.levelname.lower(), self._levels)}, '
            f'"logger": {self._quoted(record.name, self._names)}, '
            f'"message": {_json(record.getMessage())}'
        )
        rid = getattr(record, "request_id", None)
        if rid:
            line += f', "request_id": {_json(str(rid))}'
        if record.exc_info:
            line += f', "exception": {_json(self.formatException(record.exc_info))}'
        return self.redact(line + "}")


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
