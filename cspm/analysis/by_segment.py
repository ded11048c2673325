"""Every service KPI and the waiting-vs-targets table split by channel, priority and team.

A ticket's **segment** on a column is the value of its first event (as in :mod:`cspm.analysis.trends`;
blank → ``(none)``). Per column the ``top`` values with the most tickets (ties by value) are shown
one by one and the rest together as ``(others)``. Figures are the same definitions as
:func:`cspm.kpis` and :func:`cspm.waiting`, computed on the engine over each group's tickets (one
grouped query per figure set, not one analysis per group).
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.analysis.attributes import ATTRIBUTE_COLUMNS, first_attributes
from cspm.analysis.kpis import KpiFigures, ServiceKPIs
from cspm.analysis.waiting import targets_by_group
from cspm.config import Config
from cspm.core.log import CASE, TicketLog

__all__ = ["NONE", "OTHERS", "SEGMENT_COLUMNS", "segment_groups", "split_by_segment"]

SEGMENT_COLUMNS = ATTRIBUTE_COLUMNS  # the segments: the tickets' channel, priority, team at their first event
NONE = "(none)"
OTHERS = "(others)"
_SEP = "\x1f"  # column / value separator of the combined group key


def segment_groups(log: TicketLog, top: int = 5) -> tuple[ir.Table, dict[str, list[tuple[str, int]]]]:
    """The tickets' groups on every segment column the log has.

    Returns (a table ``case_id, _group`` with one row per case and column, ``_group`` =
    column + U+001F + value or ``(others)``; per column the shown groups in order with their tickets).
    """
    present = [c for c in SEGMENT_COLUMNS if c in log.events.columns]
    if not present:
        return log.events.select(CASE, _group=ibis.literal("")).limit(0), {}
    first = first_attributes(log, present)
    parts, shown = [], {}
    for col in present:
        value = first[col].fill_null(NONE)
        counts = first.group_by(value.name("v")).aggregate(n=first.count()).to_pandas()
        counts = counts.sort_values(["n", "v"], ascending=[False, True], kind="stable")
        keep = counts["v"].head(top).tolist()
        rest = int(counts["n"].iloc[top:].sum())
        shown[col] = [(str(v), int(n)) for v, n in zip(counts["v"].head(top), counts["n"].head(top), strict=True)]
        if rest:
            shown[col].append((OTHERS, rest))
        label = ibis.ifelse(value.isin(keep), value, ibis.literal(OTHERS))
        parts.append(first.select(CASE, _group=ibis.literal(col + _SEP) + label))
    # cached: every KPI and target query over the groups reads this table rather than recomputing
    # each ticket's first event per column
    return (ibis.union(*parts) if len(parts) > 1 else parts[0]).cache(), shown


def _split(key: str) -> tuple[str, str]:
    col, _sep, value = key.partition(_SEP)
    return col, value


def split_by_segment(
    log: TicketLog, config: Config, kpis: ServiceKPIs, *, top: int = 5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(KPIs per segment, targets per segment): columns ``column, value, tickets`` then the
    :class:`~cspm.analysis.kpis.KpiFigures` fields (``kpis`` is the log's KPI result), resp.
    ``column, value`` then the targets-table columns; rows in the shown order of each column."""
    groups, shown = segment_groups(log, top)
    if not shown:
        return pd.DataFrame(columns=["column", "value", "tickets"]), pd.DataFrame(columns=["column", "value"])
    order = {f"{c}{_SEP}{v}": (i, j) for i, (c, vals) in enumerate(shown.items()) for j, (v, _n) in enumerate(vals)}
    tickets = {k: n for c, vals in shown.items() for (v, n), k in ((x, f"{c}{_SEP}{x[0]}") for x in vals)}
    figures: dict[str, KpiFigures] = kpis.figures_by(groups, "_group")
    krows: list[dict[str, Any]] = []
    for key in sorted(figures, key=lambda k: order[k]):
        col, value = _split(key)
        f = figures[key].model_dump()
        f.pop("extra_step_resolution_h")
        krows.append({"column": col, "value": value, "tickets": tickets[key], **f})
    targets = targets_by_group(log, config, groups, "_group")
    if not targets.empty:
        targets["_order"] = targets["_group"].map(order)
        targets["_target"] = targets.groupby("name", sort=False).ngroup()
        targets = targets.sort_values(["_order", "_target"], kind="stable")
        split = targets["_group"].map(_split)
        targets.insert(0, "column", split.str[0])
        targets.insert(1, "value", split.str[1])
        targets = targets.drop(columns=["_group", "_order", "_target"]).reset_index(drop=True)
    else:
        targets = targets.drop(columns="_group").assign(column=[], value=[])
    return pd.DataFrame(krows), targets
