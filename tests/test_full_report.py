"""`cspm discover --config --model`: the full diagnosis report, every section present; conformance
only against the to-be model the user gives, with the figures of `cspm conformance`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cspm
from cspm.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"
LOG, TO_BE, CONFIG = SAMPLES / "tickets_en.csv", SAMPLES / "to_be.bpmn", SAMPLES / "cspm.example.yaml"
runner = CliRunner()


def section_ids(out: Path) -> list[str]:
    return re.findall(r'<section class="cspm-section" id="(\w+)"', (out / "report.html").read_text("utf-8"))


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("full") / "out"
    result = runner.invoke(app, ["discover", str(LOG), "--config", str(CONFIG), "--model", str(TO_BE), "--out", str(out)],
                           env={"COLUMNS": "160"})  # fmt: skip
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.fixture(scope="module")
def conformance_cli() -> dict:
    """What `cspm conformance` reports for the same log and model."""
    result = runner.invoke(app, ["conformance", str(LOG), "--model", str(TO_BE), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_discover_with_config_and_model_writes_the_full_diagnosis(full):
    out, output = full
    # the findings are printed under the summary table too
    assert "• Worst bottleneck: Assign L2" in output
    assert "bounce between teams" in output
    assert section_ids(out) == [
        "overview", "maps", "model", "variants", "transitions", "quality",
        "waiting", "value_stream", "kpis", "trends", "service_desk", "handoffs", "conformance",
    ]  # fmt: skip
    html = (out / "report.html").read_text(encoding="utf-8")
    # the simulated bottleneck leads the ranking, the ping-pong pair is named
    assert "Worst bottleneck: Assign L2" in html
    assert "Tech Support" in html and "Billing" in html


def test_conformance_is_to_the_given_model_with_the_figures_of_cspm_conformance(full, conformance_cli):
    out, output = full
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    conf = summary["conformance"]
    assert conf["model"] == {"name": "to_be", "kind": "bpmn", "file": "to_be.bpmn"}
    assert conf["method"] == "token_replay"
    # exactly what `cspm conformance` reports for the same log and model
    assert conf["fitness"] == conformance_cli["fitness"]
    assert conf["precision"] == conformance_cli["precision"]
    for key in ("tickets", "fitting_tickets", "fitting_share", "unknown_steps"):
        assert conf[key] == conformance_cli[key], key
    # and what the library gives
    lib = cspm.check_conformance(cspm.read(LOG), TO_BE)
    assert conf["fitness"] == lib.fitness and (conf["tickets"], conf["fitting_tickets"]) == (lib.tickets, lib.fitting_tickets)
    # the figures of this log: 2,000 tickets, 1,730 fit (86.5%); the simulator's reopen/reject loops are not in the model
    assert (conf["tickets"], conf["fitting_tickets"], conf["fitting_share"]) == (2_000, 1_730, 0.865)
    assert conf["unknown_steps"] == ["Reject", "Reopen ticket", "Resubmit request"]
    # the mined model keeps its own entry
    assert summary["model"]["miner"] == "inductive" and summary["model"]["visible_transitions"] == 16
    # the report section names the model's file and shows the same figures
    html = (out / "report.html").read_text(encoding="utf-8")
    section = html[html.index('id="conformance"'):]
    assert "Reference model: to_be (bpmn, file to_be.bpmn)" in section
    log_fitness = conformance_cli["fitness"]["log_fitness"]
    assert f'<td>Log fitness</td><td class="num">{log_fitness:.4f}</td>' in section
    assert '<td>Fitting tickets</td><td class="num">1,730 (86.5%)</td>' in section
    assert f"86.5% of 2,000 tickets follow the intended process (to_be); log fitness {log_fitness:.3f}." in section
    assert f"86.5% fit to_be.bpmn; log fitness {log_fitness:.4f}" in output


def test_the_fitness_is_pm4pys_token_replay_on_the_same_log():
    """Independent computation: pm4py's token replay on the sample log (events in file order per case)."""
    import pm4py

    src = pd.read_csv(LOG, dtype={"ticket_id": object, "activity": object})
    df = pd.DataFrame({"case:concept:name": src["ticket_id"], "concept:name": src["activity"],
                       "time:timestamp": pd.to_datetime(src["timestamp"], utc=True, format="ISO8601")})  # fmt: skip
    df = df.sort_values(["case:concept:name", "time:timestamp"], kind="stable").reset_index(drop=True)
    net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(str(TO_BE)))
    expected = pm4py.fitness_token_based_replay(df, net, im, fm)
    result = runner.invoke(app, ["conformance", str(LOG), "--model", str(TO_BE), "--format", "json", "--no-deviations"])
    assert result.exit_code == 0, result.output
    fitness = json.loads(result.stdout)["fitness"]
    assert fitness["log_fitness"] == pytest.approx(expected["log_fitness"], rel=1e-12)
    assert fitness["percentage_of_fitting_traces"] == pytest.approx(expected["percentage_of_fitting_traces"], rel=1e-12)


def test_without_model_there_is_no_conformance(tmp_path):
    """The default run used to check the log against its own mined model ("conformance" section)."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["discover", str(LOG), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert section_ids(out) == ["overview", "maps", "model", "variants", "transitions", "quality", "value_stream", "kpis", "trends",
                               "service_desk", "handoffs"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["conformance"] is None
    assert "conformance" not in result.output


def test_no_diagnosis_gives_the_discovery_report_only(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["discover", str(LOG), "--no-diagnosis", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert section_ids(out) == ["overview", "maps", "model", "variants", "transitions", "quality"]


def test_model_without_diagnosis_gives_conformance_only(tmp_path):
    out = tmp_path / "out"
    spec = SAMPLES / "to_be.yaml"
    result = runner.invoke(app, ["discover", str(LOG), "--no-diagnosis", "--model", str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert section_ids(out) == ["overview", "maps", "model", "variants", "transitions", "quality", "conformance"]
    conf = json.loads((out / "summary.json").read_text(encoding="utf-8"))["conformance"]
    lib = cspm.check_conformance(cspm.read(LOG), spec)
    assert conf["model"] == {"name": lib.model.name, "kind": "spec", "file": "to_be.yaml"}
    assert conf["fitness"] == lib.fitness


def test_missing_model_is_an_error_before_any_work(tmp_path, capsys):
    from test_cli_errors import run_main

    out = tmp_path / "out"
    code, stdout, err = run_main(capsys, "discover", LOG, "--model", tmp_path / "missing.bpmn", "--out", out)
    assert code == 2 and stdout == ""
    assert err.strip() == (
        f"error: {tmp_path / 'missing.bpmn'}: --model names no such file. Expected a to-be model: BPMN 2.0 (.bpmn), "
        "PNML (.pnml) or a YAML happy-path spec (.yaml/.yml)."
    )
    assert not out.exists()  # nothing was written: the model is loaded first


def test_write_discovery_loads_the_model_first(tmp_path):
    from cspm.errors import InputError
    from cspm.pipeline import write_discovery

    log = cspm.read(LOG)
    with pytest.raises(InputError, match="no such file"):
        write_discovery(log, tmp_path / "out", model=tmp_path / "missing.bpmn")
    assert not (tmp_path / "out").exists()


def test_full_discover_builds_the_step_and_case_tables_once(tmp_path):
    """One `cspm discover` with targets, diagnosis and a to-be model builds discovery's per-event step
    table and the case table once each, for every analysis that uses them (``log.derived``)."""
    from cspm.config import load_config
    from cspm.pipeline import write_discovery

    log = cspm.read(LOG)
    write_discovery(log, tmp_path / "out", config=load_config(CONFIG), model=TO_BE)
    assert log.derived.builds["steps"] == 1 and log.derived.builds["case_table"] == 1
