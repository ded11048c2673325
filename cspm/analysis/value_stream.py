"""Value-stream analysis: value classes of steps, lead time vs value-adding time, flow efficiency.

``value_stream(log, config)`` (``cspm.value_stream``; the old name ``analyse_value_stream`` is a
deprecated alias) returns a :class:`ValueStream`; its summary is a :class:`ValueStreamSummary`.

**Value classes** (:mod:`cspm.analysis.value_classes`): ``value_adding``, ``necessary``, waste
(``waiting``, ``handoff``, ``rework``, ``approval``) and ``unclassified`` — from the config, else
keyword rules, else ``unclassified`` (never value-adding). A repeated occurrence of a value-adding,
necessary or unclassified activity in a case counts as ``rework`` (not for status histories, where
statuses recur by nature); SLA-paused time counts as ``waiting``.

**Time attribution** per time semantics (see :mod:`cspm.analysis.waiting`); the lead time runs from the first
event (its start with start/complete timestamps) to the last completion:

* ``status`` — time in a status goes to the status' class (exact partition of the lead time);
* ``complete`` — the interval before an event (its wait plus work) goes to the event's class, or to
  ``waiting`` when the previous event is a waiting / SLA-pause step. Without start times the
  queue before a value-adding step cannot be separated from its work, so value-adding time and flow
  efficiency are **upper bounds** (``basis`` says so);
* ``start_complete`` — processing goes to the event's class, the wait before it to ``waiting``.

Per case: lead time (first to last event), time per class. **Flow efficiency** (process cycle
efficiency) is one figure: Σ value-adding time / Σ lead time over all cases (``overall``, a
:class:`ValueStreamOverall`, computed once; the report and the chart show this value). It is ``None`` when no step is value-adding by
the config or a keyword rule: there is then nothing to measure it by (``value_classes.value_adding``
provides it). The per-case ratio (``cases()``) is that ticket's own value, not a second summary.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd
from pydantic import Field

from cspm.analysis.intervals import (
    Semantics,
    activities,
    check_clock,
    resolve_semantics,
    semantics_argument,
    sla_pause_activities,
    step_intervals,
)
from cspm.analysis.value_classes import CLASSES, DEFAULT_RULES, WASTE, ValueClass, classify
from cspm.config import Clock, Config, as_config
from cspm.core.calendar import BusinessCalendar
from cspm.core.expr import as_float, epoch_seconds
from cspm.core.log import ACTIVITY, CASE, ROW, START, TIMESTAMP, TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.i18n import N_, sentence_gap
from cspm.i18n import gettext as _
from cspm.mining.process_map import MAX_MAP_STEPS
from cspm.render.charts import value_stream_svg
from cspm.render.formats import fmt_h, fmt_pct, fmt_term, fmt_thousands, table_rows

__all__ = [
    "CLASSES", "DEFAULT_RULES", "WASTE", "MainPathStep", "ValueClassRow", "ValueStream", "ValueStreamOverall",
    "ValueStreamSummary", "analyse_value_stream", "classify", "value_stream",
]  # fmt: skip

_BASIS = {
    "status": N_("time in status by the status' class"),
    "complete": N_("interval before each step counted as its class (upper bound: includes the queue before the step)"),
    "start_complete": N_("processing by the step's class, waits as waiting"),
}


# ------------------------------------------------------------------------------------ records
NAMED_STEPS = 20
"""Most unclassified steps named in :meth:`ValueStream.assumption` (the rest are counted)."""


class ValueStreamOverall(Record):
    """The value stream of all tickets together (``ValueStream.overall``; hours)."""

    cases: int = Field(description="tickets")
    total_lead_h: float = Field(description="Σ lead time (first event, or its start, to the last completion)")
    median_lead_h: float | None = Field(description="median lead time per ticket")
    median_value_adding_h: float | None = Field(description="median value-adding time per ticket")
    flow_efficiency: float | None = Field(
        description="Σ value-adding time / Σ lead time; None when no step is known to add value"
    )
    hours: dict[ValueClass, float] = Field(description="Σ time per value class")
    share: dict[ValueClass, float] = Field(description="share of Σ lead time per value class")


class ValueClassRow(Record):
    """The value class of one step and where it comes from."""

    activity: str
    value_class: ValueClass
    source: Literal["config", "keyword", "none"]


class MainPathStep(Record):
    """One step of the main path (hours)."""

    step: str
    value_class: ValueClass
    cases: int = Field(description="tickets with the step")
    case_share: float = Field(description="share of all tickets with the step")
    median_position: float = Field(description="median position of the step in its tickets (1 = first)")
    median_wait_h: float | None = Field(description="median queue wait before the step (SLA pauses excluded)")
    median_processing_h: float | None = Field(description="median processing time (start_complete only)")
    target_h: float | None = Field(description="the step's target (max_wait or max_time_in_status), if any")


class ValueStreamSummary(Record):
    """The summary of a value-stream analysis (``ValueStream.summary()``)."""

    semantics: Semantics
    clock: Clock
    basis: str = Field(description="how time is attributed to value classes under these semantics")
    overall: ValueStreamOverall
    assumption: str = Field(description="which steps count as value-adding and from where")
    classes: list[ValueClassRow]
    main_path: list[MainPathStep]


# ------------------------------------------------------------------------------------- result
@dataclass
class ValueStream(Result):
    """Lead time vs value-adding time per case and overall, and the main path's value stream.

    ``overall`` (a :class:`ValueStreamOverall`), ``classes`` (value class per step), ``main_path``
    (the main table); ``per_case`` is an engine table (``cases()`` fetches it).
    """

    semantics: Semantics
    clock: Clock
    basis: str
    classes: pd.DataFrame
    overall: ValueStreamOverall
    main_path: pd.DataFrame
    per_case: ir.Table = field(repr=False)

    section_id: ClassVar[str] = "value_stream"
    section_title: ClassVar[str] = N_("Value stream and flow efficiency")
    section_template: ClassVar[str] = "section_value_stream.html.j2"

    def cases(self, limit: int | None = None) -> pd.DataFrame:
        """Per case: lead time and hours per value class, flow efficiency (pandas)."""
        t = self.per_case.order_by(CASE)
        return (t.limit(limit) if limit else t).to_pandas()

    def table(self) -> pd.DataFrame:
        """The main path."""
        return self.main_path

    @property
    def flow_efficiency(self) -> float | None:
        """Σ value-adding time / Σ lead time (the one flow-efficiency figure; module docstring)."""
        return self.overall.flow_efficiency

    def value_adding_steps(self) -> pd.DataFrame:
        """The steps counted as value-adding and where that comes from (``config`` / ``keyword``)."""
        return self.classes.loc[self.classes["value_class"] == "value_adding", ["activity", "source"]]

    def assumption(self) -> str:
        """One line: which steps count as value-adding and from where, or what provides them."""
        va = self.value_adding_steps()
        if va.empty:
            return _("Flow efficiency is not shown: no step is known to add value. Name the value-adding "
                     "steps in the config (value_classes.value_adding).")  # fmt: skip
        parts = []
        for source, label in (("config", _("from the config")), ("keyword", _("by keyword defaults"))):
            names = va.loc[va["source"] == source, "activity"].tolist()
            if names:
                parts.append(f"{', '.join(names)} ({label})")
        line = _("Value-adding steps: {steps}.").format(steps="; ".join(parts))
        unknown = self.classes.loc[self.classes["value_class"] == "unclassified", "activity"].tolist()
        if unknown:
            names = ", ".join(unknown[:NAMED_STEPS])
            if len(unknown) > NAMED_STEPS:  # a log with thousands of steps would give a sentence of thousands
                names = _("{steps} and {n} more").format(steps=names, n=fmt_thousands(len(unknown) - NAMED_STEPS))
            line += sentence_gap() + _("Not classified, so not counted as value-adding: {steps} "
                            "(set value_classes in the config).").format(steps=names)  # fmt: skip
        return line

    def shown_classes(self) -> tuple[pd.DataFrame, str | None]:
        """The value classes the report shows (the classified steps first, at most
        :data:`~cspm.mining.process_map.MAX_MAP_STEPS`) and a note when some are left out."""
        c = self.classes
        ordered = pd.concat([c[c["value_class"] != "unclassified"], c[c["value_class"] == "unclassified"]])
        if len(ordered) <= MAX_MAP_STEPS:
            return ordered, None
        return ordered.head(MAX_MAP_STEPS), _(
            "{n} steps: the first {k} are shown (classified steps first); every step's class is in "
            "cspm.value_stream(log).classes."
        ).format(n=fmt_thousands(len(ordered)), k=MAX_MAP_STEPS)

    def chart_svg(self) -> str:
        if self.main_path.empty:
            return ""
        return value_stream_svg(
            self.main_path.rename(columns={"median_wait_h": "wait_h", "median_processing_h": "proc_h"}),
            self.overall.median_lead_h or 0.0,
            self.flow_efficiency,
        )

    def _summary(self) -> ValueStreamSummary:
        return ValueStreamSummary(
            semantics=self.semantics,
            clock=self.clock,
            basis=self.basis,
            overall=self.overall,
            assumption=self.assumption(),
            classes=ValueClassRow.from_frame(self.classes),
            main_path=MainPathStep.from_frame(self.main_path),
        )

    def section_context(self) -> dict[str, Any]:
        o = self.overall
        shown, classes_note = self.shown_classes()
        figures = [
            (_("cases"), fmt_thousands(o.cases)),
            (_("median lead time"), fmt_h(o.median_lead_h or 0)),
        ]
        if self.flow_efficiency is not None:
            figures += [
                (_("median value-adding time"), fmt_h(o.median_value_adding_h or 0)),
                (_("flow efficiency (Σ value-adding time / Σ lead time)"), fmt_pct(self.flow_efficiency)),
            ]
        figures += [(_("share of lead time: {value_class}").format(value_class=_(_CLASS_NAMES[c])), fmt_pct(o.share[c]))
                    for c in CLASSES]  # fmt: skip
        return {
            "title": self.section_title,
            "semantics": self.semantics,
            "clock": self.clock,
            "basis": self.basis,
            "assumption": self.assumption(),
            "figures": figures,
            "classes": table_rows(shown, {"activity": _("step"), "value_class": _("class"), "source": _("from")},
                                  {"value_class": fmt_term, "source": fmt_term}),
            "main_path": table_rows(
                self.main_path,
                {"step": _("step"), "value_class": _("class"), "case_share": _("cases"), "median_wait_h": _("median wait"),
                 "median_processing_h": _("median processing"), "target_h": _("target")},
                {"case_share": fmt_pct, "median_wait_h": fmt_h, "median_processing_h": fmt_h, "target_h": fmt_h,
                 "value_class": fmt_term},
            ),  # fmt: skip
            "classes_note": classes_note,
            "chart_svg": self.chart_svg(),
        }


_CLASS_NAMES = {"value_adding": N_("value adding"), "necessary": N_("necessary"), "waiting": N_("waiting"),
                "handoff": N_("handoff"), "rework": N_("rework"), "approval": N_("approval"),
                "unclassified": N_("unclassified")}  # fmt: skip


def value_stream(
    log: TicketLog,
    config: Config | str | Path | None = None,
    *,
    clock: Clock | None = None,
    semantics: Semantics | None = None,
    main_path_share: float = 0.5,
    time_semantics: str | None = None,
) -> ValueStream:
    """Value-stream analysis of a log (``cspm.value_stream``; definitions in the module docstring).

    ``config``: a :class:`~cspm.config.Config`, a path to a YAML/TOML file, or None. ``clock``:
    'calendar' (default) or 'business'. ``semantics`` overrides the config's ``time_semantics``
    (``time_semantics=`` is the deprecated name of this keyword). The main path: activities
    occurring in at least ``main_path_share`` of the cases, in order of their median position in
    the case.
    """
    cfg = as_config(config)
    check_clock(clock)
    clock = clock or "calendar"
    semantics = semantics_argument(semantics, time_semantics)
    suf = "s" if clock == "calendar" else "bs"
    semantics = resolve_semantics(log, cfg, semantics)
    calendar = BusinessCalendar(cfg.calendar)
    pause = sla_pause_activities(log, cfg)
    iv = step_intervals(log, semantics, calendar, pause, keep=[])
    base_iv = iv
    classes = classify(activities(log), cfg)
    by_class = {c: classes.loc[classes.value_class == c, "activity"].tolist() for c in CLASSES}

    def class_of(col: ir.StringValue) -> ir.StringValue:
        branches = [(col.isin(names), ibis.literal(c)) for c, names in by_class.items() if names]
        return ibis.cases(*branches, else_=ibis.literal("unclassified")) if branches else ibis.literal("unclassified")

    wocc = ibis.window(group_by=[iv[CASE], iv[ACTIVITY]], order_by=[iv[TIMESTAMP], iv[ROW]])
    iv = iv.mutate(_cls=class_of(iv[ACTIVITY]), _prev_cls=class_of(iv.prev_activity), _occ=ibis.row_number().over(wocc))
    if semantics == "status":  # statuses recur by nature (In Progress → On Hold → In Progress)
        own = iv._cls
    else:
        repeated = iv._cls.isin(["value_adding", "necessary", "unclassified"]) & (iv._occ > 0)
        own = ibis.cases((repeated, ibis.literal("rework")), else_=iv._cls)
    if semantics == "status":
        parts = [(iv[f"after_{suf}"], ibis.cases((iv.after_paused, ibis.literal("waiting")), else_=own))]
    elif semantics == "complete":
        waity = iv.before_paused | (iv._prev_cls == "waiting")
        parts = [(iv[f"before_{suf}"], ibis.cases((waity, ibis.literal("waiting")), else_=own))]
    else:
        parts = [(iv[f"wait_{suf}"], ibis.literal("waiting")), (iv[f"proc_{suf}"], own)]
    aggs: dict[str, Any] = {}
    for c in CLASSES:
        total = None
        for value, cls in parts:
            term = ibis.cases((cls == c, value.fill_null(0)), else_=ibis.literal(0, "int64")).sum()
            total = term if total is None else total + term
        aggs[f"{c}_h"] = total.cast("float64") / 3600.0
    if semantics == "start_complete":  # the case starts when its first work starts
        first_last = {"_first": iv[START].fill_null(iv[TIMESTAMP]).min(), "_last": iv[TIMESTAMP].max()}
        pos_lo, pos_hi = (iv.start_pos.fill_null(iv.pos).min(), iv.pos.max())
    else:
        first_last = {"_first": iv[TIMESTAMP].min(), "_last": iv[TIMESTAMP].max()}
        pos_lo, pos_hi = (iv.pos.min(), iv.pos.max())
    per_case = iv.group_by(CASE).aggregate(
        **aggs, **first_last, _pos_lo=pos_lo, _pos_hi=pos_hi, events=iv.count()
    )
    if clock == "calendar":
        lead = (epoch_seconds(per_case._last) - epoch_seconds(per_case._first)).cast("float64") / 3600.0
    else:
        lead = (per_case._pos_hi - per_case._pos_lo).cast("float64") / 3600.0
    per_case = per_case.mutate(lead_h=lead).drop("_first", "_last", "_pos_lo", "_pos_hi")
    has_va = bool(by_class["value_adding"])  # without value-adding steps there is no flow efficiency
    per_case = per_case.mutate(
        flow_efficiency=ibis.cases((per_case.lead_h > 0, per_case.value_adding_h / per_case.lead_h),
                                   else_=ibis.null("float64")) if has_va else ibis.null("float64")
    )  # fmt: skip
    tot = per_case.aggregate(
        cases=per_case.count(),
        lead=per_case.lead_h.sum(),
        median_lead=per_case.lead_h.median(),
        median_va=per_case.value_adding_h.median(),
        **{f"sum_{c}": per_case[f"{c}_h"].sum() for c in CLASSES},
    ).to_pandas().iloc[0]
    lead_total = float(tot["lead"] or 0.0)
    overall = ValueStreamOverall(
        cases=int(tot["cases"]),
        total_lead_h=lead_total,
        median_lead_h=as_float(tot["median_lead"]),
        median_value_adding_h=as_float(tot["median_va"]),
        flow_efficiency=float(tot["sum_value_adding"]) / lead_total if lead_total and has_va else None,
        hours={c: float(tot[f"sum_{c}"] or 0.0) for c in CLASSES},
        share={c: (float(tot[f"sum_{c}"] or 0.0) / lead_total if lead_total else 0.0) for c in CLASSES},
    )
    main = _main_path(base_iv, suf, main_path_share, cfg, classes, overall.cases)
    return ValueStream(semantics, clock, _BASIS[semantics], classes, overall, main, per_case)


def analyse_value_stream(
    log: TicketLog,
    config: Config | str | Path | None = None,
    *,
    time_semantics: str | None = None,
    clock: Clock | None = None,
    semantics: Semantics | None = None,
    main_path_share: float = 0.5,
) -> ValueStream:
    """Deprecated alias of :func:`value_stream` (``cspm.value_stream``); ``time_semantics`` is ``semantics``."""
    warnings.warn("cspm.analyse_value_stream is deprecated; use cspm.value_stream(log, config, clock=..., "
                  "semantics=...)", DeprecationWarning, stacklevel=2)  # fmt: skip
    return value_stream(log, config, clock=clock, semantics=semantics_argument(semantics, time_semantics),
                        main_path_share=main_path_share)  # fmt: skip


def _main_path(iv: ir.Table, suf: str, share: float, cfg: Config, classes: pd.DataFrame,
               n_cases: int) -> pd.DataFrame:  # fmt: skip
    """The main path's steps. ``iv``: the interval table (its ``order_in_case`` is the step's place
    in the ticket)."""
    wait = iv[f"wait_{suf}"]
    queue_wait = ibis.cases((iv.paused, ibis.null("int64")), else_=wait)
    per = iv.group_by(ACTIVITY).aggregate(
        cases=iv[CASE].nunique(),
        median_position=iv.order_in_case.median(),
        median_wait_h=queue_wait.median().cast("float64") / 3600.0,
        median_processing_h=iv[f"proc_{suf}"].median().cast("float64") / 3600.0,
    ).to_pandas()
    per["case_share"] = per["cases"] / n_cases if n_cases else 0.0
    main = per[per["case_share"] >= share]
    if main.empty:
        main = per.sort_values("cases", ascending=False).head(8)
    main = main.sort_values(["median_position", ACTIVITY]).rename(columns={ACTIVITY: "step"})
    targets = {}
    for st in cfg.targets.steps:
        limit = st.max_wait or st.max_time_in_status
        if limit is not None and not st.segment:
            targets.setdefault(st.step, limit.total_seconds() / 3600.0)
    main["target_h"] = main["step"].map(targets).astype(float)
    cls = dict(zip(classes.activity, classes.value_class, strict=True))
    main["value_class"] = main["step"].map(cls)
    cols = ["step", "value_class", "cases", "case_share", "median_position", "median_wait_h",
            "median_processing_h", "target_h"]  # fmt: skip
    out = main[cols].reset_index(drop=True)
    for c in ("median_wait_h", "median_processing_h", "median_position"):
        out[c] = out[c].astype(float)
    return out
