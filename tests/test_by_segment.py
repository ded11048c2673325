"""Every KPI and the waiting-vs-targets table split by channel, priority and team (top values plus
"others"), on the engine, pinned against an independent pandas computation on a small seeded log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cspm
from cspm.analysis.by_segment import OTHERS, split_by_segment
from cspm.analysis.kpis import kpis
from cspm.analysis.trends import trends
from cspm.config import config_from_dict
from cspm.render.html import section_html

CHANNELS = ["phone"] * 6 + ["email"] * 5 + ["chat"] * 3 + ["web"] * 2  # top 2 + others (5 tickets)
CFG = {
    "time_semantics": "complete",
    "targets": {
        "steps": [{"step": "Assign L2", "max_wait": "2h", "attainment": "80%", "clock": "calendar"}],
        "lead_time": [{"name": "lead time within 2 days", "within": "48h", "attainment": "90%", "clock": "calendar"}],
    },
    "kpis": {"response_target": "1h", "close_within": "24h", "clock": "calendar"},
}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(15)
    rows = []
    for i, channel in enumerate(CHANNELS):
        t = pd.Timestamp("2024-03-04 08:00", tz="UTC") + pd.Timedelta(hours=int(rng.integers(0, 60)))
        prio = ["P1", "P2", "P3", "P3"][i % 4]
        team = "Desk" if i % 5 else "Ops"
        steps = ["Ticket created", "First response"] + (["Assign L2"] if i % 3 else []) + ["Resolve ticket", "Close ticket"]
        for j, act in enumerate(steps):
            if j:
                t = t + pd.Timedelta(minutes=int(rng.integers(10, 900)))
            # the priority and team of later events change: a ticket's segment is its first event's
            rows.append((f"T{i:02d}", act, t, channel, prio if j == 0 else "P4", team if j < 2 else "L2"))
    return pd.DataFrame(rows, columns=["case", "act", "ts", "channel", "priority", "team"])


@pytest.fixture(scope="module")
def log(frame) -> cspm.TicketLog:
    return cspm.read(frame, case_id="case", activity="act", timestamp="ts", team="team", channel="channel",
                     priority="priority")  # fmt: skip


@pytest.fixture(scope="module")
def split(log):
    cfg = config_from_dict(CFG)
    return split_by_segment(log, cfg, kpis(log, cfg), top=2)


def _groups(frame: pd.DataFrame, col: str, top: int = 2) -> pd.Series:
    first = frame.sort_values(["case", "ts"], kind="stable").groupby("case")[col].first()
    counts = first.value_counts().rename_axis("v").reset_index(name="n").sort_values(["n", "v"], ascending=[False, True])
    keep = counts["v"].head(top).tolist()
    return first.where(first.isin(keep), OTHERS)


def _per_case(frame: pd.DataFrame) -> pd.DataFrame:
    f = frame.sort_values(["case", "ts"], kind="stable")
    start = f.groupby("case")["ts"].min()
    end = f.groupby("case")["ts"].max()

    def first_of(act: str) -> pd.Series:
        return (f[f["act"] == act].groupby("case")["ts"].min() - start).dt.total_seconds() / 3600

    team_changes = f.groupby("case")["team"].apply(lambda s: int((s != s.shift()).iloc[1:].sum()))
    return pd.DataFrame({
        "fr": first_of("First response"), "res": first_of("Resolve ticket"), "close": first_of("Close ticket"),
        "lead": (end - start).dt.total_seconds() / 3600, "steps": f.groupby("case").size(), "handoffs": team_changes,
    })  # fmt: skip


@pytest.mark.parametrize("col", ["channel", "priority", "team"])
def test_kpis_per_segment_equal_pandas(frame, split, col):
    k = split[0]
    k = k[k["column"] == col].set_index("value")
    per = _per_case(frame)
    per["g"] = _groups(frame, col)
    want = per.groupby("g").agg(
        tickets=("fr", "size"), fr=("fr", "median"), within=("fr", lambda s: (s <= 1).mean()), res=("res", "median"),
        closed=("close", lambda s: (s <= 24).mean()), steps=("steps", "mean"), handoffs=("handoffs", "mean"),
    )  # fmt: skip
    assert sorted(k.index) == sorted(want.index)
    for value, w in want.iterrows():
        got = k.loc[value]
        assert got["tickets"] == w["tickets"] == got["cases"]
        assert got["first_response_median_h"] == pytest.approx(w["fr"])
        assert got["responded_within_target"] == pytest.approx(w["within"])
        assert got["resolution_median_h"] == pytest.approx(w["res"])
        assert got["resolution_rate"] == 1.0
        assert got["closed_within"] == pytest.approx(w["closed"])
        assert got["steps_mean"] == pytest.approx(w["steps"])
        assert got["handoffs_mean"] == pytest.approx(w["handoffs"])


def test_top_values_then_others_in_order(split):
    k = split[0]
    assert k[k["column"] == "channel"][["value", "tickets"]].values.tolist() == [["phone", 6], ["email", 5], [OTHERS, 5]]
    assert k[k["column"] == "priority"][["value", "tickets"]].values.tolist() == [["P3", 8], ["P1", 4], [OTHERS, 4]]
    assert k[k["column"] == "team"][["value", "tickets"]].values.tolist() == [["Desk", 12], ["Ops", 4]]
    assert "P4" not in set(k["value"]) and "L2" not in set(k["value"])  # later events' values are not segments


@pytest.mark.parametrize("col", ["channel", "priority", "team"])
def test_waiting_targets_per_segment_equal_pandas(frame, split, col):
    t = split[1]
    t = t[t["column"] == col]
    f = frame.sort_values(["case", "ts"], kind="stable").copy()
    f["wait_h"] = f.groupby("case")["ts"].diff().dt.total_seconds() / 3600
    f["g"] = f["case"].map(_groups(frame, col))
    step = f[f["act"] == "Assign L2"]
    got = t[t["kind"] == "step"].set_index("value")
    assert sorted(got.index) == sorted(step["g"].unique())
    for value, s in step.groupby("g"):
        row = got.loc[value]
        assert row["n"] == len(s)
        assert row["attained"] == pytest.approx((s["wait_h"] <= 2).mean())
        assert row["level_h"] == pytest.approx(s["wait_h"].quantile(0.8))
        assert row["breaching_cases"] == s.loc[s["wait_h"] > 2, "case"].nunique()
        assert row["excess_h"] == pytest.approx((s["wait_h"] - 2).clip(lower=0).sum())
        assert row["meets"] == bool((s["wait_h"] <= 2).mean() >= 0.8)
    per = _per_case(frame)
    per["g"] = _groups(frame, col)
    lead = t[t["kind"] == "lead_time"].set_index("value")
    for value, s in per.groupby("g"):
        assert lead.loc[value, "n"] == len(s)
        assert lead.loc[value, "attained"] == pytest.approx((s["lead"] <= 48).mean())
        assert lead.loc[value, "level_h"] == pytest.approx(s["lead"].quantile(0.9))


def test_report_section_shows_the_split(log):
    r = trends(log, config_from_dict(CFG), segment_top=2)
    html = section_html(r)
    assert "KPIs by channel" in html and "Waiting targets by priority" in html
    assert "(others)" not in html and ">others<" in html  # the group is named in words
    summary = r.summary()
    assert {row["value"] for row in summary["segment_targets"]} >= {"phone", "email", OTHERS}
    sheets = [s.name for s in r.workbook_sheets()]
    assert "KPIs by segment" in sheets and "Waiting by segment" in sheets
