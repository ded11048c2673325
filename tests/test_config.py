"""The configuration file: typed, validated, every error names the key and the value."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

import cspm
from cspm.config import config_from_dict, load_config, parse_duration
from cspm.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30min", 1800), ("1h", 3600), ("4 h", 14400), ("1.5 d", 129600), ("1h 30min", 5400), ("90s", 90)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_errors_name_key_and_value(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "targets:\n  steps:\n    - step: First response\n      max_wait: soon\n      attainment: 185%\n"
        "calendar:\n  timezone: Mars/Olympus\n  working_hours: {mon-fri: '18:00-08:00'}\n"
        "colums: {}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert str(path) in msg
    assert "targets.steps.0.max_wait = 'soon': not a duration" in msg
    assert "targets.steps.0.attainment = '185%'" in msg
    assert "calendar.timezone = 'Mars/Olympus': unknown time zone" in msg
    assert "working hours '18:00-08:00' end before they start" in msg
    assert "colums = {}: unknown key" in msg


def test_toml_and_yaml_agree(tmp_path):
    (tmp_path / "c.toml").write_text(
        '[columns]\ncase_id = "Ticket"\n[[targets.milestones]]\nname = "first response"\n'
        'start = "Ticket created"\nend = "First response"\nwithin = "1h"\nattainment = "85%"\n'
    )
    (tmp_path / "c.yaml").write_text(
        "columns: {case_id: Ticket}\ntargets:\n  milestones:\n    - {name: first response, start: Ticket created,"
        " end: First response, within: 1h, attainment: 0.85}\n"
    )
    a, b = load_config(tmp_path / "c.toml"), load_config(tmp_path / "c.yaml")
    assert a == b
    assert a.targets.milestones[0].within == timedelta(hours=1)
    assert a.targets.milestones[0].attainment == pytest.approx(0.85)


def test_calendar_hours():
    cfg = config_from_dict({"calendar": {"working_hours": {"mon-fri": ["08:00-12:00", "13:00-17:00"], "sat": "09:00-12:00"}}})
    hours = cfg.calendar.hours_by_weekday()
    assert hours[0] == [(time(8), time(12)), (time(13), time(17))]
    assert hours[5] == [(time(9), time(12))]
    assert hours[6] == []


def test_example_config_validates_and_reads_sample():
    example = ROOT / "sample_logs" / "cspm.example.yaml"
    if not example.exists():
        pytest.skip("example config not written yet")
    cfg = load_config(example)
    assert cfg.targets.milestones or cfg.targets.steps
    log = cspm.read(ROOT / "sample_logs" / "tickets_en.csv", config=cfg)
    assert log.quality.cases == 2000 and log.quality.rows_rejected == 0


def test_config_mapping_is_used_by_read(tmp_path):
    (tmp_path / "log.csv").write_text("A,B,C\nx,Open,2024-03-05 10:00\n")
    (tmp_path / "cfg.yaml").write_text(
        "columns: {case_id: A, activity: B, timestamp: C}\ntimestamps: {timezone: Europe/Berlin}\n"
    )
    log = cspm.read(tmp_path / "log.csv", config=tmp_path / "cfg.yaml")
    assert log.roles.case_id == "A" and log.timezone == "Europe/Berlin"
    assert str(log.to_pandas()["timestamp"].iloc[0]) == "2024-03-05 09:00:00+00:00"
