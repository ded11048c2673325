"""`cspm discover --config --model`: the full diagnosis report, every section present."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from cspm.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"


def test_discover_with_config_and_model_writes_the_full_diagnosis(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["discover", str(SAMPLES / "tickets_en.csv"), "--config", str(SAMPLES / "cspm.example.yaml"),
         "--model", str(SAMPLES / "to_be.bpmn"), "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # the findings are printed under the summary table too
    assert "• Worst bottleneck: Assign L2" in result.output
    assert "bounce between teams" in result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    ids = re.findall(r'<section class="cspm-section" id="(\w+)"', html)
    assert ids == [
        "overview", "maps", "variants", "transitions", "quality",
        "waiting", "value_stream", "kpis", "handoffs", "conformance",
    ]  # fmt: skip
    # the simulated bottleneck leads the ranking, the ping-pong pair is named, the to-be model is checked
    assert "Worst bottleneck: Assign L2" in html
    assert "Tech Support" in html and "Billing" in html
    assert "fitting" in html.lower()


def test_no_diagnosis_gives_the_discovery_report_only(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["discover", str(SAMPLES / "tickets_en.csv"), "--no-diagnosis", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    ids = re.findall(r'<section class="cspm-section" id="(\w+)"', (out / "report.html").read_text("utf-8"))
    assert ids == ["overview", "maps", "variants", "transitions", "quality"]
