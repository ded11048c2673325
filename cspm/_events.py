"""Small engine helpers shared by the handoff, ping-pong and rework analyses (Ibis, any backend)."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.log import ACTIVITY, CASE, ROW, TIMESTAMP


def case_window(*extra_group: str) -> Any:
    """Each case's events in order: (timestamp, source_row)."""
    return ibis.window(group_by=[CASE, *extra_group], order_by=[TIMESTAMP, ROW])


def seconds(expr: ir.TimestampValue) -> ir.IntegerValue:
    """Whole seconds since the epoch (same value on DuckDB and Spark)."""
    return expr.epoch_seconds()


def clean_text(expr: ir.Value) -> ir.StringValue:
    """A text column with blank values as NULL."""
    text = expr.cast("string")
    return ibis.ifelse(text.strip() == "", ibis.null("string"), text)


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


def as_int(value: Any) -> int:
    return 0 if value is None or pd.isna(value) else int(value)
