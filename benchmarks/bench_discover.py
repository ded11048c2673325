"""``cspm discover`` vs the pm4py-only pipeline on a 1,000,000-event simulated ticket log.

pm4py-only: pandas.read_csv, timestamps, format_dataframe, discover_dfg, discover_performance_dfg,
get_variants, Inductive Miner (noise 0.2) and conversion to a Petri net and BPMN (in memory: pm4py's
BPMN export needs the Graphviz binary for its layout).
cspm: the whole ``cspm discover LOG --out DIR --no-diagnosis`` command (read + validation + data
quality, engine summaries, two rendered maps, Inductive Miner from the variants, BPMN/PNML/CSV/JSON
files and the HTML report), and the default command, whose report also has the value stream, the
service KPIs and the handoffs and loops.

Each pipeline runs in its own interpreter; the script prints wall time (inside the pipeline, and of
the whole process including start-up) and the peak RSS of each, and checks that both found the same
directly-follows edges and variants.
Usage: python benchmarks/bench_discover.py [--events 1000000]
"""

from __future__ import annotations

import argparse

from _harness import run_pipeline, simulated_log

CSPM = """
import time, tempfile
from cspm.cli import app
out = tempfile.mkdtemp(prefix="cspm_bench_out_")
t = time.perf_counter()
app(["discover", PATH, "--out", out, "--format", "json", *EXTRA], standalone_mode=False)
seconds = time.perf_counter() - t
s = json.load(open(out + "/summary.json"))
ov = s["overview"]
print(json.dumps({"seconds": seconds, "events": ov["events"], "cases": ov["cases"],
                  "variants": ov["variants"], "edges": ov["edges"]}))
"""

PM4PY = """
import time, pandas as pd, pm4py
t = time.perf_counter()
df = pd.read_csv(PATH)
df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601")
df = pm4py.format_dataframe(df, case_id="ticket_id", activity_key="activity", timestamp_key="timestamp")
dfg, sa, ea = pm4py.discover_dfg(df)
perf, _, _ = pm4py.discover_performance_dfg(df)
variants = pm4py.get_variants(df)
tree = pm4py.discover_process_tree_inductive(df, noise_threshold=0.2, multi_processing=False)
net, im, fm = pm4py.convert_to_petri_net(tree)
bpmn = pm4py.convert_to_bpmn(tree)
print(json.dumps({"seconds": time.perf_counter() - t, "events": len(df),
                  "cases": df["case:concept:name"].nunique(), "variants": len(variants), "edges": len(dfg)}))
"""




def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    path = simulated_log(args.events)
    pm = run_pipeline(PM4PY, PATH=str(path))
    cs = run_pipeline(CSPM, PATH=str(path), EXTRA=["--no-diagnosis"])
    full = run_pipeline(CSPM, PATH=str(path), EXTRA=[])
    print(f"log: {path} ({pm['events']:,} events, {pm['cases']:,} cases, {pm['variants']:,} variants)")
    print(f"{'pipeline':<58}{'time (s)':>10}{'process (s)':>13}{'peak RSS (MB)':>16}")
    rows = [
        ("pm4py: read, format, DFG, perf. DFG, variants, IM, BPMN", pm),
        ("cspm discover --no-diagnosis (same scope + files, report)", cs),
        ("cspm discover (+ value stream, KPIs, handoffs in report)", full),
    ]
    for label, r in rows:
        print(f"{label:<58}{r['seconds']:>10.2f}{r['wall_seconds']:>13.2f}{r['peak_mb']:>16.0f}")
    for key in ("events", "cases", "variants", "edges"):
        assert cs[key] == pm[key], (key, cs[key], pm[key])


if __name__ == "__main__":
    main()
