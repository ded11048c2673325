"""Safe to share: ``--pseudonymise agent,customer,team`` replaces names by stable keyed pseudonyms
right after reading; no original name reaches any output file of ``cspm discover``."""

from __future__ import annotations

import hashlib
import hmac
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from test_cli_errors import run_main
from typer.testing import CliRunner

import cspm
from cspm.cli import app
from cspm.errors import InputError
from cspm.ingest.pseudonymise import KEY_ENV, pseudonym, pseudonymise
from cspm.simulate.simulator import SimulationSettings, simulate

KEY = "a-secret-key-of-the-project-0001"
COLS = dict(case_id="ticket_id", activity="activity", timestamp="timestamp", agent="agent", team="team",
            channel="channel", priority="priority", customer="customer_id")  # fmt: skip


@pytest.fixture(scope="module")
def log_csv(tmp_path_factory) -> Path:
    """A small simulated log with a free-text column that quotes the customer and the agent."""
    df, _ = simulate(SimulationSettings(n_tickets=120, seed=21))
    df["description"] = "customer " + df["customer_id"] + " called " + df["agent"]
    path = tmp_path_factory.mktemp("log") / "tickets.csv"
    df.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def names(log_csv) -> dict[str, set[str]]:
    df = pd.read_csv(log_csv)
    return {"agent": set(df.agent), "team": set(df.team), "customer": set(df.customer_id)}


def test_pseudonyms_are_keyed_hmac_and_stable(monkeypatch, log_csv):
    expected = "agent-" + hmac.new(KEY.encode(), b"agent\x00Alice Smith", hashlib.sha256).hexdigest()[:12]
    assert pseudonym("Alice Smith", "agent", KEY.encode()) == expected
    assert pseudonym("Alice Smith", "customer", KEY.encode()).startswith("customer-")
    assert pseudonym("Alice Smith", "agent", b"another-key-0000000") != expected
    monkeypatch.setenv(KEY_ENV, KEY)
    a = cspm.read(log_csv, pseudonymise="agent,customer", **COLS).to_pandas()
    b = cspm.read(log_csv, pseudonymise=["agent", "customer"], **COLS).to_pandas()
    assert a.equals(b)  # same input + key → same pseudonyms, run after run
    raw = pd.read_csv(log_csv)
    assert a["agent"].tolist() == [pseudonym(n, "agent", KEY.encode()) for n in raw["agent"]]
    assert a["team"].tolist() == raw["team"].tolist()  # team not asked for: unchanged
    # the same counts: one pseudonym per name
    assert a["customer"].nunique() == raw["customer_id"].nunique()
    assert sorted(a.groupby("agent").size()) == sorted(raw.groupby("agent").size())


def test_text_attributes_are_dropped_unless_kept_and_mapping_only_when_asked(monkeypatch, log_csv, tmp_path):
    monkeypatch.setenv(KEY_ENV, KEY)
    log = cspm.read(log_csv, **COLS)
    assert {"description", "category"} <= set(log.events.columns)
    safe = pseudonymise(log, "agent,team", keep=["category"])
    assert "description" not in safe.events.columns and "category" in safe.events.columns
    assert "text attributes dropped: description" in " ".join(safe.quality.warnings)
    assert safe.count_events() == log.count_events() and safe.quality.rejects is None
    assert not list(tmp_path.iterdir())
    mapped = pseudonymise(log, ["customer"], mapping=tmp_path / "map.csv")
    m = pd.read_csv(tmp_path / "map.csv")
    assert set(m.role) == {"customer"} and set(m.original) == set(pd.read_csv(log_csv).customer_id)
    back = dict(zip(m.pseudonym, m.original, strict=True))
    assert mapped.to_pandas()["customer"].map(back).tolist() == log.to_pandas()["customer"].tolist()


def test_no_key_is_a_clear_error(monkeypatch, capsys, log_csv, tmp_path):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(InputError, match=f"needs a secret key: set the environment variable {KEY_ENV}"):
        cspm.read(log_csv, pseudonymise="agent", **COLS)
    with pytest.raises(InputError, match="cannot pseudonymise 'agents'"):
        cspm.read(log_csv, pseudonymise="agents", **COLS)
    code, _, err = run_main(capsys, "validate", log_csv, "--pseudonymise", "agent")
    assert code == 2 and KEY_ENV in err and "Traceback" not in err
    key_file = tmp_path / "key.txt"
    key_file.write_text(KEY + "\n")
    cfg = cspm.config.Config(pseudonymise={"roles": ["agent"], "key_file": key_file})
    df = cspm.read(log_csv, config=cfg, **COLS).to_pandas()
    assert df["agent"].iloc[0] == pseudonym(pd.read_csv(log_csv)["agent"].iloc[0], "agent", KEY.encode())


def _text(path: Path) -> str:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return path.read_text("utf-8", errors="replace")


def test_no_original_name_appears_in_any_output(monkeypatch, log_csv, names, tmp_path):
    monkeypatch.setenv(KEY_ENV, KEY)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, [
        "discover", str(log_csv), "--out", str(out), "--config", "sample_logs/cspm.example.yaml",
        "--model", "sample_logs/to_be.bpmn", "--pseudonymise", "agent,customer,team", "--keep-attribute", "category",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    files = sorted(p for p in out.iterdir() if p.is_file())
    suffixes = {p.suffix for p in files}
    assert {".html", ".svg", ".csv", ".xlsx", ".json", ".bpmn"} <= suffixes
    everything = {p.name: _text(p) for p in files}
    for role, values in names.items():
        for name in values:
            leaks = [f for f, text in everything.items() if name in text]
            assert not leaks, f"{role} {name!r} appears in {leaks}"
    for name in names["agent"] | names["customer"]:
        assert name not in res.output
    # not vacuous: the handoffs between teams are in the report and the workbook, as pseudonyms
    teams = {pseudonym(t, "team", KEY.encode()) for t in names["team"]}
    assert any(t in everything["report.html"] for t in teams)
    assert any(t in everything["report.xlsx"] for t in teams)
    summary = json.loads(everything["summary.json"])
    assert any("keyed pseudonyms" in w for w in summary["quality"]["warnings"])
    assert not (out / "pseudonyms.csv").exists()
