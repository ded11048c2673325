"""Engine parity for discovery: edges, variants, activity stats, lead times and a variant filter
give identical results on DuckDB and Spark."""

from __future__ import annotations

import pandas as pd
import pytest

from cspm.mining.discovery import Cases, activity_codes, activity_table, edge_table, variant_table
from cspm.mining.filters import filter_variants

pytestmark = pytest.mark.spark


def _sorted(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return df.sort_values(keys).reset_index(drop=True)[sorted(df.columns)]


def test_edges_equal(helpdesk_log, helpdesk_spark):
    duck = _sorted(edge_table(helpdesk_log.events).to_pandas(), ["source", "target"])
    spark = _sorted(edge_table(helpdesk_spark.events).to_pandas(), ["source", "target"])
    assert len(duck) == 55 and int(duck["count"].sum()) == 21_348 - 4_580
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False, check_exact=True)


def test_activity_stats_equal(helpdesk_log, helpdesk_spark):
    duck = _sorted(activity_table(helpdesk_log.events).to_pandas(), ["activity"])
    spark = _sorted(activity_table(helpdesk_spark.events).to_pandas(), ["activity"])
    assert len(duck) == 14
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False, check_exact=True)


def test_variants_and_lead_times_equal(helpdesk_log, helpdesk_spark):
    assert activity_codes(helpdesk_log.events).to_pandas().sort_values("code").activity.tolist() == (
        activity_codes(helpdesk_spark.events).to_pandas().sort_values("code").activity.tolist()
    )
    duck = _sorted(variant_table(helpdesk_log.events).to_pandas(), ["variant_key"])
    spark = _sorted(variant_table(helpdesk_spark.events).to_pandas(), ["variant_key"])
    assert len(duck) == 226 and int(duck["count"].sum()) == 4_580
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False, check_exact=True)
    duck_cases, spark_cases = Cases.compute(helpdesk_log), Cases.compute(helpdesk_spark)
    assert duck_cases.cases == spark_cases.cases == 4_580
    pd.testing.assert_frame_equal(duck_cases.to_pandas(), spark_cases.to_pandas(), check_dtype=False, check_exact=True)
    assert duck_cases.lead_time == spark_cases.lead_time


def test_variant_filter_equal(helpdesk_log, helpdesk_spark, helpdesk_pm4py):
    import pm4py

    # independently, from pm4py's variants: the 7th most frequent variant crosses 80 % of the tickets
    counts = sorted(pm4py.get_variants(helpdesk_pm4py).values(), reverse=True)
    assert counts[:8] == [2_366, 552, 228, 213, 164, 109, 69, 62]
    assert sum(counts[:6]) / 4_580 < 0.8 <= sum(counts[:7]) / 4_580  # 79.3 % < 80 % <= 80.8 %
    top7 = pm4py.filter_variants_top_k(helpdesk_pm4py, 7)
    cols = ["case_id", "activity", "timestamp"]
    duck = _sorted(filter_variants(helpdesk_log, coverage=0.8).events.select(cols).to_pandas(), cols)
    spark = _sorted(filter_variants(helpdesk_spark, coverage=0.8).events.select(cols).to_pandas(), cols)
    assert duck.case_id.nunique() == spark.case_id.nunique() == sum(counts[:7]) == 3_701
    assert len(duck) == len(spark) == len(top7) == 16_039
    assert set(duck.case_id) == set(top7["case:concept:name"])
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False, check_exact=True)
