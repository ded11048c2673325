"""Engine speed end to end: every workload of the speed goals side by side, in one command.

Rows (each pipeline in a fresh interpreter; wall time inside the pipeline and peak RSS printed):

1. ``cspm discover LOG --config sample_logs/cspm.example.yaml`` (the whole diagnosis: maps, model,
   value stream, KPIs, handoffs, waiting vs the example's targets, report) against the pm4py +
   pandas pipeline with the same scope: read, DFG, performance DFG, variants, Inductive Miner
   (noise 0.2), token-based replay on the mined net, the team handover network, waits before each
   step and the ticket KPIs (first response, resolution, closure) in pandas. Checked equal: events,
   cases, variants, every directly-follows edge's count and its mean wait (pm4py's performance DFG
   vs cspm's ``edges.csv``, to 1e-6 s). Both clocks include the imports (pm4py's 3 s among them:
   cspm imports pm4py when it mines the model).
2. ``cspm.read`` of the CSV (full validation and data quality) against DuckDB's own typed
   ``read_csv`` of the same file (materialised); the same number of events. Both clocks start after
   the import (``import duckdb``; ``from cspm import read``, which loads Ibis's DuckDB backend); the best of three
   fresh runs of each, taken in turn.
3. Start-up: ``cspm --help`` and ``cspm validate sample_logs/tickets_en.csv`` (2,000 tickets), whole
   processes.
4. Growth: row 1's cspm command at every ``--sizes`` (CSV up to 1M events, Parquet above), time and
   peak RSS, with the ratio to the smallest size.
5. ``--alignments``: ``benchmarks/bench_conformance.py`` on the real Helpdesk log (minutes: pm4py's
   own alignments take about 4 min there); otherwise the row says it was not run.

Each row is printed as soon as it is measured (a long 10M row does not hold back the others);
``--rows 3,5`` runs only some rows.

Usage: python benchmarks/bench_engine.py [--events 1000000] [--sizes 100000,1000000[,10000000]]
       [--no-pm4py] [--alignments] [--rows 1,2,3,4,5]
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _harness import run_pipeline, simulated_log

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "sample_logs" / "cspm.example.yaml")
SAMPLE = str(ROOT / "sample_logs" / "tickets_en.csv")

CSPM_DISCOVER = """
import time, tempfile, csv
t = time.perf_counter()  # imports inside the clock, as on the pm4py side (cspm loads pm4py when it mines)
from cspm.cli import app
out = tempfile.mkdtemp(prefix="cspm_bench_out_")
app(["discover", PATH, "--out", out, "--config", CONFIG, "--format", "json"], standalone_mode=False)
seconds = time.perf_counter() - t
s = json.load(open(out + "/summary.json"))
ov = s["overview"]
edges = {r["source"] + "\\u2192" + r["target"]: [int(r["count"]), float(r["wait_mean"])]
         for r in csv.DictReader(open(out + "/edges.csv", encoding="utf-8"))}
print(json.dumps({"seconds": seconds, "events": ov["events"], "cases": ov["cases"],
                  "variants": ov["variants"], "edges": edges}))
"""

PM4PY_DISCOVER = """
import time
t = time.perf_counter()  # imports inside the clock: cspm's run imports pm4py, pandas, matplotlib too
import pandas as pd, pm4py
df = pd.read_csv(PATH)
df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601")
df = pm4py.format_dataframe(df, case_id="ticket_id", activity_key="activity", timestamp_key="timestamp")
case, act, ts = "case:concept:name", "concept:name", "time:timestamp"
dfg, sa, ea = pm4py.discover_dfg(df)
perf, _, _ = pm4py.discover_performance_dfg(df)
variants = pm4py.get_variants(df)
tree = pm4py.discover_process_tree_inductive(df, noise_threshold=0.2, multi_processing=False)
net, im, fm = pm4py.convert_to_petri_net(tree)
bpmn = pm4py.convert_to_bpmn(tree)
fitness = pm4py.fitness_token_based_replay(df, net, im, fm)
handover = pm4py.discover_handover_of_work_network(df, resource_key="team")
# waits before each step (complete semantics) and the ticket KPIs, in pandas
df = df.sort_values([case, ts], kind="stable")
wait = df.groupby(case, sort=False)[ts].diff().dt.total_seconds()
per_step = wait.groupby(df[act]).agg(["count", "mean", "median", lambda x: x.quantile(0.9)])
first = df.groupby(case)[ts].min()
def kpi(activity):
    hit = df[df[act] == activity].groupby(case)[ts].min()
    return ((hit - first.loc[hit.index]).dt.total_seconds()).median()
kpis = {a: kpi(a) for a in ("First response", "Resolve ticket", "Close ticket")}
seconds = time.perf_counter() - t
edges = {a + "\\u2192" + b: [int(n), float(perf[(a, b)]["mean"])] for (a, b), n in dfg.items()}
print(json.dumps({"seconds": seconds, "events": len(df), "cases": int(df[case].nunique()),
                  "variants": len(variants), "edges": edges, "fitness": fitness["log_fitness"]}))
"""

CSPM_READ = """
import time, duckdb
from cspm import read  # imported before the clock starts, as duckdb is for DuckDB's own read
t = time.perf_counter()
log = read(PATH)
print(json.dumps({"seconds": time.perf_counter() - t, "events": log.quality.events}))
"""

DUCKDB_READ = """
import time, duckdb
t = time.perf_counter()
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute(f"CREATE TABLE e AS SELECT * FROM read_csv('{PATH}', types={{'timestamp': 'TIMESTAMPTZ'}})")
n = con.execute("SELECT count(*) FROM e").fetchone()[0]
print(json.dumps({"seconds": time.perf_counter() - t, "events": n}))
"""


def whole_process(args: list[str]) -> float:
    """Wall seconds of one command in a fresh process (the best of three: start-up is short)."""
    best = math.inf
    for _ in range(3):
        t = time.perf_counter()
        out = subprocess.run(args, capture_output=True, text=True)
        best = min(best, time.perf_counter() - t)
        if out.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(args)} failed:\n{out.stderr[-2000:]}")
    return best


def log_for(n: int) -> Path:
    return simulated_log(n, ".csv" if n <= 1_000_000 else ".parquet")


def check_same(cs: dict[str, Any], pm: dict[str, Any]) -> list[str]:
    """What differs between the two pipelines' figures (empty when they agree)."""
    problems = [f"{k}: cspm {cs[k]} vs pm4py {pm[k]}" for k in ("events", "cases", "variants") if cs[k] != pm[k]]
    if set(cs["edges"]) != set(pm["edges"]):
        problems.append(f"edges differ: {sorted(set(cs['edges']) ^ set(pm['edges']))[:5]}")
    for edge, (n, mean) in pm["edges"].items():
        if edge in cs["edges"]:
            cn, cmean = cs["edges"][edge]
            if cn != n or not math.isclose(cmean, mean, rel_tol=0, abs_tol=1e-6):
                problems.append(f"edge {edge}: cspm {cn} / {cmean} s vs pm4py {n} / {mean} s")
    return problems


def row(label: str, r: dict[str, Any] | None, note: str = "") -> str:
    if r is None:
        return f"{label:<64}{'—':>10}{'—':>10}  {note}"
    return f"{label:<64}{r['seconds']:>10.2f}{r['peak_mb']:>10.0f}  {note}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000, help="size of rows 1 and 2")
    parser.add_argument("--sizes", default="100000,1000000", help="sizes of the growth table (comma-separated)")
    parser.add_argument("--no-pm4py", action="store_true", help="leave out the pm4py pipeline of row 1")
    parser.add_argument("--alignments", action="store_true", help="run the alignment row (minutes)")
    parser.add_argument("--rows", default="1,2,3,4,5", help="the rows to run (comma-separated)")
    args = parser.parse_args()
    rows = {int(r) for r in args.rows.split(",") if r}
    lines = _Printed()
    failures: list[str] = []
    path = log_for(args.events)
    print(f"{'(time = inside the pipeline, s; peak = the process’s own RSS high-water mark, MB)':<64}")
    print(f"{'workload':<64}{'time (s)':>10}{'peak MB':>10}", flush=True)

    cs = pm = None
    if 1 in rows or (4 in rows and str(args.events) in args.sizes.split(",")):
        cs = run_pipeline(CSPM_DISCOVER, PATH=str(path), CONFIG=CONFIG)
    if 1 in rows:
        pm = None if args.no_pm4py else run_pipeline(PM4PY_DISCOVER, PATH=str(path))
        if pm is not None:
            failures += check_same(cs, pm)
        speedup = ""
        if pm:
            ratio = pm["seconds"] / cs["seconds"]
            pace = f"{ratio:.1f}x faster" if ratio >= 1 else f"{1 / ratio:.1f}x slower"
            speedup = f"cspm {pace} (goal >= 5x faster, <= 4 s, <= 1 GB)"
        lines.append(f"1. full diagnosis, {cs['events']:,} events ({cs['cases']:,} cases, {cs['variants']:,} variants)")
        lines.append(row("   pm4py + pandas (read … IM, token replay, handover, waits, KPIs)", pm,
                         f"fitness {pm['fitness']:.4f}" if pm else "not run (--no-pm4py)"))  # fmt: skip
        lines.append(row("   cspm discover --config cspm.example.yaml", cs, speedup))

    if 2 in rows and path.suffix == ".csv":
        # seconds, not minutes: the best of three fresh runs each, taken in turn (as row 3's start-up)
        runs = [(run_pipeline(CSPM_READ, PATH=str(path)), run_pipeline(DUCKDB_READ, PATH=str(path))) for _ in range(3)]
        rd = min((r for r, _ in runs), key=lambda r: r["seconds"])
        dk = min((d for _, d in runs), key=lambda d: d["seconds"])
        if rd["events"] != dk["events"]:
            failures.append(f"read: cspm {rd['events']} events vs DuckDB {dk['events']}")
        lines.append(f"2. read {path.name} (best of 3 fresh runs each)")
        lines.append(row("   DuckDB read_csv (typed, into a table)", dk))
        lines.append(row("   cspm.read (validation, rejects, data quality)", rd,
                         f"{rd['seconds'] / dk['seconds']:.1f}x DuckDB (goal <= 2x)"))  # fmt: skip

    if 3 in rows:
        _startup(lines)
    if 4 in rows:
        _growth(lines, args.sizes, path, cs)
    if 5 in rows:
        _alignments(lines, args.alignments)
    if failures:
        raise SystemExit("figures differ:\n" + "\n".join(failures))
    print("same figures: yes" if pm is not None else "same figures: not checked (row 1 not run, or --no-pm4py)")


class _Printed(list):
    """The table's lines, each printed the moment it is added."""

    def append(self, line: str) -> None:
        print(line, flush=True)
        super().append(line)

    def __iadd__(self, more):  # type: ignore[no-untyped-def]
        for line in more:
            self.append(line)
        return self


def _startup(lines: _Printed) -> None:
    exe = str(Path(sys.executable).with_name("cspm"))
    cli = [exe] if Path(exe).exists() else [sys.executable, "-m", "cspm"]
    lines.append("3. start-up (whole process, best of 3)")
    lines.append(f"   {'cspm --help':<61}{whole_process([*cli, '--help']):>10.2f}            goal <= 0.5 s")
    validate = whole_process([*cli, "validate", SAMPLE])
    lines.append(f"   {'cspm validate sample_logs/tickets_en.csv (2,000 tickets)':<61}{validate:>10.2f}            goal <= 2 s")


def _growth(lines: _Printed, sizes_arg: str, path: Path, cs: dict[str, Any] | None) -> None:
    sizes = [int(s) for s in sizes_arg.split(",") if s]
    lines.append("4. growth: cspm discover --config (same command as row 1)")
    lines.append(f"   {'events':>12}{'format':>9}{'time (s)':>11}{'peak MB':>10}{'time ×':>9}{'size ×':>9}")
    base: dict[str, Any] | None = None
    for n in sizes:
        p = log_for(n)
        r = cs if p == path and cs is not None else run_pipeline(CSPM_DISCOVER, PATH=str(p), CONFIG=CONFIG)
        base = base or {**r, "n": n}
        lines.append(f"   {r['events']:>12,}{p.suffix[1:]:>9}{r['seconds']:>11.2f}{r['peak_mb']:>10.0f}"
                     f"{r['seconds'] / base['seconds']:>9.1f}{n / base['n']:>9.1f}"
                     + ("   goal at 10M: <= 30 s, <= 2.5 GB" if n >= 10_000_000 else ""))  # fmt: skip


def _alignments(lines: _Printed, run: bool) -> None:
    lines.append("5. alignments (helpdesk.xes.gz vs its IM model)")
    if run:
        out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_conformance.py")],
                             capture_output=True, text=True)  # fmt: skip
        lines += ["   " + x for x in out.stdout.strip().splitlines()]
    else:
        lines.append("   not run (minutes; add --alignments, or run benchmarks/bench_conformance.py)")


if __name__ == "__main__":
    main()
