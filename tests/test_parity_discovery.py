"""Engine parity for discovery: edges, variants, activity stats, lead times and a variant filter
give identical results on DuckDB and Spark."""

from __future__ import annotations

import pandas as pd
import pytest

from cspm.discovery import Cases, activity_codes, activity_table, edge_table, variant_table
from cspm.filters import filter_variants

pytestmark = pytest.mark.spark


def _sorted(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return df.sort_values(keys).reset_index(drop=True)[sorted(df.columns)]


def test_edges_equal(helpdesk_log, helpdesk_spark):
    duck = _sorted(edge_table(helpdesk_log.events).to_pandas(), ["source", "target"])
    spark = _sorted(edge_table(helpdesk_spark.events).to_pandas(), ["source", "target"])
    assert len(duck) == 55 and int(duck["count"].sum()) == 21_348 - 4_580
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False, rtol=1e-12)


def test_activity_stats_equal(helpdesk_log, helpdesk_spark):
    duck = _sorted(activity_table(helpdesk_log.events).to_pandas(), ["activity"])
    spark = _sorted(activity_table(helpdesk_spark.events).to_pandas(), ["activity"])
    assert len(duck) == 14
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False, rtol=1e-12)


def test_variants_and_lead_times_equal(helpdesk_log, helpdesk_spark):
    assert activity_codes(helpdesk_log.events).to_pandas().sort_values("code").activity.tolist() == (
        activity_codes(helpdesk_spark.events).to_pandas().sort_values("code").activity.tolist()
    )
    duck = _sorted(variant_table(helpdesk_log.events).to_pandas(), ["variant_key"])
    spark = _sorted(variant_table(helpdesk_spark.events).to_pandas(), ["variant_key"])
    assert len(duck) == 226 and int(duck["count"].sum()) == 4_580
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False, rtol=1e-12)
    assert Cases.compute(helpdesk_log).lead_time == pytest.approx(Cases.compute(helpdesk_spark).lead_time, rel=1e-12)


def test_variant_filter_equal(helpdesk_log, helpdesk_spark):
    duck = filter_variants(helpdesk_log, coverage=0.8).events.case_id.to_pandas()
    spark = filter_variants(helpdesk_spark, coverage=0.8).events.case_id.to_pandas()
    assert sorted(duck.unique()) == sorted(spark.unique())
    assert duck.nunique() >= 0.8 * 4_580
