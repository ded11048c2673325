"""Polish a user notices: ``cspm --version``, flags without a value placeholder, ``simulate`` says
what it did in a sentence, no internal column names in the quality table, the sample report or
discover's CSV headers, thousands separators in the figures, units in the deviation fields."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

import cspm
from cspm.cli import app

runner = CliRunner()


def test_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"cspm {cspm.__version__}"


def test_flags_have_no_value_placeholder_and_options_keep_theirs():
    for command in ("discover", "validate", "simulate", "handoffs"):
        res = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200", "TERM": "dumb"})
        assert res.exit_code == 0, res.output
        assert "<bool>" not in res.output, command
    text = runner.invoke(app, ["discover", "--help"], env={"COLUMNS": "200"}).output
    assert re.search(r"--diagnosis\s+--no-diagnosis\s+Add value stream", text)
    assert "<float range>" in text and "<path>" in text  # options that take a value still say which


def test_simulate_reports_success_in_a_sentence(tmp_path):
    out = tmp_path / "t.csv"
    res = runner.invoke(app, ["simulate", str(out), "--tickets", "30", "--seed", "3"], env={"COLUMNS": "300"})
    assert res.exit_code == 0, res.output
    events = json.loads((tmp_path / "t.csv.truth.json").read_text("utf-8"))["n_events"]
    text = " ".join(res.output.split())
    assert text == (f"Simulated 30 tickets with {events:,} events into {out}; the ground truth is in "
                    f"{out}.truth.json and {out}.truth.jsonl.")  # fmt: skip
    assert "SimulatedFiles" not in res.output


def test_quality_table_has_no_internal_names(tmp_path):
    import pandas as pd

    df = pd.DataFrame({
        "case": ["a"] * 4, "act": ["Fix", "Fix", "Fix", "Fix"],
        "lc": ["start", "suspend", "resume", "complete"],
        "ts": ["2024-01-01 08:00", "2024-01-01 08:10", "2024-01-01 08:30", "2024-01-01 09:00"],
    })  # fmt: skip
    q = cspm.read(df, case_id="case", activity="act", timestamp="ts", lifecycle="lc").quality
    figures = dict(q.figures())
    text = " ".join(f"{k} {v}" for k, v in figures.items())
    assert "suspended_seconds" not in text and "source_row" not in text and "value_adding" not in text
    assert figures["events vs rows kept"].startswith("the 4 rows kept are 1 events")


# internal names of the code that must not reach a client: value classes, row/case helper columns,
# business-second suffixes
INTERNAL = re.compile(r"\bvalue_adding\b|\bsource_row\b|__row|__case|\w+_bs\b|\bstart_complete\b|\bsla_pause\b")


def test_sample_report_and_tables_have_no_internal_names_and_figures_have_separators(tmp_path):
    """A fifth of a fifth of the English sample (80 tickets): the report's visible text and the
    headers of discover's CSV tables name nothing of the code; the waiting headline's excess hours
    and the CLI durations carry thousands separators."""
    from lxml import html as lxml_html

    from cspm.i18n import use_language
    from cspm.render.formats import fmt_number
    from cspm.units import format_duration, format_hours

    root = Path(__file__).resolve().parents[1]
    lines = (root / "sample_logs" / "tickets_en.csv").read_bytes().split(b"\n")
    log = tmp_path / "tickets.csv"
    log.write_bytes(b"\n".join([lines[0], *(ln for ln in lines[1:] if ln and int(ln[1:8]) % 25 == 0)]) + b"\n")
    out = tmp_path / "out"
    r = runner.invoke(app, ["discover", str(log), "--config", str(root / "sample_logs" / "cspm.example.yaml"),
                            "--out", str(out)], env={"COLUMNS": "200"})  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = lxml_html.fromstring((out / "report.html").read_text("utf-8"))
    for el in doc.xpath("//script|//style|//pre"):
        el.drop_tree()
    visible = " ".join([doc.text_content(), *(el.get("title") or "" for el in doc.iter() if isinstance(el.tag, str))])
    assert not INTERNAL.findall(visible), sorted(set(INTERNAL.findall(visible)))
    for table in sorted(out.glob("*.csv")):
        header = table.read_text("utf-8").splitlines()[0]
        assert not INTERNAL.findall(header), (table.name, header)
    # thousands separators in the figures people read (English and Chinese)
    assert (fmt_number(6028.33), format_hours(6028.3, "0.0"), format_hours(-1234.5)) == ("6,028.3", "6,028.3 h", "-1,234.50 h")
    assert format_duration(3 * 86400 * 1000) == "3,000 d"
    with use_language("zh"):
        assert (fmt_number(6028.33), format_hours(6028.3, "0.0"), format_duration(3 * 86400 * 1000)) == ("6,028.3", "6,028.3小时", "3,000天")
    headline = re.search(r"Worst bottleneck: .*", r.stdout)
    assert headline and not re.search(r"\d{4,}\.\d excess hours", headline.group(0)), headline


def test_conformance_deviation_fields_carry_their_unit():
    """The lead times of the deviation tables and summary are named with their unit (seconds)."""
    from cspm.analysis.conformance.check import ConformanceSummary
    from cspm.analysis.conformance.deviations import InsertedStep, SkippedStep

    fields = set(SkippedStep.model_fields) | set(InsertedStep.model_fields) | set(ConformanceSummary.model_fields)
    durations = {f for f in fields if "lead_time" in f or "duration" in f or "wait" in f}
    assert durations and all(f.endswith(("_seconds", "_s", "_h")) for f in durations), durations
