"""docs/benchmarks.md and its plots, from the results of one run of `python -m bench`."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import pct

Row = tuple[str, str, str, str, str]  # figure, result, baselines (same run), goal, met or missed

# P2 goals: from the attempt resolving at Seam to the root message's edit in Slack.
P2_MEDIAN_S, P2_P99_S = 0.5, 1.0
P2B_MAX_CALLS = 6


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 0.01 else f"{seconds * 1000:.1f} ms"


def sec(seconds: float) -> str:
    return f"{seconds:.2f} s"


def verdict(ok: bool, why: str) -> str:
    return f"**met**: {why}" if ok else f"**missed**: {why}"


# -- the goals table ------------------------------------------------------------------------------


def pooled(by_delay: dict[str, Any], name: str) -> list[float]:
    return [v for d in by_delay.values() for v in d[name].get("samples", [])]


def p2_check(by_delay: dict[str, Any]) -> tuple[float, float, str, bool]:
    """P2's goals for one cadence: the median over every lock, and the p99 at each delay (a
    goal for every lock, not for a mix of delays). (median, worst p99, its delay, met)."""
    median = statistics.median(pooled(by_delay, "to_slack"))
    worst = max(by_delay, key=lambda d: by_delay[d]["to_slack"]["p99"])
    p99 = by_delay[worst]["to_slack"]["p99"]
    return median, p99, worst, median <= P2_MEDIAN_S and p99 <= P2_P99_S


def p2_current(p2: dict[str, Any]) -> dict[str, Any]:
    by_delay: dict[str, Any] = p2["cadences"][p2["current"]]["by_delay"]
    return by_delay


def goal_rows(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    rows += _p1a_rows(results.get("p1a"), results.get("profile"))
    rows += _p1b_rows(results.get("p1b"))
    rows += _p2_rows(results.get("p2"))
    rows += _p3_rows(results.get("p3"))
    rows += _p4_rows(results.get("p4"))
    return rows


# lockbot's targets in P1 (bench/ack.py), on SQLite and on PostgreSQL.
LOCKBOT_KEYS = ("lockbot_denied", "lockbot_joined", "lockbot_denied_pg", "lockbot_joined_pg")


def _p1a_rows(p1a: dict[str, Any] | None, profile: dict[str, Any] | None) -> list[Row]:
    if not p1a or "raw" not in p1a:
        return []
    raw, bolt = p1a["raw"], p1a.get("bolt")
    baselines = f"raw aiohttp: p50 {ms(raw['p50'])}, p99 {ms(raw['p99'])}"
    if bolt:
        baselines += f"; default Bolt: p50 {ms(bolt['p50'])}, p99 {ms(bolt['p99'])}"
    if "bolt_pbr" in p1a:
        pbr = p1a["bolt_pbr"]
        baselines += f"; Bolt with process_before_response: p50 {ms(pbr['p50'])}"
    rows = []
    for key in LOCKBOT_KEYS:
        if key not in p1a:
            continue
        ours, name = p1a[key], p1a[key]["label"].removeprefix("lockbot ")
        ratio = ours["p50"] / raw["p50"]
        why = f"p50 is {ratio:.0f}× the floor"
        if ratio > 2:
            why += " — the floor answers without any work"
            if "bolt_pbr" in p1a:
                why += f"; Bolt alone (process_before_response) is {p1a['bolt_pbr']['p50'] / raw['p50']:.1f}× it"
            why += (", and lockbot's ack also waits for its row's commit (decided in memory, "
                    "written by the group-commit writer in one transaction, alone on one client); "
                    "see Profile")  # fmt: skip
        if bolt:
            why += f"; {bolt['p50'] / ours['p50']:.1f}× faster than the default Bolt app"
        rows.append((
            f"P1a ack latency, one client, {ours['n']} sequential: {name}",
            f"p50 {ms(ours['p50'])}, p99 {ms(ours['p99'])}",
            baselines,
            f"p50 ≤ 2× raw floor (≤ {ms(2 * raw['p50'])})",
            verdict(ratio <= 2, why),
        ))  # fmt: skip
    return rows


def _p1b_rows(p1b: dict[str, Any] | None) -> list[Row]:
    if not p1b:
        return []
    if "skipped" in p1b:
        return [("P1b ack throughput (wrk)", "skipped", "—", "≥ default Bolt req/s",
                 f"not measured: {p1b['skipped']}")]  # fmt: skip
    raw, bolt = p1b["raw"], p1b["bolt"]
    baselines = f"raw aiohttp: {raw['rps']:.0f} req/s; default Bolt: {bolt['rps']:.0f} req/s"
    rows = []
    for key in LOCKBOT_KEYS:
        if key not in p1b:
            continue
        ours, name = p1b[key], p1b[key]["label"].removeprefix("lockbot ")
        ok = ours["rps"] >= bolt["rps"]
        why = f"{ours['rps'] / bolt['rps']:.2f}× the default Bolt app"
        if not ok and "cpu_us" in ours and "cpu_us" in bolt:
            why += (f" — {ours['cpu_us']:.0f} µs of CPU per ack against {bolt['cpu_us']:.0f} µs "
                    "for the default Bolt app, which only acks: lockbot verifies, decides, writes "
                    "the request's row and its log line, and words its answer; see Profile")  # fmt: skip
        elif not ok:
            why += (f" — ≈ {1000 / ours['rps']:.2f} ms of the bot's one event loop per ack against "
                    f"{1000 / bolt['rps']:.2f} ms for the default Bolt app; see Profile")  # fmt: skip
        errors = f", {ours['non_2xx']} non-2xx" if ours["non_2xx"] else ""
        rows.append((
            f"P1b ack throughput, {p1b['settings']}: {name}",
            f"{ours['rps']:.0f} req/s (p50 {ms(ours['p50'])}, p99 {ms(ours['p99'])}{errors})",
            baselines,
            f"≥ default Bolt ({bolt['rps']:.0f} req/s)",
            verdict(ok, why),
        ))  # fmt: skip
    return rows


def _p2_rows(p2: dict[str, Any] | None) -> list[Row]:
    if not p2:
        return []
    ours, sdk = p2_current(p2), p2["sdk"]["by_delay"]
    delays = list(ours)
    to_slack, returned = pooled(ours, "to_slack"), pooled(sdk, "returned")
    median, p99, worst, ok = p2_check(ours)
    per_delay = ", ".join(f"{d} s: {ms(ours[d]['to_slack']['p50'])} / {ms(ours[d]['to_slack']['p99'])}"
                          for d in delays)  # fmt: skip
    why = (f"median {ms(median)} {'≤' if median <= P2_MEDIAN_S else '>'} {P2_MEDIAN_S:g} s; "
           f"worst p99 {ms(p99)} (at {worst} s) {'≤' if p99 <= P2_P99_S else '>'} "
           f"{P2_P99_S:g} s")  # fmt: skip
    if not ok:
        best = best_measured(p2)
        why += (f": the cadence's {p2['cadences'][p2['current']]['max_s']:g} s poll cap alone "
                "delays detection by up to that much, and settling and two Slack calls add "
                "10–40 ms; "
                + (f"{best} meets it (see Poll cadence)" if best else "see Poll cadence"))  # fmt: skip
    rows: list[Row] = [(
        f"P2 outcome delay, resolved → root chat.update, current cadence ({p2['current']}), "
        f"{len(to_slack)} locks over {', '.join(delays)} s",
        f"median {ms(median)}, p99 {ms(pct(to_slack, 0.99))} over all; median / p99 per delay: "
        f"{per_delay}",
        f"SDK wait_for_action_attempt (resolved → returned): median "
        f"{ms(statistics.median(returned))}, p99 {ms(pct(returned, 0.99))}",
        f"median ≤ {P2_MEDIAN_S:g} s, p99 ≤ {P2_P99_S:g} s (at every delay)",
        verdict(ok, why),
    )]  # fmt: skip
    if "5" in ours:
        calls, sdk_calls = ours["5"]["calls"], sdk["5"]["calls"]
        ok = calls["p50"] <= P2B_MAX_CALLS
        rows.append((
            "P2b Seam calls per lock, 5 s attempt (lock_door + polls, at the proxy)",
            f"median {calls['p50']:.0f}, max {calls['max']:.0f}",
            f"SDK: median {sdk_calls['p50']:.0f}, max {sdk_calls['max']:.0f}",
            f"≤ {P2B_MAX_CALLS}",
            verdict(ok, f"{calls['p50']:.0f} calls"
                    + ("" if ok else f": {calls['p50'] - 1:.0f} polls, as the cadence backs off "
                       "only to its cap; fewer calls cost detection time (see Poll cadence)")),
        ))  # fmt: skip
    slower = [d for d in delays
              if ours[d]["detection"]["p50"] > sdk[d]["detection"]["p50"]]  # fmt: skip
    rows.append((
        "P2b detection (resolved → the poll that saw it) vs the SDK, median per delay",
        ", ".join(f"{d} s: {ms(ours[d]['detection']['p50'])}" for d in delays),
        "SDK: " + ", ".join(f"{d} s: {ms(sdk[d]['detection']['p50'])}" for d in delays),
        "no slower than the SDK",
        verdict(not slower, "no slower at any delay" if not slower else
                f"slower at {', '.join(d + ' s' for d in slower)}: backed off, the cadence "
                f"polls every {p2['cadences'][p2['current']]['max_s']:g} s, the SDK every "
                f"{p2['sdk']['polling_interval_s']:g} s, and detection waits half a gap on "
                "average"),
    ))  # fmt: skip
    return rows


P3_VS_IDEAL, P3_SPEEDUP = 1.3, 15.0


def _p3_rows(p3: dict[str, Any] | None) -> list[Row]:
    if not p3:
        return []
    figure = (
        f"P3 fan-out of a {p3['doors']}-door group, every Seam call "
        f"+{p3['delay_s'] * 1000:.0f} ms, in-flight cap {p3['cap']}"
    )
    result = f"{sec(p3['group_s'])}; peak {p3['peak_open_attempts']} attempts open at the proxy"
    baselines = (
        f"one by one: {sec(p3['one_by_one_s'])}; ideal for the cap: "
        f"{sec(p3['ideal_s'])} ({p3['doors']} / {p3['cap']} × one door alone, median "
        f"{sec(p3['one_door_s'])}); a group of one door: {sec(p3['group_of_one_s'])}"
    )
    goal = f"≤ {P3_VS_IDEAL}× the ideal, ≥ {P3_SPEEDUP:.0f}× faster than one by one, cap never exceeded"
    checks = [
        (p3["vs_ideal"] <= P3_VS_IDEAL, f"{p3['vs_ideal']:.2f}× the ideal"),
        (p3["speedup"] >= P3_SPEEDUP, f"{p3['speedup']:.1f}× faster than one by one"),
        (
            p3["peak_open_attempts"] <= p3["cap"],
            f"peak {p3['peak_open_attempts']} of a cap of {p3['cap']}",
        ),
    ]
    why = "; ".join(text for _, text in checks)
    return [(figure, result, baselines, goal, verdict(all(ok for ok, _ in checks), why))]


def _p4_rows(p4: dict[str, Any] | None) -> list[Row]:
    if not p4:
        return []
    ready = ", ".join(sec(s) for s in p4["ready_s"])
    return [
        ("P4 RSS idle (after start-up)", f"{p4['rss_idle_mb']:.0f} MB", "—", "≤ 150 MB",
         verdict(p4["rss_idle_mb"] <= 150, f"{p4['rss_idle_mb']:.0f} MB")),
        (f"P4 RSS growth after {p4['commands']} commands", f"+{p4['growth_mb']:.1f} MB "
         f"(a second {p4['commands']}: {p4['growth_second_round_mb']:+.1f} MB)", "—", "≤ 20 MB",
         verdict(p4["growth_mb"] <= 20, f"+{p4['growth_mb']:.1f} MB")),
        ("P4 process start → /healthz ready (fresh database, migrations included)",
         f"median {sec(p4['ready_median_s'])}, max {sec(p4['ready_max_s'])} ({ready})", "—",
         "≤ 3 s", verdict(p4["ready_median_s"] <= 3, f"median {sec(p4['ready_median_s'])}"
                          + (f"; the slowest of {len(p4['ready_s'])} starts took "
                             f"{sec(p4['ready_max_s'])}" if p4["ready_max_s"] > 3 else ""))),
    ]  # fmt: skip


# -- the page -------------------------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]] | list[Row]) -> Iterator[str]:
    yield "| " + " | ".join(header) + " |"
    yield "|" + "---|" * len(header)
    for row in rows:
        yield "| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |"


def markdown(
    results: dict[str, Any],
    plots: dict[str, str] | None = None,
    extra_rows: list[Row] | None = None,
    extra_sections: list[str] | None = None,
) -> str:
    """The page; `extra_rows` go after P2's goals, `extra_sections` after Poll cadence."""
    plots = plots or {}
    rows = goal_rows(results)
    after_p2 = max((i + 1 for i, row in enumerate(rows) if row[0].startswith("P2")), default=0)
    rows[after_p2:after_p2] = extra_rows or []
    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`, see `bench/`); run it again rather than "
        "edit this page. Every number below comes from the one run described here.",
        "",
        f"- **Machine**: {m['cpu']}, {m['cores']} cores; Python {m['python']}; {m['os']}. "
        f"Shared with other work (load average {' / '.join(map(str, m['load_at_start']))} "
        "at the start"
        + (f", {' / '.join(map(str, m['load_at_end']))} at the end" if "load_at_end" in m else "")
        + "), so treat small differences as noise.",
        f"- **Date**: {m['date']}; the run took {results.get('elapsed_s', 0) / 60:.0f} minutes.",
        "- **Set-up**: all on 127.0.0.1. The bot runs as its own process (`python -m bot serve "
        "--http`, SQLite in WAL mode, and for P1 PostgreSQL too when the bench has a server, JSON logs to /dev/null) against Seam's own fake server "
        "(`@seamapi/fake-seam-connect`) behind a delay proxy and a local fake of Slack's Web API. "
        "Each baseline server runs in its own process too.",
        "",
        "## Goals",
        "",
    ]
    lines += table(["figure", "result", "baselines in the same run", "goal", "met or missed"],
                   rows)  # fmt: skip
    lines += _p1_section(results.get("p1a"), results.get("p1b"), plots)
    lines += _p2_section(results.get("p2"), plots)
    lines += _cadence_section(results.get("p2"), plots)
    lines += extra_sections or []
    lines += _p4_section(results.get("p4"), plots)
    lines += _profile_section(results.get("profile"))
    return "\n".join(lines) + "\n"


def _image(plots: dict[str, str], key: str, alt: str) -> list[str]:
    return ["", f"![{alt}]({plots[key]})"] if key in plots else []


def _cpu(result: dict[str, Any]) -> str:
    return f"{result['cpu_us']:.0f} µs" if "cpu_us" in result else "—"


def _p1_section(p1a: Any, p1b: Any, plots: dict[str, str]) -> list[str]:
    if not p1a:
        return []
    lines = ["", "## P1 ack of a signed `/lock`", "",
             "P1a: one client on one keep-alive connection (a raw socket), each request sent when "
             "the last was answered, after a warm-up. Lockbot runs the real path with the rate "
             "limit on (an ample limit, so every request is counted); in the *joins* case Seam keeps the "
             "first lock pending, so every later request records a row that joins it.", ""]  # fmt: skip
    rows = [[v["label"], ms(v["p50"]), ms(v["p90"]), ms(v["p99"]), ms(v["mean"]), ms(v["max"])]
            for v in p1a.values()]  # fmt: skip
    lines += table(["target", "p50", "p90", "p99", "mean", "max"], rows)
    lines += _image(plots, "ack_latency", "ack latency distribution")
    if p1b and "skipped" not in p1b:
        lines += ["", f"P1b: `{p1b['settings']} --latency` with a Lua script that POSTs the same "
                  "signed body (one fixed timestamp, inside Bolt's 5-minute window). *CPU per "
                  "request*: the server process's CPU time (user and system, all its threads) "
                  "over the run, divided by the requests answered; steadier than req/s on a "
                  "shared machine.", ""]  # fmt: skip
        rows = [[v["label"], f"{v['rps']:.0f}", _cpu(v), ms(v["p50"]), ms(v["p99"]),
                 str(v["non_2xx"]), v["socket_errors"] or "none"]
                for k, v in p1b.items() if k != "settings"]  # fmt: skip
        lines += table(["target", "req/s", "CPU per request", "p50", "p99", "non-2xx",
                        "socket errors"], rows)  # fmt: skip
        lines += _image(plots, "ack_throughput", "ack throughput")
    elif p1b:
        lines += ["", f"P1b skipped: {p1b['skipped']}."]
    return lines


def _p2_section(p2: Any, plots: dict[str, str]) -> list[str]:
    if not p2:
        return []
    ours, sdk = p2_current(p2), p2["sdk"]["by_delay"]
    lines = ["", "## P2 outcome delay and P2b Seam calls", "",
             "The proxy holds each attempt pending and resolves it after the delay, jittered "
             "uniformly by ±0.5 s (±half the delay when shorter) so every poll phase is met. "
             "Lockbot locks run on the current cadence "
             f"({p2['current']}: first poll / backoff / cap, seconds; the cadence alone, "
             "`LOCKBOT_POLL_LEARN=false`: see P2L for the plan learned per lock); the SDK "
             "(`Seam(...).locks.lock_door(wait_for_action_attempt={\"polling_interval\": 0.5, "
             "...})`, its fixed default interval) runs beside it on another lock. *Detection*: "
             "resolved → the first read that saw success, at the proxy. *To Slack*: resolved → "
             "the root message's `chat.update` at the fake Slack. *Returned*: resolved → the "
             "SDK call returned. *Calls*: `lock_door` plus every read of that attempt.", ""]  # fmt: skip
    rows = []
    for d in ours:
        o, s = ours[d], sdk[d]
        rows.append([f"{d} s", str(o["to_slack"]["n"]),
                     f"{ms(o['detection']['p50'])} / {ms(o['detection']['p99'])}",
                     f"{ms(o['to_slack']['p50'])} / {ms(o['to_slack']['p99'])}",
                     f"{o['calls']['p50']:.0f} / {o['calls']['max']:.0f}",
                     str(s["returned"]["n"]),
                     f"{ms(s['detection']['p50'])} / {ms(s['detection']['p99'])}",
                     f"{ms(s['returned']['p50'])} / {ms(s['returned']['p99'])}",
                     f"{s['calls']['p50']:.0f} / {s['calls']['max']:.0f}"])  # fmt: skip
    lines += table(["resolves after", "lockbot n", "lockbot detection p50 / p99",
                    "lockbot to Slack p50 / p99", "lockbot calls p50 / max", "SDK n",
                    "SDK detection p50 / p99", "SDK returned p50 / p99", "SDK calls p50 / max"],
                   rows)  # fmt: skip
    lines += _image(plots, "outcome_delay", "outcome delay by attempt duration")
    return lines


def cadence_table(p2: dict[str, Any]) -> list[list[str]]:
    sdk = p2["sdk"]["by_delay"]
    rows = []
    for key, c in p2["cadences"].items():
        by_delay = c["by_delay"]
        median, p99, worst, meets = p2_check(by_delay)
        rows.append([
            f"{key}{' (current)' if key == p2['current'] else ''}",
            " · ".join(f"{ms(v['detection']['p50'])}" for v in by_delay.values()),
            f"{ms(median)} / {ms(p99)} ({worst} s)" + (" ✓" if meets else " ✗"),
            " · ".join(f"{v['calls']['p50']:.0f}" for v in by_delay.values()),
        ])  # fmt: skip
    worst = max(sdk, key=lambda d: sdk[d]["returned"]["p99"])
    rows.append([
        "SDK, fixed 0.5 s",
        " · ".join(f"{ms(v['detection']['p50'])}" for v in sdk.values()),
        f"returned: {ms(statistics.median(pooled(sdk, 'returned')))} / "
        f"{ms(sdk[worst]['returned']['p99'])} ({worst} s)",
        " · ".join(f"{v['calls']['p50']:.0f}" for v in sdk.values()),
    ])  # fmt: skip
    return rows


def best_measured(p2: dict[str, Any]) -> str | None:
    """The measured cadence that meets P2's goals with the fewest calls at 5 s."""
    good = []
    for key, c in p2["cadences"].items():
        median, _, _, meets = p2_check(c["by_delay"])
        if meets:
            calls = c["by_delay"].get("5", {}).get("calls", {}).get("mean", float("inf"))
            good.append((calls, median, key))
    return min(good)[2] if good else None


def _cadence_section(p2: Any, plots: dict[str, str]) -> list[str]:
    if not p2:
        return []
    delays = " · ".join(f"{d} s" for d in p2["cadences"][p2["current"]]["by_delay"])
    lines = ["", "## Poll cadence", "",
             "Each cadence (`LOCKBOT_POLL_FIRST` / `LOCKBOT_POLL_BACKOFF` / `LOCKBOT_POLL_MAX`) "
             "measured as in P2, with a bot started on it; the SDK ran beside every one of them "
             f"(pooled). Per delay ({delays}):", ""]  # fmt: skip
    lines += table(["cadence", "median detection", "to Slack: median of all / worst p99 "
                    "(its delay); ✓ meets P2", "calls p50"], cadence_table(p2))  # fmt: skip
    lines += _image(plots, "cadence", "calls against detection per cadence")
    best = best_measured(p2)
    counts = [v["to_slack"]["n"] for c in p2["cadences"].values() for v in c["by_delay"].values()]
    lines += ["", f"Medians come from {min(counts)}–{max(counts)} locks per delay and cadence, so "
              "differences under about 50 ms are noise, and a p99 of that many is about the "
              "slowest one."]  # fmt: skip
    if best:
        by_delay, sdk = p2["cadences"][best]["by_delay"], p2["sdk"]["by_delay"]
        lines += ["", f"Of the cadences measured, **{best}** meets P2's goals with the fewest Seam "
                  "calls for a 5 s attempt: median calls "
                  + ", ".join(f"{by_delay[d]['calls']['p50']:.0f} (SDK {sdk[d]['calls']['p50']:.0f})"
                              f" at {d} s" for d in by_delay)
                  + "; median detection "
                  + ", ".join(f"{ms(by_delay[d]['detection']['p50'])} (SDK "
                              f"{ms(sdk[d]['detection']['p50'])})" for d in by_delay)
                  + "."]  # fmt: skip
    else:
        lines += ["", "No cadence measured meets P2's goals."]
    model = p2.get("model")
    if model:
        grid, sdk = model["grid"], model["sdk"]
        lines += ["", "**Can any cadence meet both P2b goals** (≤ 6 calls for a 5 s attempt *and* "
                  "detection no slower than the SDK)? A model of the poll times alone (no network "
                  f"or processing; the same jitter) over {len(grid)} cadences (first 0.25–1 s, "
                  "backoff 1–2, cap 0.5–3 s) says: "
                  + (", ".join(model["meets_both"]) if model["meets_both"] else "**none**.")]  # fmt: skip
        if not model["meets_both"]:
            lines += [
                "With resolution times spread over a window, the median detection delay is "
                "about half the gap between polls around that time, and the calls are about "
                "the time divided by the gap: matching the SDK's 0.25 s median needs 0.5 s "
                "gaps, which is ≈ 11 calls for 5 s. ≤ 6 calls means ≈ 1 s gaps, a ≈ 0.5 s "
                "median. A cadence can only beat both where it knows when locks resolve."
            ]
            rows = []
            for key in (model.get("fewest_calls_no_slower"), model.get("fastest_with_6_calls"),
                        p2["current"]):  # fmt: skip
                if key and key in grid:
                    rows.append([key] + [f"{sec(v['detection_p50'])} / {v['calls_mean']:.1f}"
                                         for v in grid[key].values()])  # fmt: skip
            rows.append(["SDK"] + [f"{sec(v['detection_p50'])} / {v['calls_mean']:.1f}"
                                   for v in sdk.values()])  # fmt: skip
            lines += [
                "",
                "Modelled median detection / mean calls: the fewest calls that is no "
                "slower than the SDK, the fastest with ≤ 6 calls, today's, and the SDK:",
                "",
            ]
            lines += table(["cadence"] + [f"{d} s" for d in sdk], rows)
    return lines


def _p4_section(p4: Any, plots: dict[str, str]) -> list[str]:
    if not p4:
        return []
    lines = ["", "## P4 footprint", "",
             f"RSS of the bot process idle {p4['rss_idle_mb']:.1f} MB; after {p4['commands']} "
             f"commands {p4['rss_after_mb']:.1f} MB; after {p4['commands']} more "
             f"{p4['rss_after_second_round_mb']:.1f} MB. The commands cycle through locks Seam "
             "confirms at once, locks that join one in flight, a denied user, an unknown door, an "
             "admin and `help`; each round ends when nothing is pending. Start → `/healthz` 200: "
             + ", ".join(sec(s) for s in p4["ready_s"]) + " (each a fresh SQLite database, so "
             "the migrations run)."]  # fmt: skip
    lines += _image(plots, "footprint", "RSS over commands")
    return lines


def _profile_section(profile: Any) -> list[str]:
    if not profile:
        return []
    if "skipped" in profile:
        return ["", "## Profile of the ack path", "", f"Skipped: {profile['skipped']}."]
    load = profile.get("load") or (f"one client sent {profile['requests']} signed `/lock` "
                                   "requests one after another")  # fmt: skip
    lines = ["", "## Profile of the ack path", "",
             f"`{profile['tool']}` on the bot process while {load} (allowed user, joining a "
             f"lock in flight); {profile['samples']} samples. Shares of the samples whose stack "
             "holds the frame; rows overlap. On SQLite (this run's database) the group-commit "
             "writer runs each batch's transaction on the event loop, in a thread of its own "
             "only when another process holds the write lock.", ""]  # fmt: skip
    lines += table(["where", "share of samples"], [[k, f"{v:.1f} %"] for k, v in profile["stages"]])
    lines += ["", "Top functions by own time:", ""]
    lines += table(["function", "self"], [[f"`{k}`", f"{v:.1f} %"] for k, v in profile["self"]])
    lines += ["", "Top functions by inclusive time (event loop and CLI frames left out):", ""]
    lines += table(
        ["function", "inclusive"], [[f"`{k}`", f"{v:.1f} %"] for k, v in profile["inclusive"]]
    )
    return lines


# -- plots ----------------------------------------------------------------------------------------


def plot(results: dict[str, Any], out_dir: Path) -> dict[str, str]:
    """PNG plots into out_dir; {key: path relative to docs/}."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    made: dict[str, str] = {}

    def save(fig: Any, key: str) -> None:
        fig.tight_layout()
        fig.savefig(out_dir / f"{key}.png", dpi=110)
        plt.close(fig)
        made[key] = f"{out_dir.name}/{key}.png"

    p1a = results.get("p1a")
    if p1a:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for v in p1a.values():
            xs = sorted(s * 1000 for s in v["samples"])
            ax.plot(xs, [(i + 1) / len(xs) for i in range(len(xs))], label=v["label"])
        ax.set_xscale("log")
        ax.set_xlabel("ack latency (ms, log scale)")
        ax.set_ylabel("fraction of requests")
        ax.set_title("P1a: ack of a signed /lock, one sequential client")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
        save(fig, "ack_latency")
    p1b = results.get("p1b")
    if p1b and "skipped" not in p1b:
        items = [(v["label"], v["rps"]) for k, v in p1b.items() if k != "settings"]
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.barh([label for label, _ in items], [rps for _, rps in items], color="tab:blue")
        ax.set_xscale("log")
        ax.set_xlim(right=max(rps for _, rps in items) * 4)
        ax.set_xlabel("requests per second (log scale)")
        ax.set_title(f"P1b: ack throughput, {p1b['settings']}")
        for i, (_, rps) in enumerate(items):
            ax.text(rps, i, f" {rps:.0f}", va="center", fontsize=8)
        ax.invert_yaxis()
        save(fig, "ack_throughput")
    p2 = results.get("p2")
    if p2:
        ours, sdk = p2_current(p2), p2["sdk"]["by_delay"]
        delays = list(ours)
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
        data = []
        for d in delays:
            data += [[s * 1000 for s in ours[d]["to_slack"]["samples"]],
                     [s * 1000 for s in sdk[d]["returned"]["samples"]]]  # fmt: skip
        axes[0].boxplot(data, whis=(1, 99), showfliers=False)
        axes[0].set_xticks(range(1, len(data) + 1),
                           [f"{d}s\n{who}" for d in delays for who in ("lockbot", "SDK")],
                           fontsize=7)  # fmt: skip
        axes[0].axhline(
            P2_MEDIAN_S * 1000, color="tab:green", ls="--", lw=1, label="P2 median goal"
        )
        axes[0].axhline(P2_P99_S * 1000, color="tab:red", ls="--", lw=1, label="P2 p99 goal")
        axes[0].set_ylabel("resolved → Slack edit / SDK return (ms)")
        axes[0].set_title(f"P2: outcome delay (lockbot {p2['current']})", fontsize=9)
        axes[0].legend(fontsize=7)
        width = 0.38
        xs = range(len(delays))
        axes[1].bar([x - width / 2 for x in xs], [ours[d]["calls"]["p50"] for d in delays], width,
                    label="lockbot")  # fmt: skip
        axes[1].bar([x + width / 2 for x in xs], [sdk[d]["calls"]["p50"] for d in delays], width,
                    label="SDK (0.5 s)")  # fmt: skip
        axes[1].axhline(P2B_MAX_CALLS, color="tab:red", ls="--", lw=1, label="P2b goal at 5 s")
        axes[1].set_xticks(list(xs), [f"{d} s" for d in delays])
        axes[1].set_ylabel("Seam calls per lock (median)")
        axes[1].set_title("P2b: Seam calls per lock", fontsize=9)
        axes[1].legend(fontsize=7)
        save(fig, "outcome_delay")

        fig, ax = plt.subplots(figsize=(7, 4.5))
        key5 = "5" if "5" in sdk else delays[-1]
        for key, c in p2["cadences"].items():
            v = c["by_delay"][key5]
            ax.scatter(v["calls"]["mean"], v["detection"]["p50"] * 1000, s=40)
            ax.annotate(key + (" (current)" if key == p2["current"] else ""),
                        (v["calls"]["mean"], v["detection"]["p50"] * 1000),
                        fontsize=7, xytext=(4, 4), textcoords="offset points")  # fmt: skip
        v = sdk[key5]
        ax.scatter(v["calls"]["mean"], v["detection"]["p50"] * 1000, marker="x", s=60, color="k")
        ax.annotate("SDK 0.5 s", (v["calls"]["mean"], v["detection"]["p50"] * 1000), fontsize=7,
                    xytext=(4, -10), textcoords="offset points")  # fmt: skip
        ax.axvline(P2B_MAX_CALLS, color="tab:red", ls="--", lw=1)
        ax.set_xlabel(f"Seam calls per lock, {key5} s attempt (mean)")
        ax.set_ylabel("median detection (ms)")
        ax.set_title("Poll cadences (first / backoff / cap): calls against detection")
        ax.grid(True, alpha=0.3)
        save(fig, "cadence")
    p4 = results.get("p4")
    if p4:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        xs, ys = zip(*p4["trace"], strict=True)
        ax.plot(xs, ys, marker=".")
        ax.set_xlabel("commands sent")
        ax.set_ylabel("RSS (MB)")
        ax.set_ylim(0, max(ys) * 1.2)
        ax.set_title("P4: bot RSS over commands")
        ax.grid(True, alpha=0.3)
        save(fig, "footprint")
    return made


def without_samples(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_samples(v) for k, v in value.items() if k not in ("samples", "grid")}
    return value


def write(results: dict[str, Any], docs: Path, with_plots: bool = True) -> Path:
    """docs/benchmarks.md, docs/benchmarks/*.png and docs/benchmarks/results.json."""
    out_dir = docs / "benchmarks"
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = plot(results, out_dir) if with_plots else {}
    page = docs / "benchmarks.md"
    page.write_text(markdown(results, plots))
    (out_dir / "results.json").write_text(json.dumps(without_samples(results), indent=1) + "\n")
    return page
