"""Engine parity of the comparison: on DuckDB and on Spark the comparison table (every figure: n,
before/after, change, CI, test, p, q, significance), the targets and verdicts, the variants, the
difference-in-differences and the monitor's period assignment are the same.

Flow efficiency and the fitness to the to-be model are in the table. A tiny log (60 tickets, split by date and by team: all four DiD cells) keeps the Spark side to a
few dozen engine queries."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cspm
from cspm.analysis.compare import compare
from cspm.analysis.compare.monitor import period_parts
from cspm.config import config_from_dict
from cspm.core.engine import to_spark
from cspm.simulate import write_simulated_log

pytestmark = pytest.mark.spark

SPLIT = "2024-03-07"
MODEL = Path(__file__).resolve().parents[1] / "sample_logs" / "to_be.yaml"
CFG = config_from_dict({
    "calendar": {"timezone": "Europe/Berlin"},
    "targets": {"steps": [{"step": "Assign L2", "max_wait": "4h", "attainment": 0.85, "clock": "business"}],
                "lead_time": [{"within": "3d", "clock": "calendar"}]},
})  # fmt: skip


@pytest.fixture(scope="module")
def logs(spark, tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("par") / "p.parquet"
    write_simulated_log(path, n_tickets=60, tickets_per_day=10, seed=4,
                        changes=[{"at": SPLIT, "team": "Billing", "bottleneck_wait_factor": 0.5}])  # fmt: skip
    log = cspm.read(path)
    return log, to_spark(log, spark)


@pytest.fixture(scope="module")
def comparisons(logs):
    duck, spark = logs
    return (compare(duck, CFG, split=SPLIT, group="team=Billing", model=MODEL),
            compare(spark, CFG, split=SPLIT, group="team=Billing", model=MODEL))  # fmt: skip


def test_the_log_gives_a_real_table(comparisons) -> None:
    """The parity below compares tested figures, not empty tables."""
    duck, _ = comparisons
    assert duck.tickets == {"control/after": 8, "control/before": 33, "pilot/after": 7, "pilot/before": 12}
    assert len(duck.figures) == 91 and duck.figures.p.notna().sum() == 55
    assert set(duck.figures.family) >= {"kpi", "wait", "edge", "handoffs", "lead_time", "target", "variant",
                                        "flow", "conformance"}  # fmt: skip
    assert set(duck.figures.test) == {"Mann–Whitney U", "exact Poisson rate test", "Fisher's exact", "none"}
    assert duck.did is not None and duck.did.p.notna().sum() > 20


def test_comparison_tables_agree(comparisons) -> None:
    duck, spark = comparisons
    pd.testing.assert_frame_equal(duck.figures, spark.figures)
    pd.testing.assert_frame_equal(duck.targets, spark.targets)
    assert duck.verdicts() == spark.verdicts()
    assert duck.tickets == spark.tickets and duck.rule == spark.rule
    assert (duck.variants_appeared, duck.variants_vanished) == (spark.variants_appeared, spark.variants_vanished)
    assert duck.waiting_hours_per_ticket == spark.waiting_hours_per_ticket


def test_did_agrees(comparisons) -> None:
    duck, spark = comparisons
    pd.testing.assert_frame_equal(duck.did, spark.did)


def test_periods_agree(logs) -> None:
    """The monitor's weeks (Spark returns naive UTC timestamps; this failed before on Spark)."""
    duck, spark = logs
    pa, la = period_parts(duck, "week", "Europe/Berlin")
    pb, lb = period_parts(spark, "week", "Europe/Berlin")
    assert la == lb == ["2024-03-04"]
    a = pa.to_pandas().sort_values("case_id").reset_index(drop=True)
    b = pb.to_pandas().sort_values("case_id").reset_index(drop=True)
    assert a.part.value_counts().to_dict() == {"2024-03-04": 60}
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
