"""The XES classifier is the default activity (issue 9, defect 4), as in ProM and Disco."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cspm
from cspm.cli import app

ROOT = Path(__file__).resolve().parents[1]
# (case, activity, transition, time, my key)
EVENTS = [
    ("1", "Review", "schedule", "2024-01-01T09:00:00+01:00", "x"),
    ("1", "Review", "start", "2024-01-01T09:20:00+01:00", "x"),
    ("1", "Review", "complete", "2024-01-01T09:50:00+01:00", "y"),
    ("1", "Close", "complete", "2024-01-01T10:00:00+01:00", "y"),
    ("2", "Review", "start", "2024-01-02T09:00:00+01:00", "x"),
    ("2", "Review", "complete", "2024-01-02T09:30:00+01:00", "x"),
]


def xes(path: Path, classifiers: list[tuple[str, str]]) -> Path:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<log xes.version="1.0" xmlns="http://www.xes-standard.org/">']
    out += [f'  <classifier name="{n}" keys="{k}"/>' for n, k in classifiers]
    for case in ("1", "2"):
        out.append(f'  <trace><string key="concept:name" value="{case}"/>')
        out += [
            f'    <event><string key="concept:name" value="{a}"/><string key="lifecycle:transition" value="{t}"/>'
            f'<date key="time:timestamp" value="{ts}"/><string key="my key" value="{m}"/></event>'
            for c, a, t, ts, m in EVENTS
            if c == case
        ]
        out.append("  </trace>")
    path.write_text("\n".join(out + ["</log>"]), encoding="utf-8")
    return path


LEGACY = ("Activity classifier", "concept:name lifecycle:transition")


def test_declared_classifier_is_the_activity(tmp_path):
    log = cspm.read(xes(tmp_path / "c.xes", [LEGACY]))
    assert log.roles.activity == ("concept:name", "lifecycle:transition")
    assert log.to_pandas()["activity"].tolist() == [
        "Review + schedule", "Review + start", "Review + complete", "Close + complete", "Review + start", "Review + complete",
    ]  # fmt: skip
    q = log.quality
    assert (q.events, q.activities, q.rows_rejected) == (6, 4, 0)
    assert q.activity_source == {
        "source": "classifier",
        "declared": [{"name": "Activity classifier", "keys": ["concept:name", "lifecycle:transition"]}],
        "classifier": {"name": "Activity classifier", "keys": ["concept:name", "lifecycle:transition"]},
    }
    assert q.lifecycle["mode"] == "keep"
    assert q.lifecycle["reason"] == "the activity includes the lifecycle column (XES classifier or given)"
    row = ("activity", "concept:name + lifecycle:transition (XES classifier 'Activity classifier')")
    assert row in q.figures()
    assert ("lifecycle (lifecycle:transition)", "kept: every row is an event, activity = name + transition") in q.figures()
    assert "concept:name + lifecycle:transition (XES classifier &#39;Activity classifier&#39;)" in q._repr_html_()
    assert q.summary()["activity_source"]["classifier"]["keys"] == ["concept:name", "lifecycle:transition"]


def test_cli_validate_names_the_classifier(tmp_path):
    path = xes(tmp_path / "c.xes", [LEGACY])
    runner = CliRunner()
    table = runner.invoke(app, ["validate", str(path)], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "concept:name + lifecycle:transition (XES classifier 'Activity classifier')" in table.output
    data = json.loads(runner.invoke(app, ["validate", str(path), "--format", "json"]).stdout)
    assert data["activity_source"]["classifier"] == {"name": "Activity classifier", "keys": ["concept:name", "lifecycle:transition"]}
    assert (data["events"], data["activities"]) == (6, 4)
    paired = json.loads(runner.invoke(app, ["validate", str(path), "--lifecycle", "pair", "--format", "json"]).stdout)
    assert (paired["events"], paired["activities"]) == (3, 2)


def test_pairing_asked_with_a_lifecycle_classifier(tmp_path):
    log = cspm.read(xes(tmp_path / "c.xes", [LEGACY]), pair_lifecycle=True)
    assert log.roles.activity == ("concept:name",)
    df = log.to_pandas()
    assert df["activity"].tolist() == ["Review", "Close", "Review"]
    assert [(t - s).total_seconds() for s, t in zip(df["start_timestamp"], df["timestamp"], strict=True)][::2] == [1800.0, 1800.0]
    assert (df["start_timestamp"].iloc[0] - df["schedule_timestamp"].iloc[0]).total_seconds() == 1200.0
    assert log.quality.warnings == [
        "the XES classifier includes 'lifecycle:transition'; lifecycle pairing was asked for, so the activity is "
        "concept:name and the lifecycle rows were paired into activity instances"
    ]


def test_explicit_activity_wins(tmp_path):
    log = cspm.read(xes(tmp_path / "c.xes", [LEGACY]), activity="concept:name")
    assert log.roles.activity == ("concept:name",)
    q = log.quality
    assert (q.events, q.activities) == (3, 2)  # name alone: the lifecycle rows are paired
    assert q.activity_source["source"] == "given"
    assert q.warnings == [
        "XES classifier 'Activity classifier' (concept:name lifecycle:transition) not used: the activity column was given"
    ]
    assert ("XES classifiers declared (not used)", "Activity classifier: concept:name lifecycle:transition") in q.figures()


@pytest.mark.parametrize(
    ("classifiers", "used", "activity"),
    [
        ([("Event Name", "concept:name"), ("MXML Legacy Classifier", "concept:name lifecycle:transition")],
         "Event Name", ("concept:name",)),  # the first one
        ([("Resource", "my key"), ("ACTIVITY", "concept:name lifecycle:transition")],
         "ACTIVITY", ("concept:name", "lifecycle:transition")),  # the one named activity, any case
        ([("Activity Classifier", "'concept:name' 'my key'")], "Activity Classifier", ("concept:name", "my key")),
    ],
)  # fmt: skip
def test_which_classifier(tmp_path, classifiers, used, activity):
    log = cspm.read(xes(tmp_path / "c.xes", classifiers))
    assert log.quality.activity_source["classifier"]["name"] == used
    assert log.roles.activity == activity


def test_classifier_on_a_missing_key_is_not_used(tmp_path):
    log = cspm.read(xes(tmp_path / "c.xes", [("Activity", "concept:name org:role")]))
    assert log.roles.activity == ("concept:name",)
    assert log.quality.activity_source["source"] == "detected"
    assert log.quality.warnings == [
        "XES classifier 'Activity' (concept:name org:role) not used: no event has 'org:role'; the activity column "
        "was detected from the attribute names"
    ]


def test_sample_xes_declares_its_activity_classifier():
    path = ROOT / "sample_logs" / "tickets_en.xes.gz"
    log = cspm.read(path)
    q = log.quality
    assert q.activity_source["classifier"] == {"name": "Activity", "keys": ["concept:name"]}
    csv = cspm.read(ROOT / "sample_logs" / "tickets_en.csv").quality
    assert (q.events, q.cases, q.activities) == (csv.events, csv.cases, csv.activities)
