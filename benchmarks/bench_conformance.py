"""Conformance: cspm.check_conformance vs pm4py's fitness_token_based_replay / fitness_alignments.

Same log, same model (the Inductive Miner model of the Helpdesk log, noise 0.2, written to a PNML
file that both sides read). Each pipeline runs in its own subprocess (read the log + check);
the script prints wall time, the time of the check alone, peak RSS (the process itself and, for
cspm's alignment workers, its children) and the fitness values, which must be equal.
Optionally also a simulated log (``--events``) against the to-be model ``sample_logs/to_be.bpmn``.

Usage: python benchmarks/bench_conformance.py [--log PATH] [--noise 0.2] [--events 1000000] [--skip-alignments]
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path

from _harness import run_pipeline

ROOT = Path(__file__).resolve().parents[1]

CSPM = """
import time, cspm
import pm4py  # imported before the timers, as on the pm4py side (both sides need it)
from cspm.analysis.conformance.check import check_conformance
t0 = time.perf_counter()
log = cspm.read(PATH)
t = time.perf_counter()
r = check_conformance(log, MODEL, METHOD, time_limit=600, workers=2, deviations=False, precision=False)
check = time.perf_counter() - t
print(json.dumps({"seconds": time.perf_counter() - t0, "check_seconds": check, "fitness": r.fitness,
                  "unaligned": len(r.unaligned), "variants": len(r.variants),
                  "parts": {k: round(v, 2) for k, v in r.timings.items()}}))
"""
PM4PY = """
import time, pandas as pd, pm4py
t0 = time.perf_counter()
if PATH.endswith((".xes", ".xes.gz")):
    df = pm4py.read_xes(PATH)
else:
    df = pd.read_parquet(PATH)
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    df = pm4py.format_dataframe(df, case_id="ticket_id", activity_key="activity", timestamp_key="timestamp")
if MODEL.endswith(".bpmn"):
    net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(MODEL))
else:
    net, im, fm = pm4py.read_pnml(MODEL)
t = time.perf_counter()
if METHOD == "token_replay":
    fit = pm4py.fitness_token_based_replay(df, net, im, fm)
else:
    fit = pm4py.fitness_alignments(df, net, im, fm, multi_processing=False)
check = time.perf_counter() - t
print(json.dumps({"seconds": time.perf_counter() - t0, "check_seconds": check, "fitness": fit}))
"""



def compare(label: str, path: Path, model: Path, method: str) -> bool:
    ours = run_pipeline(CSPM, PATH=str(path), MODEL=str(model), METHOD=method)
    theirs = run_pipeline(PM4PY, PATH=str(path), MODEL=str(model), METHOD=method)
    print(f"\n== {label}: {method} ==")
    for name, r in (("cspm", ours), ("pm4py", theirs)):
        kids = f", workers peak {r['children_peak_mb']:.0f} MB" if name == "cspm" and method == "alignments" else ""
        print(f"{name:6s} total {r['seconds']:8.2f} s  check {r['check_seconds']:8.2f} s  "
              f"peak {r['peak_mb']:6.0f} MB{kids}")  # fmt: skip
    keys = sorted(theirs["fitness"])
    equal = all(math.isclose(ours["fitness"][k], theirs["fitness"][k], rel_tol=1e-12, abs_tol=1e-12) for k in keys)
    for k in keys:
        print(f"  {k:30s} cspm {ours['fitness'][k]:.12f}  pm4py {theirs['fitness'][k]:.12f}")
    speed = theirs["check_seconds"] / ours["check_seconds"]
    goal = " (goal for alignments: >= 4x)" if method == "alignments" else ""
    print(f"  cspm {speed:.1f}x as fast as pm4py (check alone){goal}")
    print(f"  equal fitness: {equal}; variants {ours['variants']:,}, unaligned (cspm) {ours['unaligned']}; "
          f"cspm check parts (s): {ours['parts']}")
    return equal


def main() -> None:
    parser = argparse.ArgumentParser()
    shared = Path(os.environ.get("CSPM_SHARED_LOGS") or ROOT.parent / "shared" / "logs")
    parser.add_argument("--log", default=str(shared / "helpdesk.xes.gz"),
                        help="the real log (default: helpdesk.xes.gz in ../shared/logs or $CSPM_SHARED_LOGS)")
    parser.add_argument("--noise", type=float, default=0.2)
    parser.add_argument("--events", type=int, default=0, help="also a simulated log of this many events")
    parser.add_argument("--skip-alignments", action="store_true")
    parser.add_argument("--only-alignments", action="store_true", help="leave out token replay")
    args = parser.parse_args()
    if not Path(args.log).is_file():
        parser.error(f"{args.log}: no such file; give the real log with --log PATH (or set CSPM_SHARED_LOGS)")
    import cspm
    from cspm.mining import pm4py as _pm4py
    from cspm.mining.discovery import variants

    folder = Path(tempfile.gettempdir()) / "cspm_bench"
    folder.mkdir(exist_ok=True)
    log_path = Path(args.log)
    model = folder / f"{log_path.name}.im{args.noise}.pnml"
    _pm4py.inductive_model(variants(cspm.read(log_path)).counts(), noise=args.noise).save_pnml(model)
    methods = ([] if args.only_alignments else ["token_replay"]) + ([] if args.skip_alignments else ["alignments"])
    ok = all(compare(f"{log_path.name} vs its IM model (noise {args.noise})", log_path, model, m) for m in methods)
    if args.events:
        from cspm.simulate import SimulationSettings, write_simulated_log

        sim = folder / f"tickets_{args.events}.parquet"
        if not sim.exists():
            write_simulated_log(sim, SimulationSettings(n_events=args.events))
        to_be = ROOT / "sample_logs" / "to_be.bpmn"
        ok = all([ok] + [compare(f"simulated {args.events:,} events vs to_be.bpmn", sim, to_be, m) for m in methods])
    print(f"\nall fitness values equal: {ok}")


if __name__ == "__main__":
    main()
