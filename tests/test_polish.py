"""Polish a user notices: ``cspm --version``, flags without a value placeholder, ``simulate`` says
what it did in a sentence, no internal column names in the quality table."""

from __future__ import annotations

import json
import re

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
