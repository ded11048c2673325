"""Conformance: pm4py parity of the fitness figures, simulator ground truth, deviations, rules,
time budgets, model errors, report section and CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cspm
from cspm.analysis.conformance.check import (
    ModelError,
    ReferenceModel,
    check_conformance,
    check_rules,
    load_model,
)
from cspm.config import config_from_dict
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
    result = check_conformance(helpdesk_log, mined, deviations=False)
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
    result = check_conformance(helpdesk_log, mined, method="alignments", time_limit=60, precision=False)
    assert result.unaligned.empty
    assert result.fitness == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert 0 < result.fitness["log_fitness"] < 1
    # deviations come from the same alignments: each non-fitting variant has at least one
    bad = result.variants[~result.variants.is_fit.astype(bool)]
    assert (bad.deviations != "").all() and len(bad) > 0


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
    result = check_conformance(log, SAMPLES / model, method=method)
    assert 0 < len(injected) < 800
    assert set(result.non_fitting_cases()) == injected
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
    a = check_conformance(log, SAMPLES / "to_be.yaml", deviations=False)
    b = check_conformance(log, SAMPLES / "to_be.bpmn", deviations=False)
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
    r = check_conformance(log, spec, method="alignments")
    # pm4py alignment fitness: 1 - cost / (trace length + shortest model path), here 1 deviation each
    fit = r.case_fitness().set_index("case_id").fitness
    assert fit.to_dict() == pytest.approx({"c1": 1.0, "c2": 1.0, "c3": 1 - 1 / (2 + 3), "c4": 1 - 1 / (4 + 3)})
    assert r.fitness["percentage_of_fitting_traces"] == 50.0
    assert r.fitness["log_fitness"] == pytest.approx(1 - 2 / (2 * 6 + 5 + 7))
    assert r.conforming_lead_time_median == 2 * 3600
    s = r.skipped.iloc[0]
    assert (s.step, s.tickets, s.lead_time_median, s.lead_time_difference) == ("B", 1, 5 * 3600, 3 * 3600)
    i = r.inserted.iloc[0]
    assert (i.step, i.before, i.after, i.tickets, i.lead_time_difference) == ("X", "B", "C", 1, 8 * 3600)
    assert r.unexpected[["step", "tickets", "lead_time_difference"]].values.tolist() == [["X", 1, 8 * 3600]]
    assert r.unknown_steps == ["X"] and r.unseen_steps == []
    typo = check_conformance(log, {"steps": ["A", "b", "C"]}, deviations=False)
    assert typo.unseen_steps == ["b"] and "Model steps that no ticket has" in typo._repr_html_()
    assert r.non_fitting_cases() == ["c3", "c4"]
    # token replay agrees on which tickets fit, and its deviations come from aligning c3 and c4
    t = check_conformance(log, spec)
    assert t.non_fitting_cases() == ["c3", "c4"]
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
    t = r.table.set_index("rule")
    assert t.loc["approval at most once", ["applies", "violations"]].tolist() == [4, 1]
    assert t.loc["no Close without an earlier Resolve", ["applies", "violations"]].tolist() == [3, 1]
    assert t.loc["no Resolve without an earlier Respond", ["applies", "violations"]].tolist() == [2, 1]
    assert r.violating_tickets("approval at most once") == ["c3"]
    assert r.violating_tickets("no Close without an earlier Resolve") == ["c3"]
    assert r.violating_tickets("no Resolve without an earlier Respond") == ["c2"]
    within = r.violations[r.violations.rule == "Respond within 1.0 h of Created"].set_index("case_id").detail
    assert within.index.tolist() == ["c2", "c3", "c4"]
    assert within["c2"] == 7200 and within["c4"] == 18000 and pd.isna(within["c3"])
    # rules ride along with the conformance result and land in its summary
    res = check_conformance(log, {"steps": ["Created", "Respond", "Resolve", "Close"]}, rules=cfg, deviations=False)
    assert [x["violations"] for x in res.summary()["rules"]] == [1, 1, 1, 3]


# --- bounded alignments ---------------------------------------------------------------------------
def test_tiny_budget_reports_unaligned_variants(helpdesk_log):
    model = ReferenceModel.from_log(helpdesk_log, noise=0.0)
    start = time.perf_counter()
    r = check_conformance(helpdesk_log, model, method="alignments", time_limit=0.002, precision=False)
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
    assert set(r.non_fitting_cases()) >= set(
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
    r = check_conformance(helpdesk_log, happy, deviations=False)
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
    a = check_conformance(helpdesk_log, pnml, deviations=False, precision=False)
    b = check_conformance(helpdesk_log, mined, deviations=False, precision=False)
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
    r = check_conformance(log, {"steps": ["A", {"step": "B & co", "optional": True}, "C"]}, method="alignments")
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
    r = check_conformance(log, {"steps": ["A", "B", "C"]})
    assert r.fitting_tickets == 0 and r.conforming_lead_time_median is None
    assert r.skipped.set_index("step").loc["B", "tickets"] == 2
    assert r.skipped.lead_time_difference.isna().all()
    html = r._repr_html_()
    assert "0.0% of 2 tickets follow the intended process" in html
    assert json.loads(json.dumps(r.summary()))["fitting_share"] == 0.0
