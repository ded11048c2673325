"""Charts over time and by segment: weekly volume, backlog, lead-time trend, target attainment per
week, the lead-time histogram, figures per channel / priority / team, and team and agent workload.

``trends(log, config)`` (``cspm.trends``) returns a :class:`Trends`. Definitions (on the engine,
from the case table: a ticket starts at its first event and is done at its last):

* **week**: the calendar week (Monday 00:00 UTC) in which a ticket starts (created) or is done;
* **backlog** at the end of a week: tickets started before the week's end and not yet done;
* **lead time**: first event → last event, calendar hours; per week of creation its median and P90;
* **closed within target**: tickets done within ``kpis.close_within`` (calendar time) of their first
  event, as a share of the tickets created that week (recent weeks are low when tickets are still open);
* **segments**: a ticket's channel, priority and team are those of its first event; per segment the
  tickets, median and P90 lead time, closed-within share and mean handoffs (changes of team);
* **workload**: per team and per agent, events and distinct tickets and their share of all events;
* **slowest tickets**: the ids of the tickets with the longest lead time (drill-down examples);
* **KPIs and waiting targets by segment**: every service KPI (:func:`cspm.kpis`) and every waiting
  target (:func:`cspm.waiting`) per channel / priority / team value, the ``segment_top`` largest
  values one by one and the rest as ``(others)`` (:mod:`cspm.analysis.by_segment`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from cspm.analysis.attributes import first_attributes, value_changes
from cspm.analysis.by_segment import NONE, OTHERS, split_by_segment
from cspm.analysis.kpis import kpis
from cspm.config import Config, as_config
from cspm.core.expr import epoch_seconds, to_frame
from cspm.core.log import AGENT, CASE, TEAM, TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.mining.cases import case_table
from cspm.render.charts import histogram_svg, weekly_svg
from cspm.render.formats import MISSING, fmt_h, fmt_number, fmt_pct, fmt_thousands, table_rows
from cspm.render.workbook import Sheet

__all__ = ["SEGMENTS", "Trends", "trends"]

SEGMENTS = ("channel", "priority", TEAM)
_COLUMNS = (N_("channel"), N_("priority"), N_("team"), N_("agent"))  # the segment and workload columns, shown translated


class TrendsSummary(Record):
    close_within_h: float = Field(description="the closure target of the weekly attainment (kpis.close_within)")
    weeks: list[dict[str, Any]]
    segments: dict[str, list[dict[str, Any]]]
    segment_kpis: list[dict[str, Any]] = Field(description="every KPI per segment value (column, value, tickets, figures)")
    segment_targets: list[dict[str, Any]] = Field(description="every waiting target per segment value")
    slowest_tickets: list[str]


@dataclass
class Trends(Result):
    """Weekly figures (``weekly``), segments (``segments``: column → table), workload per team and
    agent, lead times per ticket (``lead_times_h``) and the slowest tickets."""

    close_within_h: float
    weekly: pd.DataFrame
    segments: dict[str, pd.DataFrame]
    workload: dict[str, pd.DataFrame]
    lead_times_h: np.ndarray = field(repr=False)
    slowest: pd.DataFrame = field(repr=False)
    segment_kpis: pd.DataFrame = field(default_factory=pd.DataFrame)
    segment_targets: pd.DataFrame = field(default_factory=pd.DataFrame)
    segment_top: int = 5

    section_id: ClassVar[str] = "trends"
    section_title: ClassVar[str] = N_("Over time and by segment")
    section_template: ClassVar[str] = "section_trends.html.j2"

    def table(self) -> pd.DataFrame:
        return self.weekly

    def volume_svg(self) -> str:
        w = self.weekly
        return weekly_svg(w["week"].dt.strftime("%Y-%m-%d").tolist(), w["created"], _("tickets created"), w["backlog"],
                          _("backlog at week end"), _("Weekly ticket volume and backlog"))  # fmt: skip

    def lead_time_svg(self) -> str:
        w = self.weekly
        return weekly_svg(w["week"].dt.strftime("%Y-%m-%d").tolist(), w["created"], _("tickets created"),
                          w["lead_time_median_h"], _("median lead time (h)"), _("Lead-time trend by week of creation"))  # fmt: skip

    def attainment_svg(self) -> str:
        w = self.weekly
        return weekly_svg(w["week"].dt.strftime("%Y-%m-%d").tolist(), w["created"], _("tickets created"),
                          w["closed_within"], _("closed within {hours} h (%)").format(hours=f"{self.close_within_h:g}"),
                          _("Closed within {hours} h, by week of creation").format(hours=f"{self.close_within_h:g}"),
                          line_share=True)  # fmt: skip

    def histogram_svg(self) -> str:
        return histogram_svg(self.lead_times_h, _("lead time (h)"), _("Lead-time distribution"))

    def workbook_sheets(self) -> list[Sheet]:
        sheets = [Sheet("Weekly", self.weekly, units={"week": "UTC"})]
        sheets += [Sheet(f"By {col}", t) for col, t in self.segments.items()]
        sheets += [Sheet(f"Workload by {col}", t) for col, t in self.workload.items()]
        if len(self.segment_kpis):
            sheets.append(Sheet("KPIs by segment", self.segment_kpis))
        if len(self.segment_targets):
            sheets.append(Sheet("Waiting by segment", self.segment_targets))
        return sheets

    def _summary(self) -> TrendsSummary:
        return TrendsSummary(
            close_within_h=self.close_within_h,
            weeks=self.weekly.to_dict("records"),
            segments={k: v.to_dict("records") for k, v in self.segments.items()},
            segment_kpis=self.segment_kpis.to_dict("records"),
            segment_targets=self.segment_targets.to_dict("records"),
            slowest_tickets=self.slowest[CASE].astype(str).tolist(),
        )

    def section_context(self) -> dict[str, Any]:
        fmt = {"lead_time_median_h": fmt_h, "lead_time_p90_h": fmt_h, "closed_within": fmt_pct,
               "share_of_events": fmt_pct, "handoffs_mean": lambda v: f"{v:.2f}",
               "tickets": lambda v: f"{int(v):,}", "events": lambda v: f"{int(v):,}"}  # fmt: skip
        seg_cols = {"tickets": _("tickets"), "lead_time_median_h": _("median lead time"), "lead_time_p90_h": _("P90 lead time"),
                    "closed_within": _("closed within {hours} h").format(hours=f"{self.close_within_h:g}"),
                    "handoffs_mean": _("handoffs per ticket")}  # fmt: skip
        segments = {_(col): table_rows(t, {col: _(col), **seg_cols}, fmt) for col, t in self.segments.items()}
        work = {_(col): table_rows(t.head(15), {col: _(col), "events": _("events"), "tickets": _("tickets"),
                                                "share_of_events": _("share of events")}, fmt)
                for col, t in self.workload.items()}  # fmt: skip
        slow = ", ".join(f"{r[CASE]} ({fmt_h(r.lead_time_h)})" for _i, r in self.slowest.iterrows())
        return {
            "close_within": f"{self.close_within_h:g}",
            "volume_svg": self.volume_svg() if len(self.weekly) else "",
            "lead_time_svg": self.lead_time_svg() if len(self.weekly) else "",
            "attainment_svg": self.attainment_svg() if len(self.weekly) else "",
            "histogram_svg": self.histogram_svg() if len(self.lead_times_h) else "",
            "segments": segments,
            "workload": work,
            "slowest": slow,
            "segment_top": self.segment_top,
            "segment_kpis": self._segment_kpi_tables(),
            "segment_targets": self._segment_target_tables(),
        }

    def _segment_kpi_tables(self) -> dict[str, dict[str, Any]]:
        k = self.segment_kpis
        if not len(k):
            return {}
        labels = {"value": "", "tickets": _("tickets"), "first_response_median_h": _("median first response"),
                  "responded_within_target": _("responded within target"), "resolution_median_h": _("median resolution time"),
                  "resolution_rate": _("resolution rate"), "closed_within": _("closed within target"),
                  "fcr_rate": _("first-contact resolution"), "reopen_rate": _("reopen rate"),
                  "steps_mean": _("steps per ticket (mean)"), "handoffs_mean": _("handoffs per ticket (mean)")}  # fmt: skip
        fmt = {"tickets": fmt_thousands, "first_response_median_h": fmt_h, "resolution_median_h": fmt_h,
               "responded_within_target": fmt_pct, "resolution_rate": fmt_pct, "closed_within": fmt_pct,
               "fcr_rate": fmt_pct, "reopen_rate": fmt_pct, "steps_mean": fmt_number,
               "handoffs_mean": lambda v: fmt_number(v, 2), "value": _segment_value}  # fmt: skip
        shown = [c for c in labels if c in k.columns and k[c].notna().any()]
        return {_(col): table_rows(t, {c: (_(col) if c == "value" else labels[c]) for c in shown}, fmt)
                for col, t in k.groupby("column", sort=False)}  # fmt: skip

    def _segment_target_tables(self) -> dict[str, dict[str, Any]]:
        """Per segment column: one row per target, one column per value, the attainment (⚠ when it
        misses the required share)."""
        t = self.segment_targets
        out: dict[str, dict[str, Any]] = {}
        for col, part in (t.groupby("column", sort=False) if len(t) else ()):
            values = list(dict.fromkeys(part["value"]))
            header = [_("target"), _("required")] + [_segment_value(v) for v in values]
            rows = []
            for name, per in part.groupby("name", sort=False):
                cells = {r.value: f"{fmt_pct(r.attained)}{' ⚠' if r.meets is False else ''}" for r in per.itertuples()}
                rows.append([str(name), fmt_pct(per["required"].iloc[0]), *[cells.get(v, MISSING) for v in values]])
            out[_(col)] = {"header": header, "rows": rows}
        return out


def _segment_value(value: str) -> str:
    return _("others") if value == OTHERS else _("(none)") if value == NONE else str(value)


def trends(
    log: TicketLog, config: Config | str | Path | None = None, *, slowest: int = 5, segment_top: int = 5
) -> Trends:
    """Weekly figures, segments, KPIs and waiting targets by segment, and workload of ``log``
    (``cspm.trends``; definitions in the module docstring)."""
    cfg = as_config(config)
    close_s = cfg.kpis.close_within.total_seconds()
    c = case_table(log)
    c = c.select(CASE, "start", "end", lead_s=epoch_seconds(c.end) - epoch_seconds(c.start))
    created = c.group_by(week=c.start.truncate("W")).aggregate(
        created=c.count(),
        lead_time_median_h=c.lead_s.median() / 3600,
        lead_time_p90_h=c.lead_s.quantile(0.9) / 3600,
        closed_within=(c.lead_s <= close_s).cast("float64").mean(),
    )
    done = c.group_by(week=c.end.truncate("W")).aggregate(done=c.count())
    weekly = to_frame(created, ["week"]).merge(to_frame(done, ["week"]), on="week", how="outer").sort_values("week")
    if len(weekly):
        full = pd.DataFrame({"week": pd.date_range(weekly["week"].min(), weekly["week"].max(), freq="7D")})
        weekly["week"] = pd.to_datetime(weekly["week"])
        weekly = full.merge(weekly, on="week", how="left")
    weekly[["created", "done"]] = weekly[["created", "done"]].fillna(0).astype("int64")
    weekly["backlog"] = (weekly["created"].cumsum() - weekly["done"].cumsum()).astype("int64")
    weekly = weekly[["week", "created", "done", "backlog", "lead_time_median_h", "lead_time_p90_h", "closed_within"]]
    weekly = weekly.reset_index(drop=True)

    present = [s for s in SEGMENTS if s in log.events.columns]
    segments: dict[str, pd.DataFrame] = {}
    if present:
        per = c.join(first_attributes(log, present), CASE)
        if log.has_team:
            h = value_changes(log, TEAM)
            per = per.left_join(h, CASE).select(per, handoffs=h.n.fill_null(0))
        # materialised (one row per ticket): one grouped query per segment column reads it, which
        # would otherwise repeat the first-event and handoff window passes for every column
        per = per.cache()
        for col in present:
            aggs = dict(
                tickets=per.count(),
                lead_time_median_h=per.lead_s.median() / 3600,
                lead_time_p90_h=per.lead_s.quantile(0.9) / 3600,
                closed_within=(per.lead_s <= close_s).cast("float64").mean(),
            )
            if "handoffs" in per.columns:
                aggs["handoffs_mean"] = per.handoffs.mean()
            t = to_frame(per.group_by(per[col].fill_null("(none)").name(col)).aggregate(**aggs), [col])
            segments[col] = t.sort_values(["tickets", col], ascending=[False, True], kind="stable").reset_index(drop=True)

    workload: dict[str, pd.DataFrame] = {}
    ev = log.events
    total = log.count_events()
    for col in (TEAM, AGENT):
        if col in ev.columns:
            g = ev.group_by(ev[col].cast("string").fill_null("(none)").name(col)).aggregate(
                events=ev.count(), tickets=ev[CASE].nunique())  # fmt: skip
            t = to_frame(g, [col])
            t["share_of_events"] = t["events"] / total if total else np.nan
            workload[col] = t.sort_values(["events", col], ascending=[False, True], kind="stable").reset_index(drop=True)

    lead = c.select(CASE, lead_time_h=c.lead_s / 3600).to_pandas().sort_values(CASE, kind="stable")  # engine order varies
    slow = lead.sort_values(["lead_time_h", CASE], ascending=[False, True]).head(slowest).reset_index(drop=True)
    seg_kpis, seg_targets = split_by_segment(log, cfg, kpis(log, cfg), top=segment_top)
    return Trends(close_within_h=close_s / 3600, weekly=weekly, segments=segments, workload=workload,
                  lead_times_h=lead["lead_time_h"].to_numpy(float), slowest=slow, segment_kpis=seg_kpis,
                  segment_targets=seg_targets, segment_top=segment_top)  # fmt: skip
