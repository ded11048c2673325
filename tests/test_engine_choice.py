"""Choosing the engine: the config's ``engine:`` key, ``--engine``, database URLs as LOG, and clear
errors for an unknown engine or an unreachable database (no Spark needed here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli_errors import one_error
from typer.testing import CliRunner

import cspm
from cspm.cli import app
from cspm.cli._app import _source
from cspm.config import config_from_dict, load_config
from cspm.core.engine import connect, duckdb_backend, redact
from cspm.errors import ConfigError

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


def test_engine_key_shorthand_and_spark_settings():
    assert config_from_dict({}).engine.name == "duckdb"
    assert config_from_dict({"engine": "spark"}).engine.name == "spark"
    cfg = config_from_dict({"engine": {"name": "spark", "spark": {"master": "sc://cluster:15002", "executor_memory": "8g",
                                                                  "conf": {"spark.sql.shuffle.partitions": "400"}}}})  # fmt: skip
    assert (cfg.engine.spark.master, cfg.engine.spark.executor_memory) == ("sc://cluster:15002", "8g")
    assert cfg.engine.spark.conf == {"spark.sql.shuffle.partitions": "400"}
    with pytest.raises(ConfigError, match="engine.spark.masterr"):
        config_from_dict({"engine": {"spark": {"masterr": "local[2]"}}})


def test_the_example_config_says_duckdb():
    assert load_config(SAMPLES / "cspm.example.yaml").engine.name == "duckdb"


def test_duckdb_is_the_default_engine_and_a_memory_limit_gives_its_own_backend():
    assert connect() is duckdb_backend() and connect("duckdb") is duckdb_backend()
    limited = connect(None, config_from_dict({"engine": {"memory_limit": "1GB"}}).engine)
    assert limited is not duckdb_backend()
    assert limited.con.execute("SELECT current_setting('memory_limit')").fetchone()[0] in ("953.6 MiB", "1.0 GiB", "1000.0 MB")


def test_duckdb_gets_a_quarter_of_the_machine_up_to_2_gib_by_default(monkeypatch):
    from cspm.core import engine

    total = engine.machine_memory()
    assert total is not None and total > 0
    want = min(2048, max(512, total // 4 // 1024**2))
    assert engine.default_memory_limit() == f"{want}MiB"
    got = duckdb_backend().con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert got == ("2.0 GiB" if want == 2048 else f"{want / 1024:.1f} GiB" if want >= 1024 else f"{want}.0 MiB")
    for machine, limit in ((64 * 1024**3, "2048MiB"), (4 * 1024**3, "1024MiB"), (1024**3, "512MiB"), (None, None)):
        monkeypatch.setattr(engine, "machine_memory", lambda m=machine: m)
        assert engine.default_memory_limit() == limit


def _duckdb_out_of_memory() -> Exception:
    import duckdb

    con = duckdb.connect()
    con.execute("SET memory_limit = '10MB'")
    con.execute("SET temp_directory = ''")  # nowhere to spill
    try:
        con.execute("SELECT count(DISTINCT i::VARCHAR || 'x'), list(i) FROM range(5000000) t(i)").fetchall()
    except duckdb.OutOfMemoryException as exc:
        return exc
    raise AssertionError("DuckDB did not run out of memory")


def test_running_out_of_engine_memory_is_one_clear_error_naming_the_limit(monkeypatch, capsys):
    from cspm.cli import _app
    from cspm.errors import EngineMemoryError, as_cspm_error

    exc = _duckdb_out_of_memory()
    err = as_cspm_error(exc)
    assert isinstance(err, EngineMemoryError) and err.limit == "9.5 MiB"
    assert "memory limit is 9.5 MiB" in str(err) and "memory_limit: 8GB" in str(err)
    other = ValueError("not the engine's")
    assert as_cspm_error(other) is other

    def boom():
        raise exc

    monkeypatch.setattr(_app, "app", boom)
    with pytest.raises(SystemExit) as stop:
        _app.main()
    assert stop.value.code == 2
    printed = capsys.readouterr().err
    assert "ran out of memory" in printed and "Traceback" not in printed


def test_unknown_engine_and_unreachable_database_are_one_clear_error():
    with pytest.raises(cspm.InputError, match="unknown engine 'oracle'"):
        cspm.read(SAMPLES / "tickets_en.csv", engine="oracle")
    with pytest.raises(cspm.InputError, match=r"could not connect to postgresql://ann:\*\*\*@127.0.0.1:1/db"):
        cspm.read("postgresql://ann:secret@127.0.0.1:1/db", table="events")


def test_a_database_url_survives_the_command_line_path_argument():
    assert _source(Path("postgresql://ann@replica/helpdesk")) == "postgresql://ann@replica/helpdesk"
    assert _source(Path("s3a://lake/events.parquet")) == "s3a://lake/events.parquet"
    assert _source(Path("sample_logs/tickets_en.csv")) == Path("sample_logs/tickets_en.csv")
    assert redact("postgresql://ann:secret@host/db") == "postgresql://ann:***@host/db"


def test_cli_engine_errors_exit_2_with_one_paragraph(capsys):
    message = one_error(capsys, "validate", SAMPLES / "tickets_en.csv", "--engine", "oracle")
    assert "unknown engine 'oracle'" in message
    message = one_error(capsys, "validate", "postgresql://ann:secret@127.0.0.1:1/db", "--table", "t")
    assert "could not connect to postgresql://ann:***@127.0.0.1:1/db" in message and "secret" not in message


def test_engine_option_is_on_every_command_that_reads_a_log():
    for command in ("validate", "discover", "bottlenecks", "conformance", "handoffs"):
        help_text = CliRunner().invoke(app, [command, "--help"], terminal_width=200).output
        assert "--engine" in help_text and "--table" in help_text and "--query" in help_text, command


def _table_bytes(backend) -> int:
    return backend.con.execute(
        "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'"
    ).fetchone()[0]


def test_large_in_memory_tables_are_compressed_with_the_same_rows(tmp_path):
    from cspm.core import engine

    plain = engine.new_duckdb_backend(compress_tables=False)
    small = engine.compress_large_tables(engine.new_duckdb_backend(compress_tables=False), above=0)
    below = engine.compress_large_tables(engine.new_duckdb_backend(compress_tables=False), above=1024**3)
    sql = ("SELECT 'ticket ' || (i // 8) AS case_id, ['Open', 'Assign', 'Resolve', 'Close'][i % 4 + 1] AS activity, "
           "i AS source_row FROM range(400000) t(i)")  # fmt: skip
    sizes, rows = {}, {}
    for name, backend in (("plain", plain), ("compressed", small), ("below", below)):
        cached = backend.sql(sql).cache()
        sizes[name] = _table_bytes(backend)
        rows[name] = cached.group_by("activity").aggregate(n=cached.count(), tickets=cached.case_id.nunique(),
                                                          rows=cached.source_row.sum()).order_by("activity").to_pandas()  # fmt: skip
    assert sizes["plain"] > 8 * 1024**2  # 400,000 uncompressed rows
    assert sizes["compressed"] < sizes["plain"] / 3
    assert sizes["below"] == sizes["plain"]  # under the threshold: left as they are
    assert rows["plain"].to_dict("records") == rows["compressed"].to_dict("records") == rows["below"].to_dict("records")
    assert rows["plain"].n.tolist() == [100000] * 4


def test_compression_is_on_by_default_and_can_be_turned_off():
    from cspm.core import engine

    assert config_from_dict({}).engine.compress_tables is True
    off = connect(None, config_from_dict({"engine": {"compress_tables": False}}).engine)
    assert off is not duckdb_backend()
    assert "create_then_compress" not in repr(off._create_cached_table)
    assert "create_then_compress" in repr(duckdb_backend()._create_cached_table)
    assert engine.COMPRESS_ABOVE == 256 * 1024**2
