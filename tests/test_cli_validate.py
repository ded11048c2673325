"""``cspm validate``: the figures, and the first rejected rows (row, line, column, reason, value) in
the terminal and in JSON; all of them through --rejects."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from cspm.cli import app

runner = CliRunner()

BAD = """case_id,activity,timestamp
1,open,2024-03-01 08:00
1,close,2024-03-01 09:00
2,open,[/red]soon
2,close,2024-03-02 09:00
3,,2024-03-02 10:00
,open,2024-03-02 10:00
4,open,2024-13-02 10:00
5,open,2024-03-02 10:00
5,close,2024-03-02 11:00
"""
# data row (header excluded), file line, column, reason, value: checked by hand against BAD
REJECTED = [
    {"row": 3, "line": 4, "column": "timestamp", "reason": "unparsable timestamp", "value": "[/red]soon"},
    {"row": 5, "line": 6, "column": "activity", "reason": "missing activity", "value": None},
    {"row": 6, "line": 7, "column": "case_id", "reason": "missing case id", "value": None},
    {"row": 7, "line": 8, "column": "timestamp", "reason": "unparsable timestamp", "value": "2024-13-02 10:00"},
]


@pytest.fixture
def bad_csv(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD, "utf-8")
    return path


def test_terminal_shows_the_first_rejected_rows_and_says_where_the_rest_are(bad_csv):
    r = runner.invoke(app, ["validate", str(bad_csv), "--show-rejects", "3"], env={"COLUMNS": "160"})
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "Rejected rows (3 of 4)" in line)
    body = [line for line in lines[start:] if line.startswith("│")]
    cells = [[c.strip() for c in line.strip("│").split("│")] for line in body]
    assert cells == [
        ["3", "4", "timestamp", "unparsable timestamp", "[/red]soon"],
        ["5", "6", "activity", "missing activity", "(empty)"],
        ["6", "7", "case_id", "missing case id", "(empty)"],
    ]
    assert "1 more rejected row not shown: write all of them with --rejects FILE." in r.stdout


def test_default_shows_all_of_a_few_rejects_and_rejects_file_has_every_row(bad_csv, tmp_path):
    out = tmp_path / "rej" / "rejects.csv"
    r = runner.invoke(app, ["validate", str(bad_csv), "--rejects", str(out)], env={"COLUMNS": "160"})
    assert r.exit_code == 0, r.output
    assert "Rejected rows (all 4)" in r.stdout and f"all 4 rejected rows written to {out}" in r.stdout
    assert "more rejected" not in r.stdout
    written = pd.read_csv(out, dtype={"value": object})
    assert written["source_row"].tolist() == [x["row"] for x in REJECTED]
    assert written["line"].tolist() == [x["line"] for x in REJECTED]
    assert written["reason"].tolist() == [x["reason"] for x in REJECTED]


def test_json_carries_the_first_n_rejected_rows(bad_csv):
    r = runner.invoke(app, ["validate", str(bad_csv), "--format", "json", "--show-rejects", "2"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert (data["rows_read"], data["rows_kept"], data["rows_rejected"]) == (9, 5, 4)
    assert data["rejected_rows"] == REJECTED[:2]
    assert data["rejected_rows_omitted"] == 2 and data["rejects_file"] is None
    r = runner.invoke(app, ["validate", str(bad_csv), "--format", "json"])
    assert json.loads(r.stdout)["rejected_rows"] == REJECTED


def test_no_rejects_no_table_and_strict(bad_csv, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("case_id,activity,timestamp\n1,open,2024-03-01 08:00\n1,close,2024-03-01 09:00\n", "utf-8")
    r = runner.invoke(app, ["validate", str(good), "--strict"])
    assert r.exit_code == 0 and "Rejected rows" not in r.stdout
    assert json.loads(runner.invoke(app, ["validate", str(good), "--format", "json"]).stdout)["rejected_rows"] == []
    assert runner.invoke(app, ["validate", str(bad_csv), "--strict"]).exit_code == 1
    r = runner.invoke(app, ["validate", str(bad_csv), "--show-rejects", "0"])
    assert "Rejected rows" not in r.stdout and "4 more rejected rows not shown" in r.stdout
