"""The Excel workbook for managers: one sheet per report section, typed cells, units in the headers.

Every sheet has a frozen header row, column widths fitted to the content, number formats (counts
``1,234``, hours ``1,234.5``, shares ``12.3%``, times ``yyyy-mm-dd hh:mm`` in UTC) and, where a
sheet names a breach column, conditional formatting that colours the rows in breach (a real Excel
rule, so it follows edits). Text that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) is written as a text cell with Excel's quote
prefix: it is shown as typed and never evaluated (formula injection).

Units of a column come from :class:`Sheet.units` (``"s"``: seconds, written as hours; ``"h"``;
``"%"``: a share 0…1; ``"count"``), else from its name: ``*_h`` hours, ``*_s``/``*_seconds``
seconds (written as hours), ``*share``/``*_rate``/
``attained``/``required`` shares. Times are written as UTC wall times (Excel has no time zones).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from cspm.i18n import gettext, language
from cspm.render import workbook_labels  # noqa: F401 - the labels' catalog marks
from cspm.render.canonical import creation_time
from cspm.render.safe import xml_text

__all__ = ["FORMULA_TRIGGERS", "Sheet", "Unit", "column_unit", "header_label", "write_workbook"]

Unit = Literal["s", "h", "%", "count", "UTC", ""]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_FORMATS = {"h": "#,##0.0", "%": "0.0%", "count": "#,##0", "UTC": "yyyy-mm-dd hh:mm", "float": "#,##0.00"}
_LABELS = {"s": "h", "h": "h", "%": "%", "UTC": "UTC"}
_BREACH_FILL = "FFF3C6A5"  # the report's orange, light
_SHARE = re.compile(r"(^|_)(share|rate|attained|required|efficiency|fitness|precision)$|_share_|_rate_")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Sheet:
    """One sheet: a table, the units of its columns, headers and the column marking a breach.

    ``breach``: a boolean column; rows where it equals ``breach_when`` are coloured. ``headers``
    renames columns (the unit is added after the name). ``note`` is written as the header's comment
    of the first column (the sheet's definition)."""

    name: str
    frame: pd.DataFrame
    units: Mapping[str, Unit] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    breach: str | None = None
    breach_when: bool = True
    note: str = ""
    row_unit: tuple[str, str] | None = None  # (value column, column giving each row's unit)


def column_unit(sheet: Sheet, column: str) -> Unit:
    """The unit of ``column``: declared, else from its dtype or name (see the module docstring)."""
    if column in sheet.units:
        return sheet.units[column]
    series = sheet.frame[column]
    if pd.api.types.is_datetime64_any_dtype(series):
        return "UTC"
    if pd.api.types.is_timedelta64_dtype(series):
        return "s"
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return ""
    name = str(column).lower()
    if name.endswith("_h") or "_h_" in name:
        return "h"
    if name.endswith(("_s", "_seconds")):
        return "s"
    if _SHARE.search(name):
        return "%"
    if pd.api.types.is_integer_dtype(series):
        return "count"
    return ""


def header_label(sheet: Sheet, column: str) -> str:
    """The header of ``column``: its label (``headers`` or the name, ``_`` as spaces, a trailing
    ``_h`` dropped) and its unit in parentheses: ``median wait (h)``, ``attained (%)``."""
    unit = column_unit(sheet, column)
    label = sheet.headers.get(column)
    if label is None:
        label = str(column)
        if unit in ("h", "s") and label.endswith("_h"):
            label = label[:-2]
        elif unit == "s":
            label = label.removesuffix("_seconds").removesuffix("_s")
        label = label.replace("_", " ")
    shown = _LABELS.get(unit)
    if language() != "en":  # the report's language (English: the names as they are)
        label, shown = gettext(label), gettext(shown) if shown else shown
        return f"{label}（{shown}）" if shown else label
    return f"{label} ({shown})" if shown else label


_LABEL_COLUMNS = ("figure", "kpi", "unit", "kind", "measure", "clock", "value class")  # cells that are code names


def _label_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """In another language than English, the cells of the columns naming figures and units translated."""
    if language() == "en":
        return frame
    frame = frame.copy()
    for column in (c for c in frame.columns if str(c) in _LABEL_COLUMNS):
        frame[column] = [gettext(v) if isinstance(v, str) and v else v for v in frame[column]]
    return frame


def _safe_text(text: str) -> tuple[str, bool]:
    """The text (characters a worksheet cannot hold shown as escapes, ``\\x1b``) and whether it
    must be protected as text (it would start a formula)."""
    text = xml_text(text)
    return text, text.startswith(FORMULA_TRIGGERS)


def _value(value: Any, unit: Unit) -> Any:
    """A cell's typed value: numbers, booleans, UTC wall times, hours from seconds, text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating) and not math.isfinite(float(value)):
        return None
    if isinstance(value, dt.timedelta | pd.Timedelta | np.timedelta64):
        return pd.Timedelta(value).total_seconds() / 3600
    if isinstance(value, pd.Timestamp | dt.datetime):
        ts = pd.Timestamp(value)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ts.to_pydatetime()
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value) if unit != "s" else int(value) / 3600
    if isinstance(value, float | np.floating):
        # 12 significant digits: an engine's parallel sums (and differences of them) vary in the last digits
        return float(f"{(float(value) / 3600 if unit == 's' else float(value)):.12g}")
    if isinstance(value, tuple | list | np.ndarray):
        return " → ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, none of ``[]:*?/\\``)."""
    base = _BAD_SHEET_CHARS.sub(" ", name).strip("' ")[:31] or "Sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _width(values: Sequence[Any], header: str) -> float:
    longest = max([len(header), *(len(f"{v:,.1f}") if isinstance(v, float) else len(str(v)) for v in values if v is not None)])
    return float(min(60, max(8, longest + 2)))


def write_workbook(sheets: Sequence[Sheet], path: str | Path) -> Path:
    """Write ``sheets`` to the ``.xlsx`` file ``path`` (see the module docstring)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    path = Path(path)
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for sheet in sheets or [Sheet("Empty", pd.DataFrame())]:
        ws = book.create_sheet(_sheet_name(gettext(sheet.name), taken))
        frame = _label_cells(sheet.frame.reset_index(drop=True))
        columns = [str(c) for c in frame.columns]
        units = [column_unit(sheet, c) for c in frame.columns]
        headers = [header_label(sheet, c) for c in frame.columns]
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        if sheet.note and columns:
            ws.cell(row=1, column=1).comment = Comment(sheet.note, "cspm")
        row_units: list[Unit] | None = None
        value_col = ""
        if sheet.row_unit is not None:
            value_col, unit_col = sheet.row_unit
            row_units = frame[unit_col].tolist()
        cols = [[_value(v, u) for v in frame[c].tolist()] for c, u in zip(frame.columns, units, strict=True)]
        for r in range(len(frame)):
            for j in range(len(columns)):
                value = cols[j][r]
                cell = ws.cell(row=r + 2, column=j + 1)
                if isinstance(value, str):
                    text, protect = _safe_text(value)
                    cell.value = text
                    if protect:
                        cell.data_type = "s"  # a text cell, never a formula
                        cell.quotePrefix = True
                else:
                    cell.value = value
                    unit = row_units[r] if row_units is not None and columns[j] == value_col else units[j]
                    fmt = _FORMATS.get(unit) or (_FORMATS["float"] if isinstance(value, float) else None)
                    if fmt and value is not None and not isinstance(value, bool):
                        cell.number_format = fmt
        for j, header in enumerate(headers):
            ws.column_dimensions[get_column_letter(j + 1)].width = _width(cols[j][:500], header)
        ws.freeze_panes = "A2"
        if columns and len(frame):
            ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(frame) + 1}"
        if sheet.breach is not None and sheet.breach in columns and len(frame):
            letter = get_column_letter(columns.index(sheet.breach) + 1)
            last = get_column_letter(len(columns))
            ws.conditional_formatting.add(
                f"A2:{last}{len(frame) + 1}",
                FormulaRule(formula=[f"${letter}2={'TRUE' if sheet.breach_when else 'FALSE'}"],
                            fill=PatternFill(start_color=_BREACH_FILL, end_color=_BREACH_FILL, fill_type="solid")),
            )  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    _fix_times(path)
    return path


def _fix_times(path: Path) -> None:
    """The same workbook gives the same bytes: the document's created/modified times and every zip
    entry's time are the creation time (``SOURCE_DATE_EPOCH`` when set), not the moment of saving."""
    import zipfile

    when = creation_time()
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            z.writestr(zipfile.ZipInfo(name, date_time=when.timetuple()[:6]), data, zipfile.ZIP_DEFLATED)
