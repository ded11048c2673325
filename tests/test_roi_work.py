"""ROI of handling time: ``costs.hourly_rate`` × the work hours saved where the logs have work time
(start/complete lifecycle), and a stated assumption where they have none — exact figures on two
hand-made logs."""

from __future__ import annotations

from pathlib import Path

import pytest

import cspm
from cspm.analysis.compare import compare, roi
from cspm.config import config_from_dict

CFG = config_from_dict({"costs": {"hourly_rate": 40.0, "currency": "EUR"}})
# ticket, activity, transition, time (2024-01-02/03): work = start → complete of each step
BEFORE = [
    ("T1", "Ticket created", "complete", "02 09:00"),
    ("T1", "Investigate", "start", "02 10:00"), ("T1", "Investigate", "complete", "02 12:00"),  # 2 h
    ("T1", "Close ticket", "start", "02 12:30"), ("T1", "Close ticket", "complete", "02 13:00"),  # 0.5 h
    ("T2", "Ticket created", "complete", "02 08:00"),
    ("T2", "Investigate", "start", "02 09:00"), ("T2", "Investigate", "complete", "02 10:00"),  # 1 h
    ("T2", "Close ticket", "start", "02 10:00"), ("T2", "Close ticket", "complete", "02 10:30"),  # 0.5 h
]  # fmt: skip
AFTER = [
    ("T3", "Ticket created", "complete", "03 09:00"),
    ("T3", "Investigate", "start", "03 09:15"), ("T3", "Investigate", "complete", "03 10:15"),  # 1 h
    ("T3", "Close ticket", "start", "03 11:00"), ("T3", "Close ticket", "complete", "03 11:30"),  # 0.5 h
    ("T4", "Ticket created", "complete", "03 08:00"),
    ("T4", "Investigate", "start", "03 08:10"), ("T4", "Investigate", "complete", "03 08:40"),  # 0.5 h
    ("T4", "Close ticket", "start", "03 09:00"), ("T4", "Close ticket", "complete", "03 09:30"),  # 0.5 h
]  # fmt: skip


def _write(path: Path, rows: list[tuple[str, str, str, str]], lifecycle: bool = True) -> Path:
    head = "case,activity,lifecycle:transition,time" if lifecycle else "case,activity,time"
    keep = rows if lifecycle else [r for r in rows if r[2] == "complete"]
    body = [f"{c},{a},{t},2024-01-{ts.replace(' ', 'T')}:00+00:00" if lifecycle else f"{c},{a},2024-01-{ts.replace(' ', 'T')}:00+00:00"
            for c, a, t, ts in keep]  # fmt: skip
    path.write_text("\n".join([head, *body]) + "\n", encoding="utf-8")
    return path


def test_hourly_rate_prices_the_work_hours_saved(tmp_path) -> None:
    before = cspm.read(_write(tmp_path / "before.csv", BEFORE))
    after = cspm.read(_write(tmp_path / "after.csv", AFTER))
    c = compare(before, after, CFG)
    assert c.work_hours_per_ticket == pytest.approx((2.0, 1.25))  # (2.5 + 1.5) / 2, (1.5 + 1.0) / 2
    row = c.row("work||")
    assert (row.n_a, row.n_b, row.a, row.b) == (2, 2, pytest.approx(2.0), pytest.approx(1.25))  # medians
    r = roi(c, CFG, tickets_per_month=100)
    h = r.items.set_index("item").loc["handling"]
    assert (h.per_ticket_a, h.per_ticket_b, h.unit_cost) == (pytest.approx(2.0), pytest.approx(1.25), 40.0)
    assert h.saving_per_ticket == pytest.approx(0.75 * 40.0) and h.saving_per_month == pytest.approx(3000.0)
    assert r.saving_per_ticket == pytest.approx(30.0)  # no other cost is configured
    assert any("start-to-complete" in n for n in r.assumptions)
    assert "hourly_rate" in r.summary()["method"]


def test_without_work_time_the_assumption_is_stated(tmp_path) -> None:
    before = cspm.read(_write(tmp_path / "before.csv", BEFORE, lifecycle=False))
    after = cspm.read(_write(tmp_path / "after.csv", AFTER, lifecycle=False))
    c = compare(before, after, CFG)
    assert c.work_hours_per_ticket is None and not c.figures.family.eq("work").any()
    r = roi(c, CFG, tickets_per_month=100)
    assert "handling" not in set(r.items["item"])
    note = [n for n in r.assumptions if n.startswith("Handling hours saved are not estimated")]
    assert len(note) == 1 and "costs.hourly_rate (40 EUR) is not applied" in note[0]
    assert note[0] in r.summary()["assumptions"]
