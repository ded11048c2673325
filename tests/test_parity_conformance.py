"""Engine parity for conformance: variants and per-ticket fitness, deviation lead times and rules
give identical results on DuckDB and Spark."""

from __future__ import annotations

import pandas as pd
import pytest

from cspm.analysis.conformance import check_rules, conformance
from cspm.analysis.conformance.check import log_cases, variant_case_table
from cspm.analysis.conformance.deviations import lead_time_by_group
from cspm.config import config_from_dict
from cspm.mining.discovery import variants

pytestmark = pytest.mark.spark

RULES = config_from_dict({"rules": [
    {"rule": "at_most", "activity": "Assign seriousness"},
    {"rule": "before", "first": "Take in charge ticket", "then": "Resolve ticket"},
    {"rule": "before", "first": "Resolve ticket", "then": "Closed"},
    {"rule": "within", "activity": "Take in charge ticket", "after": "Assign seriousness", "within": "1d"},
]}).rules  # fmt: skip


def test_rules_equal_on_duckdb_and_spark(helpdesk_log, helpdesk_spark):
    duck = check_rules(helpdesk_log, RULES)
    spark = check_rules(helpdesk_spark, RULES)
    pd.testing.assert_frame_equal(duck.table(), spark.table())
    pd.testing.assert_frame_equal(duck.violations, spark.violations)
    assert duck.table().violations.sum() > 0 and (duck.table().violations < duck.table().applies).all()


def test_variants_and_case_fitness_equal_on_duckdb_and_spark(helpdesk_log, helpdesk_spark):
    vd, vs = variants(helpdesk_log).table, variants(helpdesk_spark).table
    assert vd["count"].sum() == 4_580 and len(vd) == 226
    assert vd.activities.tolist() == vs.activities.tolist() and vd["count"].tolist() == vs["count"].tolist()
    result = conformance(helpdesk_log, model="->('Assign seriousness', 'Take in charge ticket', 'Resolve ticket', 'Closed')",
                         deviations=False, precision=False)  # fmt: skip
    per_variant = result.variants
    # the per-variant verdicts joined back to the cases on each engine
    duck = variant_case_table(helpdesk_log, per_variant).to_pandas().sort_values("case_id").reset_index(drop=True)
    spark = variant_case_table(helpdesk_spark, per_variant).to_pandas().sort_values("case_id").reset_index(drop=True)
    cols = ["case_id", "lead_time", "fitness", "is_fit", "conforms", "status"]
    pd.testing.assert_frame_equal(duck[cols], spark[cols], check_dtype=False)
    assert duck.conforms.sum() == result.fitting_tickets > 0
    groups = pd.DataFrame({"variant_key": per_variant.variant_key, "group": per_variant.conforms.map(str)})
    a = lead_time_by_group(log_cases(helpdesk_log), groups).sort_values("group").reset_index(drop=True)
    b = lead_time_by_group(log_cases(helpdesk_spark), groups).sort_values("group").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
