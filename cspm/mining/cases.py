"""What happens per case: the case table (lead time and activity sequence of every case), the
variants (distinct activity sequences) and the lead-time distribution.

The case table is built on the engine once per log (:func:`case_table`, kept in ``log.derived``)
and shared by discovery, the variant filters and conformance. A case's lead time runs from its first
start (or completion) to its last completion, in seconds (millisecond precision).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.core.engine import ordered_text
from cspm.core.expr import case_window, epoch_seconds
from cspm.core.log import ACTIVITY, CASE, START, TIMESTAMP, TicketLog
from cspm.core.result import Result, json_ready
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.mining.records import (
    CasesSummary,
    EventsPerCase,
    LeadTime,
    VariantRecord,
    VariantsSummary,
)
from cspm.mining.steps import time_stats
from cspm.render.workbook import Unit
from cspm.units import format_duration

__all__ = [
    "Cases",
    "Variants",
    "activity_codes",
    "build_case_table",
    "case_table",
    "variant_keys",
    "variant_table",
]

_STATS = ("mean", "median", "p90", "min", "max")


# --- engine expressions ------------------------------------------------------------------------
def activity_codes(events: ir.Table) -> ir.Table:
    """Activity → small integer code (1-based, in name order), for compact variant keys."""
    acts = events.select(activity=events[ACTIVITY]).distinct()
    return acts.mutate(code=ibis.row_number().over(ibis.window(order_by=acts.activity)) + 1)


def build_case_table(events: ir.Table) -> ir.Table:
    """One row per case: ``case_id``, ``events``, ``start``, ``end``, ``lead_time`` (s), ``variant_key``.

    ``variant_key`` is the case's activity sequence as comma-separated activity codes (see
    :func:`activity_codes`); order-sensitive collection is done with row numbers and a sorted
    struct array, which runs on every engine. An expression, built anew each call: analyses use
    :func:`case_table`, which builds it once per log.
    """
    codes = activity_codes(events)
    start = events[START].coalesce(events[TIMESTAMP]) if START in events.columns else events[TIMESTAMP]
    e = events.mutate(_pos=ibis.row_number().over(case_window()), _start=start)
    e = e.join(codes, e[ACTIVITY] == codes.activity).select(CASE, "_pos", "_start", TIMESTAMP, "code")
    agg = e.group_by(CASE).aggregate(
        events=e.count(),
        start=e._start.min(),
        end=e[TIMESTAMP].max(),
        variant_key=ordered_text(e, e.code, e._pos),
    )
    return agg.select(
        CASE,
        "events",
        "start",
        "end",
        lead_time=epoch_seconds(agg.end) - epoch_seconds(agg.start),
        variant_key=agg.variant_key,
    )


def case_table(log: TicketLog) -> ir.Table:
    """The case table of ``log`` (see :func:`build_case_table`), built once per log on its engine
    (``log.derived``, kind ``case_table``).

    Passing an event table instead of the log is deprecated (it builds the table anew each time).
    """
    if isinstance(log, ir.Table):
        warnings.warn(
            "case_table(events) is deprecated: pass the TicketLog (built once per log), or use "
            "build_case_table(events) for an event table",
            DeprecationWarning,
            stacklevel=2,
        )
        return build_case_table(log)
    return log.derived.get("case_table", (), lambda: build_case_table(log.events).cache())


def variant_table(events: ir.Table, *, cases: ir.Table | None = None) -> ir.Table:
    """Variants by key: count (cases), events per case and lead-time statistics (s).

    ``cases``: the case table of ``events`` when already built (e.g. :func:`case_table`)."""
    c = cases if cases is not None else build_case_table(events)
    return c.group_by(variant_key=c.variant_key).aggregate(
        count=c.count(),
        length=c.events.max(),
        **time_stats(c.lead_time, "lead_time"),
    )


def variant_keys(log: TicketLog, *, top: int | None = None, coverage: float | None = None) -> ir.Table:
    """The keys of the most frequent variants of ``log`` (``top`` of them, or those covering
    ``coverage`` of the cases). Ties in frequency are broken by the key, so the choice is the same on
    every engine."""
    v = variant_table(log.events, cases=case_table(log)).select("variant_key", "count")
    order = [ibis.desc(v["count"]), v.variant_key]
    ranked = v.mutate(
        _rank=ibis.row_number().over(ibis.window(order_by=order)) + 1,
        _cum=v["count"].sum().over(ibis.window(order_by=order, preceding=None, following=0)),
        _total=v["count"].sum().over(ibis.window()),
    )
    if top is not None:
        ranked = ranked.filter(ranked._rank <= top)
    if coverage is not None:
        ranked = ranked.filter((ranked._cum - ranked["count"]) < coverage * ranked._total)
    return ranked.select("variant_key")


# --- results -----------------------------------------------------------------------------------
SUMMARY_TOP = 20  # variants listed in a summary


@dataclass
class Variants(Result):
    """Variants (distinct activity sequences), most frequent first.

    ``table``: variant (1 = most frequent), activities (tuple), length, count (cases), share,
    cumulative_share, lead_time_mean/median/p90/min/max (s), variant_key (engine key for filters).
    ``to_pandas()`` gives it without the key and with the activities as one text (``a → b``);
    ``save('….csv')`` writes the activities as a JSON list.
    """

    frame: pd.DataFrame

    column_units: ClassVar[dict[str, Unit]] = {f"lead_time_{s}": "s" for s in ("mean", "median", "p90", "min", "max")}
    section_id: ClassVar[str] = "variants"
    section_title: ClassVar[str] = N_("Variants")
    section_template: ClassVar[str] = "section_variants.html.j2"
    section_rows: ClassVar[int] = 15

    @property
    def table(self) -> pd.DataFrame:  # type: ignore[override]  # an attribute, as it always was
        return self.frame

    @classmethod
    def compute(cls, log: TicketLog) -> Variants:
        vt = variant_table(log.events, cases=case_table(log)).to_pandas()
        codes = activity_codes(log.events).to_pandas()
        return cls._from_tables(vt, codes)

    @classmethod
    def _from_tables(cls, vt: pd.DataFrame, codes: pd.DataFrame) -> Variants:
        names = {str(int(c)): str(a) for a, c in zip(codes.activity, codes.code, strict=True)}
        vt = vt.sort_values(["count", "variant_key"], ascending=[False, True]).reset_index(drop=True)
        vt["count"] = vt["count"].astype("int64")
        vt["length"] = vt["length"].astype("int64")
        total = vt["count"].sum()
        acts = [tuple(names[c] for c in key.split(",")) for key in vt.variant_key]
        df = pd.DataFrame({"variant": range(1, len(vt) + 1), "activities": acts})
        df["length"] = vt["length"]
        df["count"] = vt["count"]
        df["share"] = vt["count"] / total if total else 0.0
        df["cumulative_share"] = df["share"].cumsum()
        for stat in _STATS:
            df[f"lead_time_{stat}"] = vt[f"lead_time_{stat}"].astype("float64")
        df["variant_key"] = vt.variant_key
        return cls(frame=df)

    def __len__(self) -> int:
        return len(self.frame)

    def counts(self) -> dict[tuple[str, ...], int]:
        """Activity sequence → number of cases (what pm4py's ``get_variants`` returns)."""
        return {a: int(n) for a, n in zip(self.frame.activities, self.frame["count"], strict=True)}

    def top(self, n: int = 10) -> pd.DataFrame:
        return self.frame.head(n)

    def records(self, n: int = SUMMARY_TOP) -> list[VariantRecord]:
        """The ``n`` most frequent variants as records."""
        return [VariantRecord(**r) for r in json_ready(self.frame.head(n).drop(columns=["variant_key"]).to_dict("records"))]

    # --- Result ------------------------------------------------------------------------------
    def _summary(self) -> VariantsSummary:
        return VariantsSummary(variants=len(self.frame), top=self.records(SUMMARY_TOP))

    def to_pandas(self) -> pd.DataFrame:
        df = self.frame.drop(columns=["variant_key"]).copy(deep=True)
        df["activities"] = df["activities"].map(" → ".join)
        return df

    def _savers(self) -> dict[str, Callable[[Path], None]]:
        return {**super()._savers(), ".csv": self._write_csv}

    def _write_csv(self, path: Path) -> None:
        """Every variant; ``activities`` as a JSON list (names may contain any character)."""
        df = self.frame.drop(columns=["variant_key"]).copy()
        df["activities"] = df["activities"].map(lambda a: json.dumps(list(a), ensure_ascii=False))
        df.to_csv(path, index=False)

    def section_context(self) -> dict[str, Any]:
        rows = [
            {
                "rank": r.variant,
                "steps": r.activities,
                "cases": r.count,
                "share": r.share,
                "cumulative": r.cumulative_share,
                "median": format_duration(r.lead_time_median),
                "p90": format_duration(r.lead_time_p90),
            }
            for r in self.records(self.section_rows)
        ]
        return {"rows": rows, "total": len(self.frame), "top": len(rows)}


@dataclass
class Cases(Result):
    """The case table (``per_case``, on the engine) and the lead-time distribution over all cases.

    ``per_case``: case_id, events, start, end, lead_time (s). ``table()`` / ``to_pandas()`` fetch it
    as pandas (one row per ticket: ask for it on small logs, or use ``to_pandas(limit=…)``).
    """

    per_case: ir.Table
    lead_time: dict[str, float]
    events_per_case: dict[str, float]
    cases: int = 0

    column_units: ClassVar[dict[str, Unit]] = {"lead_time": "s"}
    section_id: ClassVar[str] = "lead_time"
    section_title: ClassVar[str] = N_("Lead time")
    section_template: ClassVar[str] = "section_lead_time.html.j2"

    @classmethod
    def compute(cls, log: TicketLog) -> Cases:
        c = case_table(log)
        stats = c.aggregate(
            cases=c.count(),
            mean=c.lead_time.mean(),
            median=c.lead_time.median(),
            p85=c.lead_time.quantile(0.85),
            p90=c.lead_time.quantile(0.9),
            min=c.lead_time.min(),
            max=c.lead_time.max(),
            ev_mean=c.events.mean(),
            ev_median=c.events.median(),
            ev_max=c.events.max(),
        ).to_pandas().iloc[0]
        s = json_ready(stats.to_dict())
        lead = {k: s[k] for k in ("mean", "median", "p85", "p90", "min", "max")}
        per_case = {"mean": s["ev_mean"], "median": s["ev_median"], "max": s["ev_max"]}
        return cls(per_case=c.drop("variant_key"), lead_time=lead, events_per_case=per_case, cases=int(stats.cases))

    # --- Result ------------------------------------------------------------------------------
    def _summary(self) -> CasesSummary:
        return CasesSummary(
            lead_time_seconds=LeadTime(**self.lead_time), events_per_case=EventsPerCase(**self.events_per_case)
        )

    def table(self) -> pd.DataFrame:
        return self.to_pandas()

    def to_pandas(self, limit: int | None = None) -> pd.DataFrame:
        """The case table as pandas, ordered by case (the first ``limit`` cases when given)."""
        t = self.per_case.order_by(CASE)
        return (t.limit(limit) if limit else t).to_pandas()

    def section_context(self) -> dict[str, Any]:
        names = {"mean": N_("Mean"), "median": N_("Median"), "p85": N_("P85"), "p90": N_("P90"), "min": N_("Shortest"),
                 "max": N_("Longest")}  # fmt: skip
        rows = [(_(names.get(k, k)), format_duration(v)) for k, v in self.lead_time.items()]
        ev = self.events_per_case
        events = [(_(k), None if ev[k] is None else f"{ev[k]:,.1f}".removesuffix(".0")) for k in ("mean", "median", "max")]
        return {"rows": rows, "cases": self.cases, "events": events}
