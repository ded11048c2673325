"""Validate a raw table on its own engine (Spark, a SQL database): roles, timestamps, rejects with
reasons, rows in = rows kept + rows rejected — the checks of :func:`cspm.ingest.read.read` as Ibis
expressions, so the events never pass through DuckDB or pandas.

The role decisions are the reader's own (:func:`cspm.ingest.read.resolve_roles`); timestamps are
read by :mod:`cspm.ingest.timestamp_parts` (the same formats, time-zone and day/month rules). Rows
are checked in the order of the DuckDB reader (first problem wins): not a status change (Jira),
missing case id, missing activity, missing timestamp, unparsable timestamp, unparsable start
timestamp. Lifecycle rows are kept as events (activity = name + transition); pairing them into
activity instances runs on DuckDB.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from cspm.core.log import (
    ACTIVITY,
    AGENT,
    CASE,
    OPTIONAL_ROLES,
    ROW,
    START,
    TEAM,
    TIMESTAMP,
    TicketLog,
)
from cspm.errors import InputError
from cspm.i18n import gettext as _
from cspm.ingest import lifecycle as _lifecycle
from cspm.ingest import roles as _roles
from cspm.ingest import row_checks as rules
from cspm.ingest.engine_sources import EngineSource
from cspm.ingest.quality import validated_log
from cspm.ingest.raw import ROWCOL
from cspm.ingest.timestamp_parts import parse_column
from cspm.ingest.timestamps import FAMILIES

__all__ = ["validate_on_engine"]



def _text(value: ir.Value) -> ir.StringValue:
    """A value as trimmed text, blank → NULL (the reader's rule for role columns)."""
    return value.cast("string").strip().nullif("")


class _Probe:
    """The role choice's questions about values, answered by the engine on the raw table."""

    def __init__(self, raw: ir.Table) -> None:
        self.raw = raw

    def looks_like_time(self, column: str) -> bool:
        return _looks_like_time(self.raw, column)

    def has_transitions(self, column: str) -> bool:
        return _has_transitions(self.raw, column)


def validate_on_engine(src: EngineSource, options: rules.ReadOptions) -> TicketLog:
    """The validated :class:`TicketLog` of a raw table on Spark or a SQL database."""
    raw = src.table
    timezone, dayfirst, formats, separator = options.timezone, options.dayfirst, options.formats, options.separator
    tz = timezone[0]
    roles, act_cols, lifecycle, activity_source = rules.choose_roles(src, options, _Probe(raw))
    if lifecycle.get("mode") == "pair":
        raise InputError(
            _("pairing lifecycle rows (column {lifecycle!r}) into activity instances runs on DuckDB only.").format(lifecycle=roles.lifecycle),
            path=src.path,
            column=roles.lifecycle,
            expected=_("lifecycle rows kept as events, or the DuckDB engine"),
            hint=_("Use --lifecycle keep (pair_lifecycle=False) to keep every row, or --engine duckdb to pair them."),
        )
    ts, ts_report = parse_column(raw, roles.timestamp, timezone=tz, dayfirst=dayfirst, formats=formats, path=src.path)
    reports = [ts_report]
    cols: dict[str, ir.Value] = {
        ROW: raw[ROWCOL],
        CASE: _text(raw[roles.case_id]),
        ACTIVITY: _text(raw[act_cols[0]]) if len(act_cols) == 1
        else ibis.literal(separator).join([raw[c].cast("string").strip().coalesce("") for c in act_cols]).nullif(""),
        TIMESTAMP: ts,
    }  # fmt: skip
    consumed = {roles.case_id, roles.timestamp, *act_cols}
    if roles.start_timestamp:
        cols[START], start_report = parse_column(
            raw, roles.start_timestamp, timezone=tz, dayfirst=dayfirst, formats=formats, path=src.path
        )
        reports.append(start_report)
        consumed.add(roles.start_timestamp)
    for role, name in (("agent", AGENT), ("team", TEAM), *((r, r) for r in OPTIONAL_ROLES)):
        col = getattr(roles, role)
        if col:
            cols[name] = _text(raw[col])
            consumed.add(col)
    if roles.lifecycle:
        cols["__lc"] = raw[roles.lifecycle].cast("string")
    attributes = []
    for col in src.columns:
        if col in consumed:
            continue
        name = rules.attribute_name(col)
        cols[name] = raw[col]
        attributes.append(name)
    cols["__ts_raw"] = _text(raw[roles.timestamp])
    if roles.start_timestamp:
        cols["__st_raw"] = _text(raw[roles.start_timestamp])
    field_col = rules.status_field(src.columns, act_cols)
    if field_col:
        cols["__field"] = _text(raw[field_col]).lower()
    # every row parsed once, on the engine (a table of its own: the checks below read its columns)
    parsed = raw.select(**cols).cache()
    tests, quoted = _tests(parsed)
    checks = [(tests[c.test](), c.reason, c.column, quoted[c.quoted]())
              for c in rules.row_checks(roles, act_cols, status_field=field_col)]  # fmt: skip
    bad = parsed.filter(ibis.or_(*(c for c, _, _, _ in checks)))
    rejects = bad.select(
        source_row=bad[ROW],
        line=(bad[ROW] + 1) if src.has_lines else ibis.null("int64"),
        column=ibis.cases(*((c, col) for c, _, col, _ in checks)).name("column"),
        reason=ibis.cases(*((c, r) for c, r, _, _ in checks)),
        value=ibis.cases(*((c, v.cast("string")) for c, _, _, v in checks)),
    )
    if src.malformed is not None:
        rejects = rejects.union(src.malformed.cast(rejects.schema()))
    helpers = [c for c in ("__ts_raw", "__st_raw", "__field") if c in parsed.columns]
    events = parsed.filter(~ibis.or_(*(c for c, _, _, _ in checks))).drop(*helpers)
    if roles.lifecycle:
        lifecycle["transitions"] = _transition_counts(events)
        lifecycle["paired"] = False
        events = events.drop("__lc")
    # materialised once: every analysis reads the events, and a query over the cached table is
    # planned without the parsing expressions above
    events = events.cache()
    # a cached table's schema comes back from Spark as naive timestamps: they are UTC instants
    events = events.mutate(**{c: events[c].cast("timestamp('UTC')") for c in (TIMESTAMP, START) if c in events.columns})
    rows_kept = int(events.count().to_pyarrow().as_py())
    return validated_log(
        src, events, rejects, rows_kept=rows_kept, reports=reports, timezone=timezone, roles=roles,
        lifecycle=lifecycle, activity_source=activity_source, attributes=attributes,
    )  # fmt: skip


def _tests(p: ir.Table) -> tuple[dict[str, Any], dict[str, Any]]:
    """How the engine tests each row check of :mod:`cspm.ingest.row_checks` over the parsed
    columns, and the raw value each quotes (a missing value has none, as on DuckDB)."""
    lo, hi = (ibis.literal(v).cast("timestamp('UTC')") for v in rules.TIME_RANGE)

    def out_of_range(col: str) -> ir.BooleanValue:
        return (p[col] < lo) | (p[col] >= hi)

    tests = {
        "not_status": lambda: p.__field.isnull() | ~p.__field.isin(list(_roles.STATUS_FIELDS)),
        "missing_case": lambda: p[CASE].isnull(),
        "missing_activity": lambda: p[ACTIVITY].isnull(),
        "missing_timestamp": lambda: p.__ts_raw.isnull(),
        "unparsable_timestamp": lambda: p[TIMESTAMP].isnull(),
        "timestamp_out_of_range": lambda: out_of_range(TIMESTAMP),
        "unparsable_start": lambda: p.__st_raw.notnull() & p[START].isnull(),
        "start_out_of_range": lambda: out_of_range(START),
    }
    quoted = {"none": lambda: ibis.null("string"), "timestamp": lambda: p.__ts_raw, "start": lambda: p.__st_raw,
              "field": lambda: p.__field}  # fmt: skip
    return tests, quoted


def _looks_like_time(raw: ir.Table, column: str) -> bool:
    """At least half of a sample of the column's values look like a date/time (as on DuckDB)."""
    ctype = raw[column].type()
    if ctype.is_timestamp() or ctype.is_date():
        return True
    if not ctype.is_string():
        return ctype.is_integer() or ctype.is_floating()
    sample = raw.filter(raw[column].notnull()).select(v=raw[column].strip()).limit(2000)
    any_family = ibis.or_(*(sample.v.re_search(f"^(?:{f.pattern})$") for f in FAMILIES))
    row = sample.aggregate(n=sample.count(), hits=any_family.sum()).to_pyarrow().to_pylist()[0]
    return bool(row["n"]) and (row["hits"] or 0) >= 0.5 * row["n"]


def _has_transitions(raw: ir.Table, column: str) -> bool:
    """Whether any value of the column is a lifecycle transition (standard name or synonym)."""
    value = raw[column].cast("string").strip().lower()
    known = [*_lifecycle.STANDARD, *_lifecycle.SYNONYMS]
    return bool(raw.filter(value.isin(known)).limit(1).count().to_pyarrow().as_py())


def _transition_counts(events: ir.Table) -> dict[str, int]:
    """Rows per lifecycle value as written (lower case, trimmed; empty → '(empty)'), in the order of
    the standard lifecycle, then the others by name (as on DuckDB)."""
    value = events["__lc"].strip().lower().nullif("").coalesce("(empty)")
    counts = events.group_by(t=value).aggregate(n=events.count()).to_pyarrow().to_pylist()
    rank = {t: i for i, t in enumerate(_lifecycle.STANDARD)}

    def key(item: dict[str, Any]) -> tuple[int, str]:
        return rank.get(_lifecycle.SYNONYMS.get(item["t"], item["t"]), len(rank)), item["t"]

    return {str(r["t"]): int(r["n"]) for r in sorted(counts, key=key)}
