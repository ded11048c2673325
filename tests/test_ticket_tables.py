"""Per-ticket outputs at scale: ``tickets.parquet`` and ``steps.parquet`` written by the engine.

On DuckDB and on Spark the written tickets are the case table (same tickets, events, start, end,
lead time) with waits and handoffs equal to an independent pandas computation on a small log, the
steps are the events; while writing, no result of ticket or event size is fetched from the engine.
``cspm discover --tickets-out`` writes both.
"""

from __future__ import annotations

import glob

import ibis.expr.types as ir
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import cspm
from cspm.analysis.ticket_tables import write_ticket_tables
from cspm.cli import app
from cspm.mining.cases import case_table

# 12 tickets, 42 events: ticket k has 2 + k % 4 steps an hour apart (plus k minutes), the team
# alternates from the third step on (so 0, 0, 1 or 2 handoffs)
ROWS = []
for k in range(12):
    for i in range(2 + k % 4):
        team = "Desk" if i < 2 else ("L2" if i % 2 == 0 else "Desk")
        ROWS.append((f"T{k:02d}", f"step {i}", pd.Timestamp("2024-03-04 09:00", tz="UTC")
                     + pd.Timedelta(hours=i, minutes=k * i), team))  # fmt: skip
EVENTS = len(ROWS)


@pytest.fixture(scope="module")
def csv_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("tickets") / "log.csv"
    frame = pd.DataFrame(ROWS, columns=["ticket", "activity", "timestamp", "team"])
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame.to_csv(path, index=False)
    return path


def _expected() -> pd.DataFrame:
    """Lead time, total wait and handoffs per ticket, computed by pandas from the rows above."""
    f = pd.DataFrame(ROWS, columns=["case_id", "activity", "timestamp", "team"])
    g = f.groupby("case_id")
    out = pd.DataFrame({
        "events": g.size(),
        "lead_time_s": (g.timestamp.max() - g.timestamp.min()).dt.total_seconds(),
        "handoffs": g.team.apply(lambda t: int((t != t.shift()).iloc[1:].sum())),
    })  # fmt: skip
    out["wait_s"] = out["lead_time_s"]  # complete semantics: the waits of a ticket add up to its lead time
    return out


def _fetch_guard(monkeypatch) -> list[int]:
    fetched: list[int] = []
    for cls in (ir.Table, ir.Column):
        for method in ("to_pandas", "to_pyarrow", "execute"):
            original = getattr(cls, method)

            def counting(self, *args, _original=original, **kwargs):
                result = _original(self, *args, **kwargs)
                fetched.append(len(result) if hasattr(result, "__len__") else 1)
                return result

            monkeypatch.setattr(cls, method, counting)
    return fetched


def _check(log: cspm.TicketLog, folder, monkeypatch) -> None:
    expected_cases = case_table(log).to_pandas().set_index("case_id").sort_index()
    with monkeypatch.context() as patch:
        fetched = _fetch_guard(patch)
        written = write_ticket_tables(log, folder)
    assert max(fetched, default=0) < 12, "a result of ticket size was fetched while writing"
    assert (written.ticket_rows, written.step_rows) == (12, EVENTS)
    tickets = pq.read_table(written.tickets).to_pandas().set_index("case_id").sort_index()
    steps = pq.read_table(written.steps).to_pandas()
    assert list(tickets.index) == list(expected_cases.index) == [f"T{k:02d}" for k in range(12)]
    for column in ("events", "start", "end"):
        assert list(tickets[column]) == list(expected_cases[column]), column
    assert list(tickets["lead_time_s"]) == list(expected_cases["lead_time"])
    want = _expected()
    for column in ("events", "lead_time_s", "wait_s", "handoffs"):
        assert [float(x) for x in tickets[column]] == [float(x) for x in want[column]], column
    assert set(tickets["variant"]) == {1, 2, 3, 4}  # four step counts, three tickets each
    assert len(steps) == EVENTS and sorted(steps["source_row"]) == list(range(1, EVENTS + 1))
    assert steps.groupby("case_id").wait_s.sum().to_dict() == want["wait_s"].to_dict()


def test_ticket_tables_on_duckdb(csv_log, tmp_path, monkeypatch):
    log = cspm.read(csv_log, case_id="ticket")
    _check(log, tmp_path / "out", monkeypatch)
    assert (tmp_path / "out" / "tickets.parquet").is_file()  # DuckDB: one Parquet file


@pytest.mark.spark
def test_ticket_tables_on_spark(csv_log, tmp_path, monkeypatch, spark):
    log = cspm.read(csv_log, case_id="ticket", engine=spark)
    assert log.engine == "pyspark"
    _check(log, tmp_path / "out", monkeypatch)
    parts = glob.glob(str(tmp_path / "out" / "tickets.parquet" / "part-*.parquet"))
    assert parts, "Spark writes a folder of part files"


def test_discover_writes_the_ticket_tables(csv_log, tmp_path):
    result = CliRunner().invoke(app, ["discover", str(csv_log), "--case-id", "ticket", "--out", str(tmp_path / "o"),
                                      "--no-diagnosis", "--tickets-out", str(tmp_path / "t")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert pq.read_table(tmp_path / "t" / "tickets.parquet").num_rows == 12
    assert pq.read_table(tmp_path / "t" / "steps.parquet").num_rows == EVENTS
    assert "(12 tickets)" in result.output
    assert "monthly partitions" not in result.output


def test_discover_says_which_tables_are_partitioned(tmp_path, monkeypatch):
    import cspm.pipeline

    original = cspm.pipeline.write_ticket_tables
    monkeypatch.setattr(
        cspm.pipeline, "write_ticket_tables", lambda *a: original(*a, partition_rows=10)
    )
    result = CliRunner().invoke(app, ["discover", _months_log(tmp_path), "--case-id", "ticket", "--out", str(tmp_path / "o"),
                                      "--no-diagnosis", "--tickets-out", str(tmp_path / "t")])  # fmt: skip
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert (
        f"{tmp_path / 't' / 'steps.parquet'} is a folder of monthly partitions (month=YYYY-MM), as it has more than 10 rows"
        in text
    )
    assert "tickets.parquet is a folder" not in text  # 6 tickets: one file


def _months_log(tmp_path) -> str:
    """Six tickets of three steps two days apart: ticket k opens on the 28th of month 1 + k % 3
    (2024, a leap year), so each ends in the next month: steps per month 4 (Jan), 4 (Feb), 8 (Mar),
    2 (Apr)."""
    rows = []
    for k in range(6):
        start = pd.Timestamp(f"2024-{1 + k % 3:02d}-28 09:00", tz="UTC")
        rows += [(f"M{k}", f"step {i}", (start + pd.Timedelta(days=2 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"))
                 for i in range(3)]  # fmt: skip
    path = tmp_path / "months.csv"
    pd.DataFrame(rows, columns=["ticket", "activity", "timestamp"]).to_csv(path, index=False)
    return str(path)


def _check_partitioned(log: cspm.TicketLog, folder) -> None:
    """Both tables above ``partition_rows`` are folders of month=YYYY-MM partitions with every row."""
    import pyarrow.dataset as ds

    written = write_ticket_tables(log, folder, partition_rows=5)
    assert written.partitioned == ("tickets", "steps")
    assert (written.ticket_rows, written.step_rows) == (6, 18)
    tickets = (
        ds.dataset(written.tickets, format="parquet", partitioning="hive").to_table().to_pandas()
    )
    steps = ds.dataset(written.steps, format="parquet", partitioning="hive").to_table().to_pandas()
    assert sorted(glob.glob(f"{written.tickets}/month=*")) == [
        f"{written.tickets}/month=2024-0{m}" for m in (1, 2, 3)
    ]
    assert sorted(tickets["case_id"]) == [f"M{k}" for k in range(6)]
    # the ticket's month is that of its start; a step's month that of its own timestamp
    assert dict(zip(tickets["case_id"], tickets["month"].astype(str), strict=True)) == {
        f"M{k}": f"2024-0{1 + k % 3}" for k in range(6)
    }
    assert len(steps) == 18
    assert sorted(steps["month"].astype(str).value_counts().items()) == [
        ("2024-01", 4), ("2024-02", 4), ("2024-03", 8), ("2024-04", 2)]  # fmt: skip


def test_large_tables_are_partitioned_by_month_on_duckdb(tmp_path):
    log = cspm.read(_months_log(tmp_path), case_id="ticket")
    _check_partitioned(log, tmp_path / "out")
    small = write_ticket_tables(
        log, tmp_path / "out"
    )  # the default threshold: one file each, replaced
    assert small.partitioned == () and (tmp_path / "out" / "tickets.parquet").is_file()


@pytest.mark.spark
def test_large_tables_are_partitioned_by_month_on_spark(tmp_path, spark):
    log = cspm.read(_months_log(tmp_path), case_id="ticket", engine=spark)
    _check_partitioned(log, tmp_path / "out")
