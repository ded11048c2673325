"""Flow efficiency and conformance fitness to the to-be model in the comparison table, each test
checked against scipy on the per-ticket values of ``cspm.value_stream`` / ``cspm.conformance``
split by pandas (tickets by their first event)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cspm
from cspm.analysis.compare import baseline, compare
from cspm.config import config_from_dict
from cspm.simulate import write_simulated_log

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "sample_logs" / "to_be.yaml"
TZ = "Europe/Berlin"
SPLIT = "2024-03-07"
CFG = config_from_dict({"calendar": {"timezone": TZ}})


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> cspm.TicketLog:
    path = tmp_path_factory.mktemp("quality") / "q.parquet"
    write_simulated_log(path, n_tickets=80, tickets_per_day=10, seed=11)
    return cspm.read(path)


@pytest.fixture(scope="module")
def comparison(log):
    return compare(log, CFG, split=SPLIT, model=MODEL)


@pytest.fixture(scope="module")
def after_ids(log) -> set[str]:
    ev = log.events.to_pandas()
    ts = pd.to_datetime(ev.timestamp)
    ts = ts.dt.tz_localize("UTC") if ts.dt.tz is None else ts
    first = ts.groupby(ev.case_id).min()
    return set(first.index[first >= pd.Timestamp(SPLIT, tz=TZ)])


def _split(frame: pd.DataFrame, column: str, after: set[str]) -> tuple[np.ndarray, np.ndarray]:
    frame = frame[frame[column].notna()]
    is_after = frame.case_id.isin(after)
    return frame.loc[~is_after, column].to_numpy(float), frame.loc[is_after, column].to_numpy(float)


def _check_ratio(row: pd.Series, a: np.ndarray, b: np.ndarray) -> None:
    assert (row.n_a, row.n_b) == (len(a), len(b))
    assert row.a == pytest.approx(np.median(a), abs=1e-6) and row.b == pytest.approx(np.median(b), abs=1e-6)
    assert row.test == "Mann–Whitney U" and row.statistic == "median"
    a6, b6 = np.round(a, 6), np.round(b, 6)  # the comparison rounds ratios to 6 decimals
    assert row.p == pytest.approx(stats.mannwhitneyu(a6, b6, method="asymptotic").pvalue, rel=1e-9)
    assert row.ci_low <= row.change <= row.ci_high


def test_flow_efficiency_row_equals_scipy(log, comparison, after_ids) -> None:
    per = cspm.value_stream(log, CFG).cases()
    a, b = _split(per, "flow_efficiency", after_ids)
    assert (len(a), len(b)) == (44, 36)
    row = comparison.row("flow||efficiency")
    assert row["name"] == "flow efficiency per ticket" and row.kind == "ratio"
    _check_ratio(row, a, b)


def test_fitness_rows_equal_scipy(log, comparison, after_ids) -> None:
    cases = cspm.conformance(log, CFG, model=MODEL, deviations=False, precision=False).cases.to_pandas()
    a, b = _split(cases, "fitness", after_ids)
    _check_ratio(comparison.row("conformance||fitness"), a, b)
    fit_a, fit_b = _split(cases.assign(is_fit=cases.is_fit.astype(float)), "is_fit", after_ids)
    row = comparison.row("conformance||fitting")
    assert row.a == pytest.approx(fit_a.mean()) and row.b == pytest.approx(fit_b.mean())
    xa, xb = int(fit_a.sum()), int(fit_b.sum())
    assert 0 < xa < len(fit_a)  # some tickets deviate from the to-be path (the simulator's deviations)
    table = [[xa, len(fit_a) - xa], [xb, len(fit_b) - xb]]
    if row.test == "Fisher's exact":
        expected = stats.fisher_exact(table).pvalue
    else:
        assert row.test == "two-proportion z"
        expected = stats.chi2_contingency(table, correction=False).pvalue
    assert row.p == pytest.approx(expected, rel=1e-9)
    se = np.sqrt(fit_a.mean() * (1 - fit_a.mean()) / len(fit_a) + fit_b.mean() * (1 - fit_b.mean()) / len(fit_b))
    assert (row.ci_low, row.ci_high) == pytest.approx((row.change - 1.959964 * se, row.change + 1.959964 * se), rel=1e-5)


def test_fitness_only_with_a_model(log, comparison) -> None:
    """Without a model there are no fitness rows; ``conformance.model`` in the config gives one."""
    plain = compare(log, CFG, split=SPLIT)
    assert not plain.figures.family.eq("conformance").any() and plain.figures.family.eq("flow").any()
    cfg = config_from_dict({"calendar": {"timezone": TZ}, "conformance": {"model": str(MODEL)}})
    via_config = compare(log, cfg, split=SPLIT)
    rows = via_config.figures[via_config.figures.family == "conformance"].reset_index(drop=True)
    ours = comparison.figures[comparison.figures.family == "conformance"].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows.drop(columns="q"), ours.drop(columns="q"))


def test_baseline_carries_the_fitness(log, tmp_path) -> None:
    """A baseline frozen with the model gives the fitness rows of the two-log comparison."""
    frozen = baseline(log, CFG, model=MODEL)
    path = tmp_path / "b.json"
    frozen.save(path)
    again = compare(cspm.analysis.compare.load_baseline(path), log, CFG, model=MODEL)
    direct = compare(log, log, CFG, model=MODEL)
    for fid in ("conformance||fitness", "conformance||fitting", "flow||efficiency"):
        assert again.row(fid).drop(["q", "significant"]).equals(direct.row(fid).drop(["q", "significant"]))
        assert again.row(fid).change == 0


def test_cli_model_option(log, tmp_path, capsys) -> None:
    """`cspm compare --split … --model` gives the fitness rows; a missing model file: exit 2, no traceback."""
    from typer.testing import CliRunner

    from cspm.cli import app

    path = tmp_path / "q.csv"
    log.events.to_pandas().to_csv(path, index=False)
    runner = CliRunner()
    ok = runner.invoke(app, ["compare", str(path), "--split", SPLIT, "--model", str(MODEL), "--format", "json"])
    assert ok.exit_code == 0, ok.output
    figures = {f["figure"] for f in __import__("json").loads(ok.stdout)["figures"]}
    assert {"conformance||fitness", "conformance||fitting", "flow||efficiency"} <= figures
    import sys

    from cspm.cli import main

    argv, sys.argv = sys.argv, ["cspm", "compare", str(path), "--split", SPLIT, "--model", str(tmp_path / "none.bpmn")]
    try:
        with pytest.raises(SystemExit) as stop:
            main()
    finally:
        sys.argv = argv
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "--model names no such file" in err and "Traceback" not in err
