"""``cspm.read``: any ticket export → a validated :class:`~cspm.log.TicketLog` on DuckDB.

Every input row ends up either in the event table or in the rejects table with its row number and
reason: rows in = rows kept + rows rejected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cspm import roles as _roles
from cspm._sources import REJECTS_DDL, ROWCOL, RawSource, lit, load_source, q
from cspm._timestamps import FAMILIES, TimestampReport, parse_expression
from cspm.config import Config, load_config
from cspm.engine import duckdb_backend, unique_name
from cspm.errors import InputError, RoleDetectionError
from cspm.log import (
    ACTIVITY,
    AGENT,
    CASE,
    OPTIONAL_ROLES,
    ROW,
    START,
    TEAM,
    TIMESTAMP,
    Roles,
    TicketLog,
)
from cspm.quality import DataQuality, IngestInfo

_START_VALUES = ("start", "started", "begin")
_COMPLETE_VALUES = ("complete", "completed", "end", "done", "finish")
_CANONICAL = {CASE, ACTIVITY, TIMESTAMP, START, AGENT, TEAM, ROW, *OPTIONAL_ROLES}


def read(
    source: Any,
    *,
    case_id: str | None = None,
    activity: str | list[str] | None = None,
    timestamp: str | None = None,
    start_timestamp: str | None = None,
    agent: str | None = None,
    team: str | None = None,
    lifecycle: str | None = None,
    channel: str | None = None,
    priority: str | None = None,
    customer: str | None = None,
    config: Config | str | Path | None = None,
    timezone: str | None = None,
    dayfirst: bool | None = None,
    timestamp_format: str | list[str] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    pair_lifecycle: bool = True,
    backend: Any = None,
) -> TicketLog:
    """Read a ticket event log.

    ``source``: a path (CSV/TSV, optionally gzipped; XLSX; Parquet; XES or .xes.gz) or a pandas /
    polars DataFrame / Arrow table. Column roles not given are detected from the headers.
    Naive timestamps are read in ``timezone`` (default: the config's, else UTC) and stored in UTC.
    Start/complete rows (a lifecycle column with 'start' values) are paired into one event each.
    """
    cfg = config if isinstance(config, Config) else load_config(config) if config else Config()
    cols = cfg.columns
    given: dict[str, str | list[str] | None] = {
        "case_id": case_id or cols.case_id,
        "activity": activity or cols.activity,
        "timestamp": timestamp or cols.timestamp,
        "start_timestamp": start_timestamp or cols.start_timestamp,
        "agent": agent or cols.agent,
        "team": team or cols.team,
        "lifecycle": lifecycle or cols.lifecycle,
        "channel": channel or cols.channel,
        "priority": priority or cols.priority,
        "customer": customer or cols.customer,
    }
    tz = timezone or cfg.timestamps.timezone
    if timezone:
        from cspm.config import _check_timezone

        try:
            _check_timezone(timezone)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    dayfirst = cfg.timestamps.dayfirst if dayfirst is None else dayfirst
    fmt = timestamp_format or cfg.timestamps.format
    formats = [fmt] if isinstance(fmt, str) else list(fmt) if fmt else None

    backend = backend or duckdb_backend()
    raw = backend.con
    rejects = unique_name("rejects")
    raw.execute(REJECTS_DDL.format(name=rejects))
    src = load_source(raw, source, rejects, encoding=encoding, delimiter=delimiter, sheet=sheet)
    try:
        return _build(backend, src, rejects, given, tz, dayfirst, formats, cols.activity_separator, pair_lifecycle)
    finally:
        for statement in src.drop:
            raw.execute(statement)


def _build(
    backend: Any,
    src: RawSource,
    rejects: str,
    given: dict[str, str | list[str] | None],
    tz: str,
    dayfirst: bool | None,
    formats: list[str] | None,
    separator: str,
    pair_lifecycle: bool,
) -> TicketLog:
    raw = backend.con
    for role, value in given.items():
        for col in [value] if isinstance(value, str) else value or []:
            if col not in src.columns:
                raise InputError(
                    f"has no column {col!r} (given as the {role.replace('_', ' ')} column). "
                    f"Columns found: {', '.join(repr(c) for c in src.columns)}.",
                    path=src.path,
                    column=col,
                    expected=f"a column named {col!r}",
                )
    mapping, detected, cands = _roles.detect(
        src.columns,
        given,
        accepts={
            "timestamp": lambda c: _looks_like_time(raw, src.table, c),
            "start_timestamp": lambda c: _looks_like_time(raw, src.table, c),
        },
    )
    missing = [r for r in _roles.REQUIRED if r not in mapping]
    ambiguous = [r for r in _roles.REQUIRED if isinstance(mapping.get(r), list) and mapping[r][0] == "__ambiguous__"]
    if missing or ambiguous:
        parts = []
        if missing:
            parts.append("no column was recognised as the " + ", ".join(m.replace("_", " ") for m in missing))
        if ambiguous:
            parts.append(
                "; ".join(f"{r.replace('_', ' ')} could be {mapping[r][1]!r} or {mapping[r][2]!r}" for r in ambiguous)
            )
        if len(src.columns) == 1:
            parts.append(f"the file has a single column {src.columns[0][:80]!r} (wrong delimiter?)")
        raise RoleDetectionError(
            "Could not tell which columns hold the case id, activity and timestamp: " + "; ".join(parts) + ".",
            path=src.path,
            columns=src.columns,
            candidates=cands,
        )
    act_cols = [mapping["activity"]] if isinstance(mapping["activity"], str) else list(mapping["activity"])
    roles = Roles(
        case_id=str(mapping["case_id"]),
        activity=tuple(act_cols),
        timestamp=str(mapping["timestamp"]),
        start_timestamp=_opt(mapping, "start_timestamp"),
        agent=_opt(mapping, "agent"),
        team=_opt(mapping, "team"),
        lifecycle=_opt(mapping, "lifecycle"),
        channel=_opt(mapping, "channel"),
        priority=_opt(mapping, "priority"),
        customer=_opt(mapping, "customer"),
        detected=tuple(detected),
    )
    ts_expr, ts_report = parse_expression(
        raw, src.table, roles.timestamp, timezone=tz, dayfirst=dayfirst, formats=formats, path=src.path
    )
    reports: list[TimestampReport] = [ts_report]
    start_expr = None
    if roles.start_timestamp:
        start_expr, start_report = parse_expression(
            raw, src.table, roles.start_timestamp, timezone=tz, dayfirst=dayfirst, formats=formats, path=src.path
        )
        reports.append(start_report)

    def text(col: str) -> str:
        return f"NULLIF(trim(CAST({q(col)} AS VARCHAR)), '')"

    lifecycle_in_activity = roles.lifecycle in act_cols if roles.lifecycle else False
    act_expr = (
        text(act_cols[0])
        if len(act_cols) == 1
        else f"NULLIF(concat_ws({lit(separator)}, {', '.join(text(c) for c in act_cols)}), '')"
    )
    consumed = {roles.case_id, roles.timestamp, *act_cols}
    select = [f"{src.table}.{ROWCOL} AS {ROW}", f"{text(roles.case_id)} AS {CASE}", f"{act_expr} AS {ACTIVITY}"]
    select.append(f"{ts_expr} AS {TIMESTAMP}")
    if start_expr:
        select.append(f"{start_expr} AS {START}")
        consumed.add(roles.start_timestamp)
    for role, name in (("agent", AGENT), ("team", TEAM), *((r, r) for r in OPTIONAL_ROLES)):
        col = getattr(roles, role)
        if col:
            select.append(f"{text(col)} AS {q(name)}")
            consumed.add(col)
    pairing = bool(pair_lifecycle and roles.lifecycle and not lifecycle_in_activity and not start_expr)
    if pairing:
        n_start = raw.execute(
            f"SELECT count(*) FROM {src.table} WHERE lower(trim({q(roles.lifecycle)})) IN "
            f"({', '.join(lit(v) for v in _START_VALUES)})"
        ).fetchone()[0]
        pairing = n_start > 0
    if pairing:
        select.append(f"lower(trim(CAST({q(roles.lifecycle)} AS VARCHAR))) AS __lifecycle")
        consumed.add(roles.lifecycle)
    attributes = []
    for col in src.columns:
        if col in consumed:
            continue
        name = col if col not in _CANONICAL and not col.startswith("__") else f"attr_{col}"
        select.append(f"{q(col)} AS {q(name)}")
        attributes.append(name)

    # Why a row is rejected (first problem wins), with the column and raw value. The checks read
    # the parsed columns of the inner select, so every value is parsed once.
    select.append(f"{text(roles.timestamp)} AS __ts_raw")
    extra = ["__ts_raw"]
    checks = [
        (f"{CASE} IS NULL", "missing case id", roles.case_id, "NULL"),
        (f"{ACTIVITY} IS NULL", "missing activity", act_cols[0], "NULL"),
        ("__ts_raw IS NULL", "missing timestamp", roles.timestamp, "NULL"),
        (f"{TIMESTAMP} IS NULL", "unparsable timestamp", roles.timestamp, "__ts_raw"),
    ]
    if start_expr:
        select.append(f"{text(roles.start_timestamp)} AS __st_raw")
        extra.append("__st_raw")
        checks.append(
            (f"__st_raw IS NOT NULL AND {START} IS NULL", "unparsable start timestamp", roles.start_timestamp, "__st_raw")
        )
    field_col = _roles.field_column(src.columns)
    if field_col and _roles.normalise(act_cols[0]) in ("to", "newvalue", "new value", "to status"):
        status = ", ".join(lit(s) for s in _roles.STATUS_FIELDS)
        select.append(f"lower({text(field_col)}) AS __field")
        extra.append("__field")
        checks.insert(0, (f"__field IS NULL OR __field NOT IN ({status})", "not a status change", field_col, "__field"))
    if pairing:
        allowed = ", ".join(lit(v) for v in _START_VALUES + _COMPLETE_VALUES)
        checks.append(
            (
                f"__lifecycle IS NULL OR __lifecycle NOT IN ({allowed})",
                "lifecycle transition other than start/complete",
                roles.lifecycle,
                "__lifecycle",
            )
        )
    reason = "CASE " + " ".join(f"WHEN {c} THEN {lit(r)}" for c, r, _, _ in checks) + " END"
    rcol = "CASE " + " ".join(f"WHEN {c} THEN {lit(col)}" for c, _, col, _ in checks) + " END"
    rval = "CASE " + " ".join(f"WHEN {c} THEN CAST({v} AS VARCHAR)" for c, _, _, v in checks) + " END"
    # One pass: parse every row once into the events table with its reason (NULL = kept), move the
    # rejected rows to the rejects table, then drop them and the bookkeeping columns.
    events = unique_name("events")
    inner = ", ".join(select)
    raw.execute(
        f"CREATE TABLE {events} AS SELECT *, {reason} AS __reason, {rcol} AS __rcol, {rval} AS __rval "
        f"FROM (SELECT {inner} FROM {src.table})"
    )
    line = f"{ROW} + 1" if src.has_lines else "NULL"
    raw.execute(
        f"INSERT INTO {rejects} SELECT {ROW}, {line}, __rcol, __reason, __rval FROM {events} "
        "WHERE __reason IS NOT NULL"
    )
    raw.execute(f"DELETE FROM {events} WHERE __reason IS NOT NULL")
    for col in ("__reason", "__rcol", "__rval", *extra):
        raw.execute(f"ALTER TABLE {events} DROP COLUMN {col}")
    rows_kept = raw.execute(f"SELECT count(*) FROM {events}").fetchone()[0]
    pairing_stats: dict[str, int] = {}
    if pairing:
        events, pairing_stats = _pair_lifecycle(raw, events)
    info = IngestInfo(
        source=src.path,
        kind=src.kind,
        rows_read=src.rows_in,
        rows_kept=rows_kept,
        details=dict(src.info),
        timestamp_reports=reports,
        timezone=tz,
        roles=roles,
        pairing=pairing_stats,
        has_lines=src.has_lines,
    )
    table = backend.table(events)
    rejects_table = backend.table(rejects)
    log = TicketLog(events=table, roles=roles, source=src.path, timezone=tz, attributes=tuple(attributes))
    quality = DataQuality.compute(log, info, rejects_table)
    return TicketLog(
        events=table, roles=roles, quality=quality, source=src.path, timezone=tz, attributes=tuple(attributes)
    )


def _opt(mapping: dict[str, Any], role: str) -> str | None:
    value = mapping.get(role)
    return value if isinstance(value, str) else None


def _looks_like_time(raw: Any, table: str, column: str) -> bool:
    """At least half of a sample of the column's values look like a date/time."""
    ctype = raw.execute(
        f"SELECT data_type FROM information_schema.columns WHERE table_name = {lit(table)} "
        f"AND column_name = {lit(column)}"
    ).fetchone()
    ctype = (ctype[0] if ctype else "VARCHAR").upper()
    if ctype.startswith(("TIMESTAMP", "DATE")):
        return True
    if ctype != "VARCHAR":
        return ctype in ("BIGINT", "DOUBLE", "INTEGER")
    x = f"trim({q(column)})"
    any_family = " OR ".join(f"regexp_full_match({x}, {lit(f.pattern)})" for f in FAMILIES)
    row = raw.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {any_family}) FROM "
        f"(SELECT {q(column)} FROM {table} WHERE {q(column)} IS NOT NULL LIMIT 2000)"
    ).fetchone()
    return row[0] > 0 and row[1] >= 0.5 * row[0]


def _pair_lifecycle(raw: Any, events: str) -> tuple[str, dict[str, int]]:
    """Pair the k-th start with the k-th complete of the same activity in a case (FIFO)."""
    starts = ", ".join(f"'{v}'" for v in _START_VALUES)
    others = [c for c in raw.execute(f"DESCRIBE {events}").fetchall() if c[0] not in (TIMESTAMP, START, "__lifecycle", ROW, CASE, ACTIVITY)]
    keep = ", ".join(f"coalesce(c.{q(c[0])}, s.{q(c[0])}) AS {q(c[0])}" for c in others)
    paired = unique_name("events")
    raw.execute(
        f"""CREATE TABLE {paired} AS
        WITH s AS (SELECT *, row_number() OVER (PARTITION BY {CASE}, {ACTIVITY} ORDER BY {TIMESTAMP}, {ROW}) AS __k
                   FROM {events} WHERE __lifecycle IN ({starts})),
             c AS (SELECT *, row_number() OVER (PARTITION BY {CASE}, {ACTIVITY} ORDER BY {TIMESTAMP}, {ROW}) AS __k
                   FROM {events} WHERE __lifecycle NOT IN ({starts}))
        SELECT coalesce(c.{ROW}, s.{ROW}) AS {ROW}, coalesce(c.{CASE}, s.{CASE}) AS {CASE},
               coalesce(c.{ACTIVITY}, s.{ACTIVITY}) AS {ACTIVITY},
               coalesce(c.{TIMESTAMP}, s.{TIMESTAMP}) AS {TIMESTAMP},
               s.{TIMESTAMP} AS {START}{", " + keep if keep else ""},
               (s.__k IS NOT NULL AND c.__k IS NULL) AS __unpaired_start,
               (c.__k IS NOT NULL AND s.__k IS NULL) AS __unpaired_complete,
               (s.{TIMESTAMP} > c.{TIMESTAMP}) AS __start_after_complete
        FROM s FULL OUTER JOIN c ON s.{CASE} = c.{CASE} AND s.{ACTIVITY} = c.{ACTIVITY} AND s.__k = c.__k
        ORDER BY {ROW}"""
    )
    stats = raw.execute(
        f"SELECT count(*), count(*) FILTER (WHERE __unpaired_start), count(*) FILTER (WHERE __unpaired_complete), "
        f"count(*) FILTER (WHERE __start_after_complete) FROM {paired}"
    ).fetchone()
    raw.execute(f"ALTER TABLE {paired} DROP COLUMN __unpaired_start")
    raw.execute(f"ALTER TABLE {paired} DROP COLUMN __unpaired_complete")
    raw.execute(f"ALTER TABLE {paired} DROP COLUMN __start_after_complete")
    raw.execute(f"DROP TABLE {events}")
    return paired, {
        "activity_instances": stats[0],
        "unpaired_start": stats[1],
        "unpaired_complete": stats[2],
        "start_after_complete": stats[3],
    }
