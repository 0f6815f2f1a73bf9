"""Logging setup. Secrets are scrubbed from every formatted line, tracebacks included."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        # Longest first, so a secret that contains another is replaced whole.
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text


def configure(secrets: Iterable[str], level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Their INFO lines repeat ours or print payloads; warnings still come through.
    # Bolt warns that the token is unused because we hand it a ready client; that is on purpose.
    logging.getLogger("slack_bolt.AsyncApp").setLevel(logging.ERROR)
    for noisy in ("alembic", "apscheduler", "slack_bolt", "slack_sdk", "httpx", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
