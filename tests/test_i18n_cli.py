"""The CLI tables of ``compare``, ``monitor``, ``drivers`` and ``baseline`` under ``--lang zh``:
no English UI word left (findings, verdicts, figure and target names, driver names, units), only
data, ids, units of the standards and option names; the English output of the same runs is unchanged.

A fifth of the Chinese sample (every fifth ticket of ``sample_logs/tickets_zh.csv``, GB18030, with
its config) keeps the runs to a few seconds.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cspm.cli import app

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "sample_logs" / "tickets_zh.csv"
CONFIG = ROOT / "sample_logs" / "cspm.example.zh.yaml"

# not English UI: statistic symbols and standards, the tests' names, the log's ids and zone
NOT_UI = {"p", "q", "n", "P85", "P90", "CI", "DiD", "SD", "T", "U", "z", "Asia/Shanghai", "UTC"}
REMOVED = re.compile(r"\S*/\S*|\S+\.csv\b|--[a-z][a-z-]*|'[^']*'|\b[A-Z]+-?\d+\b|\d{4}-\d\d-\d\dT[\d:+]+")  # paths, the log's file name, options, quoted values, ids (SD-05, P4, L2), ISO times


def english_words(text: str) -> set[str]:
    words = re.findall(r"[A-Za-z][A-Za-z]*", REMOVED.sub(" ", text))
    return {w for w in words if w not in NOT_UI}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    if not LOG.exists():
        pytest.skip("sample_logs/tickets_zh.csv is not built")
    lines = LOG.read_bytes().split(b"\n")
    keep = [lines[0], *(ln for ln in lines[1:] if ln and int(ln[1:8]) % 5 == 0)]
    path = tmp_path_factory.mktemp("zh") / "tickets_zh.csv"
    path.write_bytes(b"\n".join(keep) + b"\n")
    return path


def run(*args: object, lang: str = "zh") -> tuple[int, str]:
    r = CliRunner().invoke(app, [*map(str, args), "--config", str(CONFIG), "--lang", lang], env={"COLUMNS": "200"})
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    return r.exit_code, r.stdout


def assert_chinese(out: str, must: list[str]) -> None:
    left = english_words(out)
    assert not left, f"English left: {sorted(left)}\n{out}"
    for text in must:
        assert text in out, (text, out)


def test_compare_split_is_chinese(small):
    code, out = run("compare", small, "--split", "2024-03-18")
    assert code == 0, out
    assert_chinese(out, ["之前 334 张工单对比之后 66 张工单 — 按首个事件划分工单：2024-03-18 00:00（Asia/Shanghai）之前 / 当时或之后",
                         "• 二线受理 之前的等待 P85：", "目标 ≤ 1小时（85%）仍未达标（达成率 ", "小时 →",
                         "显著变化（q < 0.05）", "时长按中位数比较"])  # fmt: skip
    code, en = run("compare", small, "--split", "2024-03-18", lang="en")
    assert "before 334 tickets vs after 66 tickets — tickets by their first event: before / on or after 2024-03-18" in en
    assert "• wait before 二线受理 P85: " in en and "target ≤ 1 h (85%) still breached (attained " in en


def test_baseline_and_compare_with_it_are_chinese(small, tmp_path):
    code, out = run("baseline", small, "--save", tmp_path / "base.json")
    assert code == 0, out
    assert_chinese(out, ["tickets_zh.csv 的基线：400 张工单，3,069 个事件（"])
    code, out = run("compare", small, "--baseline", tmp_path / "base.json")
    assert code == 0, out
    assert_chinese(out, ["之前 400 张工单对比之后 400 张工单 — ", "的基线（400 张工单，", "）对比该日志",
                         "(+0%，p = 1.000)".replace("(", "（").replace(")", "）")])  # fmt: skip


def test_monitor_is_chinese(small):
    code, out = run("monitor", small)
    assert code == 1, out  # an alert: the breached targets of the last week
    assert_chinese(out, ["各周的目标", "二线受理 之前的等待", "小时", "警报： 二线受理 之前的等待 在 2024-03-18 未达标"])
    _, en = run("monitor", small, lang="en")
    assert "alert: wait before 二线受理 breached in 2024-03-18" in en and " h " in en


def test_drivers_are_chinese(small):
    code, out = run("drivers", small, "--outcome", "breach:二线受理")
    assert code == 0, out
    assert_chinese(out, ["根本原因", "最强的驱动因素", "驱动因素"])
    _, en = run("drivers", small, "--outcome", "breach:二线受理", lang="en")
    assert "Strongest drivers" in en
    code, out = run("drivers", small, "--segment", "channel")
    assert code == 0, out
    assert_chinese(out.replace("channel", ""), ["按 （比例 · 中位数；* 显著差于其余）", "度量", "在线客服", "小时 *"])
