"""Load a source on the engine that will hold the events — Spark or a SQL database — without DuckDB
or pandas in between: the raw table (the source's columns plus ``__row``, the 1-based data row) as an
Ibis table on that engine, and the rows the reader could not take.

* **Spark**: CSV/TSV (also gzipped) and Parquet files — local paths or any URI Spark's Hadoop file
  systems read (``s3a://``, ``abfss://``, ``hdfs://`` …) —, Delta tables (``delta-spark``
  installed), and tables or views by name. Rows of a file are numbered in file order on the cluster
  (partition offsets, no single-partition window); malformed CSV lines (wrong number of fields)
  are rejected with their row.
* **SQL databases** (PostgreSQL and any backend Ibis connects to): a table by name or a query. A
  database table has no row order: rows are numbered by sorting on all columns, in table order.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from cspm.core.engine import engine_name, unique_name
from cspm.errors import InputError
from cspm.i18n import gettext as _
from cspm.ingest.raw import ROWCOL, source_names
from cspm.ingest.sources import _guess_delimiter, sniff_encoding

__all__ = ["EngineSource", "load_on_engine"]

_CORRUPT = "__corrupt"
_CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".tab", ".dat", ".csv.gz", ".tsv.gz", ".txt.gz")


@dataclass
class EngineSource:
    """A source as a raw Ibis table on its engine (``rows_in`` rows in all, ``columns`` in source
    order) and ``malformed``: rows rejected while reading (rejects-table columns), or None."""

    table: ir.Table
    columns: list[str]
    path: str
    kind: str
    rows_in: int
    info: dict[str, Any] = field(default_factory=dict)
    has_lines: bool = False
    malformed: ir.Table | None = None


def load_on_engine(
    backend: Any,
    source: Any,
    *,
    table: str | None = None,
    query: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> EngineSource:
    """The raw table of ``source`` on ``backend`` (see the module docstring)."""
    if engine_name(backend) == "pyspark":
        return _load_spark(backend, source, table=table, encoding=encoding, delimiter=delimiter)
    return _load_sql(backend, str(source), table=table, query=query)


# --- SQL databases ----------------------------------------------------------------------------
def _load_sql(backend: Any, url: str, *, table: str | None, query: str | None) -> EngineSource:
    if table is None and query is None and "://" not in url:
        table, url = url, f"{backend.name} database"  # --engine URL with a table name as LOG
    if (table is None) == (query is None):
        raise InputError(
            _("a database source needs either a table or a query."),
            path=url,
            expected=_("--table NAME or --query 'SELECT …' (table= or query= in Python)"),
        )
    try:
        raw = backend.table(table) if table is not None else backend.sql(query)
    except Exception as exc:
        what = f"table {table!r}" if table is not None else "the query"
        raise InputError(_("{what} could not be read: {value}").format(what=what, value=_first_line(exc)), path=url) from None
    columns = list(raw.columns)
    numbered = raw.mutate(**{ROWCOL: ibis.row_number().over(order_by=[raw[c] for c in columns]) + 1})
    numbered = numbered.cache()  # a temporary table in the database
    rows = int(numbered.count().to_pyarrow().as_py())
    if rows == 0:
        raise InputError(_("has no rows."), path=url, expected=_("events"))
    return EngineSource(numbered, columns, f"{url} ({table or 'query'})", "database", rows)


# --- Spark --------------------------------------------------------------------------------------
def _load_spark(
    backend: Any, source: Any, *, table: str | None, encoding: str | None, delimiter: str | None
) -> EngineSource:
    spark = backend._session
    text = str(source)
    if table is not None:
        return _spark_frame(backend, spark.table(table), [], f"{text} ({table})" if text else table, "table")
    local = "://" not in text
    if local and not Path(text).exists():
        if spark.catalog.tableExists(text):
            return _spark_frame(backend, spark.table(text), [], text, "table")
        raise InputError(_("no such file, and no Spark table or view of that name."), path=text,
                         expected=_("a CSV or Parquet file or folder, a Delta table, or a Spark table name"))  # fmt: skip
    lower = text.lower().rstrip("/")
    try:
        if _is_delta(text, local):
            return _spark_frame(backend, spark.read.format("delta").load(text), [], text, "delta")
        if lower.endswith(".parquet") or (local and Path(text).is_dir()):
            return _spark_frame(backend, spark.read.parquet(text), [], text, "parquet")
        if local and Path(text).read_bytes()[:4] == b"PAR1":
            return _spark_frame(backend, spark.read.parquet(text), [], text, "parquet")
        return _spark_csv(backend, spark, text, local, encoding=encoding, delimiter=delimiter)
    except InputError:
        raise
    except Exception as exc:  # AnalysisException and friends: one paragraph, not a Java trace
        raise InputError(_("could not be read by Spark: {value}").format(value=_first_line(exc)), path=text) from None


def _is_delta(text: str, local: bool) -> bool:
    return (local and (Path(text) / "_delta_log").is_dir()) or text.startswith("delta:")


# the charsets Spark 4's CSV and text readers accept without spark.sql.legacy.javaCharsets
_SPARK_CHARSETS = frozenset({"iso-8859-1", "us-ascii", "utf-16", "utf-16be", "utf-16le", "utf-32", "utf-8"})


def _java_charset(encoding: str) -> str:
    """The Java name of a Python codec (``utf-16-le`` → ``UTF-16LE``; a BOM is skipped by Spark)."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return encoding
    return _JAVA_NAMES.get(name, name)


_JAVA_NAMES = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "utf-16": "UTF-16", "utf-16-le": "UTF-16LE",
               "utf-16-be": "UTF-16BE", "utf-32": "UTF-32", "iso8859-1": "ISO-8859-1", "ascii": "US-ASCII",
               "cp1252": "windows-1252", "cp1251": "windows-1251", "shift_jis": "Shift_JIS", "big5": "Big5",
               "gb18030": "GB18030", "gbk": "GBK", "gb2312": "GB2312", "euc_kr": "EUC-KR", "cp949": "x-windows-949"}  # fmt: skip


def _spark_csv(backend: Any, spark: Any, path: str, local: bool, *, encoding: str | None, delimiter: str | None) -> EngineSource:
    from pyspark.sql import types as T

    info: dict[str, Any] = {}
    if encoding is None:
        if local and not path.endswith(".gz"):
            with open(path, "rb") as fh:
                encoding, warnings = sniff_encoding(Path(path), fh.read(65536))
            if warnings:
                info["warnings"] = warnings
        else:
            encoding = "utf-8"
    info["encoding"] = encoding
    charset = _java_charset(encoding)
    if charset.lower() not in _SPARK_CHARSETS:
        # Spark 4 reads only a few charsets unless this flag is set (GB18030, Big5, Shift_JIS …
        # are Java charsets it then accepts); it widens what is accepted and changes nothing else
        spark.conf.set("spark.sql.legacy.javaCharsets", "true")
    if charset == "UTF-8":
        head = spark.read.text(path).limit(50)
    else:  # Spark's text reader knows only UTF-8: the CSV reader, one column per line (split by
        # a character that does not occur in text), decodes the first lines as the rows will be
        head = spark.read.options(encoding=charset, sep="\x00", quote="\x00", header="false").csv(path).limit(50)
    lines = [r[0] or "" for r in head.collect()]
    if not lines or not lines[0].strip():
        raise InputError(_("has no header row (the first line is empty)."), path=path, line=1)
    header_line = lines[0].lstrip("\ufeff")
    delim = delimiter or _guess_delimiter(lines)
    if delim is None or delim not in header_line:
        raise InputError(
            _("is not a delimited table: its header {value!r} has no ',', ';', tab or '|'.").format(value=header_line[:120]),
            path=path, line=1, expected=_("a header row of column names separated by a delimiter"),
        )  # fmt: skip
    info["delimiter"] = delim
    columns, _renamed = source_names([h.strip() for h in next(csv.reader([header_line], delimiter=delim, quotechar='"'))])
    schema = T.StructType([T.StructField(c, T.StringType()) for c in columns] + [T.StructField(_CORRUPT, T.StringType())])
    frame = (
        spark.read.schema(schema)
        .options(header="true", sep=delim, quote='"', escape='"', mode="PERMISSIVE", encoding=charset,
                 columnNameOfCorruptRecord=_CORRUPT, enforceSchema="true")  # fmt: skip
        .csv(path)
    )
    return _spark_frame(backend, frame, columns, path, "csv", info=info, corrupt=True)


def _spark_frame(
    backend: Any, frame: Any, columns: list[str], path: str, kind: str, *, info: dict[str, Any] | None = None,
    corrupt: bool = False,
) -> EngineSource:
    """Number the rows of a Spark DataFrame in scan order (per-partition offsets) and register it."""
    from pyspark.sql import functions as F

    columns = columns or list(frame.columns)
    if len(set(columns)) != len(columns):
        raise InputError(_("has duplicate column names."), path=path, expected=_("unique headers"))
    tagged = frame.withColumn("__pid", F.spark_partition_id()).withColumn("__mid", F.monotonically_increasing_id())
    counts = sorted(tuple(r) for r in tagged.groupBy("__pid").agg(F.count(F.lit(1)), F.min("__mid")).collect())
    if not counts:
        raise InputError(_("has no rows."), path=path, expected=_("events"))
    bases, offset = [], 0
    for pid, n, first in counts:
        bases.append((pid, offset + 1 - first))
        offset += n
    spark = frame.sparkSession
    base = spark.createDataFrame(bases, "__pid INT, __base BIGINT")
    numbered = (
        tagged.join(F.broadcast(base), "__pid")
        .withColumn(ROWCOL, F.col("__mid") + F.col("__base"))
        .drop("__pid", "__mid", "__base")
        .localCheckpoint(eager=True)  # read and numbered once; later plans start from here
    )
    name = unique_name("raw")
    numbered.createOrReplaceTempView(name)
    raw = backend.table(name)
    malformed = None
    if corrupt:
        bad = raw.filter(raw[_CORRUPT].notnull())
        line = bad[_CORRUPT]
        fields = line.length() - line.replace(info["delimiter"], "").length() + 1  # (quotes aside)
        missing = ibis.cases(*((fields == k, c) for k, c in enumerate(columns) if k), else_=ibis.null("string"))
        malformed = bad.select(
            source_row=bad[ROWCOL],
            line=bad[ROWCOL] + 1,
            column=ibis.ifelse(fields > len(columns), ibis.null("string"), missing),
            reason=ibis.ifelse(fields > len(columns), "malformed row: too many columns", "malformed row: missing columns"),
            value=line.substr(0, 500),
        )
        raw = raw.filter(raw[_CORRUPT].isnull()).drop(_CORRUPT)
    return EngineSource(raw, columns, path, kind, offset, dict(info or {}), has_lines=kind == "csv", malformed=malformed)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
