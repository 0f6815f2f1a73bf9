"""Device news as facts: what the event relay tells about a door, for a surface to word
(Slack: `bot.slack.words.news`). The relay decides what is news; it says nothing itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

_LOW = ("low", "critical")


def is_low(battery_status: str) -> bool:
    return battery_status in _LOW


@dataclass(frozen=True)
class Tampered:
    door: str


@dataclass(frozen=True)
class Unlocked:
    door: str
    method: str | None  # Seam's: keycode, manual, remote, unknown…


@dataclass(frozen=True)
class UnexpectedUnlock:
    """An unlock at `at`, soon after the scheduled lock due at `locked_at`."""

    door: str
    method: str | None
    at: datetime
    locked_at: datetime
    timezone: str  # the schedule's, in which both times read


@dataclass(frozen=True)
class Locked:
    door: str
    method: str | None


@dataclass(frozen=True)
class Battery:
    door: str
    status: str  # critical | low | good | full
    level: float | None  # 0.0 … 1.0


@dataclass(frozen=True)
class Offline:
    door: str


@dataclass(frozen=True)
class Online:
    door: str
    offline_for: timedelta | None  # None: when it went offline is not known


@dataclass(frozen=True)
class Outage:
    """An outage's message, edited once the device is back."""

    door: str
    offline_for: timedelta


@dataclass(frozen=True)
class Flapping:
    """A flapping spell's message, edited at each disconnect and reconnect."""

    door: str
    count: int  # disconnects so far
    span: timedelta  # since the first of them
    online: bool  # as it is now


News = (
    Tampered | Unlocked | UnexpectedUnlock | Locked | Battery | Offline | Online | Outage | Flapping
)
