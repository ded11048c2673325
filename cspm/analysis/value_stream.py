"""Value-stream analysis: value classes of steps, lead time vs value-adding time, flow efficiency.

**Value classes**: ``value_adding``, ``necessary`` (necessary non-value-adding), waste
(``waiting``, ``handoff``, ``rework``, ``approval``) and ``unclassified``. An activity named in
``config.value_classes`` (exact, case-insensitive) gets that class; otherwise the first matching
keyword rule of :data:`DEFAULT_RULES` (English and Chinese) decides; otherwise it is
``unclassified``: which steps add value is an assumption, so an unknown step never counts as
value-adding. A repeated occurrence of a value-adding, necessary or unclassified activity in a case
counts as ``rework`` (not for status histories, where statuses recur by nature); SLA-paused time
counts as ``waiting``.

**Time attribution** per time semantics (see :mod:`cspm.analysis.waiting`); the lead time runs from the first
event (its start with start/complete timestamps) to the last completion:

* ``status`` — time in a status goes to the status' class (exact partition of the lead time);
* ``complete`` — the interval before an event (its wait plus work) goes to the event's class, or to
  ``waiting`` when the previous event is a waiting / SLA-pause step. Without start times the
  queue before a value-adding step cannot be separated from its work, so value-adding time and flow
  efficiency are **upper bounds** (``basis`` says so);
* ``start_complete`` — processing goes to the event's class, the wait before it to ``waiting``.

Per case: lead time (first to last event), time per class. **Flow efficiency** (process cycle
efficiency) is one figure: Σ value-adding time / Σ lead time over all cases (``overall``, computed
once; the report and the chart show this value). It is ``None`` when no step is value-adding by
the config or a keyword rule: there is then nothing to measure it by (``value_classes.value_adding``
provides it). The per-case ratio (``cases()``) is that ticket's own value, not a second summary.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.analysis.intervals import (
    activities,
    resolve_semantics,
    sla_pause_activities,
    step_intervals,
)
from cspm.config import Config, load_config
from cspm.core.calendar import BusinessCalendar
from cspm.core.log import ACTIVITY, CASE, ROW, START, TIMESTAMP, TicketLog
from cspm.render.charts import fmt_h, fmt_pct, render_section, table_rows, value_stream_svg

__all__ = ["CLASSES", "DEFAULT_RULES", "ValueStream", "classify", "value_stream"]

CLASSES = ("value_adding", "necessary", "waiting", "handoff", "rework", "approval", "unclassified")
WASTE = ("waiting", "handoff", "rework", "approval")

DEFAULT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("waiting", re.compile(r"wait|queue|pending|hold|awaiting|等待|排队|挂起|待处理", re.I)),
    ("handoff", re.compile(r"transfer|reassign|escalat|hand\s*off|handover|forward|转派|转交|升级|移交", re.I)),
    ("approval", re.compile(r"approv|review|reject|sign[\s-]*off|审批|复核|审核|驳回", re.I)),
    ("rework", re.compile(r"reopen|re-open|redo|rework|resubmit|重开|返工|重新提交|重做", re.I)),
    ("necessary", re.compile(
        r"creat|insert|register|regist|log(ged)?\b|assign|close|closed|confirm|replied|reply|"
        r"创建|登记|受理|分派|关闭|确认|回复", re.I)),
    ("value_adding", re.compile(
        r"resol|solve|solution|fix|repair|investigat|diagnos|troubleshoot|解决|排查|修复|诊断", re.I)),
)  # fmt: skip
"""Keyword rules, tried in order (the first match wins); a step no rule matches is ``unclassified``."""


def _config(config: Config | str | Path | None) -> Config:
    if config is None:
        return Config()
    return config if isinstance(config, Config) else load_config(config)


def classify(names: list[str], config: Config | None = None) -> pd.DataFrame:
    """Value class of each activity: columns ``activity``, ``value_class``, ``source`` (``config``,
    ``keyword``, or ``none`` for an ``unclassified`` step)."""
    vc = config.value_classes if config is not None else None
    explicit: dict[str, str] = {}
    if vc is not None:
        for cls in CLASSES[:-1]:  # every class but "unclassified" has a config key
            for name in getattr(vc, cls):
                explicit[name.casefold()] = cls
    rows = []
    for name in names:
        if name.casefold() in explicit:
            rows.append((name, explicit[name.casefold()], "config"))
            continue
        for cls, rx in DEFAULT_RULES:
            if rx.search(name):
                rows.append((name, cls, "keyword"))
                break
        else:
            rows.append((name, "unclassified", "none"))
    return pd.DataFrame(rows, columns=["activity", "value_class", "source"])


@dataclass
class ValueStream:
    """Lead time vs value-adding time per case and overall, and the main path's value stream."""

    semantics: str
    clock: str
    basis: str
    classes: pd.DataFrame
    overall: dict[str, Any]
    main_path: pd.DataFrame
    per_case: ir.Table = field(repr=False)

    section_id = "value_stream"
    section_title = "Value stream and flow efficiency"
    section_template = "section_value_stream.html.j2"

    def cases(self, limit: int | None = None) -> pd.DataFrame:
        """Per case: lead time and hours per value class, flow efficiency (pandas)."""
        t = self.per_case.order_by(CASE)
        return (t.limit(limit) if limit else t).to_pandas()

    def to_pandas(self) -> pd.DataFrame:
        return self.main_path.copy()

    @property
    def flow_efficiency(self) -> float | None:
        """Σ value-adding time / Σ lead time (the one flow-efficiency figure; module docstring)."""
        return self.overall["flow_efficiency"]

    def value_adding_steps(self) -> pd.DataFrame:
        """The steps counted as value-adding and where that comes from (``config`` / ``keyword``)."""
        return self.classes.loc[self.classes["value_class"] == "value_adding", ["activity", "source"]]

    def assumption(self) -> str:
        """One line: which steps count as value-adding and from where, or what provides them."""
        va = self.value_adding_steps()
        if va.empty:
            return ("Flow efficiency is not shown: no step is known to add value. Name the value-adding "
                    "steps in the config (value_classes.value_adding).")  # fmt: skip
        parts = []
        for source, label in (("config", "from the config"), ("keyword", "by keyword defaults")):
            names = va.loc[va["source"] == source, "activity"].tolist()
            if names:
                parts.append(f"{', '.join(names)} ({label})")
        line = "Value-adding steps: " + "; ".join(parts) + "."
        unknown = self.classes.loc[self.classes["value_class"] == "unclassified", "activity"].tolist()
        if unknown:
            line += (f" Not classified, so not counted as value-adding: {', '.join(unknown)} "
                     "(set value_classes in the config).")  # fmt: skip
        return line

    def chart_svg(self) -> str:
        if self.main_path.empty:
            return ""
        return value_stream_svg(
            self.main_path.rename(columns={"median_wait_h": "wait_h", "median_processing_h": "proc_h"}),
            self.overall["median_lead_h"] or 0.0,
            self.flow_efficiency,
        )

    def summary(self) -> dict[str, Any]:
        return {
            "semantics": self.semantics,
            "clock": self.clock,
            "basis": self.basis,
            "overall": self.overall,
            "assumption": self.assumption(),
            "classes": self.classes.to_dict("records"),
            "main_path": [
                {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in r.items()}
                for r in self.main_path.to_dict("records")
            ],
        }

    def section_context(self) -> dict[str, Any]:
        o = self.overall
        figures = [
            ("cases", f"{o['cases']:,}"),
            ("median lead time", fmt_h(o["median_lead_h"] or 0)),
        ]
        if self.flow_efficiency is not None:
            figures += [
                ("median value-adding time", fmt_h(o["median_value_adding_h"] or 0)),
                ("flow efficiency (Σ value-adding time / Σ lead time)", fmt_pct(self.flow_efficiency)),
            ]
        figures += [(f"share of lead time: {c.replace('_', ' ')}", fmt_pct(o["share"][c])) for c in CLASSES]
        return {
            "title": self.section_title,
            "semantics": self.semantics,
            "clock": self.clock,
            "basis": self.basis,
            "assumption": self.assumption(),
            "figures": figures,
            "classes": table_rows(self.classes, {"activity": "step", "value_class": "class", "source": "from"}, {}),
            "main_path": table_rows(
                self.main_path,
                {"step": "step", "value_class": "class", "case_share": "cases", "median_wait_h": "median wait",
                 "median_processing_h": "median processing", "target_h": "target"},
                {"case_share": fmt_pct, "median_wait_h": fmt_h, "median_processing_h": fmt_h, "target_h": fmt_h},
            ),  # fmt: skip
            "chart_svg": self.chart_svg(),
        }

    def _repr_html_(self) -> str:
        return render_section(self.section_template, self.section_context())

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(f"<!doctype html><meta charset='utf-8'>{self._repr_html_()}", "utf-8")
        return path


def value_stream(
    log: TicketLog,
    config: Config | str | Path | None = None,
    *,
    time_semantics: str | None = None,
    clock: str = "calendar",
    main_path_share: float = 0.5,
) -> ValueStream:
    """Value-stream analysis of a log (see the module docstring for the definitions).

    The main path: activities occurring in at least ``main_path_share`` of the cases, in order of
    their median position in the case.
    """
    cfg = _config(config)
    if clock not in ("calendar", "business"):
        raise ValueError(f"clock must be 'calendar' or 'business', not {clock!r}")
    suf = "s" if clock == "calendar" else "bs"
    semantics = resolve_semantics(log, cfg, time_semantics)
    calendar = BusinessCalendar(cfg.calendar)
    pause = sla_pause_activities(log, cfg)
    iv = step_intervals(log, semantics, calendar, pause, keep=[])
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
        from cspm.core.expr import epoch_seconds

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
    overall = {
        "cases": int(tot["cases"]),
        "total_lead_h": lead_total,
        "median_lead_h": _f(tot["median_lead"]),
        "median_value_adding_h": _f(tot["median_va"]),
        "flow_efficiency": float(tot["sum_value_adding"]) / lead_total if lead_total and has_va else None,
        "hours": {c: float(tot[f"sum_{c}"] or 0.0) for c in CLASSES},
        "share": {c: (float(tot[f"sum_{c}"] or 0.0) / lead_total if lead_total else 0.0) for c in CLASSES},
    }
    main = _main_path(log, iv, suf, semantics, main_path_share, cfg, classes)
    basis = {
        "status": "time in status by the status' class",
        "complete": "interval before each step counted as its class (upper bound: includes the queue before the step)",
        "start_complete": "processing by the step's class, waits as waiting",
    }[semantics]
    return ValueStream(semantics, clock, basis, classes, overall, main, per_case)


def _f(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _main_path(log: TicketLog, iv: ir.Table, suf: str, semantics: str, share: float, cfg: Config,
               classes: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    w = ibis.window(group_by=iv[CASE], order_by=[iv[TIMESTAMP], iv[ROW]])
    t = iv.mutate(_pos=ibis.row_number().over(w))
    wait = t[f"wait_{suf}"]
    queue_wait = ibis.cases((t.paused, ibis.null("int64")), else_=wait)
    per = t.group_by(ACTIVITY).aggregate(
        cases=t[CASE].nunique(),
        median_position=t._pos.median(),
        median_wait_h=queue_wait.median().cast("float64") / 3600.0,
        median_processing_h=t[f"proc_{suf}"].median().cast("float64") / 3600.0,
    ).to_pandas()
    n_cases = log.count_cases()
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
