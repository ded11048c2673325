"""The long fuzz run: 10,000 generated malformed and hostile inputs through ``cspm.read``.

Same generator and check as tests/test_fuzz.py (tests/fuzzing.py), other seed and more inputs,
split over worker processes. For every input: only cspm's own errors, rows read = kept + rejected,
under 30 s (a per-input alarm) and under 1 GB peak RSS (each worker's ``VmHWM`` after its share:
the peak over all its inputs, so every input stayed below it). Every 100th input also goes through
``cspm validate`` and ``cspm discover --no-diagnosis`` (the real entry point, in-process).

    python benchmarks/fuzz.py                   # 10,000 inputs, 2 workers, seed 2026
    python benchmarks/fuzz.py -n 2000 -w 1 -s 16

Prints counts by outcome (read, cspm error by its first words, failure) and the slowest inputs.
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import re
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

LIMIT_S = 30
LIMIT_RSS_KB = 1 << 20


def _hwm_kb() -> int:
    return int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1))


def _worker(args: tuple[int, int, int, int, int, str | None]) -> dict:
    seed, n, part, parts, cli_every, journal = args
    import fuzzing
    from test_fuzz import check_cli

    def alarm(_s: int, _f: object) -> None:
        raise TimeoutError(f"past {LIMIT_S} s")

    signal.signal(signal.SIGALRM, alarm)
    out: dict = {"inputs": 0, "outcomes": collections.Counter(), "failures": [], "slowest": [], "cli_runs": 0}
    folder = Path(tempfile.mkdtemp(prefix="cspm_fuzz_"))
    warm = folder / "warm.csv"  # imports and first queries are not any input's time
    warm.write_bytes(fuzzing.seeds()["hand.csv"])
    fuzzing.check_read(warm)
    for i, case in enumerate(fuzzing.inputs(seed, n)):
        if i % parts != part:
            continue
        path = folder / case.name
        path.write_bytes(case.data)
        start = time.perf_counter()
        signal.alarm(LIMIT_S)
        try:
            problem, outcome = fuzzing.read_outcome(path)
            if outcome.startswith("cspm error: "):
                outcome = "cspm error: " + _kind(outcome[len("cspm error: "):], case.name)
        except TimeoutError as exc:
            problem, outcome = str(exc), "timeout"
        finally:
            signal.alarm(0)
        seconds = time.perf_counter() - start
        if problem:
            outcome = "FAILED"
            out["failures"].append(f"{case.name} ({case.how}): {problem}")
        out["outcomes"][outcome] += 1
        if journal:
            with open(journal, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"input": case.name, "how": case.how, "outcome": outcome, "seconds": round(seconds, 3),
                                     "problem": problem, "hwm_kb": _hwm_kb()}) + "\n")  # fmt: skip
        out["inputs"] += 1
        out["slowest"] = sorted([*out["slowest"], (round(seconds, 2), case.name, case.how)], reverse=True)[:5]
        if i % cli_every == 0:
            for argv in (["validate", str(path)], ["discover", str(path), "--out", str(folder / "out"), "--no-diagnosis"]):
                signal.alarm(LIMIT_S * 4)
                try:
                    problem = check_cli(argv)
                finally:
                    signal.alarm(0)
                out["cli_runs"] += 1
                if problem:
                    out["failures"].append(f"{case.name} ({case.how}): {problem}")
        path.unlink()
    out["peak_rss_kb"] = _hwm_kb()
    return out


def _kind(message: str, name: str) -> str:
    """The first words of a cspm error after the file name (e.g. 'is a damaged or truncated gzip')."""
    text = message.split(name, 1)[-1].lstrip(":, ")
    text = re.sub(r"^(line \d+[,:] )?(row \d+[,:] )?(column '[^']*'[,:] )?", "", text)
    return " ".join(re.sub(r"[^\w\s]", " ", text).split()[:5])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="inputs (default 10,000)")
    parser.add_argument("-s", "--seed", type=int, default=2026)
    parser.add_argument("-w", "--workers", type=int, default=2)
    parser.add_argument("--cli-every", type=int, default=100)
    parser.add_argument("--journal", help="append one JSON line per input to this file (progress of a long run)")
    a = parser.parse_args()
    start = time.perf_counter()
    jobs = [(a.seed, a.n, k, a.workers, a.cli_every, a.journal) for k in range(a.workers)]
    with mp.get_context("spawn").Pool(a.workers) as pool:
        parts = pool.map(_worker, jobs)
    outcomes: collections.Counter = sum((p["outcomes"] for p in parts), collections.Counter())
    failures = [f for p in parts for f in p["failures"]]
    slowest = sorted((s for p in parts for s in p["slowest"]), reverse=True)[:5]
    peak = max(p["peak_rss_kb"] for p in parts)
    report = {
        "inputs": sum(p["inputs"] for p in parts),
        "cli_runs": sum(p["cli_runs"] for p in parts),
        "failures": len(failures),
        "outcomes": dict(outcomes.most_common()),
        "slowest_s": slowest,
        "peak_rss_mb_per_worker": round(peak / 1024),
        "wall_s": round(time.perf_counter() - start),
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    for f in failures[:30]:
        print("FAILED", f)
    ok = not failures and peak < LIMIT_RSS_KB and all(s[0] < LIMIT_S for s in slowest)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
