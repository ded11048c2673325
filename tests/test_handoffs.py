"""Handoffs, ping-pong, rework and approval loops on a tiny log worked out by hand.

The log (hours after each ticket's start; team/agent per event):

c1  Create A/a1 0h · Triage A/a1 1h · Fix B/b1 3h · Fix B/b2 4h · Check A/a2 6h · Triage A/a1 7h · Close C/c1 9h
    teams A A B B A A C → visits A B A C: 3 handoffs (waits 2h, 2h, 2h), direct ping-pong A→B→A
    (away 1h → 6h = 5h); Fix, Fix is a self-loop redone by b2; Triage again is a repetition
    repeated by a1 (its original agent).
c2  Create A/x1 0h · Note –/x1 1h · Work A/x1 2h · Work B/y1 3h · Review C/z1 5h · Work A/x2 8h · Close A/x2 9h
    skip the missing team: visits A B C A, 3 handoffs (1h, 2h, 3h), indirect ping-pong (away 6h);
    break on it: visits A – A B C A, 5 handoffs, the same single indirect return (A – A is none).
    Work, Work is a self-loop redone by y1; Work after Review a repetition redone by x2 (original x1).
c3  Create D/d1 0h · Approve D/d1 0h (tie: source row decides) · Reject D/d1 1h · Resubmit D/d1 2h ·
    Approve D/d2 3h · Close D/d1 5h
    one team, no handoff; 2 approval rounds (a loop), 1 rejection → resubmission cycle, 3 approval
    steps; Approve again is a repetition redone by d2.
"""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pytest

import cspm
from cspm.analysis.handoffs.handoffs import NO_VALUE, handoffs
from cspm.analysis.handoffs.pingpong import ping_pong
from cspm.analysis.handoffs.redundancy import SECONDS_PER_MONTH, redundancy
from cspm.analysis.handoffs.rework import approval_loops, dfg, process_loops, rework
from cspm.config import Config
from cspm.errors import InputError

H = 3600

ROWS = [
    ("c1", "Create", 0, "A", "a1"),
    ("c1", "Triage", 1, "A", "a1"),
    ("c1", "Fix", 3, "B", "b1"),
    ("c1", "Fix", 4, "B", "b2"),
    ("c1", "Check", 6, "A", "a2"),
    ("c1", "Triage", 7, "A", "a1"),
    ("c1", "Close", 9, "C", "c1"),
    ("c2", "Create", 24, "A", "x1"),
    ("c2", "Note", 25, None, "x1"),
    ("c2", "Work", 26, "A", "x1"),
    ("c2", "Work", 27, "B", "y1"),
    ("c2", "Review", 29, "C", "z1"),
    ("c2", "Work", 32, "A", "x2"),
    ("c2", "Close", 33, "A", "x2"),
    ("c3", "Create", 48, "D", "d1"),
    ("c3", "Approve", 48, "D", "d1"),
    ("c3", "Reject", 49, "D", "d1"),
    ("c3", "Resubmit", 50, "D", "d1"),
    ("c3", "Approve", 51, "D", "d2"),
    ("c3", "Close", 53, "D", "d1"),
]


def tiny_frame(rows=ROWS) -> pd.DataFrame:
    base = pd.Timestamp("2024-01-01 00:00", tz="UTC")
    return pd.DataFrame(
        {
            "case_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "timestamp": [base + pd.Timedelta(hours=r[2]) for r in rows],
            "team": [r[3] for r in rows],
            "agent": [r[4] for r in rows],
        }
    )


@pytest.fixture(scope="module")
def tiny() -> cspm.TicketLog:
    return cspm.read(tiny_frame(), case_id="case_id", activity="activity", timestamp="timestamp", team="team", agent="agent")


def _by_case(df: pd.DataFrame, col: str) -> dict[str, object]:
    return dict(zip(df["case_id"], df[col], strict=True))


# ------------------------------------------------------------------------------- handoffs
def test_visits_collapse_same_team_and_skip_missing(tiny):
    h = handoffs(tiny, "team")
    assert _by_case(h.per_case, "visits") == {"c1": 4, "c2": 4, "c3": 1}
    assert _by_case(h.per_case, "handoffs") == {"c1": 3, "c2": 3, "c3": 0}
    assert _by_case(h.per_case, "handoff_wait_s") == {"c1": 6 * H, "c2": 6 * H, "c3": 0}
    assert h.total == 6 and h.mean_per_ticket == 2.0
    assert h.share_at_least(1) == pytest.approx(2 / 3) and h.share_at_least(4) == 0
    assert h.single_unit_tickets == 1
    assert h.distribution()[["handoffs", "tickets"]].values.tolist() == [[0, 1], [3, 2]]
    assert (h.missing_events, h.missing_cases) == (1, 1)
    edges = {(r.from_unit, r.to_unit): (r.handoffs, r.median_wait_s) for r in h.edges.itertuples()}
    assert edges == {
        ("A", "B"): (2, 1.5 * H),
        ("B", "A"): (1, 2 * H),
        ("A", "C"): (1, 2 * H),
        ("B", "C"): (1, 2 * H),
        ("C", "A"): (1, 3 * H),
    }
    assert h.overall_median_wait_s == 2 * H
    assert h.busiest(1)[["from_unit", "to_unit"]].values.tolist() == [["A", "B"]]
    assert h.slowest(1, min_handoffs=1)[["from_unit", "to_unit"]].values.tolist() == [["C", "A"]]


def test_missing_team_breaks_visits_when_asked(tiny):
    h = handoffs(tiny, "team", missing="break")
    assert _by_case(h.per_case, "visits") == {"c1": 4, "c2": 6, "c3": 1}
    assert _by_case(h.per_case, "handoffs") == {"c1": 3, "c2": 5, "c3": 0}
    edges = {(r.from_unit, r.to_unit): r.handoffs for r in h.edges.itertuples()}
    assert edges[("A", NO_VALUE)] == 1 and edges[(NO_VALUE, "A")] == 1
    pp = ping_pong(tiny, "team", missing="break")
    # A – A is not a ping-pong; the return after B and C still is (indirect, away 2h → 8h)
    assert pp.ticket_ids("direct") == {"c1"} and pp.ticket_ids("indirect") == {"c2"}
    assert _by_case(pp.per_case, "bounces") == {"c1": 1, "c2": 1, "c3": 0}


def test_network_graph_and_svg(tiny):
    g = handoffs(tiny).network()
    assert isinstance(g, nx.DiGraph)
    assert g.edges["A", "B"]["count"] == 2 and g.edges["A", "B"]["median_wait_s"] == 1.5 * H
    assert g.nodes["A"]["visits"] == 4 and g.nodes["A"]["tickets"] == 2
    svg = handoffs(tiny).to_svg()
    assert svg.startswith("<svg") and svg.count("class=\"edge\"") == 5


def test_agent_level_and_any_column(tiny):
    h = handoffs(tiny, "agent")
    assert _by_case(h.per_case, "handoffs") == {"c1": 5, "c2": 3, "c3": 2}  # x1 y1 z1 x2; d1 d2 d1
    pp = ping_pong(tiny, "agent")
    # c1: a1 … a1 after b1, b2, a2 → indirect; c2: x1 returns? no (x1 → y1 → z1 → x2); c3: d1 d2 d1
    assert pp.ticket_ids("indirect") == {"c1"}
    assert pp.ticket_ids("direct") == {"c3"}
    assert handoffs(tiny, column="activity").total == 15  # 6 activity runs per ticket
    with pytest.raises(InputError, match="no team column"):
        handoffs(cspm.read(tiny_frame().drop(columns=["team"]), agent="agent"), "team")


# ------------------------------------------------------------------------------- ping-pong
def test_direct_and_indirect_ping_pong(tiny):
    pp = ping_pong(tiny)
    assert pp.ticket_ids() == {"c1", "c2"}
    assert pp.ticket_ids("direct") == {"c1"} and pp.ticket_ids("indirect") == {"c2"}
    assert _by_case(pp.per_case, "kind") == {"c1": "direct", "c2": "indirect", "c3": None}
    r = pp.returns[["case_id", "team", "via", "kind", "away_s"]].values.tolist()
    assert r == [["c1", "A", "B", "direct", 5 * H], ["c2", "A", "B", "indirect", 6 * H]]
    assert pp.pairs_undirected()[["pair", "bounces", "tickets"]].values.tolist() == [["A ↔ B", 2, 2]]
    assert pp.teams()[["team", "bounces"]].values.tolist() == [["A", 2]]
    imp = pp.impact()
    assert imp["lead_time_median_s"] == 9 * H and imp["other_lead_time_median_s"] == 5 * H
    assert imp["away_hours_total"] == 11.0


# ------------------------------------------------------------------------------- rework
def test_repeat_redo_and_self_loops(tiny):
    rw = rework(tiny)
    pc = rw.per_case.set_index("case_id")
    assert pc.loc["c1", ["repetitions", "self_loops", "repeats", "redos"]].tolist() == [1, 1, 1, 1]
    assert pc.loc["c2", ["repetitions", "self_loops", "repeats", "redos"]].tolist() == [1, 1, 0, 2]
    assert pc.loc["c3", ["repetitions", "self_loops", "repeats", "redos"]].tolist() == [1, 0, 0, 1]
    assert pc["rework_s"].to_dict() == {"c1": 2 * H, "c2": 4 * H, "c3": 1 * H}
    ref = {(r.original_agent, r.redo_agent, r.kind): r.redos for r in rw.referral.itertuples()}
    assert ref == {
        ("b1", "b2", "self-loop"): 1,
        ("x1", "y1", "self-loop"): 1,
        ("x1", "x2", "repetition"): 1,
        ("d1", "d2", "repetition"): 1,
    }
    assert rw.referral_matrix().loc["x1", "x2"] == 1
    # without an agent column the repetitions stand, repeat vs redo is unknown
    no_agent = rework(cspm.read(tiny_frame().drop(columns=["agent"]), team="team")).summary()
    assert (no_agent["repetitions"], no_agent["self_loops"], no_agent["repeats"], no_agent["redos"]) == (3, 2, 0, 0)
    assert rw.ticket_ids() == {"c1", "c2", "c3"} and rw.ticket_ids("self_loops") == {"c1", "c2"}
    work = rw.per_activity.set_index("activity").loc["Work"]
    assert (work["repetitions"], work["self_loops"], work["redos"]) == (1, 1, 2)


def test_approval_loops(tiny):
    ap = approval_loops(tiny)
    assert ap.approval_activities == ["Approve", "Review"]  # 'review' is a default keyword
    assert ap.rejection_activities == ["Reject"] and ap.resubmission_activities == ["Resubmit"]
    pc = ap.per_case.set_index("case_id")
    assert pc.loc["c3", ["approval_steps", "approval_rounds", "rejection_cycles", "extra_rounds_s"]].tolist() == [3, 2, 1, 3 * H]
    assert pc.loc["c1", ["approval_steps", "approval_rounds"]].tolist() == [0, 0]
    assert pc.loc["c2", ["approval_steps", "approval_rounds", "rejection_cycles"]].tolist() == [1, 1, 0]
    assert ap.ticket_ids() == {"c3"}
    # value classes from the config add exact names (case-insensitive) to the keyword matches
    ap2 = approval_loops(tiny, Config(value_classes={"approval": ["check"]}))
    assert ap2.approval_activities == ["Approve", "Check", "Review"]


def test_process_loops(tiny):
    lp = process_loops(tiny)
    cyc = {r.cycle: (r.tickets, r.traversals, r.median_s) for r in lp.cycles.itertuples()}
    # named from the alphabetically first activity; a traversal may start at any of its activities;
    # Check → Triage → Fix → Check is a cycle of the DFG but no ticket runs through it in one go
    assert cyc == {
        "Approve → Reject → Resubmit → Approve": (1, 1, 3 * H),
        "Fix → Fix": (1, 1, 1 * H),
        "Review → Work → Review": (1, 1, 5 * H),
        "Work → Work": (1, 1, 1 * H),
    }
    assert lp.candidates == 5


def test_process_loops_dfg_counts_transitions_and_tickets():
    # t1 takes A → B twice: two transitions, one ticket; the DFG is the log's shared edge frame
    rows = [("t1", "A", 0, "X", "x"), ("t1", "B", 1, "X", "x"), ("t1", "A", 2, "X", "x"), ("t1", "B", 3, "X", "x"),
            ("t2", "A", 10, "X", "x"), ("t2", "B", 12, "X", "x")]  # fmt: skip
    log = cspm.read(tiny_frame(rows), team="team", agent="agent")
    lp = process_loops(log)
    got = {(r.source, r.target): (r.count, r.tickets) for r in lp.dfg.itertuples()}
    assert got == {("A", "B"): (3, 2), ("B", "A"): (1, 1)}
    assert lp.dfg.columns.tolist() == ["source", "target", "count", "tickets"]
    engine = dfg(log.events).to_pandas().sort_values(["source", "target"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(lp.dfg, engine, check_dtype=False)
    assert lp.cycles.set_index("cycle").loc["A → B → A", ["traversals", "tickets"]].tolist() == [2, 1]


def test_redundant_share_cost_and_estimate(tiny):
    rd = redundancy(tiny, Config(costs={"hourly_rate": 10, "currency": "EUR"}))
    pc = rd.per_case.set_index("case_id")
    assert pc["redundant_events"].to_dict() == {"c1": 3, "c2": 2, "c3": 1}
    assert rd.redundant_step_share == 6 / 20
    assert pc["pingpong_s"].to_dict() == {"c1": 5 * H, "c2": 6 * H, "c3": 0}
    assert pc["approval_s"].to_dict() == {"c1": 0, "c2": 0, "c3": 3 * H}
    assert pc["redundant_s"].to_dict() == {"c1": 6 * H, "c2": 6 * H, "c3": 3 * H}
    months = 53 * H / SECONDS_PER_MONTH
    cost = rd.cost_per_month()
    # no start times: only elapsed time (waiting included) is known, which is not costed
    assert cost["basis"] == "elapsed"
    assert cost["redundant"] is None and cost["rework"] is None
    assert cost["reason"].startswith("the log has no start times")
    assert cost["hours_per_month"]["redundant"] == round(15 / months, 2)
    lt = rd.lead_time_reduction()
    # every ticket has redundant steps: no ticket without them bounds the estimate, so there is none
    assert (lt["median_before_s"], lt["median_after_s"], lt["floor_s"]) == (9 * H, None, None)
    assert lt["reason"] == "no ticket is free of redundant steps, so there is nothing to bound an estimate by"
    assert "estimate" in lt["method"]


def test_analysis_bundle_findings_and_section(tiny):
    a = cspm.handoffs(tiny, Config(costs={"hourly_rate": 10}))
    text = " ".join(a.findings())
    assert "67% of tickets bounce between teams (1 direct A → B → A, 1 indirect A → B → C → A)" in text
    assert "A ↔ B is the most frequent pair (2 bounces)" in text
    assert "30% of steps are redundant" in text
    html = a.render_html()
    assert html.startswith("<section") and 'id="handoffs"' in html and "<svg" in html
    assert a.section_template == "section_handoffs.html.j2" and a.section_title == "Handoffs and loops"
    s = a.summary()
    assert s["ping_pong"]["bounces"] == 2 and s["handoffs"]["handoffs"] == 6
    assert set(a.to_pandas()["case_id"]) == {"c1", "c2", "c3"}
    assert "A ↔ B is the most frequent pair" in repr(a) and repr(a.handoffs).startswith("Handoffs(level='team'")
    assert math.isclose(a.to_pandas().set_index("case_id").loc["c1", "redundant_s"], 6 * H)


def test_names_are_escaped_in_section_and_network():
    evil = "<script>alert(1)</script> & Co"
    rows = [(c, a, t, evil if team == "B" else team, ag) for c, a, t, team, ag in ROWS]
    log = cspm.read(tiny_frame(rows), team="team", agent="agent")
    a = cspm.handoffs(log)
    html = a.render_html()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    svg = a.handoffs.to_svg()
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in svg


def test_section_goes_into_the_report(tiny, tmp_path):
    from cspm.pipeline import build_report

    a = cspm.handoffs(tiny)
    report = build_report(tiny, [a], tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="handoffs"' in html and "Handoffs and loops" in html
    assert report.sections[-1] is a


def test_processing_time_when_the_log_has_start_times():
    df = tiny_frame()
    df["start"] = df["timestamp"] - pd.Timedelta(minutes=30)
    log = cspm.read(df, team="team", agent="agent", start_timestamp="start")
    rd = redundancy(log, Config(costs={"hourly_rate": 10}))
    # repeated events: c1 Fix, Triage; c2 Work, Work; c3 Approve — 30 min of work each
    assert rd.processing_hours()["rework"] == 2.5
    # detours: c1 Fix, Fix, Check; c2 Work, Review, Work — 30 min each
    assert rd.processing_hours()["pingpong"] == 3.0
    assert rd.hours()["redundant"] == 15.0  # elapsed time is unchanged
    cost = rd.cost_per_month()
    assert cost["basis"] == "processing"
    assert cost["redundant"] == round(rd.processing_hours()["redundant"] * 10 / (53 * H / SECONDS_PER_MONTH), 2)
