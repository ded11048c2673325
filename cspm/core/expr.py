"""Small engine helpers shared by the analyses (Ibis, any backend), among them the one epoch conversion."""

from __future__ import annotations

import string
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd
from ibis.common.exceptions import IbisError

from cspm.core.engine import unique_name
from cspm.core.lifetime import release_when_unused
from cspm.core.log import ACTIVITY, CASE, ROW, TIMESTAMP


def case_window(*extra_group: str) -> Any:
    """Each case's events in order: (timestamp, source_row)."""
    return ibis.window(group_by=[CASE, *extra_group], order_by=[TIMESTAMP, ROW])


def epoch_seconds(ts: ir.TimestampValue) -> ir.FloatingValue:
    """Seconds since 1970-01-01 00:00 UTC as float64, exact to the millisecond, on every engine.

    The one conversion of timestamps to numbers in cspm: every duration is a difference of two of
    these (so durations have millisecond precision; digits below the millisecond are dropped).
    Ibis's ``epoch_seconds()`` alone is not portable: on DuckDB it compiles to ``epoch(ts)``, which
    keeps the fraction (``1704067201.5`` for ``2024-01-01 00:00:01.5``), on Spark to
    ``unix_timestamp(ts)``, which drops it (``1704067201``). Whole seconds of the timestamp truncated
    to the second plus its millisecond field give the same value on both (and before 1970).
    """
    if ts.type().timezone is not None and _backend_name(ts) == "duckdb":
        # DuckDB truncates and extracts fields of a TIMESTAMPTZ through ICU, about 3× slower than
        # of a plain TIMESTAMP; the cast gives the UTC wall time (cspm's DuckDB session is in UTC,
        # which Ibis's epoch_seconds() relies on already: it compiles to epoch(CAST(ts AS TIMESTAMP))).
        ts = ts.cast(dt.Timestamp(scale=ts.type().scale))
    whole = ts.truncate("s").epoch_seconds().cast("int64")
    return (whole * 1000 + ts.millisecond().cast("int64")).cast("float64") / 1000.0


def _backend_name(expr: ir.Expr) -> str | None:
    try:
        return str(expr._find_backend().name)
    except IbisError:  # an unbound expression: no engine yet
        return None


_WHITESPACE = [ord(c) for c in string.whitespace]  # what Ibis's strip() removes on every engine


def clean_text(expr: ir.Value) -> ir.StringValue:
    """A text column with blank values (empty, or only whitespace) as NULL.

    Only a value whose first character is whitespace can be blank without being empty, so the
    engine strips those alone (the others are compared, not copied)."""
    text = expr.cast("string")
    blank = (text == "") | (text.ascii_str().isin(_WHITESPACE) & (text.strip() == ""))
    return ibis.ifelse(blank, ibis.null("string"), text)


def activity_names(events: ir.Table) -> list[str]:
    """The distinct activity names (a small list)."""
    return sorted(str(a) for a in events.select(ACTIVITY).distinct().to_pandas()[ACTIVITY].dropna())


def matching(names: list[str], exact: list[str], keywords: tuple[str, ...]) -> list[str]:
    """Names equal to one of ``exact`` (case-insensitive) or containing one of ``keywords``."""
    wanted = {e.casefold() for e in exact}
    return [
        n for n in names if n.casefold() in wanted or any(k.casefold() in n.casefold() for k in keywords)
    ]


def to_frame(expr: ir.Table, sort: list[str] | None = None) -> pd.DataFrame:
    """Fetch a small result and sort it deterministically."""
    df = expr.to_pandas()
    if sort:
        df = df.sort_values(sort, kind="stable").reset_index(drop=True)
    return df


def small_table(like: ir.Table, frame: pd.DataFrame) -> ir.Table:
    """A small pandas table as a temporary table on the backend of ``like`` (DuckDB or Spark)."""
    backend = like._find_backend(use_default=True)
    name = unique_name("cal")
    if backend.name == "pyspark":  # Ibis has no temporary tables on Spark: a temporary view
        backend._session.createDataFrame(frame).createOrReplaceTempView(name)
        return backend.table(name)
    table = backend.create_table(name, frame, temp=True)
    release_when_unused(table)
    return table


def as_int(value: Any) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def as_float(value: Any) -> float | None:
    """An aggregate that may be null (no rows) as a float, None when null."""
    return None if value is None or pd.isna(value) else float(value)


def example_cases(table: ir.Table, value: ir.Value | None = None, n: int = 5) -> list[str]:
    """The ids of up to ``n`` tickets of ``table`` behind a finding (the drill-down examples),
    chosen deterministically: the largest ``value`` of the ticket first (ties, and without a value:
    by ticket id). Computed on the engine; only the ``n`` ids are fetched."""
    v = ibis.literal(0) if value is None else value
    g = table.mutate(_ex=v).group_by(CASE).aggregate(_ex=lambda t: t._ex.max())
    ids = g.order_by([ibis.desc("_ex"), CASE]).limit(n).select(CASE).to_pandas()[CASE]
    return [str(i) for i in ids]


def example_cases_by(table: ir.Table, by: list[str], value: ir.Value | None = None, n: int = 5) -> dict[tuple, list[str]]:
    """:func:`example_cases` of every group of ``by`` in one query: group key tuple → the ids of up
    to ``n`` tickets (the same choice as :func:`example_cases` on the group's rows). Groups without
    rows are absent."""
    v = ibis.literal(0) if value is None else value
    g = table.mutate(_ex=v).group_by([*by, CASE]).aggregate(_ex=lambda t: t._ex.max())
    g = g.mutate(_rn=ibis.row_number().over(group_by=[g[b] for b in by], order_by=[ibis.desc(g._ex), g[CASE]]))
    df = g.filter(g._rn < n).select(*by, CASE, "_ex").to_pandas()
    df = df.sort_values([*by, "_ex", CASE], ascending=[True] * len(by) + [False, True], kind="stable")
    out: dict[tuple, list[str]] = {}
    for row in df.itertuples(index=False):
        out.setdefault(tuple(row[: len(by)]), []).append(str(row[len(by)]))
    return out
