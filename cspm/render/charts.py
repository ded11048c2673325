"""Charts of the waiting, value-stream and KPI results (matplotlib → SVG strings).

SVG text is emitted as ``<text>`` elements (``svg.fonttype = none``): matplotlib escapes it, and
Chinese names render with the browser's fonts.
"""

from __future__ import annotations

import html
import io
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cspm.i18n import gettext as _
from cspm.i18n import weekday_name
from cspm.render.formats import fmt_pct
from cspm.units import format_hours

__all__ = ["curve_svg", "heatmap_svg", "histogram_svg", "pareto_svg", "trend_svg", "value_stream_svg", "weekly_svg"]

_COLOURS = {"bar": "#c0392b", "ok": "#7f8c8d", "line": "#2c3e50", "va": "#27ae60", "wait": "#e67e22"}


def _figure(width: float, height: float) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def _svg(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "cspm"}), warnings.catch_warnings():
        # text stays <text> in the SVG and the browser draws it (CJK included); matplotlib only
        # lacks the glyph metrics for layout, which its warning is about
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.find("<svg") :]


def pareto_svg(labels: Sequence[str], values: Sequence[float], unit: str = "excess hours") -> str:
    """Bars (descending) with the cumulative share as a line: the Pareto chart of a ranking."""
    fig, ax = _figure(max(4.0, 0.7 * len(labels) + 2), 3.6)
    vals = np.asarray(values, dtype=float)
    x = np.arange(len(vals))
    ax.bar(x, vals, color=_COLOURS["bar"])
    ax.set_ylabel(unit)
    ax.set_xticks(x, [str(v) for v in labels], rotation=30, ha="right")
    total = vals.sum()
    if total > 0:
        ax2 = ax.twinx()
        ax2.plot(x, np.cumsum(vals) / total * 100, color=_COLOURS["line"], marker="o")
        ax2.set_ylim(0, 105)
        ax2.set_ylabel(_("cumulative %"))
    ax.set_title(_("Bottlenecks by total {unit}").format(unit=unit))
    return _svg(fig)


def value_stream_svg(steps: pd.DataFrame, lead_h: float, flow_efficiency: float | None) -> str:
    """Per step of the main path: median wait and processing (h) against its target.

    ``steps`` columns: ``step``, ``wait_h``, ``proc_h`` (may be NaN), ``target_h`` (may be NaN). The
    title gives the median lead time and ``flow_efficiency`` as computed by the value stream (left out
    when ``None``), so the chart shows the same figure as the table.
    """
    n = len(steps)
    fig, ax = _figure(max(5.0, 1.1 * n + 2), 3.8)
    x = np.arange(n)
    wait = steps["wait_h"].fillna(0).to_numpy(float)
    proc = steps["proc_h"].fillna(0).to_numpy(float)
    ax.bar(x, wait, color=_COLOURS["wait"], label=_("median wait"))
    ax.bar(x, proc, bottom=wait, color=_COLOURS["va"], label=_("median processing"))
    targets = steps["target_h"].to_numpy(float)
    has_target = ~np.isnan(targets)
    if has_target.any():
        ax.scatter(x[has_target], targets[has_target], marker="_", s=600, color=_COLOURS["line"],
                   linewidths=2.5, label=_("target"), zorder=3)  # fmt: skip
    ax.set_xticks(x, [str(s) for s in steps["step"]], rotation=30, ha="right")
    ax.set_ylabel(_("hours"))
    _nonnegative(ax)
    title = _("Value stream of the main path — median lead time {lead}").format(lead=format_hours(lead_h, "0.0"))
    if flow_efficiency is not None:
        title += _(", flow efficiency {share}").format(share=fmt_pct(flow_efficiency))
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return _svg(fig)


def _nonnegative(ax: Any) -> None:
    """Durations, counts and rates are never negative: the axis starts at 0 (matplotlib would
    otherwise centre an all-zero series on 0 and label the axis with negative values)."""
    ax.set_ylim(bottom=0)


def heatmap_svg(matrix: pd.DataFrame, title: str, unit: str) -> str:
    """A weekday × hour heatmap (rows Mon…Sun, columns 0…23)."""
    fig, ax = _figure(9, 3.2)
    data = matrix.to_numpy(float)
    im = ax.imshow(np.ma.masked_invalid(data), aspect="auto", cmap="YlOrRd")
    ax.set_yticks(range(len(matrix.index)), [weekday_name(str(i)) for i in matrix.index])
    ax.set_xticks(range(0, 24, 2), [str(h) for h in range(0, 24, 2)])
    ax.set_xlabel(_("hour of day (local)"))
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label=unit)
    return _svg(fig)


def curve_svg(x: Sequence[float], y: Sequence[float], y2: Sequence[float] | None, xlabel: str,
              ylabel: str, y2label: str | None, title: str) -> str:  # fmt: skip
    """A line chart of non-negative values (durations, rates) with an optional second axis."""
    fig, ax = _figure(6, 3.2)
    ax.plot(list(x), list(y), marker="o", color=_COLOURS["line"])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _nonnegative(ax)
    if y2 is not None:
        ax2 = ax.twinx()
        ax2.plot(list(x), list(y2), marker="s", color=_COLOURS["bar"])
        ax2.set_ylabel(y2label or "")
        _nonnegative(ax2)
    ax.set_title(title)
    return _svg(fig)


def bar_chart_svg(labels: Sequence[str], values: Sequence[float], title: str, width: int = 420) -> str:
    """A small horizontal bar chart as hand-written SVG (no matplotlib): labels cut to 40 characters,
    then XML-escaped; values written as counts ('1,234')."""
    bar_h, gap, left = 16, 4, 130
    height = 24 + len(labels) * (bar_h + gap)
    top = max(values, default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(title)}" font-family="Helvetica, Arial, sans-serif" font-size="11">',
        f'<text x="0" y="12" font-weight="bold">{html.escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 20 + i * (bar_h + gap)
        w = (width - left - 60) * value / top
        parts.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{html.escape(str(label)[:40])}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#4a6fa5"/>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 12}">{html.escape(f"{value:,.0f}")}</text>')
    parts.append("</svg>")
    return "".join(parts)


def weekly_svg(weeks: Sequence[str], bars: Sequence[float], bar_label: str, line: Sequence[float] | None,
               line_label: str | None, title: str, *, line_share: bool = False) -> str:  # fmt: skip
    """Weekly bars (e.g. tickets created) with an optional line on a second axis (backlog, a lead
    time, or a share drawn in % when ``line_share``)."""
    fig, ax = _figure(max(6.0, 0.35 * len(weeks) + 2), 3.2)
    x = np.arange(len(weeks))
    ax.bar(x, np.asarray(bars, dtype=float), color="#4a6fa5", label=bar_label)
    ax.set_ylabel(bar_label)
    step = max(1, len(weeks) // 12)
    ax.set_xticks(x[::step], [str(w) for w in weeks][::step], rotation=30, ha="right")
    _nonnegative(ax)
    if line is not None:
        ax2 = ax.twinx()
        values = np.asarray(line, dtype=float) * (100 if line_share else 1)
        ax2.plot(x, values, marker="o", color=_COLOURS["bar"])
        ax2.set_ylabel(line_label or "")
        _nonnegative(ax2)
        if line_share:
            ax2.set_ylim(0, 105)
    ax.set_title(title, fontsize=9)
    return _svg(fig)


def histogram_svg(values: Sequence[float], xlabel: str, title: str, bins: int = 30) -> str:
    """A histogram of non-negative values (e.g. lead times in hours), median marked."""
    fig, ax = _figure(6, 3.0)
    data = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if data.size:
        ax.hist(data, bins=bins, color="#4a6fa5")
        median = float(np.median(data))
        ax.axvline(median, color=_COLOURS["bar"], linestyle="--", label=_("median {value}").format(value=f"{median:,.1f}"))
        ax.legend(fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(_("tickets"))
    ax.set_title(title, fontsize=9)
    return _svg(fig)


def trend_svg(labels: Sequence[str], values: Sequence[float | None], title: str, ylabel: str,
              target: float | None = None, breached: Sequence[bool] | None = None) -> str:  # fmt: skip
    """A KPI per period as a line, the target as a dashed line, breached periods as red points."""
    fig, ax = _figure(6, 2.6)
    x = list(range(len(labels)))
    y = [np.nan if v is None else float(v) for v in values]
    ax.plot(x, y, marker="o", color=_COLOURS["line"])
    if breached is not None:
        bx = [i for i, b in zip(x, breached, strict=True) if b]
        ax.plot(bx, [y[i] for i in bx], "o", color=_COLOURS["bar"])
    if target is not None:
        ax.axhline(target, color=_COLOURS["bar"], linestyle="--", linewidth=1)
    ax.set_xticks(x)
    ax.set_xticklabels(list(labels), rotation=45, ha="right", fontsize=7)
    ax.set_ylabel(ylabel)
    _nonnegative(ax)
    ax.set_title(title)
    return _svg(fig)

