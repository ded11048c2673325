"""Charts over time and by segment (``cspm.trends``): weekly volume, backlog, lead-time trend,
closed-within-target per week, the lead-time histogram, segments and workload — exact figures on a
hand-made log, and independent pandas computations on the sample log."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cspm
from cspm.analysis.trends import trends

ROOT = Path(__file__).resolve().parents[1]

# ticket → (first event, last event, channel, priority, team of the first event)
TICKETS = {
    "a": ("2024-03-04 10:00", "2024-03-05 10:00", "email", "P2", "Desk"),   # 24 h, week 03-04
    "b": ("2024-03-06 08:00", "2024-03-18 08:00", "phone", "P3", "Desk"),   # 288 h, done week 03-18
    "c": ("2024-03-11 09:00", "2024-03-11 11:00", "email", "P3", "Ops"),    # 2 h, week 03-11
    "d": ("2024-03-20 09:00", "2024-03-20 10:00", "phone", "P3", "Desk"),   # 1 h, week 03-18
}  # fmt: skip


@pytest.fixture(scope="module")
def log() -> cspm.TicketLog:
    rows = []
    for case, (start, end, channel, prio, team) in TICKETS.items():
        rows.append((case, "Open", start, channel, prio, team, "ann"))
        rows.append((case, "Close", end, channel, prio, "Ops" if case == "b" else team, "bo"))
    df = pd.DataFrame(rows, columns=["case", "act", "ts", "channel", "priority", "team", "agent"])
    df["ts"] = pd.to_datetime(df["ts"]).dt.tz_localize("UTC")
    return cspm.read(df, case_id="case", activity="act", timestamp="ts", team="team", agent="agent",
                     channel="channel", priority="priority")  # fmt: skip


def test_weekly_volume_backlog_lead_time_and_attainment(log):
    r = trends(log)  # kpis.close_within defaults to 24 h
    w = r.weekly
    assert [f"{d:%Y-%m-%d}" for d in w["week"]] == ["2024-03-04", "2024-03-11", "2024-03-18"]
    assert w["created"].tolist() == [2, 1, 1] and w["done"].tolist() == [1, 1, 2]
    assert w["backlog"].tolist() == [1, 1, 0]  # b is open at the end of the first two weeks
    assert w["lead_time_median_h"].tolist() == pytest.approx([156.0, 2.0, 1.0])
    assert w["closed_within"].tolist() == pytest.approx([0.5, 1.0, 1.0])  # a in exactly 24 h counts
    assert r.close_within_h == 24.0


def test_segments_workload_and_slowest_tickets(log):
    r = trends(log)
    ch = r.segments["channel"].set_index("channel")
    assert ch.loc["email", "tickets"] == 2 and ch.loc["email", "lead_time_median_h"] == pytest.approx(13.0)
    assert ch.loc["phone", "lead_time_median_h"] == pytest.approx(144.5) and ch.loc["phone", "closed_within"] == 0.5
    team = r.segments["team"].set_index("team")  # the team of the first event
    assert team["tickets"].to_dict() == {"Desk": 3, "Ops": 1}
    assert team.loc["Desk", "handoffs_mean"] == pytest.approx(1 / 3)  # b: Desk → Ops
    assert set(r.segments) == {"channel", "priority", "team"}
    work = r.workload["team"].set_index("team")
    assert work["events"].to_dict() == {"Desk": 5, "Ops": 3} and work.loc["Ops", "tickets"] == 2
    assert work["share_of_events"].sum() == pytest.approx(1.0)
    assert r.workload["agent"].set_index("agent")["tickets"].to_dict() == {"ann": 4, "bo": 4}
    assert r.slowest["case_id"].tolist()[:2] == ["b", "a"]


def test_charts_show_the_weeks_and_the_median(log):
    r = trends(log)
    volume = r.volume_svg()
    assert volume.startswith("<svg") and "2024-03-04" in volume and "Weekly ticket volume and backlog" in volume
    assert "median 13.0" in r.histogram_svg()  # median of 24, 288, 2 and 1 h
    assert "Closed within 24 h" in r.attainment_svg()
    html = r._repr_html_()
    assert html.count("<svg") == 4 and "Slowest tickets: b (" in html and "By channel" in html
    assert "Workload by agent" in html


def test_sample_log_against_pandas():
    cfg = cspm.load_config(ROOT / "sample_logs/cspm.example.yaml")
    log = cspm.read(ROOT / "sample_logs/tickets_en.csv", config=cfg)
    r = trends(log, cfg)
    df = pd.read_csv(ROOT / "sample_logs/tickets_en.csv")
    df["ts"] = pd.to_datetime(df["timestamp"], utc=True)
    g = df.groupby("ticket_id")["ts"].agg(["min", "max"])
    week = g["min"].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    created = week.value_counts().sort_index()
    w = r.weekly.set_index("week")
    assert w["created"].sum() == 2000
    for wk, n in created.items():
        assert w.loc[wk, "created"] == n
    lead_h = (g["max"] - g["min"]).dt.total_seconds() / 3600
    first_week = created.index[0]
    assert w.loc[first_week, "lead_time_median_h"] == pytest.approx(lead_h[week == first_week].median())
    first = df.sort_values(["ticket_id", "ts"], kind="stable").groupby("ticket_id").first()
    by_channel = first["channel"].value_counts().to_dict()
    assert r.segments["channel"].set_index("channel")["tickets"].to_dict() == by_channel
