"""Lifecycle transitions (IEEE 1849 standard lifecycle): every row kept, instances paired or kept.

Issue 9, defect 3: schedule/assign/suspend/withdraw/… rows used to be rejected as bad data.
The hand-made log below has every standard transition; its instances are worked out by hand.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cspm
from cspm.cli import app
from cspm.errors import InputError

# (case, activity, transition, time, resource); day 1 is 2024-01-01, day 2 is 2024-01-02 (UTC)
ROWS = [
    ("c1", "Review", "schedule", "1 09:00", "sys"),
    ("c1", "Review", "assign", "1 09:10", "lead"),
    ("c1", "Review", "start", "1 09:30", "ann"),
    ("c1", "Review", "suspend", "1 09:40", "ann"),
    ("c1", "Review", "resume", "1 10:00", "ann"),
    ("c1", "Review", "complete", "1 10:30", "ann"),
    ("c1", "Approve", "schedule", "1 10:40", "sys"),
    ("c1", "Approve", "withdraw", "1 11:00", "lead"),
    ("c1", "Check", "schedule", "1 10:45", "sys"),
    ("c1", "Check", "autoskip", "1 10:50", "sys"),
    ("c1", "Notify", "assign", "1 11:00", "lead"),
    ("c1", "Notify", "manualskip", "1 11:05", "bob"),
    ("c1", "Fix", "start", "1 11:10", "bob"),
    ("c1", "Fix", "ate_abort", "1 11:40", "bob"),
    ("c1", "Fix", "reassign", "1 11:45", "lead"),
    ("c1", "Fix", "start", "1 12:00", "cid"),
    ("c1", "Fix", "complete", "1 12:30", "cid"),
    ("c1", "Archive", "schedule", "1 12:40", "sys"),  # never started: must not disappear
    ("c2", "Review", "start", "2 09:00", "ann"),
    ("c2", "Review", "complete", "2 09:20", "ann"),
    ("c2", "Close", "complete", "2 09:30", "ann"),
    ("c2", "Escalate", "start", "2 09:40", "bob"),
    ("c2", "Escalate", "pi_abort", "2 09:50", "bob"),
]


def _iso(t: str) -> str:
    day, hm = t.split()
    return f"2024-01-0{day}T{hm}:00+00:00"


def write_csv(path: Path) -> Path:
    lines = ["case,activity,lifecycle:transition,time,resource"]
    lines += [f"{c},{a},{t},{_iso(ts)},{r}" for c, a, t, ts, r in ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_xes(path: Path, classifier: str | None = None) -> Path:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<log xes.version="2.0" xmlns="http://www.xes-standard.org/">']
    if classifier:
        out.append(f'  <classifier name="Activity classifier" keys="{classifier}"/>')
    for case in ("c1", "c2"):
        out.append(f'  <trace><string key="concept:name" value="{case}"/>')
        for c, a, t, ts, r in ROWS:
            if c == case:
                out.append(
                    f'    <event><string key="concept:name" value="{a}"/><string key="lifecycle:transition" value="{t}"/>'
                    f'<date key="time:timestamp" value="{_iso(ts)}"/><string key="org:resource" value="{r}"/></event>'
                )
        out.append("  </trace>")
    out.append("</log>")
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def ts(t: str | None) -> pd.Timestamp:
    return pd.Timestamp(_iso(t)) if t else pd.NaT


# The instances, worked out by hand (ordered by case, time): activity, end, start, schedule, suspended s,
# resource, closing transition.
INSTANCES = [
    ("c1", "Review", "1 10:30", "1 09:30", "1 09:00", 1200.0, "ann", "complete"),
    ("c1", "Check", "1 10:50", None, "1 10:45", None, "sys", "autoskip"),
    ("c1", "Approve", "1 11:00", None, "1 10:40", None, "lead", "withdraw"),
    ("c1", "Notify", "1 11:05", None, "1 11:00", None, "bob", "manualskip"),
    ("c1", "Fix", "1 11:40", "1 11:10", None, 0.0, "bob", "ate_abort"),
    ("c1", "Fix", "1 12:30", "1 12:00", "1 11:45", 0.0, "cid", "complete"),
    ("c1", "Archive", "1 12:40", None, "1 12:40", None, "sys", "schedule"),
    ("c2", "Review", "2 09:20", "2 09:00", None, 0.0, "ann", "complete"),
    ("c2", "Close", "2 09:30", None, None, None, "ann", "complete"),
    ("c2", "Escalate", "2 09:50", "2 09:40", None, 0.0, "bob", "pi_abort"),
]
TRANSITIONS = {
    "schedule": 4, "assign": 2, "reassign": 1, "start": 5, "suspend": 1, "resume": 1, "autoskip": 1,
    "manualskip": 1, "withdraw": 1, "ate_abort": 1, "pi_abort": 1, "complete": 4,
}  # fmt: skip


@pytest.fixture(params=["csv", "xes"])
def standard_log(request, tmp_path) -> Path:
    return write_csv(tmp_path / "lc.csv") if request.param == "csv" else write_xes(tmp_path / "lc.xes")


def test_every_standard_transition_is_kept_and_paired(standard_log):
    log = cspm.read(standard_log)
    q = log.quality
    assert (q.rows_read, q.rows_kept, q.rows_rejected) == (23, 23, 0)
    assert q.rejected_by_reason == {}
    assert (q.events, q.cases, q.activities) == (10, 2, 8)
    df = log.to_pandas()
    lc = log.roles.lifecycle
    cols = ["case_id", "activity", "timestamp", "start_timestamp", "schedule_timestamp", "suspended_seconds", "agent", lc]
    got = [(*row[:5], None if pd.isna(row[5]) else row[5], *row[6:]) for row in df[cols].itertuples(index=False)]
    expected = [(c, a, ts(e), ts(s), ts(o), sus, res, end) for c, a, e, s, o, sus, res, end in INSTANCES]
    assert got == expected
    # queue time = start − schedule/assign; work time = end − start − suspended
    started = df[df["start_timestamp"].notna()]
    queue = (started["start_timestamp"] - started["schedule_timestamp"]).dt.total_seconds()
    work = (started["timestamp"] - started["start_timestamp"]).dt.total_seconds() - started["suspended_seconds"]
    assert queue.fillna(-1).tolist() == [1800.0, -1, 900.0, -1, -1]  # Review c1 30 min, Fix #2 15 min
    assert work.tolist() == [2400.0, 1800.0, 1800.0, 1200.0, 600.0]  # Review c1: 60 min − 20 min suspended
    assert q.lifecycle == {
        "column": lc,
        "mode": "pair",
        "transitions": TRANSITIONS,
        "paired": True,
        "activity_instances": 10,
        "start_to_end": 5,
        "start_without_end": 0,
        "with_queue": 5,
        "queue_without_start": 1,
        "end_without_start": 1,
        "assign_folded_into_queue": 1,
        "suspended_instances": 1,
        "suspensions": 1,
        "suspended_seconds": 1200.0,
        "suspend_resume_outside_instances": 0,
        "ended_by": {
            "complete": 4, "ate_abort": 1, "autoskip": 1, "manualskip": 1, "pi_abort": 1,
            "schedule (never started)": 1, "withdraw": 1,
        },
    }  # fmt: skip
    lc_rows = [r for r in q.figures() if r[0].startswith(("lifecycle", "  "))]
    assert lc_rows == [
        (f"lifecycle ({lc})", "paired into activity instances"),
        *[(f"  transition: {t}", str(n)) for t, n in TRANSITIONS.items()],
        ("  activity instances", "10"),
        ("  with start and end (work time)", "5"),
        ("  with a schedule/assign row (queue start)", "5"),
        ("  suspended (time between suspend and resume)", "1"),
        ("  ended by: complete", "4"),
        ("  ended by: ate_abort", "1"),
        ("  ended by: autoskip", "1"),
        ("  ended by: manualskip", "1"),
        ("  ended by: pi_abort", "1"),
        ("  ended by: schedule (never started)", "1"),
        ("  ended by: withdraw", "1"),
    ]
    assert q.warnings == [
        "1 activity instances were scheduled/assigned but never started, withdrawn or completed; they are kept "
        "as events at their schedule/assign time.",
        "1 activity instances were suspended (20 min in total, column suspended_seconds): their work time is "
        "timestamp − start_timestamp − suspended_seconds.",
    ]
    assert "paired into activity instances" in q._repr_html_()
    rows_kept = dict(q.figures())["rows kept"]
    assert dict(q.figures())["events vs rows kept"] == (
        f"the {rows_kept} rows kept are 10 events: the lifecycle rows of one activity instance (start, complete, …) "
        "make one event")  # fmt: skip


def test_keep_mode_every_row_is_an_event(standard_log):
    log = cspm.read(standard_log, pair_lifecycle=False)
    q = log.quality
    assert (q.rows_read, q.rows_kept, q.rows_rejected, q.events, q.activities) == (23, 23, 0, 23, 20)
    assert not log.has_start
    df = log.to_pandas()
    assert df["activity"].tolist()[:6] == [
        "Review + schedule", "Review + assign", "Review + start", "Review + suspend", "Review + resume", "Review + complete",
    ]  # fmt: skip
    assert q.lifecycle["mode"] == "keep" and q.lifecycle["transitions"] == TRANSITIONS
    assert q.figures()[4][1].startswith(f"{log.roles.activity[0]} + {log.roles.lifecycle} (")


def test_config_pair_lifecycle_false_keeps(tmp_path):
    path = write_csv(tmp_path / "lc.csv")
    cfg_path = tmp_path / "cspm.yaml"
    cfg_path.write_text("columns:\n  pair_lifecycle: false\n")
    cfg = cspm.load_config(cfg_path)
    assert cspm.read(path, config=cfg).quality.events == 23
    # the argument wins over the config
    assert cspm.read(path, config=cfg, pair_lifecycle=True).quality.events == 10
    result = CliRunner().invoke(app, ["validate", str(path), "--config", str(cfg_path), "--format", "json"])
    assert json.loads(result.stdout)["events"] == 23


def test_cli_validate_strict_passes_on_a_valid_lifecycle_log(tmp_path):
    path = write_xes(tmp_path / "lc.xes")
    runner = CliRunner()
    result = runner.invoke(app, ["validate", str(path), "--strict"])
    assert result.exit_code == 0, result.output
    assert "paired into activity instances" in result.output
    assert "transition: withdraw" in result.output
    result = runner.invoke(app, ["validate", str(path), "--strict", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["rows_read"], data["rows_kept"], data["rows_rejected"], data["events"]) == (23, 23, 0, 10)
    assert data["lifecycle"]["transitions"] == TRANSITIONS
    keep = runner.invoke(app, ["validate", str(path), "--lifecycle", "keep", "--format", "json"])
    assert keep.exit_code == 0, keep.output
    assert (json.loads(keep.stdout)["events"], json.loads(keep.stdout)["activities"]) == (23, 20)


def test_lifecycle_switch_on_every_reading_command():
    """--lifecycle comes with the shared reading options (the @reads_log decorator)."""
    from cspm.cli._app import _READ_OPTIONS

    assert "lifecycle" in _READ_OPTIONS
    for command in ("validate", "discover", "handoffs", "bottlenecks", "conformance"):
        result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert "--lifecycle" in result.output, command


def test_pairing_edge_cases():
    """Overlapping instances (first in, first out), a complete before any start, unresumed and lone
    suspensions, a transition outside the standard and an empty transition."""
    rows = [
        ("o", "A", "start", "09:00"), ("o", "A", "start", "09:10"), ("o", "A", "complete", "09:20"), ("o", "A", "complete", "09:40"),
        ("p", "A", "complete", "09:00"), ("p", "A", "start", "09:10"), ("p", "A", "complete", "09:30"),
        ("r", "N", "suspend", "09:00"), ("r", "N", "resume", "09:05"), ("r", "N", "complete", "09:10"),
        ("s", "B", "schedule", "09:00"), ("s", "B", "schedule", "09:01"), ("s", "B", "start", "09:02"),
        ("s", "B", "start", "09:03"), ("s", "B", "complete", "09:04"), ("s", "B", "complete", "09:05"),
        ("u", "A", "start", "09:00"), ("u", "A", "suspend", "09:10"), ("u", "A", "complete", "09:30"), ("u", "A", "resume", "09:40"),
        ("v", "A", "START", "09:00"), ("v", "A", "foo", "09:10"), ("v", "A", None, "09:20"),
    ]  # fmt: skip
    df = pd.DataFrame(rows, columns=["case", "activity", "lifecycle", "time"])
    df["time"] = "2024-01-01 " + df["time"]
    log = cspm.read(df, timezone="UTC")
    q = log.quality
    assert (q.rows_read, q.rows_kept, q.rows_rejected, q.events) == (23, 23, 0, 12)
    out = log.to_pandas()

    def hm(x: pd.Series) -> list[str | None]:
        return [None if pd.isna(v) else f"{v:%H:%M}" for v in x]

    assert out["case_id"].tolist() == ["o", "o", "p", "p", "r", "r", "r", "s", "s", "u", "v", "v"]
    assert hm(out["start_timestamp"]) == ["09:00", "09:10", None, "09:10", None, None, None, "09:02", "09:03", "09:00", None, "09:00"]
    assert hm(out["timestamp"]) == ["09:20", "09:40", "09:00", "09:30", "09:00", "09:05", "09:10", "09:04", "09:05", "09:30", "09:10", "09:20"]
    assert hm(out["schedule_timestamp"]) == [None] * 7 + ["09:00", "09:01"] + [None] * 3
    # the suspension of u is not resumed before the end: it lasts until the complete (20 min)
    assert out["suspended_seconds"].fillna(-1).tolist() == [0, 0, -1, 0, -1, -1, -1, 0, 0, 1200, -1, 0]
    # the closing row's own value, even when it is empty
    assert out["lifecycle"].iloc[-2] == "foo" and pd.isna(out["lifecycle"].iloc[-1])
    assert q.lifecycle["transitions"] == {"schedule": 2, "start": 7, "suspend": 2, "resume": 2, "complete": 8, "(empty)": 1, "foo": 1}
    assert q.warnings == [
        "column 'lifecycle' has lifecycle values outside the IEEE 1849 standard lifecycle (foo: 1); each such row "
        "is kept as an event of its own.",
        "1 activity instances were suspended (20 min in total, column suspended_seconds): their work time is "
        "timestamp − start_timestamp − suspended_seconds.",
        "2 suspend/resume rows fall outside every started activity instance; they are kept as events of their own.",
    ]


def test_only_complete_rows_need_no_pairing(tmp_path):
    text = "case,activity,lifecycle:transition,time\n1,A,complete,2024-01-01 10:00\n1,B,COMPLETE,2024-01-01 11:00\n"
    path = tmp_path / "c.csv"
    path.write_text(text)
    log = cspm.read(path, timezone="UTC")
    assert not log.has_start and not log.has_schedule
    assert log.quality.lifecycle["paired"] is False
    assert log.quality.lifecycle["transitions"] == {"complete": 2}
    assert (log.quality.events, log.quality.rows_rejected) == (2, 0)


def test_a_column_that_is_no_lifecycle_is_not_used(tmp_path):
    text = "case,activity,event type,time\n1,A,email,2024-01-01 10:00\n1,B,call,2024-01-01 11:00\n"
    path = tmp_path / "e.csv"
    path.write_text(text)
    log = cspm.read(path, timezone="UTC", pair_lifecycle=False)
    assert log.roles.lifecycle is None
    assert log.to_pandas()["activity"].tolist() == ["A", "B"]
    assert log.quality.warnings == [
        "column 'event type' was not used as the lifecycle: none of its values is a lifecycle transition"
    ]


def test_pairing_an_activity_that_includes_the_lifecycle_is_an_error(tmp_path):
    path = write_csv(tmp_path / "lc.csv")
    with pytest.raises(InputError, match=r"lc\.csv, column 'lifecycle:transition': the activity \(activity \+ "
                       r"lifecycle:transition\) includes the lifecycle column"):  # fmt: skip
        cspm.read(path, activity=["activity", "lifecycle:transition"], pair_lifecycle=True)
    proc = subprocess.run(
        [sys.executable, "-m", "cspm", "validate", str(path), "--activity", "activity", "--activity",
         "lifecycle:transition", "--lifecycle", "pair"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "includes the lifecycle column 'lifecycle:transition'" in proc.stderr
    # without --lifecycle the two --activity columns keep the lifecycle in the activity
    ok = CliRunner().invoke(
        app, ["validate", str(path), "--activity", "activity", "--activity", "lifecycle:transition", "--format", "json"]
    )
    assert ok.exit_code == 0 and json.loads(ok.stdout)["events"] == 23


def test_simulated_start_complete_xes_pairs_into_the_simulated_steps(tmp_path):
    """Ground truth: the simulator's start/complete XES pairs back into exactly its steps."""
    from cspm.simulate import SimulationSettings, simulate, write_simulated_log

    settings = SimulationSettings(n_tickets=60, seed=11, lifecycle="start_complete")
    truth, _ = simulate(settings)
    log = cspm.read(write_simulated_log(tmp_path / "sc.xes", settings).log)
    q = log.quality
    assert (q.rows_read, q.rows_kept, q.events) == (2 * len(truth), 2 * len(truth), len(truth))
    got = log.to_pandas()
    assert got["activity"].tolist() == truth["activity"].tolist()
    assert (got["start_timestamp"].values == pd.to_datetime(truth["start_timestamp"], utc=True).values).all()
    assert (got["timestamp"].values == pd.to_datetime(truth["timestamp"], utc=True).values).all()


# --- an independent implementation: the documented rules as a plain state machine ----------------
_PHASE = {"schedule": 0, "assign": 1, "reassign": 1, "start": 2, "suspend": 3, "resume": 4}
_QUEUE, _WORK_CLOSE, _QUEUE_CLOSE = {"schedule", "assign", "reassign"}, {"complete", "ate_abort", "pi_abort"}, {
    "withdraw", "autoskip", "manualskip"}  # fmt: skip


def _reference(frame: pd.DataFrame) -> list[tuple]:
    """(case, activity, end row, start time, queue time, suspended s) per instance, rows walked in order."""
    from collections import deque

    out = []
    frame = frame.assign(row=range(1, len(frame) + 1), ph=frame["t"].map(lambda t: _PHASE.get(t, 5)))
    for (case, act), g in frame.sort_values(["ts", "ph", "row"]).groupby(["case", "activity"], sort=False):
        rows = list(g.itertuples(index=False))
        opened, instances, lone = deque(), [], set()
        for r in rows:  # work: FIFO starts ↔ closes
            if r.t == "start":
                opened.append(r)
            elif r.t in _WORK_CLOSE:
                if opened:
                    instances.append({"end": r, "start": opened.popleft(), "queue": None})
                else:
                    lone.add(r.row)
        instances += [{"end": s, "start": s, "queue": None} for s in opened]
        by_start = {i["start"].row: i for i in instances}
        queues, prev_q = deque(), False
        for r in rows:  # queue: FIFO openers ↔ start / withdraw / skip / lone close
            if r.t in _QUEUE:
                if r.t == "schedule" or not prev_q:
                    queues.append(r)
                prev_q = True
                continue
            if r.t == "start" or r.t in _QUEUE_CLOSE or r.row in lone:
                prev_q = False
                opener = queues.popleft() if queues else None
                if r.t == "start":
                    by_start[r.row]["queue"] = opener
                else:
                    instances.append({"end": r, "start": None, "queue": opener})
        instances += [{"end": o, "start": None, "queue": o} for o in queues]
        instances += [{"end": r, "start": None, "queue": None} for r in rows if r.t not in _PHASE and r.t not in
                      _WORK_CLOSE | _QUEUE_CLOSE]  # fmt: skip
        susp, intervals = deque(), []
        for r in rows:  # suspensions: FIFO suspend ↔ resume
            if r.t == "suspend":
                susp.append(r)
            elif r.t == "resume" and susp:
                intervals.append((susp.popleft(), r))
            elif r.t == "resume":
                instances.append({"end": r, "start": None, "queue": None})
        intervals += [(s, None) for s in susp]
        seconds: dict[int, float] = {}
        for s, e in intervals:
            hits = sorted(
                (i for i in instances if i["start"] is not None and i["start"].ts <= s.ts <= i["end"].ts),
                key=lambda i: (i["start"].ts, i["start"].row),
            )
            if not hits:
                instances.append({"end": s, "start": None, "queue": None})
                if e is not None:
                    instances.append({"end": e, "start": None, "queue": None})
                continue
            i = hits[0]
            end = min(e.ts, i["end"].ts) if e is not None else i["end"].ts
            seconds[i["start"].row] = seconds.get(i["start"].row, 0.0) + (end - s.ts).total_seconds()
        for i in instances:
            out.append((
                case, act, i["end"].row,
                i["start"].ts if i["start"] is not None else None,
                i["queue"].ts if i["queue"] is not None else None,
                seconds.get(i["start"].row, 0.0) if i["start"] is not None else None,
            ))  # fmt: skip
    return sorted(out, key=lambda x: x[2])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pairing_matches_an_independent_state_machine(seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    transitions = ["schedule", "assign", "reassign", "start", "suspend", "resume", "autoskip", "manualskip",
                   "withdraw", "ate_abort", "pi_abort", "complete", "complete", "start", "other"]  # fmt: skip
    n = 3000
    frame = pd.DataFrame({
        "case": rng.integers(0, 150, n).astype(str),
        "activity": rng.choice(["A", "B", "C"], n),
        "t": rng.choice(transitions, n),
        "ts": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 400, n), unit="min"),  # ties
    })  # fmt: skip
    log = cspm.read(frame, case_id="case", activity="activity", lifecycle="t", timestamp="ts")
    got = log.events.order_by("source_row").to_pandas()
    has = {c: c in got.columns for c in ("start_timestamp", "schedule_timestamp", "suspended_seconds")}
    mine = [
        (r.case_id, r.activity, r.source_row,
         None if not has["start_timestamp"] or pd.isna(r.start_timestamp) else r.start_timestamp,
         None if not has["schedule_timestamp"] or pd.isna(r.schedule_timestamp) else r.schedule_timestamp,
         None if not has["suspended_seconds"] or pd.isna(r.suspended_seconds) else r.suspended_seconds)
        for r in got.itertuples(index=False)
    ]  # fmt: skip
    expected = _reference(frame)
    assert len(mine) == len(expected) == log.quality.events
    assert mine == expected
    assert log.quality.rows_kept == n and log.quality.rows_rejected == 0


def test_source_columns_named_like_internal_ones():
    """Attributes called t, e, n, p, r or __t do not disturb the pairing SQL."""
    df = pd.DataFrame({
        "case": ["1", "1", "1"], "act": ["A", "A", "B"], "lc": ["start", "complete", "schedule"],
        "ts": ["2024-01-01 10:00", "2024-01-01 11:00", "2024-01-01 12:00"],
        "e": ["x", "y", "z"], "n": [1, 2, 3], "t": ["a", "b", "c"], "p": [1, 2, 3], "r": [4, 5, 6], "__t": ["q"] * 3,
    })  # fmt: skip
    log = cspm.read(df, case_id="case", activity="act", lifecycle="lc", timestamp="ts", timezone="UTC")
    out = log.to_pandas()
    assert out[["activity", "lc", "e", "n", "t", "attr__t"]].values.tolist() == [
        ["A", "complete", "y", 2, "b", "q"], ["B", "schedule", "z", 3, "c", "q"],
    ]  # fmt: skip
    assert log.quality.lifecycle["ended_by"] == {"complete": 1, "schedule (never started)": 1}


def test_suspended_time_is_not_work_downstream(tmp_path):
    """Review in c1: start 09:30, suspended 09:40–10:00, complete 10:30 → 40 min of work, not 60."""
    log = cspm.read(write_csv(tmp_path / "lc.csv"))
    acts = cspm.discover(log).activities.table.set_index("activity")
    # Review: c1 40 min of work, c2 20 min (no suspension) → median 30 min, mean 30 min
    assert acts.loc["Review", "duration_median"] == pytest.approx(30 * 60)
    iv = cspm.analyse_waiting(log, time_semantics="start_complete").intervals.to_pandas()
    review = iv[iv.activity == "Review"].set_index("case_id")
    assert review.loc["c1", "proc_s"] == pytest.approx(40 * 60)
    assert review.loc["c2", "proc_s"] == pytest.approx(20 * 60)
    # the default calendar is all day, every day: business processing equals calendar processing
    assert review.loc["c1", "proc_bs"] == pytest.approx(40 * 60)
