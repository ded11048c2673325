"""Discovering the actual process: directly-follows relation, activities, variants and cases.

Every figure is computed by Ibis expressions on the log's engine (DuckDB, Spark); only the small
summaries (one row per edge, activity or variant) come back as pandas tables.

Time conventions (the same as pm4py's ``discover_performance_dfg``): events of a case are ordered
by ``(timestamp, source_row)``; the time of a directly-follows edge ``a → b`` is the wait from the
completion of ``a`` to the start of ``b`` (its completion when the log has no start times, and
never less than zero). A case's lead time runs from its first start (or completion) to its last
completion. All durations are in seconds (millisecond precision).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.core.expr import epoch_seconds
from cspm.core.log import ACTIVITY, CASE, ROW, START, SUSPENDED, TIMESTAMP, TicketLog
from cspm.errors import CspmError
from cspm.units import format_duration

if TYPE_CHECKING:
    from cspm.mining.pm4py import ProcessModel
    from cspm.mining.process_map import ProcessMap

__all__ = [
    "Activities",
    "Cases",
    "DirectlyFollows",
    "Discovery",
    "Miner",
    "Variants",
    "activity_stats",
    "case_table",
    "directly_follows",
    "discover",
    "steps",
    "variant_keys",
    "variants",
]

_STATS = ("mean", "median", "p90", "min", "max")
Miner = Literal["inductive", "heuristics"]
MINERS: tuple[str, ...] = get_args(Miner)
SLOWEST_MIN_COUNT = 5  # transitions taken fewer times are left out of "slowest transitions"


# --- engine expressions ------------------------------------------------------------------------
def _case_window(events: ir.Table) -> Any:
    return ibis.window(group_by=events[CASE], order_by=[events[TIMESTAMP], events[ROW]])


def steps(events: ir.Table) -> ir.Table:
    """Each event with its position in the case, the next activity and the waits around it.

    Columns: ``case_id``, ``activity``, ``timestamp``, ``source_row``, ``position`` (1-based),
    ``next_activity`` (null at the end of the case), ``wait_after`` (seconds to the next event's
    start, see the module docstring), ``wait_before`` (the same for the previous edge; null at the
    start of the case) and ``duration`` (the work: completion − start − suspended time, only when the
    log has start times).
    One window pass over the case order.
    """
    has_start = START in events.columns
    ts = events[TIMESTAMP]
    cols: dict[str, Any] = {"_t": epoch_seconds(ts)}  # one timestamp conversion per column, reused below
    if has_start:
        cols["_s"] = epoch_seconds(events[START].coalesce(ts))
    if has_start and SUSPENDED in events.columns:
        cols["_susp"] = events[SUSPENDED].cast("float64").fill_null(0.0)
    e = events.select(CASE, ACTIVITY, TIMESTAMP, ROW, **cols)
    w = _case_window(e)
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


def _time_stats(col: ir.NumericColumn, prefix: str) -> dict[str, Any]:
    return {
        f"{prefix}_mean": col.mean(),
        f"{prefix}_median": col.median(),
        f"{prefix}_p90": col.quantile(0.9),
        f"{prefix}_min": col.min(),
        f"{prefix}_max": col.max(),
    }


def edge_table(events: ir.Table, *, step_table: ir.Table | None = None) -> ir.Table:
    """Directly-follows edges: source, target, count (events), cases and wait statistics (s).

    ``step_table``: the :func:`steps` of ``events`` when already computed (e.g. cached)."""
    s = step_table if step_table is not None else steps(events)
    pairs = s.filter(s.next_activity.notnull())
    return pairs.group_by(source=pairs[ACTIVITY], target=pairs.next_activity).aggregate(
        count=pairs.count(),
        cases=pairs[CASE].nunique(),
        **_time_stats(pairs.wait_after, "wait"),
        wait_total=pairs.wait_after.sum(),
    )


def activity_table(events: ir.Table, *, step_table: ir.Table | None = None) -> ir.Table:
    """Per activity: events, cases, case starts/ends, waits before/after it, duration."""
    s = step_table if step_table is not None else steps(events)
    aggs: dict[str, Any] = {
        "events": s.count(),
        "cases": s[CASE].nunique(),
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


def activity_codes(events: ir.Table) -> ir.Table:
    """Activity → small integer code (1-based, in name order), for compact variant keys."""
    acts = events.select(activity=events[ACTIVITY]).distinct()
    return acts.mutate(code=ibis.row_number().over(ibis.window(order_by=acts.activity)) + 1)


def case_table(events: ir.Table) -> ir.Table:
    """One row per case: ``case_id``, ``events``, ``start``, ``end``, ``lead_time`` (s), ``variant_key``.

    ``variant_key`` is the case's activity sequence as comma-separated activity codes (see
    :func:`activity_codes`); order-sensitive collection is done with row numbers and a sorted
    struct array, which runs on every engine.
    """
    w = _case_window(events)
    codes = activity_codes(events)
    start = events[START].coalesce(events[TIMESTAMP]) if START in events.columns else events[TIMESTAMP]
    e = events.mutate(_pos=ibis.row_number().over(w), _start=start)
    e = e.join(codes, e[ACTIVITY] == codes.activity).select(CASE, "_pos", "_start", TIMESTAMP, "code")
    agg = e.group_by(CASE).aggregate(
        events=e.count(),
        start=e._start.min(),
        end=e[TIMESTAMP].max(),
        _seq=ibis.struct({"p": e._pos, "c": e.code}).collect(),
    )
    return agg.select(
        CASE,
        "events",
        "start",
        "end",
        lead_time=epoch_seconds(agg.end) - epoch_seconds(agg.start),
        variant_key=agg._seq.sort().map(lambda x: x.c.cast("string")).join(","),
    )


def variant_table(events: ir.Table, *, cases: ir.Table | None = None) -> ir.Table:
    """Variants by key: count (cases), events per case and lead-time statistics (s).

    ``cases``: the :func:`case_table` of ``events`` when already computed (e.g. cached)."""
    c = cases if cases is not None else case_table(events)
    return c.group_by(variant_key=c.variant_key).aggregate(
        count=c.count(),
        length=c.events.max(),
        **_time_stats(c.lead_time, "lead_time"),
    )


def variant_keys(events: ir.Table, *, top: int | None = None, coverage: float | None = None) -> ir.Table:
    """The keys of the most frequent variants (``top`` of them, or those covering ``coverage``).

    Ties in frequency are broken by the key, so the choice is the same on every engine.
    """
    v = variant_table(events).select("variant_key", "count")
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


# --- result objects ----------------------------------------------------------------------------
def _fmt_table(df: pd.DataFrame, duration_cols: Iterable[str] = (), max_rows: int = 30) -> str:
    shown = df.head(max_rows).copy()
    for col in duration_cols:
        if col in shown.columns:
            shown[col] = shown[col].map(format_duration)
    body = shown.to_html(index=False, escape=True, border=0, classes="cspm-table")
    more = f"<p>… {len(df) - max_rows:,} more rows</p>" if len(df) > max_rows else ""
    return body + more


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    if hasattr(value, "item"):
        return _json_ready(value.item())
    return value


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _json_ready(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


@dataclass
class DirectlyFollows:
    """The directly-follows relation with counts and wait statistics per edge.

    ``edges``: source, target, count (events), cases, wait_mean/median/p90/min/max/total (s).
    ``start_activities`` / ``end_activities``: activity → number of cases starting/ending there.
    """

    edges: pd.DataFrame
    start_activities: dict[str, int]
    end_activities: dict[str, int]

    @classmethod
    def compute(cls, log: TicketLog) -> DirectlyFollows:
        edges = edge_table(log.events).to_pandas()
        acts = activity_table(log.events).select("activity", "starts", "ends").to_pandas()
        return cls._from_tables(edges, acts)

    @classmethod
    def _from_tables(cls, edges: pd.DataFrame, acts: pd.DataFrame) -> DirectlyFollows:
        edges = edges.sort_values(["count", "source", "target"], ascending=[False, True, True])
        edges = edges.reset_index(drop=True)
        for col in ("count", "cases"):
            edges[col] = edges[col].astype("int64")
        starts = {str(a): int(n) for a, n in zip(acts.activity, acts.starts, strict=True) if n}
        ends = {str(a): int(n) for a, n in zip(acts.activity, acts.ends, strict=True) if n}
        return cls(edges=edges, start_activities=starts, end_activities=ends)

    def counts(self) -> dict[tuple[str, str], int]:
        """(source, target) → number of times target directly follows source."""
        return {(s, t): int(n) for s, t, n in zip(self.edges.source, self.edges.target, self.edges["count"], strict=True)}

    def waits(self, stat: str = "median") -> dict[tuple[str, str], float]:
        """(source, target) → wait statistic in seconds (mean, median, p90, min, max, total)."""
        col = self.edges[f"wait_{stat}"]
        return {(s, t): float(v) for s, t, v in zip(self.edges.source, self.edges.target, col, strict=True)}

    def slowest(self, n: int = 10, by: str = "median", min_count: int = 1) -> pd.DataFrame:
        """The ``n`` transitions with the longest wait (by median unless told otherwise), among
        those taken at least ``min_count`` times (all of them when none is)."""
        edges = self.edges[self.edges["count"] >= min_count]
        edges = edges if len(edges) else self.edges
        return edges.sort_values([f"wait_{by}", "count"], ascending=[False, False]).head(n)

    def to_pandas(self) -> pd.DataFrame:
        return self.edges.copy()

    def summary(self) -> dict[str, Any]:
        return {
            "edges": _records(self.edges),
            "start_activities": dict(self.start_activities),
            "end_activities": dict(self.end_activities),
        }

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        self.edges.to_csv(path, index=False)
        return path

    def _repr_html_(self) -> str:
        cols = [c for c in self.edges.columns if c.startswith("wait_")]
        return "<strong>Directly-follows edges</strong>" + _fmt_table(self.edges, cols)


@dataclass
class Activities:
    """Per-activity statistics: events, cases, share of events, case starts/ends, waits, duration."""

    table: pd.DataFrame

    @classmethod
    def compute(cls, log: TicketLog) -> Activities:
        return cls._from_table(activity_table(log.events).to_pandas())

    @classmethod
    def _from_table(cls, df: pd.DataFrame) -> Activities:
        df = df.sort_values(["events", "activity"], ascending=[False, True]).reset_index(drop=True)
        for col in ("events", "cases", "starts", "ends"):
            df[col] = df[col].astype("int64")
        total = df.events.sum()
        df.insert(2, "share", df.events / total if total else 0.0)
        return cls(table=df)

    def counts(self) -> dict[str, int]:
        return {str(a): int(n) for a, n in zip(self.table.activity, self.table.events, strict=True)}

    def to_pandas(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> dict[str, Any]:
        return {"activities": _records(self.table)}

    def save(self, path: str | Path) -> Path:
        self.table.to_csv(path, index=False)
        return Path(path)

    def _repr_html_(self) -> str:
        cols = [c for c in self.table.columns if c.startswith(("wait_", "duration_"))]
        return "<strong>Activities</strong>" + _fmt_table(self.table, cols)


@dataclass
class Variants:
    """Variants (distinct activity sequences), most frequent first.

    ``table``: variant (1 = most frequent), activities (tuple), length, count (cases), share,
    cumulative_share, lead_time_mean/median/p90/min/max (s), variant_key (engine key for filters).
    """

    table: pd.DataFrame

    @classmethod
    def compute(cls, log: TicketLog, *, cases: ir.Table | None = None) -> Variants:
        vt = variant_table(log.events, cases=cases).to_pandas()
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
        return cls(table=df)

    def __len__(self) -> int:
        return len(self.table)

    def counts(self) -> dict[tuple[str, ...], int]:
        """Activity sequence → number of cases (what pm4py's ``get_variants`` returns)."""
        return {a: int(n) for a, n in zip(self.table.activities, self.table["count"], strict=True)}

    def top(self, n: int = 10) -> pd.DataFrame:
        return self.table.head(n)

    def to_pandas(self) -> pd.DataFrame:
        df = self.table.drop(columns=["variant_key"]).copy()
        df["activities"] = df["activities"].map(" → ".join)
        return df

    def summary(self, top: int = 20) -> dict[str, Any]:
        df = self.table.head(top).drop(columns=["variant_key"]).copy()
        df["activities"] = df["activities"].map(list)
        return {"variants": len(self.table), "top": _records(df)}

    def save(self, path: str | Path) -> Path:
        df = self.table.drop(columns=["variant_key"]).copy()
        df["activities"] = df["activities"].map(lambda a: json.dumps(list(a), ensure_ascii=False))
        df.to_csv(path, index=False)
        return Path(path)

    def _repr_html_(self) -> str:
        cols = [f"lead_time_{s}" for s in _STATS]
        return f"<strong>{len(self.table):,} variants</strong>" + _fmt_table(self.to_pandas(), cols, 20)


@dataclass
class Cases:
    """The case table (on the engine) and the lead-time distribution over all cases."""

    table: ir.Table
    lead_time: dict[str, float]
    events_per_case: dict[str, float]

    cases: int = 0

    @classmethod
    def compute(cls, log: TicketLog, *, cases: ir.Table | None = None) -> Cases:
        c = cases if cases is not None else case_table(log.events)
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
        lead = {k: _json_ready(stats[k]) for k in ("mean", "median", "p85", "p90", "min", "max")}
        per_case = {"mean": _json_ready(stats.ev_mean), "median": _json_ready(stats.ev_median), "max": _json_ready(stats.ev_max)}
        return cls(table=c.drop("variant_key"), lead_time=lead, events_per_case=per_case, cases=int(stats.cases))

    def to_pandas(self, limit: int | None = None) -> pd.DataFrame:
        t = self.table.order_by(CASE)
        return (t.limit(limit) if limit else t).to_pandas()

    def summary(self) -> dict[str, Any]:
        return {"lead_time_seconds": dict(self.lead_time), "events_per_case": dict(self.events_per_case)}

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{html.escape(format_duration(v))}</td></tr>"
            for k, v in self.lead_time.items()
        )
        return f"<strong>Lead time</strong><table>{rows}</table>"


def directly_follows(log: TicketLog) -> DirectlyFollows:
    """The directly-follows relation of ``log`` (counts, cases and waits per edge)."""
    return DirectlyFollows.compute(log)


def activity_stats(log: TicketLog) -> Activities:
    """Per-activity statistics of ``log``."""
    return Activities.compute(log)


def variants(log: TicketLog) -> Variants:
    """The variants of ``log``, most frequent first, with share and lead-time statistics."""
    return Variants.compute(log)


@dataclass
class Discovery:
    """Everything ``discover`` finds: overview figures, edges, activities, variants, lead times."""

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

    @property
    def lead_time(self) -> dict[str, float]:
        return self.cases_.lead_time

    def overview(self) -> dict[str, Any]:
        top = self.variants.table.head(1)
        return {
            "events": self.events,
            "cases": self.cases,
            "activities": len(self.activities.table),
            "variants": len(self.variants),
            "edges": len(self.dfg.edges),
            "top_variant_share": float(top.share.iloc[0]) if len(top) else None,
            "median_lead_time_seconds": self.lead_time.get("median"),
            "first_event": self.first_event.isoformat() if self.first_event else None,
            "last_event": self.last_event.isoformat() if self.last_event else None,
        }

    def process_map(
        self,
        measure: str = "frequency",
        *,
        activities: float = 1.0,
        paths: float = 0.0,
        highlight_steps: Iterable[str] = (),
        highlight_edges: Iterable[tuple[str, str]] = (),
    ) -> ProcessMap:
        """The process map (``frequency`` or ``performance``), simplified Disco-style: with
        ``activities < 1`` the log is projected on the most frequent activities and their edges
        re-discovered; highlighted steps/edges (e.g. target breaches) survive the ``paths`` cut."""
        from cspm.mining.process_map import ProcessMap

        if activities < 1.0 and self.log is not None:
            base = ProcessMap._projected(self.log, measure, activities)  # type: ignore[arg-type]
        else:
            base = ProcessMap.from_discovery(self, measure=measure).simplify(activities=activities)  # type: ignore[arg-type]
        return base.highlight(highlight_steps, highlight_edges).simplify(paths=paths)

    def model(self, noise: float = 0.2, miner: Miner = "inductive") -> ProcessModel:
        """A process model mined by pm4py from the variants (inductive) or the DFG (heuristics).

        ``noise`` is the Inductive Miner's noise threshold; any other ``miner`` is a CspmError.
        """
        from cspm.mining import pm4py as _pm4py

        if miner not in MINERS:
            supported = ", ".join(repr(m) for m in MINERS)
            raise CspmError(f"unknown process-model miner {miner!r}; the supported miners are {supported}.")
        if miner == "heuristics":
            return _pm4py.heuristics_model(self.dfg, self.activities)
        return _pm4py.inductive_model(self.variants.counts(), noise=noise)

    def summary(self, top_variants: int = 20) -> dict[str, Any]:
        return {
            "source": self.source,
            "overview": self.overview(),
            "lead_time_seconds": dict(self.lead_time),
            "events_per_case": dict(self.cases_.events_per_case),
            "activities": _records(self.activities.table),
            "start_activities": dict(self.dfg.start_activities),
            "end_activities": dict(self.dfg.end_activities),
            "slowest_transitions": _records(self.dfg.slowest(10, min_count=SLOWEST_MIN_COUNT)),
            "variants": self.variants.summary(top_variants),
        }

    def _repr_html_(self) -> str:
        ov = self.overview()
        rows = [
            ("events", f"{ov['events']:,}"),
            ("cases", f"{ov['cases']:,}"),
            ("activities", f"{ov['activities']:,}"),
            ("variants", f"{ov['variants']:,}"),
            ("top variant share", f"{ov['top_variant_share']:.1%}" if ov["top_variant_share"] is not None else "–"),
            ("median lead time", format_duration(ov["median_lead_time_seconds"])),
        ]
        body = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in rows)
        return f"<strong>Discovery of {html.escape(self.source)}</strong><table>{body}</table>"


def discover(log: TicketLog) -> Discovery:
    """Discover the process of ``log``: edges, activities, variants and lead times (on its engine).

    The per-event steps and the case table are each computed once (cached on the engine).
    """
    events = log.events
    base = events.aggregate(n=events.count(), first=events[TIMESTAMP].min(), last=events[TIMESTAMP].max())
    row = base.to_pandas().iloc[0]
    with steps(events).cache() as st:
        acts = activity_table(events, step_table=st).to_pandas()
        edges = edge_table(events, step_table=st).to_pandas()
    ct = case_table(events).cache()  # kept: Cases.table refers to it
    cases = Cases.compute(log, cases=ct)

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
        variants=Variants.compute(log, cases=ct),
        cases_=cases,
        log=log,
    )
