"""``report.xlsx`` opened by a real spreadsheet: LibreOffice headless converts every sheet to CSV and
the figures are those cspm wrote (and formula-like text stays text, never evaluated).

Needs Debian's ``libreoffice-calc-nogui`` (``soffice``); without it the tests skip with a reason
starting ``LIBREOFFICE-SKIPPED`` and ``.ci/run`` (which installs it) fails."""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import cspm
from cspm.pipeline import write_discovery
from cspm.render.workbook import Sheet, write_workbook
from cspm.simulate.simulator import SimulationSettings, simulate

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
# field separator ',', text delimiter '"', UTF-8, raw values (not as shown), every sheet (-1)
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


@pytest.fixture(scope="module")
def soffice() -> str:
    if SOFFICE is None:
        pytest.skip("LIBREOFFICE-SKIPPED: soffice is not installed (apt-get install libreoffice-calc-nogui)")
    return SOFFICE


def to_csv(soffice: str, book: Path) -> dict[str, list[list[str]]]:
    """Every sheet of ``book`` as LibreOffice exports it to CSV: sheet name → rows."""
    out = book.parent / f"{book.stem}-csv"
    out.mkdir()
    profile = (book.parent / "lo-profile").as_uri()
    run = subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", CSV_FILTER,
                          "--outdir", str(out), str(book)], capture_output=True, text=True, timeout=180)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    sheets = {}
    for path in out.glob(f"{book.stem}-*.csv"):
        with path.open(encoding="utf-8", newline="") as f:
            sheets[path.stem.removeprefix(f"{book.stem}-")] = list(csv.reader(f))
    return sheets


def cell_text(value: object) -> str:
    """How LibreOffice writes a raw value into CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return str(value)


def same(expected: object, shown: str) -> bool:
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        # a share formatted as a percentage is exported as '37.5%'
        value = float(shown[:-1]) / 100 if shown.endswith("%") else float(shown)
        return value == pytest.approx(expected, rel=1e-9, abs=1e-12)
    return cell_text(expected) == shown


def test_formula_like_text_stays_text_in_libreoffice(soffice, tmp_path):
    frame = pd.DataFrame({"team": ["Ops", "=1+1", "+1+1", "-1+1", "@SUM(B2:B3)", 'a,"b"'],
                          "median_h": [1.25, 2 / 3, 3.5, 0.0, 1234567.125, 2.0]})  # fmt: skip
    book = write_workbook([Sheet("Teams", frame)], tmp_path / "teams.xlsx")
    rows = to_csv(soffice, book)["Teams"]
    assert rows[0] == ["team", "median (h)"]
    assert [r[0] for r in rows[1:]] == frame["team"].tolist()  # '=1+1' is not 2
    assert [float(r[1]) for r in rows[1:]] == pytest.approx(frame["median_h"].tolist(), rel=1e-12)


def test_report_xlsx_has_the_same_figures_in_libreoffice(soffice, tmp_path):
    df, _ = simulate(SimulationSettings(n_tickets=80, seed=9))
    log = cspm.read(df, case_id="ticket_id", activity="activity", timestamp="timestamp", agent="agent",
                    team="team", channel="channel", priority="priority")  # fmt: skip
    outputs = write_discovery(log, tmp_path / "out", config=cspm.load_config("sample_logs/cspm.example.yaml"))
    book = outputs.files["workbook"]
    wb = openpyxl.load_workbook(book)
    shown = to_csv(soffice, book)
    assert set(shown) == set(wb.sheetnames)
    checked = 0
    for ws in wb.worksheets:
        expected = [list(r) for r in ws.iter_rows(values_only=True)]
        rows = shown[ws.title]
        assert len(rows) == len(expected), ws.title
        for want, got in zip(expected, rows, strict=True):
            got = got + [""] * (len(want) - len(got))
            for w, g in zip(want, got, strict=True):
                assert same(w, g), (ws.title, want, got)
                checked += 1
    overview = {r[0]: r[1] for r in shown["Overview"][1:]}
    assert float(overview["tickets"]) == 80 == outputs.summary["overview"]["cases"]
    assert checked > 500
