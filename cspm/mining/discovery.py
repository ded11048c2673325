"""Discovering the actual process: directly-follows relation, activities, variants and cases.

:func:`discover` computes everything on the log's engine from two derived tables built once per log
(the per-event step table, :func:`~cspm.mining.steps.step_table`, and the case table,
:func:`~cspm.mining.cases.case_table`); only the small summaries (one row per edge, activity or
variant) come back as pandas tables. The time conventions are those of :mod:`cspm.mining.steps`;
a case's lead time runs from its first start (or completion) to its last completion.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, get_args

import pandas as pd

from cspm.core.log import TIMESTAMP, TicketLog
from cspm.core.result import Result, json_ready
from cspm.errors import CspmError
from cspm.i18n import N_, format_date
from cspm.i18n import gettext as _
from cspm.mining import pm4py as _pm4py
from cspm.mining.cases import (
    Cases,
    Variants,
    activity_codes,
    build_case_table,
    case_table,
    variant_keys,
    variant_table,
)
from cspm.mining.process_map import MAX_MAP_STEPS, Measure, ProcessMap, edge_cut, map_activities
from cspm.mining.records import DiscoverySummary, Miner, Overview
from cspm.mining.steps import (
    SLOWEST_MIN_COUNT,
    Activities,
    DirectlyFollows,
    activity_frame,
    activity_table,
    edge_frame,
    edge_table,
    step_table,
    steps,
)
from cspm.render.formats import fmt_pct, fmt_thousands
from cspm.render.html import section_html
from cspm.render.report import Report
from cspm.render.workbook import Sheet
from cspm.units import format_duration

__all__ = [
    "MINERS",
    "SLOWEST_MIN_COUNT",
    "Activities",
    "Cases",
    "DirectlyFollows",
    "Discovery",
    "Miner",
    "Variants",
    "activity_codes",
    "activity_stats",
    "activity_table",
    "build_case_table",
    "case_table",
    "directly_follows",
    "discover",
    "edge_table",
    "step_table",
    "steps",
    "variant_keys",
    "variant_table",
    "variants",
]

MINERS: tuple[str, ...] = get_args(Miner)


def directly_follows(log: TicketLog) -> DirectlyFollows:
    """The directly-follows relation of ``log`` (counts, cases and waits per edge)."""
    return DirectlyFollows.compute(log)


def activity_stats(log: TicketLog) -> Activities:
    """Per-activity statistics of ``log``."""
    return Activities.compute(log)


def variants(log: TicketLog) -> Variants:
    """The variants of ``log``, most frequent first, with share and lead-time statistics."""
    return Variants.compute(log)


def project_variants(variants: dict[tuple[str, ...], int], keep: set[str]) -> dict[tuple[str, ...], int]:
    """Each variant with only the steps in ``keep`` (cases that keep none are left out), counts merged."""
    projected: dict[tuple[str, ...], int] = {}
    for v, n in variants.items():
        p = tuple(a for a in v if a in keep)
        if p:
            projected[p] = projected.get(p, 0) + n
    return projected


@dataclass
class Discovery(Result):
    """Everything ``discover`` finds: overview figures, edges, activities, variants, lead times.

    As a report section it is the overview; in a notebook it shows the overview and the lead-time
    distribution. ``table()`` is the overview as one row.
    """

    source: str
    events: int
    cases: int
    first_event: datetime | None
    last_event: datetime | None
    dfg: DirectlyFollows
    activities: Activities
    variants: Variants
    cases_: Cases = field(repr=False)
    log: TicketLog | None = field(default=None, repr=False)

    section_id: ClassVar[str] = "overview"
    section_title: ClassVar[str] = N_("Overview")
    section_template: ClassVar[str] = "section_overview.html.j2"

    @property
    def lead_time(self) -> dict[str, float]:
        return self.cases_.lead_time

    def _overview(self) -> Overview:
        top = self.variants.table.head(1)
        return Overview(
            events=self.events,
            cases=self.cases,
            activities=len(self.activities.table),
            variants=len(self.variants),
            edges=len(self.dfg.edges),
            top_variant_share=float(top.share.iloc[0]) if len(top) else None,
            median_lead_time_seconds=self.lead_time.get("median"),
            first_event=self.first_event,
            last_event=self.last_event,
        )

    def overview(self) -> dict[str, Any]:
        """The headline figures (JSON-ready; times as ISO 8601)."""
        return json_ready(self._overview())

    def process_map(
        self,
        measure: Measure = "frequency",
        *,
        activities: float = 1.0,
        paths: float = 0.0,
        highlight_steps: Iterable[str] = (),
        highlight_edges: Iterable[tuple[str, str]] = (),
    ) -> ProcessMap:
        """The process map (``frequency`` or ``performance``), simplified Disco-style: with
        ``activities < 1`` the log is projected on the most frequent activities and their edges
        re-discovered; highlighted steps/edges (e.g. target breaches) survive the ``paths`` cut."""
        limited = len(self.activities.table) > MAX_MAP_STEPS
        if self.log is not None and (activities < 1.0 or limited):
            base = ProcessMap._projected(self.log, measure, activities)
        else:
            base = ProcessMap.from_discovery(self, measure=measure).simplify(activities=activities)
        if limited and paths <= 0.0:
            paths = edge_cut(base.edges)  # a step-limited map also draws at most MAX_MAP_EDGES edges
        return base.highlight(highlight_steps, highlight_edges).simplify(paths=paths)

    def model(self, noise: float = 0.2, miner: Miner = "inductive") -> _pm4py.ProcessModel:
        """A process model mined by pm4py from the variants (inductive) or the DFG (heuristics).

        ``noise`` is the Inductive Miner's noise threshold; any other ``miner`` is a CspmError.
        """
        if miner not in MINERS:
            supported = ", ".join(repr(m) for m in MINERS)
            raise CspmError(_("unknown process-model miner {miner!r}; the supported miners are {supported}.").format(miner=miner, supported=supported))
        keep = set(map_activities(self.activities.table))  # at most MAX_MAP_STEPS, as the maps
        limited = len(keep) < len(self.activities.table)
        if miner == "heuristics":
            d = self.dfg
            edges, acts = d.counts(), self.activities.counts()
            if limited:
                edges = {e: n for e, n in edges.items() if e[0] in keep and e[1] in keep}
                acts = {a: n for a, n in acts.items() if a in keep}
            starts = {a: n for a, n in d.start_activities.items() if not limited or a in keep}
            ends = {a: n for a, n in d.end_activities.items() if not limited or a in keep}
            return _pm4py.heuristics_model(edges, acts, starts, ends)
        variants = self.variants.counts()
        if limited:  # each variant projected on the kept steps (see step_limit_note)
            variants = project_variants(variants, keep)
        return _pm4py.inductive_model(variants, noise=noise)

    # --- Result ------------------------------------------------------------------------------
    def _summary(self) -> DiscoverySummary:
        cases = self.cases_._summary()
        return DiscoverySummary(
            source=self.source,
            overview=self._overview(),
            lead_time_seconds=cases.lead_time_seconds,
            events_per_case=cases.events_per_case,
            activities=self.activities.records(),
            start_activities=dict(self.dfg.start_activities),
            end_activities=dict(self.dfg.end_activities),
            slowest_transitions=self.dfg.slowest_records(),
            variants=self.variants._summary(),
        )

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([self.overview()])

    def workbook_sheets(self) -> list[Sheet]:
        """The overview as figure / value / unit rows (lead times in hours)."""
        ov, lead = self._overview(), self.lead_time
        hours = {k: (None if lead.get(k) is None else lead[k] / 3600) for k in ("median", "p90", "mean")}
        rows = [
            ("tickets", ov.cases, "count"), ("events", ov.events, "count"), ("activities", ov.activities, "count"),
            ("variants", ov.variants, "count"), ("transitions", ov.edges, "count"),
            ("top variant share", ov.top_variant_share, "%"), ("median lead time", hours["median"], "h"),
            ("P90 lead time", hours["p90"], "h"), ("mean lead time", hours["mean"], "h"),
            ("first event", ov.first_event, "UTC"), ("last event", ov.last_event, "UTC"),
        ]  # fmt: skip
        frame = pd.DataFrame(rows, columns=["figure", "value", "unit"]).astype({"value": object})
        return [Sheet("Overview", frame, row_unit=("value", "unit"), note=_("Source: {source}").format(source=self.source))]

    def section_context(self) -> dict[str, Any]:
        ov = self._overview()
        lead = self.lead_time
        share = ov.top_variant_share
        figures = [
            (_("Cases"), fmt_thousands(ov.cases)),
            (_("Events"), fmt_thousands(ov.events)),
            (_("Activities"), fmt_thousands(ov.activities)),
            (_("Variants"), fmt_thousands(ov.variants)),
            (_("Top variant share"), fmt_pct(share) if share is not None else "–"),
            (_("Median lead time"), format_duration(lead.get("median"))),
            (_("P90 lead time"), format_duration(lead.get("p90"))),
            (_("Mean lead time"), format_duration(lead.get("mean"))),
        ]
        first, last = self.first_event, self.last_event
        period = f"{format_date(first)} – {format_date(last)}" if first and last else "–"
        return {"figures": figures, "source": self.source, "period": period}

    def _shown(self) -> list[Result]:
        """What a notebook and the standalone page show: the overview and the lead-time distribution."""
        return [self, self.cases_]

    def _repr_html_(self) -> str:
        return "".join(section_html(s) for s in self._shown())  # type: ignore[arg-type]

    def html_page(self) -> str:
        return Report(title=f"Discovery of {self.source}", sections=self._shown()).render()  # type: ignore[arg-type]


def discover(log: TicketLog) -> Discovery:
    """Discover the process of ``log``: edges, activities, variants and lead times (on its engine).

    The per-event steps and the case table are each built once per log (``log.derived``) and
    shared with the process maps, the variant filters and conformance.
    """
    events = log.events
    base = events.aggregate(n=events.count(), first=events[TIMESTAMP].min(), last=events[TIMESTAMP].max())
    row = base.to_pandas().iloc[0]
    acts = activity_frame(log)
    edges = edge_frame(log)
    cases = Cases.compute(log)

    def when(v: Any) -> datetime | None:
        return None if pd.isna(v) else pd.Timestamp(v).to_pydatetime()

    return Discovery(
        source=log.source,
        events=int(row.n),
        cases=cases.cases,
        first_event=when(row["first"]),
        last_event=when(row["last"]),
        dfg=DirectlyFollows._from_tables(edges, acts[["activity", "starts", "ends"]]),
        activities=Activities._from_table(acts),
        variants=Variants.compute(log),
        cases_=cases,
        log=log,
    )
