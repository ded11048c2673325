"""The waiting, value-stream and KPI sections in the HTML report: names escaped, maps coloured."""

from __future__ import annotations

import pandas as pd

import cspm
from cspm.config import config_from_dict
from cspm.kpis import kpis
from cspm.report import Report, ReportSection
from cspm.value_stream import value_stream
from cspm.waiting import waiting

EVIL = "<b>Escalate</b> & co"


def _log() -> cspm.TicketLog:
    rows = []
    for i, (gap_h, day) in enumerate([(3, 4), (5, 5), (0.5, 6)]):
        t0 = pd.Timestamp(f"2024-03-0{day} 09:00")
        rows += [
            (f"T{i}", "Ticket created", t0),
            (f"T{i}", EVIL, t0 + pd.Timedelta(minutes=30)),
            (f"T{i}", "Resolve ticket", t0 + pd.Timedelta(minutes=30) + pd.Timedelta(hours=gap_h)),
        ]
    df = pd.DataFrame(rows, columns=["case", "act", "ts"])
    return cspm.read(df, case_id="case", activity="act", timestamp="ts")


def test_sections_render_escaped_in_the_report(tmp_path):
    log = _log()
    cfg = config_from_dict({"targets": {"steps": [{"step": "Resolve ticket", "max_wait": "1h", "attainment": "50%"}]}})
    sections = [waiting(log, cfg), value_stream(log, cfg), kpis(log, cfg)]
    for s in sections:
        assert isinstance(s, ReportSection)
    html = Report(title="t", sections=sections).render()  # the report's environment (StrictUndefined)
    assert EVIL not in html and "&lt;b&gt;Escalate&lt;/b&gt; &amp; co" in html
    assert html.count("<svg") >= 5  # Pareto, value stream, step curve, two heatmaps
    w = sections[0]
    assert w.breaching_steps() == ["Resolve ticket"]
    assert w.breaching_edges() == [(EVIL, "Resolve ticket")]
    path = w.save(tmp_path / "waiting.html")
    assert "Worst bottleneck: Resolve ticket" in path.read_text("utf-8")


def test_discover_outputs_use_the_targets(tmp_path):
    from cspm.outputs import target_breaches

    log = _log()
    cfg = config_from_dict({"targets": {"steps": [{"step": "Resolve ticket", "max_wait": "1h", "attainment": "50%"}]}})
    section, steps, edges, notes = target_breaches(log, cfg)
    assert section is not None and section.section_id == "waiting"
    assert (steps, edges, notes) == (["Resolve ticket"], [(EVIL, "Resolve ticket")], [])
