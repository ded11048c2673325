"""The "Root causes" section of ``cspm discover``: the drivers of the headline problems — the worst
bottleneck (its step target breached, or, without targets, a wait above the step's P85) and
ping-pong — one :class:`~cspm.analysis.drivers.analysis.DriverAnalysis` each."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from pydantic import Field

from cspm.analysis.drivers.analysis import DriverAnalysis, DriversSummary, drivers
from cspm.analysis.waiting import WaitingAnalysis
from cspm.config import Config, as_config
from cspm.core.log import TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.i18n import N_
from cspm.i18n import gettext as _

__all__ = ["RootCauseDriver", "RootCauseEntry", "RootCauses", "RootCausesSummary", "bottleneck_outcome", "root_causes"]

TOP_ENTRY = 3  # significant drivers per outcome in summary.json


class RootCausesSummary(Record):
    """The drivers of each headline outcome."""

    outcomes: list[DriversSummary] = Field(description="one driver analysis per headline outcome")
    notes: list[str]


class RootCauseDriver(Record):
    """One significant driver value of a headline outcome (definitions in :mod:`.ranking`)."""

    driver: str
    value: str
    tickets: int
    rate: float
    rate_rest: float | None
    lift: float | None
    q: float | None
    evidence: str = Field(description="'rate', 'hours' or 'rate and hours'")


class RootCauseEntry(Record):
    """One headline outcome of ``summary.json → root_causes``."""

    outcome: str = Field(description="the outcome spec, e.g. 'breach:Assign L2', 'ping_pong'")
    label: str
    population: str
    tickets: int = Field(description="tickets in the population")
    outcomes: int = Field(description="tickets with the outcome")
    rate: float | None
    tested: int = Field(description="driver values tested")
    significant: int = Field(description="of them significant (q < alpha)")
    top: list[RootCauseDriver] = Field(description="the strongest significant values (at most 3)")
    finding: str = Field(description="the headline line, naming the outcome")


@dataclass(eq=False)
class RootCauses(Result):
    """The driver analyses of the headline outcomes, as one report section."""

    analyses: list[DriverAnalysis]
    notes: list[str] = field(default_factory=list)

    section_id: ClassVar[str] = "root-causes"
    section_title: ClassVar[str] = N_("Root causes")
    section_template: ClassVar[str] = "section_root_causes.html.j2"

    def table(self) -> pd.DataFrame:
        """The top drivers of every outcome, with the outcome's spec in the first column."""
        parts = [a.top().assign(outcome=a.outcome.spec) for a in self.analyses]
        if not parts:
            return pd.DataFrame()
        t = pd.concat(parts, ignore_index=True)
        return t[["outcome", *[c for c in t.columns if c != "outcome"]]]

    def findings(self) -> list[str]:
        """Per outcome, which outcome it is and its strongest driver (or that none was found)."""
        out = []
        for a in self.analyses:
            t = a.totals
            out.append(_("Root causes of {outcome} — {k} of {n} {population}: {finding}").format(
                outcome=a.outcome.label, k=f"{t['outcomes']:,}", n=f"{t['tickets']:,}", population=a.outcome.population,
                finding=a.findings[1] if len(a.findings) > 1 else a.findings[0]))  # fmt: skip
        return out

    def entries(self) -> list[RootCauseEntry]:
        """The compact per-outcome records of ``summary.json → root_causes``."""
        out = []
        for a, line in zip(self.analyses, self.findings(), strict=True):
            t = a.ranked
            sig = t[t["significant"]].head(TOP_ENTRY)
            out.append(RootCauseEntry(
                outcome=a.outcome.spec, label=a.outcome.label, population=a.outcome.population,
                tickets=a.totals["tickets"], outcomes=a.totals["outcomes"], rate=a.totals["rate"], tested=len(t),
                significant=int(t["significant"].sum()),
                top=RootCauseDriver.from_frame(sig[["driver", "value", "tickets", "rate", "rate_rest", "lift", "q", "evidence"]]),
                finding=line))  # fmt: skip
        return out

    def _summary(self) -> RootCausesSummary:
        return RootCausesSummary(outcomes=[a._summary() for a in self.analyses], notes=self.notes)

    def section_context(self) -> dict[str, Any]:
        return {"parts": [a.section_context() for a in self.analyses], "notes": self.notes}


def bottleneck_outcome(waiting: WaitingAnalysis) -> str | None:
    """The outcome of the worst bottleneck: ``breach:STEP`` of the first ranked step target on the
    wait, else ``wait:STEP>P85`` of the step with the most waiting; None without waits."""
    r = waiting.ranking
    if r.empty:
        return None
    if waiting.ranking_basis == "excess over target":
        waits = r[(r["kind"] == "step") & (r["measure"] == "wait")]
        return f"breach:{waits.iloc[0]['step']}" if not waits.empty else None
    top = r.iloc[0]
    if pd.isna(top["p85_h"]) or top["p85_h"] <= 0:
        return None
    return f"wait:{top['step']}>{top['p85_h'] * 3600:.0f}s"


def root_causes(
    log: TicketLog, config: Config | str | Path | None = None, *, waiting: WaitingAnalysis | None = None,
    bootstrap: int = 2000,
) -> RootCauses:  # fmt: skip
    """The drivers of the worst bottleneck (from ``waiting``, when given) and of ping-pong (when the
    log has teams or agents)."""
    cfg = as_config(config)
    specs = []
    notes = []
    spec = bottleneck_outcome(waiting) if waiting is not None else None
    if spec:
        specs.append(spec)
    else:
        notes.append(_("No bottleneck to explain (no waits ranked)."))
    if log.has_team or log.has_agent:
        specs.append("ping_pong")
    analyses = [drivers(log, cfg, outcome=s, bootstrap=bootstrap) for s in specs]
    return RootCauses(analyses, notes)
