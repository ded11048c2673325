"""``cspm.monitor``: every KPI and target per week or month, trends and alerts (the weekly review).

* **Periods**: a ticket belongs to the week (Monday 00:00) or month of its first event, in the
  business calendar's time zone; the figures are those of :mod:`~.figures` (KPIs, lead time,
  handoffs and rework, targets), with the same statistics as a comparison (median, mean, share).
* **Targets** per period: the attainment (share within the target), the level (the quantile at the
  required attainment) and met / breached; a period with fewer than ``monitor.min_observations``
  observations of a target is not judged (``meets`` None).
* **Trend** per figure: the least-squares slope per period over the periods with a value, and that
  slope relative to the figure's mean.
* **Alert**: a target breached in each of the last ``monitor.alert_periods`` judged periods (per
  period, ``alert`` says whether that held at that period's end).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cspm.analysis.compare.figures import describe, histograms
from cspm.analysis.compare.statistics import Sample
from cspm.analysis.compare.table import samples
from cspm.analysis.intervals import Semantics
from cspm.config import Config, as_config
from cspm.core.expr import small_table
from cspm.core.log import CASE, TIMESTAMP, TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.i18n import N_
from cspm.render.charts import trend_svg

__all__ = ["Monitor", "MonitorSummary", "monitor", "period_starts"]

Every = Literal["week", "month"]
_FAMILIES = ("kpi", "lead_time", "handoffs")


def period_starts(first: date, last: date, every: Every) -> list[date]:
    """Local start dates of the periods from the one containing ``first`` to the one containing ``last``."""
    if every == "week":
        d = first - timedelta(days=first.weekday())
        step = lambda x: x + timedelta(days=7)  # noqa: E731
    else:
        d = first.replace(day=1)
        step = lambda x: (x.replace(day=28) + timedelta(days=4)).replace(day=1)  # noqa: E731
    out = []
    while d <= last:
        out.append(d)
        d = step(d)
    return out


def period_parts(log: TicketLog, every: Every, timezone: str) -> tuple[ir.Table, list[str]]:
    """``case_id, part`` (the period's start date, ISO) and the period labels in order."""
    ev = log.events
    first = ev.group_by(CASE).aggregate(_first=ev[TIMESTAMP].min())
    span = first.aggregate(lo=first._first.min(), hi=first._first.max()).to_pandas().iloc[0]
    tz = ZoneInfo(timezone)
    # DuckDB gives aware UTC timestamps, Spark naive ones (in the session's UTC)
    lo, hi = (_utc(span[k]).tz_convert(tz).date() for k in ("lo", "hi"))
    starts = period_starts(lo, hi, every)
    nxt = [*starts[1:], period_starts(starts[-1] + timedelta(days=32 if every == "month" else 7), starts[-1] + timedelta(days=40), every)[0]]
    frame = pd.DataFrame({
        "part": [d.isoformat() for d in starts],
        "p_start": [datetime.combine(d, time(0), tzinfo=tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None) for d in starts],
        "p_end": [datetime.combine(d, time(0), tzinfo=tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None) for d in nxt],
    })  # fmt: skip
    periods = small_table(ev, frame)
    ts = ev[TIMESTAMP].type()
    j = first.join(periods, (first._first >= periods.p_start.cast(ts)) & (first._first < periods.p_end.cast(ts)))
    return j.select(CASE, "part"), list(frame.part)


def _utc(value: object) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts


class MonitorSummary(Record):
    """The monitor's figures (JSON output)."""

    every: str
    periods: list[str]
    alert_periods: int
    alert: bool
    alerts: list[dict[str, Any]]
    figures: list[dict[str, Any]]
    targets: list[dict[str, Any]]
    trends: list[dict[str, Any]]
    rule: str


@dataclass(eq=False)
class Monitor(Result):
    """Figures and targets per period, trends and alerts."""

    every: Every
    periods: list[str]
    figures: pd.DataFrame  # period, figure, family, name, clock, kind, statistic, n, value
    targets: pd.DataFrame  # period, figure, name, clock, target_h, required, n, attained, level_h, meets, alert
    trends: pd.DataFrame  # figure, name, clock, statistic, periods, slope, slope_rel, first, last
    alert_periods: int
    rule: str
    alerts: list[dict[str, Any]] = field(default_factory=list)

    section_id: ClassVar[str] = "monitor"
    section_title: ClassVar[str] = N_("Monitoring")
    section_template: ClassVar[str] = "section_monitor.html.j2"

    @property
    def alert(self) -> bool:
        return bool(self.alerts)

    def table(self) -> pd.DataFrame:
        return self.figures

    def wide(self) -> pd.DataFrame:
        """One row per period, one column per figure name (the statistic)."""
        f = self.figures.assign(col=self.figures.name + np.where(self.figures.clock.notna(), " (" + self.figures.clock.fillna("") + ")", ""))
        return f.pivot_table(index="period", columns="col", values="value", aggfunc="first").reindex(self.periods)

    def _summary(self) -> MonitorSummary:
        return MonitorSummary(
            every=self.every, periods=self.periods, alert_periods=self.alert_periods, alert=self.alert,
            alerts=self.alerts, figures=self.figures.to_dict("records"), targets=self.targets.to_dict("records"),
            trends=self.trends.to_dict("records"), rule=self.rule,
        )  # fmt: skip

    def charts(self) -> list[str]:
        """One SVG per target (level against the target line) and per KPI."""
        out = []
        for _fid, g in self.targets.groupby("figure", sort=False):
            g = g.set_index("period").reindex(self.periods)
            name, req = g.name.dropna().iloc[0], g.required.dropna().iloc[0]
            out.append(trend_svg(self.periods, g.level_h.tolist(), f"{name}: P{req * 100:g} per {self.every}", "hours",
                                 target=float(g.target_h.dropna().iloc[0]), breached=(g.meets == False).tolist()))  # noqa: E712  # fmt: skip
        for fid, g in self.figures.groupby("figure", sort=True):
            g = g.set_index("period").reindex(self.periods)
            fig = describe(fid)
            unit = "hours" if fig.kind == "duration" else fig.statistic
            label = fig.name + (f" ({fig.clock})" if fig.clock else "")
            out.append(trend_svg(self.periods, [None if v != v else v for v in g.value.tolist()], f"{label}: {fig.statistic}", unit))
        return out

    def section_context(self) -> dict[str, Any]:
        return {
            "every": self.every, "periods": self.periods, "alerts": self.alerts, "alert_periods": self.alert_periods,
            "rule": self.rule, "charts": self.charts(), "trends": self.trends.to_dict("records"),
        }  # fmt: skip


def _stat(s: Sample, kind: str) -> float | None:
    return s.statistic(kind)


def monitor(
    log: TicketLog,
    config: Config | str | Path | None = None,
    *,
    every: Every | None = None,
    alert_periods: int | None = None,
    semantics: Semantics | None = None,
) -> Monitor:
    """Every KPI and target per period (``every`` overrides ``monitor.every``), trends and alerts."""
    cfg = as_config(config)
    every = every or cfg.monitor.every
    if every not in ("week", "month"):
        raise ValueError(f"every must be 'week' or 'month', not {every!r}")
    n_alert = alert_periods or cfg.monitor.alert_periods
    parts, periods = period_parts(log, every, cfg.calendar.timezone)
    hist, targets = histograms(log, cfg, parts, semantics=semantics)
    rows, trows = [], []
    for period in periods:
        sm = samples(hist[hist.part == period])
        for fid, s in sm.items():
            fig = describe(fid, targets)
            if fig.family in _FAMILIES:
                rows.append({"period": period, "figure": fid, "family": fig.family, "name": fig.name, "clock": fig.clock,
                             "kind": fig.kind, "statistic": fig.statistic, "n": s.n, "value": _stat(s, fig.kind)})  # fmt: skip
        for fid, t in targets.items():
            s = sm.get(fid, Sample.of([]))
            ok = int(s.counts[s.values <= t["target_s"]].sum()) if s.n else 0
            judged = s.n >= cfg.monitor.min_observations
            level = s.quantile(t["required"])
            trows.append({
                "period": period, "figure": fid, "name": t["name"], "clock": t["clock"], "target_h": t["target_s"] / 3600,
                "required": t["required"], "n": s.n, "attained": ok / s.n if s.n else None,
                "level_h": None if level is None else level / 3600,
                "meets": (ok / s.n >= t["required"]) if judged else None,
            })  # fmt: skip
    figures = pd.DataFrame(rows, columns=["period", "figure", "family", "name", "clock", "kind", "statistic", "n", "value"])
    tdf = pd.DataFrame(trows, columns=["period", "figure", "name", "clock", "target_h", "required", "n", "attained", "level_h", "meets"])
    tdf["alert"] = False
    alerts = []
    for fid, g in tdf.groupby("figure", sort=False):
        judged = g[g.meets.notna()]
        streak = 0
        for idx, meets in zip(judged.index, judged.meets, strict=True):
            streak = 0 if meets else streak + 1
            tdf.loc[idx, "alert"] = streak >= n_alert
        if len(judged) and bool(tdf.loc[judged.index[-1], "alert"]):
            last = judged.tail(n_alert)
            alerts.append({
                "target": g.name.iloc[0], "figure": fid, "periods": list(last.period),
                "attained": [float(a) for a in last.attained], "required": float(g.required.iloc[0]),
                "target_h": float(g.target_h.iloc[0]),
            })  # fmt: skip
    rule = (f"tickets by the {every} of their first event ({cfg.calendar.timezone}); alert: a target breached in each of "
            f"the last {n_alert} judged period(s) (≥ {cfg.monitor.min_observations} observations)")  # fmt: skip
    return Monitor(every, periods, figures, tdf, _trends(figures, periods), n_alert, rule, alerts)


def _trends(figures: pd.DataFrame, periods: list[str]) -> pd.DataFrame:
    index = {p: i for i, p in enumerate(periods)}
    rows = []
    for fid, g in figures.groupby("figure", sort=True):
        g = g[g.value.notna()]
        if len(g) < 2:
            continue
        x = np.array([index[p] for p in g.period], dtype=float)
        y = g.value.to_numpy(dtype=float)
        slope = float(np.polyfit(x, y, 1)[0])
        mean = float(y.mean())
        rows.append({"figure": fid, "name": g.name.iloc[0], "clock": g.clock.iloc[0], "statistic": g.statistic.iloc[0],
                     "periods": len(g), "slope": slope, "slope_rel": slope / mean if mean else None,
                     "first": float(y[0]), "last": float(y[-1])})  # fmt: skip
    return pd.DataFrame(rows, columns=["figure", "name", "clock", "statistic", "periods", "slope", "slope_rel", "first", "last"])
