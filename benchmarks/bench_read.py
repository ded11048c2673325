"""Reading a 1,000,000-event ticket log: cspm.read (DuckDB) vs pandas + pm4py.format_dataframe.

Each pipeline runs in its own subprocess; the script prints wall time and peak RSS of both.
Usage: python benchmarks/bench_read.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

CSPM = """
import time, cspm
t = time.perf_counter()
log = cspm.read(PATH)
q = log.quality
print(json.dumps({"seconds": time.perf_counter() - t, "events": q.events, "cases": q.cases}))
"""
PM4PY = """
import time, pandas as pd, pm4py
t = time.perf_counter()
df = pd.read_csv(PATH)
df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601")
df = pm4py.format_dataframe(df, case_id="ticket_id", activity_key="activity", timestamp_key="timestamp")
print(json.dumps({"seconds": time.perf_counter() - t, "events": len(df), "cases": df["case:concept:name"].nunique()}))
"""


PEAK = """
import resource
print(json.dumps({"peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def run(code: str, path: Path) -> dict:
    """Run one pipeline in a fresh interpreter; its own peak RSS is read at its end."""
    script = "import json\nPATH = " + repr(str(path)) + "\n" + textwrap.dedent(code) + PEAK
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    result = json.loads(lines[-2])
    result.update(wall_seconds=time.perf_counter() - t, peak_mb=json.loads(lines[-1])["peak_kb"] / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    from cspm.simulate import SimulationSettings, write_simulated_log

    folder = Path(tempfile.gettempdir()) / "cspm_bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"tickets_{args.events}.csv"
    if not path.exists():
        write_simulated_log(path, SimulationSettings(n_events=args.events, seed=1))
    pm = run(PM4PY, path)
    cs = run(CSPM, path)
    print(f"log: {path} ({pm['events']:,} events, {pm['cases']:,} cases)")
    print(f"{'pipeline':<40}{'time (s)':>10}{'peak RSS (MB)':>16}")
    print(f"{'pandas.read_csv + pm4py.format_dataframe':<40}{pm['seconds']:>10.2f}{pm['peak_mb']:>16.0f}")
    print(f"{'cspm.read (DuckDB, validated + quality)':<40}{cs['seconds']:>10.2f}{cs['peak_mb']:>16.0f}")
    assert cs["events"] == pm["events"] and cs["cases"] == pm["cases"]


if __name__ == "__main__":
    main()
