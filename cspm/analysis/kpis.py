"""Service KPIs of the diagnosis phase and the workload heatmap.

``kpis(log, config)`` (``cspm.kpis``; the old name ``service_kpis`` is a deprecated alias) returns a
:class:`ServiceKPIs`; its figures are a :class:`KpiFigures` record, its summary a :class:`KpiSummary`.

Definitions (per case, on the engine; ``config.kpis`` names the activities, else they are found by
name: "first response"/首次响应, "resolve"/"solved"/解决, "close"/关闭, "reopen"/重开):

* **first response time**: first event → first first-response activity; **responded within
  target**: that time ≤ ``kpis.response_target`` (share of cases with a response);
* **resolution time**: first event → first resolution activity; **resolution rate**: share of cases
  with one;
* **closed within 24 h**: first event → first closure activity ≤ ``kpis.close_within`` (share of all
  cases; a case never closed counts as not closed in time);
* **first-contact resolution**: resolved, without any FCR-breaking activity (default: the
  handoff-class steps — transfer, escalate, reassign, 转派, 升级 …) and, with
  ``fcr_team_change``, without a change of team (share of resolved cases);
* **reopen rate**: resolved cases with a reopen activity after the first resolution (share of
  resolved cases); with a customer column also the **customer return rate**: cases whose customer
  opens another case within ``customer_return_days`` after this case's last event;
* **steps** (events) and **handoffs** (changes of team, else of agent, between consecutive events)
  per ticket; the **step curve**: per number of steps, cases, median resolution time, resolution
  rate and reopen rate (the "each extra step costs X" finding).

Durations are in ``kpis.clock`` time (calendar or business) without SLA pauses subtracted.

**Missing data**: a figure whose step is neither configured nor found by name (or whose column the
log lacks) is ``None``, never 0: without a resolution step there is no resolution time, rate or
first-contact resolution, and no step curve. :attr:`ServiceKPIs.notes` says in one line each what is
missing and which config key provides it; the report shows those lines instead of the figures.

**Workload heatmap**: case arrivals and median queue waits by local weekday × hour of the business
calendar's time zone (events are bucketed by UTC hour and each UTC hour mapped to its local weekday
and hour through a small table, so zones with half-hour offsets are approximated to the hour).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from pydantic import Field

from cspm.analysis.intervals import (
    Semantics,
    activities,
    check_clock,
    milestone_cases,
    resolve_semantics,
    sla_pause_activities,
    step_intervals,
)
from cspm.analysis.value_classes import classify
from cspm.config import Clock, Config, KpiSettings, as_config
from cspm.core.calendar import BusinessCalendar, timestamp_span
from cspm.core.expr import as_float, as_int, epoch_seconds, example_cases, small_table
from cspm.core.log import AGENT, CASE, TEAM, TIMESTAMP, TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.render.charts import curve_svg, heatmap_svg
from cspm.render.formats import fmt_h, fmt_number, fmt_pct, fmt_thousands, table_rows
from cspm.render.workbook import Sheet

__all__ = ["KpiActivities", "KpiFigures", "KpiSummary", "ServiceKPIs", "StepCurvePoint", "case_kpis", "kpis", "service_kpis"]

_DETECT = {
    "first_response": re.compile(r"first[\s_-]*respon|首次响应|首响", re.I),
    "resolution": re.compile(r"resol|solved|解决", re.I),
    "closure": re.compile(r"clos|关闭|结案", re.I),
    "reopen": re.compile(r"re-?open|重开|重新打开", re.I),
}
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_NAMES = {
    "first_response": (N_("first-response"), N_('"first response" or 首次响应'), N_("first response time and the share responded within target")),
    "resolution": (N_("resolution"), N_('"resol", "solved" or 解决'), N_("resolution time, resolution rate, first-contact resolution and the step curve")),
    "closure": (N_("closure"), N_('"clos", 关闭 or 结案'), N_("the share closed within target")),
    "reopen": (N_("reopen"), N_('"reopen" or 重开'), N_("the reopen rate")),
}  # fmt: skip
# the activity roles as the report names them ({{ role|replace("_", " ")|t }})
_ROLES = (N_("first response"), N_("resolution"), N_("closure"), N_("reopen"), N_("fcr breakers"))


# ------------------------------------------------------------------------------------ records
class KpiActivities(Record):
    """The activities each KPI is measured by (configured in ``kpis``, else found by name)."""

    first_response: list[str]
    resolution: list[str]
    closure: list[str]
    reopen: list[str]
    fcr_breakers: list[str] = Field(description="steps that break first-contact resolution")


class KpiFigures(Record):
    """The service KPIs of a log (durations in hours on the KPI clock; shares 0–1). A figure whose
    step or column is missing is None, never 0 (``ServiceKPIs.notes`` says why)."""

    cases: int = Field(description="tickets")
    first_response_median_h: float | None = Field(description="median first event → first response")
    first_response_p85_h: float | None = Field(description="85th percentile of the first response time")
    response_target_h: float = Field(description="the response target (kpis.response_target)")
    responded_within_target: float | None = Field(
        description="share of the responded tickets whose first response took ≤ the target"
    )
    resolution_median_h: float | None = Field(description="median first event → first resolution")
    resolution_p90_h: float | None = Field(description="90th percentile of the resolution time")
    resolution_rate: float | None = Field(description="share of tickets with a resolution step")
    close_within_h: float = Field(description="the closure target (kpis.close_within)")
    closed_within: float | None = Field(description="share of all tickets closed within close_within_h")
    fcr_rate: float | None = Field(description="first-contact resolution: share of resolved tickets without a breaker")
    reopen_rate: float | None = Field(description="share of resolved tickets reopened after the first resolution")
    customer_return_rate: float | None = Field(
        description="share of tickets whose customer opens another within kpis.customer_return_days"
    )
    steps_mean: float | None = Field(description="events per ticket (mean)")
    steps_median: float | None = Field(description="events per ticket (median)")
    handoffs_mean: float | None = Field(description="changes of team (else agent) per ticket (mean)")
    handoffs_median: float | None = Field(description="changes of team (else agent) per ticket (median)")
    extra_step_resolution_h: float | None = Field(
        description="change of median resolution time per extra step beyond 4 (weighted slope)"
    )


class StepCurvePoint(Record):
    """One point of the step curve: the tickets with a given number of steps."""

    steps: int
    cases: int
    median_resolution_h: float | None
    resolution_rate: float | None
    reopen_rate: float | None


class KpiSummary(Record):
    """The summary of the service KPIs (``ServiceKPIs.summary()``)."""

    clock: Clock
    activities: KpiActivities
    figures: KpiFigures
    notes: list[str] = Field(description="one line per figure without data: what is missing and the config key")
    step_curve: list[StepCurvePoint]
    examples: dict[str, list[str]] = Field(default_factory=dict, description="per figure up to 5 example tickets "
                                           "behind it (see cspm.analysis.kpis.kpi_examples)")


# ------------------------------------------------------------------------------------- result
@dataclass
class ServiceKPIs(Result):
    """The service KPIs: ``figures`` (a :class:`KpiFigures`; the main table lists them), ``step_curve``,
    heatmaps; ``per_case`` on the engine (``cases()`` fetches it)."""

    clock: Clock
    activities: KpiActivities
    figures: KpiFigures
    step_curve: pd.DataFrame
    arrivals_heatmap: pd.DataFrame
    wait_heatmap: pd.DataFrame
    per_case: ir.Table = field(repr=False)
    notes: list[str] = field(default_factory=list)  # one line per figure without data: why, and the key
    known: dict[str, bool] = field(default_factory=dict, repr=False)  # which rate figures have data
    examples: dict[str, list[str]] = field(default_factory=dict)  # figure → example tickets (see kpi_examples)

    section_id: ClassVar[str] = "kpis"
    section_title: ClassVar[str] = N_("Service KPIs")
    section_template: ClassVar[str] = "section_kpis.html.j2"

    def cases(self, limit: int | None = None) -> pd.DataFrame:
        """Per case: steps, handoffs, first response / resolution / closure hours, FCR, reopen (pandas)."""
        t = self.per_case.order_by(CASE)
        return (t.limit(limit) if limit else t).to_pandas()

    def figures_by(self, groups: ir.Table, by: str) -> dict[str, KpiFigures]:
        """The figures per group of tickets (``groups``: one row per case, its group in column ``by``),
        on the engine; the step-curve slope is left out (None)."""
        j = self.per_case.join(groups.select(CASE, by), CASE)
        f = self.figures
        frame = j.group_by(by).aggregate(**_figure_aggs(j, f.response_target_h, f.close_within_h)).to_pandas()
        return {str(r[by]): _figures(r, f.response_target_h, f.close_within_h, self.known, None)
                for _i, r in frame.iterrows()}  # fmt: skip

    def table(self) -> pd.DataFrame:
        """The figures as a two-column table (kpi, value)."""
        return pd.DataFrame([{"kpi": k, "value": v} for k, v in self.figures.items()])

    def workbook_sheets(self) -> list[Sheet]:
        """The KPIs as kpi / value / unit / definition rows (figures without data left out)."""
        rows = []
        for key, info in KpiFigures.model_fields.items():
            v = getattr(self.figures, key)
            if v is None or (isinstance(v, float) and np.isnan(v)):
                continue
            unit = "h" if key.endswith("_h") else "count" if isinstance(v, int) else "%" if key.endswith(
                ("_rate", "_within", "within_target")) else ""
            rows.append((key.removesuffix("_h").replace("_", " "), v, unit, info.description or ""))
        frame = pd.DataFrame(rows, columns=["kpi", "value", "unit", "definition"]).astype({"value": object})
        return [Sheet("KPIs", frame, row_unit=("value", "unit"), note=_("Clock: {clock}").format(clock=_(self.clock)))]

    def _summary(self) -> KpiSummary:
        return KpiSummary(
            clock=self.clock,
            activities=self.activities,
            figures=self.figures,
            notes=list(self.notes),
            step_curve=StepCurvePoint.from_frame(self.step_curve),
            examples=dict(self.examples),
        )

    def step_curve_svg(self) -> str:
        """The step curve chart; empty when there is no resolution data to draw."""
        c = self.step_curve[(self.step_curve["cases"] > 0) & self.step_curve["median_resolution_h"].notna()]
        if c.empty or not self.activities.resolution:
            return ""
        return curve_svg(c["steps"], c["median_resolution_h"], c["resolution_rate"] * 100, _("steps per ticket"),
                         _("median resolution time (h)"), _("resolution rate (%)"),
                         _("Resolution by number of steps"))  # fmt: skip

    def heatmap_svg(self) -> str:
        return heatmap_svg(self.arrivals_heatmap, _("Ticket arrivals by weekday × hour"), _("tickets"))

    def wait_heatmap_svg(self) -> str:
        return heatmap_svg(self.wait_heatmap, _("Median queue wait by weekday × hour (h)"), _("hours"))

    def section_context(self) -> dict[str, Any]:
        f = self.figures
        labels = {
            "cases": (_("tickets"), fmt_thousands),
            "first_response_median_h": (_("median first response"), fmt_h),
            "first_response_p85_h": (_("P85 first response"), fmt_h),
            "responded_within_target": (_("responded within {hours:g} h").format(hours=f.response_target_h), fmt_pct),
            "resolution_median_h": (_("median resolution time"), fmt_h),
            "resolution_p90_h": (_("P90 resolution time"), fmt_h),
            "resolution_rate": (_("resolution rate"), fmt_pct),
            "closed_within": (_("closed within {hours:g} h").format(hours=f.close_within_h), fmt_pct),
            "fcr_rate": (_("first-contact resolution"), fmt_pct),
            "reopen_rate": (_("reopen rate"), fmt_pct),
            "customer_return_rate": (_("same customer back within the return window"), fmt_pct),
            "steps_mean": (_("steps per ticket (mean)"), fmt_number),
            "handoffs_mean": (_("handoffs per ticket (mean)"), lambda v: fmt_number(v, 2)),
            "extra_step_resolution_h": (_("change of median resolution time per extra step beyond 4"), fmt_h),
        }
        rows = []
        for key, (label, fmt) in labels.items():
            v = getattr(f, key)
            if v is None or (isinstance(v, float) and np.isnan(v)):
                continue  # no data: the notes say why
            rows.append((label, fmt(v), ", ".join(self.examples.get(key, []))))
        columns = {"steps": _("steps"), "cases": _("tickets")}
        if self.activities.resolution:  # without it the other columns have no data
            columns |= {"median_resolution_h": _("median resolution"), "resolution_rate": _("resolution rate")}
            if self.activities.reopen:
                columns["reopen_rate"] = _("reopen rate")
        curve = table_rows(
            self.step_curve, columns,
            {"median_resolution_h": fmt_h, "resolution_rate": fmt_pct, "reopen_rate": fmt_pct},
        )  # fmt: skip
        curve_note = "" if self.activities.resolution else _("Resolution by number of steps: no resolution step (see above).")
        return {
            "title": self.section_title,
            "clock": self.clock,
            "figures": rows,
            "notes": list(self.notes),
            "curve_note": curve_note,
            "activities": {k: ", ".join(v) or "–" for k, v in self.activities.items()},
            "curve": curve,
            "curve_svg": self.step_curve_svg(),
            "heatmap_svg": self.heatmap_svg(),
            "wait_heatmap_svg": self.wait_heatmap_svg(),
        }



def step_activities(names: list[str], ks: KpiSettings) -> dict[str, list[str]]:
    """The activities of each KPI step (first response, resolution, closure, reopen): configured in
    ``kpis``, else found by name (configured ones the log lacks included)."""
    return {role: (list(getattr(ks, role)) or [a for a in names if rx.search(a)]) for role, rx in _DETECT.items()}


def kpis(
    log: TicketLog,
    config: Config | str | Path | None = None,
    *,
    clock: Clock | None = None,
    semantics: Semantics | None = None,
) -> ServiceKPIs:
    """Service KPIs of a log (``cspm.kpis``; definitions in the module docstring).

    ``config``: a :class:`~cspm.config.Config`, a path to a YAML/TOML file, or None. ``clock``
    overrides ``kpis.clock`` ('calendar' or 'business'); ``semantics`` the config's
    ``time_semantics`` (it decides the queue waits of the wait heatmap).
    """
    cfg = as_config(config)
    c = _case_kpis(log, cfg, clock, semantics)
    ks, per, acts, breakers, team_change, iv, calendar = c.ks, c.per, c.acts, c.breakers, c.team_change, c.iv, c.calendar
    clock, suf, who, absent = c.clock, c.suf, c.who, c.absent

    rt = ks.response_target.total_seconds() / 3600.0
    cw_h = ks.close_within.total_seconds() / 3600.0
    a = per.aggregate(**_figure_aggs(per, rt, cw_h)).to_pandas().iloc[0]
    curve = per.group_by("steps").aggregate(
        cases=per.count(),
        median_resolution_h=per.resolution_h.median(),
        resolution_rate=per.resolved.cast("float64").mean(),
        reopen_rate=per.reopened.cast("float64").mean(),
    ).order_by("steps").to_pandas()
    for c in ("median_resolution_h", "resolution_rate", "reopen_rate"):
        curve[c] = curve[c].astype(float)
    if not acts["resolution"]:  # no resolution step: rates unknown, not 0
        curve["resolution_rate"] = np.nan
    known = {"resolution": bool(acts["resolution"]), "closure": bool(acts["closure"]),
             "fcr": bool(breakers or team_change), "reopen": bool(acts["reopen"])}  # fmt: skip
    figures = _figures(a, rt, cw_h, known, _extra_step(curve))
    arrivals, waits = _heatmaps(iv, calendar, suf)
    notes = _missing_notes(log, acts, who, team_change, absent)
    examples = kpi_examples(per, figures)
    return ServiceKPIs(clock, KpiActivities(**acts), figures, curve, arrivals, waits, per, notes, known, examples)


def case_kpis(
    log: TicketLog,
    config: Config | str | Path | None = None,
    *,
    clock: Clock | None = None,
    semantics: Semantics | None = None,
) -> ir.Table:
    """Per ticket, the figures :func:`kpis` summarises (one row per case, materialised on the engine):
    ``steps``, ``handoffs``, ``teams``, ``first_response_h`` / ``resolution_h`` / ``closure_h`` (hours
    on ``clock``), ``resolved``, ``fcr``, ``reopened`` (and ``customer_returned`` with a customer
    column) — without the summary queries of :func:`kpis`."""
    return _case_kpis(log, as_config(config), clock, semantics).per


@dataclass(frozen=True)
class _CaseKPIs:
    ks: KpiSettings
    per: ir.Table
    acts: dict[str, list[str]]
    absent: dict[str, list[str]]
    breakers: list[str]
    team_change: bool
    who: str | None
    iv: ir.Table
    calendar: BusinessCalendar
    clock: str
    suf: str


def _case_kpis(log: TicketLog, cfg: Config, clock: Clock | None, semantics: Semantics | None) -> _CaseKPIs:
    check_clock(clock)
    ks = cfg.kpis
    clock = clock or ks.clock
    suf = "s" if clock == "calendar" else "bs"
    names = activities(log)
    acts = step_activities(names, ks)
    absent = {role: [a for a in acts[role] if a not in names] for role in _DETECT}  # configured, not in the log
    acts = {role: [a for a in v if a in names] for role, v in acts.items()}
    classes = classify(names, cfg)
    breakers = ks.fcr_breakers if ks.fcr_breakers is not None else classes.loc[
        classes.value_class == "handoff", "activity"].tolist()  # fmt: skip
    acts["fcr_breakers"] = list(breakers)
    calendar = BusinessCalendar(cfg.calendar)
    semantics = resolve_semantics(log, cfg, semantics)
    iv = step_intervals(log, semantics, calendar, sla_pause_activities(log, cfg), keep=[])

    ev = log.events
    who = TEAM if log.has_team else AGENT if log.has_agent else None
    e = iv  # one row per event, with the previous event's team and agent
    aggs: dict[str, Any] = {"steps": e.count(), "_first": e[TIMESTAMP].min(), "_last": e[TIMESTAMP].max()}
    if who:
        prev = e[f"prev_{who}"]
        aggs["handoffs"] = (prev.notnull() & (e[who] != prev)).cast("int64").sum()
    if log.has_team:
        aggs["teams"] = e[TEAM].nunique()
    aggs["_breakers"] = e.activity.isin(breakers).cast("int64").sum() if breakers else ibis.literal(0, "int64")
    per = e.group_by(CASE).aggregate(**aggs)
    if not who:  # unknown, not zero
        per = per.mutate(handoffs=ibis.null("int64"))

    def milestone(role: str, out: str) -> None:
        nonlocal per
        if not acts[role]:
            per = per.mutate(**{out: ibis.null("float64")})
            return
        m = milestone_cases(log, iv, calendar, "case start", acts[role])
        m = m.select(CASE, **{out: m[f"dur_{suf}"].cast("float64") / 3600.0, f"_t_{role}": m.t_b})
        per = _ljoin(per, m)

    milestone("first_response", "first_response_h")
    milestone("resolution", "resolution_h")
    milestone("closure", "closure_h")
    resolved = per.resolution_h.notnull()
    fcr = resolved & (per._breakers == 0)
    team_change = ks.fcr_team_change and log.has_team
    if team_change:
        fcr = fcr & (per.teams <= 1)
    per = per.mutate(resolved=resolved, fcr=fcr)
    if acts["reopen"] and acts["resolution"]:
        r = ev.filter(ev.activity.isin(acts["reopen"])).select(CASE, _rt=ev[TIMESTAMP])
        j = r.join(per.select(CASE, "_t_resolution"), CASE)
        j = j.filter(j._rt > j._t_resolution)
        reo = j.group_by(CASE).aggregate(_reopens=j.count())
        per = _ljoin(per, reo)
        per = per.mutate(reopened=per._reopens.notnull()).drop("_reopens")
    else:
        per = per.mutate(reopened=ibis.null("boolean"))
    if "customer" in ev.columns:
        cust = ev.group_by([CASE, "customer"]).aggregate(_f=ev[TIMESTAMP].min(), _l=ev[TIMESTAMP].max())
        cw = ibis.window(group_by=cust.customer, order_by=[cust._f, cust[CASE]])
        cust = cust.mutate(_next=cust._f.lead().over(cw))
        gap = epoch_seconds(cust._next) - epoch_seconds(cust._l)
        cust = cust.mutate(returned=(gap.notnull() & (gap <= int(ks.customer_return_days * 86400))))
        # a case with several customers returns when any of them does
        cr = cust.group_by(CASE).aggregate(customer_returned=cust.returned.any())
        per = _ljoin(per, cr)
    keep = [c for c in per.columns if not c.startswith("_")]
    per = per.select(*keep).cache()  # one small row per case, read by every figure below
    return _CaseKPIs(ks, per, acts, absent, list(breakers), bool(team_change), who, iv, calendar, clock, suf)


def service_kpis(
    log: TicketLog,
    config: Config | str | Path | None = None,
    *,
    clock: Clock | None = None,
    semantics: Semantics | None = None,
) -> ServiceKPIs:
    """Deprecated alias of :func:`kpis` (``cspm.kpis``)."""
    warnings.warn("cspm.service_kpis is deprecated; use cspm.kpis(log, config, clock=..., semantics=...)",
                  DeprecationWarning, stacklevel=2)  # fmt: skip
    return kpis(log, config, clock=clock, semantics=semantics)


def kpi_examples(per: ir.Table, f: KpiFigures, n: int = 5) -> dict[str, list[str]]:
    """Per figure up to ``n`` tickets behind it, on the engine (deterministic: the largest value
    first, ties by id): first response — the slowest responses over the target; resolution time —
    the slowest resolutions; closed within — the tickets not closed within the target, the latest
    closures first (never closed first); first-contact resolution — resolved tickets that are not
    FCR; reopen rate — reopened tickets; steps and handoffs — the tickets with the most of them."""
    out: dict[str, list[str]] = {}
    rt, cw = f.response_target_h, f.close_within_h
    slow = per.filter(per.first_response_h > rt)
    out["responded_within_target"] = example_cases(slow, slow.first_response_h, n)
    out["first_response_median_h"] = example_cases(per.filter(per.first_response_h.notnull()), per.first_response_h, n)
    if f.resolution_rate is not None:
        out["resolution_median_h"] = example_cases(per.filter(per.resolution_h.notnull()), per.resolution_h, n)
        out["resolution_rate"] = example_cases(per.filter(per.resolution_h.isnull()), None, n)
    if f.closed_within is not None:
        late = per.filter(per.closure_h.isnull() | (per.closure_h > cw))
        out["closed_within"] = example_cases(late, late.closure_h.fill_null(float("inf")), n)
    if f.fcr_rate is not None:
        out["fcr_rate"] = example_cases(per.filter(per.resolved & ~per.fcr), None, n)
    if f.reopen_rate is not None:
        out["reopen_rate"] = example_cases(per.filter(per.reopened.fill_null(False)), None, n)
    out["steps_mean"] = example_cases(per, per.steps, n)
    if f.handoffs_mean is not None:
        h = per.filter(per.handoffs > 0)
        out["handoffs_mean"] = example_cases(h, h.handoffs, n)
    return {k: v for k, v in out.items() if v}


def _figure_aggs(per: ir.Table, rt: float, cw_h: float) -> dict[str, Any]:
    """The aggregations of the per-case table behind :class:`KpiFigures` (grouped or not)."""
    agg = {
        "cases": per.count(),
        "fr_n": per.first_response_h.count(),
        "fr_med": per.first_response_h.median(),
        "fr_p85": per.first_response_h.quantile(0.85),
        "fr_ok": (per.first_response_h <= rt).cast("int64").sum(),
        "res_n": per.resolution_h.count(),
        "res_med": per.resolution_h.median(),
        "res_p90": per.resolution_h.quantile(0.9),
        "closed_ok": (per.closure_h <= cw_h).fill_null(False).cast("int64").sum(),
        "fcr_n": per.fcr.cast("int64").sum(),
        "reopen_n": per.reopened.fill_null(False).cast("int64").sum(),
        "steps_mean": per.steps.mean(),
        "steps_median": per.steps.median(),
        "handoffs_mean": per.handoffs.mean(),
        "handoffs_median": per.handoffs.median(),
    }
    if "customer_returned" in per.columns:
        agg["returned_n"] = per.customer_returned.fill_null(False).cast("int64").sum()
    return agg


def _figures(a: Any, rt: float, cw_h: float, known: dict[str, bool], extra_step: float | None) -> KpiFigures:
    """:class:`KpiFigures` from one row of :func:`_figure_aggs`; ``known`` says which figures have data."""
    n = int(a["cases"])
    res_n = as_int(a["res_n"])
    fr_n = as_int(a["fr_n"])

    def ratio(x: Any, d: int) -> float | None:
        return float(x) / d if d else None

    return KpiFigures(
        cases=n,
        first_response_median_h=as_float(a["fr_med"]),
        first_response_p85_h=as_float(a["fr_p85"]),
        response_target_h=rt,
        responded_within_target=ratio(a["fr_ok"], fr_n),
        resolution_median_h=as_float(a["res_med"]),
        resolution_p90_h=as_float(a["res_p90"]),
        resolution_rate=ratio(res_n, n) if known["resolution"] else None,
        close_within_h=cw_h,
        closed_within=ratio(a["closed_ok"], n) if known["closure"] else None,
        fcr_rate=ratio(a["fcr_n"], res_n) if known["fcr"] else None,
        reopen_rate=ratio(a["reopen_n"], res_n) if known["reopen"] else None,
        customer_return_rate=ratio(a["returned_n"], n) if "returned_n" in a else None,
        steps_mean=as_float(a["steps_mean"]),
        steps_median=as_float(a["steps_median"]),
        handoffs_mean=as_float(a["handoffs_mean"]),
        handoffs_median=as_float(a["handoffs_median"]),
        extra_step_resolution_h=extra_step,
    )


def _missing_notes(log: TicketLog, acts: dict[str, list[str]], who: str | None, team_change: bool,
                   absent: dict[str, list[str]]) -> list[str]:  # fmt: skip
    """One line per KPI without data (or resting on an assumption): what is missing, what it
    blocks, which config key provides it."""
    notes = []
    for role, (label, pattern, blocks) in _NAMES.items():
        if absent[role]:
            names = ", ".join(absent[role])
            notes.append(_("kpis.{role} names {names}, which the log does not have.").format(role=role, names=names)
                         if acts[role] else
                         _("kpis.{role} names {names}, which the log does not have, so {blocks} cannot be measured.")
                         .format(role=role, names=names, blocks=_(blocks)))  # fmt: skip
        elif not acts[role]:
            notes.append(_("No {label} step: no activity matches {pattern}, so {blocks} cannot be measured; "
                           "name it in the config (kpis.{role}).").format(label=_(label), pattern=_(pattern),
                                                                          blocks=_(blocks), role=role))  # fmt: skip
    if acts["reopen"] and not acts["resolution"]:
        notes.append(_("The reopen rate needs a resolution step too (kpis.resolution)."))
    if acts["resolution"] and not acts["fcr_breakers"]:
        notes.append(
            _("First-contact resolution: no transfer or escalation step is known (kpis.fcr_breakers or "
              "value_classes.handoff), so only a change of team breaks it.") if team_change else
            _("First-contact resolution: no transfer or escalation step is known (kpis.fcr_breakers or "
              "value_classes.handoff), so nothing breaks it and it is not shown.")
        )  # fmt: skip
    if "customer" not in log.events.columns:
        notes.append(_("No customer column: the customer return rate needs one (columns.customer)."))
    if who is None:
        notes.append(_("No team or agent column: handoffs per ticket cannot be counted (columns.team or columns.agent)."))
    return notes


def _ljoin(left: ir.Table, right: ir.Table) -> ir.Table:
    out = left.left_join(right, CASE)
    return out.drop(f"{CASE}_right") if f"{CASE}_right" in out.columns else out


def _extra_step(curve: pd.DataFrame, beyond: int = 4) -> float | None:
    """Slope of median resolution time per extra step beyond ``beyond`` (weighted by tickets)."""
    c = curve[(curve["steps"] > beyond) & curve["median_resolution_h"].notna()]
    if len(c) < 2:
        return None
    slope = np.polyfit(c["steps"].astype(float), c["median_resolution_h"], 1, w=np.sqrt(c["cases"]))[0]
    return float(slope)


def _heatmaps(iv: ir.Table, calendar: BusinessCalendar, suf: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    span = timestamp_span(iv, TIMESTAMP)
    empty = pd.DataFrame(np.nan, index=WEEKDAYS, columns=range(24))
    if span is None:
        return empty.fillna(0), empty
    start = pd.Timestamp(span[0] - timedelta(days=1), tz="UTC")
    hours = pd.date_range(start, pd.Timestamp(span[1] + timedelta(days=2), tz="UTC"), freq="h", inclusive="left")
    local = hours.tz_convert(ZoneInfo(calendar.timezone))
    table = small_table(iv, pd.DataFrame({
        "_hk": (hours.as_unit("s").asi8 // 3600).astype("int64"),
        "weekday": local.day_of_week.astype("int64"),
        "hour": local.hour.astype("int64"),
    }))  # fmt: skip
    first = iv.group_by(CASE).aggregate(_t=iv[TIMESTAMP].min())
    first = first.mutate(_hk=(epoch_seconds(first._t) // 3600).cast("int64"))
    arr = first.join(table, "_hk").group_by(["weekday", "hour"]).aggregate(n=lambda t: t.count()).to_pandas()
    q = iv.filter(iv[f"wait_{suf}"].notnull() & ~iv.paused & iv.prev_ts.notnull())
    q = q.mutate(_hk=(epoch_seconds(q.prev_ts) // 3600).cast("int64"))
    jw = q.join(table, "_hk")
    wt = jw.group_by(["weekday", "hour"]).aggregate(m=jw[f"wait_{suf}"].median().cast("float64") / 3600.0).to_pandas()
    arrivals = empty.copy().fillna(0)
    for r in arr.itertuples():
        arrivals.iat[int(r.weekday), int(r.hour)] = int(r.n)
    waits = empty.copy()
    for r in wt.itertuples():
        waits.iat[int(r.weekday), int(r.hour)] = float(r.m)
    return arrivals.astype(int), waits
