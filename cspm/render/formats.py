"""How figures are written in the tables of the report sections: hours, shares, header + rows.

The section contexts of the waiting, value-stream and KPI results format their tables with these
(the same text as the Jinja filters ``hours`` and ``pct`` of :mod:`cspm.render.html`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from cspm.i18n import N_, format_decimal, gettext, language
from cspm.units import format_hours

__all__ = ["fmt_h", "TERMS", "fmt_number", "fmt_pct", "fmt_rounded", "fmt_term", "fmt_thousands", "table_rows"]

MISSING = "–"


def fmt_h(value: float) -> str:
    """Hours as text: two decimals below 10 h, one above ('2.50 h', '12.3 h'; '2.50小时' in Chinese)."""
    return format_hours(value, "0.00" if abs(value) < 10 else "0.0")


def fmt_pct(value: float) -> str:
    """A share as a percentage with one decimal (0.125 → '12.5%'), in the locale's digits."""
    if language() == "en":
        return f"{value * 100:.1f}%"
    return format_decimal(value * 100, "0.0") + "%"


def fmt_rounded(value: float) -> str:
    """A number rounded to a whole, with thousands separators (1234.5 → '1,234')."""
    return f"{value:,.0f}" if language() == "en" else format_decimal(value)


def fmt_thousands(value: int) -> str:
    """A count with the locale's thousands separator (12345 → '12,345')."""
    return f"{value:,}" if language() == "en" else format_decimal(value)


# Values of the code that reach people as words (table cells, notes): marked here, translated by
# fmt_term; in English they stay as they are.
TERMS = (
    N_("calendar"), N_("business"), N_("step"), N_("milestone"), N_("lead_time"), N_("complete"),
    N_("status"), N_("start_complete"), N_("value_adding"), N_("necessary"), N_("waiting"), N_("handoff"),
    N_("rework"), N_("approval"), N_("unclassified"), N_("config"), N_("keyword"), N_("default"),
    N_("excess over target"), N_("total waiting"), N_("team"), N_("agent"), N_("wait"), N_("inductive"),
    N_("heuristics"), N_("frequency"), N_("performance"), N_("case_id"), N_("activity"), N_("timestamp"),
    N_("start_timestamp"), N_("channel"), N_("priority"), N_("customer"), N_("direct"), N_("indirect"),
    N_("bpmn"), N_("pnml"), N_("spec"), N_("tree"), N_("skipped"), N_("inserted"),
)


def fmt_term(value: Any) -> str:
    """A word of the code shown to people (a clock, a value class, a kind of target) in the active
    language (see :data:`TERMS`)."""
    return gettext(str(value))


def fmt_number(value: float, digits: int = 1) -> str:
    """A number with ``digits`` decimals and thousands separators in the locale's digits (6035.44 → '6,035.4')."""
    if language() == "en":
        return f"{value:,.{digits}f}"
    return format_decimal(value, "#,##0." + "0" * digits if digits else "#,##0")


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
