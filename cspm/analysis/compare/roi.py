"""``cspm.roi``: the money a measured change saves, and what removing waste would save (``costs``).

**Measured** (:func:`roi` of a :class:`~.comparison.Comparison`): per ticket, side a minus side b of

* handoffs (mean per ticket) × ``costs.cost_per_handoff``;
* rework repetitions (mean per ticket) × ``costs.cost_per_touch``;
* other steps (steps per ticket minus rework repetitions) × ``costs.cost_per_touch``;
* waiting hours per ticket (sum of every queue wait, calendar clock, SLA pauses excluded, over the
  tickets) × ``costs.waiting_hour_cost``.

**Potential** (:func:`potential` of one log, before a change): per ticket, what removing

* ping-pong: each return (bounce) is two handoffs (away and back) × ``cost_per_handoff``;
* rework: each repetition × ``cost_per_touch``;
* extra approval rounds (rounds beyond the first): each is three steps (rejection, resubmission,
  new request) × ``cost_per_touch``

would save. Both are extrapolated with the tickets per month (given, or the log's: tickets / the
span of their first events in months of 30.44 days), per year (× 12), and give the **payback**:
``investment`` / (monthly saving − ``running_cost_per_month``), None when the net saving is not
positive. Each saving is a point estimate from the figures; the comparison's CIs say how sure the
underlying changes are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from cspm.analysis.compare.comparison import Comparison
from cspm.analysis.compare.sidedata import side_data
from cspm.analysis.compare.table import samples
from cspm.config import Config, as_config
from cspm.core.log import CASE, TIMESTAMP, TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.errors import ConfigError
from cspm.i18n import N_
from cspm.i18n import gettext as _

__all__ = ["ROI", "RoiSummary", "potential", "roi", "tickets_per_month"]

DAYS_PER_MONTH = 30.44
_METHOD = {
    "measured": "per ticket, before minus after: handoffs × cost_per_handoff, rework repetitions and other "
    "steps × cost_per_touch, waiting hours (every queue wait, calendar clock, SLA pauses excluded) × "
    "waiting_hour_cost; × tickets per month; payback = investment / (monthly saving − running cost).",
    "potential": "per ticket, removed: ping-pong returns (2 handoffs each) × cost_per_handoff, rework "
    "repetitions × cost_per_touch, extra approval rounds (3 steps each) × cost_per_touch; × tickets per "
    "month; payback = investment / (monthly saving − running cost).",
}


class RoiSummary(Record):
    """The estimate (JSON output)."""

    kind: str
    currency: str
    tickets_per_month: float
    savings: list[dict[str, Any]]
    saving_per_ticket: float
    saving_per_month: float
    saving_per_year: float
    investment: float
    running_cost_per_month: float
    net_per_month: float
    payback_months: float | None
    method: str
    assumptions: list[str]


@dataclass(eq=False)
class ROI(Result):
    """Savings per ticket, month and year, and the payback period."""

    kind: str  # measured | potential
    currency: str
    tickets_per_month: float
    items: pd.DataFrame  # item, unit, per_ticket_a, per_ticket_b, change_per_ticket, unit_cost, saving_per_ticket, saving_per_month
    investment: float
    running_cost_per_month: float
    assumptions: list[str] = field(default_factory=list)

    section_id: ClassVar[str] = "roi"
    section_title: ClassVar[str] = N_("Return on investment")
    section_template: ClassVar[str] = "section_roi.html.j2"

    @property
    def saving_per_ticket(self) -> float:
        return float(self.items.saving_per_ticket.sum())

    @property
    def saving_per_month(self) -> float:
        return self.saving_per_ticket * self.tickets_per_month

    @property
    def net_per_month(self) -> float:
        return self.saving_per_month - self.running_cost_per_month

    @property
    def payback_months(self) -> float | None:
        if self.net_per_month <= 0:
            return None
        return self.investment / self.net_per_month

    def table(self) -> pd.DataFrame:
        return self.items

    def _summary(self) -> RoiSummary:
        return RoiSummary(
            kind=self.kind, currency=self.currency, tickets_per_month=self.tickets_per_month,
            savings=self.items.to_dict("records"), saving_per_ticket=self.saving_per_ticket,
            saving_per_month=self.saving_per_month, saving_per_year=12 * self.saving_per_month,
            investment=self.investment, running_cost_per_month=self.running_cost_per_month,
            net_per_month=self.net_per_month, payback_months=self.payback_months,
            method=_METHOD[self.kind], assumptions=self.assumptions,
        )  # fmt: skip

    def section_context(self) -> dict[str, Any]:
        return {"roi": self.summary(), "kind": self.kind}


def tickets_per_month(log: TicketLog) -> float:
    """Tickets / span of their first events in months (30.44 days); at least one day's span."""
    ev = log.events
    first = ev.group_by(CASE).aggregate(f=ev[TIMESTAMP].min())
    a = first.aggregate(n=first.count(), lo=first.f.min(), hi=first.f.max()).to_pandas().iloc[0]
    days = max((pd.Timestamp(a["hi"]) - pd.Timestamp(a["lo"])).total_seconds() / 86400, 1.0)
    return float(a["n"]) / days * DAYS_PER_MONTH


def _volume(log: TicketLog | None, per_month: float | None) -> float:
    if per_month is not None:
        return float(per_month)
    if log is None:
        raise ConfigError(None, [("tickets_per_month", None, _("give the log (its volume) or tickets_per_month"))])
    return tickets_per_month(log)


def _item(name: str, unit: str, a: float, b: float, cost: float, per_month: float) -> dict[str, Any]:
    change = b - a
    return {"item": name, "unit": unit, "per_ticket_a": a, "per_ticket_b": b, "change_per_ticket": change,
            "unit_cost": cost, "saving_per_ticket": -change * cost, "saving_per_month": -change * cost * per_month}  # fmt: skip


def _costs_note(cfg: Config) -> list[str]:
    c = cfg.costs
    zero = [k for k in ("cost_per_handoff", "cost_per_touch", "waiting_hour_cost") if getattr(c, k) == 0]
    return [f"costs.{k} is 0 (not configured): its item saves nothing." for k in zero]


def roi(
    comparison: Comparison,
    config: Config | str | Path | None = None,
    *,
    log: TicketLog | None = None,
    tickets_per_month: float | None = None,
) -> ROI:
    """The savings the measured change implies (see the module docstring)."""
    cfg = as_config(config)
    c = cfg.costs
    per_month = _volume(log, tickets_per_month)
    t = comparison.figures.set_index("figure")

    def mean(fid: str, side: str) -> float:
        return float(t.loc[fid, side]) if fid in t.index and t.loc[fid, side] == t.loc[fid, side] else 0.0

    w = comparison.waiting_hours_per_ticket
    rows = [
        _item("handoffs", "handoffs per ticket", mean("kpi||handoffs", "a"), mean("kpi||handoffs", "b"), c.cost_per_handoff, per_month),
        _item("rework", "rework repetitions per ticket", mean("handoffs||repetitions", "a"), mean("handoffs||repetitions", "b"), c.cost_per_touch, per_month),
        _item("other steps", "steps per ticket (without rework)", mean("kpi||steps", "a") - mean("handoffs||repetitions", "a"),
              mean("kpi||steps", "b") - mean("handoffs||repetitions", "b"), c.cost_per_touch, per_month),
        _item("waiting", "waiting hours per ticket (calendar)", w[0], w[1], c.waiting_hour_cost, per_month),
    ]  # fmt: skip
    notes = [f"Measured change: {comparison.labels[0]} → {comparison.labels[1]} ({comparison.rule}).",
             f"Volume: {per_month:,.1f} tickets per month" + (" (given)." if tickets_per_month is not None else " (the log's).")]  # fmt: skip
    return ROI("measured", c.currency, per_month, pd.DataFrame(rows), c.investment, c.running_cost_per_month, notes + _costs_note(cfg))


def potential(
    log: TicketLog, config: Config | str | Path | None = None, *, tickets_per_month: float | None = None
) -> ROI:
    """What removing ping-pong, rework and extra approval rounds would save (see the module docstring)."""
    cfg = as_config(config)
    c = cfg.costs
    per_month = _volume(log, tickets_per_month)
    data = side_data(log, cfg, "log")
    s = samples(data.hist[data.hist.part == "log"])
    tickets = data.tickets.get("log", 0) or 1

    def total(fid: str, f: Any = lambda v: v) -> float:
        x = s.get(fid)
        return float((f(x.values) * x.counts).sum()) / tickets if x is not None else 0.0

    bounces = total("handoffs||bounces")
    reps = total("handoffs||repetitions")
    extra = total("handoffs||rounds", lambda v: (v - 1).clip(min=0))
    rows = [
        _item("ping-pong", "handoffs of returns per ticket (2 per return)", 2 * bounces, 0.0, c.cost_per_handoff, per_month),
        _item("rework", "rework repetitions per ticket", reps, 0.0, c.cost_per_touch, per_month),
        _item("extra approval rounds", "steps of extra rounds per ticket (3 per round)", 3 * extra, 0.0, c.cost_per_touch, per_month),
    ]  # fmt: skip
    notes = [f"Potential: the figures of {log.source} with ping-pong, rework and extra approval rounds removed.",
             f"Volume: {per_month:,.1f} tickets per month" + (" (given)." if tickets_per_month is not None else " (the log's).")]  # fmt: skip
    return ROI("potential", c.currency, per_month, pd.DataFrame(rows), c.investment, c.running_cost_per_month, notes + _costs_note(cfg))
