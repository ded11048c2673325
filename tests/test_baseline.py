"""``cspm baseline`` + ``cspm compare --baseline`` give the same table as comparing the two logs."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import cspm
from cspm.analysis.compare import compare, load_baseline
from cspm.cli import app
from cspm.errors import InputError
from cspm.simulate import write_simulated_log

CONFIG = """calendar:
  timezone: Europe/Berlin
targets:
  steps:
    - {step: Assign L2, max_wait: 4h, attainment: 0.85, clock: business, name: L2 assignment wait}
"""


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory):
    d = tmp_path_factory.mktemp("bl")
    before = write_simulated_log(d / "before.csv", n_tickets=250, tickets_per_day=40, seed=1).log
    after = write_simulated_log(d / "after.csv", n_tickets=250, tickets_per_day=40, seed=2, start="2024-04-01",
                                bottleneck_median_hours=2.0).log  # fmt: skip
    (d / "cspm.yaml").write_text(CONFIG)
    return d, before, after


def test_baseline_then_compare_equals_two_logs(logs, tmp_path) -> None:
    d, before, after = logs
    res = CliRunner().invoke(app, ["baseline", str(before), "--config", str(d / "cspm.yaml"), "--save", str(d / "baseline.json")])
    assert res.exit_code == 0, res.output
    doc = json.loads((d / "baseline.json").read_text())
    assert doc["fingerprint"]["tickets"] == 250 and doc["fingerprint"]["source"].endswith("before.csv")
    assert doc["config"]["calendar"]["timezone"] == "Europe/Berlin" and len(doc["fingerprint"]["activity_counts_sha256"]) == 64
    cfg = cspm.load_config(d / "cspm.yaml")
    old, new = cspm.read(before), cspm.read(after)  # read anew: nothing shared with the CLI's run
    frozen = load_baseline(d / "baseline.json")
    a, b = compare(frozen, new, cfg).summary(), compare(old, new, cfg).summary()
    assert a["figures"] == b["figures"] and a["targets"] == b["targets"] and a["verdicts"] == b["verdicts"]
    assert a["variants_appeared"] == b["variants_appeared"] and a["tickets"] == b["tickets"] == {"before": 250, "after": 250}
    assert a["rule"].startswith("baseline of ") and b["rule"] == "two logs: before vs after"
    row = next(f for f in a["figures"] if f["figure"] == "wait|business|Assign L2")
    assert row["significant"] and row["change"] < 0
    # the file round-trips: loading and saving again writes the same histograms
    again = json.loads(frozen.save(tmp_path / "again.json").read_text())
    assert again["histograms"] == doc["histograms"] and again["variants"] == doc["variants"]
    assert again["targets"] == doc["targets"] and again["fingerprint"] == doc["fingerprint"]


def test_bad_baseline_files(tmp_path) -> None:
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(InputError, match="not a cspm baseline"):
        load_baseline(tmp_path / "x.json")
    (tmp_path / "y.json").write_text("not json")
    with pytest.raises(InputError, match="not JSON"):
        load_baseline(tmp_path / "y.json")
    with pytest.raises(InputError, match="no such baseline"):
        load_baseline(tmp_path / "missing.json")
