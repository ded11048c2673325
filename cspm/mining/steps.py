"""What happens at and between the steps of the cases: the per-event step table, the
directly-follows relation and the per-activity statistics.

Every figure is computed by Ibis expressions on the log's engine (DuckDB, Spark); only the small
summaries (one row per edge or activity) come back as pandas tables.

Time conventions (the same as pm4py's ``discover_performance_dfg``): events of a case are ordered
by ``(timestamp, source_row)``; the time of a directly-follows edge ``a → b`` is the wait from the
completion of ``a`` to the start of ``b`` (its completion when the log has no start times, and
never less than zero). All durations are in seconds (millisecond precision).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.core.expr import case_window, epoch_seconds
from cspm.core.log import ACTIVITY, CASE, ROW, START, SUSPENDED, TIMESTAMP, TicketLog
from cspm.core.result import Result, json_ready
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.mining.records import (
    ActivitiesSummary,
    ActivityRecord,
    DirectlyFollowsSummary,
    EdgeRecord,
)
from cspm.render.workbook import Unit
from cspm.units import format_duration

__all__ = [
    "SLOWEST_MIN_COUNT",
    "Activities",
    "DirectlyFollows",
    "WaitStat",
    "activity_frame",
    "activity_table",
    "edge_frame",
    "edge_table",
    "projected_frames",
    "projection",
    "step_table",
    "steps",
    "time_stats",
]

SLOWEST_MIN_COUNT = 5  # transitions taken fewer times are left out of "slowest transitions"
WaitStat = Literal["mean", "median", "p90", "min", "max", "total"]


# --- engine expressions ------------------------------------------------------------------------
def steps(events: ir.Table) -> ir.Table:
    """Each event with its position in the case, the next activity and the waits around it.

    Columns: ``case_id``, ``activity``, ``timestamp``, ``source_row``, ``position`` (1-based),
    ``next_activity`` (null at the end of the case), ``wait_after`` (seconds to the next event's
    start, see the module docstring), ``wait_before`` (the same for the previous edge; null at the
    start of the case) and ``duration`` (the work: completion − start − suspended time, only when the
    log has start times).
    One window pass over the case order; :func:`step_table` keeps it once per log.
    """
    has_start = START in events.columns
    ts = events[TIMESTAMP]
    cols: dict[str, Any] = {"_t": epoch_seconds(ts)}  # one timestamp conversion per column, reused below
    if has_start:
        cols["_s"] = epoch_seconds(events[START].coalesce(ts))
    if has_start and SUSPENDED in events.columns:
        cols["_susp"] = events[SUSPENDED].cast("float64").fill_null(0.0)
    e = events.select(CASE, ACTIVITY, TIMESTAMP, ROW, **cols)
    w = case_window()
    t = e._t
    s = e._s if has_start else t
    next_start = s.lead().over(w)
    prev_end = t.lag().over(w)
    # greatest() skips nulls on some engines, hence the explicit null where there is no neighbour
    added: dict[str, Any] = {
        "position": ibis.row_number().over(w) + 1,
        "next_activity": e[ACTIVITY].lead().over(w),
        "wait_after": next_start.isnull().ifelse(ibis.null("float64"), ibis.greatest(next_start, t) - t),
        "wait_before": prev_end.isnull().ifelse(ibis.null("float64"), ibis.greatest(s, prev_end) - prev_end),
    }
    if has_start:
        added["duration"] = t - s - e._susp if "_susp" in e.columns else t - s
    return e.mutate(**added).drop(*[c for c in ("_t", "_s", "_susp") if c in e.columns])


def step_table(log: TicketLog) -> ir.Table:
    """The :func:`steps` of ``log``, built once per log on its engine (``log.derived``, kind ``steps``)."""
    return log.derived.get("steps", (), lambda: steps(log.events).cache())


def activity_frame(log: TicketLog) -> pd.DataFrame:
    """:func:`activity_table` of ``log`` fetched once per log (``log.derived``, kind
    ``activity_table``): discovery, the maps and the explorer's full level share it. A copy each call."""
    return log.derived.get(
        "activity_table", (), lambda: activity_table(log.events, step_table=step_table(log)).to_pandas()
    ).copy()


def edge_frame(log: TicketLog) -> pd.DataFrame:
    """:func:`edge_table` of ``log`` fetched once per log (``log.derived``, kind ``edge_table``). A copy
    each call."""
    return log.derived.get(
        "edge_table", (), lambda: edge_table(log.events, step_table=step_table(log)).to_pandas()
    ).copy()


def projected_frames(
    projected: TicketLog, keep: Collection[str], variants: Mapping[tuple[str, ...], int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`activity_frame` and :func:`edge_frame` of ``projected``, a log projected on the
    activities ``keep`` (:func:`projection`), with the same columns and figures.

    ``variants``: activity sequence → tickets of the log before the projection (``Variants.counts()``).
    The tickets through each activity and along each edge are counted on those variants projected on
    ``keep`` — exactly the distinct tickets, as every ticket has one variant — so the engine's two
    queries on the projected step table have no distinct count (most of their cost)."""
    s = step_table(projected)
    acts = _activity_aggregate(s, tickets=False).to_pandas()
    edges = _edge_aggregate(s, tickets=False).to_pandas()
    through, along = _ticket_counts(variants, set(keep))
    acts.insert(2, "cases", pd.Series([through.get(str(a), 0) for a in acts.activity], dtype="int64"))
    pairs = zip(edges.source, edges.target, strict=True)
    edges.insert(3, "cases", pd.Series([along.get((str(a), str(b)), 0) for a, b in pairs], dtype="int64"))
    return acts, edges


def projection(log: TicketLog, keep: Collection[str]) -> TicketLog:
    """``log`` with only the events of the activities ``keep``."""
    return log.with_events(log.events.filter(log.events[ACTIVITY].isin(list(keep))))


def _ticket_counts(
    variants: Mapping[tuple[str, ...], int], keep: set[str]
) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Tickets through each activity and along each directly-follows edge of the variants
    projected on ``keep``."""
    through: Counter[str] = Counter()
    along: Counter[tuple[str, str]] = Counter()
    for variant, n in variants.items():
        seq = [a for a in variant if a in keep]
        for a in set(seq):
            through[a] += n
        for edge in set(zip(seq, seq[1:], strict=False)):
            along[edge] += n
    return through, along


def time_stats(col: ir.NumericColumn, prefix: str) -> dict[str, Any]:
    """``{prefix}_mean/median/p90/min/max`` of ``col`` (aggregations, seconds)."""
    return {
        f"{prefix}_mean": col.mean(),
        f"{prefix}_median": col.median(),
        f"{prefix}_p90": col.quantile(0.9),
        f"{prefix}_min": col.min(),
        f"{prefix}_max": col.max(),
    }


def edge_table(events: ir.Table, *, step_table: ir.Table | None = None) -> ir.Table:
    """Directly-follows edges: source, target, count (events), cases and wait statistics (s).

    ``step_table``: the :func:`steps` of ``events`` when already built (e.g. :func:`step_table`)."""
    s = step_table if step_table is not None else steps(events)
    return _edge_aggregate(s, tickets=True)


def _edge_aggregate(s: ir.Table, *, tickets: bool) -> ir.Table:
    """:func:`edge_table` on a step table; without ``tickets``, no ``cases`` column (the distinct
    count is most of the query's cost; :func:`projected_frames` takes it from the variants)."""
    pairs = s.filter(s.next_activity.notnull())
    cases = {"cases": pairs[CASE].nunique()} if tickets else {}
    return pairs.group_by(source=pairs[ACTIVITY], target=pairs.next_activity).aggregate(
        count=pairs.count(),
        **cases,
        **time_stats(pairs.wait_after, "wait"),
        wait_total=pairs.wait_after.sum(),
    )


def activity_table(events: ir.Table, *, step_table: ir.Table | None = None) -> ir.Table:
    """Per activity: events, cases, case starts/ends, waits before/after it, duration."""
    s = step_table if step_table is not None else steps(events)
    return _activity_aggregate(s, tickets=True)


def _activity_aggregate(s: ir.Table, *, tickets: bool) -> ir.Table:
    """:func:`activity_table` on a step table; without ``tickets``, no ``cases`` column."""
    aggs: dict[str, Any] = {
        "events": s.count(),
        **({"cases": s[CASE].nunique()} if tickets else {}),
        "starts": (s.position == 1).cast("int64").sum(),
        "ends": s.next_activity.isnull().cast("int64").sum(),
        "wait_before_mean": s.wait_before.mean(),
        "wait_before_median": s.wait_before.median(),
        "wait_before_p90": s.wait_before.quantile(0.9),
        "wait_after_median": s.wait_after.median(),
    }
    if "duration" in s.columns:
        aggs["duration_median"] = s.duration.median()
        aggs["duration_mean"] = s.duration.mean()
    return s.group_by(activity=s[ACTIVITY]).aggregate(**aggs)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain Python values (NaN → None), ready for a record."""
    return json_ready(df.to_dict("records"))


# --- results -----------------------------------------------------------------------------------
@dataclass
class DirectlyFollows(Result):
    """The directly-follows relation with counts and wait statistics per edge.

    ``edges``: source, target, count (events), cases, wait_mean/median/p90/min/max/total (s).
    ``start_activities`` / ``end_activities``: activity → number of cases starting/ending there.
    As a report section it shows the slowest transitions.
    """

    edges: pd.DataFrame
    start_activities: dict[str, int]
    end_activities: dict[str, int]

    column_units: ClassVar[dict[str, Unit]] = {f"wait_{s}": "s" for s in ("mean", "median", "p90", "min", "max", "total")}
    section_id: ClassVar[str] = "transitions"
    section_title: ClassVar[str] = N_("Slowest transitions")
    section_template: ClassVar[str] = "section_transitions.html.j2"
    section_rows: ClassVar[int] = 10

    @classmethod
    def compute(cls, log: TicketLog) -> DirectlyFollows:
        return cls._from_tables(edge_frame(log), activity_frame(log)[["activity", "starts", "ends"]])

    @classmethod
    def _from_tables(cls, edges: pd.DataFrame, acts: pd.DataFrame) -> DirectlyFollows:
        edges = edges.sort_values(["count", "source", "target"], ascending=[False, True, True])
        edges = edges.reset_index(drop=True)
        for col in ("count", "cases"):
            edges[col] = edges[col].astype("int64")
        acts = acts.sort_values("activity")  # the engine returns groups in any order
        starts = {str(a): int(n) for a, n in zip(acts.activity, acts.starts, strict=True) if n}
        ends = {str(a): int(n) for a, n in zip(acts.activity, acts.ends, strict=True) if n}
        return cls(edges=edges, start_activities=starts, end_activities=ends)

    def counts(self) -> dict[tuple[str, str], int]:
        """(source, target) → number of times target directly follows source."""
        return {(s, t): int(n) for s, t, n in zip(self.edges.source, self.edges.target, self.edges["count"], strict=True)}

    def waits(self, stat: WaitStat = "median") -> dict[tuple[str, str], float]:
        """(source, target) → wait statistic in seconds (mean, median, p90, min, max, total)."""
        col = self.edges[f"wait_{stat}"]
        return {(s, t): float(v) for s, t, v in zip(self.edges.source, self.edges.target, col, strict=True)}

    def slowest(self, n: int = 10, by: WaitStat = "median", min_count: int = 1) -> pd.DataFrame:
        """The ``n`` transitions with the longest wait (by median unless told otherwise), among
        those taken at least ``min_count`` times (all of them when none is)."""
        edges = self.edges[self.edges["count"] >= min_count]
        edges = edges if len(edges) else self.edges
        return edges.sort_values([f"wait_{by}", "count"], ascending=[False, False]).head(n)

    def slowest_records(self, n: int = 10) -> list[EdgeRecord]:
        """The slowest transitions of the summary and the report (taken at least
        :data:`SLOWEST_MIN_COUNT` times, all of them when none is)."""
        return [EdgeRecord(**r) for r in _records(self.slowest(n, min_count=SLOWEST_MIN_COUNT))]

    # --- Result ------------------------------------------------------------------------------
    def _summary(self) -> DirectlyFollowsSummary:
        return DirectlyFollowsSummary(
            edges=[EdgeRecord(**r) for r in _records(self.edges)],
            start_activities=dict(self.start_activities),
            end_activities=dict(self.end_activities),
        )

    def table(self) -> pd.DataFrame:
        return self.edges

    def section_context(self) -> dict[str, Any]:
        rows = [
            {
                "source": r.source,
                "target": r.target,
                "count": r.count,
                "cases": r.cases,
                "median": format_duration(r.wait_median),
                "p90": format_duration(r.wait_p90),
                "mean": format_duration(r.wait_mean),
                "total": format_duration(r.wait_total),
            }
            for r in self.slowest_records(self.section_rows)
        ]
        return {"rows": rows, "min_count": SLOWEST_MIN_COUNT}


_ACTIVITY_DURATIONS = ("wait_before_median", "wait_before_p90", "wait_after_median", "duration_median")
_DURATION_HEADERS = {"wait_before_median": N_("wait before median"), "wait_before_p90": N_("wait before p90"),
                     "wait_after_median": N_("wait after median"), "duration_median": N_("duration median")}


@dataclass
class Activities(Result):
    """Per-activity statistics: events, cases, share of events, case starts/ends, waits, duration.

    ``table`` is the per-activity table (an attribute: ``to_pandas()`` gives a copy of it).
    """

    frame: pd.DataFrame

    column_units: ClassVar[dict[str, Unit]] = dict.fromkeys(_ACTIVITY_DURATIONS, "s")
    section_id: ClassVar[str] = "activities"
    section_title: ClassVar[str] = N_("Activities")
    section_template: ClassVar[str] = "section_activities.html.j2"

    @property
    def table(self) -> pd.DataFrame:  # type: ignore[override]  # an attribute, as it always was
        """activity, events, share, cases, starts, ends, wait_before_mean/median/p90 and
        wait_after_median (s); with start times also duration_median, duration_mean (s)."""
        return self.frame

    @classmethod
    def compute(cls, log: TicketLog) -> Activities:
        return cls._from_table(activity_frame(log))

    @classmethod
    def _from_table(cls, df: pd.DataFrame) -> Activities:
        df = df.sort_values(["events", "activity"], ascending=[False, True]).reset_index(drop=True)
        for col in ("events", "cases", "starts", "ends"):
            df[col] = df[col].astype("int64")
        total = df.events.sum()
        df.insert(2, "share", df.events / total if total else 0.0)
        return cls(frame=df)

    def counts(self) -> dict[str, int]:
        return {str(a): int(n) for a, n in zip(self.frame.activity, self.frame.events, strict=True)}

    def records(self) -> list[ActivityRecord]:
        return [ActivityRecord(**r) for r in _records(self.frame)]

    # --- Result ------------------------------------------------------------------------------
    def _summary(self) -> ActivitiesSummary:
        return ActivitiesSummary(activities=self.records())

    def to_pandas(self) -> pd.DataFrame:
        return self.frame.copy(deep=True)

    def section_context(self) -> dict[str, Any]:
        cols = [c for c in _ACTIVITY_DURATIONS if c in self.frame.columns]
        rows = [
            {"activity": r["activity"], "events": r["events"], "cases": r["cases"], "share": r["share"],
             "starts": r["starts"], "ends": r["ends"], "times": [format_duration(r[c]) for c in cols]}
            for r in _records(self.frame)
        ]  # fmt: skip
        return {"rows": rows, "time_columns": [_(_DURATION_HEADERS[c]) for c in cols]}
