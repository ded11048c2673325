"""The one result model: the base every analysis result of cspm derives from.

A result is a report section and a small data product at once:

* :meth:`Result.summary` — JSON-ready data (one conversion rule, :func:`json_ready`);
* :meth:`Result.to_pandas` — a copy of the result's main table (mutating it changes nothing);
* ``_repr_html_`` — the result's section template rendered through the report's own Jinja
  environment (:mod:`cspm.render.html`), so Jupyter shows what the report shows;
* :meth:`Result.save` — one suffix rule for every result: ``.html`` a standalone page of the
  section, ``.json`` the summary, ``.csv`` / ``.parquet`` the main table, ``.xlsx`` the workbook sheets
  (:meth:`Result.workbook_sheets`, :mod:`cspm.render.workbook`);
* ``section_id`` / ``section_title`` / ``section_template`` + :meth:`Result.section_context` — the
  report-section triple, declared once on the class.

Subclasses implement :meth:`Result._summary` (a pydantic record or a mapping) and
:meth:`Result.table`; most also implement :meth:`Result.section_context`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel

from cspm.errors import OutputError
from cspm.i18n import gettext as _
from cspm.render.html import section_html
from cspm.render.report import Report
from cspm.render.tables import write_table
from cspm.render.workbook import Sheet, Unit, write_workbook

__all__ = ["Result", "json_ready"]


def json_ready(value: Any) -> Any:
    """``value`` as plain JSON data — the one rule of every summary and JSON output.

    Missing values (None, NaN, NA, NaT) and infinities become ``None``; numpy scalars become Python
    numbers; timedeltas become seconds (float); dates and times become ISO 8601 text; tuples and sets
    become lists (sets sorted); tables become lists of records; pydantic records become their fields.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, BaseModel):
        return json_ready(value.model_dump(mode="python"))
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [json_ready(r) for r in value.to_dict("records")]
    if isinstance(value, pd.Series):
        return [json_ready(v) for v in value.tolist()]
    if isinstance(value, set | frozenset):
        return [json_ready(v) for v in sorted(value, key=str)]
    if isinstance(value, list | tuple | np.ndarray):
        return [json_ready(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating | Decimal):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, dt.timedelta | pd.Timedelta | np.timedelta64):
        return pd.Timedelta(value).total_seconds()
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Enum):
        return json_ready(value.value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str):
        return value
    if hasattr(value, "item"):  # other numpy / arrow scalars
        return json_ready(value.item())
    return str(value)


class Result(ABC):
    """Base of every analysis result (see the module docstring)."""

    section_id: ClassVar[str] = ""
    section_title: ClassVar[str] = ""
    section_template: ClassVar[str] = ""
    column_units: ClassVar[dict[str, Unit]] = {}  # units of main-table columns the names do not tell

    # --- what a subclass provides ------------------------------------------------------------
    @abstractmethod
    def _summary(self) -> Any:
        """The result's figures as a typed record (pydantic model) or a mapping."""

    @abstractmethod
    def table(self) -> pd.DataFrame:
        """The result's main table (the one ``to_pandas()`` copies and ``save('.csv')`` writes)."""

    def section_context(self) -> dict[str, Any]:
        """The values of the section template (override with the figures the template shows)."""
        return {"summary": self.summary()}

    def workbook_sheets(self) -> list[Sheet]:
        """The result's sheets in the Excel workbook (default: the main table as one sheet)."""
        return [Sheet(self.section_title or type(self).__name__, self.to_pandas(), units=self.column_units)]

    # --- what every result offers ------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """The figures as JSON-ready data."""
        return json_ready(self._summary())

    def to_pandas(self) -> pd.DataFrame:
        """A copy of the main table: changing it leaves the result unchanged."""
        return self.table().copy(deep=True)

    def _repr_html_(self) -> str:
        return section_html(self)  # type: ignore[arg-type]

    def html_page(self) -> str:
        """The section as a standalone, self-contained HTML page (the report's page and styles)."""
        return Report(title=self.section_title or type(self).__name__, sections=[self]).render()  # type: ignore[list-item]

    def _savers(self) -> dict[str, Callable[[Path], None]]:
        """Suffix → writer; a subclass may add its own (e.g. ``.svg`` for a map)."""
        return {
            ".html": lambda p: p.write_text(self.html_page(), encoding="utf-8"),
            ".json": lambda p: p.write_text(_json_text(self.summary()), encoding="utf-8"),
            ".csv": lambda p: write_table(self.to_pandas(), p),
            ".parquet": lambda p: write_table(self.to_pandas(), p),
            ".xlsx": lambda p: write_workbook(self.workbook_sheets(), p),
        }

    def save(self, path: str | Path) -> Path:
        """Write the result; what is written follows the suffix (see the module docstring)."""
        path = Path(path)
        savers = self._savers()
        suffix = path.suffix.lower()
        if suffix not in savers:
            raise OutputError(
                _("cannot save a {name} as {value!r}").format(name=type(self).__name__, value=suffix or 'a file without a suffix'),
                path=path,
                expected=_("one of {names}").format(names=", ".join(savers)),
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        savers[suffix](path)
        return path


def _json_text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
