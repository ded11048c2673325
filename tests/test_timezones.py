"""Naive timestamps: the zone they were read in is reported, never silently assumed (issue 9, defect 5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cspm
from cspm.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"
NAIVE = "工单编号,处理环节,操作时间\nA1,创建工单,2024/03/05 14:03:00\nA1,关闭工单,2024/03/05 15:33:00\nA2,创建工单,2024/03/06 09:00:00\n"
WARNING = (
    "column '操作时间': 3 timestamps had no UTC offset; read as UTC — set --timezone or timestamps.timezone "
    "(timezone= in Python) if they are local times."
)


@pytest.fixture
def naive_csv(tmp_path) -> Path:
    path = tmp_path / "zh.csv"
    path.write_bytes(NAIVE.encode("utf-8"))
    return path


@pytest.fixture
def shanghai_config(tmp_path) -> Path:
    path = tmp_path / "cspm.yaml"
    path.write_text("timestamps:\n  timezone: Asia/Shanghai\n", encoding="utf-8")
    return path


def _zone_warnings(quality) -> list[str]:
    return [w for w in quality.warnings if "not valid UTF-8" not in w]


def _row(quality, name: str) -> str:
    return dict(quality.figures())[name]


def test_naive_times_without_a_zone_are_flagged(naive_csv):
    q = cspm.read(naive_csv).quality
    assert q.warnings == [WARNING]
    assert _row(q, "timestamps without a UTC offset (操作时间)") == "3, read as UTC (default; no time zone given)"
    assert q.timestamps == [
        {"column": "操作时间", "with_offset": 0, "epoch": 0, "without_offset": 3, "timezone": "UTC", "timezone_source": "default"}
    ]
    assert q.first_event == datetime(2024, 3, 5, 14, 3, tzinfo=UTC)
    html = q._repr_html_()
    assert "3, read as UTC (default; no time zone given)" in html and "had no UTC offset; read as UTC" in html


def test_timezone_argument(naive_csv):
    q = cspm.read(naive_csv, timezone="Asia/Shanghai").quality
    assert q.warnings == []
    assert _row(q, "timestamps without a UTC offset (操作时间)") == "3, read as Asia/Shanghai (given: timezone= / --timezone)"
    assert q.first_event == datetime(2024, 3, 5, 6, 3, tzinfo=UTC)


def test_unknown_timezone_argument_is_an_input_error(naive_csv):
    with pytest.raises(cspm.InputError, match=r"^unknown time zone 'Mars/Olympus'; use an IANA name such as 'UTC'"):
        cspm.read(naive_csv, timezone="Mars/Olympus")


def test_config_timezone(naive_csv, shanghai_config):
    q = cspm.read(naive_csv, config=shanghai_config).quality
    assert q.warnings == []
    assert _row(q, "timestamps without a UTC offset (操作时间)") == "3, read as Asia/Shanghai (config timestamps.timezone)"
    assert q.first_event == datetime(2024, 3, 5, 6, 3, tzinfo=UTC)
    # the argument wins over the config
    q = cspm.read(naive_csv, config=shanghai_config, timezone="Europe/Berlin").quality
    assert q.timestamps[0]["timezone"] == "Europe/Berlin" and q.timestamps[0]["timezone_source"] == "given"
    assert q.first_event == datetime(2024, 3, 5, 13, 3, tzinfo=UTC)


def test_cli_validate_reports_the_zone(naive_csv, shanghai_config):
    runner = CliRunner()
    plain = runner.invoke(app, ["validate", str(naive_csv)], env={"COLUMNS": "200"})
    assert plain.exit_code == 0, plain.output
    assert "3, read as UTC (default; no time zone given)" in plain.output
    assert f"warning: {WARNING}" in plain.output
    for options, source in (
        (["--timezone", "Asia/Shanghai"], "given"),
        (["--config", str(shanghai_config)], "config"),
    ):
        data = json.loads(runner.invoke(app, ["validate", str(naive_csv), *options, "--format", "json"]).stdout)
        assert data["timestamps"][0]["timezone"] == "Asia/Shanghai"
        assert data["timestamps"][0]["timezone_source"] == source
        assert data["first_event"] == "2024-03-05T06:03:00+00:00"
        assert data["warnings"] == []


def test_offsets_and_epochs_are_reported(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "case_id,activity,timestamp\n1,A,2024-03-05T14:03:00+01:00\n1,B,2024-03-05 15:00:00\n1,C,1709650800\n"
    )
    q = cspm.read(path).quality
    assert q.timestamps[0] == {
        "column": "timestamp", "with_offset": 1, "epoch": 1, "without_offset": 1, "timezone": "UTC",
        "timezone_source": "default",
    }  # fmt: skip
    assert _row(q, "timestamps with a UTC offset (timestamp)") == "1, converted to UTC"
    assert _row(q, "epoch timestamps (timestamp)") == "1, UTC"
    assert (
        "column 'timestamp': 1 timestamps had no UTC offset; read as UTC — set --timezone or timestamps.timezone "
        "(timezone= in Python) if they are local times."
    ) in q.warnings


def test_typed_columns(tmp_path):
    aware = pd.DataFrame({"case_id": ["1"], "activity": ["A"], "timestamp": pd.to_datetime(["2024-03-05 14:03"], utc=True)})
    q = cspm.read(aware).quality
    assert (q.timestamps[0]["with_offset"], q.timestamps[0]["without_offset"], q.warnings) == (1, 0, [])
    naive = aware.assign(timestamp=aware["timestamp"].dt.tz_localize(None))
    naive.to_parquet(tmp_path / "n.parquet")
    q = cspm.read(tmp_path / "n.parquet", timezone="Asia/Shanghai").quality
    assert (q.timestamps[0]["with_offset"], q.timestamps[0]["without_offset"], q.warnings) == (0, 1, [])
    assert q.first_event == datetime(2024, 3, 5, 6, 3, tzinfo=UTC)
    assert cspm.read(tmp_path / "n.parquet").quality.warnings == [
        "column 'timestamp': 1 timestamps had no UTC offset; read as UTC — set --timezone or timestamps.timezone "
        "(timezone= in Python) if they are local times."
    ]


def test_chinese_sample_is_read_in_its_local_time():
    """tickets_zh.csv has local China times; its example config says so, and the simulator's truth agrees."""
    truth = json.loads((SAMPLES / "tickets_zh.csv.truth.json").read_text(encoding="utf-8"))
    assert truth["calendar"]["timezone"] == "Asia/Shanghai"
    first = pd.Timestamp(truth["time_range"][0]).tz_convert("UTC").to_pydatetime()
    q = cspm.read(SAMPLES / "tickets_zh.csv", config=SAMPLES / "cspm.example.zh.yaml").quality
    assert q.first_event == first
    # the sample is GB18030: besides the zone, the reader only says it fell back from UTF-8
    assert q.timestamps[0]["timezone_source"] == "config" and _zone_warnings(q) == []
    bare = cspm.read(SAMPLES / "tickets_zh.csv").quality
    assert (bare.first_event - first).total_seconds() == 8 * 3600  # 8 h off: and now it says so
    assert _zone_warnings(bare) == [
        f"column '操作时间': {bare.events:,} timestamps had no UTC offset; read as UTC — set --timezone or "
        "timestamps.timezone (timezone= in Python) if they are local times."
    ]
