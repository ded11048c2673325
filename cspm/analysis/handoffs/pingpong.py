"""Ping-pong: a ticket coming back to a team (or agent) it had already handed on.

On the collapsed visit sequence of a case (see :mod:`cspm.analysis.handoffs.handoffs`), a visit of team A is a
**return** when the case visited A before. With exactly one visit in between it is a **direct**
ping-pong (A → B → A); with two or more it is **indirect** (A → B → C → A: consecutive visits
differ, so two or more other teams). ``via`` is the team the ticket went to when it left A; the
**away** time runs from the last event of the earlier A visit to the first event of the return.
With ``missing="break"``, a return whose only intermediate visit has no value is not a ping-pong.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.analysis.handoffs.handoffs import (
    NO_VALUE,
    UNIT,
    VISIT,
    Level,
    Missing,
    lead_times,
    unit_column,
    visits,
)
from cspm.core.expr import epoch_seconds, to_frame
from cspm.core.log import CASE
from cspm.units import format_duration

if TYPE_CHECKING:
    from cspm.core.log import TicketLog


def returns(visit_table: ir.Table) -> ir.Table:
    """One row per return: ``case_id, visit, left_visit, team, via, kind, away_s``."""
    wt = ibis.window(group_by=[CASE, UNIT], order_by=VISIT)
    v = visit_table.mutate(
        left_visit=visit_table[VISIT].lag().over(wt),
        left_end=visit_table.end.lag().over(wt),
        via=visit_table.next_unit.lag().over(wt),
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


@dataclass
class PingPong:
    """Ping-pong per ticket, per team pair and per team, and its impact on lead time."""

    level: str
    column: str
    returns: pd.DataFrame  # case_id, visit, left_visit, team, via, kind, away_s
    per_case: pd.DataFrame  # case_id, ping_pong, direct, indirect, bounces, away_s, lead_time_s, kind

    # --- tables ---------------------------------------------------------------------------
    def tickets(self, kind: str | None = None) -> set[str]:
        """Ids of tickets with a ping-pong (``kind`` 'direct' or 'indirect' to restrict)."""
        df = self.per_case
        mask = df["ping_pong"] if kind is None else df[kind] > 0
        return set(df.loc[mask, CASE])

    def pairs(self) -> pd.DataFrame:
        """Bounces per (team returned to, team it went to): ``team, via, bounces, direct, indirect, tickets``."""
        r = self.returns
        if r.empty:
            return pd.DataFrame(columns=["team", "via", "bounces", "direct", "indirect", "tickets"])
        g = r.groupby(["team", "via"], dropna=False).agg(
            bounces=(CASE, "size"),
            direct=("kind", lambda k: int((k == "direct").sum())),
            indirect=("kind", lambda k: int((k == "indirect").sum())),
            tickets=(CASE, "nunique"),
        )
        return g.reset_index().sort_values(["bounces", "team", "via"], ascending=[False, True, True], kind="stable")

    def pairs_undirected(self) -> pd.DataFrame:
        """Bounces per unordered pair 'A ↔ B' (for the findings)."""
        p = self.pairs()
        if p.empty:
            return pd.DataFrame(columns=["pair", "bounces", "tickets"])
        a = p[["team", "via"]].astype(str).min(axis=1)
        b = p[["team", "via"]].astype(str).max(axis=1)
        p = p.assign(pair=a + " ↔ " + b)
        r = self.returns.assign(
            pair=self.returns[["team", "via"]].astype(str).min(axis=1) + " ↔ " + self.returns[["team", "via"]].astype(str).max(axis=1)
        )
        tickets = r.groupby("pair")[CASE].nunique()
        g = p.groupby("pair", as_index=False)["bounces"].sum()
        g["tickets"] = g["pair"].map(tickets).astype("int64")
        return g.sort_values(["bounces", "pair"], ascending=[False, True], kind="stable").reset_index(drop=True)

    def teams(self) -> pd.DataFrame:
        """The most-bounced teams: returns to each team and tickets affected."""
        r = self.returns
        if r.empty:
            return pd.DataFrame(columns=["team", "bounces", "tickets", "median_away_s"])
        g = r.groupby("team").agg(bounces=(CASE, "size"), tickets=(CASE, "nunique"), median_away_s=("away_s", "median"))
        return g.reset_index().sort_values(["bounces", "team"], ascending=[False, True], kind="stable")

    # --- impact ---------------------------------------------------------------------------
    @property
    def share(self) -> float:
        return float(self.per_case["ping_pong"].mean()) if len(self.per_case) else float("nan")

    def impact(self) -> dict[str, Any]:
        """Lead time of ping-pong tickets vs the others, and hours away before coming back."""
        df = self.per_case
        pp, other = df[df["ping_pong"]], df[~df["ping_pong"]]
        return {
            "tickets": int(len(pp)),
            "other_tickets": int(len(other)),
            "lead_time_median_s": _f(pp["lead_time_s"].median()),
            "lead_time_mean_s": _f(pp["lead_time_s"].mean()),
            "other_lead_time_median_s": _f(other["lead_time_s"].median()),
            "other_lead_time_mean_s": _f(other["lead_time_s"].mean()),
            "away_hours_total": _f(self.returns["away_s"].sum() / 3600) if len(self.returns) else 0.0,
            "away_median_s": _f(self.returns["away_s"].median()) if len(self.returns) else None,
        }

    # --- protocol -------------------------------------------------------------------------
    def to_pandas(self) -> pd.DataFrame:
        return self.per_case

    def summary(self) -> dict[str, Any]:
        top = self.pairs_undirected().head(1)
        teams = self.teams().head(3)
        return {
            "level": self.level,
            "tickets_with_ping_pong": int(self.per_case["ping_pong"].sum()),
            "share": _f(self.share),
            "direct_tickets": int((self.per_case["direct"] > 0).sum()),
            "indirect_tickets": int((self.per_case["indirect"] > 0).sum()),
            "bounces": int(len(self.returns)),
            "top_pair": None if top.empty else {"pair": top.iloc[0]["pair"], "bounces": int(top.iloc[0]["bounces"])},
            "most_bounced": [{"team": t.team, "bounces": int(t.bounces)} for t in teams.itertuples()],
            "impact": self.impact(),
        }

    def __repr__(self) -> str:
        return f"PingPong(level={self.level!r}, tickets={int(self.per_case['ping_pong'].sum())}, bounces={len(self.returns)})"

    def _repr_html_(self) -> str:
        s = self.summary()
        imp = s["impact"]
        return (
            f"<h4>Ping-pong ({html.escape(self.level)})</h4><p>{s['tickets_with_ping_pong']} tickets "
            f"({(s['share'] or 0):.1%}) bounce: {s['direct_tickets']} direct, {s['indirect_tickets']} indirect; "
            f"median lead time {format_duration(imp['lead_time_median_s'])} vs "
            f"{format_duration(imp['other_lead_time_median_s'])}.</p>"
            + self.pairs().head(10).to_html(index=False, escape=True, border=0)
        )


def _f(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def ping_pong(
    log: TicketLog,
    level: Level = "team",
    *,
    column: str | None = None,
    missing: Missing = "skip",
    visit_table: ir.Table | None = None,
    lead_table: ir.Table | None = None,
) -> PingPong:
    """Direct and indirect ping-pong at ``level`` (or on ``column``); ``visit_table``/``lead_table``
    as in :func:`cspm.analysis.handoffs.handoffs.handoffs`."""
    col = unit_column(log, level, column)
    vis = visit_table if visit_table is not None else visits(log.events, col, missing)
    ret = returns(vis).cache()
    per = ret.group_by(CASE).aggregate(
        direct=(ret.kind == "direct").sum(),
        indirect=(ret.kind == "indirect").sum(),
        bounces=ret.count(),
        away_s=ret.away_s.sum(),
    )
    leads = lead_table if lead_table is not None else lead_times(log.events)
    joined = leads.left_join(per, CASE).select(
        leads[CASE], per.direct, per.indirect, per.bounces, per.away_s, leads.lead_time_s
    )
    df = to_frame(joined, [CASE])
    for c in ("direct", "indirect", "bounces"):
        df[c] = df[c].fillna(0).astype("int64")
    df["away_s"] = df["away_s"].fillna(0).astype("float64")
    df.insert(1, "ping_pong", df["bounces"] > 0)
    df["kind"] = None
    df.loc[(df["direct"] > 0) & (df["indirect"] == 0), "kind"] = "direct"
    df.loc[(df["direct"] == 0) & (df["indirect"] > 0), "kind"] = "indirect"
    df.loc[(df["direct"] > 0) & (df["indirect"] > 0), "kind"] = "both"
    return PingPong(
        level=level if column is None else column,
        column=col,
        returns=to_frame(ret, [CASE, VISIT]),
        per_case=df,
    )
