"""Business time on 1,000,000 events: cspm (engine expressions over a per-day calendar table) vs
pandas + pm4py (``discover_performance_dfg(business_hours=True)``, a Python call per interval).

Both compute the business-time wait of every directly-follows pair (Mon–Fri 08:00–18:00 in the
simulator's zone, Europe/Berlin) and its median per edge; the script prints wall time and peak RSS
of each pipeline (each in its own subprocess), the time of the business-time step alone, and checks
that both give the same median for the simulator's bottleneck edge `Escalate to L2 → Assign L2`.
It also times cspm's whole waiting analysis with ``sample_logs/cspm.example.yaml`` (no pm4py
equivalent; peak RSS of the cspm process includes it).
pm4py has no time zones: its input timestamps are converted to naive Berlin local time first.

Usage: python benchmarks/bench_business_time.py [--events 1000000]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _harness import run_pipeline, simulated_log

CSPM = """
import time, cspm
from cspm.core.calendar import BusinessCalendar
from cspm.config import Calendar
from cspm.analysis.intervals import step_intervals
t0 = time.perf_counter()
log = cspm.read(PATH, case_id="ticket_id")
t1 = time.perf_counter()
cal = BusinessCalendar(Calendar(timezone="Europe/Berlin", working_hours={"mon-fri": "08:00-18:00"}))
iv = step_intervals(log, "complete", cal, [], cache=False)  # business positions of every event
q = iv.filter(iv.wait_bs.notnull())
edges = q.group_by(["edge_from", "edge_to"]).aggregate(median=q.wait_bs.median(), n=q.count()).to_pandas()
t2 = time.perf_counter()
row = edges[(edges.edge_from == "Escalate to L2") & (edges.edge_to == "Assign L2")].iloc[0]
from cspm.analysis.waiting import waiting
t3 = time.perf_counter()
analysis = waiting(log, CONFIG)  # the whole analysis: both clocks, every target of the example config
t4 = time.perf_counter()
print(json.dumps({"seconds": t2 - t0, "business_seconds": t2 - t1, "events": log.count_events(),
                  "edges": len(edges), "bottleneck_median_s": float(row["median"]),
                  "analysis_seconds": t4 - t3, "top": analysis.ranking.iloc[0]["step"]}))
"""
PM4PY = """
import time, pandas as pd, pm4py
t0 = time.perf_counter()
df = pd.read_csv(PATH)
ts = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601")
df["timestamp"] = ts.dt.tz_convert("Europe/Berlin").dt.tz_localize(None)   # pm4py ignores zones
df = pm4py.format_dataframe(df, case_id="ticket_id", activity_key="activity", timestamp_key="timestamp")
t1 = time.perf_counter()
slots = [(d * 86400 + 8 * 3600, d * 86400 + 18 * 3600) for d in range(5)]
dfg, _, _ = pm4py.discover_performance_dfg(df, business_hours=True, business_hour_slots=slots)
t2 = time.perf_counter()
m = dfg[("Escalate to L2", "Assign L2")]
print(json.dumps({"seconds": t2 - t0, "business_seconds": t2 - t1, "events": len(df), "edges": len(dfg),
                  "bottleneck_median_s": float(m["median"])}))
"""



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--skip-pm4py", action="store_true")
    args = parser.parse_args()
    path = simulated_log(args.events)
    config = Path(__file__).resolve().parents[1] / "sample_logs" / "cspm.example.yaml"
    cs = run_pipeline(CSPM, PATH=str(path), CONFIG=str(config))
    print(f"log: {path} ({cs['events']:,} events)")
    print(f"{'pipeline':<46}{'total (s)':>10}{'business step (s)':>19}{'peak RSS (MB)':>15}")
    print(f"{'cspm (DuckDB, calendar table + Ibis)':<46}{cs['seconds']:>10.2f}{cs['business_seconds']:>19.2f}"
          f"{cs['peak_mb']:>15.0f}")  # fmt: skip
    print(f"cspm full waiting analysis (example config: 5 step targets, 5 milestones, lead time, both "
          f"clocks): {cs['analysis_seconds']:.2f} s; worst bottleneck {cs['top']}")
    if not args.skip_pm4py:
        pm = run_pipeline(PM4PY, PATH=str(path), CONFIG=str(config))
        print(f"{'pandas + pm4py performance DFG, business_hours':<46}{pm['seconds']:>10.2f}"
              f"{pm['business_seconds']:>19.2f}{pm['peak_mb']:>15.0f}")  # fmt: skip
        print(f"bottleneck median business wait: cspm {cs['bottleneck_median_s'] / 3600:.4f} h, "
              f"pm4py {pm['bottleneck_median_s'] / 3600:.4f} h")
        assert abs(cs["bottleneck_median_s"] - pm["bottleneck_median_s"]) < 1.0


if __name__ == "__main__":
    main()
