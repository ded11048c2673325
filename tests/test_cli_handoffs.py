"""``cspm handoffs``: findings as text and JSON, options, errors without traceback."""

from __future__ import annotations

import json

import pandas as pd
from test_handoffs import tiny_frame
from typer.testing import CliRunner

from cspm.cli import app

runner = CliRunner()


def _csv(tmp_path):
    path = tmp_path / "tiny.csv"
    tiny_frame().to_csv(path, index=False)
    return path


def test_cli_json_matches_the_library(tmp_path):
    result = runner.invoke(app, ["handoffs", str(_csv(tmp_path)), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["handoffs"]["handoffs"] == 6 and data["handoffs"]["level"] == "team"
    assert data["ping_pong"]["direct_tickets"] == 1 and data["ping_pong"]["indirect_tickets"] == 1
    assert data["rework"]["redos"] == 4 and data["approvals"]["tickets_with_loops"] == 1
    assert any("A ↔ B is the most frequent pair (2 bounces)" in f for f in data["findings"])


def test_cli_levels_columns_missing_rule_and_outputs(tmp_path):
    path = _csv(tmp_path)
    r = runner.invoke(app, ["handoffs", str(path), "--level", "agent", "--format", "json"])
    assert json.loads(r.stdout)["handoffs"]["handoffs"] == 10  # 5 + 3 + 2
    r = runner.invoke(app, ["handoffs", str(path), "--missing", "break", "--format", "json"])
    assert json.loads(r.stdout)["handoffs"]["handoffs"] == 8
    r = runner.invoke(app, ["handoffs", str(path), "--team-column", "agent", "--format", "json"])
    assert json.loads(r.stdout)["handoffs"]["handoffs"] == 10  # the agent column read as the team
    html, svg = tmp_path / "s.html", tmp_path / "n.svg"
    r = runner.invoke(app, ["handoffs", str(path), "--html", str(html), "--network", str(svg)])
    assert r.exit_code == 0, r.output
    assert "Handoffs and loops" in r.stdout and "Busiest handoffs" in r.stdout
    assert 'id="handoffs"' in html.read_text(encoding="utf-8")
    assert svg.read_text(encoding="utf-8").startswith("<svg")


def test_cli_rate_from_config(tmp_path):
    cfg = tmp_path / "cspm.yaml"
    cfg.write_text("costs:\n  hourly_rate: 10\n  currency: EUR\n", encoding="utf-8")
    # every step of the tiny log takes 30 min of work (start 30 min before its completion)
    df = tiny_frame()
    df["start_timestamp"] = df["timestamp"] - pd.Timedelta(minutes=30)
    path = tmp_path / "tiny_sc.csv"
    df.to_csv(path, index=False)
    r = runner.invoke(app, ["handoffs", str(path), "--config", str(cfg), "--format", "json"])
    assert r.exit_code == 0, r.output
    cost = json.loads(r.stdout)["redundancy"]["cost_per_month"]
    # redundant events, each counted once: c1 Fix, Fix, Check (detour / return), Triage (repetition);
    # c2 Work, Review (detour), Work (return, repetition); c3 Reject, Resubmit, Approve (extra round)
    # = 10 events × 0.5 h = 5 processing hours in a log of 53 h; a month is 30.4375 days
    months = 53 / (30.4375 * 24)
    assert cost["basis"] == "processing" and cost["hourly_rate"] == 10
    assert cost["hours_per_month"]["redundant"] == round(5 / months, 2) == 68.92
    assert cost["redundant"] == round(5 * 10 / months, 2) == 689.15
    assert cost["rework"] == round(2.5 * 10 / months, 2)  # Fix, Triage, Work, Work, Approve
    assert cost["reason"] is None
    # without start times the elapsed hours are not costed, and the finding says why
    r = runner.invoke(app, ["handoffs", str(_csv(tmp_path)), "--config", str(cfg), "--format", "json"])
    data = json.loads(r.stdout)
    assert data["redundancy"]["cost_per_month"]["redundant"] is None
    assert any("no cost in EUR: the log has no start times" in f for f in data["findings"])
