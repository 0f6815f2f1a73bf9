"""Every benchmark, then docs/benchmarks.md and docs/benchmarks/*.png: `make bench`.

Usage: .venv/bin/python -m bench [--quick] [--only p1a,p1b,p2,learn,p3,p4,profile] [--docs DIR]
       .venv/bin/python -m bench --from FILE   (write the page again from a run's raw results)
--quick shrinks every figure (a few minutes instead of about twenty) for trying the bench out;
the numbers it writes are not the ones to publish. Every run keeps its raw results, samples
included, in RAW (below), so the page and plots can be redone without measuring again.
A run of some figures (--only) rewrites only their rows and sections of the page (bench/page.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import ack, fanout, footprint, learning, outcome, page, profile
from bench.common import machine, stack, step

FIGURES = page.FIGURES
DOCS = Path(__file__).resolve().parent.parent / "docs"
RAW = Path(tempfile.gettempdir()) / "lockbot-bench-results.json"


async def run(only: set[str], quick: bool) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine()}
    started = time.perf_counter()
    async with stack() as s:
        if "p1a" in only:
            with step("P1a ack latency"):
                results["p1a"] = await ack.p1a(s, *((300, 50) if quick else (2000, 200)))
        if "p1b" in only:
            with step("P1b ack throughput (wrk)"):
                results["p1b"] = await ack.p1b(s, duration_s=3 if quick else 10)
        if "p2" in only:
            with step("P2/P2b outcome delay, Seam calls and poll cadences"):
                results["p2"] = await outcome.p2(
                    s,
                    cadences=(outcome.CURRENT, *outcome.ALTERNATIVES[: 1 if quick else None]),
                    per_batch=5 if quick else 15,
                    rounds_current=1 if quick else 3,
                    rounds_other=1 if quick else 2,
                )
        if "learn" in only:
            with step("P2 with the poll plan learned per device: cold, warm, events off and on"):
                sizes = {"cold_batch": 3, "warmup": 5, "warm": 5} if quick else {}
                results["learn"] = await learning.learned(s, **sizes)
        if "p3" in only:
            with step("P3 group fan-out"):
                # Its own stack: the delay proxy slows every Seam call, which the others must not
                # see.
                results["p3"] = await fanout.p3(*((40, 0.2, 8) if quick else (200, 0.2, 20)))
        if "p4" in only:
            with step("P4 footprint"):
                results["p4"] = await footprint.p4(s, commands=300 if quick else 1000)
        if "profile" in only:
            with step("profile of the ack path"):
                results["profile"] = await profile.profile_ack(
                    s, count=1000 if quick else 3000, duration_s=3 if quick else 10
                )
    results["elapsed_s"] = time.perf_counter() - started
    results["machine"]["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small samples, for trying it out")
    parser.add_argument("--only", default=",".join(FIGURES),
                        help=f"comma-separated subset of {', '.join(FIGURES)}")  # fmt: skip
    parser.add_argument("--docs", type=Path, default=DOCS, help="where benchmarks.md goes")
    parser.add_argument("--from", dest="raw", type=Path, help="raw results of an earlier run")
    args = parser.parse_args()
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = only - set(FIGURES)
    if unknown:
        parser.error(f"unknown figures: {', '.join(sorted(unknown))}")
    if args.raw:
        results = json.loads(args.raw.read_text())
    else:
        results = asyncio.run(run(only, args.quick))
        RAW.write_text(json.dumps(results))
        print(f"raw results in {RAW}", file=sys.stderr)
    written = page.write(results, args.docs)
    print(f"wrote {written} and {args.docs / 'benchmarks'}/", file=sys.stderr)


if __name__ == "__main__":
    main()
