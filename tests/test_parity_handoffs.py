"""Engine parity for handoffs, ping-pong, rework, approval loops, process loops and redundancy:
the same Ibis expressions give identical tables on DuckDB and on Spark."""

from __future__ import annotations

import pandas as pd
import pytest

import cspm
from cspm.analysis.handoffs.handoffs import handoffs
from cspm.analysis.handoffs.pingpong import ping_pong
from cspm.analysis.handoffs.redundancy import redundancy
from cspm.analysis.handoffs.rework import approval_loops, process_loops, rework

pytestmark = pytest.mark.spark


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a = a.reset_index(drop=True)
    b = b.reset_index(drop=True)
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_helpdesk_agent_level_parity(helpdesk_log, helpdesk_spark):
    assert helpdesk_spark.engine == "pyspark"
    d, s = handoffs(helpdesk_log, "agent"), handoffs(helpdesk_spark, "agent")
    _same(d.per_case, s.per_case)
    _same(d.edges, s.edges)
    assert d.overall_median_wait_s == s.overall_median_wait_s
    d, s = ping_pong(helpdesk_log, "agent"), ping_pong(helpdesk_spark, "agent")
    _same(d.returns, s.returns)
    _same(d.per_case, s.per_case)
    assert len(d.returns) > 100
    d, s = rework(helpdesk_log), rework(helpdesk_spark)
    _same(d.per_case, s.per_case)
    _same(d.per_activity, s.per_activity)
    _same(d.referral, s.referral)
    assert d.summary()["redos"] > 0
    _same(process_loops(helpdesk_log).cycles, process_loops(helpdesk_spark).cycles)
    _same(redundancy(helpdesk_log, level="agent").per_case, redundancy(helpdesk_spark, level="agent").per_case)


def test_simulated_approvals_and_missing_values_parity(spark):
    from cspm.core.engine import to_spark
    from cspm.simulate import simulate

    df, _ = simulate(n_tickets=300, seed=3, direct_ping_pong=0.2, indirect_ping_pong=0.1)
    df.loc[df.index % 17 == 0, "team"] = None  # missing team values, breaking visits
    log = cspm.read(df)
    sp = to_spark(log, spark)
    _same(approval_loops(log).per_case, approval_loops(sp).per_case)
    assert approval_loops(log).ticket_ids(2)
    _same(handoffs(log, missing="break").per_case, handoffs(sp, missing="break").per_case)
    _same(ping_pong(log, missing="break").returns, ping_pong(sp, missing="break").returns)
    _same(redundancy(log, missing="break").per_case, redundancy(sp, missing="break").per_case)


def test_a_repetition_after_an_unassigned_first_occurrence_is_neither_repeat_nor_redo(spark):
    """The original agent is the first occurrence's, null or not, on both engines (Ibis's ``first()``
    over a window skips nulls on Spark but not on DuckDB): T1 does A unassigned, then B and A again
    by x — a repetition whose original agent is unknown."""
    from cspm.core.engine import to_spark

    rows = [("T1", "A", None, "2024-01-01 09:00"), ("T1", "B", "x", "2024-01-01 10:00"),
            ("T1", "A", "x", "2024-01-01 11:00"), ("T2", "A", "y", "2024-01-02 09:00"),
            ("T2", "B", "y", "2024-01-02 10:00"), ("T2", "A", "z", "2024-01-02 11:00")]  # fmt: skip
    df = pd.DataFrame(rows, columns=["case", "activity", "agent", "ts"])
    log = cspm.read(df, case_id="case", activity="activity", timestamp="ts", agent="agent")
    d, s = rework(log, not_counted=[]), rework(to_spark(log, spark), not_counted=[])
    got = d.per_case.set_index("case_id")[["repetitions", "repeats", "redos"]].to_dict("index")
    assert got == {"T1": {"repetitions": 1, "repeats": 0, "redos": 0},
                   "T2": {"repetitions": 1, "repeats": 0, "redos": 1}}  # fmt: skip
    _same(d.per_case, s.per_case)
