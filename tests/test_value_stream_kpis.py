"""Value stream and service KPIs on a tiny hand-computed log (UTC, Mon–Fri 08:00–18:00)."""

from __future__ import annotations

import pandas as pd
import pytest

import cspm
from cspm.analysis.kpis import kpis
from cspm.analysis.value_stream import classify, value_stream
from cspm.config import config_from_dict

ROWS = [
    # case, activity, time (2024-03-04 is a Monday), team, customer
    ("A", "Ticket created", "2024-03-04 09:00", "SD", "C1"),
    ("A", "First response", "2024-03-04 09:30", "SD", "C1"),
    ("A", "Resolve ticket", "2024-03-04 11:00", "SD", "C1"),
    ("A", "Close ticket", "2024-03-04 12:00", "SD", "C1"),
    ("B", "Ticket created", "2024-03-04 13:00", "SD", "C1"),
    ("B", "First response", "2024-03-04 15:00", "SD", "C1"),
    ("B", "Escalate to L2", "2024-03-04 16:00", "SD", "C1"),
    ("B", "Assign L2", "2024-03-04 17:00", "L2", "C1"),
    ("B", "Resolve ticket", "2024-03-05 10:00", "L2", "C1"),
    ("B", "Close ticket", "2024-03-05 11:00", "L2", "C1"),
    ("B", "Reopen ticket", "2024-03-05 12:00", "L2", "C1"),
    ("B", "Resolve ticket", "2024-03-05 13:00", "L2", "C1"),
    ("B", "Close ticket", "2024-03-05 14:00", "L2", "C1"),
    ("C", "Ticket created", "2024-03-06 09:00", "SD", "C2"),
    ("C", "First response", "2024-03-06 09:10", "SD", "C2"),
]


@pytest.fixture(scope="module")
def log() -> cspm.TicketLog:
    df = pd.DataFrame(ROWS, columns=["case", "act", "ts", "team", "cust"])
    return cspm.read(df, case_id="case", activity="act", timestamp="ts", team="team", customer="cust")


def test_default_classes_english_and_chinese():
    got = classify(["Pending customer", "Transfer", "Approve", "Reopen ticket", "Close ticket", "Investigate",
                    "等待客户", "转派", "升级至二线", "审批通过", "复核", "挂起", "问题排查", "Take in charge ticket"])  # fmt: skip
    assert got["value_class"].tolist() == [
        "waiting", "handoff", "approval", "rework", "necessary", "value_adding",
        "waiting", "handoff", "handoff", "approval", "approval", "waiting", "value_adding", "unclassified",
    ]  # fmt: skip
    assert got["source"].tolist() == ["keyword"] * 13 + ["none"]  # an unknown step is not value-adding
    cfg = config_from_dict({"value_classes": {"necessary": ["investigate"]}})
    assert classify(["Investigate"], cfg)[["value_class", "source"]].iloc[0].tolist() == ["necessary", "config"]


def test_value_stream_calendar(log):
    vs = value_stream(log)
    assert vs.semantics == "complete"
    c = vs.cases().set_index("case_id")
    # A: resolve 1.5 h value-adding (keyword), close 1 h necessary, first response 0.5 h unclassified
    assert c.loc["A", ["lead_h", "value_adding_h", "necessary_h", "unclassified_h"]].tolist() == [3.0, 1.5, 1.0, 0.5]
    assert c.loc["A", "flow_efficiency"] == pytest.approx(1.5 / 3)
    # B: VA 17 h (resolve); unclassified 2 h (first response); handoff 1 h (escalate);
    # necessary 1 h (assign) + 1 h (close); rework 3 h (reopen, repeated resolve, repeated close); lead 25 h
    assert c.loc["B", ["lead_h", "value_adding_h", "unclassified_h", "handoff_h", "necessary_h", "rework_h"]].tolist() == [
        25.0, 17.0, 2.0, 1.0, 2.0, 3.0]  # fmt: skip
    o = vs.overall
    assert o["cases"] == 3
    assert o["total_lead_h"] == pytest.approx(28 + 1 / 6)
    assert o["flow_efficiency"] == vs.flow_efficiency == pytest.approx(18.5 / (28 + 1 / 6))
    assert o["share"]["unclassified"] == pytest.approx((2.5 + 1 / 6) / (28 + 1 / 6))
    assert o["median_lead_h"] == 3.0
    assert vs.main_path["step"].tolist() == ["Ticket created", "First response", "Resolve ticket", "Close ticket"]
    assert vs.main_path.set_index("step").loc["Resolve ticket", "median_wait_h"] == pytest.approx(1.5)
    # tickets through each step (B resolves and closes twice: one ticket each) and the median place
    # (0-based) of the step's events in their ticket: Resolve at 2 (A), 4 and 7 (B)
    mp = vs.main_path.set_index("step")
    assert mp["cases"].to_dict() == {"Ticket created": 3, "First response": 3, "Resolve ticket": 2, "Close ticket": 2}
    assert mp["median_position"].to_dict() == {"Ticket created": 0.0, "First response": 1.0, "Resolve ticket": 4.0,
                                               "Close ticket": 5.0}  # fmt: skip
    assert mp["case_share"].to_dict()["Resolve ticket"] == pytest.approx(2 / 3)
    html = vs._repr_html_()
    assert "<svg" in html and "flow efficiency" in html
    assert vs.assumption() == (
        "Value-adding steps: Resolve ticket (by keyword defaults). Not classified, so not counted as "
        "value-adding: First response (set value_classes in the config)."
    )


def test_value_stream_business(log):
    c = value_stream(log, clock="business").cases().set_index("case_id")
    # B's resolve waits Mon 17:00 → Tue 10:00 = 1 h + 2 h business; the night is not lead time
    assert c.loc["B", ["lead_h", "value_adding_h", "unclassified_h"]].tolist() == [11.0, 3.0, 2.0]


def test_kpis(log):
    k = kpis(log)
    f = k.figures
    assert k.activities["first_response"] == ["First response"]
    assert k.activities["fcr_breakers"] == ["Escalate to L2"]
    assert f["cases"] == 3
    assert f["first_response_median_h"] == 0.5  # 0.5 h, 2 h, 10 min
    assert f["responded_within_target"] == pytest.approx(2 / 3)
    assert (f["resolution_median_h"], f["resolution_rate"]) == (11.5, pytest.approx(2 / 3))  # 2 h, 21 h
    assert f["closed_within"] == pytest.approx(2 / 3)  # A 3 h, B 22 h, C never
    assert f["fcr_rate"] == 0.5  # A yes; B escalated
    assert f["reopen_rate"] == 0.5  # B reopened after its first resolution
    assert f["customer_return_rate"] == pytest.approx(1 / 3)  # C1 back 1 h after A
    assert (f["steps_mean"], f["steps_median"]) == (5.0, 4.0)
    assert f["handoffs_mean"] == pytest.approx(1 / 3)  # B: SD → L2
    curve = k.step_curve.set_index("steps")
    assert curve["cases"].tolist() == [1, 1, 1]
    assert curve.loc[9, ["median_resolution_h", "resolution_rate", "reopen_rate"]].tolist() == [21.0, 1.0, 1.0]
    assert curve.loc[2, "resolution_rate"] == 0.0
    arrivals = k.arrivals_heatmap
    assert arrivals.loc["Mon", 9] == 1 and arrivals.loc["Mon", 13] == 1 and arrivals.loc["Wed", 9] == 1
    assert arrivals.to_numpy().sum() == 3
    html = k._repr_html_()
    assert "first-contact resolution" in html and html.count("<svg") == 3


@pytest.mark.parametrize("role", ["team", "agent"])
def test_kpis_handoffs_per_ticket(role):
    # a handoff is a change of team (or, without teams, of agent) from one event to the next in time
    # order (rows given out of order); back to an earlier holder counts again; a missing one is no change
    rows = [("T1", "Ticket created", "2024-03-04 09:00", "SD"), ("T1", "Resolve ticket", "2024-03-04 12:00", "SD"),
            ("T1", "Assign L2", "2024-03-04 10:00", "L2"), ("T1", "Work", "2024-03-04 11:00", "L2"),
            ("T2", "Ticket created", "2024-03-04 09:00", "SD"), ("T2", "Resolve ticket", "2024-03-04 10:00", None),
            ("T3", "Ticket created", "2024-03-04 09:00", "SD")]  # fmt: skip
    df = pd.DataFrame(rows, columns=["case", "act", "ts", role])
    k = kpis(cspm.read(df, case_id="case", activity="act", timestamp="ts", **{role: role}))
    per = k.cases().set_index("case_id")
    assert per["handoffs"].to_dict() == {"T1": 2, "T2": 0, "T3": 0}  # T1: SD → L2 → SD
    assert per["steps"].to_dict() == {"T1": 4, "T2": 2, "T3": 1}
    assert k.figures["handoffs_mean"] == pytest.approx(2 / 3)


def test_kpis_business_clock_and_config(log):
    cfg = config_from_dict({"kpis": {"clock": "business", "fcr_breakers": [], "fcr_team_change": False,
                                     "close_within": "4h"}})  # fmt: skip
    k = kpis(log, cfg)
    f = k.figures
    assert f["resolution_median_h"] == (2 + 7) / 2  # A 2 h; B Mon 13–18 + Tue 08–10 = 7 h
    # neither a breaking step nor a team change breaks first-contact resolution: no figure
    assert f["fcr_rate"] is None
    assert "nothing breaks it and it is not shown" in k.notes[-1]
    assert f["closed_within"] == pytest.approx(1 / 3)


def test_value_stream_status_and_start_complete_semantics():
    status = pd.DataFrame([
        ("C", "New", "2024-03-04 09:00"), ("C", "In Progress", "2024-03-04 10:00"),
        ("C", "Wait - User", "2024-03-04 12:00"), ("C", "In Progress", "2024-03-04 16:00"),
        ("C", "Resolved", "2024-03-05 10:00"),
    ], columns=["case", "act", "ts"])  # fmt: skip
    log = cspm.read(status, case_id="case", activity="act", timestamp="ts")
    cfg = config_from_dict({"time_semantics": "status",
                            "value_classes": {"necessary": ["New"], "value_adding": ["In Progress"]}})  # fmt: skip
    c = value_stream(log, cfg).cases().set_index("case_id").loc["C"]
    # New 1 h necessary; In Progress 2 h + 18 h value-adding (a recurring status is not rework);
    # Wait - User 4 h waiting (SLA pause by default name); lead 25 h
    assert c[["lead_h", "necessary_h", "value_adding_h", "waiting_h", "rework_h"]].tolist() == [25.0, 1.0, 20.0, 4.0, 0.0]
    sc = pd.DataFrame([
        ("D", "Log", "2024-03-04 09:10", "2024-03-04 09:00"), ("D", "Fix", "2024-03-04 11:30", "2024-03-04 10:00"),
        ("D", "Close", "2024-03-05 08:30", "2024-03-04 17:30"),
    ], columns=["case", "act", "ts", "start"])  # fmt: skip
    log = cspm.read(sc, case_id="case", activity="act", timestamp="ts", start_timestamp="start")
    vs = value_stream(log)
    c = vs.cases().set_index("case_id").loc["D"]
    # Log 10 min and Close 15 h necessary; Fix 1.5 h value-adding; waits 50 min + 6 h; lead from 09:00
    assert vs.semantics == "start_complete"
    assert c[["lead_h", "value_adding_h", "necessary_h"]].tolist() == pytest.approx([23.5, 1.5, 15 + 1 / 6])
    assert c["waiting_h"] == pytest.approx(50 / 60 + 6)
    assert vs.main_path.set_index("step").loc["Fix", "median_processing_h"] == 1.5
    b = value_stream(log, clock="business").cases().set_index("case_id").loc["D"]
    # business: Mon 09:00–18:00 = 9 h + Tue 08:00–08:30 = 0.5 h; Close processing 0.5 h + 0.5 h
    assert b[["lead_h", "necessary_h"]].tolist() == pytest.approx([9.5, 1.0 + 1 / 6])
