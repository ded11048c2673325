"""Reading logs: formats, roles, encodings, timestamps, lifecycle, and nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

import cspm
from cspm.errors import InputError, MissingColumnError, RoleDetectionError


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# --- the real log, in every format -------------------------------------------------------------
def test_helpdesk_xes_facts(helpdesk_log):
    q = helpdesk_log.quality
    assert (q.events, q.cases, q.activities) == (21_348, 4_580, 14)
    assert (q.rows_read, q.rows_kept, q.rows_rejected) == (21_348, 21_348, 0)
    assert helpdesk_log.roles.case_id == "case:concept:name"
    assert helpdesk_log.roles.activity == ("concept:name",)
    assert helpdesk_log.roles.agent == "org:resource"
    # the file declares no XES classifier and no lifecycle, and carries UTC offsets (issue 9)
    assert q.activity_source == {"source": "detected", "declared": [], "classifier": None}
    assert q.lifecycle == {"column": None, "mode": None}
    assert (q.timestamps[0]["with_offset"], q.timestamps[0]["without_offset"]) == (21_348, 0)
    assert q.warnings == ["127 events are exact duplicates of another event."]
    assert helpdesk_log.engine == "duckdb"
    # the event table is an Ibis expression on DuckDB, not a pandas frame
    import ibis.expr.types as ir

    assert isinstance(helpdesk_log.events, ir.Table)


@pytest.fixture(scope="module")
def helpdesk_exports(helpdesk_log, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("exports")
    frame = helpdesk_log.to_pandas()
    frame["timestamp"] = frame["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None)
    frame = frame.drop(columns=["source_row"])
    paths = {"csv": out / "helpdesk.csv", "parquet": out / "helpdesk.parquet", "xlsx": out / "helpdesk.xlsx"}
    frame.to_csv(paths["csv"], index=False)
    frame.to_parquet(paths["parquet"], index=False)
    frame.to_excel(paths["xlsx"], index=False)
    return paths


@pytest.mark.parametrize("kind", ["csv", "parquet", "xlsx"])
def test_helpdesk_round_trip_gives_same_counts(helpdesk_exports, kind):
    log = cspm.read(helpdesk_exports[kind])
    q = log.quality
    assert (q.events, q.cases, q.activities) == (21_348, 4_580, 14)
    assert q.rows_rejected == 0
    assert q.first_event == datetime(2010, 1, 13, 8, 40, 25, tzinfo=UTC)
    assert q.last_event == datetime(2014, 1, 3, 13, 20, 58, tzinfo=UTC)


def test_cli_validate_helpdesk(helpdesk_path):
    import json

    from typer.testing import CliRunner

    from cspm.cli import app

    result = CliRunner().invoke(app, ["validate", str(helpdesk_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["cases"], data["events"], data["activities"]) == (4_580, 21_348, 14)


# --- roles --------------------------------------------------------------------------------------
ZENDESK = (
    "ticket_id,status,created_at,group,assignee,via\n"
    "T1,new,2024-03-05 10:00,L1,ann,email\n"
    "T1,open,2024-03-05 11:00,L1,ann,email\n"
    "T1,solved,2024-03-05 12:30,L2,bob,email\n"
)


def test_zendesk_roles_detected(tmp_path):
    log = cspm.read(_write(tmp_path / "z.csv", ZENDESK))
    r = log.roles
    assert (r.case_id, r.activity, r.timestamp, r.team, r.agent, r.channel) == (
        "ticket_id", ("status",), "created_at", "group", "assignee", "via"
    )
    df = log.to_pandas()
    assert list(df["activity"]) == ["new", "open", "solved"]
    assert list(df["team"]) == ["L1", "L1", "L2"]


def test_servicenow_and_jira_headers(tmp_path):
    sn = "number,state,sys_updated_on,assignment_group,assigned_to,opened_at\nINC1,New,2024-03-05 10:00:00,SD,a,2024-03-05 10:00:00\n"
    r = cspm.read(_write(tmp_path / "sn.csv", sn)).roles
    assert (r.case_id, r.activity, r.timestamp, r.team, r.agent) == (
        "number", ("state",), "sys_updated_on", "assignment_group", "assigned_to"
    )
    jira = (
        "Issue key,Created,Field,From,To\n"
        "SD-1,2024-03-05 10:00,status,Open,Waiting for support\n"
        "SD-1,2024-03-05 10:30,assignee,,Bob\n"
        "SD-1,2024-03-05 11:00,status,Waiting for support,Resolved\n"
    )
    log = cspm.read(_write(tmp_path / "jira.csv", jira))
    assert (log.roles.case_id, log.roles.activity, log.roles.timestamp) == ("Issue key", ("To",), "Created")
    assert list(log.to_pandas()["activity"]) == ["Waiting for support", "Resolved"]
    assert log.quality.rejected_by_reason == {"not a status change": 1}


def test_servicenow_audit_history(tmp_path):
    audit = (
        "documentkey,fieldname,oldvalue,newvalue,sys_created_on,user\n"
        "INC1,state,,New,2024-03-05 10:00:00,sd.agent\n"
        "INC1,assignment_group,,Network,2024-03-05 10:05:00,sd.agent\n"
        "INC1,state,New,In Progress,2024-03-05 11:00:00,net.agent\n"
        "INC1,state,In Progress,Resolved,2024-03-05 15:00:00,net.agent\n"
    )
    log = cspm.read(_write(tmp_path / "sys_audit.csv", audit))
    assert (log.roles.case_id, log.roles.activity, log.roles.timestamp, log.roles.agent) == (
        "documentkey", ("newvalue",), "sys_created_on", "user"
    )
    assert list(log.to_pandas()["activity"]) == ["New", "In Progress", "Resolved"]
    q = log.quality
    assert (q.rows_read, q.rows_kept, q.rejected_by_reason) == (4, 3, {"not a status change": 1})


def test_explicit_mapping_wins(tmp_path):
    log = cspm.read(_write(tmp_path / "z.csv", ZENDESK), activity="via", team="assignee")
    assert log.roles.activity == ("via",) and log.roles.team == "assignee"
    assert set(log.to_pandas()["activity"]) == {"email"}


def test_unsure_detection_lists_columns_and_candidates(tmp_path):
    with pytest.raises(RoleDetectionError) as err:
        cspm.read(_write(tmp_path / "x.csv", "ticket_id,foo,bar\n1,a,b\n"))
    msg = str(err.value)
    assert "x.csv" in msg and "activity, timestamp" in msg
    assert "Columns found: 'ticket_id', 'foo', 'bar'" in msg
    assert "case id: 'ticket_id'" in msg  # the role as a user names it
    assert err.value.candidates["case_id"] == ["ticket_id"]


def test_composite_activity(tmp_path):
    text = (
        "case:concept:name,concept:name,lifecycle:transition,time:timestamp\n"
        "c1,Review,start,2024-01-01T10:00:00Z\n"
        "c1,Review,complete,2024-01-01T10:30:00Z\n"
    )
    log = cspm.read(_write(tmp_path / "c.csv", text), activity=["concept:name", "lifecycle:transition"])
    assert list(log.to_pandas()["activity"]) == ["Review + start", "Review + complete"]
    assert not log.has_start


def test_lifecycle_rows_are_paired(tmp_path):
    text = (
        "case:concept:name,concept:name,lifecycle:transition,time:timestamp\n"
        "c1,Review,start,2024-01-01T10:00:00Z\n"
        "c1,Review,complete,2024-01-01T10:30:00Z\n"
        "c1,Review,start,2024-01-01T11:00:00Z\n"
        "c1,Review,complete,2024-01-01T11:45:00Z\n"
        "c1,Close,complete,2024-01-01T12:00:00Z\n"
        "c1,Close,schedule,2024-01-01T09:00:00Z\n"
    )
    log = cspm.read(_write(tmp_path / "l.csv", text))
    df = log.to_pandas()
    assert log.has_start and len(df) == 3
    assert [(s.minute if pd.notna(s) else None, t.minute) for s, t in zip(df["start_timestamp"], df["timestamp"], strict=True)] == [
        (0, 30), (0, 45), (None, 0)
    ]
    # the schedule row is a valid event (issue 9): Close was scheduled at 09:00, completed at 12:00
    assert df["schedule_timestamp"].tolist() == [pd.NaT, pd.NaT, pd.Timestamp("2024-01-01 09:00", tz="UTC")]
    q = log.quality
    assert q.rows_read == 6 and q.rows_kept == 6 and q.rows_rejected == 0
    assert q.lifecycle["activity_instances"] == 3
    assert q.lifecycle["end_without_start"] == 1


def test_start_and_complete_columns(tmp_path):
    text = "case_id,activity,start_time,end_time\n1,A,2024-01-01 10:00,2024-01-01 10:20\n"
    log = cspm.read(_write(tmp_path / "s.csv", text))
    assert (log.roles.start_timestamp, log.roles.timestamp) == ("start_time", "end_time")
    row = log.to_pandas().iloc[0]
    assert (row["timestamp"] - row["start_timestamp"]).total_seconds() == 1200


# --- encodings and Chinese ----------------------------------------------------------------------
ZH = "工单编号,处理环节,操作时间,处理人,处理组,渠道,优先级\nA1,创建工单,2024/03/05 14:03:00,张三,一线服务台,电话,高\nA1,关闭工单,2024/03/05 15:33:00,李四,一线服务台,电话,高\n"


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8", "utf-8-sig", "gbk"])
def test_chinese_headers_in_any_encoding(tmp_path, encoding):
    log = cspm.read(_write(tmp_path / "zh.csv", ZH, encoding), timezone="Asia/Shanghai")
    r = log.roles
    assert (r.case_id, r.activity, r.timestamp, r.agent, r.team, r.channel, r.priority) == (
        "工单编号", ("处理环节",), "操作时间", "处理人", "处理组", "渠道", "优先级"
    )
    df = log.to_pandas()
    assert list(df["activity"]) == ["创建工单", "关闭工单"]
    assert df["timestamp"].iloc[0] == pd.Timestamp("2024-03-05 06:03:00", tz="UTC")  # UTC+8
    assert log.quality.details["encoding"] == {"gbk": "gb18030"}.get(encoding, encoding)  # GBK ⊂ GB18030


def test_chinese_sample_log_gb18030():
    path = Path(__file__).resolve().parents[1] / "sample_logs" / "tickets_zh.csv"
    if not path.exists():
        pytest.skip("sample logs not generated")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    log = cspm.read(path, timezone="Asia/Shanghai")
    assert log.quality.details["encoding"] == "gb18030"
    assert log.roles.case_id == "工单编号" and log.roles.activity == ("处理环节",)
    assert "创建工单" in set(log.to_pandas(limit=50)["activity"])
    assert log.quality.rows_rejected == 0


# --- timestamps ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "kwargs", "expected_utc"),
    [
        ("2024-03-05T14:03:00+01:00", {}, "2024-03-05 13:03:00"),
        ("2024-03-05T14:03:00Z", {}, "2024-03-05 14:03:00"),
        ("2024-03-05 14:03:00", {"timezone": "Europe/Berlin"}, "2024-03-05 13:03:00"),
        ("2024-07-05 14:03:00", {"timezone": "Europe/Berlin"}, "2024-07-05 12:03:00"),  # summer time
        ("2024/03/05 14:03", {}, "2024-03-05 14:03:00"),
        ("05.03.2024 14:03:00", {}, "2024-03-05 14:03:00"),
        ("03/05/2024 2:03 PM", {"dayfirst": False}, "2024-03-05 14:03:00"),
        ("03/05/2024 2:03 PM", {"dayfirst": True}, "2024-05-03 14:03:00"),
        ("2024年3月5日 14:03", {"timezone": "Asia/Shanghai"}, "2024-03-05 06:03:00"),
        ("1709647380", {}, "2024-03-05 14:03:00"),
        ("1709647380000", {}, "2024-03-05 14:03:00"),
        ("05-Mar-2024 14:03", {"timestamp_format": "%d-%b-%Y %H:%M"}, "2024-03-05 14:03:00"),
    ],
)
def test_timestamp_formats(tmp_path, value, kwargs, expected_utc):
    text = f"case_id,activity,timestamp\n1,A,{value}\n"
    log = cspm.read(_write(tmp_path / "t.csv", text), **kwargs)
    assert log.to_pandas()["timestamp"].iloc[0] == pd.Timestamp(expected_utc, tz="UTC")


def test_day_first_inferred_and_reported(tmp_path):
    text = "case_id,activity,timestamp\n1,A,03/05/2024 10:00\n1,B,25/05/2024 10:00\n"
    log = cspm.read(_write(tmp_path / "t.csv", text))
    assert list(log.to_pandas()["timestamp"].dt.month) == [5, 5]
    assert any("day-first" in w for w in log.quality.warnings)


def test_ambiguous_dates_are_not_guessed(tmp_path):
    text = "case_id,activity,timestamp\n1,A,03/05/2024 10:00\n1,B,04/05/2024 10:00\n"
    with pytest.raises(InputError, match=r"t\.csv, column 'timestamp': has dates like 03/05/2024.*dayfirst"):
        cspm.read(_write(tmp_path / "t.csv", text))


def test_mixed_formats_are_reported(tmp_path):
    text = "case_id,activity,timestamp\n1,A,2024-03-05 10:00\n1,B,05.03.2024 11:00\n1,C,2024-03-05 12:00\n"
    log = cspm.read(_write(tmp_path / "t.csv", text))
    assert list(log.to_pandas()["timestamp"].dt.hour) == [10, 11, 12]
    warning = next(w for w in log.quality.warnings if "mixes timestamp formats" in w)
    assert "ISO 8601 local time (yyyy-mm-dd hh:mm:ss) (2 values)" in warning
    assert "dd.mm.yyyy hh:mm (1 values)" in warning


# --- nothing lost ----------------------------------------------------------------------------------
MIXED_BAD = (
    "ticket_id,status,created_at,group\n"
    "T1,new,2024-03-05 10:00,L1\n"  # row 1 ok
    "T1,open,not a date,L1\n"  # row 2 unparsable timestamp
    ",open,2024-03-05 12:00,L2\n"  # row 3 missing case id
    "T2,,2024-03-05 12:00,L2\n"  # row 4 missing activity
    "T2,new,,L2\n"  # row 5 missing timestamp
    "T2,open,2024-03-05 13:00,L2,surplus\n"  # row 6 too many fields
    "T2,solved,2024-03-05 14:00\n"  # row 7 too few fields
    "T3,new,2024-03-05 15:00,L1\n"  # row 8 ok
    "T3,solved,2024-03-05 16:00,L1\n"  # row 9 ok
)


def test_rows_in_equal_kept_plus_rejected(tmp_path):
    log = cspm.read(_write(tmp_path / "bad.csv", MIXED_BAD))
    q = log.quality
    assert q.rows_read == 9
    assert q.rows_kept == 3
    assert q.rows_rejected == 6
    assert q.rows_read == q.rows_kept + q.rows_rejected
    assert q.rejected_by_reason == {
        "unparsable timestamp": 1,
        "missing case id": 1,
        "missing activity": 1,
        "missing timestamp": 1,
        "malformed row: too many columns": 1,
        "malformed row: missing columns": 1,
    }
    rej = q.rejects_frame()
    assert list(rej["source_row"]) == [2, 3, 4, 5, 6, 7]
    assert list(rej["line"]) == [3, 4, 5, 6, 7, 8]
    assert rej.loc[rej["source_row"] == 2, "value"].item() == "not a date"
    assert rej.loc[rej["source_row"] == 2, "column"].item() == "created_at"
    assert list(log.to_pandas()["source_row"]) == [1, 8, 9]
    out = q.write_rejects(tmp_path / "rejects.csv")
    written = pd.read_csv(out)
    assert len(written) == 6 and set(written.columns) == {"source_row", "line", "column", "reason", "value"}


def test_padded_values_are_trimmed_and_clean_columns_read_as_they_are(tmp_path):
    """Only columns where some value starts or ends with a space (DuckDB's trim: Unicode Zs) are
    trimmed; the values read are those of trimming every column (the figures of the clean file)."""
    nbsp, ideo = "\u00a0", "\u3000"
    padded = (
        "ticket_id,activity,timestamp,agent,team\n"
        f" T1,新建,2024-03-05 10:00 ,A{nbsp},L1\n"
        f"T1 ,{ideo}处理,{nbsp}2024-03-05 11:00,B,L1\n"
        "T2,新建,2024-03-05 12:00,\tC,L2\n"
        "T2,   ,2024-03-05 13:00,C,L2\n"  # blank once trimmed: a missing activity
    )
    clean = (
        "ticket_id,activity,timestamp,agent,team\n"
        "T1,新建,2024-03-05 10:00,A,L1\nT1,处理,2024-03-05 11:00,B,L1\nT2,新建,2024-03-05 12:00,\tC,L2\n"
    )
    log = cspm.read(_write(tmp_path / "padded.csv", padded), timezone="UTC")
    assert log.quality.rejected_by_reason == {"missing activity": 1}
    got = log.to_pandas()
    want = cspm.read(_write(tmp_path / "clean.csv", clean), timezone="UTC").to_pandas()
    cols = ["case_id", "activity", "timestamp", "agent", "team"]
    pd.testing.assert_frame_equal(got[cols], want[cols])
    assert list(got["case_id"]) == ["T1", "T1", "T2"]
    assert list(got["activity"]) == ["新建", "处理", "新建"]
    assert list(got["agent"]) == ["A", "B", "\tC"]  # a tab is not a space to trim, as before
    assert got["timestamp"].iloc[1] == pd.Timestamp("2024-03-05 11:00", tz="UTC")


def test_quality_checks_on_small_log():
    df = pd.DataFrame(
        {
            "case_id": ["a", "a", "a", "b", "c", "c"],
            "activity": ["X", "X", "Y", "X", "X", "Y"],
            "timestamp": pd.to_datetime(
                ["2024-01-01 10:00", "2024-01-01 10:00", "2024-01-01 10:00", "2024-01-02 10:00", "2024-01-03 10:00", "2024-01-04 10:00"],
                utc=True,
            ),
            "agent": ["u", "u", None, "v", None, None],
        }
    )
    q = cspm.read(df).quality
    assert (q.events, q.cases, q.activities) == (6, 3, 2)
    assert q.duplicate_events == 1  # a/X/10:00/u twice
    assert q.same_timestamp_events == 3  # three events of case a at 10:00
    assert q.single_event_cases == 1  # b
    assert q.completeness == {"agent": 0.5}
    assert q.time_span == 3 * 86400


def test_polars_frame():
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"case_id": ["1", "1"], "activity": ["A", "B"], "timestamp": ["2024-01-01 10:00", "2024-01-01 11:00"]})
    assert cspm.read(frame).quality.events == 2


# --- unusable input: one clear paragraph each ------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "kwargs", "pattern"),
    [
        ("missing.csv", None, {}, r"missing\.csv: no such file\. Expected a path"),
        ("empty.csv", b"", {}, r"empty\.csv: the file is empty \(0 bytes\)\. Expected a header row and events"),
        ("header_only.csv", b"case_id,activity,timestamp\n", {}, r"header_only\.csv: has a header but no data rows"),
        ("blob.csv", bytes(range(256)) * 20, {}, r"blob\.csv: is a binary file, not a text table"),
        ("prose.csv", b"Dear team,\nplease find the report attached.\nRegards\n", {},
         r"prose\.csv, line 2, row 1: no record could be read: all 2 are malformed; the first is missing columns"),
        ("text.txt", b"just one line of text\nand another\n", {}, r"text\.txt, line 1: is not a delimited table: its header 'just one line of text'"),
        ("data.json", b'{"events": []}', {}, r"data\.json: looks like JSON, not a table"),
        ("semi.csv", b"case_id;activity;timestamp\n1;A;2024-01-01\n", {"delimiter": ","},
         r"semi\.csv, line 1: the header has no ',' but splits on ';'.*Expected fields separated by ','"),
        ("nocase.csv", b"case_id,activity,timestamp\n1,A,2024-01-01\n", {"case_id": "ticket"},
         r"nocase\.csv, column 'ticket': has no column 'ticket' \(given as the case id column\)\. Columns found: 'case_id', 'activity', 'timestamp'"),
        ("badenc.csv", "case_id,activity,timestamp\n1,é,2024-01-01\n".encode("utf-16-le"), {"encoding": "utf-8"},
         r"badenc\.csv, line 1: cannot be decoded as utf-8|badenc\.csv.*(binary|decoded)"),
        ("notxml.xes", b"this is not XML", {}, r"notxml\.xes, line 1: is not well-formed XML.*Expected an XES document"),
        ("html.xes", b"<html><body>hi</body></html>", {}, r"html\.xes, line 1: is XML but its root element is <html>, not <log>"),
        ("xxe.xes",
         b'<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<log><trace><string key="concept:name" value="&xxe;"/></trace></log>',
         {}, r"xxe\.xes, line 2: contains a DOCTYPE declaration.*XXE"),
        ("badtime.csv", b"case_id,activity,timestamp\n1,A,soon\n1,B,later\n", {},
         r"badtime\.csv, column 'timestamp': does not hold timestamps in a known format \(2 of 2 values unrecognised, e\.g\."),
        ("fake.parquet", b"case_id,activity\n", {}, r"fake\.parquet: is not a Parquet file"),
    ],
)
def test_bad_input_errors(tmp_path, name, content, kwargs, pattern):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=pattern):
        cspm.read(path, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "column", "role"),
    [({"case_id": "ticket"}, "ticket", "case id"), ({"activity": ["activity", "step"]}, "step", "activity"),
     ({"team": "group"}, "group", "team")],
)
def test_a_given_column_the_source_lacks_is_a_missing_column_error(tmp_path, kwargs, column, role):
    path = _write(tmp_path / "log.csv", "case_id,activity,timestamp\n1,A,2024-01-01\n")
    with pytest.raises(MissingColumnError) as err:
        cspm.read(path, **kwargs)
    assert err.value.column == column and err.value.columns == ["case_id", "activity", "timestamp"]
    assert err.value.exit_code == 2 and err.value.path == str(path)
    assert str(err.value) == (
        f"{path}, column '{column}': has no column '{column}' (given as the {role} column). "
        f"Columns found: 'case_id', 'activity', 'timestamp'. Expected a column named '{column}'."
    )


def test_cli_bad_input_has_no_traceback(tmp_path):
    import subprocess
    import sys

    path = _write(tmp_path / "bad.csv", "foo,bar\n1,2\n")
    proc = subprocess.run(
        [sys.executable, "-m", "cspm", "validate", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "bad.csv" in proc.stderr and "Columns found: 'foo', 'bar'" in proc.stderr


def test_cli_strict_and_rejects(tmp_path):
    from typer.testing import CliRunner

    from cspm.cli import app

    path = _write(tmp_path / "bad.csv", MIXED_BAD)
    out = tmp_path / "rej.csv"
    result = CliRunner().invoke(app, ["validate", str(path), "--rejects", str(out), "--strict"])
    assert result.exit_code == 1
    assert len(pd.read_csv(out)) == 6


def test_read_never_materialises_the_log_in_pandas(monkeypatch):
    """CSV and Parquet are read by DuckDB: no pandas frame larger than a summary is built."""
    import ibis.expr.types as ir

    sizes: list[int] = []
    original = ir.Table.execute  # to_pandas() goes through execute()

    def execute(self, *args, **kwargs):
        frame = original(self, *args, **kwargs)
        sizes.append(len(frame))
        return frame

    monkeypatch.setattr(ir.Table, "execute", execute)
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: pytest.fail("pandas.read_csv used"))
    monkeypatch.setattr(pd, "read_parquet", lambda *a, **k: pytest.fail("pandas.read_parquet used"))
    sample = Path(__file__).resolve().parents[1] / "sample_logs" / "tickets_en.csv"
    log = cspm.read(sample)
    assert log.quality.events > 10_000
    assert sizes and max(sizes) < 100  # only summaries (e.g. rejections by reason) became frames
    parquet = Path(pytest.importorskip("tempfile").mkdtemp()) / "t.parquet"
    log.to_parquet(str(parquet))
    sizes.clear()
    assert cspm.read(parquet).quality.events == log.quality.events
    assert max(sizes, default=0) < 100


def test_the_encoding_check_skips_ascii_chunks_only_when_nothing_is_pending(tmp_path):
    """The UTF-8 / GB18030 check reads the file in 1 MiB chunks and skips pure-ASCII ones; a chunk
    that ends inside a multi-byte character keeps the next one from being skipped."""
    from cspm.ingest.sources import _decodes, detect_encoding

    mib = 1 << 20
    cases = {
        "split_e": (b"a" * (mib - 1) + "é".encode() + b"b" * mib + b"\n", "utf-8", True),
        # C3 at the end of the first chunk, then an ASCII chunk, then A9: not UTF-8 (C3 'b' is invalid),
        # though C3 A9 would be 'é' if the ASCII chunk were skipped
        "broken": (b"a" * (mib - 1) + b"\xc3" + b"b" * mib + b"\xa9\n", "utf-8", False),
        "ascii": (b"x,y\n" * (mib // 2), "utf-8", True),
        # a GB18030 character whose trail byte (0x40-0x7E) is ASCII, split at the chunk boundary
        "gb_split": (b"a" * (mib - 1) + "丂".encode("gb18030") + b"b" * mib, "gb18030", True),
    }
    for name, (data, encoding, valid) in cases.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(data)
        assert _decodes(path, encoding) is valid, name
    assert "丂".encode("gb18030")[1:2].isascii()  # the trail byte is ASCII
    assert not _decodes(tmp_path / "gb_split.csv", "utf-8")
    assert detect_encoding(tmp_path / "gb_split.csv", b"a" * 64) == "gb18030"
    assert detect_encoding(tmp_path / "split_e.csv", b"a" * 64) == "utf-8"
