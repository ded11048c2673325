"""Conformance: pm4py parity of the fitness figures, simulator ground truth, deviations, rules,
time budgets, model errors, report section and CLI."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cspm
from cspm.analysis.conformance import (
    ConformanceResult,
    ConformanceSummary,
    ModelError,
    ModelSummary,
    ReferenceModel,
    RulesSummary,
    TokenReplayFitness,
    check_conformance,
    check_rules,
    conformance,
    load_model,
)
from cspm.config import config_from_dict
from cspm.core.result import Result
from cspm.mining import pm4py as pmc
from cspm.simulate import SimulationSettings, simulate

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
H = pd.Timedelta(hours=1)
T0 = pd.Timestamp("2024-03-04 08:00", tz="UTC")


def _log(cases: dict[str, list[tuple[str, float]]]) -> cspm.TicketLog:
    rows = [
        {"case": cid, "act": act, "ts": T0 + hours * H}
        for cid, events in cases.items()
        for act, hours in events
    ]
    return cspm.read(pd.DataFrame(rows), case_id="case", activity="act", timestamp="ts")


# --- parity with pm4py on the Helpdesk log ------------------------------------------------------
@pytest.mark.parametrize("noise", [0.0, 0.2])
def test_token_replay_and_precision_equal_pm4py(helpdesk_log, helpdesk_pm4py, noise):
    import pm4py

    from cspm.mining import pm4py as _pm4py
    from cspm.mining.discovery import variants

    mined = _pm4py.inductive_model(variants(helpdesk_log).counts(), noise=noise)
    net, im, fm = mined.net, mined.initial_marking, mined.final_marking
    expected = pm4py.fitness_token_based_replay(helpdesk_pm4py, net, im, fm)
    result = conformance(helpdesk_log, model=mined, deviations=False)
    assert result.fitness == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert result.precision == pytest.approx(pm4py.precision_token_based_replay(helpdesk_pm4py, net, im, fm), abs=1e-12)
    assert result.tickets == 4_580 and len(result.variants) == 226
    # per-ticket fitness joined back: one row per case, share of fitting tickets as pm4py counts it
    cases = result.case_fitness()
    assert len(cases) == 4_580 and cases.case_id.is_unique
    assert cases.is_fit.mean() * 100 == pytest.approx(expected["percentage_of_fitting_traces"])
    assert cases.fitness.mean() == pytest.approx(expected["average_trace_fitness"])


def test_alignment_fitness_equals_pm4py(helpdesk_log, helpdesk_pm4py):
    """The whole Helpdesk log: its 226 variants align in a few seconds (the benchmark times it)."""
    import pm4py

    from cspm.mining import pm4py as _pm4py
    from cspm.mining.discovery import variants

    mined = _pm4py.inductive_model(variants(helpdesk_log).counts(), noise=0.2)
    expected = pm4py.fitness_alignments(helpdesk_pm4py, mined.net, mined.initial_marking, mined.final_marking,
                                        multi_processing=False)  # fmt: skip
    result = conformance(helpdesk_log, model=mined, method="alignments", time_limit=60, precision=False)
    assert result.unaligned.empty
    assert result.fitness == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert 0 < result.fitness["log_fitness"] < 1
    # deviations come from the same alignments: each non-fitting variant has at least one
    bad = result.variants[~result.variants.is_fit.astype(bool)]
    assert (bad.deviations != "").all() and len(bad) > 0


def test_rust4pm_alignments_give_pm4py_cost_and_fitness_per_variant(helpdesk_log):
    """The compiled aligner (r4pm) is the one used, and each variant gets the cost, best-worst cost and
    fitness of pm4py's own A* (the 40 longest Helpdesk variants, with loops and skips)."""
    from pm4py.algo.conformance.alignments.petri_net import algorithm as alignments

    from cspm.mining import pm4py as _pm4py
    from cspm.mining.discovery import variants

    mined = _pm4py.inductive_model(variants(helpdesk_log).counts(), noise=0.2)
    net, im, fm = mined.net, mined.initial_marking, mined.final_marking
    assert _pm4py._r4pm_net(net, im, fm) is not None  # a dependency: never a silent fallback here
    seqs = sorted(variants(helpdesk_log).counts(), key=lambda v: (-len(v), v))[:40]
    ours = _pm4py.align_variants(net, im, fm, seqs, time_limit=60, workers=1)
    bwc = _pm4py.best_worst_cost(net, im, fm)
    params = {alignments.Parameters.BEST_WORST_COST_INTERNAL: bwc}
    theirs = [alignments.apply_trace(_pm4py._event_log([s])[0], net, im, fm, parameters=params) for s in seqs]
    assert [r.status for r in ours] == ["aligned"] * 40
    assert [(r.cost, r.bwc, r.fitness) for r in ours] == [(a["cost"], a["bwc"], a["fitness"]) for a in theirs]
    assert any(r.fitness < 1 for r in ours) and any(r.fitness == 1 for r in ours)


# --- the simulated process against its to-be model ----------------------------------------------
@pytest.fixture(scope="module")
def simulated():
    df, truth = simulate(SimulationSettings(n_tickets=800, seed=11))
    c = truth.cases
    injected = set(c.loc[c.skipped_first_response | (c.approval_rounds > 1) | c.reopened, "ticket_id"])
    return cspm.read(df), truth, injected


@pytest.mark.parametrize("model", ["to_be.yaml", "to_be.bpmn"])
@pytest.mark.parametrize("method", ["token_replay", "alignments"])
def test_injected_deviations_are_exactly_the_non_fitting_tickets(simulated, model, method):
    log, truth, injected = simulated
    result = conformance(log, model=SAMPLES / model, method=method)
    assert 0 < len(injected) < 800
    assert set(result.ticket_ids()) == injected
    assert result.fitting_tickets == 800 - len(injected)
    c = truth.cases
    # the skipped step is the first response, for exactly the tickets that skipped it
    skipped = result.skipped.set_index("step")
    assert skipped.loc["First response", "tickets"] == int(c.skipped_first_response.sum())
    inserted = result.inserted
    reopen = inserted[inserted.step == "Reopen ticket"]
    assert reopen.tickets.sum() == int(c.reopened.sum())
    assert set(reopen.before) == {"Close ticket"}
    unexpected = result.unexpected.set_index("step").tickets
    assert unexpected["Reopen ticket"] == int(c.reopened.sum())
    assert unexpected["Reject"] == unexpected["Resubmit request"] == int((c.approval_rounds > 1).sum())


def test_yaml_and_bpmn_models_agree(simulated):
    log, _, _ = simulated
    a = conformance(log, model=SAMPLES / "to_be.yaml", deviations=False)
    b = conformance(log, model=SAMPLES / "to_be.bpmn", deviations=False)
    assert load_model(SAMPLES / "to_be.yaml").activities == load_model(SAMPLES / "to_be.bpmn").activities
    assert a.fitting_share == b.fitting_share
    assert a.precision == pytest.approx(b.precision)


# --- exact figures on a hand-made log ------------------------------------------------------------
def test_hand_log_fitness_deviations_and_lead_times():
    log = _log({
        "c1": [("A", 0), ("B", 1), ("C", 2)],  # fits, lead time 2 h
        "c2": [("A", 0), ("B", 1), ("C", 2)],  # fits, 2 h
        "c3": [("A", 0), ("C", 5)],  # skips B, 5 h
        "c4": [("A", 0), ("B", 1), ("X", 2), ("C", 10)],  # X inserted between B and C, 10 h
    })  # fmt: skip
    spec = {"name": "abc", "steps": ["A", "B", "C"]}
    r = conformance(log, model=spec, method="alignments")
    # pm4py alignment fitness: 1 - cost / (trace length + shortest model path), here 1 deviation each
    fit = r.case_fitness().set_index("case_id").fitness
    assert fit.to_dict() == pytest.approx({"c1": 1.0, "c2": 1.0, "c3": 1 - 1 / (2 + 3), "c4": 1 - 1 / (4 + 3)})
    assert r.fitness["percentage_of_fitting_traces"] == 50.0
    assert r.fitness["log_fitness"] == pytest.approx(1 - 2 / (2 * 6 + 5 + 7))
    assert r.conforming_lead_time_median == 2 * 3600
    s = r.skipped.iloc[0]
    assert (s.step, s.tickets, s.lead_time_median_seconds, s.lead_time_difference_seconds) == ("B", 1, 5 * 3600, 3 * 3600)
    i = r.inserted.iloc[0]
    assert (i.step, i.before, i.after, i.tickets, i.lead_time_difference_seconds) == ("X", "B", "C", 1, 8 * 3600)
    assert r.unexpected[["step", "tickets", "lead_time_difference_seconds"]].values.tolist() == [["X", 1, 8 * 3600]]
    assert r.unknown_steps == ["X"] and r.unseen_steps == []
    typo = conformance(log, model={"steps": ["A", "b", "C"]}, deviations=False)
    assert typo.unseen_steps == ["b"] and "Model steps that no ticket has" in typo._repr_html_()
    assert r.ticket_ids() == ["c3", "c4"]
    # token replay agrees on which tickets fit, and its deviations come from aligning c3 and c4
    t = conformance(log, model=spec)
    assert t.ticket_ids() == ["c3", "c4"]
    assert list(t.skipped.step) == ["B"] and list(t.inserted.step) == ["X"]


def test_rules_on_hand_log():
    log = _log({
        "c1": [("Created", 0), ("Respond", 0.5), ("Resolve", 2), ("Close", 3)],
        "c2": [("Created", 0), ("Resolve", 1), ("Respond", 2), ("Close", 3)],
        "c3": [("Created", 0), ("Approve", 1), ("Approve", 2), ("Close", 3)],
        "c4": [("Created", 0), ("Respond", 5)],
    })  # fmt: skip
    cfg = config_from_dict({"rules": [
        {"rule": "at_most", "activity": "Approve", "name": "approval at most once"},
        {"rule": "before", "first": "Resolve", "then": "Close"},
        {"rule": "before", "first": "Respond", "then": "Resolve"},
        {"rule": "within", "activity": "Respond", "after": "Created", "within": "1h"},
    ]})  # fmt: skip
    r = check_rules(log, cfg.rules)
    t = r.table().set_index("rule")
    assert t.loc["approval at most once", ["applies", "violations"]].tolist() == [4, 1]
    assert t.loc["no Close without an earlier Resolve", ["applies", "violations"]].tolist() == [3, 1]
    assert t.loc["no Resolve without an earlier Respond", ["applies", "violations"]].tolist() == [2, 1]
    assert r.violating_ticket_ids("approval at most once") == ["c3"]
    assert r.violating_ticket_ids("no Close without an earlier Resolve") == ["c3"]
    assert r.violating_ticket_ids("no Resolve without an earlier Respond") == ["c2"]
    within = r.violations[r.violations.rule == "Respond within 1.0 h of Created"].set_index("case_id").detail
    assert within.index.tolist() == ["c2", "c3", "c4"]
    assert within["c2"] == 7200 and within["c4"] == 18000 and pd.isna(within["c3"])
    # rules ride along with the conformance result and land in its summary
    res = conformance(log, cfg, model={"steps": ["Created", "Respond", "Resolve", "Close"]}, deviations=False)
    assert [x["violations"] for x in res.summary()["rules"]] == [1, 1, 1, 3]


# --- bounded alignments ---------------------------------------------------------------------------
def test_tiny_budget_reports_unaligned_variants(helpdesk_log):
    model = ReferenceModel.from_log(helpdesk_log, noise=0.0)
    start = time.perf_counter()
    r = conformance(helpdesk_log, model=model, method="alignments", time_limit=0.002, precision=False)
    elapsed = time.perf_counter() - start
    assert len(r.unaligned) > 0 and set(r.unaligned.status) == {"timeout"}
    # pm4py checks the limit between search steps; the parent stops a variant at limit + 1 s grace
    assert (r.unaligned.seconds <= 0.002 + 1.0 + 0.3).all()
    assert elapsed < 30
    assert len(r.unaligned) + int((r.variants.status == "aligned").sum()) == len(r.variants)
    s = r.summary()
    assert s["unaligned_tickets"] == int(r.unaligned["count"].sum()) > 0
    html = r._repr_html_()
    assert "Not aligned within the time limit" in html and f"{len(r.unaligned)} variant(s)" in html
    from cspm.pipeline import build_report

    report = build_report(helpdesk_log, [r]).render()
    assert 'id="conformance"' in report and "Not aligned within the time limit" in report
    first = r.unaligned.iloc[0]
    assert " → ".join(first.activities) in report
    assert set(r.ticket_ids()) >= set(
        r.case_fitness().loc[lambda d: d.status == "timeout", "case_id"]
    )


def _never_returns(index, variant, time_limit):  # a worker that ignores its budget
    time.sleep(120)


def test_a_hanging_worker_is_stopped(monkeypatch):
    net, im, fm = pmc.net_from_tree(pmc.parse_tree("->('a', 'b')"))
    monkeypatch.setattr(pmc, "_align_one", _never_returns)
    start = time.perf_counter()
    out = pmc.align_variants(net, im, fm, [("a", "b"), ("b", "a")], time_limit=0.5, workers=2, grace=0.5)
    assert time.perf_counter() - start < 20
    assert [o.status for o in out] == ["timeout", "timeout"]


# --- models: sources and errors -----------------------------------------------------------------
def test_happy_path_fitting_tickets_equal_pm4py(helpdesk_log, helpdesk_pm4py):
    """The happy path of the top 3 variants, rebuilt with pm4py alone: pm4py mines its own top 3
    variants, and the tickets that conform are those pm4py's replay fits among the tickets with no
    step unknown to the model (pm4py's token replay ignores unknown steps)."""
    import pm4py

    happy = ReferenceModel.happy_path(helpdesk_log, top=3)
    r = conformance(helpdesk_log, model=happy, deviations=False)
    df = helpdesk_pm4py
    top = pm4py.filter_variants_top_k(df, 3)
    assert top["case:concept:name"].nunique() == 2_366 + 552 + 228
    assert set(happy.activities) == set(top["concept:name"])
    net, im, fm = pm4py.convert_to_petri_net(pm4py.discover_process_tree_inductive(top, noise_threshold=0.0))
    with_unknown = df.loc[~df["concept:name"].isin(set(happy.activities)), "case:concept:name"].unique()
    known_only = df[~df["case:concept:name"].isin(with_unknown)]
    fits = sum(t["trace_is_fit"] for t in pm4py.conformance_diagnostics_token_based_replay(known_only, net, im, fm))
    assert r.fitting_tickets == fits == 3_258
    assert r.fitting_share == 3_258 / 4_580 and r.tickets == 4_580
    # pm4py's own share counts the 180 fitting tickets with unknown steps too
    everything = pm4py.fitness_token_based_replay(df, net, im, fm)
    assert r.fitness == pytest.approx(everything, rel=1e-12, abs=1e-12)
    assert r.fitness["percentage_of_fitting_traces"] == pytest.approx(100 * (3_258 + 180) / 4_580)


def test_other_model_sources(helpdesk_log, tmp_path):
    from cspm.mining.discovery import variants

    tree = load_model("->('Assign seriousness', 'Take in charge ticket', 'Resolve ticket', 'Closed')")
    assert tree.kind == "tree" and len(tree.activities) == 4
    from cspm.mining import pm4py as _pm4py

    mined = _pm4py.inductive_model(variants(helpdesk_log).counts(), noise=0.2)
    pnml = mined.save_pnml(tmp_path / "m.pnml")
    a = conformance(helpdesk_log, model=pnml, deviations=False, precision=False)
    b = conformance(helpdesk_log, model=mined, deviations=False, precision=False)
    assert a.fitness == pytest.approx(b.fitness)


BPMN_HEAD = (
    '<?xml version="1.0"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
    '<process id="p">'
)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ('<startEvent id="s"/><task id="t1"/><endEvent id="e"/><sequenceFlow id="f1" sourceRef="s" targetRef="t1"/>'
         '<sequenceFlow id="f2" sourceRef="t1" targetRef="e"/>', "task without a name"),
        ('<startEvent id="s"/><task id="t1" name="A"/><endEvent id="e"/><sequenceFlow id="f1" sourceRef="s" targetRef="t1"/>'
         '<sequenceFlow id="f2" sourceRef="t1" targetRef="nowhere"/>', "'nowhere' names no task"),
        ('<startEvent id="s"/><task id="t1" name="A"/><task id="t2" name="B"/><endEvent id="e"/>'
         '<sequenceFlow id="f1" sourceRef="s" targetRef="t1"/><sequenceFlow id="f2" sourceRef="t1" targetRef="e"/>',
         "cannot be reached"),
        ('<startEvent id="s"/><parallelGateway id="g1"/><task id="a" name="A"/><task id="b" name="B"/>'
         '<exclusiveGateway id="g2"/><endEvent id="e"/><sequenceFlow id="f1" sourceRef="s" targetRef="g1"/>'
         '<sequenceFlow id="f2" sourceRef="g1" targetRef="a"/><sequenceFlow id="f3" sourceRef="g1" targetRef="b"/>'
         '<sequenceFlow id="f4" sourceRef="a" targetRef="g2"/><sequenceFlow id="f5" sourceRef="b" targetRef="g2"/>'
         '<sequenceFlow id="f6" sourceRef="g2" targetRef="e"/>', "BPMN elements 'a', 'b', 'g2'"),
    ],
)  # fmt: skip
def test_bad_bpmn_names_file_and_element(tmp_path, body, needle):
    path = tmp_path / "bad.bpmn"
    path.write_text(BPMN_HEAD + body + "</process></definitions>")
    with pytest.raises(ModelError) as err:
        load_model(path)
    assert str(path) in str(err.value) and needle in str(err.value)


def test_bad_files_and_specs(tmp_path):
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<definitions><process>")
    with pytest.raises(ModelError, match=r"broken\.bpmn.*line 1.*not well-formed"):
        load_model(broken)
    spec = tmp_path / "spec.yaml"
    spec.write_text("steps:\n  - A\n  - choice: [B]\n")
    with pytest.raises(ModelError, match=r"spec\.yaml.*steps\[1\]\.choice"):
        load_model(spec)
    spec.write_text("steps:\n  - A\n  - {step: B, optinal: true}\n")
    with pytest.raises(ModelError, match=r"steps\[1\]\.optinal: unknown key"):
        load_model(spec)
    spec.write_text("steps:\n  - A\n  - B\n  - A\n")
    with pytest.raises(ModelError, match="'A' appears more than once"):
        load_model(spec)
    with pytest.raises(ModelError, match="unknown model format .txt"):
        load_model(tmp_path / "model.txt")
    with pytest.raises(ModelError, match=r"not a process tree.*Expected pm4py's notation"):
        load_model("->('a' 'b')")


# --- report section, escaping, CLI -----------------------------------------------------------------
def test_section_escapes_names_and_draws_deviations():
    log = _log({"c1": [("A", 0), ("<b>x</b>", 1), ("C", 2)], "c2": [("A", 0), ("C", 1)]})
    r = conformance(log, model={"steps": ["A", {"step": "B & co", "optional": True}, "C"]}, method="alignments")
    ctx = r.section_context()
    assert ctx["section_id"] == r.section_id == "conformance" and r.section_template == "section_conformance.html.j2"
    html = r._repr_html_()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    dot = r.model.to_dot(r)
    assert "dashed" not in dot.split("+ ")[0] or "skipped" not in dot  # B & co is optional, never skipped
    assert '"+ <b>x</b>\\nunexpected in 1 tickets (50.0%)"' in dot
    assert "<svg" in ctx["svg"] and "<b>x" not in ctx["svg"]


def test_cli_json(tmp_path, simulated):
    from cspm.cli import app

    log, _, injected = simulated
    csv = tmp_path / "log.csv"
    log.to_csv(str(csv))
    runner = CliRunner()
    res = runner.invoke(app, ["conformance", str(csv), "--model", str(SAMPLES / "to_be.bpmn"), "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["tickets"] == 800 and data["fitting_tickets"] == 800 - len(injected)
    assert data["skipped_steps"][0]["step"] == "First response"
    bad = runner.invoke(app, ["conformance", str(csv), "--model", str(tmp_path / "nope.yaml")])
    assert isinstance(bad.exception, ModelError) and "no such file" in str(bad.exception)


def test_no_conforming_ticket_still_reports():
    log = _log({"c1": [("A", 0), ("C", 1)], "c2": [("C", 0), ("A", 2)]})
    r = conformance(log, model={"steps": ["A", "B", "C"]})
    assert r.fitting_tickets == 0 and r.conforming_lead_time_median is None
    assert r.skipped.set_index("step").loc["B", "tickets"] == 2
    assert r.skipped.lead_time_difference_seconds.isna().all()
    html = r._repr_html_()
    assert "0.0% of 2 tickets follow the intended process" in html
    assert json.loads(json.dumps(r.summary()))["fitting_share"] == 0.0


# --- one result model, one API (issue 10) ---------------------------------------------------------
HAND = {
    "c1": [("A", 0), ("B", 1), ("C", 2)],
    "c2": [("A", 0), ("B", 1), ("C", 2)],
    "c3": [("A", 0), ("C", 5)],
    "c4": [("A", 0), ("B", 1), ("X", 2), ("C", 10)],
}
HAND_RULES = {"rules": [{"rule": "at_most", "activity": "B", "times": 0, "name": "never B"}]}


@pytest.fixture(scope="module")
def hand_result() -> ConformanceResult:
    return conformance(_log(HAND), config_from_dict(HAND_RULES), model={"name": "abc", "steps": ["A", "B", "C"]})


def _results(r: ConformanceResult) -> dict[str, Result]:
    return {"conformance": r, "model": r.model, "rules": r.rules}


@pytest.mark.parametrize("kind", ["conformance", "model", "rules"])
def test_every_conformance_result_is_a_result(hand_result, kind, tmp_path):
    res = _results(hand_result)[kind]
    assert isinstance(res, Result)
    data = json.loads(json.dumps(res.summary()))
    record = {"conformance": ConformanceSummary, "model": ModelSummary, "rules": RulesSummary}[kind]
    assert record.model_validate(data).model_dump(mode="json") == data  # the summary is the typed record
    table = res.to_pandas()
    assert len(table) > 0
    first = table.columns[0]
    table[first] = "changed"
    assert not (res.to_pandas()[first] == "changed").any()  # a copy
    assert f'id="{res.section_id}"' in res._repr_html_()
    for suffix in (".html", ".json", ".csv", ".parquet", ".xlsx"):
        path = res.save(tmp_path / f"{kind}{suffix}")
        assert path.stat().st_size > 0, suffix
    whole = res.summary(None) if kind != "model" else res.summary()  # .json: every row, every ticket id
    assert json.loads((tmp_path / f"{kind}.json").read_text("utf-8")) == json.loads(json.dumps(whole))
    assert pd.read_csv(tmp_path / f"{kind}.csv").shape == res.to_pandas().shape
    with pytest.raises(cspm.CspmError, match=r"\.txt"):
        res.save(tmp_path / f"{kind}.txt")


def test_records_hold_the_figures(hand_result):
    r = hand_result
    assert isinstance(r.fitness_figures, TokenReplayFitness)
    assert r.fitness == r.fitness_figures.model_dump() and r.fitness["log_fitness"] == r.log_fitness
    s = r.summary()
    assert (s["tickets"], s["fitting_tickets"], s["fitting_share"], s["variants"]) == (4, 2, 0.5, 3)
    assert s["skipped_steps"][0]["step"] == "B" and s["skipped_steps"][0]["tickets"] == 1
    assert s["inserted_steps"][0] | {} == {
        "step": "X", "before": "B", "after": "C", "tickets": 1, "variants": 1, "share": 0.25,
        "lead_time_median_seconds": 10 * 3600.0, "conforming_lead_time_median_seconds": 2 * 3600.0, "lead_time_difference_seconds": 8 * 3600.0,
        "examples": ["c4"],  # the ticket that has the inserted step
    }  # fmt: skip
    assert s["rules"] == [{"rule": "never B", "kind": "at_most", "applies": 4, "violations": 3, "share": 0.75,
                           "violating_ticket_ids": ["c1", "c2", "c4"]}]  # fmt: skip
    assert s["model"]["steps"] == ["A", "B", "C"] and s["model"]["kind"] == "spec"
    assert r.model.table().to_dict("list") == {
        "step": ["A", "B", "C"], "transitions": [1, 1, 1], "may_start": [True, False, False], "may_end": [False, False, True],
    }  # fmt: skip
    assert r.ticket_ids() == ["c3", "c4"] and r.ticket_ids(conforming=True) == ["c1", "c2"]
    assert r.rules.violating_ticket_ids("never B") == ["c1", "c2", "c4"]


def test_old_names_are_deprecated_aliases(hand_result):
    log = _log(HAND)
    cfg = config_from_dict(HAND_RULES)
    with pytest.warns(DeprecationWarning, match="use cspm.conformance"):
        old = check_conformance(log, {"name": "abc", "steps": ["A", "B", "C"]}, "alignments", rules=cfg.rules)
    new = conformance(log, cfg, model={"name": "abc", "steps": ["A", "B", "C"]}, method="alignments")
    assert old.fitness == new.fitness and old.summary()["rules"] == new.summary()["rules"]
    assert old.summary()["skipped_steps"] == new.summary()["skipped_steps"]
    assert cspm.check_conformance is check_conformance and cspm.conformance is conformance
    with pytest.warns(DeprecationWarning, match="ticket_ids"):
        assert hand_result.non_fitting_cases() == hand_result.ticket_ids()
    with pytest.warns(DeprecationWarning, match="violating_ticket_ids"):
        assert hand_result.rules.violating_tickets("never B") == ["c1", "c2", "c4"]


def test_model_from_the_config(tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "to_be.yaml").write_text("name: abc\nsteps: [A, B, C]\n", encoding="utf-8")
    (folder / "cspm.yaml").write_text("conformance:\n  model: to_be.yaml\n", encoding="utf-8")
    cfg = cspm.load_config(folder / "cspm.yaml")
    assert cfg.conformance.model == folder / "to_be.yaml"  # relative to the config file, not the cwd
    log = _log(HAND)
    r = conformance(log, folder / "cspm.yaml")
    assert r.model.name == "abc" and r.fitting_tickets == 2
    assert conformance(log, cfg, model={"steps": ["A", "C"]}).model.activities == ["A", "C"]  # model= wins
    with pytest.raises(ModelError, match="no reference model: pass model="):
        conformance(log)
    (folder / "cspm.yaml").write_text("conformance:\n  model: gone.bpmn\n", encoding="utf-8")
    with pytest.raises(ModelError, match=r"gone\.bpmn: conformance\.model in the config names no such file"):
        conformance(log, folder / "cspm.yaml")
    with pytest.raises(cspm.ConfigError, match="conformance.modell"):
        config_from_dict({"conformance": {"modell": "x.bpmn"}})
    with pytest.raises(ValueError, match="method must be 'token_replay' or 'alignments', got 'replay'"):
        conformance(log, model={"steps": ["A"]}, method="replay")


def test_cli_model_from_the_config_and_save_suffix(tmp_path):
    from cspm.cli import app

    log = _log(HAND)
    csv = tmp_path / "log.csv"
    log.to_csv(str(csv))
    (tmp_path / "to_be.yaml").write_text("name: abc\nsteps: [A, B, C]\n", encoding="utf-8")
    (tmp_path / "cspm.yaml").write_text("conformance:\n  model: to_be.yaml\n", encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["conformance", str(csv), "--config", str(tmp_path / "cspm.yaml"), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["fitting_tickets"] == 2
    res = runner.invoke(app, ["conformance", str(csv)])
    assert isinstance(res.exception, cspm.InputError) and "no to-be model" in str(res.exception)
    res = runner.invoke(app, ["conformance", str(csv), "--model", str(tmp_path / "to_be.yaml"), "--save", str(tmp_path / "x.txt")])
    assert isinstance(res.exception, cspm.InputError) and "--save cannot write a '.txt' file" in str(res.exception)
    assert "Expected one of .json, .csv, .parquet, .xlsx, .html" in str(res.exception)


NASTY = ["A & B", 'say "hi"', "back\\slash", "<script>alert(1)</script>", "中文步骤"]


def test_model_drawing_shows_names_literally():
    """Steps with &, quotes, a backslash, markup and Chinese, in the DOT source, the SVG and the HTML."""
    from lxml import etree

    a, b, c, d, e = NASTY
    log = _log({"t1": [(a, 0), (b, 1), (c, 2), (d, 3), (e, 4)], "t2": [(a, 0), (c, 1), (d, 2), ("x&y<z>", 3), (e, 4)]})
    r = conformance(log, model={"steps": NASTY}, method="alignments")
    dot = r.model.to_dot(r)
    assert 'label="A &amp; B"' in dot and '"say \\"hi\\"\\nskipped by 1 tickets (50.0%)"' in dot
    assert 'label="back\\\\slash"' in dot and '"+ x&amp;y<z>\\nunexpected in 1 tickets (50.0%)"' in dot
    svg = r.svg()
    texts = [t.text for t in etree.fromstring(svg.encode()).iter("{http://www.w3.org/2000/svg}text")]
    for name in [a, c, d, e, "+ x&y<z>"]:
        assert name in texts, (name, texts)
    assert 'say "hi"' in texts and "skipped by 1 tickets (50.0%)" in texts
    html = r._repr_html_() + r.model._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "中文步骤" in html


def test_case_table_is_built_once_per_log():
    log = _log(HAND)
    conformance(log, model={"steps": ["A", "B", "C"]})
    conformance(log, model={"steps": ["A", "C"]}, method="alignments")
    assert log.derived.builds["case_table"] == 1


def test_reference_model_saves_its_drawing_and_net(tmp_path):
    model = load_model(SAMPLES / "to_be.bpmn")
    pnml = model.save(tmp_path / "to_be.pnml")
    again = load_model(pnml)
    assert again.activities == model.activities and again.kind == "pnml"
    assert model.save(tmp_path / "to_be.svg").read_text("utf-8").lstrip().startswith("<svg")
    assert model.save(tmp_path / "to_be.dot").read_text("utf-8").startswith("digraph model {")


def test_model_drawing_is_the_same_every_run():
    """The step graph used to follow Python's set order, which changes with the string hash seed."""
    import subprocess
    import sys

    code = ("from cspm.analysis.conformance import load_model; "
            "print(load_model(\"->('a', X('b', 'c', 'd'), +('e', 'f'), 'g')\").to_dot())")  # fmt: skip
    runs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout  # fmt: skip
        for seed in ("1", "2")
    }
    assert len(runs) == 1 and "digraph model {" in runs.pop()
