"""Waiting analysis on the simulator's configured bottleneck and on the real Helpdesk log."""

from __future__ import annotations

import pandas as pd
import pytest

import cspm
from cspm.analysis.waiting import waiting
from cspm.config import config_from_dict

STEP_TARGETS = [
    {"step": "Assign L2", "max_wait": "1h", "attainment": "85%", "clock": "business"},
    {"step": "First response", "max_wait": "1h", "attainment": "85%", "clock": "business"},
    {"step": "Investigate", "max_wait": "4h", "attainment": "85%", "clock": "business"},
    {"step": "Resolve ticket", "max_wait": "4h", "attainment": "85%", "clock": "business"},
    {"step": "Close ticket", "max_wait": "4h", "attainment": "85%", "clock": "business"},
    {"step": "Approve", "max_wait": "4h", "attainment": "85%", "clock": "business"},
]


@pytest.fixture(scope="module")
def simulated():
    from cspm.simulate import SimulationSettings, simulate

    df, truth = simulate(SimulationSettings(n_tickets=1500, seed=11, bottleneck_median_hours=5.0))
    return cspm.read(df, case_id="ticket_id"), truth


def test_simulated_bottleneck_ranks_first_and_median_matches_truth(simulated):
    log, truth = simulated
    b = truth.summary["bottleneck"]
    cfg = config_from_dict({
        "calendar": truth.summary["calendar"],
        "targets": {"steps": STEP_TARGETS},
        "value_classes": {"sla_pause": ["Pending customer"]},
    })  # fmt: skip
    w = waiting(log, cfg)
    assert w.ranking.iloc[0]["step"] == b["activity"] == "Assign L2"
    assert w.breaching_steps()[0] == "Assign L2"
    assert (b["from_activity"], b["activity"]) in w.breaching_edges()
    median = w.step_table("business").set_index("step").loc["Assign L2", "median_h"]
    assert median == pytest.approx(b["true_median_hours"], rel=0.05)
    # the engine reproduces the simulator's own measurement of the same waits exactly
    assert median == pytest.approx(b["observed_median_business_hours"], abs=1e-6)
    cal_median = w.step_table("calendar").set_index("step").loc["Assign L2", "median_h"]
    assert cal_median == pytest.approx(b["observed_median_calendar_hours"], abs=1e-6)
    assert w.step_table("business").set_index("step").loc["Assign L2", "n"] == b["n_waits"]


def test_helpdesk_time_in_status_equals_pandas(helpdesk_log):
    w = waiting(helpdesk_log, config_from_dict({"time_semantics": "status"}))
    got = w.step_table("calendar").set_index("step")
    ev = helpdesk_log.events.select("case_id", "activity", "timestamp", "source_row").to_pandas()
    ev = ev.sort_values(["case_id", "timestamp", "source_row"])
    nxt = ev.groupby("case_id")["timestamp"].shift(-1)
    ev["in_status"] = (nxt - ev["timestamp"]).dt.total_seconds()
    expected = ev.dropna(subset=["in_status"]).groupby("activity")["in_status"].agg(["sum", "count", "median"])
    assert w.sla_pause == []  # no Helpdesk activity is an SLA-clock-stop state by name
    for step, row in expected.iterrows():
        assert got.loc[step, "total_h"] * 3600 == pytest.approx(row["sum"], rel=1e-12), step
        assert got.loc[step, "n"] == row["count"], step
        assert got.loc[step, "median_h"] * 3600 == pytest.approx(row["median"], rel=1e-12), step
    assert set(got.index[got["n"] > 0]) == set(expected.index)
    total = float(got["total_h"].sum() * 3600)
    assert total == pytest.approx(float(expected["sum"].sum()), rel=1e-12)
    assert isinstance(w.step_table("business"), pd.DataFrame)
