"""Engines the events live on: embedded DuckDB (default) and Apache Spark (optional)."""

from __future__ import annotations

import itertools
import os
import tempfile
from typing import Any

import ibis

from cspm.core.log import TicketLog

_counter = itertools.count(1)
_default: Any = None


def duckdb_backend() -> Any:
    """The process-wide embedded DuckDB backend (UTC session time zone, spills to a temp dir)."""
    global _default
    if _default is None:
        _default = new_duckdb_backend()
    return _default


def new_duckdb_backend(memory_limit: str | None = None) -> Any:
    """A fresh in-memory DuckDB backend configured the way cspm expects."""
    con = ibis.duckdb.connect()
    raw = con.con
    raw.execute("SET TimeZone = 'UTC'")
    raw.execute(f"SET temp_directory = '{tempfile.gettempdir()}/cspm_duckdb_spill'")
    raw.execute("SET preserve_insertion_order = true")
    raw.execute("SET enable_progress_bar = false")  # DuckDB's progress bar would write to stderr
    if memory_limit:
        raw.execute(f"SET memory_limit = '{memory_limit}'")
    return con


def unique_name(prefix: str) -> str:
    return f"cspm_{prefix}_{os.getpid()}_{next(_counter)}"


def spark_session(master: str = "local[2]") -> Any:
    """A local Spark session configured for cspm (UTC, no UI)."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName("cspm")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )


def to_spark(log: TicketLog, spark: Any = None) -> TicketLog:
    """The same log with its events on Apache Spark (moved through a Parquet file).

    Every event-level computation of cspm is an Ibis expression, so it runs unchanged on the result.
    """
    spark = spark or spark_session()
    con = ibis.pyspark.connect(spark)
    folder = tempfile.mkdtemp(prefix="cspm_spark_")
    path = os.path.join(folder, "events.parquet")
    log.events.to_parquet(path)
    name = unique_name("events")
    spark.read.parquet(path).createOrReplaceTempView(name)
    return log.with_events(con.table(name))
