"""Waiting analysis and business time on tiny hand-computed logs (every figure worked out by hand).

Calendar of the tests: Europe/Berlin, Mon–Fri 08:00–18:00, German public holidays. Around Easter
2024: Good Friday 29 March and Easter Monday 1 April are holidays; DST starts Sunday 31 March
(clocks 02:00 → 03:00, +01:00 → +02:00).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

import cspm
from cspm.analysis.waiting import analyse_waiting, waiting
from cspm.config import Calendar, config_from_dict
from cspm.core.calendar import BusinessCalendar, timestamp_span
from cspm.errors import ConfigError

BERLIN = ZoneInfo("Europe/Berlin")
CAL = {"timezone": "Europe/Berlin", "working_hours": {"mon-fri": "08:00-18:00"}, "country": "DE"}
H = 3600


def _log(rows: list[tuple], **kw) -> cspm.TicketLog:
    cols = ["case", "act", "ts"] + (["start"] if len(rows[0]) == 4 else [])
    df = pd.DataFrame(rows, columns=cols)
    extra = {"start_timestamp": "start"} if "start" in cols else {}
    return cspm.read(df, case_id="case", activity="act", timestamp="ts", timezone="Europe/Berlin", **extra, **kw)


# Case A crosses Good Friday, a weekend with the DST change, Easter Monday, and has an SLA pause.
# Case B crosses an ordinary weekend.
EASTER = [
    ("A", "Ticket created", "2024-03-28 16:00"),
    ("A", "First response", "2024-03-28 17:30"),
    ("A", "Pending customer", "2024-04-02 09:00"),
    ("A", "Customer replied", "2024-04-02 15:00"),
    ("A", "Resolve ticket", "2024-04-03 10:00"),
    ("B", "Ticket created", "2024-03-22 17:00"),
    ("B", "First response", "2024-03-25 08:30"),
    ("B", "Resolve ticket", "2024-03-25 12:00"),
]


def test_business_positions_across_holiday_weekend_and_dst():
    cal = BusinessCalendar(Calendar(**CAL))
    assert cal.holidays(date(2024, 3, 25), date(2024, 4, 5)) == {
        date(2024, 3, 29): "Good Friday",
        date(2024, 4, 1): "Easter Monday",
    }
    log = _log(EASTER)
    t = cal.position(log.events, {"pos": "timestamp"}, span=timestamp_span(log.events, "timestamp"))
    pos = t.filter(t.case_id == "A").order_by("timestamp").to_pandas()["pos"].diff().dropna().tolist()
    # Thu 16:00→17:30 = 1.5 h; Thu 17:30→Tue 09:00 = 0.5 h (Thu) + 1 h (Tue) across Fri/Mon holidays;
    # Tue 09:00→15:00 = 6 h; Tue 15:00→Wed 10:00 = 3 h + 2 h.
    assert pos == [1.5 * H, 1.5 * H, 6 * H, 5 * H]
    # the scalar helper agrees
    a = datetime(2024, 3, 28, 17, 30, tzinfo=BERLIN)
    b = datetime(2024, 4, 2, 9, 0, tzinfo=BERLIN)
    assert cal.business_seconds(a, b) == 1.5 * H


def test_dst_day_has_23_hours_when_worked_around_the_clock():
    cal = BusinessCalendar(Calendar(timezone="Europe/Berlin", working_hours={"mon-sun": "00:00-24:00"}))
    log = _log([("S", "a", "2024-03-31 00:00"), ("S", "b", "2024-03-31 23:59")])
    w = waiting(log, config_from_dict({"calendar": cal.config.model_dump()}))
    row = w.step_table("calendar").set_index("step").loc["b"]
    brow = w.step_table("business").set_index("step").loc["b"]
    # 00:00 CET → 23:59 CEST is 22 h 59 min of real time, all of it working time
    assert row["median_h"] * H == pytest.approx(22 * H + 59 * 60)
    assert brow["median_h"] * H == pytest.approx(22 * H + 59 * 60)


@pytest.fixture(scope="module")
def easter() -> cspm.analysis.waiting.WaitingAnalysis:
    cfg = config_from_dict({
        "calendar": CAL,
        "targets": {
            "steps": [
                {"step": "First response", "max_wait": "1h", "attainment": "50%"},
                {"step": "First response", "max_wait": "1h", "attainment": "50%", "clock": "business",
                 "name": "first response (business)"},
                {"step": "Resolve ticket", "max_wait": "4h", "attainment": "50%", "clock": "business"},
            ],
            "milestones": [
                {"name": "resolution", "start": "case start", "end": "Resolve ticket", "within": "8h",
                 "clock": "business"},
                {"name": "resolution (calendar)", "start": "case start", "end": "Resolve ticket",
                 "within": "100h"},
                {"name": "never", "start": "Pending customer", "end": "Reopen", "within": "1h"},
            ],
            "lead_time": [{"within": "3d"}],
        },
    })  # fmt: skip
    return waiting(_log(EASTER), cfg)


def test_complete_semantics_step_waits_calendar_and_business(easter):
    assert easter.semantics == "complete"
    assert easter.sla_pause == ["Pending customer"]
    cal = easter.step_table("calendar").set_index("step")
    bus = easter.step_table("business").set_index("step")
    # First response: A 1.5 h, B Fri 17:00 → Mon 08:30 = 63.5 h (business 1 h + 0.5 h)
    assert cal.loc["First response", ["n", "median_h", "max_h", "total_h"]].tolist() == [2, 32.5, 63.5, 65.0]
    assert cal.loc["First response", "mean_h"] == 32.5
    assert cal.loc["First response", "p85_h"] == pytest.approx(1.5 + 0.85 * 62.0)
    assert cal.loc["First response", "p90_h"] == pytest.approx(1.5 + 0.90 * 62.0)
    assert bus.loc["First response", ["n", "median_h", "max_h"]].tolist() == [2, 1.5, 1.5]
    # Pending customer: Thu 17:30 CET → Tue 09:00 CEST = 110.5 h real time (DST), 1.5 h business
    assert cal.loc["Pending customer", "max_h"] == 110.5
    assert bus.loc["Pending customer", "max_h"] == 1.5
    # Customer replied waits in the SLA pause: reported apart from queue waits
    assert cal.loc["Customer replied", ["n", "n_paused", "paused_total_h"]].tolist() == [0, 1, 6.0]
    assert bus.loc["Customer replied", "paused_total_h"] == 6.0
    # Resolve ticket: A Tue 15:00 → Wed 10:00 = 19 h (5 h business); B 3.5 h
    assert sorted([cal.loc["Resolve ticket", "max_h"], cal.loc["Resolve ticket", "median_h"]]) == [11.25, 19.0]
    assert bus.loc["Resolve ticket", ["max_h", "total_h"]].tolist() == [5.0, 8.5]
    # the first event of a case has no wait
    assert cal.loc["Ticket created", ["events", "n"]].tolist() == [2, 0]


def test_step_targets_attainment_percentile_excess(easter):
    t = easter.targets.set_index("name")
    fr = t.loc["First response (wait)"]
    assert (fr["n"], fr["attained"], fr["meets"]) == (2, 0.0, False)
    assert fr["level_h"] == 32.5 and fr["ratio"] == 32.5  # P50 32.5 h vs 1 h = 32.5× target
    assert fr["excess_h"] == pytest.approx(0.5 + 62.5)
    assert (fr["breaching_events"], fr["breaching_cases"]) == (2, 2)
    fb = t.loc["first response (business)"]
    assert (fb["attained"], fb["level_h"], fb["excess_h"]) == (0.0, 1.5, 1.0)
    rs = t.loc["Resolve ticket (wait)"]
    # business waits 5 h and 3.5 h vs 4 h: one breach of 1 h, attainment 50% meets 50%
    assert (rs["attained"], rs["meets"], rs["excess_h"], rs["breaching_events"]) == (0.5, True, 1.0, 1)
    assert rs["level_h"] == pytest.approx(4.25)


def test_milestones_exclude_sla_pause_and_lead_time(easter):
    t = easter.targets.set_index("name")
    # business: A Thu 2 h + Tue 10 h + Wed 2 h = 14 h − 6 h paused = 8 h; B Fri 1 h + Mon 4 h = 5 h
    res = t.loc["resolution"]
    assert (res["n"], res["attained"], res["level_h"], res["excess_h"]) == (2, 1.0, 8.0, 0.0)
    # calendar: A 137 h − 6 h = 131 h; B Fri 17:00 → Mon 12:00 = 67 h
    rc = t.loc["resolution (calendar)"]
    assert (rc["attained"], rc["level_h"], rc["excess_h"], rc["breaching_cases"]) == (0.5, 131.0, 31.0, 1)
    never = t.loc["never"]
    assert (never["n"], never["not_reached"]) == (0, 1)
    lt = t.loc["lead time"]  # lead time is not paused: 137 h (A) and 67 h (B) vs 72 h, 100% required
    assert (lt["attained"], lt["level_h"], lt["excess_h"]) == (0.5, 137.0, 65.0)


def test_ranking_breaching_steps_and_edges(easter):
    r = easter.ranking
    assert easter.ranking_basis == "excess over target"
    assert r["name"].tolist() == ["First response (wait)", "Resolve ticket (wait)", "first response (business)"]
    assert r["rank"].tolist() == [1, 2, 3]
    assert r["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert easter.breaching_steps() == ["First response"]
    assert easter.breaching_edges() == [("Ticket created", "First response")]
    s = easter.summary()
    assert s["breaching_edges"] == [["Ticket created", "First response"]]
    html = easter._repr_html_()
    assert "First response" in html and "<svg" in html and "32.5×" in html


def test_status_semantics_time_in_status_with_pause():
    rows = [
        ("C", "New", "2024-03-04 09:00"),
        ("C", "In Progress", "2024-03-04 10:00"),
        ("C", "Wait - User", "2024-03-04 12:00"),
        ("C", "In Progress", "2024-03-04 16:00"),
        ("C", "Resolved", "2024-03-05 10:00"),
    ]
    cfg = config_from_dict({
        "calendar": CAL, "time_semantics": "status",
        "targets": {"steps": [{"step": "In Progress", "max_time_in_status": "3h", "clock": "business"}]},
    })  # fmt: skip
    w = waiting(_log(rows), cfg)
    cal = w.step_table("calendar").set_index("step")
    bus = w.step_table("business").set_index("step")
    assert w.semantics == "status" and w.sla_pause == ["Wait - User"]
    assert cal.loc["New", "total_h"] == 1.0
    assert cal.loc["In Progress", ["n", "total_h", "max_h"]].tolist() == [2, 20.0, 18.0]
    assert bus.loc["In Progress", ["total_h", "max_h"]].tolist() == [6.0, 4.0]  # 2 h + (2 h + 2 h)
    assert cal.loc["Wait - User", ["n", "n_paused", "paused_total_h"]].tolist() == [0, 1, 4.0]
    assert cal.loc["Resolved", "n"] == 0  # the final status is open-ended
    t = w.targets.iloc[0]
    assert (t["measure"], t["attained"], t["excess_h"]) == ("time_in_status", 0.5, 1.0)
    assert w.breaching_edges() == [("In Progress", "Resolved")]


def test_start_complete_semantics_wait_and_processing():
    rows = [
        ("D", "Log", "2024-03-04 09:10", "2024-03-04 09:00"),
        ("D", "Fix", "2024-03-04 11:30", "2024-03-04 10:00"),
        ("D", "Close", "2024-03-05 08:30", "2024-03-04 17:30"),
    ]
    w = waiting(_log(rows), config_from_dict({"calendar": CAL}))
    assert w.semantics == "start_complete"
    cal = w.step_table("calendar").set_index("step")
    bus = w.step_table("business").set_index("step")
    assert cal.loc["Fix", ["median_h", "proc_median_h"]].tolist() == pytest.approx([50 / 60, 1.5])
    assert cal.loc["Log", ["n", "proc_median_h"]].tolist() == [0, pytest.approx(10 / 60)]
    # Close: wait 11:30 → 17:30 = 6 h; processing Mon 17:30 → Tue 08:30 = 15 h, 0.5 h + 0.5 h business
    assert cal.loc["Close", ["median_h", "proc_median_h"]].tolist() == [6.0, 15.0]
    assert bus.loc["Close", ["median_h", "proc_median_h"]].tolist() == [6.0, 1.0]


def test_per_team_calendar():
    df = pd.DataFrame({
        "case": ["E", "E", "F", "F"], "act": ["a", "b", "a", "b"],
        "ts": ["2024-03-04 17:00", "2024-03-05 09:00"] * 2, "team": ["x", "night", "x", "x"],
    })  # fmt: skip
    log = cspm.read(df, case_id="case", activity="act", timestamp="ts", team="team", timezone="Europe/Berlin")
    cal = dict(CAL, teams={"night": {"timezone": "Europe/Berlin", "working_hours": {"mon-sun": "00:00-24:00"}}})
    w = waiting(log, config_from_dict({"calendar": cal}))
    iv = w.intervals.filter(w.intervals.activity == "b").order_by("case_id").to_pandas()
    # E's step b belongs to the night team (works around the clock, 00:00-24:00 each day):
    # Mon 17:00 → 24:00 = 7 h, Tue 00:00 → 09:00 = 9 h, 16 h in all (no minute lost at midnight);
    # F's to x (08:00-18:00): Mon 17:00 → 18:00 = 1 h + Tue 08:00 → 09:00 = 1 h
    assert iv["wait_bs"].tolist() == [16 * H, 2 * H]


def test_no_targets_ranks_by_total_waiting_and_analyse_waiting_alias():
    w = analyse_waiting(_log(EASTER), config_from_dict({"calendar": CAL}))
    assert w.ranking_basis == "total waiting"
    assert w.ranking["step"].tolist()[:2] == ["Pending customer", "First response"]
    assert w.breaching_steps() == [] and w.breaching_edges() == []


def test_subsecond_waits_calendar_and_business():
    """a at 00:00:00.000, b at 00:00:01.500: a wait of 1.5 s on both clocks (not truncated to 1 s)."""
    rows = [("S", "a", "2024-01-01 00:00:00.000"), ("S", "b", "2024-01-01 00:00:01.500"),
            ("T", "a", "2024-01-01 23:59:59.999"), ("T", "b", "2024-01-02 00:00:00.001")]  # fmt: skip
    around_the_clock = {"calendar": {"timezone": "Europe/Berlin", "working_hours": {"mon-sun": "00:00-24:00"}}}
    w = waiting(_log(rows), config_from_dict(around_the_clock))
    iv = w.intervals.filter(w.intervals.activity == "b").order_by("case_id").to_pandas()
    assert iv["wait_s"].tolist()[0] == 1.5 and iv["wait_bs"].tolist()[0] == 1.5
    # T crosses local midnight: 0.002 s of calendar and of business time
    assert iv["wait_s"].tolist()[1] == pytest.approx(0.002, abs=1e-6)
    assert iv["wait_bs"].tolist()[1] == pytest.approx(0.002, abs=1e-6)
    for clock in ("calendar", "business"):
        b = w.step_table(clock).set_index("step").loc["b"]
        assert b["max_h"] * H == pytest.approx(1.5, abs=1e-9) and b["total_h"] * H == pytest.approx(1.502, abs=1e-6)
    # a milestone a → b measures the same interval
    ms = config_from_dict({**around_the_clock, "targets": {"milestones": [
        {"name": "ab", "start": "a", "end": "b", "within": "1s", "clock": "business"}]}})  # fmt: skip
    t = waiting(_log(rows), ms).targets.set_index("name").loc["ab"]
    assert (t["n"], t["attained"], t["breaching_cases"]) == (2, 0.5, 1)
    assert t["excess_h"] * H == pytest.approx(0.5, abs=1e-6)


def test_analyse_waiting_takes_time_semantics_and_clock():
    cfg = config_from_dict({
        "calendar": CAL, "targets": {"steps": [{"step": "First response", "max_wait": "1h", "attainment": "50%"}]},
    })  # fmt: skip
    log = _log(EASTER)
    default = analyse_waiting(log, cfg)
    assert default.semantics == "complete" and default.clock == "calendar"
    assert default.step_table().set_index("step").loc["Ticket created", "n"] == 0
    # as status changes, "Ticket created" is a status held A 1.5 h and B Fri 17:00 → Mon 08:30 = 63.5 h
    status = analyse_waiting(log, cfg, time_semantics="status")
    assert status.semantics == "status"
    assert status.step_table().set_index("step").loc["Ticket created", ["n", "total_h"]].tolist() == [2, 65.0]
    # the business clock: First response waited 1.5 h (A) and 1 h + 0.5 h (B) of business time
    business = analyse_waiting(log, cfg, clock="business")
    assert business.clock == "business"
    assert business.step_table().set_index("step").loc["First response", ["median_h", "max_h"]].tolist() == [1.5, 1.5]
    target = business.targets.iloc[0]
    assert (target["clock"], target["level_h"], target["excess_h"]) == ("business", 1.5, 1.0)
    assert default.targets.iloc[0]["level_h"] == 32.5


def test_segment_targets_and_errors():
    log = _log(EASTER)
    bad = config_from_dict({"targets": {"steps": [{"step": "First response", "max_wait": "1h",
                                                   "segment": {"priority": "P1"}}]}})  # fmt: skip
    with pytest.raises(ConfigError, match=r"targets\.steps\.0\.segment\.priority"):
        waiting(log, bad)
    seg = config_from_dict({"targets": {"steps": [{"step": "First response", "max_wait": "1h",
                                                   "segment": {"case_id": "A"}}]}})  # fmt: skip
    t = waiting(log, seg).targets.iloc[0]
    assert (t["n"], t["segment"], t["excess_h"]) == (1, "case_id=A", 0.5)
