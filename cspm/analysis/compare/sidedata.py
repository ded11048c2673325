"""A side of a comparison as data: histograms, targets, variants and activities per part.

This is what a baseline file freezes (:mod:`cspm.analysis.compare.baseline`), so a comparison
against a baseline uses exactly the numbers a comparison against the old log would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.analysis.compare.figures import histograms, variant_counts
from cspm.config import Config
from cspm.core.log import ACTIVITY, CASE, TicketLog

__all__ = ["SideData", "side_data"]


@dataclass
class SideData:
    """Per part: ``hist`` (part, figure, value, n), ``variants`` (part, variant, tickets),
    ``activities`` (part, activity, events), ``tickets`` (part → tickets); ``targets`` (figure id →
    target record)."""

    hist: pd.DataFrame
    variants: pd.DataFrame
    activities: pd.DataFrame
    tickets: dict[str, int]
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def part(self, name: str) -> SideData:
        """Only the rows of one part."""
        return SideData(
            self.hist[self.hist.part == name], self.variants[self.variants.part == name],
            self.activities[self.activities.part == name], {name: self.tickets.get(name, 0)}, self.targets,
        )  # fmt: skip

    def relabel(self, old: str, new: str) -> SideData:
        frames = [f.assign(part=f.part.replace({old: new})) for f in (self.hist, self.variants, self.activities)]
        tickets = {new if k == old else k: v for k, v in self.tickets.items()}
        return SideData(*frames, tickets, self.targets)

    @staticmethod
    def concat(*sides: SideData) -> SideData:
        targets: dict[str, dict[str, Any]] = {}
        for s in sides:
            targets.update(s.targets)
        return SideData(
            *(pd.concat([getattr(s, n) for s in sides], ignore_index=True) for n in ("hist", "variants", "activities")),
            {k: v for s in sides for k, v in s.tickets.items()}, targets,
        )  # fmt: skip


def side_data(log: TicketLog, cfg: Config, parts: ir.Table | str, *, semantics: str | None = None, model: Any = None) -> SideData:
    """Everything a comparison needs of ``log``, per part (``parts``: ``case_id, part`` or one name);
    ``model``: the to-be model of the fitness figures (None: none compared).

    For the whole log under one part name it is built once per log, config and semantics
    (``log.derived``, kind ``compare_side``), so a baseline and comparisons of the same log share it.
    """
    if isinstance(parts, str):
        key = (cfg.model_dump_json(), semantics, parts, repr(model))
        return log.derived.get("compare_side", key, lambda: _side_data(log, cfg, parts, semantics, model))
    return _side_data(log, cfg, parts, semantics, model)


def _side_data(log: TicketLog, cfg: Config, parts: ir.Table | str, semantics: str | None, model: Any) -> SideData:
    if not isinstance(parts, str):
        parts = parts.cache()  # one small row per ticket, read by the three queries below
    hist, targets = histograms(log, cfg, parts, semantics=semantics, model=model)
    variants = variant_counts(log, parts)
    ev = log.events
    if isinstance(parts, str):
        e = ev.mutate(part=ibis.literal(parts))
    else:
        e = ev.join(parts, CASE).select(ev[ACTIVITY], ev[CASE], parts.part)
    acts = e.group_by(["part", ACTIVITY]).aggregate(events=e.count(), tickets=e[CASE].nunique()).to_pandas()
    acts = acts.rename(columns={ACTIVITY: "activity"})
    tickets = variants.groupby("part")["tickets"].sum().astype(int).to_dict()
    return SideData(hist, variants, acts[["part", "activity", "events"]], {str(k): int(v) for k, v in tickets.items()}, targets)
