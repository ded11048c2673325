"""Per-ticket attribute tables shared by the segment split, the trends and the service-desk KPIs.

* :func:`first_attributes` — one row per ticket: the values of attribute columns at its first event
  (events ordered by time, then source row), blank values as null;
* :func:`value_changes` — one row per ticket that has a value of a column: how often the value
  changes between consecutive events that have one (the reassignments when the column is the team).

Both are built once per log on its engine (``log.derived``) and materialised: each is one window
pass over the events, which every analysis of the log would otherwise repeat.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from cspm.core.expr import case_window, clean_text
from cspm.core.log import CASE, TEAM, TicketLog

__all__ = ["ATTRIBUTE_COLUMNS", "first_attributes", "value_changes"]

ATTRIBUTE_COLUMNS = ("channel", "priority", TEAM)  # taken at the first event whenever one is asked for


def first_attributes(log: TicketLog, columns: Sequence[str]) -> ir.Table:
    """One row per ticket (``case_id`` and ``columns``): the cleaned values (:func:`clean_text`) of
    ``columns`` at the ticket's first event.

    One table per log holds :data:`ATTRIBUTE_COLUMNS` the log has and the columns asked for (kind
    ``first_attributes``); a request for other columns builds one with those added."""
    present = [c for c in ATTRIBUTE_COLUMNS if c in log.events.columns]
    wanted = tuple(dict.fromkeys([*present, *columns]))
    table = log.derived.get("first_attributes", wanted, lambda: _first_attributes(log.events, wanted).cache())
    return table.select(CASE, *columns)


def _first_attributes(ev: ir.Table, columns: Sequence[str]) -> ir.Table:
    first = ev.mutate(_i=ibis.row_number().over(case_window())).filter(lambda t: t._i == 0)
    return first.select(CASE, *[clean_text(first[c]).name(c) for c in columns])


def value_changes(log: TicketLog, column: str) -> ir.Table:
    """Per ticket with a value of ``column`` (``case_id``, ``n``): the changes of the cleaned value
    between consecutive events that have one (``A, -, A, B`` is one change). Built once per log and
    column (kind ``value_changes COLUMN``)."""
    return log.derived.get(f"value_changes {column}", (), lambda: _value_changes(log.events, column).cache())


def _value_changes(ev: ir.Table, column: str) -> ir.Table:
    t = ev.mutate(_v=clean_text(ev[column])).filter(lambda t: t._v.notnull())
    t = t.mutate(_prev=t._v.lag().over(case_window()))
    return t.group_by(CASE).aggregate(n=(t._prev.notnull() & (t._v != t._prev)).cast("int64").sum())
