"""The Chinese sample gives a Chinese report by default from its config, with no English UI left.

``cspm discover sample_logs/tickets_zh.csv --config sample_logs/cspm.example.zh.yaml --out out``
(the config says ``report.language: zh``). Two checks over the page's visible text (text nodes
and tooltips; scripts, styles and the process tree's ``pre`` dump left out):

* no English word remains, apart from names that are not English UI (units and standards such as
  UTC, SLA, KPI, P85; the log's file name, time zone and currency; config keys like
  ``costs.hourly_rate``) — this also catches a string nobody marked for translation;
* no catalog string whose translation differs from it appears in English (the test over the catalog).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from lxml import html as lxml_html
from typer.testing import CliRunner

from cspm.cli import app
from cspm.i18n import catalog_file

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"
LOG = SAMPLES / "tickets_zh.csv"
CONFIG = SAMPLES / "cspm.example.zh.yaml"

# Words in the Chinese report that are not English UI text: standards, units and abbreviations
# Chinese readers use as they are, and the graph names Graphviz writes as SVG titles.
NOT_UI = {"UTC", "SLA", "KPI", "KPIs", "BPMN", "XES", "SVG", "PNG", "Graphviz", "Camunda", "Signavio", "cspm", "CNY",
          "Asia/Shanghai", "A", "B", "C"}  # fmt: skip
IDENTIFIER = re.compile(r"^[A-Za-z_]+\.[A-Za-z_.]+$|^[A-Za-z]*-?\d+[A-Za-z\d]*$")  # config keys, P85, SD05, SD-05, UTF-8 …
QUOTED = re.compile(r"b'[^']*'|--[a-z][a-z-]*|\b[a-z_]+='[^']*'")  # bytes quoted from the log, options: --encoding, encoding='utf-8'
GRAPHVIZ_ID = re.compile(r"^(process_map|handover|bpmn|__start__|__end__|[a-z]\d+)(->(__end__|[a-z]\d+))?$")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, str]:
    if not LOG.exists():
        pytest.skip("sample_logs/tickets_zh.csv is not built")
    out = tmp_path_factory.mktemp("zh") / "out"
    r = CliRunner().invoke(app, ["discover", str(LOG), "--config", str(CONFIG), "--out", str(out)],
                           env={"COLUMNS": "160"})  # fmt: skip
    assert r.exit_code == 0, r.output
    return out, r.stdout


def _visible_text(page: str) -> list[str]:
    doc = lxml_html.fromstring(page)
    for el in doc.xpath("//script|//style|//pre|//*[local-name()='metadata']"):
        el.drop_tree()
    texts = []
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        in_svg = el.tag.endswith("title") and el.getparent() is not None and el.getparent().tag != "head"
        if in_svg and GRAPHVIZ_ID.match((el.text or "").strip()):
            continue  # Graphviz names each SVG object by its id
        texts += [t for t in (el.text, el.tail, el.get("title"), el.get("aria-label"), el.get("alt")) if t]
    return texts


def _english_words(texts: list[str], allowed: set[str]) -> dict[str, str]:
    found = {}
    for text in texts:
        for token in re.findall(r"[A-Za-z0-9][A-Za-z0-9_.\-/']*[A-Za-z0-9]|[A-Za-z]", text):
            if not re.search("[A-Za-z]", token) or token in allowed or IDENTIFIER.match(token) or token in NOT_UI:
                continue
            found.setdefault(token, text.strip()[:120])
    return found


def test_report_is_chinese_with_no_english_ui_left(report):
    out, _ = report
    page = (out / "report.html").read_text("utf-8")
    assert '<html lang="zh">' in page
    source = "sample_logs/tickets_zh.csv"
    allowed = {source, LOG.name, *re.split(r"[/._]", source)}
    texts = [QUOTED.sub("", t.replace(str(LOG), "").replace(source, "")) for t in _visible_text(page)]
    english = _english_words(texts, allowed)
    assert not english, "English left in the Chinese report:\n" + "\n".join(f"{w!r} in {t!r}" for w, t in english.items())
    # the figures are in the locale's form (Babel): durations with Chinese units, dates in Chinese
    assert "概览" in page and "流程图" in page and "瓶颈" in page
    assert re.search(r"\d小时", page) and re.search(r"\d天", page)
    assert re.search(r"2024年3月\d+日", page)


def test_no_translated_catalog_string_is_left_in_english(report):
    """Every catalog string whose Chinese differs from the English is absent in English: its literal
    parts (between placeholders) of 12 characters or more are not in the page's text."""
    out, _ = report
    text = "\n".join(_visible_text((out / "report.html").read_text("utf-8")))
    with open(catalog_file("zh"), "rb") as f:
        catalog = read_po(f)
    left = []
    for m in catalog:
        if not m.id:
            continue
        msgid = m.id[-1] if isinstance(m.id, tuple) else m.id
        string = m.string[0] if isinstance(m.string, tuple) else m.string
        if string == msgid:
            continue
        for part in re.split(r"\{[^}]*\}|%\([a-z_]+\)s", msgid):
            if len(part.strip()) >= 12 and part.strip() in text:
                left.append(f"{part.strip()!r} of {msgid!r}")
    assert not left, left


def test_cli_output_and_summary(report):
    out, stdout = report
    assert "的流程发现" in stdout and "工单数" in stdout and "最严重的瓶颈" in stdout
    assert "Discovery of" not in stdout and "Worst bottleneck" not in stdout
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["schema"] == "cspm.discover.summary/1"  # the JSON for scripts keeps its English keys
    assert summary["overview"]["cases"] == 2000


def test_lang_option_overrides_the_config(tmp_path):
    r = CliRunner().invoke(app, ["bottlenecks", str(LOG), "--config", str(CONFIG), "--lang", "en"],
                           env={"COLUMNS": "160"})  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "Worst bottleneck: 二线受理" in r.stdout and "Time semantics: complete." in r.stdout
    r = CliRunner().invoke(app, ["bottlenecks", str(LOG), "--config", str(CONFIG)], env={"COLUMNS": "160"})
    assert r.exit_code == 0, r.output
    assert "最严重的瓶颈：二线受理" in r.stdout and "时间语义：完成时间。" in r.stdout and "的瓶颈（超出目标）" in r.stdout


def test_workbook_is_in_the_report_language(report):
    """report.xlsx beside the Chinese report: sheet names, headers (with their units), the sheets'
    notes and the figure/unit names of the overview and KPI sheets in Chinese (read back with openpyxl)."""
    from openpyxl import load_workbook

    out, _ = report
    book = load_workbook(out / "report.xlsx")
    texts = list(book.sheetnames)
    for ws in book.worksheets:
        texts += [str(c.value) for c in ws[1]]
        texts += [ws.cell(1, 1).comment.text] if ws.cell(1, 1).comment else []
    overview = book["概览"]
    assert [c.value for c in overview[1]] == ["指标", "值", "单位"]
    labels = [overview.cell(r, 1).value for r in range(2, overview.max_row + 1)]
    units = [overview.cell(r, 3).value for r in range(2, overview.max_row + 1)]
    texts += [str(v) for v in labels + units if v]
    allowed = {"P90", "P85", "p85", "p90", "p", "q", "n", "sample_logs/tickets_zh.csv", "tickets_zh", "csv", "sample_logs"}
    english = _english_words([t.replace(str(LOG), "").replace("sample_logs/tickets_zh.csv", "") for t in texts], allowed)
    assert not english, "English left in report.xlsx:\n" + "\n".join(f"{w!r} in {t!r}" for w, t in english.items())
    assert {"等待与目标", "瓶颈排名", "按渠道", "团队工作量"} <= set(book.sheetnames)
    assert [c.value for c in book["瓶颈排名"][1]][:10] == ["排名", "类型", "名称", "步骤", "度量", "计时", "分段",
                                                      "目标（小时）", "要求（%）", "数量"]  # fmt: skip
    assert labels[:4] == ["工单数", "事件数", "环节数", "变体数"]
    assert overview.cell(2, 2).value == 2000  # the figures stay typed numbers
