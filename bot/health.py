"""Whether an outside service is currently failing, from the calls we make to it anyway."""

from __future__ import annotations

from dataclasses import dataclass

FAILING_AFTER = 3  # consecutive failures; one blip is not an outage


@dataclass
class ServiceHealth:
    name: str
    consecutive_failures: int = 0
    last_error: str | None = None

    def ok(self) -> None:
        self.consecutive_failures = 0
        self.last_error = None

    def failed(self, error: str) -> None:
        self.consecutive_failures += 1
        self.last_error = error

    @property
    def failing(self) -> bool:
        return self.consecutive_failures >= FAILING_AFTER

    def report(self) -> str:
        return f"failing: {self.last_error}" if self.failing else "ok"
