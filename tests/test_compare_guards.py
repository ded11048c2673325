"""Guards of a comparison on tiny hand-made logs (too few tickets: no p-value but a reason;
different activity sets listed), ``cspm compare BEFORE AFTER`` on two files, and the simulator's
change injection (unchanged tickets identical, changed waits exactly scaled, ping-pong removed)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from cspm.cli import app
from cspm.simulate import simulate


def _log(rows: list[tuple[str, str, int]], path) -> None:
    df = pd.DataFrame(rows, columns=["ticket_id", "activity", "minute"])
    df["timestamp"] = (pd.Timestamp("2024-03-04 09:00", tz="UTC") + pd.to_timedelta(df.pop("minute"), unit="min")).map(lambda t: t.isoformat())
    df.to_csv(path, index=False)


def test_two_files_few_tickets_and_different_activities(tmp_path) -> None:
    _log([("a1", "Open", 0), ("a1", "Legacy check", 30), ("a1", "Close", 90), ("a2", "Open", 5), ("a2", "Close", 65)], tmp_path / "before.csv")
    _log([("b1", "Open", 0), ("b1", "Close", 20), ("b2", "Open", 10), ("b2", "Triage", 15), ("b2", "Close", 40)], tmp_path / "after.csv")
    res = CliRunner().invoke(app, ["compare", str(tmp_path / "before.csv"), str(tmp_path / "after.csv"), "--format", "json",
                                   "-o", str(tmp_path / "c.html")])  # fmt: skip
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["tickets"] == {"before": 2, "after": 2}
    assert data["activities_only_a"] == ["Legacy check"] and data["activities_only_b"] == ["Triage"]
    assert any("different activity sets" in n for n in data["notes"])
    lead = next(f for f in data["figures"] if f["figure"] == "lead_time|calendar|")
    assert lead["p"] is None and lead["significant"] is False and "too few observations" in lead["note"]
    assert lead["a"] == 1.25 and lead["b"] == 25 / 60  # medians of (90, 60) and (20, 30) minutes, in hours
    assert data["significant"] == 0
    html = (tmp_path / "c.html").read_text()
    assert "only before: Legacy check" in html and "too few observations" in html


def test_injected_change_moves_only_the_changed_tickets() -> None:
    base, _ = simulate(n_tickets=300, seed=9)
    changed, truth = simulate(n_tickets=300, seed=9, changes=[{"at": "2024-03-05", "bottleneck_wait_factor": 0.5, "ping_pong_factor": 0.0}])
    first = changed.groupby("ticket_id").timestamp.transform("min")
    late = first >= pd.Timestamp("2024-03-05", tz="Europe/Berlin")
    early_ids = set(changed.ticket_id[~late])
    pd.testing.assert_frame_equal(changed[~late].reset_index(drop=True),
                                  base[base.ticket_id.isin(early_ids)].reset_index(drop=True))  # fmt: skip
    (ch,) = truth.summary["changes"]
    assert ch["tickets"] == changed.ticket_id[late].nunique() > 100
    assert ch["median_wait_with_business_hours"] == pytest_approx(ch["median_wait_without_business_hours"] / 2)
    cases = truth.cases.set_index("ticket_id")
    late_ids = set(changed.ticket_id[late])
    assert not cases.loc[sorted(late_ids), "ping_pong"].any()  # ping-pong probability × 0
    assert cases.loc[sorted(early_ids), "ping_pong"].any()
    # every ticket keeps its arrival and its first steps: only what follows the bottleneck moves
    assert np.array_equal(changed.groupby("ticket_id").timestamp.min().values, base.groupby("ticket_id").timestamp.min().values)


def pytest_approx(x: float):
    import pytest

    return pytest.approx(x, rel=1e-3)
