"""The Excel workbook for managers (``report.xlsx`` and ``save("x.xlsx")``), read back with openpyxl:
typed cells, units in the headers, frozen headers, widths, conditional formatting on breaches and
text cells for anything a spreadsheet would run as a formula."""

from __future__ import annotations

import json
from datetime import datetime

import openpyxl
import pandas as pd
import pytest

import cspm
from cspm.pipeline import write_discovery
from cspm.render.workbook import FORMULA_TRIGGERS, Sheet, write_workbook
from cspm.simulate.simulator import SimulationSettings, simulate

INJECTIONS = ["=1+1", "+49 30 1234", "-2+3", "@SUM(A1:A2)", "\t=cmd", "\r=cmd", "=HYPERLINK(\"http://x\")"]


@pytest.fixture
def book(tmp_path):
    frame = pd.DataFrame({
        "team": ["Ops", *INJECTIONS],
        "median_h": [1.25, 2.0, 3.5, 0.0, 4.0, 5.0, 6.0, 7.5],
        "tickets": pd.Series([1234, 2, 3, 4, 5, 6, 7, 8], dtype="int64"),
        "attained": [0.853, 0.9, 1.0, 0.0, 0.5, 0.25, 0.75, 0.1],
        "away_s": [3600.0, 7200.0, 1800.0, 0.0, 36.0, 360.0, 3600.0, 90.0],
        "meets": [True, False, True, True, False, True, True, True],
        "opened": pd.to_datetime(["2024-03-04 09:00+01:00"] * 8),
    })  # fmt: skip
    path = write_workbook([Sheet("Waiting vs targets", frame, breach="meets", breach_when=False, note="def"),
                           Sheet("Waiting vs targets", frame.head(1))], tmp_path / "w.xlsx")  # fmt: skip
    return openpyxl.load_workbook(path), frame


def test_headers_carry_units_and_cells_are_typed(book):
    wb, frame = book
    assert wb.sheetnames == ["Waiting vs targets", "Waiting vs targets (2)"]  # unique names
    ws = wb["Waiting vs targets"]
    assert [c.value for c in ws[1]] == ["team", "median (h)", "tickets", "attained (%)", "away (h)", "meets",
                                        "opened (UTC)"]  # fmt: skip
    row = [c.value for c in ws[2]]
    assert row == ["Ops", 1.25, 1234, 0.853, 1.0, True, datetime(2024, 3, 4, 8, 0)]  # seconds → hours, UTC
    fmts = [c.number_format for c in ws[2]]
    assert fmts[1] == "#,##0.0" and fmts[2] == "#,##0" and fmts[3] == "0.0%" and fmts[6] == "yyyy-mm-dd hh:mm"
    assert ws.freeze_panes == "A2"
    assert all(ws.column_dimensions[c].width >= 8 for c in "ABCDEFG")
    assert ws.column_dimensions["G"].width >= len("opened (UTC)")
    assert ws["A1"].comment.text == "def"


def test_rows_in_breach_have_a_conditional_format(book):
    wb, _ = book
    ws = wb["Waiting vs targets"]
    rules = [(str(rng.sqref), r.formula) for rng in ws.conditional_formatting for r in rng.rules]
    assert rules == [("A2:G9", ["$F2=FALSE"])]  # column F = meets; a breach is meets == FALSE
    assert not list(wb["Waiting vs targets (2)"].conditional_formatting)


def test_formula_like_text_is_written_as_text(book, tmp_path):
    wb, _ = book
    ws = wb["Waiting vs targets"]
    cells = [ws.cell(row=r, column=1) for r in range(3, 3 + len(INJECTIONS))]
    assert [c.value for c in cells] == INJECTIONS
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert not ws["A2"].quotePrefix  # ordinary text is ordinary
    assert {v[0] for v in INJECTIONS} == set(FORMULA_TRIGGERS)
    # no formula element anywhere in the file
    import zipfile

    with zipfile.ZipFile(tmp_path / "w.xlsx") as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml


# --- report.xlsx from cspm discover ------------------------------------------------------------------
@pytest.fixture(scope="module")
def discovered(tmp_path_factory):
    df, _ = simulate(SimulationSettings(n_tickets=150, seed=5))
    log = cspm.read(df, case_id="ticket_id", activity="activity", timestamp="timestamp", agent="agent",
                    team="team", channel="channel", priority="priority")  # fmt: skip
    cfg = cspm.load_config("sample_logs/cspm.example.yaml")
    out = tmp_path_factory.mktemp("disc")
    outputs = write_discovery(log, out, config=cfg)
    return log, cfg, outputs


def test_discover_writes_report_xlsx_with_a_sheet_per_section(discovered):
    log, cfg, outputs = discovered
    path = outputs.files["workbook"]
    assert path.name == "report.xlsx" and path.parent == outputs.out_dir
    summary = json.loads((outputs.out_dir / "summary.json").read_text("utf-8"))
    assert summary["files"]["workbook"] == "report.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "Overview"
    for name in ("Waiting vs targets", "Bottleneck ranking", "KPIs", "Service-desk KPIs", "Weekly", "By channel",
                 "Workload by agent", "Handoffs", "Ping-pong pairs", "Variants", "Data quality"):  # fmt: skip
        assert name in wb.sheetnames, name
    assert wb.sheetnames.index("Data quality") == len(wb.sheetnames) - 1
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
    overview = {r[0]: r[1] for r in wb["Overview"].iter_rows(min_row=2, values_only=True)}
    assert overview["tickets"] == summary["overview"]["cases"] == 150
    assert overview["events"] == summary["overview"]["events"]
    assert overview["median lead time"] == pytest.approx(summary["lead_time_seconds"]["median"] / 3600)
    kpis = cspm.kpis(log, cfg).figures
    kpi = {r[0]: r[1] for r in wb["KPIs"].iter_rows(min_row=2, values_only=True)}
    assert kpi["first response median"] == pytest.approx(kpis.first_response_median_h)
    assert kpi["fcr rate"] == pytest.approx(kpis.fcr_rate)


def test_breaching_targets_are_coloured_in_the_workbook(discovered):
    log, cfg, outputs = discovered
    waiting = cspm.waiting(log, cfg)
    ws = openpyxl.load_workbook(outputs.files["workbook"])["Bottleneck ranking"]
    headers = [c.value for c in ws[1]]
    col = headers.index("meets") + 1
    values = [ws.cell(row=r, column=col).value for r in range(2, ws.max_row + 1)]
    assert values == waiting.ranking["meets"].tolist()
    assert False in values  # the sample's Assign L2 target is missed
    (rng,) = list(ws.conditional_formatting)
    letter = openpyxl.utils.get_column_letter(col)
    assert rng.rules[0].formula == [f"${letter}2=FALSE"]
    steps = [ws.cell(row=r, column=headers.index("step") + 1).value for r in range(2, ws.max_row + 1)]
    assert "Assign L2" in [s for s, ok in zip(steps, values, strict=True) if ok is False]
    assert "excess (h)" in headers and "target (h)" in headers and "attained (%)" in headers


def test_save_xlsx_on_any_result_gives_its_sheets(discovered, tmp_path):
    log, cfg, outputs = discovered
    d = outputs.discovery
    wb = openpyxl.load_workbook(d.dfg.save(tmp_path / "edges.xlsx"))
    ws = wb.active
    headers = [c.value for c in ws[1]]
    assert "wait median (h)" in headers and "count" in headers
    first = d.dfg.edges.iloc[0]
    row = dict(zip(headers, [c.value for c in ws[2]], strict=True))
    assert row["count"] == first["count"] and row["wait median (h)"] == pytest.approx(first["wait_median"] / 3600)
    assert openpyxl.load_workbook(cspm.kpis(log, cfg).save(tmp_path / "k.xlsx")).sheetnames == ["KPIs"]
