"""``cspm discover`` on DuckDB and on Spark ``local[2]`` on the same simulated Parquet log, and the
growth of the DuckDB run under a memory limit (it spills to disk instead of failing).

Each run is ``cspm discover LOG --engine E --no-diagnosis`` in its own interpreter; the script prints
wall time and peak RSS (Spark: the Python driver and, separately, the JVM it starts) and checks that
both engines wrote the same figures (events, cases, variants, edges, median lead time).

Usage:
  python benchmarks/bench_engines.py --events 10000000                 # DuckDB vs Spark local[2]
  python benchmarks/bench_engines.py --growth 1000000,10000000,30000000 --memory-limit 4GB
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _harness import run_pipeline, simulated_log

RUN = """
import time, tempfile, yaml
from cspm.cli import app
out = tempfile.mkdtemp(prefix="cspm_bench_out_")
config = out + "/engine.yaml"
engine = {"name": ENGINE, "memory_limit": MEMORY_LIMIT}
if ENGINE == "spark":
    engine["spark"] = {"master": "local[2]", "driver_memory": DRIVER_MEMORY}
yaml.safe_dump({"engine": engine}, open(config, "w"))
t = time.perf_counter()
app(["discover", PATH, "--out", out, "--format", "json", "--no-diagnosis", "--config", config], standalone_mode=False)
seconds = time.perf_counter() - t
s = json.load(open(out + "/summary.json"))
o = s["overview"]
print(json.dumps({"seconds": seconds, "events": o["events"], "cases": o["cases"], "variants": o["variants"],
                  "edges": o["edges"], "median_lead": o["median_lead_time_seconds"]}))
"""
_FIGURES = ("events", "cases", "variants", "edges", "median_lead")


_BASE = 1_000_000  # larger logs are copies of the simulated 1M-event log


def parquet_log(n_events: int) -> str:
    """The simulated log of ``n_events`` as Parquet (converted once, by DuckDB). Above 1M events
    (a multiple of it), the simulated 1M-event log is replicated with offset case ids (``R2-…``):
    simulating 30M events would take longer than the benchmark."""
    import duckdb

    path = Path(tempfile.gettempdir()) / "cspm_bench" / f"tickets_{n_events}.parquet"
    if path.exists():
        return str(path)
    copies, rest = divmod(n_events, _BASE)
    if n_events <= _BASE or rest:
        csv = simulated_log(n_events)
        duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv}', all_varchar=true)) TO '{path}' (FORMAT parquet)")
        return str(path)
    base = parquet_log(_BASE)
    duckdb.sql(
        f"COPY (SELECT * EXCLUDE (k) REPLACE (CASE WHEN k = 1 THEN ticket_id ELSE 'R' || k || '-' || ticket_id END "
        f"AS ticket_id) FROM read_parquet('{base}'), range(1, {copies + 1}) AS r(k)) TO '{path}' (FORMAT parquet)"
    )
    return str(path)


def run(engine: str, path: str, memory_limit: str | None, driver_memory: str = "8g") -> dict:
    result = run_pipeline(RUN, ENGINE=engine, PATH=path, MEMORY_LIMIT=memory_limit, DRIVER_MEMORY=driver_memory)
    print(f"{engine:7} {result['events']:>12,} events  {result['seconds']:8.1f} s in discover  "
          f"{result['wall_seconds']:8.1f} s wall  peak {result['peak_mb']:7.0f} MB"
          + (f" (+ JVM {result['children_peak_mb']:.0f} MB)" if engine == "spark" and result["children_peak_mb"]
             else " (+ the JVM, still running at the end, so not measured here: watch it with ps)"
             if engine == "spark" else ""))  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--growth", help="comma-separated event counts for the DuckDB growth curve")
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory limit, e.g. 4GB")
    parser.add_argument("--driver-memory", default="8g",
                        help="Spark driver memory (local[2] runs in the driver: its 1g default runs out at 10M events)")
    args = parser.parse_args()
    if args.growth:
        for n in (int(x) for x in args.growth.split(",")):
            run("duckdb", parquet_log(n), args.memory_limit)
        return
    path = parquet_log(args.events)
    duck = run("duckdb", path, args.memory_limit)
    spark = run("spark", path, None, args.driver_memory)
    same = all(duck[k] == spark[k] for k in _FIGURES)
    print("same figures on both engines:", same)
    if not same:
        raise SystemExit({k: (duck[k], spark[k]) for k in _FIGURES})


if __name__ == "__main__":
    main()
