"""A few example ticket ids behind every finding (case drill-down): the bottleneck and every waiting
target, every KPI, handoffs, ping-pong (and each ping-pong pair), rework and approval loops. Each
finding's ids are checked against the property claimed, computed independently with pandas."""

from __future__ import annotations

import pandas as pd
import pytest

import cspm
from cspm.config import config_from_dict
from cspm.render.html import section_html

# ticket → [(activity, team, minutes after the previous event)]
TICKETS = {
    "A": [("Open", "Desk", 0), ("First response", "Desk", 90), ("Work", "L2", 30), ("Work", "Desk", 20),
          ("Work", "L2", 10), ("Resolve", "L2", 200), ("Close", "Desk", 30)],
    "B": [("Open", "Desk", 0), ("First response", "Desk", 20), ("Work", "L2", 40), ("Resolve", "Desk", 30),
          ("Close", "Desk", 300)],
    "C": [("Open", "Desk", 0), ("First response", "Desk", 120), ("Work", "Desk", 50), ("Work", "Desk", 50),
          ("Resolve", "Desk", 400), ("Close", "Desk", 10)],
    "D": [("Open", "Desk", 0), ("First response", "Desk", 10), ("Resolve", "Desk", 10), ("Close", "Desk", 100)],
    "E": [("Open", "Desk", 0), ("First response", "Desk", 300), ("Work", "L2", 10), ("Resolve", "L2", 500),
          ("Close", "L2", 20)],
    "F": [("Open", "Desk", 0), ("First response", "Desk", 5), ("Approve", "Desk", 10), ("Work", "Desk", 10),
          ("Approve", "Desk", 10), ("Work", "Desk", 10), ("Approve", "Desk", 10), ("Resolve", "Desk", 200),
          ("Close", "Desk", 1600)],
}  # fmt: skip
CFG = config_from_dict({
    "time_semantics": "complete",
    "targets": {"steps": [{"step": "Resolve", "max_wait": "1h", "attainment": "80%", "clock": "calendar"}],
                "lead_time": [{"name": "lead time within 8 h", "within": "8h", "attainment": "90%", "clock": "calendar"}]},
    "kpis": {"response_target": "1h", "close_within": "8h", "clock": "calendar", "resolution": ["Resolve"],
             "closure": ["Close"], "first_response": ["First response"]},
})  # fmt: skip


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rows = []
    for case, events in TICKETS.items():
        t = pd.Timestamp("2024-03-04 08:00", tz="UTC")
        for act, team, minutes in events:
            t = t + pd.Timedelta(minutes=minutes)
            rows.append((case, act, t, team))
    f = pd.DataFrame(rows, columns=["case", "act", "ts", "team"])
    f["wait_min"] = f.groupby("case")["ts"].diff().dt.total_seconds() / 60
    return f


@pytest.fixture(scope="module")
def log(frame) -> cspm.TicketLog:
    return cspm.read(frame.drop(columns="wait_min"), case_id="case", activity="act", timestamp="ts", team="team")


def _top(values: pd.Series, n: int = 5) -> list[str]:
    """The cases with the largest value first, ties by id (the documented rule)."""
    d = values.rename("v").reset_index().rename(columns={values.index.name or "index": "case"})
    return d.sort_values(["v", "case"], ascending=[False, True]).head(n)["case"].tolist()


def test_every_waiting_target_and_the_bottleneck_name_breaching_tickets(frame, log):
    w = cspm.waiting(log, CFG)
    resolve = frame[frame["act"] == "Resolve"].set_index("case")["wait_min"]
    want = _top(resolve[resolve > 60])
    assert want == ["E", "C", "A", "F"]  # B (30 min) and D (10 min) are within the hour
    step = w.targets.set_index("name").loc["Resolve (wait)"]
    assert step["examples"] == want
    assert w.ranking.iloc[0]["examples"] == want
    assert "Example tickets: E, C, A, F." in w.headline()
    lead = frame.groupby("case")["ts"].agg(lambda s: (s.max() - s.min()).total_seconds() / 3600)
    assert w.targets.set_index("name").loc["lead time within 8 h", "examples"] == _top(lead[lead > 8])
    assert "E, C, A, F" in section_html(w)
    assert w.summary()["targets"][0]["examples"] == want


def test_every_kpi_names_tickets_with_the_property(frame, log):
    k = cspm.kpis(log, CFG)
    ex = k.examples
    g = frame.groupby("case")
    start = g["ts"].min()

    def first(act: str) -> pd.Series:
        return (frame[frame["act"] == act].groupby("case")["ts"].min() - start).dt.total_seconds() / 3600

    fr, res, close = first("First response"), first("Resolve"), first("Close")
    assert ex["responded_within_target"] == _top(fr[fr > 1]) == ["E", "C", "A"]
    assert ex["first_response_median_h"] == _top(fr)
    assert ex["resolution_median_h"] == _top(res)
    assert ex["closed_within"] == _top(close[close > 8])
    assert ex["steps_mean"] == _top(g.size())
    team_changes = g["team"].apply(lambda s: int((s != s.shift()).iloc[1:].sum()))
    assert ex["handoffs_mean"] == _top(team_changes[team_changes > 0]) == ["A", "B", "E"]
    # not first-contact resolution: a team change or a handoff-class step; every id has a team change here
    assert set(ex.get("fcr_rate", [])) <= set(team_changes[team_changes > 0].index)
    assert "reopen_rate" not in ex  # no reopen step: no examples
    html = section_html(k)
    assert "E, C, A" in html
    assert k.summary()["examples"]["steps_mean"] == ex["steps_mean"]


def test_handoff_findings_name_tickets_with_the_property(frame, log):
    h = cspm.handoffs(log, CFG)
    ex = h.summary()["examples"]
    g = frame.groupby("case")
    team_changes = g["team"].apply(lambda s: int((s != s.shift()).iloc[1:].sum()))
    assert ex["handoffs"] == _top(team_changes[team_changes > 0])

    def returns(s: pd.Series) -> int:  # visits (runs of a team) to a team seen before
        visits = s[s != s.shift()].tolist()
        return sum(1 for i, team in enumerate(visits) if team in visits[:i])

    bounces = g["team"].apply(returns)
    assert ex["ping_pong"] == _top(bounces[bounces > 0]) == ["A", "B"]
    repeats = g["act"].apply(lambda s: int(s.duplicated().sum()))
    assert set(ex["rework"]) <= set(repeats[repeats > 0].index) and "C" in ex["rework"]
    approvals = frame[frame["act"] == "Approve"].groupby("case").size()
    assert ex["approvals"] == _top(approvals[approvals > 1]) == ["F"]
    pairs = h.ping_pong.pairs().set_index(["team", "via"])
    assert pairs.loc[("Desk", "L2"), "examples"] == "A, B"  # Desk → L2 → Desk: A once, B once (ties by id)
    assert pairs.loc[("L2", "Desk"), "examples"] == "A"
    html = section_html(h)
    assert "Example tickets" in html and "A, B" in html


def test_conformance_deviations_name_the_slowest_tickets_that_have_them(frame, log):
    model = {"name": "to-be", "steps": ["Open", "First response", {"step": "Work", "optional": True}, "Resolve", "Close"]}
    conf = cspm.conformance(log, CFG, model=model)
    lead = frame.groupby("case")["ts"].agg(lambda s: (s.max() - s.min()).total_seconds())
    unexpected = conf.unexpected.set_index("step")
    approve = frame.loc[frame["act"] == "Approve", "case"].unique()
    assert unexpected.loc["Approve", "examples"] == _top(lead[approve], 3) == ["F"]
    work = [c for c, evs in TICKETS.items() if sum(a == "Work" for a, _t, _m in evs) > 1]  # Work again: unexpected
    assert set(unexpected.loc["Work", "examples"]) <= set(work)
    assert unexpected.loc["Work", "examples"] == _top(lead[work], 3)
    for row in conf.inserted.itertuples():  # every inserted deviation's tickets really contain its step
        assert set(row.examples) <= set(frame.loc[frame["act"] == row.step, "case"])
    assert "example tickets" in section_html(conf)


def test_root_cause_drivers_name_tickets_with_the_value_and_the_outcome(frame, log):
    d = cspm.drivers(log, CFG, outcome="wait:Resolve>1h", min_support=1, bootstrap=20, scope="all")  # has STEP drivers too
    resolve = frame[frame["act"] == "Resolve"].set_index("case")["wait_min"]
    breaching = resolve[resolve > 60]
    top = d.top()
    assert top["examples"].map(len).sum() > 0
    for row in top.itertuples():
        assert set(row.examples) <= set(breaching.index)  # every example has the outcome
        assert row.examples == _top(breaching[row.examples], 3)  # the longest wait first
        if row.driver.startswith("has "):  # and has the driver's value
            has = set(frame.loc[frame["act"] == row.driver.removeprefix("has "), "case"])
            assert all((c in has) == (row.value == "yes") for c in row.examples)
    work = top[(top["driver"] == "has Work") & (top["value"] == "yes")].iloc[0]
    assert work["examples"] == ["E", "C", "A"]
    assert "E, C, A" in section_html(d) and d.summary()["top"][0]["examples"]
