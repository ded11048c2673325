"""Handoffs: a ticket moving from one team (or agent) to another, and the handover-of-work network.

Definitions (on the visits of :mod:`cspm.analysis.handoffs.visits`):

* A **handoff** is the step from one visit of a case to the next; its **wait** is the time from the
  last event of the first visit to the first event of the next.
* The **handover-of-work network** has one edge per (from, to) pair weighted by the handoff count
  and the median handoff wait.

Per ticket the table (:attr:`Handoffs.per_case_table`, an Ibis table) holds ``visits``,
``handoffs``, ``handoff_wait_s`` and ``lead_time_s``; every figure is an aggregation of it on the
engine. :func:`cspm.handoffs` bundles handoffs with ping-pong, rework, approval loops, process
loops and their cost (:class:`~cspm.analysis.handoffs.analysis.HandoffAnalysis`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import ibis.expr.types as ir
import networkx as nx
import pandas as pd
from pydantic import ConfigDict, Field

from cspm.analysis.handoffs.formatting import rounded, rows
from cspm.analysis.handoffs.visits import (
    NO_VALUE,
    UNIT,
    VISIT,
    Level,
    Missing,
    lead_time_table,
    missing_values,
    unit_column,
    visit_table,
)
from cspm.core.expr import epoch_seconds, to_frame
from cspm.core.log import CASE, TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.render.network import dot_to_svg, network_dot
from cspm.units import format_duration

__all__ = ["NO_VALUE", "BusiestHandoff", "Handoffs", "HandoffsSummary", "handoff_rows", "handoffs"]

EDGE_COLUMNS = {"from_unit": N_("from"), "to_unit": N_("to"), "handoffs": N_("handoffs"), "median_wait_s": N_("median wait")}


class BusiestHandoff(Record):
    """The most frequent handoff route."""

    model_config = ConfigDict(serialize_by_alias=True, populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    handoffs: int


class HandoffsSummary(Record):
    """The handoff figures of a log at one level."""

    level: str = Field(description="'team', 'agent' or the column handoffs are counted on")
    column: str
    missing_values: Missing = Field(description="events without a value: skipped or breaking a visit")
    events_without_value: int
    tickets_with_missing_values: int
    tickets: int
    handoffs: int
    handoffs_per_ticket_mean: float | None
    share_with_at_least: dict[str, float | None] = Field(description="share of tickets with ≥ 1, 2, 3 handoffs")
    single_unit_tickets: int = Field(description="tickets handled by one team (agent) only")
    handoff_wait_median_s: float | None
    busiest_handoff: BusiestHandoff | None
    distribution: dict[str, int] = Field(description="number of handoffs → tickets")


def handoff_rows(visits: ir.Table) -> ir.Table:
    """One row per handoff: ``case_id, visit, from_unit, to_unit, wait_s``."""
    h = visits.filter(visits.prev_unit.notnull())
    return h.select(
        CASE,
        VISIT,
        from_unit=h.prev_unit,
        to_unit=h[UNIT],
        wait_s=epoch_seconds(h.start) - epoch_seconds(h.prev_end),
    )


@dataclass(eq=False)
class Handoffs(Result):
    """Handoffs per ticket and the handover-of-work network at one level."""

    level: str
    column: str
    missing: Missing
    per_case_table: ir.Table  # case_id, visits, handoffs, handoff_wait_s, lead_time_s (on the engine)
    edges: pd.DataFrame  # from_unit, to_unit, handoffs, tickets, median_wait_s, mean_wait_s, total_wait_s
    units: pd.DataFrame  # unit, visits, tickets
    counts: pd.DataFrame  # handoffs, tickets, single_unit: tickets per number of handoffs
    missing_events: int
    missing_cases: int
    overall_median_wait_s: float = float("nan")  # median wait over all handoffs

    section_id: ClassVar[str] = "handoffs-network"
    section_title: ClassVar[str] = N_("Handoffs")
    section_template: ClassVar[str] = "section_handoffs_part.html.j2"

    # --- per ticket (on request) ----------------------------------------------------------
    @cached_property
    def per_case(self) -> pd.DataFrame:
        """Per ticket: ``case_id, visits, handoffs, handoff_wait_s, lead_time_s`` (fetched on first use)."""
        df = to_frame(self.per_case_table, [CASE])
        return df.astype({"visits": "int64", "handoffs": "int64", "handoff_wait_s": "float64"})

    def table(self) -> pd.DataFrame:
        return self.per_case

    # --- figures --------------------------------------------------------------------------
    @property
    def tickets(self) -> int:
        """Number of tickets."""
        return int(self.counts["tickets"].sum())

    @property
    def total(self) -> int:
        """Number of handoffs."""
        return int((self.counts["handoffs"] * self.counts["tickets"]).sum())

    @property
    def mean_per_ticket(self) -> float:
        return self.total / self.tickets if self.tickets else float("nan")

    def distribution(self) -> pd.DataFrame:
        """Tickets by number of handoffs: ``handoffs, tickets, share``."""
        df = self.counts[["handoffs", "tickets"]].reset_index(drop=True)
        return df.assign(share=df["tickets"] / max(self.tickets, 1))

    def share_at_least(self, n: int) -> float:
        """Share of tickets with ``n`` or more handoffs."""
        if not self.tickets:
            return float("nan")
        return int(self.counts.loc[self.counts["handoffs"] >= n, "tickets"].sum()) / self.tickets

    @property
    def single_unit_tickets(self) -> int:
        """Tickets handled by one team (agent) only — no handoff (tickets with a value at all)."""
        return int(self.counts["single_unit"].sum())

    def busiest(self, n: int = 5) -> pd.DataFrame:
        return self.edges.sort_values(["handoffs", "from_unit", "to_unit"], ascending=[False, True, True]).head(n)

    def slowest(self, n: int = 5, min_handoffs: int = 5) -> pd.DataFrame:
        e = self.edges[self.edges["handoffs"] >= min_handoffs]
        return e.sort_values(["median_wait_s", "from_unit", "to_unit"], ascending=[False, True, True]).head(n)

    # --- the network ----------------------------------------------------------------------
    def network(self) -> nx.DiGraph:
        """The handover-of-work network: edge attributes ``count``, ``tickets``, ``median_wait_s``."""
        g = nx.DiGraph(level=self.level, column=self.column)
        for row in self.units.itertuples(index=False):
            g.add_node(row.unit, visits=int(row.visits), tickets=int(row.tickets))
        for row in self.edges.itertuples(index=False):
            g.add_edge(
                row.from_unit, row.to_unit, count=int(row.handoffs), tickets=int(row.tickets),
                median_wait_s=float(row.median_wait_s), mean_wait_s=float(row.mean_wait_s),
            )  # fmt: skip
        return g

    def to_dot(self, max_edges: int = 60) -> str:
        """The network as Graphviz DOT (names escaped by :mod:`cspm.render.dot`)."""
        return network_dot(self.network(), title=_("Handover of work ({level})").format(level=_(self.level)), max_edges=max_edges)

    def to_svg(self, max_edges: int = 60) -> str:
        """The network as an SVG string (names escaped)."""
        return dot_to_svg(self.to_dot(max_edges))

    def save_svg(self, path: str | Path, max_edges: int = 60) -> Path:
        path = Path(path)
        path.write_text(self.to_svg(max_edges), encoding="utf-8")
        return path

    def _savers(self) -> dict[str, Any]:
        return {
            **super()._savers(),
            ".svg": lambda p: self.save_svg(p),
            ".dot": lambda p: p.write_text(self.to_dot(), encoding="utf-8"),
        }

    # --- the result protocol --------------------------------------------------------------
    def _summary(self) -> HandoffsSummary:
        busiest = self.busiest(1)
        top = None
        if not busiest.empty:
            b = busiest.iloc[0]
            top = BusiestHandoff(from_=b["from_unit"], to=b["to_unit"], handoffs=int(b["handoffs"]))
        return HandoffsSummary(
            level=self.level,
            column=self.column,
            missing_values=self.missing,
            events_without_value=self.missing_events,
            tickets_with_missing_values=self.missing_cases,
            tickets=self.tickets,
            handoffs=self.total,
            handoffs_per_ticket_mean=rounded(self.mean_per_ticket),
            share_with_at_least={str(n): rounded(self.share_at_least(n)) for n in (1, 2, 3)},
            single_unit_tickets=self.single_unit_tickets,
            handoff_wait_median_s=rounded(self.overall_median_wait_s),
            busiest_handoff=top,
            distribution={str(int(r.handoffs)): int(r.tickets) for r in self.counts.itertuples()},
        )

    def section_context(self) -> dict[str, Any]:
        line = _(
            "{handoffs} handoffs over {tickets} tickets, mean {mean} per ticket; {single} tickets stay with one "
            "{level}; median handoff wait {wait}; {missing} events without a value."
        ).format(handoffs=f"{self.total:,}", tickets=f"{self.tickets:,}", mean=rounded(self.mean_per_ticket),
                 single=f"{self.single_unit_tickets:,}", level=_(self.level),
                 wait=format_duration(self.overall_median_wait_s), missing=f"{self.missing_events:,}")  # fmt: skip
        return {
            "title": _("Handoffs ({level}: {column})").format(level=_(self.level), column=self.column),
            "lines": [line],
            "tables": [{"caption": _("Busiest handoffs"), "rows": rows(self.busiest(10), EDGE_COLUMNS)}],
        }

    def __repr__(self) -> str:
        return (
            f"Handoffs(level={self.level!r}, tickets={self.tickets}, handoffs={self.total}, "
            f"mean_per_ticket={self.mean_per_ticket:.2f}, routes={len(self.edges)})"
        )


def handoffs(
    log: TicketLog,
    level: Level = "team",
    *,
    column: str | None = None,
    missing: Missing = "skip",
) -> Handoffs:
    """Handoffs per ticket, handoff waits and the handover-of-work network at ``level`` (or on
    ``column``); ``missing`` decides whether events without a value are skipped or break a visit."""
    col = unit_column(log, level, column)
    vis = visit_table(log, col, missing)
    hand = handoff_rows(vis)
    per_visit = vis.group_by(CASE).aggregate(visits=vis.count())
    per_hand = hand.group_by(CASE).aggregate(handoffs=hand.count(), handoff_wait_s=hand.wait_s.sum())
    leads = lead_time_table(log)
    per_case = leads.left_join(per_visit, CASE).select(leads[CASE], leads.lead_time_s, per_visit.visits)
    per_case = per_case.left_join(per_hand, CASE).select(
        per_case[CASE],
        visits=per_case.visits.fill_null(0),
        handoffs=per_hand.handoffs.fill_null(0),
        handoff_wait_s=per_hand.handoff_wait_s.cast("float64").fill_null(0.0),
        lead_time_s=per_case.lead_time_s,
    )
    counts = per_case.group_by("handoffs").aggregate(
        tickets=per_case.count(), single_unit=(per_case.visits == 1).cast("int64").sum()
    )
    edges = hand.group_by(["from_unit", "to_unit"]).aggregate(
        handoffs=hand.count(),
        tickets=hand[CASE].nunique(),
        median_wait_s=hand.wait_s.median(),
        mean_wait_s=hand.wait_s.mean(),
        total_wait_s=hand.wait_s.sum(),
    )
    units = vis.group_by(UNIT).aggregate(visits=vis.count(), tickets=vis[CASE].nunique())
    overall = hand.aggregate(m=hand.wait_s.median()).to_pandas().iloc[0]["m"]
    miss = missing_values(log.events, col)
    return Handoffs(
        level=level if column is None else column,
        column=col,
        missing=missing,
        per_case_table=per_case,
        edges=to_frame(edges, ["from_unit", "to_unit"]).astype({"handoffs": "int64", "tickets": "int64"}),
        units=to_frame(units, [UNIT]),
        counts=to_frame(counts, ["handoffs"]).astype("int64"),
        missing_events=miss["events"],
        missing_cases=miss["cases"],
        overall_median_wait_s=float("nan") if pd.isna(overall) else float(overall),
    )
