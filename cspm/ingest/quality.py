"""Data quality of a log: what was read, kept and rejected (and why), and event-level checks.

The event-level figures (:func:`event_checks`) are Ibis expressions and run on any engine.
:class:`DataQuality` is a :class:`~cspm.core.result.Result` and the report's "Data quality"
section; its summary is the typed record :class:`QualitySummary` (the ``quality`` part of
``summary.json`` and of ``cspm validate --format json``).
"""

from __future__ import annotations

import warnings as _warnings
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

import ibis.expr.types as ir
import pandas as pd
from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from cspm.core.log import ACTIVITY, CASE, ROW, TIMESTAMP, Roles, TicketLog
from cspm.core.records import BaseRecord, Record
from cspm.core.result import Result, json_ready
from cspm.i18n import N_, format_datetime
from cspm.i18n import gettext as _
from cspm.ingest.lifecycle import STANDARD, SYNONYMS
from cspm.ingest.timestamps import TimestampReport
from cspm.render.formats import fmt_pct, fmt_thousands
from cspm.render.safe import neutralise_frame
from cspm.render.tables import write_table
from cspm.units import format_duration

__all__ = [
    "ActivitySource",
    "ColumnRoles",
    "DataQuality",
    "IngestInfo",
    "LifecycleSummary",
    "QualitySummary",
    "TimestampCounts",
    "XesClassifier",
    "event_checks",
    "validated_log",
]


# ------------------------------------------------------------------------------ typed summary
class _SparseRecord(Record):
    """A record whose optional parts appear in the summary only when the reader set them."""

    @model_serializer(mode="wrap")
    def _only_set(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        return {k: v for k, v in data.items() if k in self.model_fields_set}


class ColumnRoles(Record):
    """Which source column(s) became which canonical column (``detected``: roles found from the
    headers rather than given)."""

    case_id: str
    activity: list[str]
    timestamp: str
    start_timestamp: str | None = None
    agent: str | None = None
    team: str | None = None
    lifecycle: str | None = None
    channel: str | None = None
    priority: str | None = None
    customer: str | None = None
    detected: list[str] = Field(default_factory=list)


class XesClassifier(BaseRecord):  # a field named `keys`: no dict view
    """An XES ``<classifier>``: its name and the attribute keys it joins."""

    name: str
    keys: list[str]


class ActivitySource(_SparseRecord):
    """Where the activity came from: ``given``, ``detected`` from the headers, or an XES
    ``classifier``; ``declared``: the file's classifiers; ``notes``: what the reader decided."""

    source: Literal["given", "detected", "classifier"]
    declared: list[XesClassifier] = Field(default_factory=list)
    classifier: XesClassifier | None = None
    notes: list[str] = Field(default_factory=list)


class LifecycleSummary(_SparseRecord):
    """The lifecycle column and what was done with its rows (see :mod:`cspm.ingest.lifecycle`):
    ``mode`` ``pair`` / ``keep`` / ``none``, rows per ``transitions``, and when ``paired`` the
    activity instances (with start and end, queued, suspended, and what ended them)."""

    column: str | None = None
    mode: Literal["pair", "keep", "none"] | None = None
    reason: str | None = None
    transitions: dict[str, int] = Field(default_factory=dict)
    paired: bool = False
    activity_instances: int = 0
    start_to_end: int = 0
    start_without_end: int = 0
    with_queue: int = 0
    queue_without_start: int = 0
    end_without_start: int = 0
    assign_folded_into_queue: int = 0
    suspended_instances: int = 0
    suspensions: int = 0
    suspended_seconds: float = 0.0
    suspend_resume_outside_instances: int = 0
    ended_by: dict[str, int] = Field(default_factory=dict)


class TimestampCounts(Record):
    """Values of one timestamp column: with a UTC offset, epoch values (UTC), and without an
    offset — read in ``timezone``, which came from ``timezone_source``."""

    column: str
    with_offset: int
    epoch: int
    without_offset: int
    timezone: str
    timezone_source: Literal["given", "config", "default"]


class QualitySummary(Record):
    """The data-quality summary of a log: rows in = ``rows_kept`` + ``rows_rejected``."""

    source: str
    kind: str = Field(description="csv, xlsx, parquet, xes or dataframe")
    rows_read: int
    rows_kept: int = Field(description="source rows kept (lifecycle rows folded into an instance included)")
    rows_rejected: int
    rejected_by_reason: dict[str, int] = Field(description="rejected rows per reason, most frequent first")
    events: int = Field(description="events after lifecycle pairing")
    cases: int
    activities: int
    duplicate_events: int = Field(description="events equal to another event in every column but the row")
    same_timestamp_events: int = Field(description="events sharing their timestamp with another event of their case")
    single_event_cases: int
    first_event: datetime | None = Field(description="UTC")
    last_event: datetime | None = Field(description="UTC")
    time_span_seconds: float | None = Field(description="from the first to the last event")
    completeness: dict[str, float] = Field(description="share of events with a value, per attribute column")
    roles: ColumnRoles | None
    activity_source: ActivitySource | None
    lifecycle: LifecycleSummary
    timestamps: list[TimestampCounts]
    details: dict[str, Any] = Field(description="what the reader detected: encoding, delimiter, sheet, formats, time zone")
    warnings: list[str]


@dataclass
class IngestInfo:
    """What the reader saw (filled in by :func:`cspm.read`)."""

    source: str
    kind: str
    rows_read: int
    rows_kept: int
    details: dict[str, Any] = field(default_factory=dict)
    timestamp_reports: list[TimestampReport] = field(default_factory=list)
    timezone: str = "UTC"
    timezone_source: str = "default"  # given (timezone= / --timezone), config, default
    roles: Roles | None = None
    lifecycle: dict[str, Any] = field(default_factory=dict)
    activity_source: dict[str, Any] = field(default_factory=dict)
    has_lines: bool = False


# rejects table column → name of the field in rejected_rows()
# The reasons a row is rejected, as the readers (ingest/read.py, ingest/validate.py and the sources)
# store them: stable English keys in the rejects table and summary.json, shown translated.
REJECT_REASONS = (
    N_("missing case id"), N_("missing activity"), N_("missing timestamp"), N_("unparsable timestamp"),
    N_("timestamp out of range (UTC years 1678–2261)"), N_("unparsable start timestamp"),
    N_("start timestamp out of range (UTC years 1678–2261)"), N_("not a status change"),
)
_MALFORMED = "malformed row: "
_MALFORMED_KINDS = (N_("too many columns"), N_("missing columns"), N_("unterminated quotes"), N_("invalid unicode"),
                    N_("maximum line size"), N_("cast"))  # the CSV reader's error types, lower case


def reason_label(reason: str) -> str:
    """A stored reject reason ('unparsable timestamp', 'malformed row: too many columns') for people,
    in the active language (the stored reason stays the same in every language)."""
    if reason.startswith(_MALFORMED):
        return _("malformed row: {problem}").format(problem=_(reason.removeprefix(_MALFORMED)))
    return _(reason)


_REJECT_FIELDS = {"source_row": "row", "line": "line", "column": "column", "reason": "reason", "value": "value"}
_TZ_SOURCE = {
    "given": N_("given: timezone= / --timezone"),
    "config": N_("config timestamps.timezone"),
    "default": N_("default; no time zone given"),
}


def _as_utc(value: Any) -> datetime | None:
    if value is None or value is pd.NaT:
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.to_pydatetime()


def event_checks(events: ir.Table) -> dict[str, Any]:
    """Event-level quality figures, computed on the events' engine."""
    attrs = [c for c in events.columns if c not in (CASE, ACTIVITY, TIMESTAMP, ROW)]
    per_case = events.group_by(CASE).aggregate(n=events.count())
    same = events.group_by([CASE, TIMESTAMP]).aggregate(n=events.count())
    shared = same.filter(same.n > 1)
    # one query: the event figures, the per-ticket counts and the events sharing a ticket and time
    base = (
        events.aggregate(
            events=events.count(),
            activities=events[ACTIVITY].nunique(),
            first=events[TIMESTAMP].min(),
            last=events[TIMESTAMP].max(),
            **{f"nn_{i}": events[c].count() for i, c in enumerate(attrs)},
        )
        .cross_join(per_case.aggregate(cases=per_case.count(), single=(per_case.n == 1).ifelse(1, 0).sum()))
        .cross_join(shared.aggregate(same_ts=shared.n.sum()))
        .to_pandas()
        .iloc[0]
    )
    # identical events share their ticket and time: only those groups are compared column by column
    no_row = [c for c in events.columns if c != ROW]
    candidates = events.semi_join(shared, [CASE, TIMESTAMP]).select(no_row)
    n_events = int(base["events"])
    n_same = 0 if pd.isna(base["same_ts"]) else int(base["same_ts"])
    duplicates = n_same - int(candidates.distinct().count().to_pyarrow().as_py()) if n_same else 0
    return {
        "events": n_events,
        "cases": int(base["cases"]),
        "activities": int(base["activities"]),
        "first_event": _as_utc(base["first"]),
        "last_event": _as_utc(base["last"]),
        "single_event_cases": 0 if pd.isna(base["single"]) else int(base["single"]),
        "same_timestamp_events": n_same,
        "duplicate_events": duplicates,
        "completeness": {
            c: (int(base[f"nn_{i}"]) / n_events if n_events else 0.0) for i, c in enumerate(attrs)
        },
    }


@dataclass
class DataQuality(Result):
    """Rows read/kept/rejected, rejections by reason, and event-level checks of one log.

    ``rows_kept`` counts source rows (lifecycle rows folded into an activity instance included);
    ``events`` counts events after pairing. ``activity_source``: where the activity came from
    (``given``, ``detected``, or an XES ``classifier`` with its name and keys; ``declared`` lists the
    file's classifiers). ``lifecycle``: the lifecycle column, ``mode`` (``pair``, ``keep``, ``none``),
    rows per transition and, when paired, the instance counts (see :mod:`cspm.ingest.lifecycle`).
    ``timestamps``: per timestamp column, values with a UTC offset, epoch values, and values without
    an offset with the zone they were read in and where that zone came from (``given``, ``config``,
    ``default``).

    The main table (``to_pandas()``, ``save('.csv')``) is :meth:`figures` as ``figure`` / ``value``
    rows; the rejected rows themselves are :meth:`rejects_frame` / :meth:`write_rejects`.
    """

    section_id: ClassVar[str] = "quality"
    section_title: ClassVar[str] = N_("Data quality")
    section_template: ClassVar[str] = "section_quality.html.j2"

    source: str
    kind: str
    rows_read: int
    rows_kept: int
    rows_rejected: int
    rejected_by_reason: dict[str, int]
    events: int
    cases: int
    activities: int
    first_event: datetime | None
    last_event: datetime | None
    duplicate_events: int
    same_timestamp_events: int
    single_event_cases: int
    completeness: dict[str, float]
    warnings: list[str]
    details: dict[str, Any]
    roles: dict[str, Any]
    activity_source: dict[str, Any] = field(default_factory=dict)
    lifecycle: dict[str, Any] = field(default_factory=dict)
    timestamps: list[dict[str, Any]] = field(default_factory=list)
    rejects: ir.Table | None = field(default=None, repr=False)

    @classmethod
    def compute(cls, log: TicketLog, info: IngestInfo, rejects: ir.Table) -> DataQuality:
        checks = event_checks(log.events)
        by_reason_df = rejects.group_by("reason").aggregate(n=rejects.count()).to_pandas()
        by_reason = {
            str(r): int(n)
            for r, n in sorted(zip(by_reason_df["reason"], by_reason_df["n"], strict=True), key=lambda t: (-t[1], str(t[0])))
        }
        rejected = sum(by_reason.values())
        if info.rows_read != info.rows_kept + rejected:
            raise AssertionError(
                f"row accounting broken for {info.source}: read {info.rows_read}, kept {info.rows_kept}, "
                f"rejected {rejected}"
            )
        details = dict(info.details)
        warnings: list[str] = list(details.pop("warnings", []))  # the loader's (e.g. the encoding's)
        details["timezone"] = info.timezone
        for rep in info.timestamp_reports:
            warnings.extend(rep.warnings)
            details[f"timestamp formats ({rep.column})"] = {
                k: v for k, v in rep.formats.items()
            }
        timestamps = [
            {
                "column": rep.column,
                "with_offset": rep.with_offset,
                "epoch": rep.epoch,
                "without_offset": rep.without_offset,
                "timezone": rep.timezone,
                "timezone_source": info.timezone_source,
            }
            for rep in info.timestamp_reports
        ]
        for rep in info.timestamp_reports:
            if rep.without_offset and info.timezone_source == "default":
                warnings.append(_(
                    "column '{column}': {n} timestamps had no UTC offset; read as UTC — set --timezone or "
                    "timestamps.timezone (timezone= in Python) if they are local times."
                ).format(column=rep.column, n=fmt_thousands(rep.without_offset)))
        warnings.extend(info.activity_source.get("notes", []))
        warnings.extend(_lifecycle_warnings(info.lifecycle))
        if rejected:
            warnings.append(_(
                "{rejected} of {rows} rows were rejected ({reasons}); write them out with "
                "quality.write_rejects(path) or --rejects FILE."
            ).format(rejected=fmt_thousands(rejected), rows=fmt_thousands(info.rows_read),
                     reasons=", ".join(f"{reason_label(r)}: {fmt_thousands(n)}" for r, n in by_reason.items())))  # fmt: skip
        if checks["duplicate_events"]:
            warnings.append(_("{n} events are exact duplicates of another event.").format(
                n=fmt_thousands(checks["duplicate_events"])))
        return cls(
            source=info.source,
            kind=info.kind,
            rows_read=info.rows_read,
            rows_kept=info.rows_kept,
            rows_rejected=rejected,
            rejected_by_reason=by_reason,
            events=checks["events"],
            cases=checks["cases"],
            activities=checks["activities"],
            first_event=checks["first_event"],
            last_event=checks["last_event"],
            duplicate_events=checks["duplicate_events"],
            same_timestamp_events=checks["same_timestamp_events"],
            single_event_cases=checks["single_event_cases"],
            completeness=checks["completeness"],
            warnings=warnings,
            details=details,
            roles=info.roles.as_dict() if info.roles else {},
            activity_source=dict(info.activity_source),
            lifecycle=dict(info.lifecycle),
            timestamps=timestamps,
            rejects=rejects,
        )

    # --- views -------------------------------------------------------------------------------
    @property
    def time_span(self) -> float | None:
        """Seconds from the first to the last event."""
        if self.first_event is None or self.last_event is None:
            return None
        return (self.last_event - self.first_event).total_seconds()

    def _summary(self) -> QualitySummary:
        return QualitySummary(
            source=self.source,
            kind=self.kind,
            rows_read=self.rows_read,
            rows_kept=self.rows_kept,
            rows_rejected=self.rows_rejected,
            rejected_by_reason=self.rejected_by_reason,
            events=self.events,
            cases=self.cases,
            activities=self.activities,
            duplicate_events=self.duplicate_events,
            same_timestamp_events=self.same_timestamp_events,
            single_event_cases=self.single_event_cases,
            first_event=self.first_event,
            last_event=self.last_event,
            time_span_seconds=self.time_span,
            completeness={k: round(v, 6) for k, v in self.completeness.items()},
            roles=ColumnRoles(**self.roles) if self.roles else None,
            activity_source=ActivitySource(**self.activity_source) if self.activity_source else None,
            lifecycle=LifecycleSummary(**self.lifecycle),
            timestamps=[TimestampCounts(**t) for t in self.timestamps],
            details=dict(self.details),
            warnings=list(self.warnings),
        )

    def table(self) -> pd.DataFrame:
        """The figures as a person reads them: ``figure`` / ``value`` rows (see :meth:`figures`)."""
        return pd.DataFrame(self.figures(), columns=["figure", "value"])

    def section_context(self) -> dict[str, Any]:
        return {"figures": self.figures(), "warnings": list(self.warnings)}

    def figures(self) -> list[tuple[str, str]]:
        """(figure, value) rows as a person reads them."""
        rows = [
            (_("source"), self.source),
            (_("rows read"), fmt_thousands(self.rows_read)),
            (_("rows kept"), fmt_thousands(self.rows_kept)),
            (_("rows rejected"), fmt_thousands(self.rows_rejected)),
        ]
        rows += [("  " + _("rejected: {reason}").format(reason=reason_label(r)), fmt_thousands(n)) for r, n in self.rejected_by_reason.items()]
        rows += self._activity_rows() + self._lifecycle_rows() + self._timestamp_rows()
        rows.append((_("events"), fmt_thousands(self.events)))
        if self.lifecycle.get("paired") and self.events != self.rows_kept:
            rows.append((_("events vs rows kept"), _(
                "the {rows} rows kept are {events} events: the lifecycle rows of one activity instance (start, "
                "complete, …) make one event").format(rows=fmt_thousands(self.rows_kept), events=fmt_thousands(self.events))))  # fmt: skip
        rows += [
            (_("cases"), fmt_thousands(self.cases)),
            (_("activities"), fmt_thousands(self.activities)),
            (_("exact duplicate events"), fmt_thousands(self.duplicate_events)),
            (_("events sharing a timestamp in their case"), fmt_thousands(self.same_timestamp_events)),
            (_("cases with a single event"), fmt_thousands(self.single_event_cases)),
            (_("first event (UTC)"), format_datetime(self.first_event, "%Y-%m-%d %H:%M:%S") if self.first_event else "–"),
            (_("last event (UTC)"), format_datetime(self.last_event, "%Y-%m-%d %H:%M:%S") if self.last_event else "–"),
            (_("time span"), format_duration(self.time_span) if self.time_span is not None else "–"),
        ]
        shown = {"suspended_seconds": N_("suspended time"), "schedule_timestamp": N_("queue start (schedule/assign)")}
        rows += [(_("completeness: {column}").format(column=_(shown.get(c, c))), fmt_pct(v)) for c, v in self.completeness.items()]
        return rows

    def _activity_rows(self) -> list[tuple[str, str]]:
        src = self.activity_source
        if not src:
            return []
        cols = " + ".join(self.roles.get("activity", []))
        if src.get("source") == "classifier":
            c = src["classifier"]
            how = _("XES classifier '{name}'").format(name=c["name"])
        else:
            how = {"given": _("given"), "detected": _("detected from the column names")}.get(src.get("source", ""), "")
        rows = [(_("activity"), f"{cols} ({how})" if how else cols)]
        if src.get("declared") and src.get("source") != "classifier":
            rows.append(
                (_("XES classifiers declared (not used)"), "; ".join(f"{d['name']}: {' '.join(d['keys'])}" for d in src["declared"]))
            )
        return rows

    def _lifecycle_rows(self) -> list[tuple[str, str]]:
        lc = self.lifecycle
        if not lc.get("column"):
            return []
        mode = lc.get("mode")
        if mode == "keep":
            what = _("kept: every row is an event, activity = name + transition")
        elif mode == "pair" and lc.get("paired"):
            what = _("paired into activity instances")
        elif mode == "pair":
            what = _("nothing to pair (no schedule/assign/start/suspend/resume rows)")
        else:
            what = _("not paired: {reason}").format(reason=lc.get("reason", ""))
        rows = [(_("lifecycle ({column})").format(column=lc["column"]), what)]
        rows += [("  " + _("transition: {name}").format(name=t), fmt_thousands(n)) for t, n in lc.get("transitions", {}).items()]
        if lc.get("paired"):
            rows += [
                ("  " + _("activity instances"), fmt_thousands(lc['activity_instances'])),
                ("  " + _("with start and end (work time)"), fmt_thousands(lc['start_to_end'])),
                ("  " + _("with a schedule/assign row (queue start)"), fmt_thousands(lc['with_queue'])),
                ("  " + _("suspended (time between suspend and resume)"), fmt_thousands(lc['suspended_instances'])),
            ]
            rows += [("  " + _("ended by: {name}").format(name=e), fmt_thousands(n)) for e, n in lc.get("ended_by", {}).items()]
        return rows

    def _timestamp_rows(self) -> list[tuple[str, str]]:
        rows = []
        for t in self.timestamps:
            col = t["column"]
            if t["with_offset"]:
                rows.append((_("timestamps with a UTC offset ({column})").format(column=col),
                             _("{count}, converted to UTC").format(count=fmt_thousands(t["with_offset"]))))
            if t["epoch"]:
                rows.append((_("epoch timestamps ({column})").format(column=col), _("{count}, UTC").format(count=fmt_thousands(t["epoch"]))))
            if t["without_offset"]:
                source = _(_TZ_SOURCE.get(t["timezone_source"], t["timezone_source"]))
                rows.append(
                    (_("timestamps without a UTC offset ({column})").format(column=col),
                     _("{count}, read as {timezone} ({source})").format(count=fmt_thousands(t["without_offset"]), timezone=t["timezone"], source=source))
                )
        return rows

    def rejects_frame(self, limit: int | None = 1000) -> pd.DataFrame:
        """Rejected rows: source row, file line, column, reason, value."""
        if self.rejects is None:
            return pd.DataFrame(columns=["source_row", "line", "column", "reason", "value"])
        t = self.rejects.order_by("source_row")
        return (t.limit(limit) if limit else t).to_pandas()

    def rejected_rows(self, limit: int = 10) -> list[dict[str, Any]]:
        """The first ``limit`` rejected rows (by data row) as JSON-ready records: ``row`` (data row),
        ``line`` (file line, CSV only), ``column``, ``reason``, ``value`` (None when empty)."""
        if limit <= 0 or not self.rows_rejected:
            return []
        frame = self.rejects_frame(limit)
        return [
            {name: json_ready(record.get(col)) for col, name in _REJECT_FIELDS.items()}
            for record in frame.to_dict(orient="records")
        ]

    def write_rejects(self, path: str | Path) -> Path:
        """Write every rejected row (row number, line, column, reason, value) to CSV or Parquet."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        t = self.rejects.order_by("source_row") if self.rejects is not None else None
        suffix = path.suffix.lower()
        if t is not None and suffix == ".parquet":
            t.to_parquet(path)
        elif t is None or self.rows_rejected < 100_000 or suffix == ".xlsx":
            frame = self.rejects_frame(None) if t is None else t.to_pandas()
            if suffix in (".parquet", ".xlsx"):
                write_table(frame, path)
            else:  # CSV whatever the suffix, formula-like cells neutralised as write_table does
                neutralise_frame(frame).to_csv(path, index=False)
        else:  # streamed in batches, each with its formula-like cells neutralised
            with open(path, "w", encoding="utf-8", newline="") as fh:
                for i, batch in enumerate(t.to_pyarrow_batches(chunk_size=100_000)):
                    neutralise_frame(batch.to_pandas()).to_csv(fh, index=False, header=i == 0)
        return path

    def __str__(self) -> str:
        width = max(len(f) for f, _ in self.figures())
        lines = [f"{f:<{width}}  {v}" for f, v in self.figures()]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _lifecycle_warnings(lc: dict[str, Any]) -> list[str]:
    """What a reader of paired (or kept) lifecycle rows must know."""
    out = []
    col = lc.get("column")
    unknown = {t: n for t, n in lc.get("transitions", {}).items() if t not in STANDARD and t not in SYNONYMS and t != "(empty)"}
    if unknown:
        out.append(
            f"column '{col}' has lifecycle values outside the IEEE 1849 standard lifecycle ("
            + ", ".join(f"{t}: {n:,}" for t, n in unknown.items())
            + ("); each such row is kept as an event of its own." if lc.get("paired") else ").")
        )
    if not lc.get("paired"):
        return out
    if lc.get("start_without_end"):
        out.append(
            f"{lc['start_without_end']:,} activity instances have a start but no complete/abort row; they are kept "
            "with their start time as completion time."
        )
    if lc.get("queue_without_start"):
        out.append(
            f"{lc['queue_without_start']:,} activity instances were scheduled/assigned but never started, withdrawn "
            "or completed; they are kept as events at their schedule/assign time."
        )
    if lc.get("suspended_instances"):
        out.append(
            f"{lc['suspended_instances']:,} activity instances were suspended ({format_duration(lc['suspended_seconds'])} "
            "in total, column suspended_seconds): their work time is timestamp − start_timestamp − suspended_seconds."
        )
    if lc.get("suspend_resume_outside_instances"):
        out.append(
            f"{lc['suspend_resume_outside_instances']:,} suspend/resume rows fall outside every started activity "
            "instance; they are kept as events of their own."
        )
    return out


def QualitySection(quality: DataQuality) -> DataQuality:
    """Deprecated: a :class:`DataQuality` is its own report section; use it directly."""
    _warnings.warn(
        "QualitySection(quality) is deprecated: a DataQuality is its own report section",
        DeprecationWarning,
        stacklevel=2,
    )
    return quality


def validated_log(
    src: Any,
    events: ir.Table,
    rejects: ir.Table,
    *,
    rows_kept: int,
    reports: list[TimestampReport],
    timezone: tuple[str, str],
    roles: Roles,
    lifecycle: dict[str, Any],
    activity_source: dict[str, Any],
    attributes: list[str],
) -> TicketLog:
    """The :class:`TicketLog` of validated ``events`` with its :class:`DataQuality` (``src``: the
    raw source the reader loaded — its path, kind, rows, details and whether it has file lines)."""
    info = IngestInfo(
        source=src.path,
        kind=src.kind,
        rows_read=src.rows_in,
        rows_kept=rows_kept,
        details=dict(src.info),
        timestamp_reports=reports,
        timezone=timezone[0],
        timezone_source=timezone[1],
        roles=roles,
        lifecycle=lifecycle,
        activity_source=activity_source,
        has_lines=src.has_lines,
    )
    log = TicketLog(events=events, roles=roles, source=src.path, timezone=timezone[0], attributes=tuple(attributes))
    return replace(log, quality=DataQuality.compute(log, info, rejects))
