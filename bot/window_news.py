"""What lock windows tell, as facts for a surface to word (Slack: `bot.slack.words.windows`):
an unlock inside a window, and how its relock went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal


@dataclass(frozen=True)
class WindowUnlock:
    """A door unlocked inside its lock window: the message with Lock now and Keep open."""

    relock_id: int
    door: str
    method: str | None  # Seam's (keycode, manual, remote…); None: a state check found it
    code_name: str | None  # the access code's name, for a keypad unlock when Seam says it
    at: datetime
    until: datetime  # the window's end
    relock_at: datetime | None  # None: no relock (`relock never`, or the window ends first)
    timezone: str  # the schedule's, in which the times read
    keep_open: timedelta  # what one Keep open tap postpones the relock by


@dataclass(frozen=True)
class KeptOpen:
    """Someone postponed the relock (audited)."""

    door: str
    by: str  # a Slack user ID
    until: datetime
    timezone: str
    to_window_end: bool  # kept to the window's end (by an admin, or a tap reaching it): no relock


@dataclass(frozen=True)
class NoRelock:
    """A relock that was due and is not needed, or no longer lockbot's to do (the window ended,
    or its schedule was removed: `unscheduled`)."""

    door: str
    why: Literal["already_locked", "window_ended", "unscheduled"]
    until: datetime
    timezone: str


@dataclass(frozen=True)
class RelockGaveUp:
    """The relock failed, was tried once more, and failed again (or was refused): lockbot stops
    and alerts."""

    door: str
    tries: int
    error: str | None  # the last request's error type


WindowNews = KeptOpen | NoRelock | RelockGaveUp


@dataclass(frozen=True)
class KeepOpenRefused:
    """Why a Keep open tap changed nothing. `kept` (the relock is already that late or later)
    says until when: `until`, in `timezone`; at the window's end, no relock is left."""

    door: str
    why: Literal["over", "may_not_lock", "admins_only", "kept"]
    until: datetime | None = None
    timezone: str = "UTC"
    to_window_end: bool = False
