"""Handoffs, ping-pong, rework and approval loops against the simulator's ground truth and against
independent pandas computations on the Helpdesk log (agent level)."""

from __future__ import annotations

import pandas as pd
import pytest

import cspm
from cspm.analysis.handoffs.handoffs import handoffs
from cspm.analysis.handoffs.pingpong import ping_pong
from cspm.analysis.handoffs.rework import approval_loops, rework
from cspm.simulate import SimulationSettings, simulate


@pytest.fixture(scope="module", params=["en", "zh"])
def simulated(request):
    settings = SimulationSettings(
        n_tickets=2500, seed=23, language=request.param, direct_ping_pong=0.15, indirect_ping_pong=0.1,
        self_loop=0.1, reopen=0.08,
    )  # fmt: skip
    df, truth = simulate(settings)
    return cspm.read(df), truth.cases


def test_ping_pong_equals_ground_truth(simulated):
    log, truth = simulated
    pp = ping_pong(log, "team")
    assert pp.ticket_ids() == set(truth.loc[truth["ping_pong"], "ticket_id"])
    assert len(pp.ticket_ids()) > 100
    for kind in ("direct", "indirect"):
        assert pp.ticket_ids(kind) == set(truth.loc[truth["ping_pong_kind"] == kind, "ticket_id"])
    mine = {(r.case_id, r.team, r.via) for r in pp.returns.itertuples()}
    expected = {(r.ticket_id, a, b) for r in truth.itertuples() for a, b in r.ping_pong_teams}
    assert mine == expected
    # the collapsed team sequence equals the truth's `teams`
    h = handoffs(log, "team")
    visits = dict(zip(h.per_case["case_id"], h.per_case["visits"], strict=True))
    assert visits == {r.ticket_id: len(r.teams) for r in truth.itertuples()}


def test_rework_and_self_loops_equal_ground_truth(simulated):
    log, truth = simulated
    rw = rework(log)
    assert rw.ticket_ids("repetitions") == set(truth.loc[truth["rework_repetitions"] > 0, "ticket_id"])
    assert rw.ticket_ids("self_loops") == set(truth.loc[truth["self_loops"] > 0, "ticket_id"])
    m = rw.per_case.merge(truth, left_on="case_id", right_on="ticket_id", suffixes=("", "_truth"))
    assert len(m) == len(truth)
    assert (m["repetitions"] == m["rework_repetitions"]).all()
    assert (m["self_loops"] == m["self_loops_truth"]).all()


def test_approval_rounds_equal_ground_truth(simulated):
    log, truth = simulated
    ap = approval_loops(log)
    assert ap.ticket_ids(2) == set(truth.loc[truth["approval_rounds"] >= 2, "ticket_id"])
    assert len(ap.ticket_ids(2)) > 20
    rounds = dict(zip(ap.per_case["case_id"], ap.per_case["approval_rounds"], strict=True))
    assert rounds == dict(zip(truth["ticket_id"], truth["approval_rounds"], strict=True))
    assert len(ap.rejection_activities) == 1 and len(ap.resubmission_activities) == 1


def test_bundle_on_simulated_log(simulated):
    log, truth = simulated
    a = cspm.handoffs(log)
    assert a.summary()["ping_pong"]["tickets_with_ping_pong"] == int(truth["ping_pong"].sum())
    # Redundant steps = repetitions, self-loops and first events of ping-pong returns, each once. In
    # the simulator a return visit starts with a Transfer (the team that takes the ticket back
    # records it) after an earlier Transfer, so every return's first event is also a repetition
    # and the truth's repetitions + self-loops are exactly the redundant steps.
    pc = a.redundancy.per_case.merge(truth, left_on="case_id", right_on="ticket_id")
    assert len(pc) == len(truth)
    assert (pc["redundant_events"] == pc["rework_repetitions"] + pc["self_loops"]).all()
    assert (pc["events"] == pc["n_events"]).all()
    expected = (truth["rework_repetitions"].sum() + truth["self_loops"].sum()) / truth["n_events"].sum()
    assert a.redundancy.redundant_step_share == expected
    # the process loops: every transferred ticket runs Investigate → Transfer → Investigate, every
    # self-loop is an immediate second Investigate
    cycles = a.loops.cycles.set_index("length")
    assert cycles.loc[2, "tickets"].max() == int(truth["transferred"].sum())
    assert cycles.loc[1, "tickets"] == int((truth["self_loops"] > 0).sum())
    assert cycles.loc[1, "traversals"] == int(truth["self_loops"].sum())


# --------------------------------------------------------------------- Helpdesk, agent level
@pytest.fixture(scope="module")
def helpdesk_frame(helpdesk_log) -> pd.DataFrame:
    df = helpdesk_log.events.select("case_id", "activity", "timestamp", "source_row", "agent").to_pandas()
    return df.sort_values(["case_id", "timestamp", "source_row"], kind="stable").reset_index(drop=True)


def test_helpdesk_agent_handoffs_equal_pandas(helpdesk_log, helpdesk_frame):
    df = helpdesk_frame
    known = df[df["agent"].notna() & (df["agent"].str.strip() != "")]
    new_visit = (known["agent"] != known.groupby("case_id")["agent"].shift()).astype(int)
    visits = new_visit.groupby(known["case_id"]).sum()
    expected = (visits - 1).reindex(df["case_id"].unique(), fill_value=0).clip(lower=0)
    h = handoffs(helpdesk_log, "agent")
    got = h.per_case.set_index("case_id")["handoffs"]
    assert len(got) == 4_580
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()
    assert h.total == int(expected.sum()) and h.total > 0
    # pairs of consecutive visits by agent, counted in pandas
    seq = known[new_visit.astype(bool)]
    prev = seq.groupby("case_id")["agent"].shift()
    pairs = pd.DataFrame({"f": prev, "t": seq["agent"]}).dropna().value_counts()
    edges = {(r.from_unit, r.to_unit): r.handoffs for r in h.edges.itertuples()}
    assert edges == {k: int(v) for k, v in pairs.items()}


def test_helpdesk_repetitions_equal_pandas(helpdesk_log, helpdesk_frame):
    df = helpdesk_frame
    prev = df.groupby("case_id")["activity"].shift()
    work = df["activity"] != "Wait"  # the waiting step: its repeats are not rework
    self_loop = work & prev.eq(df["activity"])
    occurrence = df.groupby(["case_id", "activity"]).cumcount()
    repetition = work & (occurrence > 0) & ~self_loop
    original = df.groupby(["case_id", "activity"])["agent"].transform(lambda s: s.iloc[0])
    prev_agent = df.groupby("case_id")["agent"].shift()
    compared = original.where(repetition, prev_agent)
    redundant = repetition | self_loop
    repeat = redundant & df["agent"].notna() & compared.notna() & (df["agent"] == compared)
    redo = redundant & df["agent"].notna() & compared.notna() & (df["agent"] != compared)
    rw = rework(helpdesk_log)
    assert rw.not_counted == ["Wait"]
    s = rw.summary()
    assert s["repetitions"] == int(repetition.sum()) and s["repetitions"] > 0
    assert s["self_loops"] == int(self_loop.sum()) and s["self_loops"] > 0
    assert (s["repeats"], s["redos"]) == (int(repeat.sum()), int(redo.sum()))
    per_case = repetition.groupby(df["case_id"]).sum()
    got = rw.per_case.set_index("case_id")["repetitions"]
    assert got.sort_index().to_dict() == per_case.sort_index().astype(int).to_dict()
