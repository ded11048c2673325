"""DataQuality is a Result and the report's "Data quality" section; its summary is a typed record.

The log below is checked by hand: 9 data rows; row 3 and row 7 have unparsable timestamps, row 5
has no activity, row 6 no case id: 5 kept, 4 rejected. The attribute column is named with HTML,
an ampersand and a quote, so every view must escape it.
"""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

import cspm
from cspm.core.result import Result, json_ready
from cspm.errors import OutputError
from cspm.ingest.quality import DataQuality, QualitySection, QualitySummary
from cspm.render.html import section_html
from cspm.render.report import Report

NAME = '<script>x</script> & "q"'
CSV = f"""case_id,activity,timestamp,{NAME.replace('"', '""').join('""')}
1,open,2024-03-01 08:00,a
1,close,2024-03-01 09:00,
2,open,soon,b
2,close,2024-03-02 09:00,c
3,,2024-03-02 10:00,d
,open,2024-03-02 10:00,e
4,open,2024-13-02 10:00,f
5,open,2024-03-02 10:00,g
5,close,2024-03-03 11:00,h
"""


@pytest.fixture(scope="module")
def quality(tmp_path_factory) -> DataQuality:
    path = tmp_path_factory.mktemp("quality") / "q.csv"
    path.write_text(CSV, encoding="utf-8")
    return cspm.read(path, timezone="UTC").quality


def test_is_a_result_with_a_typed_summary(quality):
    assert isinstance(quality, cspm.DataQuality) and isinstance(quality, Result)
    record = quality._summary()
    assert isinstance(record, QualitySummary)
    summary = quality.summary()
    assert json.loads(json.dumps(summary)) == summary  # plain JSON
    assert json_ready(QualitySummary.model_validate(summary)) == summary  # the record round-trips
    assert (summary["rows_read"], summary["rows_kept"], summary["rows_rejected"]) == (9, 5, 4)
    assert summary["rejected_by_reason"] == {"unparsable timestamp": 2, "missing activity": 1, "missing case id": 1}
    assert (summary["events"], summary["cases"], summary["activities"]) == (5, 3, 2)
    assert summary["first_event"] == "2024-03-01T08:00:00+00:00"
    assert summary["last_event"] == "2024-03-03T11:00:00+00:00"
    assert summary["time_span_seconds"] == 2 * 86400 + 3 * 3600
    assert summary["completeness"] == {NAME: 0.8}  # row 2's value is empty
    assert summary["roles"]["case_id"] == "case_id" and summary["roles"]["activity"] == ["activity"]
    # parts the reader did not fill stay out of the summary, as before
    assert summary["lifecycle"] == {"column": None, "mode": None}
    assert summary["activity_source"] == {"source": "detected", "declared": [], "classifier": None}
    assert summary["timestamps"] == [
        {"column": "timestamp", "with_offset": 0, "epoch": 0, "without_offset": 8, "timezone": "UTC", "timezone_source": "given"}
    ]  # 8: every value but 'soon' looks like ISO 8601 (2024-13-02 does, and then fails to parse)


def test_table_is_the_figures_and_to_pandas_a_copy(quality):
    table = quality.to_pandas()
    assert list(table.columns) == ["figure", "value"]
    assert [tuple(r) for r in table.itertuples(index=False)] == quality.figures()
    assert dict(quality.figures())["  rejected: unparsable timestamp"] == "2"
    table.loc[0, "value"] = "changed"
    assert quality.to_pandas().loc[0, "value"] != "changed"


def test_rejected_rows_are_json_ready_records(quality):
    assert quality.rejected_rows(2) == [
        {"row": 3, "line": 4, "column": "timestamp", "reason": "unparsable timestamp", "value": "soon"},
        {"row": 5, "line": 6, "column": "activity", "reason": "missing activity", "value": None},
    ]
    assert len(quality.rejected_rows(100)) == 4 and quality.rejected_rows(0) == []


def test_section_escapes_names_in_notebook_and_report(quality):
    html = quality._repr_html_()
    assert html == section_html(quality)
    assert '<section class="cspm-section" id="quality">' in html and "<h2>Data quality</h2>" in html
    assert "<script>" not in html
    assert "completeness: &lt;script&gt;x&lt;/script&gt; &amp; &#34;q&#34;" in html
    assert "4 of 9 rows were rejected" in html  # the warnings are shown
    page = Report(title="t", sections=[quality]).render()
    assert html in page and "<script>x</script>" not in page


@pytest.mark.parametrize("suffix", [".html", ".json", ".csv", ".parquet", ".xlsx"])
def test_save_follows_the_suffix(quality, tmp_path, suffix):
    path = quality.save(tmp_path / f"quality{suffix}")
    if suffix == ".html":
        text = path.read_text("utf-8")
        assert text.startswith("<!DOCTYPE html>") and section_html(quality) in text
    elif suffix == ".json":
        assert json.loads(path.read_text("utf-8")) == quality.summary()
    else:
        read = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".xlsx": pd.read_excel}[suffix]
        back = read(path, dtype=str) if suffix != ".parquet" else read(path)
        assert [tuple(r) for r in back.itertuples(index=False)] == quality.figures()


def test_save_rejects_an_unknown_suffix(quality, tmp_path):
    with pytest.raises(OutputError, match=r"cannot save a DataQuality as '\.txt'"):
        quality.save(tmp_path / "quality.txt")


def test_quality_section_is_a_deprecated_alias(quality):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        section = QualitySection(quality)
    assert section is quality
    assert [w.category for w in caught] == [DeprecationWarning]
