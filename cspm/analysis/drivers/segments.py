"""Segment comparison: the KPIs and waits of each value of one attribute side by side (the slide a
consultant shows: email vs phone vs web), each value tested against the rest.

Measures (rows): lead time above its P90, ping-pong, rework, reopen and not first-contact-resolved
(where the log supports them) and every configured step target on the wait (``breach:STEP``). Per
measure and segment value: tickets, the rate, the median hours (lead time, or the wait before the
step), and the q-values of the rate test and of the hours test — the same tests and definitions as
:mod:`cspm.analysis.drivers.ranking`, BH-corrected within each measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from cspm.analysis.drivers.features import Features, FeatureSettings, feature_table, long_features
from cspm.analysis.drivers.outcomes import HEADLINE_OUTCOMES, OutcomeError, outcome
from cspm.analysis.drivers.ranking import rank_values
from cspm.analysis.intervals import Semantics, check_clock
from cspm.config import Clock, Config, as_config
from cspm.core.log import TicketLog
from cspm.core.records import Record
from cspm.core.result import Result
from cspm.i18n import gettext as _
from cspm.units import format_hours

__all__ = ["SegmentComparison", "SegmentRow", "segments"]

_COLUMNS = ["measure", "outcome", "segment", "tickets", "rate", "median_h", "q", "q_hours", "significant"]


class SegmentRow(Record):
    """One measure for one segment value."""

    measure: str
    outcome: str
    segment: str
    tickets: int
    rate: float
    median_h: float | None
    q: float | None
    q_hours: float | None
    significant: bool


class SegmentSummary(Record):
    source: str
    column: str
    driver: str
    segments: list[str]
    rows: list[SegmentRow]
    notes: list[str]


@dataclass(eq=False)
class SegmentComparison(Result):
    """Per measure and segment value (``table``: long form; :meth:`side_by_side`: one column per value)."""

    column: str
    driver: str
    frame: pd.DataFrame
    notes: list[str]
    source: str = "<memory>"

    section_id: ClassVar[str] = "segments"
    section_title: ClassVar[str] = "Segments side by side"
    section_template: ClassVar[str] = "section_handoffs_part.html.j2"

    def table(self) -> pd.DataFrame:
        return self.frame

    def side_by_side(self) -> pd.DataFrame:
        """Rows: measures; columns: segment values; cells 'rate · median' ('*': significantly worse
        than the rest, by rate or hours)."""
        f = self.frame
        cell = [
            f"{r.rate:.1%} · {format_hours(r.median_h, '0.0')}" + (" *" if r.significant else "")
            for r in f.itertuples(index=False)
        ]
        return f.assign(cell=cell).pivot(index="measure", columns="segment", values="cell").reindex(
            list(dict.fromkeys(f["measure"]))
        )  # fmt: skip

    def _summary(self) -> SegmentSummary:
        return SegmentSummary(source=self.source, column=self.column, driver=self.driver,
                              segments=list(dict.fromkeys(self.frame["segment"])),
                              rows=SegmentRow.from_frame(self.frame), notes=self.notes)  # fmt: skip

    def section_context(self) -> dict[str, Any]:
        wide = self.side_by_side().reset_index()
        return {"lines": [f"Each value of {self.column} against the rest: rate · median hours; * = significantly worse than the rest (q < 0.05).", *self.notes],
                "tables": [{"caption": f"By {self.column}", "rows": wide.to_dict("records")}]}  # fmt: skip


def segments(
    log: TicketLog,
    config: Config | str | Path | None = None,
    *,
    segment: str,
    clock: Clock | None = None,
    semantics: Semantics | None = None,
    alpha: float = 0.05,
    min_support: int = 20,
) -> SegmentComparison:
    """The measures of the module docstring per value of ``segment`` (a column of the log)."""
    cfg = as_config(config)
    check_clock(clock)
    tz = cfg.calendar.timezone if cfg.calendar.timezone != "UTC" else log.timezone
    steps = (segment[4:],) if segment.startswith("has ") else ()  # 'has STEP' is built only when asked for
    feats = feature_table(log, FeatureSettings(min_support=min_support, timezone=tz, steps=steps))
    driver = next((d for d in (segment, f"{segment} (first)") if d in feats.drivers), None)
    if driver is None:
        raise OutcomeError(_("--segment {segment}").format(segment=segment), _("no such driver; drivers: {names}").format(names=', '.join(feats.drivers)))
    long = long_features(Features(feats.table, (driver,), feats.kinds))
    specs = ["lead_time>p90", *HEADLINE_OUTCOMES]
    specs += [f"breach:{t.step}" for t in cfg.targets.steps if t.max_wait is not None]
    parts, notes = [], []
    for spec in dict.fromkeys(specs):
        try:
            o = outcome(log, cfg, spec, clock=clock, semantics=semantics)
        except OutcomeError as e:
            notes.append(f"{spec} left out: {e}")
            continue
        ranked, _unused = rank_values(long, o.table, alpha=alpha, bootstrap=0)
        parts.append(ranked.assign(measure=o.label, outcome=spec, segment=ranked["value"]))
    frame = pd.concat(parts, ignore_index=True)[_COLUMNS] if parts else pd.DataFrame(columns=_COLUMNS)
    frame = frame.sort_values(["segment"], kind="stable")
    order = {s: i for i, s in enumerate(dict.fromkeys(p["outcome"].iloc[0] for p in parts if len(p)))}
    frame = frame.sort_values(["outcome", "segment"], key=lambda c: c.map(order) if c.name == "outcome" else c,
                              kind="stable").reset_index(drop=True)  # fmt: skip
    return SegmentComparison(segment, driver, frame, notes, log.source)
