"""``cspm.read``: any ticket export → a validated :class:`~cspm.core.log.TicketLog` on DuckDB.

Every input row ends up either in the event table or in the rejects table with its row number and
reason: rows in = rows kept + rows rejected.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cspm.config import Config, Pseudonymisation, as_config, check_timezone
from cspm.core.engine import connect, engine_name, move_to, unique_name
from cspm.core.lifetime import release_when_unused
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
from cspm.ingest import lifecycle as _lifecycle
from cspm.ingest import roles as _roles
from cspm.ingest.engine_sources import load_on_engine
from cspm.ingest.local_times import check_local_times
from cspm.ingest.pseudonymise import as_settings, read_key
from cspm.ingest.pseudonymise import pseudonymise as apply_pseudonyms
from cspm.ingest.quality import validated_log
from cspm.ingest.raw import REJECTS_DDL, ROWCOL, RawSource, lit, padded_columns, q
from cspm.ingest.row_checks import (
    TIME_RANGE,
    ReadOptions,
    attribute_name,
    choose_roles,
    row_checks,
    status_field,
)
from cspm.ingest.sources import load_source
from cspm.ingest.timestamps import FAMILIES, TimestampReport, parse_expression
from cspm.ingest.validate import validate_on_engine


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
    pair_lifecycle: bool | None = None,
    backend: Any = None,
    pseudonymise: Pseudonymisation | str | Sequence[str] | None = None,
    engine: Any = None,
    table: str | None = None,
    query: str | None = None,
) -> TicketLog:
    """Read a ticket event log.

    ``source``: a path (CSV/TSV, optionally gzipped; XLSX; Parquet; XES or .xes.gz) or a pandas /
    polars DataFrame / Arrow table. Column roles not given are detected from the headers; an XES
    file's declared classifier (the one named ``Activity`` / ``Activity classifier``, else the first)
    gives the activity unless ``activity`` (or the config's ``columns.activity``) is given.
    Naive timestamps (no UTC offset) are read in ``timezone`` (else the config's
    ``timestamps.timezone``, else UTC; the quality report says which) and stored in UTC.

    Lifecycle rows (``lifecycle:transition``: schedule, assign, start, suspend, resume, complete,
    withdraw, …, see :mod:`cspm.ingest.lifecycle`): ``pair_lifecycle=True`` joins the rows of each activity
    instance into one event (``start_timestamp``, ``schedule_timestamp``, ``suspended_seconds``);
    ``False`` keeps every row as an event whose activity is name + transition. Default (``None``:
    the config's ``columns.pair_lifecycle``, else automatic): keep when the activity already
    includes the lifecycle column (e.g. the XES classifier ``concept:name lifecycle:transition``),
    else pair. Every lifecycle row is kept; none is rejected.

    ``pseudonymise`` (roles such as ``"agent,customer"``, else the config's ``pseudonymise``)
    replaces those names by keyed pseudonyms right after reading (:mod:`cspm.ingest.pseudonymise`).
    ``engine``: where the events live — ``"duckdb"`` (embedded, the default), ``"spark"`` (files,
    URIs Spark reads, Delta tables and Spark tables are read and validated by Spark), an Ibis
    backend, or a database URL; else the config's ``engine``. A database URL as ``source``
    (``postgresql://user@host/db``) reads ``table`` or ``query`` in that database, which does the
    work. Off DuckDB, XES, XLSX and DataFrames are read by DuckDB and moved to the engine.
    """
    cfg = as_config(config)
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
    tz_source = "given" if timezone else "config" if "timezone" in cfg.timestamps.model_fields_set else "default"
    if pair_lifecycle is None:
        pair_lifecycle = cols.pair_lifecycle
    if timezone:
        try:
            check_timezone(timezone)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    dayfirst = cfg.timestamps.dayfirst if dayfirst is None else dayfirst
    fmt = timestamp_format or cfg.timestamps.format
    formats = [fmt] if isinstance(fmt, str) else list(fmt) if fmt else None

    shared = as_settings(pseudonymise, cfg.pseudonymise) if pseudonymise else cfg.pseudonymise
    if shared.roles:
        read_key(None, shared.key_file)  # no key: fail before reading
    if backend is None:
        database = _is_database_url(source) and engine in (None, "duckdb") and cfg.engine.name == "duckdb"
        backend = connect(source if database else engine, cfg.engine)
    options = ReadOptions(given, (tz, tz_source), dayfirst, formats, cols.activity_separator, pair_lifecycle)
    if engine_name(backend) != "duckdb":
        if _on_duckdb_first(source):
            log = read(source, config=cfg, **{k: v for k, v in given.items() if v is not None},  # type: ignore[arg-type]
                       timezone=timezone, dayfirst=dayfirst, timestamp_format=timestamp_format, encoding=encoding,
                       delimiter=delimiter, sheet=sheet, pair_lifecycle=pair_lifecycle, engine="duckdb",
                       pseudonymise=pseudonymise)  # fmt: skip
            return move_to(log, backend)  # pseudonymised (when asked) by the DuckDB read
        src = load_on_engine(backend, source, table=table, query=query, encoding=encoding, delimiter=delimiter)
        log = validate_on_engine(src, options)
        return apply_pseudonyms(log, shared) if shared.roles else log
    raw = backend.con
    rejects = unique_name("rejects")
    raw.execute(REJECTS_DDL.format(name=rejects))
    src = load_source(raw, source, rejects, encoding=encoding, delimiter=delimiter, sheet=sheet)
    try:
        log = _build(backend, src, rejects, options)
    finally:
        for statement in src.drop:
            raw.execute(statement)
    release_when_unused(log.events, log.quality.rejects)  # dropped with the last expression over them
    return apply_pseudonyms(log, shared) if shared.roles else log


class _Probe:
    """The role choice's questions about values, answered by DuckDB on the raw table."""

    def __init__(self, raw: Any, table: str) -> None:
        self.raw, self.table = raw, table

    def looks_like_time(self, column: str) -> bool:
        return _looks_like_time(self.raw, self.table, column)

    def has_transitions(self, column: str) -> bool:
        return _recognised_transitions(self.raw, self.table, column)


def _build(backend: Any, src: RawSource, rejects: str, options: ReadOptions) -> TicketLog:
    raw = backend.con
    timezone, dayfirst, formats = options.timezone, options.dayfirst, options.formats
    tz = timezone[0]
    roles, act_cols, lifecycle, activity_source = choose_roles(src, options, _Probe(raw, src.table))
    field_col = status_field(src.columns, act_cols)
    role_cols = [getattr(roles, r) for r in ("case_id", "timestamp", "start_timestamp", "agent", "team", *OPTIONAL_ROLES)]
    padded = padded_columns(raw, src.table, [c for c in (*role_cols, *act_cols, field_col) if c])
    ts_expr, ts_report = parse_expression(
        raw, src.table, roles.timestamp, timezone=tz, dayfirst=dayfirst, formats=formats, path=src.path,
        padded=roles.timestamp in padded,
    )  # fmt: skip
    reports: list[TimestampReport] = [ts_report]
    start_expr = None
    if roles.start_timestamp:
        start_expr, start_report = parse_expression(
            raw, src.table, roles.start_timestamp, timezone=tz, dayfirst=dayfirst, formats=formats, path=src.path,
            padded=roles.start_timestamp in padded,
        )  # fmt: skip
        reports.append(start_report)

    def text(col: str) -> str:
        """The column as text, empty → NULL; trimmed only where some value needs it (same values)."""
        value = f"trim(CAST({q(col)} AS VARCHAR))" if col in padded else q(col)
        return f"NULLIF({value}, '')"

    act_expr = (
        text(act_cols[0])
        if len(act_cols) == 1
        else f"NULLIF(concat_ws({lit(options.separator)}, {', '.join(text(c) for c in act_cols)}), '')"
    )
    consumed = {roles.case_id, roles.timestamp, *act_cols}
    select = [f"{src.table}.{ROWCOL} AS {ROW}", f"{text(roles.case_id)} AS {CASE}", f"{act_expr} AS {ACTIVITY}"]
    if src.line_column:
        select.append(f"{src.table}.{src.line_column} AS {src.line_column}")
    select.append(f"{ts_expr} AS {TIMESTAMP}")
    if start_expr:
        select.append(f"{start_expr} AS {START}")
        consumed.add(roles.start_timestamp)
    for role, name in (("agent", AGENT), ("team", TEAM), *((r, r) for r in OPTIONAL_ROLES)):
        col = getattr(roles, role)
        if col:
            select.append(f"{text(col)} AS {q(name)}")
            consumed.add(col)
    pairing = lifecycle["mode"] == "pair"
    if roles.lifecycle:
        # the raw value (counted per transition below) and, to pair, the normalised transition
        select.append(f"CAST({q(roles.lifecycle)} AS VARCHAR) AS __lc")
        if pairing:
            select.append(f"{_lifecycle.transition_sql(q(roles.lifecycle))} AS {_lifecycle.TRANSITION}")
    attributes = []
    for col in src.columns:
        if col in consumed:
            continue
        name = attribute_name(col)
        select.append(f"{q(col)} AS {q(name)}")
        attributes.append(name)

    # Why a row is rejected (first problem wins), with the column and raw value. The checks read
    # the parsed columns of the inner select, so every value is parsed once.
    select.append(f"{text(roles.timestamp)} AS __ts_raw")
    extra = ["__ts_raw", *([src.line_column] if src.line_column else [])]
    if start_expr:
        select.append(f"{text(roles.start_timestamp)} AS __st_raw")
        extra.append("__st_raw")
    if field_col:
        select.append(f"lower({text(field_col)}) AS __field")
        extra.append("__field")
    checks = [(_SQL_TESTS[c.test], c.reason, c.column, _SQL_QUOTED[c.quoted])
              for c in row_checks(roles, act_cols, status_field=field_col)]  # fmt: skip
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
    line = src.line_column or (f"{ROW} + 1" if src.has_lines else "NULL")
    raw.execute(
        f"INSERT INTO {rejects} SELECT {ROW}, {line}, __rcol, __reason, __rval FROM {events} "
        "WHERE __reason IS NOT NULL"
    )
    raw.execute(f"DELETE FROM {events} WHERE __reason IS NOT NULL")
    for col in ("__reason", "__rcol", "__rval", *extra):
        raw.execute(f"ALTER TABLE {events} DROP COLUMN {col}")
    rows_kept = raw.execute(f"SELECT count(*) FROM {events}").fetchone()[0]
    for report in reports:  # DST gaps and folds: kept as read, counted in the warnings
        check_local_times(raw, src.table, events, ROW, report)
    if roles.lifecycle:
        lifecycle["transitions"] = _lifecycle.transition_counts(raw, events, "__lc")
        raw.execute(f"ALTER TABLE {events} DROP COLUMN __lc")
        present = {_lifecycle.SYNONYMS.get(t, t) for t in lifecycle["transitions"]}
        lifecycle["paired"] = bool(pairing and present & set(_lifecycle.PAIRABLE))
        if lifecycle["paired"]:
            lc_name = roles.lifecycle if roles.lifecycle in attributes else f"attr_{roles.lifecycle}"
            events, stats = _lifecycle.pair_instances(raw, events, lc_name, present)
            lifecycle.update(stats)
        elif pairing:
            raw.execute(f"ALTER TABLE {events} DROP COLUMN {_lifecycle.TRANSITION}")
    return validated_log(
        src, backend.table(events), backend.table(rejects), rows_kept=rows_kept, reports=reports,
        timezone=timezone, roles=roles, lifecycle=lifecycle, activity_source=activity_source, attributes=attributes,
    )  # fmt: skip


_FILE_SYSTEMS = ("file", "s3", "s3a", "s3n", "gs", "hdfs", "abfs", "abfss", "wasb", "wasbs", "dbfs", "delta")


def _is_database_url(source: Any) -> bool:
    """A URL naming a database (``postgresql://…``), not a file system Spark reads (``s3a://…``)."""
    scheme, sep, _ = str(source).partition("://") if isinstance(source, str) else ("", "", "")
    return bool(sep) and scheme.lower() not in _FILE_SYSTEMS


def _on_duckdb_first(source: Any) -> bool:
    """XES, XLSX and DataFrames are read by DuckDB even when the events go to another engine."""
    if not isinstance(source, str | Path):
        return True
    name = str(source).lower()
    return name.endswith((".xes", ".xes.gz", ".xlsx", ".xls", ".xlsm", ".ods"))


def _out_of_range(column: str) -> str:
    lo, hi = (f"CAST({lit(v)} AS TIMESTAMPTZ)" for v in TIME_RANGE)
    return f"({column} < {lo} OR {column} >= {hi})"


# how DuckDB tests each row check of cspm.ingest.row_checks (over the parsed columns), and the raw value quoted
_SQL_TESTS: dict[str, str] = {
    "not_status": "__field IS NULL OR __field NOT IN (" + ", ".join(lit(s) for s in _roles.STATUS_FIELDS) + ")",
    "missing_case": f"{CASE} IS NULL",
    "missing_activity": f"{ACTIVITY} IS NULL",
    "missing_timestamp": "__ts_raw IS NULL",
    "unparsable_timestamp": f"{TIMESTAMP} IS NULL",
    "timestamp_out_of_range": _out_of_range(TIMESTAMP),
    "unparsable_start": f"__st_raw IS NOT NULL AND {START} IS NULL",
    "start_out_of_range": _out_of_range(START),
}
_SQL_QUOTED = {"none": "NULL", "timestamp": "__ts_raw", "start": "__st_raw", "field": "__field"}


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


def _recognised_transitions(raw: Any, table: str, column: str) -> bool:
    """Whether any value of the column is a lifecycle transition (standard name or synonym)."""
    known = ", ".join(lit(v) for v in (*_lifecycle.STANDARD, *_lifecycle.SYNONYMS))
    return bool(
        raw.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE lower(trim(CAST({q(column)} AS VARCHAR))) "
            f"IN ({known}) LIMIT 1)"
        ).fetchone()[0]
    )
