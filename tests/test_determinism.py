"""Same input and options → the same bytes in every output file of ``cspm discover``.

One run in this process, one in a fresh interpreter (other memory layout, other string hash seed:
what made pm4py's set order, and so the BPMN/PNML element order, differ), both with
``SOURCE_DATE_EPOCH``; a third run without it differs from them only in the one creation-time field.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree
from test_fuzz import run_cli

from cspm.render.canonical import canonical_model_xml, creation_time

ROOT = Path(__file__).resolve().parents[1]
EPOCH = "1700000000"  # 2023-11-14T22:13:20Z


@pytest.fixture(scope="module")
def small_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 300 rows of the English sample log (a model with gateways and silent steps)."""
    path = tmp_path_factory.mktemp("det") / "tickets.csv"
    with open(ROOT / "sample_logs" / "tickets_en.csv", "rb") as fh:
        path.write_bytes(b"".join(fh.readline() for _ in range(301)))
    return path


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_discover_twice_gives_identical_bytes(small_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    code, err = run_cli(["discover", str(small_log), "--out", str(tmp_path / "a")])
    assert code == 0, err
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONHASHSEED": "random"}
    done = subprocess.run([sys.executable, "-m", "cspm", "discover", str(small_log), "--out", str(tmp_path / "b")],
                          env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert sorted(a) == sorted(b) and {"model.bpmn", "model.pnml", "report.html", "summary.json",
                                       "map_frequency.svg", "variants.csv"} <= set(a)  # fmt: skip
    different = [name for name in a if a[name] != b[name]]
    assert different == []
    assert json.loads(a["summary.json"])["created"].startswith("2023-11-14T22:13:20")
    assert b"created 2023-11-14 22:13 UTC" in a["report.html"]

    # without SOURCE_DATE_EPOCH only the creation time differs
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    code, err = run_cli(["discover", str(small_log), "--out", str(tmp_path / "c")])
    assert code == 0, err
    c = _files(tmp_path / "c")
    assert [n for n in a if a[n] != c[n]] == ["report.html", "report.xlsx", "summary.json"]  # the creation time
    summary_a, summary_c = json.loads(a["summary.json"]), json.loads(c["summary.json"])
    summary_a.pop("created"), summary_c.pop("created")
    assert summary_a == summary_c
    mask = re.compile(rb"created \d{4}-\d\d-\d\d \d\d:\d\d UTC")
    assert mask.sub(b"", a["report.html"]) == mask.sub(b"", c["report.html"])


def test_model_ids_come_from_content_not_from_order(tmp_path: Path) -> None:
    """A BPMN file with its elements shuffled and its ids replaced by random ones canonicalises to
    the same bytes (ids derived from names and structure; siblings sorted)."""
    import cspm

    log = cspm.read(ROOT / "sample_logs" / "tickets_en.csv")
    model = cspm.discover(log).model()
    for suffix in (".bpmn", ".pnml"):
        written = model.save(tmp_path / f"m{suffix}").read_bytes()
        root = etree.fromstring(written)
        rng = random.Random(7)
        ids = [e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")]
        fresh = {i: f"x{rng.randrange(10**9)}_{n}" for n, i in enumerate(ids)}
        for e in root.iter():
            if not isinstance(e.tag, str):
                continue
            for k, v in e.attrib.items():
                if v in fresh:
                    e.set(k, fresh[v])
            if e.text and e.text.strip() in fresh:
                e.text = fresh[e.text.strip()]
        for parent in list(root.iter()):
            kids = [k for k in parent if isinstance(k.tag, str) and k.get("id")]
            if len(kids) > 1:
                for k in kids:
                    parent.remove(k)
                rng.shuffle(kids)
                parent.extend(kids)
        shuffled = etree.tostring(root, xml_declaration=True, encoding="utf-8")
        assert shuffled != written
        assert canonical_model_xml(shuffled) == written, suffix
        assert not re.search(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-", written)  # no UUID left


def test_source_date_epoch_sets_the_creation_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert creation_time().isoformat() == "1970-01-01T00:00:00+00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "not a number")
    assert creation_time().year >= 2025 and creation_time().microsecond == 0
