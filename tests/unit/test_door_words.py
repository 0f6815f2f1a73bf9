"""How a door's state reads in `/lock list`: which it is, who says so, how long ago."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.door_state import DoorState, LockFact, Source
from bot.models import LockRequest, LockStatus, utcnow
from bot.slack.words.common import ago
from bot.slack.words.doors import lock_words, state_words

NOW = utcnow()


@pytest.mark.parametrize(
    ("elapsed", "said"),
    [
        (timedelta(seconds=-20), "just now"),  # Seam's clock a little ahead of ours
        (timedelta(0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=60), "1 min ago"),
        (timedelta(minutes=5, seconds=30), "5 min ago"),
        (timedelta(minutes=59, seconds=59), "59 min ago"),
        (timedelta(hours=1), "1 h ago"),
        (timedelta(hours=2, minutes=50), "2 h ago"),
        (timedelta(hours=47, minutes=59), "47 h ago"),
        (timedelta(hours=48), "2 d ago"),
        (timedelta(days=30), "30 d ago"),
    ],
)
def test_relative_times(elapsed: timedelta, said: str) -> None:
    assert ago(NOW - elapsed, NOW) == said


def fact(source: Source, locked: bool = True, **fields: Any) -> LockFact:
    return LockFact(locked, NOW - timedelta(minutes=5), source, **fields)


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (fact(Source.LOCKBOT, actor="U1", via="slack"), ("🔒", "locked by lockbot (<@U1>) 5 min ago")),
        (fact(Source.LOCKBOT, actor="U1", via="schedule"), ("🔒", "locked by lockbot (<@U1>'s schedule) 5 min ago")),
        (fact(Source.LOCKBOT, actor="cli:ann", via="cli"), ("🔒", "locked by lockbot (cli:ann) 5 min ago")),
        (fact(Source.READ, locked=False), ("🔓", "unlocked (checked live) 5 min ago")),
        (fact(Source.EVENT, locked=False, method="keycode"), ("🔓", "unlocked by keypad 5 min ago")),
        (fact(Source.EVENT, method="manual"), ("🔒", "locked by hand 5 min ago")),
        (fact(Source.EVENT, method="automatic"), ("🔒", "locked by auto-lock 5 min ago")),
        (fact(Source.EVENT, method="unknown"), ("🔒", "locked outside lockbot 5 min ago")),
        (fact(Source.EVENT, locked=False), ("🔓", "unlocked (reported by the lock) 5 min ago")),
        (fact(Source.EVENT, locked=False, method="<b>"), ("🔓", "unlocked (&lt;b&gt;) 5 min ago")),
    ],
)  # fmt: skip
def test_who_or_what_says_so(given: LockFact, said: tuple[str, str]) -> None:
    assert lock_words(given, NOW) == said


def request(status: LockStatus, minutes_ago: float, error: str | None = None) -> LockRequest:
    at = NOW - timedelta(minutes=minutes_ago)
    return LockRequest(
        id=1, source="slack", user_id="U1", text="front door", status=status, error_type=error,
        created_at=at, finished_at=None if status is LockStatus.PENDING else at,
    )  # fmt: skip


def state(lock: LockFact | None, last: LockRequest | None = None) -> DoorState:
    return DoorState(door_id=1, device_id="d1", lock=lock, last_request=last)


def test_lockbots_try_is_told_only_when_it_is_newer_news() -> None:
    unlocked = fact(Source.EVENT, locked=False, method="keycode")
    failed_after = request(LockStatus.FAILED, 1, "device_offline")
    failed_before = request(LockStatus.FAILED, 9, "device_offline")
    assert state_words(state(unlocked, failed_after), NOW) == (
        "🔓",
        "unlocked by keypad 5 min ago · ❌ then lockbot's lock failed 1 min ago (`device_offline`)",
    )
    assert state_words(state(unlocked, failed_before), NOW) == (
        "🔓", "unlocked by keypad 5 min ago",
    )  # fmt: skip
    assert state_words(state(None, request(LockStatus.TIMED_OUT, 120)), NOW) == (
        "⌛", "did not confirm 2 h ago (asked by <@U1>)",
    )  # fmt: skip
    assert state_words(state(None, request(LockStatus.PENDING, 0)), NOW) == (
        "⏳", "being locked now (asked by <@U1>)",
    )  # fmt: skip
    assert state_words(state(None), NOW) == ("❔", "not known yet")
    assert state_words(None, NOW) == ("❔", "not known yet")
