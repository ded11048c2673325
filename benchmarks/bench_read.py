"""Reading a 1,000,000-event ticket log: cspm.read (DuckDB) vs pandas + pm4py.format_dataframe.

Each pipeline runs in its own subprocess; the script prints wall time and peak RSS of both.
Usage: python benchmarks/bench_read.py [--events 1000000]
"""

from __future__ import annotations

import argparse

from _harness import run_pipeline, simulated_log

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





def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    path = simulated_log(args.events)
    pm = run_pipeline(PM4PY, PATH=str(path))
    cs = run_pipeline(CSPM, PATH=str(path))
    print(f"log: {path} ({pm['events']:,} events, {pm['cases']:,} cases)")
    print(f"{'pipeline':<40}{'time (s)':>10}{'peak RSS (MB)':>16}")
    print(f"{'pandas.read_csv + pm4py.format_dataframe':<40}{pm['seconds']:>10.2f}{pm['peak_mb']:>16.0f}")
    print(f"{'cspm.read (DuckDB, validated + quality)':<40}{cs['seconds']:>10.2f}{cs['peak_mb']:>16.0f}")
    assert cs["events"] == pm["events"] and cs["cases"] == pm["cases"]


if __name__ == "__main__":
    main()
