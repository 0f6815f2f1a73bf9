"""Who carries out a pending request: an owner id per process, and a lease it keeps renewing.

Several replicas (and `lockbot lock` at a terminal) share one database. Each records its own
requests with its owner id and a lease; while it lives it renews the lease every third of its
length, and another process takes a request over only once the lease has lapsed
(bot/recovery.py). So a replica that starts during a rolling deploy leaves the others' requests
alone, and a killed one's are taken over within `seconds + renew_every_s`.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta


def new_owner() -> str:
    """Unique per process, and readable in the table: host, pid and a random tail (a pid is
    reused after a restart, and containers all have pid 1)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Lease:
    seconds: float = 15.0
    owner: str = field(default_factory=new_owner)

    @property
    def renew_every_s(self) -> float:
        # Two renewals can fail (a stalled loop, a slow database) before the lease lapses.
        return self.seconds / 3

    @property
    def takeover_bound_s(self) -> float:
        """How long after its owner dies a request waits before another process takes it:
        the lease runs out, then the next look for lapsed leases finds it."""
        return self.seconds + self.renew_every_s

    def until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.seconds)
