"""What a comparison compares: every figure's observations, as value histograms built on the engine.

A **figure** has an id ``family|clock|key`` and a kind:

* ``duration`` (seconds, rounded to the second; the statistic is the **median**, shown in hours):
  ``kpi`` first response / resolution / closure time (``kpis.clock``) and ``lead_time`` (first to
  last event) per ticket; ``wait`` the queue wait before each step (SLA-paused waits excluded, as in
  ``cspm.waiting``), ``edge`` the wait on each directly-follows edge, both clocks; ``target`` the
  waits or durations a configured target measures; ``work`` the handling (work) time per ticket,
  the sum of its steps' processing time (start to complete, calendar clock; only with a
  start/complete lifecycle, the one time semantics that has work time);
* ``count`` per ticket (the statistic is the **mean per ticket**): steps, handoffs (changes of team),
  ping-pong bounces, rework repetitions, approval rounds;
* ``ratio`` per ticket in [0, 1] (rounded to 6 decimals; the statistic is the **median**): ``flow``
  efficiency (value-adding time / lead time, calendar clock, as ``cspm.value_stream``; only when the
  log has value-adding steps) and ``conformance`` fitness to the to-be model (token replay, as
  ``cspm.conformance``; only when a model is given);
* ``share`` (0/1 per ticket; the statistic is the **share**): resolved, first-contact resolution,
  reopened, ping-pong, fitting the to-be model.

:func:`histograms` returns one row per (part, figure, value) with its count, in one engine query
per log; a part is a side of the comparison (``before``/``after``, ``pilot``/``control``…) or a
period of a monitor. Variants are counted per part by :func:`variant_counts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.analysis.conformance import conformance
from cspm.analysis.handoffs.pingpong import ping_pong
from cspm.analysis.handoffs.rework import approval_loops, repeated_table, status_steps
from cspm.analysis.intervals import (
    milestone_cases,
    resolve_semantics,
    segment_filter,
    sla_pause_activities,
    step_intervals,
)
from cspm.analysis.kpis import case_kpis
from cspm.analysis.value_stream import value_stream
from cspm.analysis.waiting import check_target_steps
from cspm.config import Config
from cspm.core.calendar import BusinessCalendar
from cspm.core.log import ACTIVITY, CASE, TicketLog
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.mining.cases import activity_codes, case_table

__all__ = ["CLOCKS", "Figure", "describe", "histograms", "variant_counts"]

CLOCKS = {"calendar": "s", "business": "bs"}
_KPI_DURATIONS = {"first_response_h": N_("first response time"), "resolution_h": N_("resolution time"), "closure_h": N_("closure time")}
_KPI_COUNTS = {"steps": N_("steps per ticket"), "handoffs": N_("handoffs per ticket")}
_KPI_SHARES = {"resolved": N_("resolution rate"), "fcr": N_("first-contact resolution"), "reopened": N_("reopen rate")}
_HANDOFF_COUNTS = {"bounces": N_("ping-pong bounces per ticket"), "repetitions": N_("rework repetitions per ticket"),
                   "rounds": N_("approval rounds per ticket")}  # fmt: skip


@dataclass(frozen=True)
class Figure:
    """One compared figure (see the module docstring)."""

    id: str
    family: str
    clock: str | None
    key: str
    kind: str  # duration | count | share
    name: str

    @property
    def statistic(self) -> str:
        return {"duration": "median", "ratio": "median", "count": "mean", "share": "share"}[self.kind]


def describe(figure_id: str, targets: dict[str, dict[str, Any]] | None = None) -> Figure:
    """The figure of an id (names of targets from ``targets``, id → target record)."""
    family, clock, key = figure_id.split("|", 2)
    ck = clock or None
    if family == "kpi":
        kind = "duration" if key in _KPI_DURATIONS else "count" if key in _KPI_COUNTS else "share"
        name = _({**_KPI_DURATIONS, **_KPI_COUNTS, **_KPI_SHARES}[key])
    elif family == "handoffs":
        kind = "share" if key == "ping_pong" else "count"
        name = _("ping-pong tickets") if key == "ping_pong" else _(_HANDOFF_COUNTS[key])
    elif family == "flow":
        kind, name = "ratio", _("flow efficiency per ticket")
    elif family == "conformance":
        kind, name = ("ratio", _("fitness to the to-be model per ticket")) if key == "fitness" else (
            "share", _("tickets fitting the to-be model"))  # fmt: skip
    elif family == "lead_time":
        kind, name = "duration", _("lead time")
    elif family == "work":
        kind, name = "duration", _("handling (work) time per ticket")
    elif family == "wait":
        kind, name = "duration", _("wait before {step}").format(step=key)
    elif family == "edge":
        kind, name = "duration", _("wait {transition}").format(transition=key)
    elif family == "target":
        kind, name = "duration", (targets or {}).get(figure_id, {}).get("name", key)
    else:
        raise ValueError(f"unknown figure family {family!r}")
    return Figure(figure_id, family, ck, key, kind, name)


def _obs(t: ir.Table, figure: ir.StringValue | str, value: ir.NumericValue) -> ir.Table:
    fig = ibis.literal(figure) if isinstance(figure, str) else figure
    return t.select(CASE, figure=fig.cast("string"), value=value.cast("float64"))


def _seconds(x: ir.NumericValue) -> ir.NumericValue:
    return x.cast("float64").round(0)


def target_observations(log: TicketLog, cfg: Config, iv: ir.Table, calendar: BusinessCalendar, semantics: str) -> tuple[list[ir.Table], dict[str, dict[str, Any]]]:
    """The observations of every configured step, milestone and lead-time target, and the target
    records (id → name, step, clock, target_s, required) that give their attainment."""
    parts: list[ir.Table] = []
    records: dict[str, dict[str, Any]] = {}
    for i, st in enumerate(cfg.targets.steps):
        if st.max_wait is None:
            continue
        suf = CLOCKS[st.clock]
        col, paused = (f"wait_{suf}", "paused") if semantics == "start_complete" else (f"before_{suf}", "before_paused")
        sel = iv.filter((iv[ACTIVITY] == st.step) & segment_filter(iv, st.segment, f"targets.steps.{i}"))
        sel = sel.filter(sel[col].notnull() & ~sel[paused])
        fid = f"target|{st.clock}|steps.{i}"
        parts.append(_obs(sel, fid, _seconds(sel[col])))
        records[fid] = {"name": st.name or _("wait before {step}").format(step=st.step), "step": st.step, "clock": st.clock,
                        "target_s": st.max_wait.total_seconds(), "required": st.attainment}  # fmt: skip
    cases = []
    for i, ms in enumerate(cfg.targets.milestones):
        cases.append((f"milestones.{i}", ms.name, ms.start, ms.end, ms.within, ms.attainment, ms.clock, ms.exclude_sla_pause, ms.segment))
    for i, lt in enumerate(cfg.targets.lead_time):
        cases.append((f"lead_time.{i}", lt.name, "case start", "case end", lt.within, lt.attainment, lt.clock, False, lt.segment))
    for key, name, start, end, within, required, clock, exclude, segment in cases:
        suf = CLOCKS[clock]
        m = milestone_cases(log, iv, calendar, start, end, segment=segment, key=f"targets.{key}")
        m = m.filter(m.t_b.notnull())
        v = m[f"dur_{suf}"] - m[f"paused_{suf}"] if exclude else m[f"dur_{suf}"]
        fid = f"target|{clock}|{key}"
        parts.append(_obs(m, fid, _seconds(v)))
        records[fid] = {"name": name, "step": end, "clock": clock, "target_s": within.total_seconds(), "required": required}
    return parts, records


def observations(log: TicketLog, cfg: Config, *, semantics: str | None = None, model: Any = None) -> tuple[ir.Table, dict[str, dict[str, Any]]]:
    """All observations of a log: ``case_id, figure, value`` (an engine expression), and the targets.

    ``model``: the to-be model of the fitness figures (anything ``cspm.conformance`` reads), or None."""
    check_target_steps(log, cfg)
    sem = resolve_semantics(log, cfg, semantics)
    calendar = BusinessCalendar(cfg.calendar)
    segments = [c for t in (*cfg.targets.steps, *cfg.targets.milestones, *cfg.targets.lead_time) for c in t.segment]
    iv = step_intervals(log, sem, calendar, sla_pause_activities(log, cfg), keep=segments)
    parts: list[ir.Table] = []
    per = case_kpis(log, cfg, semantics=sem)
    clock = cfg.kpis.clock
    for col in _KPI_DURATIONS:
        x = per.filter(per[col].notnull())
        parts.append(_obs(x, f"kpi|{clock}|{col}", _seconds(x[col] * 3600.0)))
    for col in (*_KPI_COUNTS, *_KPI_SHARES):
        x = per.filter(per[col].notnull())
        parts.append(_obs(x, f"kpi||{col}", x[col].cast("int64")))
    lead = milestone_cases(log, iv, calendar, "case start", "case end")
    for ck, suf in CLOCKS.items():
        parts.append(_obs(lead, f"lead_time|{ck}|", _seconds(lead[f"dur_{suf}"])))
    if sem == "start_complete":
        work = iv.group_by(CASE).aggregate(_w=iv.proc_s.fill_null(0).sum())
        parts.append(_obs(work, "work||", _seconds(work._w)))
    q = iv.filter(~iv.paused)
    e = q.filter(q.edge_from.notnull() & q.edge_to.notnull())
    for ck, suf in CLOCKS.items():
        w = q.filter(q[f"wait_{suf}"].notnull())
        parts.append(_obs(w, ibis.literal(f"wait|{ck}|") + w[ACTIVITY], _seconds(w[f"wait_{suf}"])))
        x = e.filter(e[f"wait_{suf}"].notnull())
        parts.append(_obs(x, ibis.literal(f"edge|{ck}|") + x.edge_from + " → " + x.edge_to, _seconds(x[f"wait_{suf}"])))
    if log.has_team:
        pp = ping_pong(log, "team").per_case_table
        parts.append(_obs(pp, "handoffs||ping_pong", pp.ping_pong.cast("int64")))
        parts.append(_obs(pp, "handoffs||bounces", pp.bounces))
    red = repeated_table(log, status_steps(log, cfg))  # rework's repetitions, without its summaries
    rep = red.group_by(CASE).aggregate(_r=red.repetition.cast("int64").sum())
    rw = per.select(CASE).left_join(rep, CASE)
    parts.append(_obs(rw, "handoffs||repetitions", rw._r.fill_null(0)))
    ap = approval_loops(log, cfg)
    if ap.approval_activities:
        rounds = ap.per_case_table
        parts.append(_obs(rounds, "handoffs||rounds", rounds.approval_rounds.fill_null(0)))
    vs = value_stream(log, cfg, clock="calendar", semantics=sem).per_case
    fe = vs.filter(vs.flow_efficiency.notnull())
    parts.append(_obs(fe, "flow||efficiency", fe.flow_efficiency.round(6)))
    if model is not None:
        fit = conformance(log, cfg, model=model, deviations=False, precision=False).cases
        fit = fit.filter(fit.fitness.notnull())
        parts.append(_obs(fit, "conformance||fitness", fit.fitness.round(6)))
        parts.append(_obs(fit, "conformance||fitting", fit.is_fit.cast("int64")))
    tparts, targets = target_observations(log, cfg, iv, calendar, sem)
    return ibis.union(*parts, *tparts, distinct=False), targets


def histograms(log: TicketLog, cfg: Config, parts: ir.Table | str, *, semantics: str | None = None,
               model: Any = None) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:  # fmt: skip
    """Per (part, figure, value) the number of observations (pandas), and the target records.

    ``parts``: a table ``case_id, part`` (tickets without a part are left out) or one part name for
    the whole log.
    """
    obs, targets = observations(log, cfg, semantics=semantics, model=model)
    if isinstance(parts, str):
        obs = obs.mutate(part=ibis.literal(parts))
    else:
        obs = obs.join(parts, CASE).select(obs.figure, obs.value, parts.part)
    hist = obs.group_by(["part", "figure", "value"]).aggregate(n=obs.count()).to_pandas()
    hist["n"] = hist["n"].astype("int64")
    hist["value"] = hist["value"].astype("float64")
    return hist.sort_values(["part", "figure", "value"]).reset_index(drop=True), targets


def variant_counts(log: TicketLog, parts: ir.Table | str) -> pd.DataFrame:
    """Tickets per (part, variant); a variant is its activity sequence joined by `` → ``."""
    ct = case_table(log)
    if isinstance(parts, str):
        t = ct.mutate(part=ibis.literal(parts))
    else:
        t = ct.join(parts, CASE).select(ct.variant_key, parts.part)
    counts = t.group_by(["part", "variant_key"]).aggregate(tickets=t.count()).to_pandas()
    codes = activity_codes(log.events).to_pandas()
    names = {str(int(c)): a for a, c in zip(codes.activity, codes.code, strict=True)}
    counts["variant"] = [" → ".join(names[c] for c in key.split(",")) for key in counts.variant_key]
    counts["tickets"] = counts["tickets"].astype("int64")
    return counts.groupby(["part", "variant"], as_index=False)["tickets"].sum()
