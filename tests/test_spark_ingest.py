"""Spark ingest without DuckDB in between: Spark reads and validates the file itself.

- The data-quality report of the sample logs (UTF-8 English, GB18030 Chinese) and of a file with bad
  rows is identical on DuckDB and on Spark: roles, formats, warnings, rejects by reason, and
  rows in = kept + rejected; the rejected rows are the same rows with the same reasons.
- ``cspm discover --engine spark`` on the sample log with the example config writes the same
  ``summary.json`` as the DuckDB run: every figure, the creation time aside.
- On that run no code path reads events through DuckDB or pandas: no DuckDB connection or DuckDB
  query, no Ibis expression executed on DuckDB, no pandas file reader, and no result of event size
  fetched from Spark. ``test_the_guard_catches_duckdb_and_pandas`` shows the guard is not blind.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir
import pandas as pd
import pytest
from typer.testing import CliRunner

import cspm
import cspm.core.engine
from cspm.cli import app

pytestmark = pytest.mark.spark

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"
SAMPLE_EVENTS = 15_426

BAD = """ticket,activity,timestamp,team
T1,Open,2024-03-04T09:00:00Z,Desk
T1,Fix,2024-03-04T10:00:00Z,L2
T2,Open,not a time,Desk
,Fix,2024-03-04T11:00:00Z,Desk
T2,,2024-03-04T12:00:00Z,Desk
T3,Open,2024-03-04T09:00:00Z,Desk,extra
T3,Close,2024-02-30T09:00:00Z,Desk
T4,Open,2024-03-04 09:00,Desk
T4,Close,2024-03-04 09:30,Desk
T5,Open
"""


@pytest.mark.parametrize(("name", "encoding"), [("tickets_en.csv", "utf-8"), ("tickets_zh.csv", "gb18030")])
def test_the_sample_logs_get_the_same_quality_report(spark, name, encoding):
    duck = cspm.read(SAMPLES / name)
    on_spark = cspm.read(SAMPLES / name, engine=spark)
    assert (duck.engine, on_spark.engine) == ("duckdb", "pyspark")
    a, b = duck.quality.summary(), on_spark.quality.summary()
    assert (a["rows_read"], a["rows_kept"], a["rows_rejected"], a["cases"]) == (SAMPLE_EVENTS, SAMPLE_EVENTS, 0, 2_000)
    assert a["details"]["encoding"] == encoding
    assert a == b


def test_bad_rows_are_rejected_alike(spark, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    duck = cspm.read(path, case_id="ticket")
    on_spark = cspm.read(path, case_id="ticket", engine=spark)
    a, b = duck.quality.summary(), on_spark.quality.summary()
    assert (a["rows_read"], a["rows_kept"], a["rows_rejected"]) == (10, 4, 6)
    assert a["rows_read"] == a["rows_kept"] + a["rows_rejected"]
    assert a["rejected_by_reason"] == {"unparsable timestamp": 2, "malformed row: too many columns": 1,
                                       "malformed row: missing columns": 1, "missing activity": 1,
                                       "missing case id": 1}  # fmt: skip
    assert a == b
    rejected = [duck.quality.rejects_frame(), on_spark.quality.rejects_frame()]
    key = ["source_row", "reason"]
    a_rows, b_rows = (f.sort_values(key).reset_index(drop=True).astype(str) for f in rejected)
    assert list(a_rows["source_row"]) == ["3", "4", "5", "6", "7", "10"]
    pd.testing.assert_frame_equal(a_rows, b_rows)


# -- the command, on both engines ------------------------------------------------------------------
_DUCKDB_ENTRY_POINTS = ("connect", "sql", "query", "execute", "read_csv", "read_parquet", "read_json", "from_df",
                        "from_arrow", "from_query", "default_connection")  # fmt: skip
_PANDAS_READERS = ("read_csv", "read_table", "read_parquet", "read_excel", "read_json", "read_feather", "read_orc",
                   "read_fwf", "read_sql", "read_sql_query", "read_sql_table", "read_xml", "read_pickle")  # fmt: skip


@contextmanager
def _guard(monkeypatch):
    """Record every DuckDB entry point, DuckDB backend, pandas file reader and Ibis fetch (with the
    backend it ran on and the size of what came back) while the block runs."""
    seen: dict[str, list] = {"duckdb": [], "pandas": [], "fetched": []}

    def spy(owner, name, kind):
        original = getattr(owner, name, None)
        if original is None:
            return

        def recording(*args, _original=original, **kwargs):
            seen[kind].append(name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(owner, name, recording)

    for name in _DUCKDB_ENTRY_POINTS:
        spy(duckdb, name, "duckdb")
    spy(ibis.duckdb, "connect", "duckdb")
    spy(cspm.core.engine, "duckdb_backend", "duckdb")
    spy(cspm.core.engine, "new_duckdb_backend", "duckdb")
    for name in _PANDAS_READERS:
        spy(pd, name, "pandas")
    for cls in (ir.Table, ir.Column, ir.Scalar):
        for method in ("to_pandas", "to_pyarrow", "to_pyarrow_batches", "execute"):
            original = getattr(cls, method)

            def fetching(self, *args, _original=original, **kwargs):
                result = _original(self, *args, **kwargs)
                backend = self._find_backend(use_default=True).name
                seen["fetched"].append((backend, len(result) if hasattr(result, "__len__") else 1))
                return result

            monkeypatch.setattr(cls, method, fetching)
    yield seen


def _discover(out: Path, *engine: str) -> Path:
    result = CliRunner().invoke(app, ["discover", *engine, str(SAMPLES / "tickets_en.csv"),
                                      "--config", str(SAMPLES / "cspm.example.yaml"), "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def runs(spark, tmp_path_factory):
    """``cspm discover`` of the sample log with the example config on DuckDB, then on Spark
    (guarded): the two output folders and what the guard saw."""
    folder = tmp_path_factory.mktemp("engines")
    duck = _discover(folder / "duckdb")
    with pytest.MonkeyPatch.context() as patch, _guard(patch) as seen:
        on_spark = _discover(folder / "spark", "--engine", "spark")
    return duck, on_spark, seen


def _differences(a, b, path="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b))
        return [d for k in keys for d in (_differences(a.get(k), b.get(k), f"{path}/{k}") if k in a and k in b
                                           else [f"{path}/{k}: only on one engine"])]  # fmt: skip
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def _leaves(value) -> int:
    if isinstance(value, dict):
        return sum(_leaves(v) for v in value.values())
    if isinstance(value, list):
        return sum(_leaves(v) for v in value)
    return 1


def _summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def test_discover_on_spark_writes_the_same_figures(runs):
    duck, on_spark, _ = runs
    a, b = _summary(duck), _summary(on_spark)
    assert a["overview"]["events"] == SAMPLE_EVENTS and a["overview"]["cases"] == 2_000
    for section in ("variants", "model", "targets", "quality", "root_causes"):
        assert a[section], section
    assert _leaves(a) > 500
    engine_fields = {"/created"}  # the one field that changes from run to run
    assert [d for d in _differences(a, b) if d.split(":")[0] not in engine_fields] == []


def test_discover_on_spark_writes_the_same_files(runs):
    """Maps, model, tables: the same bytes; the workbook (23 sheets, the whole diagnosis): the same
    cells; the report: the same page but for its creation line."""
    from openpyxl import load_workbook

    duck, on_spark, _ = runs
    names = sorted(p.name for p in duck.iterdir())
    assert names == sorted(p.name for p in on_spark.iterdir())
    for name in names:
        if name.endswith((".csv", ".svg", ".bpmn", ".pnml")):
            assert (duck / name).read_bytes() == (on_spark / name).read_bytes(), name
    a, b = (load_workbook(folder / "report.xlsx", read_only=True) for folder in (duck, on_spark))
    assert a.sheetnames == b.sheetnames and len(a.sheetnames) > 20
    for sheet in a.sheetnames:
        assert list(a[sheet].iter_rows(values_only=True)) == list(b[sheet].iter_rows(values_only=True)), sheet
    pages = [[line for line in (f / "report.html").read_text(encoding="utf-8").splitlines() if " created " not in line]
             for f in (duck, on_spark)]  # fmt: skip
    assert pages[0] == pages[1]


def test_discover_on_spark_reads_no_events_through_duckdb_or_pandas(runs):
    _, _, seen = runs
    assert seen["duckdb"] == [], "a DuckDB connection or query on the Spark run"
    assert seen["pandas"] == [], "a pandas file reader on the Spark run"
    backends = {backend for backend, _ in seen["fetched"]}
    assert backends == {"pyspark"}, f"Ibis expressions ran on {backends}"
    largest = max(size for _, size in seen["fetched"])
    assert largest < SAMPLE_EVENTS, f"a result of {largest:,} rows (event size) came back from Spark"


def test_the_guard_catches_duckdb_and_pandas(tmp_path):
    path = tmp_path / "small.csv"
    path.write_text(BAD, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch, _guard(patch) as seen:
        log = cspm.read(path, case_id="ticket")  # the default engine: DuckDB
        log.events.to_pandas()
        pd.read_csv(path, on_bad_lines="skip")
    assert "duckdb_backend" in seen["duckdb"]
    assert seen["pandas"] == ["read_csv"]
    assert ("duckdb", 4) in seen["fetched"]
