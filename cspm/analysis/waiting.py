"""Waiting time at every step against the diagnosis-phase targets, and the bottleneck ranking.

``waiting(log, config)`` (``cspm.waiting``; the old name ``analyse_waiting`` is a deprecated alias) returns a
:class:`WaitingAnalysis`; its summary is a :class:`WaitingSummary`.

**Time semantics** (config ``time_semantics`` or the ``semantics`` argument; default
``start_complete`` when the log has start times, else ``complete``). Events of a case are ordered by
``(timestamp, source_row)``.

* ``complete`` — the wait of a step is the time from the previous event of the case to the event
  (the wait *plus* the work for it; processing is unknown). The first event has no wait.
* ``start_complete`` — processing = complete − start; wait = start − previous completion in the
  case (0 where work overlaps).
* ``status`` — an event is a status change; the wait of a "step" is the **time in that status**,
  from the event to the next event of the case (the final status has none).

A step target's ``max_wait`` is measured on the interval before the step (for ``start_complete``
the wait to its start); ``max_time_in_status`` on the interval after the event (from the event to
the next one). Every figure exists in **calendar** time and in **business** time
(:mod:`cspm.core.calendar`, computed on the engine).

**SLA-clock stops**: time in an SLA-clock-stop state (config ``value_classes.sla_pause``; default
names such as "Pending customer", "Wait - User", "Awaiting Caller", "On hold", 等待客户) is
*paused*: it is reported separately (``paused_*`` columns) and is not in the queue-wait statistics
nor in step-target attainment; milestone targets subtract it when ``exclude_sla_pause`` (default).

**Per target**: attainment (share of waits ≤ target) vs the required share, the percentile at the
required level vs the target (``P85 3.2 h vs 1 h = 3.2×``), breaching events and cases, and the
total excess hours Σ max(0, wait − target). The **bottleneck ranking** orders the step targets by
excess hours (without step targets: the steps by total queue waiting hours).
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd
from pydantic import Field

from cspm.analysis.intervals import (
    CASE_START,
    Semantics,
    activities,
    check_clock,
    milestone_cases,
    resolve_semantics,
    segment_filter,
    semantics_argument,
    sla_pause_activities,
    step_intervals,
)
from cspm.config import Clock, Config, as_config
from cspm.core.calendar import BusinessCalendar
from cspm.core.expr import example_cases
from cspm.core.log import ACTIVITY, CASE, TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.errors import ConfigError
from cspm.i18n import N_, sentence_gap
from cspm.i18n import gettext as _
from cspm.render.charts import pareto_svg
from cspm.render.formats import fmt_h, fmt_number, fmt_pct, fmt_term, table_rows
from cspm.render.workbook import Sheet
from cspm.units import format_hours

__all__ = [
    "RankedStep", "RankedTarget", "StepWaits", "TargetResult", "WaitingAnalysis", "WaitingSummary",
    "analyse_waiting", "check_target_steps", "waiting",
]  # fmt: skip

_STATS = ("n", "mean_h", "median_h", "p85_h", "p90_h", "max_h", "total_h")
_CLOCK_SUFFIX = {"calendar": "s", "business": "bs"}
RankingBasis = Literal["excess over target", "total waiting"]


# ------------------------------------------------------------------------------------ records
class StepWaits(Record):
    """The waits of one step on one clock, in hours (the ``steps`` table; queue waits exclude
    SLA-paused ones)."""

    step: str
    events: int = Field(description="events of the step")
    n: int = Field(description="queue waits measured (not SLA-paused)")
    mean_h: float | None = Field(description="mean queue wait")
    median_h: float | None = Field(description="median queue wait")
    p85_h: float | None = Field(description="85th percentile of the queue waits")
    p90_h: float | None = Field(description="90th percentile of the queue waits")
    max_h: float | None = Field(description="longest queue wait")
    total_h: float = Field(description="sum of the queue waits")
    n_paused: int = Field(description="waits in an SLA-clock-stop state")
    paused_total_h: float = Field(description="sum of the SLA-paused waits")
    proc_n: int | None = Field(None, description="processing times measured (start_complete only)")
    proc_mean_h: float | None = Field(None, description="mean processing time (start_complete only)")
    proc_median_h: float | None = Field(None, description="median processing time (start_complete only)")
    proc_p85_h: float | None = Field(None, description="85th percentile of processing (start_complete only)")
    proc_p90_h: float | None = Field(None, description="90th percentile of processing (start_complete only)")
    proc_max_h: float | None = Field(None, description="longest processing time (start_complete only)")
    proc_total_h: float | None = Field(None, description="sum of processing times (start_complete only)")


class TargetResult(Record):
    """One configured target evaluated (the ``targets`` table)."""

    kind: Literal["step", "milestone", "lead_time"]
    name: str
    step: str = Field(description="the step (step target) or the end of the measured span")
    measure: str = Field(description="wait, time_in_status, or 'start → end' of a milestone")
    clock: Clock
    segment: str = Field(description="the segment as 'column=value, …' ('' for all tickets)")
    target_h: float = Field(description="the target (hours)")
    required: float = Field(description="share of waits / tickets required within the target")
    n: int = Field(description="waits (step target) or tickets (milestone, lead time) measured")
    attained: float | None = Field(description="share within the target (None without measurements)")
    meets: bool | None = Field(description="attained ≥ required (None without measurements)")
    level_h: float | None = Field(description="percentile at the required level (e.g. P85)")
    ratio: float | None = Field(description="level_h / target_h: how many times the target")
    breaching_events: int = Field(description="measurements over the target")
    breaching_cases: int = Field(description="tickets with a measurement over the target")
    excess_h: float = Field(description="Σ max(0, value − target) in hours")
    not_reached: int | None = Field(description="tickets that started the milestone but never reached its end")
    examples: list[str] = Field(default_factory=list, description="up to 5 breaching tickets, the largest value over the target first")


class RankedTarget(TargetResult):
    """A step target in the bottleneck ranking by excess hours."""

    rank: int
    excess_share: float = Field(description="this target's share of the total excess hours")
    cumulative_share: float = Field(description="share of the excess hours of the targets up to this rank")


class RankedStep(StepWaits):
    """A step in the ranking by total queue waiting (when there are no step targets)."""

    rank: int


class WaitingSummary(Record):
    """The summary of a waiting analysis (``WaitingAnalysis.summary()``)."""

    semantics: Semantics
    clock: Clock = Field(description="the clock of the step table (and of every target when given)")
    sla_pause: list[str] = Field(description="the SLA-clock-stop steps (their time is reported apart)")
    ranking_basis: RankingBasis
    ranking: list[RankedTarget] | list[RankedStep]
    targets: list[TargetResult]
    steps: list[StepWaits] = Field(description="the steps on the analysis clock")
    breaching_steps: list[str] = Field(description="steps below their required attainment, worst first")
    breaching_edges: list[tuple[str, str]] = Field(description="(from, to) pairs on which those targets are missed")


# ------------------------------------------------------------------------------------- result
@dataclass
class WaitingAnalysis(Result):
    """Per-step waiting, target attainment and the bottleneck ranking of a log.

    Tables (pandas, hours): ``steps`` (per step and clock: queue-wait statistics, paused time,
    processing where known), ``edges`` (per directly-follows pair and clock), ``targets`` (one row
    per configured target), ``ranking`` (bottlenecks by excess hours; the main table),
    ``breaching_edge_table``. ``intervals`` is the engine table behind them (one row per event) for
    drill-down.
    """

    semantics: Semantics
    clock: Clock
    steps: pd.DataFrame
    edges: pd.DataFrame
    targets: pd.DataFrame
    ranking: pd.DataFrame
    ranking_basis: RankingBasis
    breaching_edge_table: pd.DataFrame
    sla_pause: list[str]
    intervals: ir.Table = field(repr=False)
    calendar: BusinessCalendar = field(repr=False, default_factory=BusinessCalendar)

    section_id: ClassVar[str] = "waiting"
    section_title: ClassVar[str] = N_("Waiting time against targets and bottlenecks")
    section_template: ClassVar[str] = "section_waiting.html.j2"

    # ------------------------------------------------------------------------------ access
    def step_table(self, clock: Clock | None = None) -> pd.DataFrame:
        """The ``steps`` table of one clock (default: the analysis clock)."""
        clock = clock or self.clock
        return self.steps[self.steps["clock"] == clock].drop(columns="clock").reset_index(drop=True)

    def table(self) -> pd.DataFrame:
        """The bottleneck ranking."""
        return self.ranking

    def workbook_sheets(self) -> list[Sheet]:
        """Waiting vs targets (one row per target), the bottleneck ranking and the waits per step;
        rows that miss their target are coloured."""
        basis = _("Clock: {clock}; timestamps: {semantics}; ranking by {basis}.").format(
            clock=_(self.clock), semantics=_(self.semantics), basis=_(self.ranking_basis))
        sheets = [Sheet("Bottleneck ranking", _joined(self.ranking), breach="meets" if "meets" in self.ranking else None,
                        breach_when=False, note=basis)]  # fmt: skip
        if not self.targets.empty:
            sheets.insert(0, Sheet("Waiting vs targets", _joined(self.targets), breach="meets", breach_when=False,
                                   note=basis))  # fmt: skip
        sheets.append(Sheet("Waiting per step", self.step_table(), note=basis))
        return sheets

    def breaching_steps(self) -> list[str]:
        """Steps with a step target below its required attainment, worst (most excess) first."""
        if "meets" not in self.ranking:
            return []
        rows = self.ranking[self.ranking["meets"] == False]  # noqa: E712
        return list(dict.fromkeys(rows["step"].tolist()))

    def breaching_edges(self) -> list[tuple[str, str]]:
        """(from, to) pairs on which a breaching step's target is missed (attainment < required)."""
        t = self.breaching_edge_table
        if t.empty:
            return []
        rows = t[t["attained"] < t["required"]]
        return list(dict.fromkeys(zip(rows["edge_from"], rows["edge_to"], strict=True)))

    # ------------------------------------------------------------------------------ output
    def pareto_svg(self) -> str:
        r = self.ranking.head(15)
        if r.empty:
            return ""
        value = "excess_h" if self.ranking_basis == "excess over target" else "total_h"
        labels = r["name"] if "name" in r else r["step"]
        unit = _("excess hours") if value == "excess_h" else _("waiting hours")
        return pareto_svg(labels.tolist(), r[value].fillna(0).tolist(), unit=unit)

    def _summary(self) -> WaitingSummary:
        ranked = RankedTarget if self.ranking_basis == "excess over target" else RankedStep
        return WaitingSummary(
            semantics=self.semantics,
            clock=self.clock,
            sla_pause=list(self.sla_pause),
            ranking_basis=self.ranking_basis,
            ranking=ranked.from_frame(self.ranking),
            targets=TargetResult.from_frame(self.targets),
            steps=StepWaits.from_frame(self.step_table()),
            breaching_steps=self.breaching_steps(),
            breaching_edges=self.breaching_edges(),
        )

    def section_context(self) -> dict[str, Any]:
        fmt = {c: fmt_h for c in ("target_h", "level_h", "excess_h", "total_h", "median_h", "p85_h",
                                   "p90_h", "max_h", "mean_h", "paused_total_h", "proc_median_h")}  # fmt: skip
        fmt.update({"attained": fmt_pct, "required": fmt_pct, "ratio": lambda v: f"{fmt_number(v)}×", "clock": fmt_term,
                    "kind": fmt_term, "examples": ", ".join})
        if self.ranking_basis == "excess over target":
            rank_cols = {"rank": _("#"), "name": _("target"), "step": _("step"), "clock": _("clock"),
                         "target_h": _("target"), "required": _("required"), "attained": _("attained"),
                         "level_h": _("percentile at required level"), "ratio": _("× target"),
                         "breaching_events": _("breaching events"), "breaching_cases": _("breaching cases"),
                         "excess_h": _("excess"), "examples": _("example tickets")}  # fmt: skip
        else:
            rank_cols = {"rank": _("#"), "step": _("step"), "n": _("waits"), "median_h": _("median"),
                         "p90_h": _("P90"), "total_h": _("total waiting")}  # fmt: skip
        other = self.targets[self.targets["kind"] != "step"] if not self.targets.empty else self.targets
        step_cols = {"step": _("step"), "n": _("waits"), "median_h": _("median"), "p85_h": _("P85"),
                     "p90_h": _("P90"), "max_h": _("max"), "n_paused": _("paused waits"),
                     "paused_total_h": _("paused (SLA stop)")}  # fmt: skip
        if self.semantics == "start_complete":
            step_cols["proc_median_h"] = _("median processing")
        steps = self.step_table().sort_values("total_h", ascending=False)
        return {
            "title": self.section_title,
            "semantics": self.semantics,
            "clock": self.clock,
            "ranking_basis": self.ranking_basis,
            "sla_pause": self.sla_pause,
            "headline": self.headline(),
            "ranking": table_rows(self.ranking, rank_cols, fmt),
            "milestones": table_rows(
                other,
                {"kind": _("kind"), "name": _("target"), "clock": _("clock"), "target_h": _("target"),
                 "required": _("required"), "attained": _("attained"), "level_h": _("percentile at required level"),
                 "ratio": _("× target"), "breaching_cases": _("breaching cases"), "not_reached": _("not reached"),
                 "examples": _("example tickets")},
                fmt,
            ),  # fmt: skip
            "steps": table_rows(steps, step_cols, fmt),
            "pareto_svg": self.pareto_svg(),
            "breaching_steps": self.breaching_steps(),
        }

    def headline(self) -> str:
        if self.ranking.empty:
            return _("No waits to rank.")
        top = self.ranking.iloc[0]
        if self.ranking_basis == "excess over target":
            pct = int(round(top["required"] * 100))
            return _(
                "Worst bottleneck: {step} — P{pct} wait {wait} vs target {target} = {ratio}× target; {excess} "
                "excess hours over {waits} waits ({clock} time)."
            ).format(step=top["step"], pct=pct, wait=fmt_h(top["level_h"]), target=fmt_h(top["target_h"]),
                     ratio=fmt_number(top["ratio"]), excess=fmt_number(top["excess_h"]),
                     waits=int(top["breaching_events"]), clock=fmt_term(top["clock"])) + _example_sentence(
                         top.get("examples"))  # fmt: skip
        return _("Longest total waiting: {step} ({hours} over {waits} waits).").format(
            step=top["step"], hours=format_hours(top["total_h"], "0.0"), waits=int(top["n"]))


# ---------------------------------------------------------------------------------- analysis
def waiting(
    log: TicketLog,
    config: Config | str | Path | None = None,
    *,
    clock: Clock | None = None,
    semantics: Semantics | None = None,
    time_semantics: str | None = None,
) -> WaitingAnalysis:
    """Per-step waiting analysis against the config's targets (``cspm.waiting``).

    ``config``: a :class:`~cspm.config.Config`, a path to a YAML/TOML file, or None (no targets).
    ``clock`` ('calendar' or 'business') overrides every target's clock and chooses the clock of
    the step table shown; by default each target uses its own clock and the table is in calendar
    time. ``semantics`` overrides the config's ``time_semantics`` (``time_semantics=`` is the
    deprecated name of this keyword).
    """
    cfg = as_config(config)
    check_clock(clock)
    semantics = semantics_argument(semantics, time_semantics)
    check_target_steps(log, cfg)
    semantics = resolve_semantics(log, cfg, semantics)
    calendar = BusinessCalendar(cfg.calendar)
    pause = sla_pause_activities(log, cfg)
    segments = [c for t in (*cfg.targets.steps, *cfg.targets.milestones, *cfg.targets.lead_time) for c in t.segment]
    iv = step_intervals(log, semantics, calendar, pause, keep=segments)
    steps = _step_table(iv, semantics)
    edges = _edge_table(iv)
    targets, edge_rows = _evaluate_targets(log, iv, calendar, cfg, semantics, clock)
    ranking, basis = _ranking(targets, steps, clock or "calendar")
    return WaitingAnalysis(
        semantics=semantics, clock=clock or "calendar", steps=steps, edges=edges, targets=targets,
        ranking=ranking, ranking_basis=basis, breaching_edge_table=edge_rows, sla_pause=pause,
        intervals=iv, calendar=calendar,
    )  # fmt: skip


def analyse_waiting(
    log: TicketLog,
    config: Config | str | Path | None = None,
    *,
    time_semantics: str | None = None,
    clock: Clock | None = None,
    semantics: Semantics | None = None,
) -> WaitingAnalysis:
    """Deprecated alias of :func:`waiting` (``cspm.waiting``); ``time_semantics`` is ``semantics``."""
    warnings.warn("cspm.analyse_waiting is deprecated; use cspm.waiting(log, config, clock=..., semantics=...)",
                  DeprecationWarning, stacklevel=2)  # fmt: skip
    return waiting(log, config, clock=clock, semantics=semantics_argument(semantics, time_semantics))


def check_target_steps(log: TicketLog, config: Config) -> None:
    """Raise :class:`~cspm.errors.ConfigError` when a step target or a milestone's ``start`` names a
    step the log does not have (a typo would otherwise give a target without waits: attainment and
    percentiles NaN), naming the target's key, the step and the log's closest steps. A milestone's
    ``end`` may be absent: its tickets are then counted as not reached."""
    t = config.targets
    named = [(f"targets.steps.{i}.step", st.step) for i, st in enumerate(t.steps)]
    named += [(f"targets.milestones.{i}.start", ms.start) for i, ms in enumerate(t.milestones)
              if ms.start.strip().casefold() != CASE_START]  # fmt: skip
    if not named:
        return
    steps = activities(log)
    by_folded = {s.casefold(): s for s in steps}
    problems = []
    for key, step in named:
        if step in by_folded.values():
            continue
        close = [by_folded[c] for c in difflib.get_close_matches(step.casefold(), list(by_folded), n=3, cutoff=0.6)]
        hint = f"closest: {', '.join(repr(c) for c in close)}" if close else f"its steps: {', '.join(repr(s) for s in steps[:20])}"
        problems.append((key, step, f"the log has no step {step!r}; {hint}"))
    if problems:
        raise ConfigError(None, problems)


def _stat_aggs(x: ir.NumericValue, prefix: str = "") -> dict[str, ir.Scalar]:
    """count, mean, median, P85, P90, max, total (hours) of seconds ``x`` (nulls ignored)."""
    return {
        f"{prefix}n": x.count(),
        f"{prefix}mean_h": x.mean().cast("float64") / 3600.0,
        f"{prefix}quantiles": x.quantile([0.5, 0.85, 0.9]),  # one sort on Spark for the three
        f"{prefix}max_h": x.max().cast("float64") / 3600.0,
        f"{prefix}total_h": x.sum().cast("float64") / 3600.0,
    }


def _split_quantiles(frame: pd.DataFrame) -> pd.DataFrame:
    """``…quantiles`` array columns (seconds) → ``…median_h``, ``…p85_h``, ``…p90_h``."""
    for col in [c for c in frame.columns if c.endswith("quantiles")]:
        prefix = col[: -len("quantiles")]
        values = frame[col].map(lambda v: list(v) if v is not None and len(v) == 3 else [None] * 3)
        for k, name in enumerate(("median_h", "p85_h", "p90_h")):
            frame[prefix + name] = values.map(lambda v, k=k: None if v[k] is None else float(v[k]) / 3600.0)
        frame = frame.drop(columns=col)
    return frame


def _step_table(iv: ir.Table, semantics: str) -> pd.DataFrame:
    """One engine query: per step and clock, queue-wait stats, paused time, processing stats."""
    null = ibis.null("float64")
    aggs: dict[str, ir.Scalar] = {"events": iv.count()}
    for suf in _CLOCK_SUFFIX.values():
        w = iv[f"wait_{suf}"]
        queue = ibis.cases((iv.paused, null), else_=w)
        paused = ibis.cases((iv.paused, w), else_=null)
        aggs.update(_stat_aggs(queue, f"{suf}__"))
        aggs[f"{suf}__n_paused"] = paused.count()
        aggs[f"{suf}__paused_total_h"] = paused.sum().cast("float64") / 3600.0
        if semantics == "start_complete":
            aggs.update(_stat_aggs(iv[f"proc_{suf}"], f"{suf}__proc_"))
    wide = _split_quantiles(iv.group_by(ACTIVITY).aggregate(**aggs).to_pandas())
    frames = []
    for clock, suf in _CLOCK_SUFFIX.items():
        cols = {c: c.split("__", 1)[1] for c in wide.columns if c.startswith(f"{suf}__")}
        out = wide[[ACTIVITY, "events", *cols]].rename(columns=cols)
        for c in out.columns:
            if c.endswith("_h"):
                out[c] = out[c].astype(float)
        for c in ("n", "n_paused", "events", "proc_n"):
            if c in out:
                out[c] = out[c].fillna(0).astype("int64")
        out["paused_total_h"] = out["paused_total_h"].fillna(0.0)
        out["total_h"] = out["total_h"].fillna(0.0)
        out.insert(0, "clock", clock)
        frames.append(out.rename(columns={ACTIVITY: "step"}))
    return pd.concat(frames, ignore_index=True).sort_values(["clock", "step"]).reset_index(drop=True)


def _edge_table(iv: ir.Table) -> pd.DataFrame:
    """One engine query: per directly-follows pair and clock, queue-wait statistics."""
    t = iv.filter(iv.edge_from.notnull() & iv.edge_to.notnull() & ~iv.paused)
    aggs: dict[str, ir.Scalar] = {}
    for suf in _CLOCK_SUFFIX.values():
        aggs.update(_stat_aggs(t[f"wait_{suf}"], f"{suf}__"))
    wide = _split_quantiles(t.group_by(["edge_from", "edge_to"]).aggregate(**aggs).to_pandas())
    frames = []
    for clock, suf in _CLOCK_SUFFIX.items():
        cols = {c: c.split("__", 1)[1] for c in wide.columns if c.startswith(f"{suf}__")}
        out = wide[["edge_from", "edge_to", *cols]].rename(columns=cols)
        out = out[out["n"] > 0].copy()
        out["n"] = out["n"].astype("int64")
        for c in _STATS[1:]:
            out[c] = out[c].astype(float)
        out.insert(0, "clock", clock)
        frames.append(out)
    return pd.concat(frames, ignore_index=True).sort_values(["clock", "edge_from", "edge_to"]).reset_index(drop=True)


_TARGET_COLUMNS = [
    "kind", "name", "step", "measure", "clock", "segment", "target_h", "required", "n", "attained",
    "meets", "level_h", "ratio", "breaching_events", "breaching_cases", "excess_h", "not_reached", "examples",
]  # fmt: skip


def _attainment(table: ir.Table, value: str, target_s: float, required: float) -> dict[str, Any]:
    agg = table.aggregate(**_attainment_aggs(table, value, target_s, required)).to_pandas().iloc[0]
    return _attained(agg, target_s, required)


def _attainment_by(
    table: ir.Table, value: str, target_s: float, required: float, groups: ir.Table, by: str
) -> dict[str, dict[str, Any]]:
    """:func:`_attainment` per group of tickets (``groups``: case → its group in column ``by``)."""
    j = table.join(groups.select(CASE, by), CASE)
    frame = j.group_by(by).aggregate(**_attainment_aggs(j, value, target_s, required)).to_pandas()
    return {str(r[by]): _attained(r, target_s, required) for _i, r in frame.iterrows()}


def _attainment_aggs(table: ir.Table, value: str, target_s: float, required: float) -> dict[str, ir.Scalar]:
    x = table[value]
    over = x > target_s
    return dict(
        n=x.count(),
        ok=(x <= target_s).cast("int64").sum(),
        level=x.quantile(required),
        excess=ibis.greatest(x - target_s, 0).sum().cast("float64"),
        breaching_events=over.cast("int64").sum(),
        breaching_cases=table[CASE].nunique(where=over),
    )


def _attained(agg: Any, target_s: float, required: float) -> dict[str, Any]:
    n = int(agg["n"])
    level = float(agg["level"]) / 3600.0 if n else float("nan")
    ok = _num0(agg["ok"])
    target_h = target_s / 3600.0
    attained = ok / n if n else float("nan")
    return {
        "target_h": target_h,
        "required": required,
        "n": n,
        "attained": attained,
        "meets": bool(attained >= required - 1e-12) if n else None,
        "level_h": level,
        "ratio": level / target_h if n and target_h > 0 else float("nan"),
        "breaching_events": int(_num0(agg["breaching_events"])),
        "breaching_cases": int(_num0(agg["breaching_cases"])),
        "excess_h": float(_num0(agg["excess"])) / 3600.0,
    }


def _num0(value: Any) -> float:
    """An aggregate that may be null (empty input) as a number, 0 when null."""
    return 0.0 if value is None or pd.isna(value) else float(value)


def _evaluate_targets(
    log: TicketLog, iv: ir.Table, calendar: BusinessCalendar, cfg: Config, semantics: str, clock: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows: list[dict[str, Any]] = []
    edge_rows: list[pd.DataFrame] = []
    _MEASURES = {"wait": N_("wait"), "time_in_status": N_("time in status")}  # noqa: N806
    for i, st in enumerate(cfg.targets.steps):
        key = f"targets.steps.{i}"
        ck = clock or st.clock
        for measure, col, (ef, et), limit, t in _step_measures(iv, st, semantics, ck, key):
            target_s = limit.total_seconds()
            res = _attainment(t, col, target_s, st.attainment)
            over = t.filter(t[col] > target_s)
            rows.append({
                "kind": "step", "name": st.name or f"{st.step} ({_(_MEASURES[measure])})",
                "step": st.step, "measure": measure, "clock": ck, "segment": _seg(st.segment), **res,
                "not_reached": None, "examples": example_cases(over, over[col]),
            })  # fmt: skip
            if res["meets"] is False:
                e = t.mutate(_ef=t[ef], _et=t[et])
                x = e[col]
                per = e.group_by(["_ef", "_et"]).aggregate(
                    n=x.count(), ok=(x <= target_s).cast("int64").sum(),
                    excess_h=ibis.greatest(x - target_s, 0).sum().cast("float64") / 3600.0,
                ).to_pandas()  # fmt: skip
                per = per.rename(columns={"_ef": "edge_from", "_et": "edge_to"})
                per["excess_h"] = per["excess_h"].astype(float)
                per = per.sort_values(["excess_h", "edge_from", "edge_to"], ascending=[False, True, True])
                per["attained"] = per["ok"] / per["n"]
                per["required"] = st.attainment
                per.insert(0, "step", st.step)
                edge_rows.append(per.drop(columns="ok"))
    for i, ms in enumerate(cfg.targets.milestones):
        ck = clock or ms.clock
        rows.append(_case_target(log, iv, calendar, "milestone", ms.name, ms.start, ms.end, ms.within,
                                 ms.attainment, ck, ms.exclude_sla_pause, ms.segment,
                                 f"targets.milestones.{i}"))  # fmt: skip
    for i, lt in enumerate(cfg.targets.lead_time):
        ck = clock or lt.clock
        rows.append(_case_target(log, iv, calendar, "lead_time", lt.name, "case start", "case end",
                                 lt.within, lt.attainment, ck, False, lt.segment,
                                 f"targets.lead_time.{i}"))  # fmt: skip
    targets = pd.DataFrame(rows, columns=_TARGET_COLUMNS)
    edges = (
        pd.concat(edge_rows, ignore_index=True)
        if edge_rows
        else pd.DataFrame(columns=["step", "edge_from", "edge_to", "n", "excess_h", "attained", "required"])
    )
    return targets, edges


def _step_measures(iv: ir.Table, st: Any, semantics: str, ck: str, key: str) -> list[tuple[Any, ...]]:
    """A step target's measures: (measure, value column, edge columns, limit, the measured intervals)."""
    suf = _CLOCK_SUFFIX[ck]
    measures = []
    if st.max_wait is not None:
        if semantics == "start_complete":
            measures.append(("wait", f"wait_{suf}", "paused", ("edge_from", "edge_to"), st.max_wait))
        else:
            measures.append(("wait", f"before_{suf}", "before_paused", ("prev_activity", ACTIVITY), st.max_wait))
    if st.max_time_in_status is not None:
        measures.append(("time_in_status", f"after_{suf}", "after_paused", (ACTIVITY, "next_activity"),
                         st.max_time_in_status))  # fmt: skip
    sel = iv.filter((iv[ACTIVITY] == st.step) & segment_filter(iv, st.segment, key))
    return [(m, col, edge, limit, sel.filter(sel[col].notnull() & ~sel[paused]))
            for m, col, paused, edge, limit in measures]  # fmt: skip


def targets_by_group(
    log: TicketLog,
    config: Config | str | Path | None,
    groups: ir.Table,
    by: str,
    *,
    clock: Clock | None = None,
    semantics: Semantics | None = None,
) -> pd.DataFrame:
    """The targets table (as :attr:`WaitingAnalysis.targets`) per group of tickets, on the engine.

    ``groups`` has one row per case with its group in column ``by``; the result has the column
    ``by`` first, one row per target and group with measurements (a group without any is absent).
    """
    cfg = as_config(config)
    check_clock(clock)
    semantics = resolve_semantics(log, cfg, semantics)
    calendar = BusinessCalendar(cfg.calendar)
    pause = sla_pause_activities(log, cfg)
    segments = [c for t in (*cfg.targets.steps, *cfg.targets.milestones, *cfg.targets.lead_time) for c in t.segment]
    iv = step_intervals(log, semantics, calendar, pause, keep=segments)
    rows: list[dict[str, Any]] = []
    _MEASURES = {"wait": N_("wait"), "time_in_status": N_("time in status")}  # noqa: N806
    for i, st in enumerate(cfg.targets.steps):
        ck = clock or st.clock
        for measure, col, _edge, limit, t in _step_measures(iv, st, semantics, ck, f"targets.steps.{i}"):
            for g, res in _attainment_by(t, col, limit.total_seconds(), st.attainment, groups, by).items():
                rows.append({by: g, "kind": "step", "name": st.name or f"{st.step} ({_(_MEASURES[measure])})",
                             "step": st.step, "measure": measure, "clock": ck, "segment": _seg(st.segment), **res,
                             "not_reached": None, "examples": []})  # fmt: skip
    cases_targets = [("milestone", m.name, m.start, m.end, m.within, m.attainment, m.clock, m.exclude_sla_pause,
                      m.segment, f"targets.milestones.{i}") for i, m in enumerate(cfg.targets.milestones)]
    cases_targets += [("lead_time", lt.name, "case start", "case end", lt.within, lt.attainment, lt.clock, False,
                       lt.segment, f"targets.lead_time.{i}") for i, lt in enumerate(cfg.targets.lead_time)]  # fmt: skip
    for kind, name, start, end, within, required, ck, exclude, segment, key in cases_targets:
        ck = clock or ck
        suf = _CLOCK_SUFFIX[ck]
        cases = milestone_cases(log, iv, calendar, start, end, segment=segment, key=key)
        value = cases[f"dur_{suf}"] - cases[f"paused_{suf}"] if exclude else cases[f"dur_{suf}"]
        cases = cases.mutate(_v=value)
        reached = cases.filter(cases.t_b.notnull())
        j = cases.filter(cases.t_a.notnull() & cases.t_b.isnull()).join(groups.select(CASE, by), CASE)
        missing = j.group_by(by).aggregate(n=j.count()).to_pandas()
        not_reached = {str(k): int(v) for k, v in zip(missing[by], missing["n"], strict=True)}
        for g, res in _attainment_by(reached, "_v", within.total_seconds(), required, groups, by).items():
            rows.append({by: g, "kind": kind, "name": name, "step": end, "measure": f"{start} → {end}", "clock": ck,
                         "segment": _seg(segment), **res, "not_reached": not_reached.get(g, 0),
                         "examples": []})  # fmt: skip
    return pd.DataFrame(rows, columns=[by, *_TARGET_COLUMNS])


def _case_target(
    log: TicketLog, iv: ir.Table, calendar: BusinessCalendar, kind: str, name: str, start: str, end: str,
    within: Any, required: float, clock: str, exclude_pause: bool, segment: dict[str, str], key: str,
) -> dict[str, Any]:  # fmt: skip
    suf = _CLOCK_SUFFIX[clock]
    cases = milestone_cases(log, iv, calendar, start, end, segment=segment, key=key)
    value = cases[f"dur_{suf}"] - cases[f"paused_{suf}"] if exclude_pause else cases[f"dur_{suf}"]
    cases = cases.mutate(_v=value)  # the milestone table is materialised (see milestone_cases)
    # one query: _v is null unless the end was reached, so the attainment counts reached tickets only
    aggs = _attainment_aggs(cases, "_v", within.total_seconds(), required)
    aggs["not_reached"] = (cases.t_a.notnull() & cases.t_b.isnull()).cast("int64").sum()
    agg = cases.aggregate(**aggs).to_pandas().iloc[0]
    res = _attained(agg, within.total_seconds(), required)
    not_reached = int(_num0(agg["not_reached"]))
    reached = cases.filter(cases.t_b.notnull())
    over = reached.filter(reached._v > within.total_seconds())
    return {
        "kind": kind, "name": name, "step": end, "measure": f"{start} → {end}", "clock": clock,
        "segment": _seg(segment), **res, "not_reached": not_reached, "examples": example_cases(over, over._v),
    }  # fmt: skip


def _joined(frame: pd.DataFrame) -> pd.DataFrame:
    """The example ids as one text cell ('a, b, c') for the workbook."""
    if "examples" not in frame:
        return frame
    return frame.assign(examples=frame["examples"].map(lambda ids: ", ".join(ids) if isinstance(ids, list) else ""))


def _example_sentence(ids: Any) -> str:
    """' Example tickets: a, b.' (empty without ids)."""
    return (sentence_gap() + _("Example tickets: {ids}.").format(ids=", ".join(ids))) if ids else ""


def _seg(segment: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in segment.items())


def _ranking(targets: pd.DataFrame, steps: pd.DataFrame, clock: str) -> tuple[pd.DataFrame, str]:
    step_targets = targets[targets["kind"] == "step"] if not targets.empty else targets
    if not step_targets.empty:
        r = step_targets.sort_values(["excess_h", "name"], ascending=[False, True]).reset_index(drop=True)
        total = r["excess_h"].sum()
        r["excess_share"] = r["excess_h"] / total if total > 0 else 0.0
        r["cumulative_share"] = r["excess_share"].cumsum()
        r.insert(0, "rank", range(1, len(r) + 1))
        return r, "excess over target"
    s = steps[(steps["clock"] == clock) & (steps["n"] > 0)]
    r = s.sort_values(["total_h", "step"], ascending=[False, True]).reset_index(drop=True).drop(columns="clock")
    r.insert(0, "rank", range(1, len(r) + 1))
    return r, "total waiting"
