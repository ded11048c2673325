"""The waiting, value-stream and KPI sections in the HTML report: names escaped, and each chart
shows exactly the figures of its table, read back from the SVG (bar heights and points through the
axis ticks, heatmap cells from the embedded image) and checked against values worked out by hand."""

from __future__ import annotations

import base64
import io
import re

import lxml.etree as ET
import pandas as pd
import pytest

import cspm
from cspm.analysis.kpis import kpis
from cspm.analysis.value_stream import value_stream
from cspm.analysis.waiting import waiting
from cspm.config import config_from_dict
from cspm.render.report import Report, ReportSection

EVIL = "<b>Escalate</b> & co"
NS = {"s": "http://www.w3.org/2000/svg"}
XLINK = "{http://www.w3.org/1999/xlink}href"


def _log() -> cspm.TicketLog:
    """Three tickets, created Mon/Tue/Wed 4–6 March 2024 09:00 (naive, read as UTC); the escalation
    30 min later; resolved 3 h, 5 h and 0.5 h after the escalation."""
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


# --- reading a matplotlib SVG back ------------------------------------------------------------------
def _number(text: str) -> float:
    return float(text.replace("\u2212", "-"))


def _axes(svg: str) -> list[ET._Element]:
    return ET.fromstring(svg.encode("utf-8")).findall(".//s:g[@id]", NS)


def _axes_group(svg: str, n: int) -> ET._Element:
    return next(g for g in _axes(svg) if g.get("id") == f"axes_{n}")


def _ticks(axes: ET._Element, kind: str) -> list[tuple[float, str]]:
    """(position in px, label) of the x or y ticks of one axes group."""
    out = []
    for g in axes.iterfind(".//s:g[@id]", NS):
        if g.get("id", "").startswith(f"{kind}tick_"):
            use, text = g.find(".//s:use", NS), g.find(".//s:text", NS)
            out.append((float(use.get(kind)), "".join(text.itertext()) if text is not None else ""))
    return out


def _scale(axes: ET._Element, kind: str):
    """px -> data value along an axis, from its first and last tick; on a categorical axis (text
    labels) the index of the nearest tick."""
    ticks = _ticks(axes, kind)
    try:
        (p0, v0), (p1, v1) = [(p, _number(t)) for p, t in ticks][:: len(ticks) - 1]
    except ValueError:
        return lambda px: min(range(len(ticks)), key=lambda i: abs(ticks[i][0] - px))
    return lambda px: v0 + (px - p0) * (v1 - v0) / (p1 - p0)


def _bars(axes: ET._Element, colour: str) -> list[float]:
    """Heights (data units) of the bars of one colour, left to right (legend swatches excluded)."""
    y = _scale(axes, "y")
    bars = []
    for g in axes.findall("s:g", NS):  # direct children: the legend's patches sit one level deeper
        path = g.find("s:path", NS)
        if g.get("id", "").startswith("patch_") and path is not None and f"fill: {colour}" in path.get("style", ""):
            xs, ys = zip(*[(float(a), float(b)) for a, b in re.findall(r"([-\d.]+) ([-\d.]+)", path.get("d"))], strict=True)
            bars.append((min(xs), y(min(ys)) - y(max(ys))))
    return [h for _, h in sorted(bars)]


def _points(axes: ET._Element, prefix: str, x_axes: ET._Element | None = None) -> list[float]:
    """x, y, x, y, … in data units of the markers of the lines (``line2d``) or scatters
    (``PathCollection``) of one axes group; a twin axes takes its x from ``x_axes``."""
    x, y = _scale(axes if x_axes is None else x_axes, "x"), _scale(axes, "y")
    groups = [g for g in axes.findall("s:g", NS) if g.get("id", "").startswith(prefix)]
    return [v for g in groups for u in g.iterfind(".//s:use", NS) for v in (x(float(u.get("x"))), y(float(u.get("y"))))]


def _cells(svg: str) -> list[list[tuple[int, int, int, int]]]:
    """The colour (RGBA) at the centre of each weekday × hour cell of a heatmap: 7 rows, 24 columns."""
    from PIL import Image, ImageOps

    root = ET.fromstring(svg.encode("utf-8"))
    heat = max(root.iterfind(".//s:image", NS), key=lambda i: float(i.get("width")))  # not the colour bar
    img = Image.open(io.BytesIO(base64.b64decode(heat.get(XLINK).split(",", 1)[1]))).convert("RGBA")
    if "scale(1 -1)" in heat.get("transform", ""):
        img = ImageOps.flip(img)
    w, h = img.size
    return [[img.getpixel((int((c + 0.5) / 24 * w), int((r + 0.5) / 7 * h))) for c in range(24)] for r in range(7)]


def _rgba(fraction: float) -> tuple[int, int, int, int]:
    """The heatmap's colour for a value at ``fraction`` of its range (matplotlib's YlOrRd)."""
    import matplotlib

    return tuple(round(255 * c) for c in matplotlib.colormaps["YlOrRd"](fraction))  # type: ignore[return-value]


def _close(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return all(abs(x - y) <= 2 for x, y in zip(a, b, strict=True))


# --- the report ---------------------------------------------------------------------------------------
TWO_TARGETS = {"targets": {"steps": [
    {"step": "Resolve ticket", "max_wait": "1h", "attainment": "50%"},
    {"step": EVIL, "max_wait": "10min", "attainment": "50%"},
]}}  # fmt: skip


def test_sections_render_escaped_in_the_report(tmp_path):
    log = _log()
    cfg = config_from_dict(TWO_TARGETS)
    w, v, k = sections = [waiting(log, cfg), value_stream(log, cfg), kpis(log, cfg)]
    for s in sections:
        assert isinstance(s, ReportSection)
    html = Report(title="t", sections=sections).render()  # the report's environment (StrictUndefined)
    assert EVIL not in html and "&lt;b&gt;Escalate&lt;/b&gt; &amp; co" in html
    charts = [w.pareto_svg(), v.chart_svg(), k.step_curve_svg(), k.heatmap_svg(), k.wait_heatmap_svg()]
    assert all(c.startswith("<svg") and c in html for c in charts)  # each chart as drawn below
    assert html.count("<svg") == len(charts)
    # waits by hand: created → escalation 0.5 h each; escalation → resolve 3 h, 5 h, 0.5 h
    assert w.breaching_steps() == ["Resolve ticket", EVIL]
    assert w.breaching_edges() == [(EVIL, "Resolve ticket"), ("Ticket created", EVIL)]
    path = w.save(tmp_path / "waiting.html")
    assert "Worst bottleneck: Resolve ticket" in path.read_text("utf-8")


def test_pareto_chart_shows_the_ranking():
    w = waiting(_log(), config_from_dict(TWO_TARGETS))
    # excess over target, by hand: resolve (3-1) + (5-1) = 6 h; escalation 3 × (0.5 - 1/6) = 1 h
    r = w.ranking
    assert r["name"].tolist() == ["Resolve ticket (wait)", f"{EVIL} (wait)"]
    assert r["excess_h"].tolist() == pytest.approx([6.0, 1.0])
    svg = w.pareto_svg()
    bars_axes, share_axes = _axes_group(svg, 1), _axes_group(svg, 2)
    assert [t for _, t in _ticks(bars_axes, "x")] == r["name"].tolist()
    assert _bars(bars_axes, "#c0392b") == pytest.approx([6.0, 1.0], abs=1e-3)
    assert _points(share_axes, "line2d_", bars_axes) == pytest.approx([0, 600 / 7, 1, 100.0], abs=1e-3)
    assert "Bottlenecks by total excess hours" in svg


def test_value_stream_chart_shows_the_main_path():
    v = value_stream(_log(), config_from_dict(TWO_TARGETS))
    steps = ["Ticket created", EVIL, "Resolve ticket"]
    assert v.main_path["step"].tolist() == steps
    svg = v.chart_svg()
    axes = _axes_group(svg, 1)
    assert [t for _, t in _ticks(axes, "x")] == steps
    # median wait before each step, by hand: none, 0.5 h, median(3, 5, 0.5) = 3 h
    assert _bars(axes, "#e67e22") == pytest.approx([0.0, 0.5, 3.0], abs=1e-3)
    assert v.main_path["median_wait_h"].fillna(0).tolist() == pytest.approx([0.0, 0.5, 3.0])
    # the targets (1/6 h and 1 h) are drawn over their steps (x = 1, 2)
    assert _points(axes, "PathCollection_") == pytest.approx([1, 1 / 6, 2, 1.0], abs=1e-3)


def test_step_curve_and_heatmaps_show_the_kpis():
    k = kpis(_log(), config_from_dict(TWO_TARGETS))
    # every ticket has 3 steps and is resolved; lead times 3.5 h, 5.5 h, 1 h: median 3.5 h
    curve = k.step_curve[k.step_curve["cases"] > 0]
    assert curve[["steps", "cases", "median_resolution_h", "resolution_rate"]].values.tolist() == [[3, 3, 3.5, 1.0]]
    svg = k.step_curve_svg()
    time_axes, rate_axes = _axes_group(svg, 1), _axes_group(svg, 2)
    assert _points(time_axes, "line2d_") == pytest.approx([3, 3.5], abs=1e-3)
    assert _points(rate_axes, "line2d_", time_axes) == pytest.approx([3, 100.0], abs=1e-3)

    # arrivals: one ticket each Mon, Tue, Wed at 09 (UTC); every other cell 0
    arrivals = pd.DataFrame(0, index=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], columns=range(24))
    arrivals.loc[["Mon", "Tue", "Wed"], 9] = 1
    pd.testing.assert_frame_equal(k.arrivals_heatmap, arrivals, check_dtype=False, check_names=False)
    cells = _cells(k.heatmap_svg())
    for r, day in enumerate(arrivals.index):
        for c in range(24):
            assert _close(cells[r][c], _rgba(float(arrivals.loc[day, c]))), (day, c, cells[r][c])

    # queue waits by the hour they begin: Mon 09 median(0.5, 3) = 1.75 h, Tue 09 median(0.5, 5) =
    # 2.75 h, Wed 09 median(0.5, 0.5) = 0.5 h; cells without a wait are empty (transparent)
    waits = {("Mon", 9): 1.75, ("Tue", 9): 2.75, ("Wed", 9): 0.5}
    m = k.wait_heatmap
    assert {(d, h): m.loc[d, h] for d in m.index for h in m.columns if pd.notna(m.loc[d, h])} == waits
    cells = _cells(k.wait_heatmap_svg())
    for r, day in enumerate(m.index):
        for c in range(24):
            if (day, c) in waits:
                assert _close(cells[r][c], _rgba((waits[day, c] - 0.5) / (2.75 - 0.5))), (day, c, cells[r][c])
            else:
                assert cells[r][c][3] == 0, (day, c, cells[r][c])


def test_discover_outputs_use_the_targets(tmp_path):
    from cspm.pipeline import target_breaches

    log = _log()
    cfg = config_from_dict({"targets": {"steps": [{"step": "Resolve ticket", "max_wait": "1h", "attainment": "50%"}]}})
    section, steps, edges, notes = target_breaches(log, cfg)
    assert section is not None and section.section_id == "waiting"
    assert (steps, edges, notes) == (["Resolve ticket"], [(EVIL, "Resolve ticket")], [])
