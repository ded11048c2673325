"""Engines the events live on: embedded DuckDB (default), Apache Spark, or a SQL database Ibis connects to.

:func:`connect` turns an engine choice (``"duckdb"``, ``"spark"``, a database URL such as
``postgresql://user@host/db``, or an Ibis backend) into an Ibis backend. :func:`wall_to_utc` and
:func:`from_epoch` are the engine-specific steps of reading timestamps (a wall-clock time in a named
time zone → UTC instant; epoch seconds → timestamp); :func:`ordered_text` joins a group's values in
order on every engine.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from typing import Any

import duckdb
import ibis
import ibis.backends.duckdb  # noqa: F401  (the default engine: loaded with cspm, not by the first read)
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from cspm.config import EngineSettings, SparkSettings
from cspm.core.lifetime import defer_drops
from cspm.core.log import TicketLog
from cspm.errors import InputError
from cspm.i18n import gettext as _

_counter = itertools.count(1)
_default: Any = None


def duckdb_backend() -> Any:
    """The process-wide embedded DuckDB backend (UTC session time zone, spills to a temp dir)."""
    global _default
    if _default is None:
        _default = new_duckdb_backend()
    return _default


DEFAULT_MEMORY_SHARE = 0.25  # of the machine's memory (or the container's limit) …
DEFAULT_MEMORY_MAX = 2 * 1024**3  # … at most 2 GiB …
DEFAULT_MEMORY_MIN = 512 * 1024**2  # … and at least 512 MiB


def machine_memory() -> int | None:
    """Bytes of memory this process may use: the machine's physical memory, or the container's
    cgroup limit when that is lower; None where neither can be read."""
    sizes = []
    with contextlib.suppress(ValueError, OSError, AttributeError):
        sizes.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        with contextlib.suppress(ValueError, OSError), open(path) as fh:
            text = fh.read().strip()
            if text.isdigit() and int(text) < 2**60:  # "max" or a huge number: no limit
                sizes.append(int(text))
    return min(sizes) if sizes else None


def default_memory_limit() -> str | None:
    """DuckDB's memory limit when none is configured: a quarter of :func:`machine_memory`, between
    512 MiB and 2 GiB (DuckDB spills sorts, joins and aggregates to the temp directory above it).

    DuckDB's own default (80% of the machine) lets a 10M-event diagnosis grow to 11 GB of RSS while
    caching its derived tables; with 2 GiB the same run peaks at 3.1 GB and takes about as long
    (448 s against 436 s, the benchmark's growth row). Set ``engine.memory_limit`` to give it more."""
    total = machine_memory()
    if total is None:
        return None
    limit = min(DEFAULT_MEMORY_MAX, max(DEFAULT_MEMORY_MIN, int(total * DEFAULT_MEMORY_SHARE)))
    return f"{limit // 1024**2}MiB"


COMPRESS_ABOVE = 256 * 1024**2  # bytes of in-memory tables above which new tables are compressed


def compress_large_tables(backend: Any, above: int = COMPRESS_ABOVE) -> Any:
    """Make the DuckDB ``backend`` compress its in-memory tables (a ``CHECKPOINT`` of the database
    and of its temporary tables, where DuckDB applies its lightweight compression) after each table
    Ibis materialises (``.cache()``, how cspm keeps the events' derived tables), once the tables
    hold more than ``above`` bytes; below that, nothing is done. On the 1M-event benchmark log the
    full diagnosis peaks at ~1.05 GB instead of ~1.83 GB and takes ~8 % longer (the checkpoints,
    ~2.5–3 s); on 10M events, where DuckDB works at its memory limit anyway, the peak barely moves
    (3.0 against 3.2 GB) for 7 % more time. Returns ``backend``."""
    create = backend._create_cached_table

    def create_then_compress(name: str, expr: Any) -> Any:
        table = create(name, expr)
        raw = backend.con
        with contextlib.suppress(duckdb.Error):  # only a saving: an engine that refuses keeps them as they are
            held = raw.execute(
                "SELECT sum(memory_usage_bytes) FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'"
            ).fetchone()[0]
            if held is not None and held > above:
                raw.execute("CHECKPOINT")
                raw.execute("CHECKPOINT temp")
        return table

    backend._create_cached_table = create_then_compress
    return backend


def new_duckdb_backend(memory_limit: str | None = None, *, compress_tables: bool = True) -> Any:
    """A fresh in-memory DuckDB backend configured the way cspm expects; ``memory_limit`` (e.g.
    ``'4GB'``) or else :func:`default_memory_limit`; ``compress_tables``: see
    :func:`compress_large_tables`."""
    con = ibis.duckdb.connect()
    raw = con.con
    raw.execute("SET TimeZone = 'UTC'")
    raw.execute(f"SET temp_directory = '{tempfile.gettempdir()}/cspm_duckdb_spill'")
    raw.execute("SET preserve_insertion_order = true")
    # DuckDB's progress bar would write to stderr; in Jupyter without ipywidgets DuckDB refuses the
    # setting (and draws no bar there)
    with contextlib.suppress(duckdb.Error):
        raw.execute("SET enable_progress_bar = false")
    memory_limit = memory_limit or default_memory_limit()
    if memory_limit:
        raw.execute(f"SET memory_limit = '{memory_limit}'")
    if compress_tables:
        compress_large_tables(con)
    return defer_drops(con)  # cached tables released before the next query, not inside the GC


def unique_name(prefix: str) -> str:
    return f"cspm_{prefix}_{os.getpid()}_{next(_counter)}"


def spark_session(master: str = "local[2]", settings: SparkSettings | None = None) -> Any:
    """A Spark session configured for cspm (UTC, no UI): local, a cluster master, or Spark Connect
    (``sc://host:15002``), with the memory and extra settings of ``settings``."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError(
            _("the Spark engine needs pyspark, which is not installed."),
            expected=_("pip install 'cspm[spark]' (and Java 17 for a local Spark)"),
        ) from None
    settings = settings or SparkSettings(master=master)
    builder = SparkSession.builder.appName("cspm")
    builder = builder.remote(settings.master) if settings.master.startswith("sc://") else builder.master(settings.master)
    conf = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "4",
        # Spark describes every query's plan for its listeners: cspm's per-ticket tables join many
        # parts, and the full text of such a plan exhausts a 1 GB driver (OutOfMemoryError)
        "spark.sql.maxPlanStringLength": "65536",
        # small results come back as Arrow batches instead of pickled rows
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        **({"spark.executor.memory": settings.executor_memory} if settings.executor_memory else {}),
        **({"spark.driver.memory": settings.driver_memory} if settings.driver_memory else {}),
        **settings.conf,
    }
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def connect(engine: Any = None, settings: EngineSettings | None = None) -> Any:
    """The Ibis backend of an engine choice: ``None``/``"duckdb"`` (the embedded default),
    ``"spark"`` (a session from ``settings.spark``), a database URL (``postgresql://…``, any
    backend ``ibis.connect`` knows), an Ibis backend, or a SparkSession."""
    settings = settings or EngineSettings()
    engine = settings.name if engine is None else engine
    if not isinstance(engine, str):
        if type(engine).__name__ == "SparkSession":
            return spark_backend(engine)
        return engine  # an Ibis backend
    if engine == "duckdb":
        if settings.memory_limit or not settings.compress_tables:
            return new_duckdb_backend(settings.memory_limit, compress_tables=settings.compress_tables)
        return duckdb_backend()
    if engine in ("spark", "pyspark"):
        return spark_backend(spark_session(settings=settings.spark))
    if "://" in engine:
        if engine.startswith(("postgres://", "postgresql://")):
            _postgres_boolean_casts()
        try:
            return ibis.connect(engine)
        except Exception as exc:  # driver missing, server down, bad credentials
            raise InputError(
                _("could not connect to {value}: {value2}").format(value=redact(engine), value2=str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__),
                expected=_("a reachable database URL such as postgresql://user@host:5432/db"),
                hint=_("PostgreSQL needs pip install 'cspm[postgres]'."),
            ) from None
    raise InputError(
        _("unknown engine {engine!r}.").format(engine=engine),
        expected=_("duckdb, spark, or a database URL such as postgresql://user@host/db"),
    )


def spark_backend(session: Any) -> Any:
    """The Ibis backend of a Spark session, with cspm's materialised tables checkpointed."""
    _checkpointed_spark_caches()
    return ibis.pyspark.connect(session)


def _checkpointed_spark_caches() -> None:
    """Make ``table.cache()`` on Spark materialise the table at once and cut its lineage
    (``localCheckpoint``, kept in memory and on disk by the executors). With Spark's lazy
    ``cache()`` every query over a derived table carries that table's whole plan (all the joins and
    windows it was built from) and Spark analyses it again; a table built from forty such tables,
    like the drivers' feature table, then has a plan too large to describe in a 1 GB driver."""
    from ibis.backends.pyspark import Backend

    if getattr(Backend, "_cspm_checkpointed", False):
        return

    def create_cached_table(self: Any, name: str, expr: ir.Table) -> ir.Table:
        frame = self._session.sql(self.compile(expr)).localCheckpoint(eager=True)
        frame.createTempView(name)
        self._cached_dataframes[name] = frame  # released (unpersist) by Ibis with the table
        return self.table(name)

    Backend._create_cached_table = create_cached_table
    Backend._cspm_checkpointed = True


def _postgres_boolean_casts() -> None:
    """Teach Ibis's PostgreSQL compiler to count booleans: PostgreSQL casts a boolean to ``integer``
    but not to ``bigint``, which ``flag.cast("int64").sum()`` (used throughout cspm) compiles to."""
    from ibis.backends.sql.compilers.postgres import PostgresCompiler

    if getattr(PostgresCompiler, "_cspm_boolean_casts", False):
        return
    original = PostgresCompiler.visit_Cast

    def visit_cast(self: Any, op: Any, *, arg: Any, to: dt.DataType) -> Any:
        if op.arg.dtype.is_boolean() and to.is_integer() and not to.is_int32():
            arg = self.cast(arg, dt.int32)
        return original(self, op, arg=arg, to=to)

    PostgresCompiler.visit_Cast = visit_cast
    PostgresCompiler._cspm_boolean_casts = True


def ordered_text(table: ir.Table, value: ir.Value, position: ir.IntegerValue, sep: str = ",") -> ir.StringValue:
    """The values of a group joined in ``position`` order (an aggregate). DuckDB and Spark collect
    ``struct(position, value)`` and sort it (Spark has no ordered collect); SQL databases such as
    PostgreSQL, which cannot sort an array of records, use an ordered ``array_agg``."""
    if engine_name(table._find_backend()) in ("duckdb", "pyspark"):
        seq = ibis.struct({"p": position, "c": value}).collect()
        return seq.sort().map(lambda x: x.c.cast("string")).join(sep)
    return value.cast("string").collect(order_by=position).join(sep)


def redact(url: str) -> str:
    """A database URL without its password (for messages)."""
    head, sep, tail = url.partition("://")
    if "@" in tail and ":" in tail.split("@", 1)[0]:
        user = tail.split("@", 1)[0].split(":", 1)[0]
        return f"{head}{sep}{user}:***@{tail.split('@', 1)[1]}"
    return url


def engine_name(backend: Any) -> str:
    """``duckdb``, ``pyspark``, ``postgres``, … (the Ibis backend's name)."""
    return str(backend.name)


_UTC = dt.Timestamp(timezone="UTC")


@ibis.udf.scalar.builtin(name="timestamp_micros")
def _spark_micros(us: dt.int64) -> dt.timestamp:  # type: ignore[empty-body,valid-type]
    """Spark: microseconds since the epoch → timestamp (an instant; the session is in UTC)."""


@ibis.udf.scalar.builtin(name="to_utc_timestamp")
def _spark_to_utc(ts: dt.timestamp, zone: dt.string) -> dt.timestamp:  # type: ignore[empty-body,valid-type]
    """Spark: a wall-clock time in ``zone`` → the instant."""


@ibis.udf.scalar.builtin(name="to_timestamp")
def _sql_to_timestamp(seconds: dt.float64) -> _UTC:  # type: ignore[empty-body,valid-type]
    """PostgreSQL: epoch seconds → timestamptz."""


@ibis.udf.scalar.builtin(name="make_timestamp")
def _duckdb_micros(us: dt.int64) -> dt.timestamp:  # type: ignore[empty-body,valid-type]
    """DuckDB: microseconds since the epoch → timestamp (UTC wall time)."""


@ibis.udf.scalar.builtin(name="timezone")
def _sql_wall_to_instant(zone: dt.string, ts: dt.timestamp) -> _UTC:  # type: ignore[empty-body,valid-type]
    """DuckDB and PostgreSQL: ``timezone(zone, timestamp)`` reads a wall-clock time in ``zone``."""


@ibis.udf.scalar.builtin(name="timezone")
def _sql_instant_to_wall(zone: dt.string, ts: _UTC) -> dt.timestamp:  # type: ignore[empty-body,valid-type]
    """DuckDB and PostgreSQL: ``timezone(zone, timestamptz)`` is the wall-clock time in ``zone``."""


def from_epoch(seconds: ir.NumericValue, backend: Any) -> ir.TimestampValue:
    """The UTC timestamp of epoch seconds, to the microsecond, on the backend's own function
    (Ibis's portable conversion only takes whole seconds on Spark)."""
    micros = (seconds * 1_000_000).round().cast("int64")
    name = engine_name(backend)
    if name == "pyspark":
        return _spark_micros(micros).cast(_UTC)
    if name == "duckdb":
        return _duckdb_micros(micros).cast(_UTC)
    return _sql_to_timestamp(micros.cast("float64") / 1_000_000)


def wall_to_utc(wall_seconds: ir.NumericValue, zone: str, backend: Any) -> ir.FloatingValue:
    """Epoch seconds of the instant whose wall-clock time in the IANA zone ``zone`` is
    ``wall_seconds`` (a wall time counted like epoch seconds): the one engine-specific step of
    reading naive timestamps (Ibis has no portable operation for it)."""
    if zone == "UTC":
        return wall_seconds.cast("float64")
    if engine_name(backend) == "pyspark":
        instant = _spark_to_utc(_spark_micros(wall_seconds.cast("int64") * 1_000_000), zone)
    else:
        wall = _sql_instant_to_wall("UTC", from_epoch(wall_seconds.cast("int64"), backend))
        instant = _sql_wall_to_instant(zone, wall)
    return instant.epoch_seconds().cast("float64")


def to_spark(log: TicketLog, spark: Any = None) -> TicketLog:
    """The same log with its events on Apache Spark (moved through a Parquet file).

    Every event-level computation of cspm is an Ibis expression, so it runs unchanged on the result.
    To read a file with Spark itself, without DuckDB in between, use ``cspm.read(path, engine="spark")``.
    """
    spark = spark or spark_session()
    con = spark_backend(spark)
    folder = tempfile.mkdtemp(prefix="cspm_spark_")
    path = os.path.join(folder, "events.parquet")
    log.events.to_parquet(path)
    name = unique_name("events")
    spark.read.parquet(path).createOrReplaceTempView(name)
    return log.with_events(con.table(name))


def move_to(log: TicketLog, backend: Any) -> TicketLog:
    """The same log with its events on ``backend`` (Spark through a Parquet file, a database through
    an Arrow table): for sources read on DuckDB (XES, XLSX, DataFrames) whose events go elsewhere."""
    if engine_name(backend) == "duckdb":
        return log
    if engine_name(backend) == "pyspark":
        return to_spark(log, backend._session)
    name = unique_name("events")
    backend.create_table(name, log.events.to_pyarrow(), temp=True)
    return log.with_events(backend.table(name))
