"""Benchmark of the ticket simulator: wall time and peak memory for a large streamed log.

Each format runs in its own subprocess; the script prints wall time, the child's own peak RSS
(from ``os.wait4``) and ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` (the maximum over all
children so far), and exits with status 1 if a run exceeds the memory limit.

    python benchmarks/bench_simulate.py --events 1000000 --formats parquet,csv
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = """
import json, sys
from cspm.simulate import write_simulated_log
files = write_simulated_log(sys.argv[1], n_events=int(sys.argv[2]), seed=int(sys.argv[3]),
                            tickets_per_day=float(sys.argv[4]), lifecycle=sys.argv[5])
summary = json.loads(files.truth.read_text("utf-8"))
print(json.dumps({"n_events": summary["n_events"], "n_cases": summary["n_cases"]}))
"""


def run_one(path: Path, events: int, seed: int, per_day: float, lifecycle: str) -> dict[str, float]:
    """Simulate into ``path`` in a subprocess; wall seconds, peak RSS in MB, size, counts."""
    cmd = [sys.executable, "-c", _CHILD, str(path), str(events), str(seed), str(per_day), lifecycle]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"simulation failed ({proc.returncode}):\n{err}")
    counts = json.loads(out.strip().splitlines()[-1])
    return {
        "wall_s": wall,
        "peak_mb": usage.ru_maxrss / 1024,  # Linux: kilobytes
        "children_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "size_mb": path.stat().st_size / 1e6,
        **counts,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--formats", default="parquet,csv", help="comma list: parquet,csv,xes.gz")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tickets-per-day", type=float, default=1000.0)
    parser.add_argument("--lifecycle", default="complete", choices=["complete", "start_complete"])
    parser.add_argument("--limit-mb", type=float, default=1024.0)
    parser.add_argument("--out", type=Path, default=None, help="directory (default: a temp dir)")
    args = parser.parse_args()

    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        print(
            f"{'format':8} {'events':>10} {'cases':>8} {'wall s':>7} {'peak MB':>8} {'file MB':>8}"
        )
        for fmt in args.formats.split(","):
            r = run_one(
                out / f"bench.{fmt}", args.events, args.seed, args.tickets_per_day, args.lifecycle
            )
            print(
                f"{fmt:8} {r['n_events']:>10,} {r['n_cases']:>8,} {r['wall_s']:>7.1f} "
                f"{r['peak_mb']:>8.0f} {r['size_mb']:>8.1f}"
            )
            failed |= r["peak_mb"] >= args.limit_mb
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"RUSAGE_CHILDREN ru_maxrss: {children:.0f} MB (limit {args.limit_mb:.0f} MB)")
    return 1 if failed or children >= args.limit_mb else 0


if __name__ == "__main__":
    raise SystemExit(main())
