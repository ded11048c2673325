"""The "Handoffs and loops" analysis: handoffs, ping-pong, rework, approval loops, process loops and
what they cost, in one call (:func:`handoffs`, public as :func:`cspm.handoffs`).

The parts share the log's derived tables (visits, lead times, returns, repeated events: built once
per log through ``log.derived``); the per-ticket tables stay on the engine and every figure is an
engine aggregation. :meth:`HandoffAnalysis.to_pandas` joins the per-ticket tables into one frame.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import ibis.expr.types as ir
import pandas as pd

from cspm.analysis.handoffs.findings import handoff_findings, section_context
from cspm.analysis.handoffs.handoffs import Handoffs, HandoffsSummary
from cspm.analysis.handoffs.handoffs import handoffs as handoffs_at
from cspm.analysis.handoffs.pingpong import PingPong, PingPongSummary, ping_pong
from cspm.analysis.handoffs.redundancy import Redundancy, RedundancySummary, redundancy
from cspm.analysis.handoffs.rework import (
    ApprovalLoops,
    ApprovalSummary,
    ProcessLoops,
    ProcessLoopsSummary,
    Rework,
    ReworkSummary,
    approval_loops,
    process_loops,
    rework,
    status_steps,
)
from cspm.analysis.handoffs.visits import Level, Missing
from cspm.config import Config, as_config
from cspm.core.expr import to_frame
from cspm.core.log import CASE, TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.render.workbook import Sheet

__all__ = ["HandoffAnalysis", "HandoffAnalysisSummary", "analyse_handoffs", "handoffs"]

PER_CASE_COLUMNS = {
    "ping_pong": ["ping_pong", "direct", "indirect", "bounces", "away_s"],
    "rework": ["repetitions", "self_loops", "repeats", "redos"],
    "approvals": ["approval_steps", "approval_rounds", "rejection_cycles"],
    "redundancy": ["redundant_events", "redundant_s"],
}


class HandoffAnalysisSummary(Record):
    """Everything of the "Handoffs and loops" section."""

    source: str
    findings: list[str]
    handoffs: HandoffsSummary
    ping_pong: PingPongSummary
    rework: ReworkSummary
    approvals: ApprovalSummary
    loops: ProcessLoopsSummary
    redundancy: RedundancySummary


@dataclass(eq=False)
class HandoffAnalysis(Result):
    """Handoffs, ping-pong, rework, approval loops, process loops and what they cost: the report
    section "Handoffs and loops"."""

    handoffs: Handoffs
    ping_pong: PingPong
    rework: Rework
    approvals: ApprovalLoops
    loops: ProcessLoops
    redundancy: Redundancy
    source: str = "<memory>"

    section_id: ClassVar[str] = "handoffs"
    section_title: ClassVar[str] = N_("Handoffs and loops")
    section_template: ClassVar[str] = "section_handoffs.html.j2"

    def findings(self) -> list[str]:
        """The top findings in plain language."""
        return list(self._findings)

    @cached_property
    def _findings(self) -> list[str]:
        return handoff_findings(self)

    @property
    def per_case_table(self) -> ir.Table:
        """Per ticket, on the engine: handoffs, ping-pong, rework, approval rounds, redundant time."""
        t = self.handoffs.per_case_table
        for part, cols in PER_CASE_COLUMNS.items():
            other = getattr(self, part).per_case_table
            t = t.left_join(other, CASE).select(t, *[other[c] for c in cols])
        return t

    @cached_property
    def per_case(self) -> pd.DataFrame:
        """:attr:`per_case_table` as a pandas frame (fetched on first use)."""
        return to_frame(self.per_case_table, [CASE])

    def table(self) -> pd.DataFrame:
        return self.per_case

    def workbook_sheets(self) -> list[Sheet]:
        """Handoffs between units and the ping-pong pairs (team returned to, team it went to)."""
        level = self.handoffs.level
        return [
            Sheet("Handoffs", self.handoffs.edges, note=_("Handoffs between {units}").format(units=_("teams") if level == "team" else _("agents"))),
            Sheet("Ping-pong pairs", self.ping_pong.pairs(), note=_("Returns to a {unit} after leaving it").format(unit=_(level))),
        ]

    def _summary(self) -> HandoffAnalysisSummary:
        return HandoffAnalysisSummary(
            source=self.source,
            findings=self.findings(),
            handoffs=self.handoffs._summary(),
            ping_pong=self.ping_pong._summary(),
            rework=self.rework._summary(),
            approvals=self.approvals._summary(),
            loops=self.loops._summary(),
            redundancy=self.redundancy._summary(),
        )

    def section_context(self) -> dict[str, Any]:
        return section_context(self)

    def render_html(self) -> str:
        """The section as an HTML fragment (the report's template and environment)."""
        return self._repr_html_()

    def __repr__(self) -> str:
        return f"HandoffAnalysis(source={self.source!r}, level={self.handoffs.level!r}):\n" + "\n".join(
            f"  • {f}" for f in self.findings()
        )


def handoffs(
    log: TicketLog,
    config: Config | str | Path | None = None,
    *,
    level: Level = "team",
    column: str | None = None,
    missing: Missing = "skip",
    max_cycle_length: int = 4,
) -> HandoffAnalysis:
    """Everything of the "Handoffs and loops" section in one call.

    ``level`` ``"team"`` or ``"agent"`` (or any ``column``); ``missing`` decides whether events
    without a value are skipped or break a visit; ``config`` (a :class:`~cspm.config.Config`, a
    path or None) supplies the approval and waiting value classes (repeats of waiting steps are not
    rework) and the hourly cost rate; ``max_cycle_length`` bounds the process loops searched.
    Raises :class:`~cspm.errors.MissingColumnError` when the log has no such column.
    """
    cfg = as_config(config)
    h = handoffs_at(log, level, column=column, missing=missing)
    pp = ping_pong(log, level, column=column, missing=missing)
    skip = status_steps(log, cfg)  # waiting steps: their repeats are not rework
    rw = rework(log, cfg, not_counted=skip)
    ap = approval_loops(log, cfg)
    lp = process_loops(log, max_length=max_cycle_length)
    names = (ap.approval_activities, ap.rejection_activities, ap.resubmission_activities)
    rd = redundancy(log, cfg, level, column=column, missing=missing, names=names, not_counted=skip)
    return HandoffAnalysis(h, pp, rw, ap, lp, rd, source=log.source)


def analyse_handoffs(
    log: TicketLog,
    config: Config | str | Path | None = None,
    level: Level = "team",
    *,
    column: str | None = None,
    missing: Missing = "skip",
    max_cycle_length: int = 4,
) -> HandoffAnalysis:
    """Deprecated name of :func:`handoffs` (``cspm.handoffs``); warns with a DeprecationWarning."""
    warnings.warn("analyse_handoffs() is deprecated; use cspm.handoffs()", DeprecationWarning, stacklevel=2)
    return handoffs(log, config, level=level, column=column, missing=missing, max_cycle_length=max_cycle_length)
