"""Durations are exact to the millisecond in every analysis (one epoch conversion for the code base).

The hand-made log (UTC, Monday 1 January 2024; team / agent per event):

x  a T1/u1 00:00:00.000 · b T2/u2 00:00:01.500
   lead time 1.5 s; a → b wait 1.5 s; one handoff T1 → T2 waiting 1.5 s.
y  a T1/u1 00:00:00.000 · b T2/u2 00:00:01.250 · b T2/u3 00:00:02.000 · a T1/u1 00:00:02.750
   lead time 2.75 s; handoffs T1 → T2 (0 → 1.25 s) and T2 → T1 (2.0 → 2.75 s): waits 1.25 s, 0.75 s;
   a direct ping-pong T1 → T2 → T1, away from 0.000 to 2.750 = 2.75 s; rework: the self-loop
   b, b (0.75 s) and the repetition of a (0.75 s) = 1.5 s.

Float64 epoch seconds resolve 2.4e-7 s around 2024, hence ``abs=1e-6`` for fractions that are not
binary (0.001 s); 1.5 s, 1.25 s, 0.75 s are exact in binary and compared exactly.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

import cspm
from cspm.analysis.conformance.rules import check_rules
from cspm.analysis.handoffs.handoffs import handoffs
from cspm.analysis.handoffs.pingpong import ping_pong
from cspm.analysis.handoffs.rework import rework
from cspm.config import Calendar, config_from_dict
from cspm.core.calendar import BusinessCalendar

ROWS = [
    ("x", "a", "2024-01-01 00:00:00.000", "T1", "u1"),
    ("x", "b", "2024-01-01 00:00:01.500", "T2", "u2"),
    ("y", "a", "2024-01-01 00:00:00.000", "T1", "u1"),
    ("y", "b", "2024-01-01 00:00:01.250", "T2", "u2"),
    ("y", "b", "2024-01-01 00:00:02.000", "T2", "u3"),
    ("y", "a", "2024-01-01 00:00:02.750", "T1", "u1"),
]


@pytest.fixture(scope="module")
def log() -> cspm.TicketLog:
    df = pd.DataFrame(ROWS, columns=["ticket", "step", "time", "team", "agent"])
    return cspm.read(df, case_id="ticket", activity="step", timestamp="time", team="team", agent="agent")


def _by_case(df: pd.DataFrame, col: str) -> dict[str, float]:
    return {str(k): float(v) for k, v in zip(df["case_id"], df[col], strict=True)}


def test_epoch_seconds_keeps_the_milliseconds_once(log):
    from cspm.core.expr import epoch_seconds

    t = log.events.order_by(["case_id", "source_row"])
    got = t.select(s=epoch_seconds(t.timestamp)).to_pandas()["s"].tolist()
    base = 1704067200.0  # 2024-01-01 00:00:00 UTC
    assert got == [base, base + 1.5, base, base + 1.25, base + 2.0, base + 2.75]


def test_handoff_waits_and_lead_times(log):
    h = handoffs(log, "team")
    assert _by_case(h.per_case, "handoff_wait_s") == {"x": 1.5, "y": 1.25 + 0.75}
    assert _by_case(h.per_case, "lead_time_s") == {"x": 1.5, "y": 2.75}
    edges = {(r.from_unit, r.to_unit): (r.handoffs, r.median_wait_s, r.total_wait_s) for r in h.edges.itertuples()}
    # T1 → T2: x 1.5 s, y 1.25 s (median 1.375 s); T2 → T1: y 0.75 s
    assert edges == {("T1", "T2"): (2, 1.375, 2.75), ("T2", "T1"): (1, 0.75, 0.75)}
    assert h.overall_median_wait_s == 1.25


def test_ping_pong_away_time(log):
    pp = ping_pong(log, "team")
    assert pp.tickets("direct") == {"y"}
    assert _by_case(pp.per_case, "away_s") == {"x": 0.0, "y": 2.75}


def test_rework_time(log):
    rw = rework(log)
    assert _by_case(rw.per_case, "rework_s") == {"x": 0.0, "y": 1.5}


def test_within_rule_delay():
    cfg = config_from_dict({"rules": [{"rule": "within", "activity": "b", "after": "a", "within": "1s"}]})
    df = pd.DataFrame(ROWS, columns=["ticket", "step", "time", "team", "agent"])
    log = cspm.read(df, case_id="ticket", activity="step", timestamp="time")
    res = check_rules(log, cfg.rules)
    # first b after the first a: x 1.5 s, y 1.25 s, both over 1 s
    assert _by_case(res.violations, "detail") == {"x": 1.5, "y": 1.25}


def test_business_seconds_scalar_keeps_milliseconds():
    cal = BusinessCalendar(Calendar(working_hours={"mon-fri": "08:00-18:00"}))
    utc = ZoneInfo("UTC")
    a = datetime(2024, 1, 1, 9, 0, 0, tzinfo=utc)
    b = datetime(2024, 1, 1, 9, 0, 1, 500_000, tzinfo=utc)
    assert cal.business_seconds(a, b) == 1.5
    # sub-millisecond digits are dropped, as on the engine: 1.5004 s → 1.5 s
    assert cal.business_seconds(a, b.replace(microsecond=500_400)) == 1.5
