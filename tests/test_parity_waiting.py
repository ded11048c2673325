"""Engine parity: business time, waiting analysis, value stream and KPIs agree on DuckDB and Spark."""

from __future__ import annotations

import pandas as pd
import pytest

from cspm.analysis.intervals import step_intervals
from cspm.analysis.kpis import kpis
from cspm.analysis.value_stream import value_stream
from cspm.analysis.waiting import waiting
from cspm.config import config_from_dict
from cspm.core.calendar import BusinessCalendar

pytestmark = pytest.mark.spark

CFG = config_from_dict({
    "calendar": {"timezone": "Europe/Rome", "working_hours": {"mon-fri": ["08:30-12:30", "13:30-17:30"]},
                 "country": "IT", "teams": {"Value 2": {"timezone": "Europe/Rome",
                                                         "working_hours": {"mon-sat": "07:00-19:00"}}}},
    "value_classes": {"sla_pause": ["Wait"]},
    "targets": {
        "steps": [
            {"step": "Take in charge ticket", "max_wait": "8h", "attainment": "85%", "clock": "business"},
            {"step": "Wait", "max_time_in_status": "1d", "clock": "business"},
        ],
        "milestones": [{"name": "resolution", "start": "case start", "end": "Resolve ticket", "within": "5d",
                        "clock": "business", "attainment": 0.9}],
        "lead_time": [{"within": "30d", "clock": "business"}],
    },
})  # fmt: skip


def _same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    a = a.sort_values(keys).reset_index(drop=True)
    b = b.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=False, rtol=1e-9)


def test_waiting_parity(helpdesk_log, helpdesk_spark):
    d = waiting(helpdesk_log, CFG)
    s = waiting(helpdesk_spark, CFG)
    _same(d.steps, s.steps, ["clock", "step"])
    _same(d.edges, s.edges, ["clock", "edge_from", "edge_to"])
    _same(d.targets, s.targets, ["name"])
    assert d.ranking["name"].tolist() == s.ranking["name"].tolist()
    assert d.breaching_edges() == s.breaching_edges()
    cols = ["case_id", "source_row", "wait_s", "wait_bs", "before_bs", "after_bs", "paused"]
    _same(d.intervals.select(*cols).to_pandas(), s.intervals.select(*cols).to_pandas(), ["case_id", "source_row"])


def test_status_semantics_intervals_parity(helpdesk_log, helpdesk_spark):
    cal = BusinessCalendar(CFG.calendar)
    cols = ["case_id", "source_row", "edge_from", "edge_to", "wait_s", "wait_bs", "before_bs", "paused"]
    d, s = (step_intervals(log, "status", cal, ["Wait"]).select(*cols).to_pandas()
            for log in (helpdesk_log, helpdesk_spark))  # fmt: skip
    _same(d, s, ["case_id", "source_row"])
    assert d["wait_bs"].notna().sum() == 21348 - 4580  # every status but the last of each case


def test_value_stream_and_kpis_parity(helpdesk_log, helpdesk_spark):
    d = value_stream(helpdesk_log, CFG, clock="business")
    s = value_stream(helpdesk_spark, CFG, clock="business")
    for key in ("cases", "total_lead_h", "median_lead_h", "median_value_adding_h", "flow_efficiency"):
        assert d.overall[key] == pytest.approx(s.overall[key], rel=1e-9)
    assert d.overall["hours"] == pytest.approx(s.overall["hours"], rel=1e-9)
    _same(d.main_path, s.main_path, ["step"])
    kd, ks = kpis(helpdesk_log, CFG), kpis(helpdesk_spark, CFG)
    assert kd.figures.keys() == ks.figures.keys()
    for key, value in kd.figures.items():
        assert (value is None and ks.figures[key] is None) or value == pytest.approx(ks.figures[key], rel=1e-9), key
    _same(kd.step_curve, ks.step_curve, ["steps"])
    pd.testing.assert_frame_equal(kd.arrivals_heatmap, ks.arrivals_heatmap, check_dtype=False)
    pd.testing.assert_frame_equal(kd.wait_heatmap, ks.wait_heatmap, check_dtype=False)
