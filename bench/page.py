"""docs/benchmarks.md: the report (bench/report.py) with the learned poll plan's part
(bench/learning_report.py). A run of some figures only (`--only`) is merged into the page
already there: its goal rows and sections replace theirs, the others stay as they were, and the
page says which run each came from (a comment at the top keeps that for the next merge).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bench import learning_report, report

FIGURES = ("p1a", "p1b", "p2", "learn", "p3", "p4", "profile")
# The figure each goal row (by the start of its first cell) and each section (by its header)
# belongs to; the first match wins.
ROWS = (("P1a", "p1a"), ("P1b", "p1b"), ("P2L", "learn"), ("P2", "p2"), ("P3", "p3"),
        ("P4", "p4"))  # fmt: skip
SECTIONS = (("## P1 ", "p1a"), (learning_report.HEADER, "learn"), ("## P2 ", "p2"),
            ("## Poll cadence", "p2"), ("## P4", "p4"), ("## Profile", "profile"))  # fmt: skip
MARK = "<!-- bench runs: "
RUN_NOTE = "*Run of "


def markdown(results: dict[str, Any], plots: dict[str, str] | None = None) -> str:
    plots = plots or {}
    learn = results.get("learn")
    return report.markdown(results, plots, extra_rows=learning_report.goal_rows(learn),
                           extra_sections=learning_report.section(learn, plots))  # fmt: skip


def plot(results: dict[str, Any], out_dir: Path) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = report.plot(results, out_dir)

    def save(fig: Any, key: str) -> None:
        fig.tight_layout()
        fig.savefig(out_dir / f"{key}.png", dpi=110)
        plt.close(fig)
        made[key] = f"{out_dir.name}/{key}.png"

    learning_report.plot(results.get("learn"), out_dir, save)
    return made


def _owner(text: str, table: tuple[tuple[str, str], ...]) -> str | None:
    return next((figure for prefix, figure in table if text.startswith(prefix)), None)


def _run_of(results: dict[str, Any]) -> tuple[str, str]:
    """(date, how the machine was) of a run."""
    m = results["machine"]
    load = " / ".join(map(str, m["load_at_start"]))
    if "load_at_end" in m:
        load += " at the start, " + " / ".join(map(str, m["load_at_end"])) + " at the end"
    return m["date"], (f"{m['cpu']}, {m['cores']} cores; Python {m['python']}; {m['os']}; load "
                       f"average {load}; it took {results.get('elapsed_s', 0) / 60:.0f} minutes.")  # fmt: skip


def _split(page: str) -> tuple[dict[str, Any], list[str], dict[str, list[str]]]:
    """What an existing page holds: its runs, its goal rows, its sections (header → lines)."""
    lines = page.splitlines()
    runs: dict[str, Any] = {"figures": {}, "runs": {}}
    marked = [line for line in lines if line.startswith(MARK)]
    if marked:
        runs = json.loads(marked[0][len(MARK) : -len(" -->")])
    else:  # a page written by one whole run
        date = next((re.sub(r"^- \*\*Date\*\*: ([^;]*);.*", r"\1", line) for line in lines
                     if line.startswith("- **Date**")), "an earlier run")  # fmt: skip
        machine = next((line.removeprefix("- **Machine**: ") for line in lines
                        if line.startswith("- **Machine**")), "")  # fmt: skip
        runs["runs"][date] = machine
        runs["figures"] = {figure: date for figure in FIGURES}
    rows, sections, current = [], {}, None
    for line in lines:
        if line.startswith("## "):
            current = line
            sections[current] = []
        elif current == "## Goals":
            if line.startswith("| ") and not line.startswith("| figure"):
                rows.append(line)
        elif current is not None:
            sections[current].append(line)
    sections.pop("## Goals", None)
    return runs, rows, sections


def merge(old: str, new: str, new_results: dict[str, Any]) -> str:
    """The old page with the figures of `new_results` taken from `new`."""
    ran = {f for f in FIGURES if f in new_results}
    runs, old_rows, old_sections = _split(old)
    _, new_rows, new_sections = _split(new)
    date, machine = _run_of(new_results)
    runs["runs"][date] = machine
    runs["figures"].update({f: date for f in ran})
    rows = []
    for figure in FIGURES:
        source = new_rows if figure in ran else old_rows
        rows += [r for r in source if _owner(r.removeprefix("| "), ROWS) == figure]
    sections: list[str] = []
    for figure in FIGURES:
        source = new_sections if figure in ran else old_sections
        for header, body in source.items():
            if _owner(header, SECTIONS) != figure:
                continue
            body = [line for line in body if not line.startswith(RUN_NOTE)]
            while body and not body[0].strip():
                body = body[1:]
            while body and not body[-1].strip():
                body = body[:-1]
            when = runs["figures"].get(figure, date)
            sections += ["", header, "", f"{RUN_NOTE}{when}.*", "", *body]
    used = sorted(set(runs["figures"].values()))
    runs["runs"] = {d: m for d, m in runs["runs"].items() if d in used}
    head = [
        "# Benchmarks", "", MARK + json.dumps(runs) + " -->", "",
        "Written by `make bench` (`python -m bench`, see `bench/`); run it again rather than edit "
        "this page. A run of some figures (`--only`) replaces their rows and sections and keeps "
        "the others, so this page puts together these runs (each section names its own):", "",
    ]  # fmt: skip
    for d in used:
        figures = ", ".join(f for f in FIGURES if runs["figures"].get(f) == d)
        head.append(f"- **{d}** ({figures}): {runs['runs'][d]}")
    head += ["- **Set-up**: all on 127.0.0.1. The bot runs as its own process (`python -m bot "
             "serve --http`, SQLite in WAL mode, and for P1 PostgreSQL too when the bench has a server, JSON logs to /dev/null) against Seam's own fake "
             "server (`@seamapi/fake-seam-connect`) behind a delay proxy and a local fake of "
             "Slack's Web API. Each baseline server runs in its own process too. The machine is "
             "shared with other work, so treat small differences as noise.", "", "## Goals", ""]  # fmt: skip
    head += ["| figure | result | baselines in the same run | goal | met or missed |",
             "|---|---|---|---|---|", *rows]  # fmt: skip
    head += ["", "Each row comes from the run its section names: "
             + "; ".join(f"{', '.join(f for f in FIGURES if runs['figures'].get(f) == d)} "
                         f"from {d}" for d in used) + "."]  # fmt: skip
    return "\n".join(head + sections) + "\n"


def _without_samples(value: Any) -> Any:
    """What results.json keeps: no samples, no model grid, no read times of each lock."""
    if isinstance(value, dict):
        return {k: _without_samples(v) for k, v in value.items()
                if k not in ("samples", "grid", "schedule")}  # fmt: skip
    return value


def write(results: dict[str, Any], docs: Path, with_plots: bool = True) -> Path:
    """docs/benchmarks.md (merged when the run has only some figures), its plots, and
    docs/benchmarks/results.json."""
    out_dir = docs / "benchmarks"
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = plot(results, out_dir) if with_plots else {}
    page = docs / "benchmarks.md"
    text = markdown(results, plots)
    partial = any(f not in results for f in FIGURES)
    saved = out_dir / "results.json"
    if partial and page.exists():
        text = merge(page.read_text(), text, results)
        if saved.exists():
            old = json.loads(saved.read_text())
            ran = [k for k in FIGURES if k in results]
            # The machine and date of the run each figure came from.
            runs = old.get("runs") or {
                old["machine"]["date"]: {
                    "machine": old["machine"],
                    "figures": [f for f in FIGURES if f in old],
                }
            }
            for run in runs.values():
                run["figures"] = [f for f in run["figures"] if f not in ran]
            runs[results["machine"]["date"]] = {"machine": results["machine"], "figures": ran}
            results = old | {k: results[k] for k in ran} | {"runs": runs}
    page.write_text(text)
    saved.write_text(json.dumps(_without_samples(results), indent=1) + "\n")
    return page
