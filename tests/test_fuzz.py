"""Fuzzing the reader and the CLI: 2,000+ generated malformed and hostile inputs per CI run.

Every input (see tests/fuzzing.py: mutations of the sample logs and of hand-made logs) is read
in-process with ``cspm.read``: only cspm's own errors (one paragraph naming the file) may come out,
and rows read = rows kept + rows rejected. A sample of them goes through the real CLI entry point
(``cspm validate`` and ``cspm discover``): exit 0 or 2, and on 2 one paragraph on stderr, no
traceback. Hypothesis adds generated CSV tables (fixed seed: ``derandomize=True``, no example
database) with arbitrary text in every cell. The 10,000-input run is ``benchmarks/fuzz.py``.

A per-input alarm of 30 s catches a hang (it is a hang guard, not a timing assertion); the peak
resident memory the inputs add to the process is checked against 1 GB.
"""

from __future__ import annotations

import contextlib
import io
import os
import resource
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import fuzzing
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

N_READ = int(os.environ.get("CSPM_FUZZ_N", "2000"))  # inputs read in-process per CI run
CLI_EVERY = 500  # every 500th input also goes through `cspm validate` and `cspm discover`
HANG_SECONDS = 30
PEAK_BYTES = 1 << 30


@contextlib.contextmanager
def _hang_guard(what: str) -> Iterator[None]:
    def alarm(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"{what} ran past {HANG_SECONDS} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_cli(args: list[str]) -> tuple[int, str]:
    """Run the real entry point (``cspm.cli.main``) in-process: exit code and stderr."""
    from cspm.cli import main

    err, out = io.StringIO(), io.StringIO()
    old_argv = sys.argv
    sys.argv = ["cspm", *args]
    code = 0
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = old_argv
    return code, err.getvalue()


def check_cli(args: list[str]) -> str | None:
    """None when the CLI exited 0, or 2 with one paragraph on stderr and no traceback."""
    try:
        code, err = run_cli(args)
    except Exception as exc:  # noqa: BLE001 - what the fuzzer hunts
        return f"cspm {' '.join(args)}: {type(exc).__name__}: {exc}"
    if code == 0:
        return None
    if code != 2:
        return f"cspm {' '.join(args)}: exit {code}: {err[-300:]!r}"
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if "Traceback" in err or len(lines) != 1 or not lines[0].startswith("error:"):
        return f"cspm {' '.join(args)}: exit 2 but not one paragraph: {err[:300]!r}"
    return None


def test_fuzz_inputs_give_cspm_errors_or_balanced_logs(tmp_path: Path) -> None:
    problems: list[str] = []
    cli_runs = 0
    base_rss = _rss_bytes()
    for i, case in enumerate(fuzzing.inputs(seed=16, n=N_READ)):
        path = tmp_path / case.name
        path.write_bytes(case.data)
        with _hang_guard(f"reading {case.name} ({case.how})"):
            problem = fuzzing.check_read(path)
        if problem:
            problems.append(f"{case.name} ({case.how}): {problem}")
        if i % CLI_EVERY == 0:
            out = tmp_path / f"out{i}"
            for args in (["validate", str(path)], ["discover", str(path), "--out", str(out), "--no-diagnosis"]):
                with _hang_guard(f"cspm {args[0]} {case.name} ({case.how})"):
                    problem = check_cli(args)
                cli_runs += 1
                if problem:
                    problems.append(f"{case.name} ({case.how}): {problem}")
        path.unlink()
    assert not problems, f"{len(problems)} of {N_READ} inputs failed:\n" + "\n".join(problems[:20])
    assert cli_runs == 2 * len(range(0, N_READ, CLI_EVERY))
    assert _peak_bytes() - base_rss < PEAK_BYTES, "the inputs drove the process's peak RSS up by more than 1 GB"


def test_fuzz_inputs_are_reproducible() -> None:
    first = [(c.name, c.data) for c in fuzzing.inputs(seed=16, n=50)]
    again = [(c.name, c.data) for c in fuzzing.inputs(seed=16, n=50)]
    assert first == again
    kinds = {c.how.split(" ")[0] for c in fuzzing.inputs(seed=16, n=2_000)}
    assert len(kinds) >= 25, kinds  # the mutations are all exercised


_cell = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=60, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(rows=st.lists(st.tuples(_cell, _cell, _cell, _cell), min_size=1, max_size=6),
       header=st.sampled_from([("case", "activity", "timestamp", "note"), ("ticket", "status", "time", "__row")]))  # fmt: skip
def test_hypothesis_tables_of_arbitrary_text(tmp_path: Path, rows: list[tuple[str, ...]], header: tuple[str, ...]) -> None:
    """Any cell text (quotes, delimiters, newlines, NULs, any script) in a well-quoted CSV: a cspm
    error or a balanced log."""
    import csv

    path = tmp_path / "generated.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for case, act, ts, note in rows:
            writer.writerow([case, act, ts if len(ts) % 3 else "2024-01-01 08:00", note])
    with _hang_guard("a generated table"):
        assert fuzzing.check_read(path) is None


@pytest.mark.parametrize("name", sorted(fuzzing.seeds()))
def test_seed_logs_read_cleanly(tmp_path: Path, name: str) -> None:
    """The unmutated seeds are good logs: read with nothing rejected (so mutations are what fails)."""
    import cspm

    path = tmp_path / name
    path.write_bytes(fuzzing.seeds()[name])
    log = cspm.read(path)
    assert log.quality.rows_rejected == 0
    assert log.quality.rows_read == log.quality.rows_kept > 0
