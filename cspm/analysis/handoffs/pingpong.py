"""Ping-pong: a ticket coming back to a team (or agent) it had already handed on.

On the visit sequence of a case (:mod:`cspm.analysis.handoffs.visits`), a visit of team A is a
**return** when the case visited A before. With exactly one visit in between it is a **direct**
ping-pong (A → B → A); with two or more it is **indirect** (A → B → C → A: consecutive visits
differ, so two or more other teams). ``via`` is the team the ticket went to when it left A; the
**away** time runs from the last event of the earlier A visit to the first event of the return.
With ``missing="break"``, a return whose only intermediate visit has no value is not a ping-pong.

The returns (:func:`return_table`) are a derived table of the log, shared with
:mod:`cspm.analysis.handoffs.redundancy`; every figure is an aggregation of them on the engine.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd
from pydantic import Field

from cspm.analysis.handoffs.formatting import rows
from cspm.analysis.handoffs.visits import (
    NO_VALUE,
    UNIT,
    VISIT,
    Level,
    Missing,
    lead_time_table,
    unit_column,
    visit_table,
)
from cspm.core.expr import as_int, epoch_seconds, to_frame
from cspm.core.log import CASE, TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.units import format_duration

__all__ = ["PingPong", "PingPongImpact", "PingPongSummary", "ping_pong", "return_table", "returns"]

Kind = Literal["direct", "indirect"]
PAIR_COLUMNS = ["team", "via", "bounces", "direct", "indirect", "tickets"]


class PingPongImpact(Record):
    """Lead time of the ping-pong tickets vs the others, and the time away before coming back."""

    tickets: int
    other_tickets: int
    lead_time_median_s: float | None
    lead_time_mean_s: float | None
    other_lead_time_median_s: float | None
    other_lead_time_mean_s: float | None
    away_hours_total: float | None
    away_median_s: float | None


class PingPongPair(Record):
    pair: str = Field(description="'A ↔ B'")
    bounces: int


class BouncedTeam(Record):
    team: str
    bounces: int


class PingPongSummary(Record):
    """The ping-pong figures of a log at one level."""

    level: str
    tickets_with_ping_pong: int
    share: float | None = Field(description="share of tickets with a ping-pong")
    direct_tickets: int
    indirect_tickets: int
    bounces: int = Field(description="returns, direct and indirect")
    top_pair: PingPongPair | None
    most_bounced: list[BouncedTeam]
    impact: PingPongImpact


def returns(visits: ir.Table) -> ir.Table:
    """One row per return: ``case_id, visit, left_visit, team, via, kind, away_s``."""
    wt = ibis.window(group_by=[CASE, UNIT], order_by=VISIT)
    v = visits.mutate(
        left_visit=visits[VISIT].lag().over(wt),
        left_end=visits.end.lag().over(wt),
        via=visits.next_unit.lag().over(wt),
    )
    r = v.filter(v.left_visit.notnull() & (v[UNIT] != NO_VALUE))
    r = r.filter(~((r[VISIT] - r.left_visit == 2) & (r.via == NO_VALUE)))
    return r.select(
        CASE,
        VISIT,
        "left_visit",
        team=r[UNIT],
        via=r.via,
        kind=ibis.ifelse(r[VISIT] - r.left_visit == 2, "direct", "indirect"),
        away_s=epoch_seconds(r.start) - epoch_seconds(r.left_end),
    )


def return_table(log: TicketLog, column: str, missing: Missing = "skip") -> ir.Table:
    """The returns of ``log`` on ``column`` (:func:`returns`), built once per log, column and rule."""
    return log.derived.get("returns", (column, missing), lambda: returns(visit_table(log, column, missing)).cache())


def _undirected(a: ir.StringValue, b: ir.StringValue) -> ir.StringValue:
    return ibis.least(a, b).concat(" ↔ ", ibis.greatest(a, b))


def _f(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


@dataclass(eq=False)
class PingPong(Result):
    """Ping-pong per ticket, per team pair and per team, and its impact on lead time."""

    level: str
    column: str
    returns_table: ir.Table  # case_id, visit, left_visit, team, via, kind, away_s (on the engine)
    per_case_table: ir.Table  # case_id, ping_pong, direct, indirect, bounces, away_s, lead_time_s

    section_id: ClassVar[str] = "ping-pong"
    section_title: ClassVar[str] = N_("Ping-pong")
    section_template: ClassVar[str] = "section_handoffs_part.html.j2"

    # --- per ticket and per return (on request) -------------------------------------------
    @cached_property
    def returns(self) -> pd.DataFrame:
        """Every return: ``case_id, visit, left_visit, team, via, kind, away_s`` (fetched on first use)."""
        return to_frame(self.returns_table, [CASE, VISIT])

    @cached_property
    def per_case(self) -> pd.DataFrame:
        """Per ticket: ``case_id, ping_pong, direct, indirect, bounces, away_s, lead_time_s, kind``
        (``kind`` 'direct', 'indirect', 'both' or None; fetched on first use)."""
        df = to_frame(self.per_case_table, [CASE])
        df = df.astype({c: "int64" for c in ("direct", "indirect", "bounces")} | {"away_s": "float64", "ping_pong": bool})
        kind = pd.Series([None] * len(df), index=df.index, dtype=object)
        kind[(df["direct"] > 0) & (df["indirect"] == 0)] = "direct"
        kind[(df["direct"] == 0) & (df["indirect"] > 0)] = "indirect"
        kind[(df["direct"] > 0) & (df["indirect"] > 0)] = "both"
        return df.assign(kind=kind)

    def table(self) -> pd.DataFrame:
        return self.per_case

    def ticket_ids(self, kind: Kind | None = None) -> set[str]:
        """Ids of the tickets with a ping-pong (``kind`` 'direct' or 'indirect' to restrict)."""
        t = self.per_case_table
        ids = t.filter(t.ping_pong if kind is None else t[kind] > 0).select(CASE).to_pandas()[CASE]
        return set(ids)

    def tickets(self, kind: Kind | None = None) -> set[str]:
        """Deprecated: the ids are :meth:`ticket_ids` ("tickets" is a number in cspm)."""
        warnings.warn("PingPong.tickets() returns ids and is deprecated; use ticket_ids()", DeprecationWarning, stacklevel=2)
        return self.ticket_ids(kind)

    # --- per pair and per team ------------------------------------------------------------
    @cached_property
    def _pairs(self) -> pd.DataFrame:
        r = self.returns_table
        g = r.group_by(["team", "via"]).aggregate(
            bounces=r.count(),
            direct=(r.kind == "direct").cast("int64").sum(),
            indirect=(r.kind == "indirect").cast("int64").sum(),
            tickets=r[CASE].nunique(),
        )
        df = to_frame(g, ["team", "via"]).reindex(columns=PAIR_COLUMNS)
        # up to 3 example tickets per pair: the most bounces of the pair first, ties by id
        per = r.group_by(["team", "via", CASE]).aggregate(n=r.count())
        per = per.mutate(_i=ibis.row_number().over(ibis.window(group_by=["team", "via"],
                                                               order_by=[ibis.desc("n"), CASE])))  # fmt: skip
        ex = to_frame(per.filter(per._i < 3).select("team", "via", "_i", CASE), ["team", "via", "_i"])
        ids = ex.groupby(["team", "via"], sort=False)[CASE].agg(lambda s: ", ".join(map(str, s)))
        df["examples"] = [ids.get((t, v), "") for t, v in zip(df["team"], df["via"], strict=True)]
        return df.sort_values(["bounces", "team", "via"], ascending=[False, True, True], kind="stable")

    def pairs(self) -> pd.DataFrame:
        """Bounces per (team returned to, team it went to): ``team, via, bounces, direct, indirect, tickets,
        examples`` (up to 3 of its tickets, the most bounces of the pair first, ties by id)."""
        return self._pairs.copy()

    @cached_property
    def _pairs_undirected(self) -> pd.DataFrame:
        r = self.returns_table
        r = r.mutate(pair=_undirected(r.team, r.via))
        g = r.group_by("pair").aggregate(bounces=r.count(), tickets=r[CASE].nunique())
        df = to_frame(g, ["pair"]).reindex(columns=["pair", "bounces", "tickets"])
        df = df.sort_values(["bounces", "pair"], ascending=[False, True], kind="stable").reset_index(drop=True)
        return df.astype({"bounces": "int64", "tickets": "int64"})

    def pairs_undirected(self) -> pd.DataFrame:
        """Bounces per unordered pair 'A ↔ B' (for the findings): ``pair, bounces, tickets``."""
        return self._pairs_undirected.copy()

    @cached_property
    def _teams(self) -> pd.DataFrame:
        r = self.returns_table
        g = r.group_by("team").aggregate(bounces=r.count(), tickets=r[CASE].nunique(), median_away_s=r.away_s.median())
        df = to_frame(g, ["team"]).reindex(columns=["team", "bounces", "tickets", "median_away_s"])
        return df.sort_values(["bounces", "team"], ascending=[False, True], kind="stable")

    def teams(self) -> pd.DataFrame:
        """The most-bounced teams: returns to each team, tickets affected, median time away."""
        return self._teams.copy()

    # --- figures --------------------------------------------------------------------------
    @cached_property
    def _overall(self) -> dict[str, Any]:
        r = self.returns_table
        row = r.aggregate(
            bounces=r.count(),
            direct_tickets=r[CASE].nunique(where=r.kind == "direct"),
            indirect_tickets=r[CASE].nunique(where=r.kind == "indirect"),
            away_total_s=r.away_s.sum(),
            away_median_s=r.away_s.median(),
        ).to_pandas().iloc[0]
        t = self.per_case_table
        lead = t.group_by("ping_pong").aggregate(
            tickets=t.count(), median=t.lead_time_s.median(), mean=t.lead_time_s.mean()
        ).to_pandas()
        by_flag = {bool(k): v for k, v in zip(lead["ping_pong"], lead.to_dict("records"), strict=True)}
        return {**row.to_dict(), "lead": by_flag}

    @property
    def share(self) -> float:
        """Share of tickets with a ping-pong."""
        lead = self._overall["lead"]
        n = sum(int(v["tickets"]) for v in lead.values())
        return int(lead[True]["tickets"]) / n if True in lead else (0.0 if n else float("nan"))

    def impact(self) -> dict[str, Any]:
        """Lead time of ping-pong tickets vs the others, and hours away before coming back."""
        return self._impact.model_dump()

    @cached_property
    def _impact(self) -> PingPongImpact:
        o = self._overall
        pp, other = o["lead"].get(True, {}), o["lead"].get(False, {})
        bounces = as_int(o["bounces"])
        return PingPongImpact(
            tickets=as_int(pp.get("tickets")),
            other_tickets=as_int(other.get("tickets")),
            lead_time_median_s=_f(pp.get("median")),
            lead_time_mean_s=_f(pp.get("mean")),
            other_lead_time_median_s=_f(other.get("median")),
            other_lead_time_mean_s=_f(other.get("mean")),
            away_hours_total=_f(o["away_total_s"] / 3600) if bounces else 0.0,
            away_median_s=_f(o["away_median_s"]) if bounces else None,
        )

    # --- the result protocol --------------------------------------------------------------
    def _summary(self) -> PingPongSummary:
        o = self._overall
        top = self._pairs_undirected.head(1)
        return PingPongSummary(
            level=self.level,
            tickets_with_ping_pong=self._impact.tickets,
            share=_f(self.share),
            direct_tickets=as_int(o["direct_tickets"]),
            indirect_tickets=as_int(o["indirect_tickets"]),
            bounces=as_int(o["bounces"]),
            top_pair=None if top.empty else PingPongPair(pair=top.iloc[0]["pair"], bounces=int(top.iloc[0]["bounces"])),
            most_bounced=[BouncedTeam(team=t.team, bounces=int(t.bounces)) for t in self._teams.head(3).itertuples()],
            impact=self._impact,
        )

    def section_context(self) -> dict[str, Any]:
        s, imp = self._summary(), self._impact
        line = _(
            "{tickets} tickets ({share}) bounce: {direct} direct, {indirect} indirect; median lead time {lead} vs {other}."
        ).format(tickets=f"{s.tickets_with_ping_pong:,}", share=f"{(s.share or 0):.1%}", direct=f"{s.direct_tickets:,}",
                 indirect=f"{s.indirect_tickets:,}", lead=format_duration(imp.lead_time_median_s),
                 other=format_duration(imp.other_lead_time_median_s))  # fmt: skip
        return {
            "title": _("Ping-pong ({level})").format(level=_(self.level)),
            "lines": [line],
            "tables": [{"caption": _("Bounces per team pair"), "rows": rows(self._pairs, {c: c for c in PAIR_COLUMNS})}],
        }

    def __repr__(self) -> str:
        return f"PingPong(level={self.level!r}, tickets={self._impact.tickets}, bounces={as_int(self._overall['bounces'])})"


def ping_pong(
    log: TicketLog,
    level: Level = "team",
    *,
    column: str | None = None,
    missing: Missing = "skip",
) -> PingPong:
    """Direct and indirect ping-pong at ``level`` (or on ``column``), events without a value
    skipped or breaking a visit (``missing``)."""
    col = unit_column(log, level, column)
    ret = return_table(log, col, missing)
    per = ret.group_by(CASE).aggregate(
        direct=(ret.kind == "direct").cast("int64").sum(),
        indirect=(ret.kind == "indirect").cast("int64").sum(),
        bounces=ret.count(),
        away_s=ret.away_s.sum(),
    )
    leads = lead_time_table(log)
    bounces = per.bounces.fill_null(0)
    per_case = leads.left_join(per, CASE).select(
        leads[CASE],
        ping_pong=bounces > 0,
        direct=per.direct.fill_null(0),
        indirect=per.indirect.fill_null(0),
        bounces=bounces,
        away_s=per.away_s.cast("float64").fill_null(0.0),
        lead_time_s=leads.lead_time_s,
    )
    return PingPong(level=level if column is None else column, column=col, returns_table=ret, per_case_table=per_case)
