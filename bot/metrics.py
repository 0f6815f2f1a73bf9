"""Prometheus metrics, served at GET /metrics. Names follow Prometheus conventions."""

from __future__ import annotations

from functools import cache

from prometheus_client import Counter, Gauge, Histogram

COMMANDS = Counter(
    "lockbot_commands_total", "Slash commands handled, by kind and result", ["kind", "result"]
)
OUTCOMES = Counter("lockbot_lock_outcomes_total", "Final states of lock requests", ["result"])
ACK_SECONDS = Histogram(
    "lockbot_ack_seconds",
    "Time from a /lock reaching the bot to its ack",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
OUTCOME_SECONDS = Histogram(
    "lockbot_time_to_outcome_seconds",
    "Time from a lock request to its final state",
    buckets=(0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0),
)
SEAM_CALLS = Counter("lockbot_seam_calls_total", "Seam API calls", ["method", "status"])
SLACK_CALLS = Counter("lockbot_slack_calls_total", "Slack Web API calls", ["method", "status"])
PENDING = Gauge("lockbot_pending_requests", "Lock requests not yet in a final state")
SCHEDULE_RUNS = Counter("lockbot_schedule_runs_total", "Scheduled lock runs started")
SCHEDULE_MISSES = Counter("lockbot_schedule_misses_total", "Scheduled runs skipped as too late")
RELOCKS = Counter(
    "lockbot_relocks_total",
    "Relocks owed by an unlock inside a lock window, by how they ended",
    ["outcome"],  # relocked | already_locked | window_ended | unscheduled | failed | refused
)
LEADER = Gauge("lockbot_scheduler_leader", "1 when this replica runs the scheduled jobs, else 0")


@cache
def command_count(kind: str, result: str) -> Counter:
    """COMMANDS' child for these labels, looked up once: `labels()` checks and locks on every
    call, which showed in the profile of a burst of /lock."""
    return COMMANDS.labels(kind=kind, result=result)
