"""A log's tables live as long as something refers to them (issue 16: each ``cspm.read`` left its
tables in the process-wide DuckDB, so a long notebook session grew without bound)."""

from __future__ import annotations

import gc
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

import cspm
from cspm.core.engine import duckdb_backend, new_duckdb_backend

CSV = b"case,activity,timestamp\n1,A,2024-01-01 08:00\n1,B,2024-01-01 09:00\n2,A,2024-01-02 08:00\n,B,x\n"


def _cspm_objects() -> set[str]:
    """Tables and views cspm made in the process-wide DuckDB (a query through the backend: the drops
    the garbage collector queued run before it)."""
    rows = duckdb_backend().raw_sql(
        "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal"
    ).fetchall()
    return {r[0] for r in rows if r[0].startswith("cspm_")}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "log.csv"
    p.write_bytes(CSV)
    return p


def test_many_reads_keep_the_number_of_tables_bounded(path: Path) -> None:
    gc.collect()
    before = _cspm_objects()
    for _ in range(30):
        log = cspm.read(path)
        assert log.count_events() == 3
    mine = _cspm_objects() - before
    assert len(mine) == 2  # the last log's events and rejects only
    assert {n.split("_")[1] for n in mine} == {"events", "rejects"}
    del log
    gc.collect()
    assert _cspm_objects() - before == set()


def test_a_collected_log_drops_its_tables_while_referenced_results_keep_working(path: Path) -> None:
    gc.collect()
    before = _cspm_objects()
    log = cspm.read(path)
    opened = log.with_events(log.events.filter(log.events.activity == "A"))
    quality = log.quality
    mined = cspm.discover(log)  # holds its log
    del log
    gc.collect()
    # the filtered log, the quality report and the discovery still refer to the tables: kept
    assert opened.count_events() == 2
    assert list(quality.rejects_frame().source_row) == [4]
    assert mined.log.count_events() == 3
    activities = mined.activities.frame
    del opened, quality, mined
    gc.collect()
    assert _cspm_objects() - before == set()
    assert activities.set_index("activity")["events"].to_dict() == {"A": 2, "B": 1}  # needs no table


def test_close_drops_the_tables_now_and_later_queries_say_the_log_was_closed(path: Path) -> None:
    gc.collect()
    before = _cspm_objects()
    with cspm.read(path) as log:
        filtered = log.with_events(log.events.filter(log.events.activity == "A"))
        events = log.events.get_name()
        assert log.count_events() == 3
    con = duckdb_backend().con
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [events]).fetchone()[0] == 0
    one_case = filtered.events.filter(filtered.events.case_id == "1").count()
    for query in (log.count_events, filtered.count_events, log.quality.rejects_frame, one_case.execute):
        with pytest.raises(duckdb.InvalidInputException, match=r"this log was closed \(log.close\(\)\)"):
            query()
    del log, filtered, one_case, query
    gc.collect()
    assert _cspm_objects() - before == set()  # the placeholder views go with the last expression


def _exists(backend, name: str) -> int:
    return backend.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()[0]


def test_a_table_collected_between_a_query_and_its_fetch_does_not_replace_the_result(path: Path) -> None:
    """The garbage collector may run between a query and the fetch of its result; a DROP run by a
    finalizer there replaced the result on the same connection (the fetch returned no rows). The
    drops wait for the backend's next query instead: of Ibis's cached tables and of cspm's own."""
    backend = new_duckdb_backend()
    source = backend.create_table("source", pa.table({"a": [1, 2, 3]}))
    cached = source.mutate(b=source.a * 2).cache()
    log = cspm.read(path, engine=backend)
    names = [cached.op().name, log.events.get_name()]
    assert [_exists(backend, n) for n in names] == [1, 1]
    cycle: list = [cached, log]
    cycle.append(cycle)  # reachable only through a cycle: freed by the garbage collector alone
    del cached, log
    gc.disable()
    try:
        del cycle
        result = backend.raw_sql("SELECT 42 AS answer")
        gc.collect()  # both finalizers run here, between the query and its fetch
        assert result.fetchall() == [(42,)]
        assert [_exists(backend, n) for n in names] == [1, 1]  # queued, not yet dropped
    finally:
        gc.enable()
    assert source.count().execute() == 3  # the next query runs the queued drops first
    assert [_exists(backend, n) for n in names] == [0, 0]


def test_a_file_backed_duckdb_keeps_no_cspm_table_after_the_process_exits(tmp_path: Path, path: Path) -> None:
    """Drops queued by the garbage collector (no query came after them) still run at exit."""
    import subprocess
    import sys

    db = tmp_path / "user.duckdb"
    script = (
        "import gc, ibis, cspm\n"
        f"backend = ibis.duckdb.connect({str(db)!r})\n"
        f"log = cspm.read({str(path)!r}, engine=backend)\n"
        "assert log.count_events() == 3\n"
        "del log\n"
        "gc.collect()\n"
        "names = [r[0] for r in backend.con.execute('SELECT table_name FROM duckdb_tables()').fetchall()]\n"
        "assert any(n.startswith('cspm_') for n in names), names  # queued, not yet dropped\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    con = duckdb.connect(str(db))
    assert [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()] == []
