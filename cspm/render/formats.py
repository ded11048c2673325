"""How figures are written in the tables of the report sections: hours, shares, header + rows.

The section contexts of the waiting, value-stream and KPI results format their tables with these
(the same text as the Jinja filters ``hours`` and ``pct`` of :mod:`cspm.render.html`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

__all__ = ["fmt_h", "fmt_pct", "table_rows"]

MISSING = "–"


def fmt_h(value: float) -> str:
    """Hours as text: two decimals below 10 h, one above ('2.50 h', '12.3 h')."""
    return f"{value:.2f} h" if abs(value) < 10 else f"{value:.1f} h"


def fmt_pct(value: float) -> str:
    """A share as a percentage with one decimal (0.125 → '12.5%')."""
    return f"{value * 100:.1f}%"


def table_rows(
    frame: pd.DataFrame, columns: Mapping[str, str], formats: Mapping[str, Callable[[Any], str]]
) -> dict[str, Any]:
    """Header and formatted rows of a section table (``section_waiting_table.html.j2``).

    ``columns`` maps column → header (in order), ``formats`` column → formatter; a missing value
    (None, NaN) is written '–', a column without a formatter as ``str(value)``.
    """
    rows = []
    for rec in frame.to_dict("records"):  # keeps each column's dtype (iterrows turns ints to floats)
        row = []
        for col in columns:
            value = rec.get(col)
            fmt = formats.get(col)
            if value is None or (isinstance(value, float) and value != value):
                row.append(MISSING)
            elif fmt is not None:
                row.append(fmt(value))
            else:
                row.append(str(value))
        rows.append(row)
    return {"header": list(columns.values()), "rows": rows}
