"""Reading from a real PostgreSQL server: the sample log loaded into a table (every column text, as
a help desk's export table would be) and read with ``cspm.read(url, table=…)`` gives the same
quality report and the same discovery as the CSV; the work runs in the database."""

from __future__ import annotations

import psycopg
import pytest
from conftest import SAMPLES, assert_same_figures

import cspm

CSV = SAMPLES / "tickets_en.csv"
CONFIG = SAMPLES / "cspm.example.yaml"
# source and kind name the source; details say what the CSV reader detected (encoding, delimiter)
_SOURCE_FIELDS = {"source", "kind", "details"}


@pytest.fixture(scope="module")
def ticket_table(postgres_url: str) -> str:
    header = CSV.read_text(encoding="utf-8").splitlines()[0].split(",")
    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS ticket_history")
        con.execute("CREATE TABLE ticket_history (" + ", ".join(f'"{c}" text' for c in header) + ")")
        with con.cursor().copy("COPY ticket_history FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            copy.write(CSV.read_bytes())
        # a second table with rows a reader must reject: no case id, an unparsable timestamp
        con.execute("DROP TABLE IF EXISTS ticket_bad")
        con.execute("CREATE TABLE ticket_bad AS SELECT * FROM ticket_history WHERE ticket_id IN ('T0000001', 'T0000002')")
        con.execute("UPDATE ticket_bad SET ticket_id = NULL WHERE activity = 'First response' AND ticket_id = 'T0000001'")
        con.execute("UPDATE ticket_bad SET timestamp = '2024-02-30T10:00:00+01:00' WHERE activity = 'Ticket created' "
                    "AND ticket_id = 'T0000002'")  # fmt: skip
        # a typo in the year: outside the instants cspm computes with (rejected as on DuckDB)
        con.execute("UPDATE ticket_bad SET timestamp = '0202-03-04T10:00:00+01:00' WHERE activity = 'First response' "
                    "AND ticket_id = 'T0000002'")  # fmt: skip
    return "ticket_history"


@pytest.fixture(scope="module")
def pg_log(postgres_url: str, ticket_table: str) -> cspm.TicketLog:
    return cspm.read(postgres_url, table=ticket_table, config=CONFIG)


@pytest.fixture(scope="module")
def csv_log() -> cspm.TicketLog:
    return cspm.read(CSV, config=CONFIG)


def test_the_events_live_in_the_database(pg_log):
    assert pg_log.engine == "postgres"
    assert pg_log.count_events() == 15_426


def test_quality_report_from_postgres_equals_the_csv(pg_log, csv_log):
    pg, csv = pg_log.quality.summary(), csv_log.quality.summary()
    assert pg["kind"] == "database" and "ticket_history" in pg["source"]
    assert {k: v for k, v in pg.items() if k not in _SOURCE_FIELDS} == {
        k: v for k, v in csv.items() if k not in _SOURCE_FIELDS
    }
    assert pg["rows_read"] == 15_426 and pg["cases"] == 2_000


def test_discovery_from_postgres_equals_the_csv(pg_log, csv_log):
    pg, csv = cspm.discover(pg_log).summary(), cspm.discover(csv_log).summary()
    assert "ticket_history" in pg.pop("source") and csv.pop("source") == str(CSV)
    assert_same_figures(pg, csv)
    assert pg["variants"]["variants"] == 90


def test_rejected_rows_in_the_database_are_counted_with_reasons(postgres_url, ticket_table):
    log = cspm.read(postgres_url, table="ticket_bad", config=CONFIG)
    q = log.quality
    assert q.rows_read == q.rows_kept + q.rows_rejected
    assert q.rejected_by_reason == {"missing case id": 1, "unparsable timestamp": 1,
                                    "timestamp out of range (UTC years 1678–2261)": 1}  # fmt: skip
    rows = sorted(q.rejected_rows(10), key=lambda r: r["reason"])
    assert [r["value"] for r in rows] == [None, "0202-03-04T10:00:00+01:00", "2024-02-30T10:00:00+01:00"]


def test_a_query_is_read_like_a_table(postgres_url, ticket_table, pg_log):
    log = cspm.read(postgres_url, query="SELECT * FROM ticket_history WHERE channel = 'phone'", config=CONFIG)
    phone = pg_log.events.filter(pg_log.events.channel == "phone")
    assert log.count_events() == int(phone.count().to_pyarrow().as_py())


def test_a_missing_table_is_one_clear_error(postgres_url, ticket_table):
    with pytest.raises(cspm.InputError, match="no_such_table"):
        cspm.read(postgres_url, table="no_such_table")
