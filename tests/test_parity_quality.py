"""Engine parity for the data-quality counts: DuckDB and Spark give identical figures."""

from __future__ import annotations

import pytest

from cspm.ingest.quality import event_checks

pytestmark = pytest.mark.spark


def test_quality_counts_equal_on_duckdb_and_spark(helpdesk_log, helpdesk_spark):
    assert helpdesk_log.engine == "duckdb"
    assert helpdesk_spark.engine == "pyspark"
    duck = event_checks(helpdesk_log.events)
    spark = event_checks(helpdesk_spark.events)
    assert duck["events"] == 21_348 and duck["cases"] == 4_580 and duck["activities"] == 14
    assert duck == spark
