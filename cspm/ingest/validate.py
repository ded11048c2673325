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
from cspm.ingest.engine_sources import EngineSource
from cspm.ingest.quality import validated_log
from cspm.ingest.raw import ROWCOL
from cspm.ingest.role_choice import resolve_roles
from cspm.ingest.timestamp_parts import parse_column
from cspm.ingest.timestamps import FAMILIES

__all__ = ["validate_on_engine"]

_CANONICAL = {CASE, ACTIVITY, TIMESTAMP, START, AGENT, TEAM, ROW, *OPTIONAL_ROLES,
              "schedule_timestamp", "suspended_seconds"}  # fmt: skip


def _text(value: ir.Value) -> ir.StringValue:
    """A value as trimmed text, blank → NULL (the reader's rule for role columns)."""
    return value.cast("string").strip().nullif("")


def validate_on_engine(
    src: EngineSource,
    given: dict[str, str | list[str] | None],
    *,
    timezone: tuple[str, str],
    dayfirst: bool | None,
    formats: list[str] | None,
    separator: str,
    pair_lifecycle: bool | None,
) -> TicketLog:
    """The validated :class:`TicketLog` of a raw table on Spark or a SQL database."""
    raw = src.table
    tz = timezone[0]
    roles, act_cols, lifecycle, activity_source = resolve_roles(
        src.columns,
        src.info,
        src.path,
        given,
        pair_lifecycle,
        looks_like_time=lambda c: _looks_like_time(raw, c),
        has_transitions=lambda c: _has_transitions(raw, c),
    )
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
        name = col if col not in _CANONICAL and not col.startswith("__") else f"attr_{col}"
        cols[name] = raw[col]
        attributes.append(name)
    cols["__ts_raw"] = _text(raw[roles.timestamp])
    if roles.start_timestamp:
        cols["__st_raw"] = _text(raw[roles.start_timestamp])
    field_col = _roles.field_column(src.columns)
    jira = bool(field_col) and _roles.normalise(act_cols[0]) in ("to", "newvalue", "new value", "to status")
    if jira:
        cols["__field"] = _text(raw[field_col]).lower()
    # every row parsed once, on the engine (a table of its own: the checks below read its columns)
    parsed = raw.select(**cols).cache()
    null = ibis.null("string")  # as on DuckDB: a missing value has no raw value
    checks: list[tuple[ir.BooleanValue, str, str, ir.Value]] = [
        (parsed[CASE].isnull(), "missing case id", roles.case_id, null),
        (parsed[ACTIVITY].isnull(), "missing activity", act_cols[0], null),
        (parsed.__ts_raw.isnull(), "missing timestamp", roles.timestamp, null),
        (parsed[TIMESTAMP].isnull(), "unparsable timestamp", roles.timestamp, parsed.__ts_raw),
    ]
    if roles.start_timestamp:
        checks.append(
            (parsed.__st_raw.notnull() & parsed[START].isnull(), "unparsable start timestamp", roles.start_timestamp,
             parsed.__st_raw)
        )  # fmt: skip
    if jira:
        status = list(_roles.STATUS_FIELDS)
        checks.insert(0, (parsed.__field.isnull() | ~parsed.__field.isin(status), "not a status change", field_col, parsed.__field))
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
    # a cached table's schema comes back from Spark as naive timestamps: they are UTC instants
    events = events.mutate(**{c: events[c].cast("timestamp('UTC')") for c in (TIMESTAMP, START) if c in events.columns})
    rows_kept = int(events.count().to_pyarrow().as_py())
    return validated_log(
        src, events, rejects, rows_kept=rows_kept, reports=reports, timezone=timezone, roles=roles,
        lifecycle=lifecycle, activity_source=activity_source, attributes=attributes,
    )  # fmt: skip


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
