"""Handoffs: a ticket moving from one team (or agent) to another, and the handover-of-work network.

Definitions (one engine expression each, ordered by ``(timestamp, source_row)`` within a case):

* A **visit** is a run of consecutive events of a case handled by the same team (or agent, or any
  column). Events with no value are either **skipped** (``missing="skip"``: A, –, A is one visit of
  A) or **break** the run (``missing="break"``: they form visits of their own labelled
  :data:`NO_VALUE`, so A, –, A is three visits and two handoffs).
* A **handoff** is the step from one visit to the next; its **wait** is the time from the last event
  of the first visit to the first event of the next.
* The **handover-of-work network** has one edge per (from, to) pair weighted by the handoff count
  and the median handoff wait.

:func:`analyse_handoffs` bundles handoffs, ping-pong, rework, approval loops, process loops and
their cost into one :class:`HandoffAnalysis`, the report's "Handoffs and loops" section.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import ibis
import ibis.expr.types as ir
import networkx as nx
import pandas as pd

from cspm.core.expr import as_int, case_window, clean_text, epoch_seconds, to_frame
from cspm.core.log import ACTIVITY, AGENT, CASE, ROW, TEAM, TIMESTAMP
from cspm.errors import InputError
from cspm.units import format_duration

if TYPE_CHECKING:
    from cspm.analysis.handoffs.pingpong import PingPong
    from cspm.analysis.handoffs.redundancy import Redundancy
    from cspm.analysis.handoffs.rework import ApprovalLoops, ProcessLoops, Rework
    from cspm.config import Config
    from cspm.core.log import TicketLog

Level = Literal["team", "agent"]
Missing = Literal["skip", "break"]
NO_VALUE = "(none)"
"""Label of the visits formed by events without a team/agent value when ``missing="break"``."""

UNIT = "unit"
VISIT = "visit"


# ----------------------------------------------------------------------------- engine expressions
def unit_column(log: TicketLog, level: Level = "team", column: str | None = None) -> str:
    """The column handoffs are counted on: ``column`` if given, else ``team`` or ``agent``."""
    if level not in ("team", "agent"):
        raise InputError(f"unknown handoff level {level!r}.", expected="'team' or 'agent'")
    name = column or (TEAM if level == "team" else AGENT)
    if name not in log.events.columns:
        have = ", ".join(c for c in log.events.columns if c not in (CASE, ACTIVITY, TIMESTAMP, ROW))
        raise InputError(
            f"the log has no {level} column for handoffs.",
            path=log.source,
            column=name,
            expected=f"a column holding the {level} of each event (columns: {have or 'none'})",
            hint="Name it with --team-column / column=... or map it in the config (columns.team).",
        )
    return name


def visit_events(
    events: ir.Table, column: str, missing: Missing = "skip", keep: tuple[str, ...] = ()
) -> ir.Table:
    """Events numbered by visit: ``case_id, source_row, timestamp, activity, unit, visit`` (1-based)
    plus the columns named in ``keep``."""
    t = _units(events, column, missing, keep)
    prev = t[UNIT].lag().over(case_window())
    t = t.mutate(_new=ibis.ifelse(prev.isnull() | (prev != t[UNIT]), 1, 0))
    cum = ibis.cumulative_window(group_by=CASE, order_by=[TIMESTAMP, ROW])
    return t.mutate(**{VISIT: t._new.sum().over(cum)}).drop("_new")


def _units(events: ir.Table, column: str, missing: Missing, keep: tuple[str, ...] = ()) -> ir.Table:
    if missing not in ("skip", "break"):
        raise InputError(f"unknown missing-value rule {missing!r}.", expected="'skip' or 'break'")
    t = events.select(CASE, ACTIVITY, TIMESTAMP, ROW, *keep, **{UNIT: clean_text(events[column])})
    if missing == "skip":
        return t.filter(t[UNIT].notnull())
    return t.mutate(**{UNIT: t[UNIT].fill_null(NO_VALUE)})


def visits(events: ir.Table, column: str, missing: Missing = "skip") -> ir.Table:
    """One row per visit: ``case_id, visit, unit, start, end, events`` plus the neighbouring visits.

    ``prev_unit``/``prev_end`` describe the visit before (the handoff into this one), ``next_unit``
    the visit after. Computed from the first and last event of each run (one ordered pass over the
    events, then windows over the few boundary rows).
    """
    t = _units(events, column, missing)
    w = case_window()
    t = t.mutate(_prev=t[UNIT].lag().over(w), _next=t[UNIT].lead().over(w), _pos=ibis.row_number().over(w))
    first = t._prev.isnull() | (t._prev != t[UNIT])
    last = t._next.isnull() | (t._next != t[UNIT])
    b = t.filter(first | last).mutate(_first=first, _last=last)
    wb = ibis.window(group_by=CASE, order_by="_pos")
    b = b.mutate(
        end=ibis.ifelse(b._last, b[TIMESTAMP], b[TIMESTAMP].lead().over(wb)),
        _end_pos=ibis.ifelse(b._last, b._pos, b._pos.lead().over(wb)),
    )
    v = b.filter(b._first)
    v = v.select(
        CASE,
        **{VISIT: ibis.row_number().over(wb) + 1},
        **{UNIT: v[UNIT]},
        start=v[TIMESTAMP],
        end=v.end,
        events=v._end_pos - v._pos + 1,
    )
    wv = ibis.window(group_by=CASE, order_by=VISIT)
    return v.mutate(
        prev_unit=v[UNIT].lag().over(wv),
        prev_end=v.end.lag().over(wv),
        next_unit=v[UNIT].lead().over(wv),
    )


def handoff_rows(visit_table: ir.Table) -> ir.Table:
    """One row per handoff: ``case_id, visit, from_unit, to_unit, wait_s``."""
    h = visit_table.filter(visit_table.prev_unit.notnull())
    return h.select(
        CASE,
        VISIT,
        from_unit=h.prev_unit,
        to_unit=h[UNIT],
        wait_s=epoch_seconds(h.start) - epoch_seconds(h.prev_end),
    )


def lead_times(events: ir.Table) -> ir.Table:
    """Per case: first and last event time and the lead time in seconds."""
    g = events.group_by(CASE).aggregate(first=events[TIMESTAMP].min(), last=events[TIMESTAMP].max())
    return g.mutate(lead_time_s=epoch_seconds(g["last"]) - epoch_seconds(g["first"]))


def missing_values(events: ir.Table, column: str) -> dict[str, int]:
    """Events and cases without a value in ``column``."""
    miss = clean_text(events[column]).isnull()
    row = events.aggregate(
        events=miss.sum(), cases=events[CASE].nunique(where=miss)
    ).to_pandas().iloc[0]
    return {"events": as_int(row["events"]), "cases": as_int(row["cases"])}


# ------------------------------------------------------------------------------------- results
def _table_html(df: pd.DataFrame, max_rows: int = 10) -> str:
    return df.head(max_rows).to_html(index=False, escape=True, border=0, na_rep="–")


@dataclass
class Handoffs:
    """Handoffs per ticket and the handover-of-work network at one level."""

    level: str
    column: str
    missing: str
    per_case: pd.DataFrame  # case_id, visits, handoffs, handoff_wait_s, lead_time_s
    edges: pd.DataFrame  # from_unit, to_unit, handoffs, tickets, median_wait_s, mean_wait_s, total_wait_s
    missing_events: int
    missing_cases: int
    units: pd.DataFrame = field(default_factory=pd.DataFrame)  # unit, visits, tickets
    overall_median_wait_s: float = float("nan")  # median wait over all handoffs

    # --- figures --------------------------------------------------------------------------
    @property
    def tickets(self) -> int:
        return len(self.per_case)

    @property
    def total(self) -> int:
        return int(self.per_case["handoffs"].sum())

    @property
    def mean_per_ticket(self) -> float:
        return float(self.per_case["handoffs"].mean()) if self.tickets else float("nan")

    def distribution(self) -> pd.DataFrame:
        """Tickets by number of handoffs."""
        counts = self.per_case["handoffs"].value_counts().sort_index()
        df = counts.rename_axis("handoffs").reset_index(name="tickets")
        df["share"] = df["tickets"] / max(self.tickets, 1)
        return df

    def share_at_least(self, n: int) -> float:
        """Share of tickets with ``n`` or more handoffs."""
        return float((self.per_case["handoffs"] >= n).mean()) if self.tickets else float("nan")

    @property
    def single_unit_tickets(self) -> int:
        """Tickets handled by one team (agent) only — no handoff (tickets with a value at all)."""
        return int((self.per_case["visits"] == 1).sum())

    def busiest(self, n: int = 5) -> pd.DataFrame:
        return self.edges.sort_values(["handoffs", "from_unit", "to_unit"], ascending=[False, True, True]).head(n)

    def slowest(self, n: int = 5, min_handoffs: int = 5) -> pd.DataFrame:
        e = self.edges[self.edges["handoffs"] >= min_handoffs]
        return e.sort_values(["median_wait_s", "from_unit", "to_unit"], ascending=[False, True, True]).head(n)

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
        from cspm.render.network import network_dot

        return network_dot(self.network(), title=f"Handover of work ({self.level})", max_edges=max_edges)

    def to_svg(self, max_edges: int = 60) -> str:
        """The network as an SVG string (names escaped)."""
        from cspm.render.network import dot_to_svg

        return dot_to_svg(self.to_dot(max_edges))

    def save_svg(self, path: str | Path, max_edges: int = 60) -> Path:
        path = Path(path)
        path.write_text(self.to_svg(max_edges), encoding="utf-8")
        return path

    # --- protocol -------------------------------------------------------------------------
    def to_pandas(self) -> pd.DataFrame:
        return self.per_case

    def summary(self) -> dict[str, Any]:
        busiest = self.busiest(1)
        return {
            "level": self.level,
            "column": self.column,
            "missing_values": self.missing,
            "events_without_value": self.missing_events,
            "tickets_with_missing_values": self.missing_cases,
            "tickets": self.tickets,
            "handoffs": self.total,
            "handoffs_per_ticket_mean": _r(self.mean_per_ticket),
            "share_with_at_least": {str(n): _r(self.share_at_least(n)) for n in (1, 2, 3)},
            "single_unit_tickets": self.single_unit_tickets,
            "handoff_wait_median_s": _r(self.overall_median_wait_s),
            "busiest_handoff": None
            if busiest.empty
            else {"from": busiest.iloc[0]["from_unit"], "to": busiest.iloc[0]["to_unit"], "handoffs": int(busiest.iloc[0]["handoffs"])},
            "distribution": {str(int(r.handoffs)): int(r.tickets) for r in self.distribution().itertuples()},
        }

    def __repr__(self) -> str:
        return (
            f"Handoffs(level={self.level!r}, tickets={self.tickets}, handoffs={self.total}, "
            f"mean_per_ticket={self.mean_per_ticket:.2f}, routes={len(self.edges)})"
        )

    def _repr_html_(self) -> str:
        s = self.summary()
        head = (
            f"<h4>Handoffs ({html.escape(self.level)}: {html.escape(self.column)})</h4>"
            f"<p>{s['handoffs']} handoffs over {s['tickets']} tickets, mean {s['handoffs_per_ticket_mean']} per ticket; "
            f"{s['single_unit_tickets']} tickets stay with one {html.escape(self.level)}; median handoff wait "
            f"{format_duration(self.overall_median_wait_s)}; {self.missing_events} events without a value.</p>"
        )
        return head + "<h5>Busiest handoffs</h5>" + _table_html(self.busiest(10))


def _r(x: float, digits: int = 4) -> float | None:
    return None if x is None or pd.isna(x) else round(float(x), digits)


def handoffs(
    log: TicketLog,
    level: Level = "team",
    *,
    column: str | None = None,
    missing: Missing = "skip",
    visit_table: ir.Table | None = None,
    lead_table: ir.Table | None = None,
) -> Handoffs:
    """Handoffs per ticket, handoff waits and the handover-of-work network at ``level``.

    ``visit_table``/``lead_table``: :func:`visits`/:func:`lead_times` already computed (and cached)
    for the same arguments, to share them between analyses.
    """
    col = unit_column(log, level, column)
    events = log.events
    vis = visit_table if visit_table is not None else visits(events, col, missing).cache()
    hand = handoff_rows(vis)
    per_visit = vis.group_by(CASE).aggregate(visits=vis.count())
    per_hand = hand.group_by(CASE).aggregate(handoffs=hand.count(), handoff_wait_s=hand.wait_s.sum())
    leads = lead_table if lead_table is not None else lead_times(events)
    per_case = (
        leads.left_join(per_visit, CASE)
        .select(leads[CASE], leads.lead_time_s, per_visit.visits)
    )
    per_case = per_case.left_join(per_hand, CASE).select(
        per_case[CASE], per_case.visits, per_hand.handoffs, per_hand.handoff_wait_s, per_case.lead_time_s
    )
    df = to_frame(per_case, [CASE])
    df["visits"] = df["visits"].fillna(0).astype("int64")
    df["handoffs"] = df["handoffs"].fillna(0).astype("int64")
    df["handoff_wait_s"] = df["handoff_wait_s"].fillna(0).astype("float64")
    edges = hand.group_by(["from_unit", "to_unit"]).aggregate(
        handoffs=hand.count(),
        tickets=hand[CASE].nunique(),
        median_wait_s=hand.wait_s.median(),
        mean_wait_s=hand.wait_s.mean(),
        total_wait_s=hand.wait_s.sum(),
    )
    edges_df = to_frame(edges, ["from_unit", "to_unit"])
    units = vis.group_by(UNIT).aggregate(visits=vis.count(), tickets=vis[CASE].nunique())
    overall = hand.aggregate(m=hand.wait_s.median()).to_pandas().iloc[0]["m"]
    miss = missing_values(events, col)
    return Handoffs(
        level=level if column is None else column,
        column=col,
        missing=missing,
        per_case=df,
        edges=edges_df.astype({"handoffs": "int64", "tickets": "int64"}),
        missing_events=miss["events"],
        missing_cases=miss["cases"],
        units=to_frame(units, [UNIT]),
        overall_median_wait_s=float("nan") if pd.isna(overall) else float(overall),
    )


# ------------------------------------------------------------------------------ the bundle
@dataclass
class HandoffAnalysis:
    """Handoffs, ping-pong, rework, approval loops, process loops and what they cost.

    The report section "Handoffs and loops" (``section_*`` protocol).
    """

    handoffs: Handoffs
    ping_pong: PingPong
    rework: Rework
    approvals: ApprovalLoops
    loops: ProcessLoops
    redundancy: Redundancy
    source: str = "<memory>"

    section_id: str = "handoffs"
    section_title: str = "Handoffs and loops"
    section_template: str = "section_handoffs.html.j2"

    # --- findings -------------------------------------------------------------------------
    def findings(self) -> list[str]:
        """The top findings in plain language."""
        from cspm.analysis.handoffs.findings import handoff_findings

        return handoff_findings(self)

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "findings": self.findings(),
            "handoffs": self.handoffs.summary(),
            "ping_pong": self.ping_pong.summary(),
            "rework": self.rework.summary(),
            "approvals": self.approvals.summary(),
            "loops": self.loops.summary(),
            "redundancy": self.redundancy.summary(),
        }

    def to_pandas(self) -> pd.DataFrame:
        """Per ticket: handoffs, ping-pong, rework, approval rounds, redundant time."""
        df = self.handoffs.per_case
        for other, cols in (
            (self.ping_pong.per_case, ["ping_pong", "direct", "indirect", "bounces", "away_s"]),
            (self.rework.per_case, ["repetitions", "self_loops", "repeats", "redos"]),
            (self.approvals.per_case, ["approval_steps", "approval_rounds", "rejection_cycles"]),
            (self.redundancy.per_case, ["redundant_events", "redundant_s"]),
        ):
            df = df.merge(other[[CASE, *cols]], on=CASE, how="left")
        return df

    def section_context(self) -> dict[str, Any]:
        from cspm.analysis.handoffs.findings import section_context

        return section_context(self)

    def render_html(self) -> str:
        """The section as an HTML fragment (the template with autoescape)."""
        from cspm.analysis.handoffs.findings import render_section

        return render_section(self)

    def save(self, path: str | Path) -> Path:
        """Write the section as a standalone HTML page."""
        path = Path(path)
        body = self.render_html()
        path.write_text(
            "<!doctype html><html><head><meta charset='utf-8'><title>Handoffs and loops</title></head>"
            f"<body>{body}</body></html>",
            encoding="utf-8",
        )
        return path

    def __repr__(self) -> str:
        return f"HandoffAnalysis(source={self.source!r}, level={self.handoffs.level!r}):\n" + "\n".join(
            f"  • {f}" for f in self.findings()
        )

    def _repr_html_(self) -> str:
        return self.render_html()


def analyse_handoffs(
    log: TicketLog,
    config: Config | None = None,
    level: Level = "team",
    *,
    column: str | None = None,
    missing: Missing = "skip",
    max_cycle_length: int = 4,
) -> HandoffAnalysis:
    """Everything of the "Handoffs and loops" section in one call.

    ``level`` ``"team"`` or ``"agent"`` (or any ``column``); ``missing`` decides whether events
    without a value are skipped or break a visit; ``config`` supplies the approval and waiting value
    classes (repeats of waiting steps are not rework) and the hourly cost rate.
    """
    from cspm.analysis.handoffs.pingpong import ping_pong
    from cspm.analysis.handoffs.redundancy import redundancy
    from cspm.analysis.handoffs.rework import (
        approval_loops,
        process_loops,
        repeated_events,
        rework,
        status_steps,
    )
    from cspm.config import Config

    cfg = config or Config()
    col = unit_column(log, level, column)
    shared = {
        "visit_table": visits(log.events, col, missing).cache(),
        "lead_table": lead_times(log.events).cache(),
    }
    h = handoffs(log, level, column=column, missing=missing, **shared)
    pp = ping_pong(log, level, column=column, missing=missing, **shared)
    skip = status_steps(log, cfg)  # waiting steps: their repeats are not rework
    repeated = repeated_events(log.events, skip).cache()
    rw = rework(log, cfg, repeated=repeated, not_counted=skip)
    ap = approval_loops(log, cfg)
    lp = process_loops(log, max_length=max_cycle_length)
    names = (ap.approval_activities, ap.rejection_activities, ap.resubmission_activities)
    rd = redundancy(log, cfg, level, column=column, missing=missing, names=names, repeated=repeated,
                    not_counted=skip, **shared)  # fmt: skip
    return HandoffAnalysis(h, pp, rw, ap, lp, rd, source=log.source)
