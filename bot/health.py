"""Whether an outside service is currently failing, from the calls we make to it anyway.

Anyone who can reach /healthz reads the reason, so it is a short code of ours
(`locks.lock_door: seam_unavailable`), never the service's own words; those go to the log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FAILING_AFTER = 3  # consecutive failures; one blip is not an outage
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_.]{0,63}")


def reason_code(text: str) -> str:
    """`text` if it has the shape of a code, else "error": a caller that hands over a
    service's message by mistake still leaks nothing."""
    return text if _CODE.fullmatch(text) else "error"


@dataclass
class ServiceHealth:
    name: str
    consecutive_failures: int = 0
    last_error: str | None = None

    def ok(self) -> None:
        self.consecutive_failures = 0
        self.last_error = None

    def failed(self, method: str, reason: str) -> None:
        self.consecutive_failures += 1
        self.last_error = f"{reason_code(method)}: {reason_code(reason)}"

    @property
    def failing(self) -> bool:
        return self.consecutive_failures >= FAILING_AFTER

    def report(self) -> str:
        return f"failing: {self.last_error}" if self.failing else "ok"
