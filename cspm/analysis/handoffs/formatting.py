"""How the handoff family writes its figures in sentences and section tables."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cspm.i18n import format_decimal, gettext, language
from cspm.render.formats import fmt_rounded
from cspm.units import format_duration

__all__ = ["count", "number", "pct", "rounded", "rows"]


def pct(x: float | None) -> str:
    """A share as a percentage: whole percent from 10%, one decimal below (``–`` when unknown)."""
    if x is None or pd.isna(x):
        return "–"
    if language() != "en":
        return format_decimal(x * 100, "0" if x >= 0.1 or x == 0 else "0.0") + "%"
    return f"{x:.0%}" if x >= 0.1 or x == 0 else f"{x:.1%}"


def number(x: float) -> str:
    """A count with thousands separators."""
    return fmt_rounded(x)


def count(x: int, noun: str) -> str:
    """``3 repetitions``, ``1 repetition``."""
    return f"{number(x)} {noun}{'' if x == 1 else 's'}"


def rounded(x: Any, digits: int = 4) -> float | None:
    """``x`` rounded, ``None`` when missing."""
    return None if x is None or pd.isna(x) else round(float(x), digits)


def rows(df: pd.DataFrame, columns: dict[str, str], n: int = 10) -> list[dict[str, Any]]:
    """Rows for a section table: ``columns`` maps source column → heading; durations (``*_s``)
    formatted, whole floats written as counts; headings in the active language."""
    out = []
    for rec in df.head(n).to_dict("records"):
        row = {}
        for col, head in columns.items():
            v = rec.get(col)
            if col.endswith("_s"):
                v = format_duration(v)
            elif isinstance(v, float) and not pd.isna(v) and v.is_integer():
                v = number(v)
            row[gettext(head)] = v
        out.append(row)
    return out
