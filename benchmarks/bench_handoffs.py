"""Handoffs, ping-pong, rework and approval loops on 1,000,000 simulated events:
cspm (Ibis on DuckDB: ``cspm.handoffs``) vs the pm4py-only equivalent (pandas + pm4py's
handover-of-work network and DFG, ping-pong and rework in pandas).

Each pipeline runs in its own subprocess; the script prints wall time and peak RSS of both and
checks that both find the same ping-pong tickets, repetitions and approval loops as the simulator's
ground truth. Usage: python benchmarks/bench_handoffs.py [--events 1000000]
"""

from __future__ import annotations

import argparse

from _harness import run_pipeline, simulated_log

CSPM = """
import time, cspm
t0 = time.perf_counter()
log = cspm.read(PATH)
t1 = time.perf_counter()
a = cspm.handoffs(log, level="team")
s = a.summary()
t2 = time.perf_counter()
print(json.dumps({
    "read_seconds": t1 - t0, "seconds": t2 - t1,
    "ping_pong_tickets": s["ping_pong"]["tickets_with_ping_pong"],
    "repetitions": s["rework"]["repetitions"], "self_loops": s["rework"]["self_loops"],
    "approval_loops": s["approvals"]["tickets_with_loops"], "handoffs": s["handoffs"]["handoffs"],
}))
"""

PM4PY = """
import time, pandas as pd, pm4py, networkx as nx
t0 = time.perf_counter()
df = pd.read_csv(PATH)
df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601")
df = pm4py.format_dataframe(df, case_id="ticket_id", activity_key="activity", timestamp_key="timestamp")
t1 = time.perf_counter()
case, act, team = "case:concept:name", "concept:name", "team"
df = df.sort_values([case, "time:timestamp"], kind="stable").reset_index(drop=True)
# handover-of-work network at team level (pm4py)
how = pm4py.discover_handover_of_work_network(df, resource_key=team)
# visits, handoffs and ping-pong (pandas)
g = df.groupby(case, sort=False)
new = (df[team] != g[team].shift()).astype(int)
df["visit"] = new.groupby(df[case]).cumsum()
visits = df[new.astype(bool)][[case, "visit", team, "time:timestamp"]]
handoffs = int((visits.groupby(case).size() - 1).sum())
visits["prev_same"] = visits.groupby([case, team])["visit"].shift()
ret = visits[visits["prev_same"].notna()]
ping_pong_tickets = ret[case].nunique()
# rework (pandas)
prev = g[act].shift()
self_loop = prev.eq(df[act])
repetition = (df.groupby([case, act]).cumcount() > 0) & ~self_loop
# approval rounds (pandas) and DFG cycles (pm4py DFG + networkx)
rounds = df[df[act] == "Request approval"].groupby(case).size()
dfg, _, _ = pm4py.discover_dfg(df)
cycles = list(nx.simple_cycles(nx.DiGraph(list(dfg)), length_bound=4))
t2 = time.perf_counter()
print(json.dumps({
    "read_seconds": t1 - t0, "seconds": t2 - t1, "ping_pong_tickets": int(ping_pong_tickets),
    "repetitions": int(repetition.sum()), "self_loops": int(self_loop.sum()),
    "approval_loops": int((rounds >= 2).sum()), "handoffs": handoffs,
}))
"""




def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    from cspm.simulate import load_ground_truth

    path = simulated_log(args.events)
    truth = load_ground_truth(path).cases
    pm = run_pipeline(PM4PY, PATH=str(path))
    cs = run_pipeline(CSPM, PATH=str(path))
    print(f"log: {path} ({int(truth['n_events'].sum()):,} events, {len(truth):,} tickets)")
    print(f"{'pipeline':<58}{'read (s)':>10}{'analysis (s)':>14}{'peak RSS (MB)':>16}")
    name = "pandas + pm4py (handover network, DFG) + pandas loops"
    print(f"{name:<58}{pm['read_seconds']:>10.2f}{pm['seconds']:>14.2f}{pm['peak_mb']:>16.0f}")
    name = "cspm.read + cspm.handoffs (Ibis on DuckDB)"
    print(f"{name:<58}{cs['read_seconds']:>10.2f}{cs['seconds']:>14.2f}{cs['peak_mb']:>16.0f}")
    for key in ("handoffs", "ping_pong_tickets", "repetitions", "self_loops", "approval_loops"):
        print(f"  {key:<20} cspm {cs[key]:>9,}   pm4py/pandas {pm[key]:>9,}")
    assert cs["ping_pong_tickets"] == pm["ping_pong_tickets"] == int(truth["ping_pong"].sum())
    assert cs["repetitions"] == pm["repetitions"] == int(truth["rework_repetitions"].sum())
    assert cs["self_loops"] == pm["self_loops"] == int(truth["self_loops"].sum())
    assert cs["approval_loops"] == pm["approval_loops"] == int((truth["approval_rounds"] >= 2).sum())
    assert cs["handoffs"] == pm["handoffs"]


if __name__ == "__main__":
    main()
