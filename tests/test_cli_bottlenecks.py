"""``cspm bottlenecks``: the ranking as a table and JSON; the example configs validate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cspm
from cspm.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"
runner = CliRunner()


def test_example_configs_validate():
    cfg = cspm.load_config(SAMPLES / "cspm.example.yaml")
    assert cfg.calendar.timezone == "Europe/Berlin" and cfg.calendar.country == "DE"
    assert [s.step for s in cfg.targets.steps][0] == "Assign L2"
    assert cfg.targets.milestones[0].within.total_seconds() == 3600
    assert cfg.value_classes.sla_pause == ["Pending customer"]
    zh = SAMPLES / "cspm.example.zh.yaml"
    if zh.exists():
        cz = cspm.load_config(zh)
        assert cz.calendar.timezone == "Asia/Shanghai" and cz.targets.steps[0].step == "二线受理"


@pytest.fixture(scope="module")
def sample_csv() -> Path:
    path = SAMPLES / "tickets_en.csv"
    if not path.exists():
        pytest.skip("sample_logs/tickets_en.csv is not built")
    return path


def test_cli_json_ranks_the_simulated_bottleneck_first(sample_csv):
    r = runner.invoke(app, ["bottlenecks", str(sample_csv), "--config", str(SAMPLES / "cspm.example.yaml"),
                            "--format", "json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    truth = json.loads((SAMPLES / "tickets_en.csv.truth.json").read_text("utf-8"))
    assert data["ranking_basis"] == "excess over target"
    assert data["ranking"][0]["step"] == truth["bottleneck"]["activity"]
    assert data["breaching_steps"][0] == "Assign L2"
    assert data["sla_pause"] == ["Pending customer"]
    ranks = [row["excess_h"] for row in data["ranking"]]
    assert ranks == sorted(ranks, reverse=True)


def test_cli_table_and_calendar_clock(sample_csv):
    r = runner.invoke(app, ["bottlenecks", str(sample_csv), "--config", str(SAMPLES / "cspm.example.yaml"),
                            "--clock", "calendar"], env={"COLUMNS": "140"})  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "Assign L2 (wait) ≤ 1 h (cal.)" in r.stdout and "Worst bottleneck: Assign L2" in r.stdout


def test_cli_bad_config_exits_2_without_traceback(tmp_path, sample_csv):
    bad = tmp_path / "bad.yaml"
    bad.write_text("targets:\n  steps:\n    - step: Assign L2\n      max_wait: soon\n", "utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", "from cspm.cli import main; main()", "bottlenecks", str(sample_csv), "--config", str(bad)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "targets.steps.0.max_wait" in proc.stderr and "Traceback" not in proc.stderr
