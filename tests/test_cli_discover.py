"""`cspm discover`: every output file, BPMN 2.0 that pm4py re-imports, the documented summary.json."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree
from typer.testing import CliRunner

from cspm.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"
FILES = ["map_frequency.svg", "map_performance.svg", "model.bpmn", "model.pnml", "variants.csv",
         "edges.csv", "activities.csv", "summary.json", "report.html"]  # fmt: skip
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result


@pytest.fixture(scope="module")
def helpdesk_out(helpdesk_path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("discover_helpdesk")
    result = run("discover", str(helpdesk_path), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "4,580" in result.output and "51.7%" in result.output and "Resolve ticket → Closed" in result.output
    return out


def test_writes_every_file(helpdesk_out):
    for name in FILES:
        assert (helpdesk_out / name).stat().st_size > 0, name
    edges = pd.read_csv(helpdesk_out / "edges.csv")
    assert len(edges) == 55 and edges["count"].sum() == 21_348 - 4_580
    variants = pd.read_csv(helpdesk_out / "variants.csv")
    assert len(variants) == 226 and variants["count"].sum() == 4_580
    assert json.loads(variants.activities[0]) == ["Assign seriousness", "Take in charge ticket", "Resolve ticket", "Closed"]
    acts = pd.read_csv(helpdesk_out / "activities.csv")
    assert len(acts) == 14 and acts.events.sum() == 21_348


def test_bpmn_is_bpmn20_and_reimports(helpdesk_out):
    root = etree.parse(str(helpdesk_out / "model.bpmn")).getroot()
    assert root.tag == f"{{{BPMN_NS}}}definitions"
    tasks = root.findall(f".//{{{BPMN_NS}}}task")
    assert {t.get("name") for t in tasks} >= {"Assign seriousness", "Take in charge ticket", "Resolve ticket", "Closed"}
    bounds = root.findall(".//{http://www.omg.org/spec/DD/20100524/DC}Bounds")
    assert len({(b.get("x"), b.get("y")) for b in bounds}) > 10  # a real layout, not everything at 0,0
    from pm4py.objects.bpmn.importer import importer as bpmn_importer
    from pm4py.objects.petri_net.importer import importer as pnml_importer

    bpmn = bpmn_importer.apply(str(helpdesk_out / "model.bpmn"))
    labels = {n.get_name() for n in bpmn.get_nodes() if n.get_name()}
    assert len({"Assign seriousness", "Closed", "Wait", "Insert ticket"} & labels) == 4
    net, im, fm = pnml_importer.apply(str(helpdesk_out / "model.pnml"))
    assert len([t for t in net.transitions if t.label]) == 14 and len(im) == 1 and len(fm) == 1


def test_summary_matches_its_schema_and_documentation(helpdesk_out):
    import jsonschema

    summary = json.loads((helpdesk_out / "summary.json").read_text(encoding="utf-8"))
    schema = json.loads((ROOT / "docs" / "summary.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(summary, schema)
    documented = (ROOT / "docs" / "summary_schema.md").read_text(encoding="utf-8")
    for key in summary:
        assert f"| `{key}`" in documented or f"`{key}` /" in documented or f"/ `{key}`" in documented, key
    ov = summary["overview"]
    assert (ov["cases"], ov["events"], ov["variants"], ov["activities"]) == (4_580, 21_348, 226, 14)
    assert summary["targets"] is None and summary["filters"] == []
    assert all(e["count"] >= 5 for e in summary["slowest_transitions"])


def test_json_format_and_filters(helpdesk_path, tmp_path):
    result = run(
        "discover", str(helpdesk_path), "--out", str(tmp_path), "--format", "json",
        "--top-variants", "3", "--with-activity", "Wait", "--noise", "0.0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["settings"]["noise_threshold"] == 0.0
    assert len(summary["filters"]) == 2
    # every remaining case contains Wait and belongs to one of 3 variants
    assert summary["overview"]["variants"] <= 3
    assert all("Wait" in v["activities"] for v in summary["variants"]["top"])


def test_bad_where_option_is_a_clean_error(helpdesk_path, tmp_path):
    from cspm.errors import InputError

    with pytest.raises(InputError, match="colour"):
        run("discover", str(helpdesk_path), "--out", str(tmp_path), "--where", "colour=red")


def test_targets_from_config_are_highlighted(helpdesk_path, tmp_path):
    pytest.importorskip("cspm.analysis.waiting")
    cfg = tmp_path / "targets.yaml"
    cfg.write_text("targets:\n  steps:\n    - step: Closed\n      max_wait: 1d\n      attainment: 85%\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run("discover", str(helpdesk_path), "--out", str(out), "--config", str(cfg))
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    # Resolve ticket → Closed waits 30 d at the median: the target of 1 d is missed
    assert "Closed" in summary["targets"]["breaching_steps"]
    assert ["Resolve ticket", "Closed"] in summary["targets"]["breaching_edges"]
    svg = (out / "map_performance.svg").read_text(encoding="utf-8")
    assert "cspm&#45;warning" in svg or "cspm-warning" in svg
    assert 'id="waiting"' in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["tickets_en.csv", "tickets_zh.csv", "tickets_en.xes.gz"])
def test_sample_logs(name, tmp_path):
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"sample log {path} not generated yet")
    result = run("discover", str(path), "--out", str(tmp_path), "--format", "json")
    assert result.exit_code == 0, result.output
    for f in FILES:
        assert (tmp_path / f).exists(), f
    truth = json.loads((SAMPLES / f"{name}.truth.json").read_text(encoding="utf-8"))
    summary = json.loads(result.stdout)
    ov = summary["overview"]
    assert (ov["cases"], ov["events"]) == (truth["n_cases"], truth["n_events"])
    # the truth's name table: English name → Chinese name
    names = truth["activities"] if truth["language"] == "zh" else {k: k for k in truth["activities"]}
    assert {a["activity"] for a in summary["activities"]} <= set(names.values())
    # every simulated ticket starts with its creation and ends closed
    assert summary["start_activities"] == {names["Ticket created"]: truth["n_cases"]}
    assert set(summary["end_activities"]) == {names["Close ticket"]}


def test_where_and_duration_filters_against_pandas(tmp_path):
    path = SAMPLES / "tickets_en.csv"
    if not path.exists():
        pytest.skip(f"sample log {path} not generated yet")
    result = run("discover", str(path), "--out", str(tmp_path), "--format", "json",
                 "--where", "channel=phone,chat", "--min-duration", "1d", "--from", "2024-03-13", "--window", "starting")  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    df = pd.read_csv(path)
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601")
    channel_cases = set(df.loc[df.channel.isin(["phone", "chat"]), "ticket_id"])
    span = df.groupby("ticket_id").timestamp.agg(["min", "max"])
    long_cases = set(span.index[(span["max"] - span["min"]).dt.total_seconds() >= 86_400])
    start = pd.Timestamp("2024-03-13", tz="UTC")  # the sample log's time zone is read from the offsets
    started = set(span.index[span["min"] >= start])
    expected = channel_cases & long_cases & started
    assert 0 < len(expected) < len(started) < len(span)  # every filter removes cases
    assert summary["overview"]["cases"] == len(expected)
    assert summary["overview"]["events"] == int(df.ticket_id.isin(expected).sum())
    assert len(summary["filters"]) == 3


def test_summary_schema_file_is_generated_from_the_records():
    """docs/summary.schema.json is what `DiscoverSummary` generates (regenerate with
    `python docs/write_summary_schema.py`)."""
    from cspm.pipeline import summary_schema_text

    committed = (ROOT / "docs" / "summary.schema.json").read_text(encoding="utf-8")
    assert committed == summary_schema_text(), "run: python docs/write_summary_schema.py"
    schema = json.loads(committed)
    assert schema["additionalProperties"] is False and "schema" in schema["required"]
    assert schema["properties"]["schema"]["const"] == "cspm.discover.summary/1"


def test_summary_json_is_a_discover_summary_record(helpdesk_out):
    """The file written reads back as the typed record, and the record writes the same JSON."""
    from cspm.pipeline import DiscoverSummary

    data = json.loads((helpdesk_out / "summary.json").read_text(encoding="utf-8"))
    record = DiscoverSummary.model_validate(data)
    assert record.overview.cases == 4_580 and record.model.miner == "inductive" and record.conformance is None
    assert record.slowest_transitions[0].source == "Resolve ticket" and record.files.report == "report.html"
    assert record.as_json() == data


def test_every_field_of_the_summary_is_documented():
    """docs/summary_schema.md names every key of summary.json and every field of its records."""
    schema = json.loads((ROOT / "docs" / "summary.schema.json").read_text(encoding="utf-8"))
    documented = (ROOT / "docs" / "summary_schema.md").read_text(encoding="utf-8")
    for key in schema["properties"]:
        assert f"| `{key}`" in documented or f"`{key}` /" in documented or f"/ `{key}`" in documented, key
    for name, definition in schema["$defs"].items():
        for field in definition.get("properties", {}):
            assert f"`{field}`" in documented, f"{name}.{field}"
