"""The benchmarks in miniature, so `make bench` cannot rot: a few requests per figure, no wrk and
no plots, the same code paths as the real run (bench/), and the page it writes."""

from __future__ import annotations

import pytest

from bench import ack, fanout, footprint, learning, outcome, page, profile
from bench.common import machine, stack
from tests.conftest import PG_URL
from tests.fakes.seam_server import AUGUST_1, FakeSeamServer

# The floor, a default Bolt app, and lockbot's longest ack path (the others differ only in setup).
SMOKE_TARGETS = tuple(t for t in ack.TARGETS if t.key in ("raw", "bolt", "lockbot_joined"))
WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:40000/slack/events
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   197.80ms   20.10ms 400.00ms   90.00%
  Latency Distribution
     50%  197.80ms
     75%  210.00ms
     90%  230.00ms
     99%    1.20s
  2430 requests in 10.00s, 500.00KB read
  Non-2xx or 3xx responses: 3
Requests/sec:    243.00
Transfer/sec:     50.00KB
"""


@pytest.mark.skipif(bool(PG_URL), reason="the bench runs on its own SQLite database either way")
async def test_every_figure_in_miniature(fake_seam: FakeSeamServer) -> None:
    async with stack(fake_seam.url) as s:
        p1a = await ack.p1a(s, count=20, warmup=5, targets=SMOKE_TARGETS)
        p2 = await outcome.p2(
            s, cadences=(outcome.CURRENT,), delays=(0.5,), per_batch=2, rounds_current=1
        )
        p4 = await footprint.p4(s, commands=30, starts=1, idle_s=0.2)
        learn = await learning.learned(
            s, profiles=((0.4, AUGUST_1),), cold_batch=2, warmup=1, warm=2, cold_rounds=1
        )

    assert set(p1a) == {t.key for t in SMOKE_TARGETS}
    for result in p1a.values():
        assert result["n"] == 20 and len(result["samples"]) == 20
        assert 0 < result["min"] <= result["p50"] <= result["p99"] <= result["max"] < 3
    # Bolt's default mode polls for the ack every 10 ms; lockbot's listener acks itself.
    assert p1a["bolt"]["p50"] >= 0.009

    current = p2["cadences"][outcome.CURRENT.key]["by_delay"]["0.5"]
    sdk = p2["sdk"]["by_delay"]["0.5"]
    assert current["to_slack"]["n"] == 2 and sdk["returned"]["n"] == 2
    for figures in (current, sdk):
        assert figures["calls"]["min"] >= 2  # lock_door, and at least the read that saw success
        assert 0 < figures["detection"]["min"] <= figures["detection"]["max"] < 1.5
    assert current["to_slack"]["min"] >= current["detection"]["min"]
    assert p2["model"]["sdk"]["0.5"]["calls_p50"] >= 2

    assert 30 < p4["rss_idle_mb"] < 1000 and p4["rss_after_mb"] > 0
    assert 0 < p4["ready_s"][0] < 30 and len(p4["trace"]) >= 3

    p3 = await fanout.p3(doors=4, delay_s=0.05, cap=2)
    assert p3["peak_open_attempts"] == 2, "two doors at a time, and no more"
    assert 0 < p3["one_door_s"] < p3["group_s"] < p3["one_by_one_s"]

    off, on = learn["runs"]["off"]["lockbot"]["0.4"], learn["runs"]["on"]["lockbot"]["0.4"]
    assert off["cold"]["calls"]["n"] == 2 and off["warm"]["calls"]["n"] == 2
    assert min(off["cold"]["calls"]["samples"]) >= 2 and off["warm"]["detection"]["min"] > 0
    assert learn["today"]["0.4"]["cold"]["calls"]["n"] == 2
    assert learn["runs"]["off"]["sdk"]["0.4"]["calls"]["min"] >= 2
    assert on["warm"]["from_event"]["n"] == 2  # the proxy sent Seam's webhook, and it settled

    results = {"machine": machine(), "p1a": p1a, "p1b": {"skipped": "smoke test"}, "p2": p2,
               "learn": learn, "p3": p3, "p4": p4, "profile": {"skipped": "smoke test"}}  # fmt: skip
    written = page.markdown(results)
    # (P2b's calls row needs the 5 s delay, which is too slow for a smoke test.)
    for figure in ("P1a ack latency", "P1b ack throughput", "P2 outcome delay", "P2b detection",
                   "P2L Seam calls per lock", "P2L cold", "P2L with Seam's events on",
                   "P2L outcome delay", "P3 fan-out", "P4 RSS idle", "P4 RSS growth",
                   "P4 process start"):  # fmt: skip
        assert f"| {figure}" in written, figure
    assert "**met**" in written or "**missed**" in written
    assert "## P2L: a poll plan learned per device" in written


def test_a_run_of_some_figures_keeps_the_rest_of_the_page() -> None:
    old = page.markdown({"machine": machine() | {"date": "2026-01-01 00:00 UTC"},
                         "p4": {"rss_idle_mb": 100.0, "rss_after_mb": 101.0, "commands": 10,
                                "rss_after_second_round_mb": 101.0, "growth_mb": 1.0,
                                "growth_second_round_mb": 0.0, "ready_s": [1.0],
                                "ready_median_s": 1.0, "ready_max_s": 1.0, "trace": []}})  # fmt: skip
    new_run = {"machine": machine() | {"date": "2026-02-02 00:00 UTC"},
               "p3": {"doors": 4, "delay_s": 0.05, "cap": 2, "group_s": 1.0,
                      "peak_open_attempts": 2, "one_by_one_s": 4.0, "ideal_s": 0.9,
                      "one_door_s": 0.45, "group_of_one_s": 0.5, "vs_ideal": 1.1,
                      "speedup": 4.0}}  # fmt: skip
    merged = page.merge(old, page.markdown(new_run), new_run)
    assert "| P4 RSS idle (after start-up) | 100 MB |" in merged  # kept from the old run
    assert "| P3 fan-out of a 4-door group" in merged  # from the new one
    assert "## P4 footprint\n\n*Run of 2026-01-01 00:00 UTC.*" in merged
    assert "- **2026-02-02 00:00 UTC** (p3)" in merged
    # And again: the page says where each figure came from, for the next merge.
    again = page.merge(merged, page.markdown(new_run), new_run)
    assert again == merged


def test_wrk_output_is_read() -> None:
    result = ack.parse_wrk(WRK_OUTPUT)
    assert result["rps"] == 243.0 and result["requests"] == 2430 and result["non_2xx"] == 3
    assert result["p50"] == 0.1978 and result["p99"] == 1.2


def test_wrk_script_is_signed_for_bolt() -> None:
    script = ack.wrk_script(40000, "U1")
    assert 'wrk.method = "POST"' in script and "command=%2Flock" in script
    assert 'wrk.headers["X-Slack-Signature"] = "v0=' in script


def test_profile_stacks_are_summed() -> None:
    raw = (
        "main (bot/cli/root.py:1);LockService.submit (bot/locking/service.py:9);"
        "Receipts.record (bot/locking/receipts.py:12);"
        "Connection._execute (aiosqlite/core.py:158) 3\n"
        "main (bot/cli/root.py:1);CommandFront.take (bot/slack/front.py:5) 1\n"
    )
    result = profile.analyse(raw)
    stages = dict(result["stages"])
    assert result["samples"] == 4
    assert stages["lockbot: LockService.submit (decide, count, hand over, wait)"] == 75.0
    assert stages["lockbot: group commit, on the event loop (queue, answers)"] == 75.0
    assert stages["lockbot: the front door for /lock, all of it (bot/slack/front.py)"] == 25.0
    assert result["self"][0] == ("Connection._execute (aiosqlite/core.py:158)", 75.0)
