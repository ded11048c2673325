"""Rework, approval loops and the loops of the process.

Definitions (bupaR/edeaR), each event of a case in ``(timestamp, source_row)`` order:

* **self-loop**: the event's activity equals the activity immediately before it;
* **repetition** (rework): the activity occurred earlier in the case, but not immediately before;
* **rework** (the headline "x% of tickets contain rework") counts repetitions only; self-loops are
  reported beside it (an immediate repeat is often one piece of work recorded twice);
* **waiting steps are not counted**: a repeated status-like step (value class ``waiting`` — Wait,
  Pending, On hold, 等待 … — or an SLA-pause step, see :mod:`cspm.analysis.value_stream`) is the ticket
  waiting again, not work done again, so it is neither a repetition nor a self-loop (its time is
  waiting time); :func:`status_steps` names them and :attr:`Rework.not_counted` lists them;
* a repetition is a **repeat** when its agent is the agent of the activity's first (original)
  occurrence in the case and a **redo** when another agent does it; a self-loop is a repeat when
  the agent is the one of the event immediately before. The **redo referral matrix** counts redos
  by (original agent, redoing agent).
* **approval steps**: events of approval-class activities (the config's ``value_classes.approval``
  plus names containing approve / approval / review / 审批 / 复核) and rejections; an **approval
  round** is an occurrence of the case's first approval-class activity (e.g. "Request approval"),
  a **loop** is two or more rounds; a **rejection → resubmission cycle** is a rejection followed
  later in the case by a resubmission.
* **process loops**: the simple cycles (networkx, bounded length) of the directly-follows graph,
  with the tickets whose trace runs through each cycle consecutively and the time that takes.

The time attributed to a repeated event is the interval since the event before it (its waiting and
processing in an activity log).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Literal

import ibis
import ibis.expr.types as ir
import networkx as nx
import pandas as pd
from pydantic import Field

from cspm.analysis.handoffs.formatting import rows
from cspm.analysis.handoffs.visits import lead_time_table
from cspm.analysis.intervals import activities, sla_pause_activities
from cspm.analysis.value_stream import classify
from cspm.config import Config
from cspm.core.expr import activity_names, as_int, case_window, epoch_seconds, matching, to_frame
from cspm.core.log import ACTIVITY, AGENT, CASE, ROW, TIMESTAMP, TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.i18n import N_, sentence_gap
from cspm.i18n import gettext as _
from cspm.mining.steps import edge_frame

APPROVAL_KEYWORDS = ("approve", "approval", "review", "审批", "复核")
REJECTION_KEYWORDS = ("reject", "declin", "denied", "驳回", "拒绝", "退回")
RESUBMISSION_KEYWORDS = ("resubmit", "re-submit", "resubmission", "重新提交", "重提", "再次提交")
METRICS = ("repetitions", "self_loops", "repeats", "redos")
_NO_AGENT = "\ue000no agent"  # stands for a missing agent inside the window of rework_events (a private-use character)
ReworkKind = Literal["repetitions", "self_loops", "repeats", "redos"]


# ----------------------------------------------------------------------------- engine expressions
def status_steps(log: TicketLog, config: Config | None = None) -> list[str]:
    """The waiting and SLA-pause steps of the log, whose repeats are not rework (module docstring)."""
    names = activities(log)
    classes = classify(names, config)
    waiting = set(classes.loc[classes["value_class"] == "waiting", "activity"])
    return sorted(waiting | set(sla_pause_activities(log, config)))


def rework_events(events: ir.Table, not_counted: list[str] | tuple[str, ...] = ()) -> ir.Table:
    """Events with ``self_loop``, ``repetition``, ``repeat``/``redo`` flags and ``interval_s``.

    Events of the ``not_counted`` activities (see :func:`status_steps`) are never flagged.
    """
    w = case_window()
    wa = case_window(ACTIVITY)
    has_agent = AGENT in events.columns
    agent = events[AGENT].cast("string") if has_agent else ibis.null("string")
    t = events.select(CASE, ACTIVITY, TIMESTAMP, ROW, agent=agent)
    # the first occurrence's agent, null or not, on every engine: over a window Ibis's first() skips
    # nulls on Spark (IGNORE NULLS) but not on DuckDB (FIRST_VALUE), so nulls are a sentinel inside it
    first_agent = t.agent.fill_null(_NO_AGENT).first().over(wa)
    t = t.mutate(
        prev_activity=t[ACTIVITY].lag().over(w),
        prev_agent=t.agent.lag().over(w),
        prev_ts=t[TIMESTAMP].lag().over(w),
        occurrence=ibis.row_number().over(wa),  # 0-based
        original_agent=ibis.ifelse(first_agent == _NO_AGENT, ibis.null("string"), first_agent),
    )
    counted = ~t[ACTIVITY].isin(list(not_counted)) if not_counted else ibis.literal(True)
    self_loop = counted & t.prev_activity.notnull() & (t.prev_activity == t[ACTIVITY])
    repetition = counted & (t.occurrence > 0) & ~self_loop
    compare = ibis.ifelse(self_loop, t.prev_agent, t.original_agent)
    known = t.agent.notnull() & compare.notnull()
    t = t.mutate(
        self_loop=self_loop,
        repetition=repetition,
        compared_agent=ibis.ifelse(self_loop | repetition, compare, ibis.null("string")),
        interval_s=epoch_seconds(t[TIMESTAMP]) - epoch_seconds(t.prev_ts),
    )
    redundant = t.self_loop | t.repetition
    return t.mutate(
        repeat=redundant & known & (t.agent == t.compared_agent),
        redo=redundant & known & (t.agent != t.compared_agent),
    )


def repeated_events(events: ir.Table, not_counted: list[str] | tuple[str, ...] = ()) -> ir.Table:
    """The repetitions and self-loops only (see :func:`rework_events`)."""
    t = rework_events(events, not_counted)
    return t.filter(t.repetition | t.self_loop)


def repeated_table(log: TicketLog, not_counted: list[str] | tuple[str, ...] = ()) -> ir.Table:
    """The repeated events of ``log`` (:func:`repeated_events`), built once per log and list of
    steps not counted."""
    key = tuple(sorted(not_counted))
    return log.derived.get("repeated_events", key, lambda: repeated_events(log.events, key).cache())


def waiting_repeats(events: ir.Table, steps: list[str]) -> dict[str, int]:
    """Per step of ``steps``: its occurrences after the first in a case (the repeats not counted)."""
    if not steps:
        return {}
    e = events.filter(events[ACTIVITY].isin(list(steps)))
    g = e.group_by([CASE, ACTIVITY]).aggregate(n=e.count())
    r = g.group_by(ACTIVITY).aggregate(repeats=(g.n - 1).sum()).to_pandas()
    return {str(a): int(n) for a, n in sorted(zip(r[ACTIVITY], r["repeats"], strict=True)) if n > 0}


def _f(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _share(part: int, whole: int) -> float:
    return round(part / max(whole, 1), 4)


# ------------------------------------------------------------------------------------- rework
class RepeatedActivity(Record):
    activity: str
    repetitions: int
    self_loops: int


class ReworkSummary(Record):
    """Repetitions (rework) and self-loops of a log, split into repeats and redos."""

    repetitions: int = Field(description="an activity again after other activities")
    self_loops: int = Field(description="an activity again immediately")
    repeats: int = Field(description="repetitions and self-loops by the same agent")
    redos: int = Field(description="repetitions and self-loops by another agent")
    tickets_with_repetitions: int
    tickets_with_self_loops: int
    share_tickets_with_rework: float
    share_tickets_with_self_loops: float
    rework_hours: float = Field(description="the intervals before the repeated events, in hours")
    most_repeated: list[RepeatedActivity]
    not_counted: list[str] = Field(description="waiting steps whose repeats are not rework")
    waiting_repeats: dict[str, int] = Field(description="not-counted step → its repeats")


ACTIVITY_COLUMNS = {"activity": N_("activity"), "repetitions": N_("repetitions"), "self_loops": N_("self-loops"),
                    "repeats": N_("repeats (same agent)"), "redos": N_("redos (other agent)"), "tickets": N_("tickets")}  # fmt: skip


@dataclass(eq=False)
class Rework(Result):
    """Repetitions, self-loops, repeats vs redos per case, activity and agent; the redo referral."""

    per_case_table: ir.Table  # case_id, repetitions, self_loops, repeats, redos, rework_s (on the engine)
    per_activity: pd.DataFrame  # activity, repetitions, self_loops, repeats, redos, tickets, rework_s
    per_agent: pd.DataFrame  # agent, repetitions, self_loops, repeats, redos
    referral: pd.DataFrame  # original_agent, redo_agent, kind, redos
    totals: dict[str, Any] = field(default_factory=dict)  # the METRICS, tickets_with_*, tickets, rework_s
    events: int = 0
    not_counted: list[str] = field(default_factory=list)  # waiting steps whose repeats are not rework
    waiting_repeats: dict[str, int] = field(default_factory=dict)  # not-counted step → its repeats (> 0)

    section_id: ClassVar[str] = "rework"
    section_title: ClassVar[str] = N_("Rework")
    section_template: ClassVar[str] = "section_handoffs_part.html.j2"

    @cached_property
    def per_case(self) -> pd.DataFrame:
        """Per ticket: ``case_id, repetitions, self_loops, repeats, redos, rework_s`` (fetched on first use)."""
        df = to_frame(self.per_case_table, [CASE])
        return df.astype({**{c: "int64" for c in METRICS}, "rework_s": "float64"})

    def ticket_ids(self, kind: ReworkKind = "repetitions") -> set[str]:
        """Ids of tickets with at least one repetition (or ``kind='self_loops'``, 'redos', ...)."""
        t = self.per_case_table
        return set(t.filter(t[kind] > 0).select(CASE).to_pandas()[CASE])

    def tickets(self, kind: ReworkKind = "repetitions") -> set[str]:
        """Deprecated: the ids are :meth:`ticket_ids` ("tickets" is a number in cspm)."""
        warnings.warn("Rework.tickets() returns ids and is deprecated; use ticket_ids()", DeprecationWarning, stacklevel=2)
        return self.ticket_ids(kind)

    def table(self, level: Literal["case", "activity", "agent", "log"] = "case") -> pd.DataFrame:
        """The metric at ``level``: 'case' (the main table), 'activity', 'agent' or 'log'."""
        if level == "log":
            return pd.DataFrame([self.summary()])
        if level == "case":
            return self.per_case
        return {"activity": self.per_activity, "agent": self.per_agent}[level]

    def referral_matrix(self, kind: Literal["repetition", "self-loop"] = "repetition") -> pd.DataFrame:
        """Whose work is redone by whom: rows original agent, columns redoing agent."""
        r = self.referral[self.referral["kind"] == kind]
        if r.empty:
            return pd.DataFrame()
        return r.pivot_table(index="original_agent", columns="redo_agent", values="redos", aggfunc="sum", fill_value=0)

    def _summary(self) -> ReworkSummary:
        t = self.totals
        n = t["tickets"]
        return ReworkSummary(
            **{k: t[k] for k in METRICS},
            tickets_with_repetitions=t["tickets_with_repetitions"],
            tickets_with_self_loops=t["tickets_with_self_loops"],
            share_tickets_with_rework=_share(t["tickets_with_repetitions"], n),
            share_tickets_with_self_loops=_share(t["tickets_with_self_loops"], n),
            rework_hours=round(float(t["rework_s"]) / 3600, 2),
            most_repeated=[
                RepeatedActivity(activity=r.activity, repetitions=int(r.repetitions), self_loops=int(r.self_loops))
                for r in self.per_activity.head(3).itertuples()
            ],
            not_counted=list(self.not_counted),
            waiting_repeats=dict(self.waiting_repeats),
        )

    def section_context(self) -> dict[str, Any]:
        s = self._summary()
        line = _(
            "{share} of tickets repeat a step after other steps ({repetitions} repetitions), {share_self} repeat one "
            "immediately ({self_loops} self-loops); {repeats} repeats by the same agent, {redos} redos by another."
        ).format(share=f"{s.share_tickets_with_rework:.1%}", repetitions=f"{s.repetitions:,}",
                 share_self=f"{s.share_tickets_with_self_loops:.1%}", self_loops=f"{s.self_loops:,}",
                 repeats=f"{s.repeats:,}", redos=f"{s.redos:,}")  # fmt: skip
        if s.waiting_repeats:
            line += sentence_gap() + _("Repeats of waiting steps are not counted: {steps}.").format(
                steps=", ".join(f"{n} ({k:,})" for n, k in s.waiting_repeats.items()))  # fmt: skip
        return {
            "lines": [line],
            "tables": [{"caption": _("Repeated activities"), "rows": rows(self.per_activity, ACTIVITY_COLUMNS)}],
        }

    def __repr__(self) -> str:
        t = self.totals
        return f"Rework(repetitions={t['repetitions']}, self_loops={t['self_loops']}, repeats={t['repeats']}, redos={t['redos']})"


def rework(log: TicketLog, config: Config | None = None, *, not_counted: list[str] | None = None) -> Rework:
    """Repetitions and self-loops, split into repeats and redos (edeaR's definitions), without the
    repeats of waiting steps (``not_counted``, default :func:`status_steps` of ``config``)."""
    skip = status_steps(log, config) if not_counted is None else list(not_counted)
    red = repeated_table(log, skip)
    metrics = {
        "repetitions": red.repetition.cast("int64").sum(),
        "self_loops": red.self_loop.cast("int64").sum(),
        "repeats": red.repeat.cast("int64").sum(),
        "redos": red.redo.cast("int64").sum(),
    }
    per_red = red.group_by(CASE).aggregate(**metrics, rework_s=red.interval_s.sum())
    cases = lead_time_table(log).select(CASE)
    per_case = cases.left_join(per_red, CASE).select(
        cases[CASE],
        **{c: per_red[c].fill_null(0) for c in metrics},
        rework_s=per_red.rework_s.cast("float64").fill_null(0.0),
    )
    per_activity = red.group_by(ACTIVITY).aggregate(**metrics, tickets=red[CASE].nunique(), rework_s=red.interval_s.sum())
    per_agent = red.filter(red.agent.notnull()).group_by("agent").aggregate(**metrics)
    redo = red.filter(red.redo)
    referral = redo.group_by(
        [redo.compared_agent.name("original_agent"), redo.agent.name("redo_agent"),
         ibis.ifelse(redo.self_loop, "self-loop", "repetition").name("kind")]
    ).aggregate(redos=redo.count())  # fmt: skip
    totals = red.aggregate(
        **metrics,
        tickets_with_repetitions=red[CASE].nunique(where=red.repetition),
        tickets_with_self_loops=red[CASE].nunique(where=red.self_loop),
        rework_s=red.interval_s.sum(),
    ).to_pandas().iloc[0]
    size = lead_time_table(log)
    size = size.aggregate(tickets=size.count(), events=size.events.sum()).to_pandas().iloc[0]
    pa = to_frame(per_activity, [ACTIVITY])
    pa = pa.sort_values(["repetitions", "self_loops", ACTIVITY], ascending=[False, False, True], kind="stable")
    pg = to_frame(per_agent, ["agent"])
    pg = pg.sort_values(["redos", "agent"], ascending=[False, True], kind="stable")
    return Rework(
        per_case_table=per_case,
        per_activity=pa.reset_index(drop=True),
        per_agent=pg.reset_index(drop=True),
        referral=to_frame(referral, ["original_agent", "redo_agent", "kind"]),
        totals={
            **{k: as_int(totals[k]) for k in (*METRICS, "tickets_with_repetitions", "tickets_with_self_loops")},
            "rework_s": _f(totals["rework_s"]) or 0.0,
            "tickets": as_int(size["tickets"]),
        },
        events=as_int(size["events"]),
        not_counted=skip,
        waiting_repeats=waiting_repeats(log.events, skip),
    )


# ----------------------------------------------------------------------------- approval loops
class ApprovalSummary(Record):
    """Approval steps, approval rounds and rejection → resubmission cycles of a log."""

    approval_activities: list[str]
    rejection_activities: list[str]
    resubmission_activities: list[str]
    tickets_with_approval: int
    approval_steps_per_ticket_mean: float | None
    approval_steps_per_approval_ticket_mean: float | None
    tickets_with_loops: int = Field(description="tickets with two or more approval rounds")
    extra_rounds: int = Field(description="approval rounds after each ticket's first")
    rejection_cycles: int
    extra_round_hours: float
    rounds_distribution: dict[str, int] = Field(description="approval rounds → tickets")


@dataclass(eq=False)
class ApprovalLoops(Result):
    """Approval steps and rounds per ticket, rejection → resubmission cycles."""

    approval_activities: list[str]
    rejection_activities: list[str]
    resubmission_activities: list[str]
    per_case_table: ir.Table  # case_id, approval_steps, approval_rounds, rejection_cycles, extra_rounds_s, entry
    _distributions: dict[str, pd.DataFrame] = field(default_factory=dict, init=False, repr=False)

    section_id: ClassVar[str] = "approval-loops"
    section_title: ClassVar[str] = N_("Approval loops")
    section_template: ClassVar[str] = "section_handoffs_part.html.j2"

    @cached_property
    def per_case(self) -> pd.DataFrame:
        """Per ticket: ``case_id, approval_steps, approval_rounds, rejection_cycles, extra_rounds_s,
        entry`` (the activity that starts a round; fetched on first use)."""
        df = to_frame(self.per_case_table, [CASE])
        types = {c: "int64" for c in ("approval_steps", "approval_rounds", "rejection_cycles")}
        return df.astype({**types, "extra_rounds_s": "float64"})

    def table(self) -> pd.DataFrame:
        return self.per_case

    def ticket_ids(self, min_rounds: int = 2) -> set[str]:
        """Ids of the tickets with at least ``min_rounds`` approval rounds (2 = an approval loop)."""
        t = self.per_case_table
        return set(t.filter(t.approval_rounds >= min_rounds).select(CASE).to_pandas()[CASE])

    def tickets(self, min_rounds: int = 2) -> set[str]:
        """Deprecated: the ids are :meth:`ticket_ids` ("tickets" is a number in cspm)."""
        warnings.warn("ApprovalLoops.tickets() returns ids and is deprecated; use ticket_ids()", DeprecationWarning,
                      stacklevel=2)  # fmt: skip
        return self.ticket_ids(min_rounds)

    def distribution(self, of: Literal["approval_steps", "approval_rounds", "rejection_cycles"] = "approval_steps") -> pd.DataFrame:
        """Tickets by approval steps (or ``of='approval_rounds'``): ``<of>, tickets, share``."""
        if of not in self._distributions:
            t = self.per_case_table
            g = to_frame(t.group_by(of).aggregate(tickets=t.count()), [of])
            self._distributions[of] = g.astype({of: "int64", "tickets": "int64"})
        df = self._distributions[of].copy()
        return df.assign(share=df["tickets"] / max(int(df["tickets"].sum()), 1))

    @cached_property
    def _totals(self) -> dict[str, Any]:
        t = self.per_case_table
        row = t.aggregate(
            tickets=t.count(),
            steps=t.approval_steps.sum(),
            with_approval=(t.approval_steps > 0).cast("int64").sum(),
            with_loops=(t.approval_rounds >= 2).cast("int64").sum(),
            extra_rounds=ibis.greatest(t.approval_rounds - 1, 0).sum(),
            rejection_cycles=t.rejection_cycles.sum(),
            extra_rounds_s=t.extra_rounds_s.sum(),
        ).to_pandas().iloc[0]
        return {k: (_f(v) or 0.0) if k == "extra_rounds_s" else as_int(v) for k, v in row.items()}

    def _summary(self) -> ApprovalSummary:
        t = self._totals
        return ApprovalSummary(
            approval_activities=self.approval_activities,
            rejection_activities=self.rejection_activities,
            resubmission_activities=self.resubmission_activities,
            tickets_with_approval=t["with_approval"],
            approval_steps_per_ticket_mean=round(t["steps"] / t["tickets"], 4) if t["tickets"] else None,
            approval_steps_per_approval_ticket_mean=round(t["steps"] / t["with_approval"], 4)
            if t["with_approval"]
            else None,
            tickets_with_loops=t["with_loops"],
            extra_rounds=t["extra_rounds"],
            rejection_cycles=t["rejection_cycles"],
            extra_round_hours=round(t["extra_rounds_s"] / 3600, 2),
            rounds_distribution={
                str(int(r.approval_rounds)): int(r.tickets) for r in self.distribution("approval_rounds").itertuples()
            },
        )

    def section_context(self) -> dict[str, Any]:
        s = self._summary()
        names = ", ".join(self.approval_activities) or "none found"
        line = (
            f"Approval activities: {names}. {s.tickets_with_approval:,} tickets pass approval, "
            f"{s.tickets_with_loops:,} of them twice or more ({s.extra_rounds:,} extra rounds, "
            f"{s.rejection_cycles:,} rejection → resubmission cycles)."
        )
        dist = self.distribution()
        table = rows(dist.assign(share=dist["share"].map("{:.1%}".format)),
                     {"approval_steps": "approval steps", "tickets": "tickets", "share": "share"})  # fmt: skip
        return {"lines": [line], "tables": [{"caption": "Tickets by approval steps", "rows": table}]}

    def __repr__(self) -> str:
        return (f"ApprovalLoops(activities={self.approval_activities}, "
                f"tickets_with_loops={self._totals['with_loops']})")  # fmt: skip


def approval_names(names: list[str], config: Config | None = None) -> tuple[list[str], list[str], list[str]]:
    """(approval, rejection, resubmission) activity names among ``names``."""
    exact = list(config.value_classes.approval) if config is not None else []
    reject = matching(names, [], REJECTION_KEYWORDS)
    resub = matching(names, [], RESUBMISSION_KEYWORDS)
    approval = [n for n in matching(names, exact, APPROVAL_KEYWORDS) if n not in reject and n not in resub]
    return approval, reject, resub


def approval_events(events: ir.Table, approval: list[str], reject: list[str], resub: list[str]) -> ir.Table:
    """Events of the cases with an approval-class event or a rejection, with ``is_approval``,
    ``is_entry`` (a round starts), ``entry_seen``, ``entries``, ``cycle``, ``extra_round``."""
    w = case_window()
    cum = ibis.cumulative_window(group_by=CASE, order_by=[TIMESTAMP, ROW])
    relevant = [*approval, *reject]
    if not relevant:
        events = events.filter(ibis.literal(False))
    else:
        cases = events.filter(events[ACTIVITY].isin(relevant)).select(CASE).distinct()
        events = events.semi_join(cases, CASE)
    t = events.select(CASE, ACTIVITY, TIMESTAMP, ROW)
    is_appr = t[ACTIVITY].isin(approval) if approval else ibis.literal(False)
    is_rej = t[ACTIVITY].isin(reject) if reject else ibis.literal(False)
    is_res = t[ACTIVITY].isin(resub) if resub else ibis.literal(False)
    t = t.mutate(is_approval=is_appr, is_rejection=is_rej, is_resubmission=is_res)
    a = t.filter(t.is_approval)
    a = a.mutate(_n=ibis.row_number().over(w))
    entry = a.filter(a._n == 0).select(CASE, entry=a[ACTIVITY])
    t = t.left_join(entry, CASE).drop(f"{CASE}_right")
    t = t.mutate(is_entry=t.entry.notnull() & (t[ACTIVITY] == t.entry))
    t = t.mutate(
        entry_seen=t.is_entry.cast("int64").sum().over(cum),
        entries=t.is_entry.cast("int64").sum().over(ibis.window(group_by=CASE)),
        resub_seen=t.is_resubmission.cast("int64").sum().over(cum),
        resubs=t.is_resubmission.cast("int64").sum().over(ibis.window(group_by=CASE)),
    )
    extra = (t.entries >= 2) & (
        (t.is_entry & (t.entry_seen >= 2)) | (~t.is_entry & (t.entry_seen >= 1) & (t.entry_seen < t.entries))
    )
    return t.mutate(
        extra_round=extra,
        cycle=t.is_rejection & (t.resubs > t.resub_seen),
        interval_s=epoch_seconds(t[TIMESTAMP]) - epoch_seconds(t[TIMESTAMP].lag().over(w)),
    )


def approval_loops(log: TicketLog, config: Config | None = None) -> ApprovalLoops:
    """Approval steps, rounds and rejection cycles per ticket."""
    approval, reject, resub = approval_names(activity_names(log.events), config)
    t = approval_events(log.events, approval, reject, resub)
    per = t.group_by(CASE).aggregate(
        approval_steps=(t.is_approval | t.is_rejection).cast("int64").sum(),
        approval_rounds=t.is_entry.cast("int64").sum(),
        rejection_cycles=t.cycle.cast("int64").sum(),
        extra_rounds_s=ibis.ifelse(t.extra_round, t.interval_s, 0).sum(),
        entry=t.entry.max(),
    ).cache()  # the few tickets with an approval step
    cases = lead_time_table(log).select(CASE)
    per_case = cases.left_join(per, CASE).select(
        cases[CASE],
        **{c: per[c].fill_null(0) for c in ("approval_steps", "approval_rounds", "rejection_cycles")},
        extra_rounds_s=per.extra_rounds_s.cast("float64").fill_null(0.0),
        entry=per.entry,
    )
    return ApprovalLoops(approval, reject, resub, per_case)


# ------------------------------------------------------------------------------ process loops
class Loop(Record):
    cycle: str = Field(description="'A → B → A'")
    tickets: int
    traversals: int
    median_s: float | None = Field(description="median time of one pass")


class ProcessLoopsSummary(Record):
    """The most common cycles of the directly-follows graph."""

    max_length: int
    cycles_found: int = Field(description="cycles of the graph up to max_length")
    top: list[Loop]


CYCLE_COLUMNS = {"cycle": N_("loop"), "tickets": N_("tickets"), "traversals": N_("passes"), "median_s": N_("median per pass")}


@dataclass(eq=False)
class ProcessLoops(Result):
    """Cycles of the directly-follows graph with the tickets that run through them."""

    dfg: pd.DataFrame  # source, target, count, tickets
    cycles: pd.DataFrame  # cycle, length, traversals, tickets, total_s, median_s
    max_length: int = 4
    candidates: int = 0  # cycles of the DFG up to max_length (before taking the top ones)

    section_id: ClassVar[str] = "process-loops"
    section_title: ClassVar[str] = N_("Loops in the process")
    section_template: ClassVar[str] = "section_handoffs_part.html.j2"

    def graph(self) -> nx.DiGraph:
        g = nx.DiGraph()
        for r in self.dfg.itertuples(index=False):
            g.add_edge(r.source, r.target, count=int(r.count), tickets=int(r.tickets))
        return g

    def table(self) -> pd.DataFrame:
        return self.cycles

    def _summary(self) -> ProcessLoopsSummary:
        return ProcessLoopsSummary(
            max_length=self.max_length,
            cycles_found=self.candidates,
            top=[
                Loop(cycle=r.cycle, tickets=int(r.tickets), traversals=int(r.traversals), median_s=_f(r.median_s))
                for r in self.cycles.head(5).itertuples()
            ],
        )

    def section_context(self) -> dict[str, Any]:
        line = f"{self.candidates:,} cycles of up to {self.max_length} steps in the directly-follows graph."
        return {
            "lines": [line],
            "tables": [{"caption": "Loops in the process", "rows": rows(self.cycles, CYCLE_COLUMNS)}],
        }

    def __repr__(self) -> str:
        return f"ProcessLoops(cycles={len(self.cycles)}, max_length={self.max_length})"


def dfg(events: ir.Table) -> ir.Table:
    """Directly-follows counts: ``source, target, count, tickets``."""
    w = case_window()
    t = events.select(CASE, target=events[ACTIVITY], source=events[ACTIVITY].lag().over(w))
    t = t.filter(t.source.notnull())
    return t.group_by(["source", "target"]).aggregate(count=t.count(), tickets=t[CASE].nunique())


def process_loops(log: TicketLog, max_length: int = 4, top: int = 15) -> ProcessLoops:
    """The ``top`` simple cycles (length ≤ ``max_length``) of the DFG by their rarest edge.

    The DFG (``source, target, count, tickets``, as :func:`dfg`) is the log's shared edge frame
    (:func:`cspm.mining.steps.edge_frame`, fetched once per log)."""
    d = edge_frame(log)[["source", "target", "count", "cases"]].rename(columns={"cases": "tickets"})
    d = d.sort_values(["source", "target"], kind="stable").reset_index(drop=True)
    g = nx.DiGraph()
    for r in d.itertuples(index=False):
        g.add_edge(r.source, r.target, count=int(r.count))
    found = []
    for cyc in nx.simple_cycles(g, length_bound=max_length):
        # rotate so the lexicographically smallest activity comes first (stable naming)
        i = cyc.index(min(cyc))
        cyc = cyc[i:] + cyc[:i]
        weakest = min(g.edges[u, v]["count"] for u, v in zip(cyc, cyc[1:] + cyc[:1], strict=True))
        found.append((weakest, cyc))
    found.sort(key=lambda x: (-x[0], len(x[1]), x[1]))
    chosen = [c for _, c in found[:top]]
    cycles = _cycle_usage(log.events, chosen, max_length) if chosen else pd.DataFrame(
        columns=["cycle", "length", "traversals", "tickets", "total_s", "median_s"]
    )
    return ProcessLoops(dfg=d, cycles=cycles, max_length=max_length, candidates=len(found))


def _cycle_usage(events: ir.Table, cycles: list[list[str]], max_length: int) -> pd.DataFrame:
    """Traversals (consecutive runs a1 … ak a1, any rotation), tickets and time of each cycle.

    A position matches at most one simple cycle (the first return to its activity fixes the cycle),
    so each event gets one cycle id and a single grouped aggregate counts them all.
    """
    w = case_window()
    k_max = max(len(c) for c in cycles)
    t = events.select(CASE, ACTIVITY, TIMESTAMP, ROW)
    t = t.mutate(
        **{f"a{k}": t[ACTIVITY].lead(k).over(w) for k in range(1, k_max + 1)},
        **{f"s{k}": epoch_seconds(t[TIMESTAMP].lead(k).over(w)) for k in range(1, k_max + 1)},
        s0=epoch_seconds(t[TIMESTAMP]),
    )
    branches = []
    for i, cyc in enumerate(cycles):
        k = len(cyc)
        for r in range(k):
            rot = cyc[r:] + cyc[:r]
            cond = t[ACTIVITY] == rot[0]
            for j in range(1, k + 1):
                cond = cond & (t[f"a{j}"] == rot[j % k])
            branches.append((cond, i, t[f"s{k}"] - t.s0))
    t = t.mutate(
        cycle_id=ibis.cases(*[(c, i) for c, i, _ in branches], else_=ibis.null("int64")),
        duration_s=ibis.cases(*[(c, d) for c, _, d in branches], else_=ibis.null("float64")),
    )
    hit = t.filter(t.cycle_id.notnull())
    agg = hit.group_by("cycle_id").aggregate(
        traversals=hit.count(),
        tickets=hit[CASE].nunique(),
        total_s=hit.duration_s.sum(),
        median_s=hit.duration_s.median(),
    )
    found = {int(r.cycle_id): r for r in agg.to_pandas().itertuples(index=False)}
    rows = []
    for i, cyc in enumerate(cycles):
        r = found.get(i)
        if r is None:
            continue  # a cycle of the graph that no ticket runs through in one go
        rows.append(
            {
                "cycle": " → ".join([*cyc, cyc[0]]),
                "length": len(cyc),
                "traversals": as_int(r.traversals),
                "tickets": as_int(r.tickets),
                "total_s": _f(r.total_s),
                "median_s": _f(r.median_s),
            }
        )
    df = pd.DataFrame(rows, columns=["cycle", "length", "traversals", "tickets", "total_s", "median_s"])
    return df.sort_values(["tickets", "traversals", "cycle"], ascending=[False, False, True], kind="stable").reset_index(drop=True)


__all__ = [
    "APPROVAL_KEYWORDS",
    "ApprovalLoops",
    "ApprovalSummary",
    "ProcessLoops",
    "ProcessLoopsSummary",
    "Rework",
    "ReworkSummary",
    "approval_events",
    "approval_loops",
    "approval_names",
    "dfg",
    "process_loops",
    "repeated_events",
    "repeated_table",
    "rework",
    "rework_events",
    "status_steps",
    "waiting_repeats",
]
