"""Engine parity of the service-desk KPIs, the trends (weekly figures, segments, KPIs and waiting
targets by segment, workload), the finding examples and pseudonymisation: the same figures on
DuckDB and on Spark, on a tiny simulated log (40 tickets)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cspm
from cspm.analysis.service_desk import service_desk
from cspm.analysis.trends import trends
from cspm.ingest.pseudonymise import pseudonymise

pytestmark = pytest.mark.spark
ROOT = Path(__file__).resolve().parents[1]
KEY = "a-secret-key-of-the-project-0001"


@pytest.fixture(scope="module")
def logs(spark) -> tuple[cspm.TicketLog, cspm.TicketLog]:
    from cspm.core.engine import to_spark
    from cspm.simulate import simulate

    df, _truth = simulate(n_tickets=40, seed=11)
    log = cspm.read(df)
    return log, to_spark(log, spark)


@pytest.fixture(scope="module")
def cfg():
    return cspm.load_config(ROOT / "sample_logs" / "cspm.example.yaml")


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)


def test_service_desk_kpis_are_the_same_on_spark(logs, cfg):
    d, s = (service_desk(x, cfg) for x in logs)
    assert logs[1].engine == "pyspark"
    assert d.summary() == s.summary()
    assert d.summary()["figures"]["tickets"] == 40


def test_trends_and_segment_split_are_the_same_on_spark(logs, cfg):
    d, s = (trends(x, cfg, segment_top=2) for x in logs)
    _same(d.weekly, s.weekly)
    assert d.segments.keys() == s.segments.keys() and len(d.segments) >= 2
    for col in d.segments:
        _same(d.segments[col], s.segments[col])
    for col in d.workload:
        _same(d.workload[col], s.workload[col])
    _same(d.segment_kpis, s.segment_kpis)
    _same(d.segment_targets, s.segment_targets)
    assert len(d.segment_targets) > 10
    _same(d.slowest, s.slowest)
    assert list(d.lead_times_h) == pytest.approx(list(s.lead_times_h))  # in ticket order on both engines


def test_finding_examples_are_the_same_on_spark(logs, cfg):
    d, s = (cspm.waiting(x, cfg) for x in logs)
    assert d.targets["examples"].tolist() == s.targets["examples"].tolist()
    assert d.targets["examples"].map(len).sum() > 0
    d, s = (cspm.kpis(x, cfg) for x in logs)
    assert d.examples == s.examples and d.examples
    d, s = (cspm.handoffs(x, cfg) for x in logs)
    assert d.summary()["examples"] == s.summary()["examples"]
    _same(d.ping_pong.pairs(), s.ping_pong.pairs())


def test_pseudonymisation_is_the_same_on_spark(logs):
    d, s = (pseudonymise(x, "agent,team", key=KEY, keep=["channel", "priority", "category"]) for x in logs)
    cols = ["case_id", "source_row", "agent", "team"]
    a = d.events.select(*cols).to_pandas().sort_values("source_row")
    b = s.events.select(*cols).to_pandas().sort_values("source_row")
    _same(a, b)
    original = set(logs[0].events.select("agent").distinct().to_pandas()["agent"].dropna())
    assert original and not original & set(b["agent"].dropna())
    assert b["agent"].dropna().str.startswith("agent-").all()
