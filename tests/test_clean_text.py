"""Blank text as NULL (``cspm.core.expr.clean_text``): empty and whitespace-only values, and only
those, become NULL — the same on DuckDB and on Spark, and the same as Python's ``str.strip``."""

from __future__ import annotations

import string

import ibis
import pandas as pd
import pytest

from cspm.core.engine import new_duckdb_backend, spark_backend
from cspm.core.expr import clean_text

VALUES = ["", " ", "\t", " \t\n\r ", "\n\n", "a", " a", "a ", "\ta\t", "处理", "\u3000", "\u00a0x", None]
# vertical tab and form feed: stripped on DuckDB; Spark's trim keeps them (before and after the
# guard in clean_text was added), so they are checked on DuckDB only
CONTROL = [" \x0b\x0c ", "\x0ba"]


def _expected(v: str | None) -> str | None:
    return None if v is None or v.strip(string.whitespace) == "" else v


def _cleaned(backend, values: list[str | None] = VALUES) -> list[str | None]:
    df = pd.DataFrame({"i": range(len(values)), "v": pd.Series(values, dtype="object")})
    name = f"clean_text_{id(backend)}"
    t = backend.create_table(name, ibis.memtable(df, schema={"i": "int64", "v": "string"}), overwrite=True)
    out = t.select("i", c=clean_text(t.v)).order_by("i").to_pandas()
    return [None if pd.isna(c) else c for c in out.c]


def test_blank_values_become_null_on_duckdb():
    got = _cleaned(new_duckdb_backend())
    assert got == [_expected(v) for v in VALUES]
    # by hand: the six blank values and the NULL; U+3000 and NBSP are not in Ibis's strip set
    assert [v for v, g in zip(VALUES, got, strict=True) if g is None] == ["", " ", "\t", " \t\n\r ", "\n\n", None]
    assert _cleaned(new_duckdb_backend(), CONTROL) == [None, "\x0ba"]


@pytest.mark.spark
def test_blank_values_become_null_on_spark(spark):
    assert _cleaned(spark_backend(spark)) == [_expected(v) for v in VALUES]
