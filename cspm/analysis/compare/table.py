"""The comparison table: per figure both sides' statistic, the change, its CI, the test and q-value.

Columns: ``figure`` (id), ``family``, ``name``, ``clock``, ``kind``, ``statistic`` (median, mean,
share, attainment), ``n_a`` / ``n_b`` (observations), ``a`` / ``b`` (hours for durations),
``change`` (b − a), ``change_pct`` (relative to a), ``ci_low`` / ``ci_high`` (95% CI of the change),
``test``, ``p``, ``q`` (Benjamini–Hochberg across every tested row), ``significant`` (q < alpha),
``note`` (why a row has no test). Tickets per variant and target attainment are rows too.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np
import pandas as pd

from cspm.analysis.compare.figures import describe
from cspm.analysis.compare.statistics import (
    MIN_N,
    Z95,
    Sample,
    TestResult,
    benjamini_hochberg,
    compare_samples,
    mann_whitney,
    two_proportions,
)
from cspm.i18n import gettext as _

__all__ = ["COLUMNS", "comparison_rows", "format_p", "samples", "target_rows", "variant_rows", "with_q"]

COLUMNS = ["figure", "family", "name", "clock", "kind", "statistic", "n_a", "n_b", "a", "b", "change",
           "change_pct", "ci_low", "ci_high", "test", "p", "q", "significant", "note"]  # fmt: skip
TOP_VARIANTS = 10


def samples(hist: pd.DataFrame) -> dict[str, Sample]:
    """Figure id → :class:`Sample`, from one part's histogram rows (figure, value, n)."""
    return {fid: Sample.of(g["value"].to_numpy(), g["n"].to_numpy()) for fid, g in hist.groupby("figure", sort=True)}


def _seed(figure_id: str) -> int:
    return zlib.crc32(figure_id.encode("utf-8"))


def _value(s: Sample, kind: str) -> float | None:
    return s.statistic(kind)


def _mean_ci(a: Sample, b: Sample) -> tuple[float, float]:
    """Welch 95% CI of mean(b) − mean(a)."""
    va = float((a.counts * (a.values - a.mean()) ** 2).sum() / max(a.n - 1, 1))
    vb = float((b.counts * (b.values - b.mean()) ** 2).sum() / max(b.n - 1, 1))
    se = math.sqrt(va / a.n + vb / b.n)
    d = b.mean() - a.mean()  # type: ignore[operator]
    return d - Z95 * se, d + Z95 * se


def comparison_rows(a: dict[str, Sample], b: dict[str, Sample], targets: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per figure present on either side (target figures give their attainment row)."""
    rows = []
    empty = Sample.of([])
    for fid in sorted(set(a) | set(b)):
        fig = describe(fid, targets)
        if fig.family == "target":
            continue
        sa, sb = a.get(fid, empty), b.get(fid, empty)
        va, vb = _value(sa, fig.kind), _value(sb, fig.kind)
        res = compare_samples(sa, sb, fig.kind, seed=_seed(fid))
        lo, hi = res.ci_low, res.ci_high
        if fig.kind == "duration" and lo is not None:
            lo, hi = lo / 3600.0, hi / 3600.0  # type: ignore[operator]
        elif fig.kind == "count" and res.p is not None:
            lo, hi = _mean_ci(sa, sb)
        rows.append(_row(fig.id, fig.family, fig.name, fig.clock, fig.kind, fig.statistic, sa.n, sb.n, va, vb, res, lo, hi))
    return rows


def _row(fid: str, family: str, name: str, clock: str | None, kind: str, statistic: str, na: int, nb: int,
         va: float | None, vb: float | None, res: TestResult, lo: float | None, hi: float | None) -> dict[str, Any]:  # fmt: skip
    change = None if va is None or vb is None else vb - va
    pct = None if change is None or not va else change / va
    return {
        "figure": fid, "family": family, "name": name, "clock": clock, "kind": kind, "statistic": statistic,
        "n_a": na, "n_b": nb, "a": va, "b": vb, "change": change, "change_pct": pct, "ci_low": lo,
        "ci_high": hi, "test": res.test, "p": res.p, "q": None, "significant": False, "note": res.note,
    }  # fmt: skip


def target_rows(a: dict[str, Sample], b: dict[str, Sample], targets: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Attainment rows of the main table, and the target table: per target and side the level (the
    waits' quantile at the required attainment), the attainment, met or not, the tests, the verdict."""
    rows, out = [], []
    empty = Sample.of([])
    for fid, t in targets.items():
        sa, sb = a.get(fid, empty), b.get(fid, empty)
        limit, req = t["target_s"], t["required"]
        ia, ib = _within(sa, limit), _within(sb, limit)
        res = two_proportions(ia, ib) if min(sa.n, sb.n) >= MIN_N else TestResult(
            "none", None, note=f"too few observations for a test ({sa.n} vs {sb.n}; need {MIN_N} a side)")  # fmt: skip
        rows.append(_row(fid, "target", _("{name} within {hours} h").format(name=t["name"], hours=f"{limit / 3600:g}"), t["clock"], "share", "attainment",
                         sa.n, sb.n, ia.share(), ib.share(), res, res.ci_low, res.ci_high))  # fmt: skip
        level_a, level_b = sa.quantile(req), sb.quantile(req)
        p_level = mann_whitney(sa, sb)[1] if min(sa.n, sb.n) >= MIN_N else None
        out.append({
            "figure": fid, "name": t["name"], "step": t["step"], "clock": t["clock"], "target_h": limit / 3600,
            "required": req, "n_a": sa.n, "n_b": sb.n,
            "level_a_h": None if level_a is None else level_a / 3600, "level_b_h": None if level_b is None else level_b / 3600,
            "attained_a": ia.share(), "attained_b": ib.share(),
            "meets_a": None if ia.share() is None else ia.share() >= req,
            "meets_b": None if ib.share() is None else ib.share() >= req,
            "p_level": p_level, "p_attainment": res.p,
        })  # fmt: skip
    return rows, pd.DataFrame(out)


def _within(s: Sample, limit: float) -> Sample:
    """0/1 sample: observation ≤ limit."""
    ok = int(s.counts[s.values <= limit].sum())
    return Sample.of([0.0, 1.0], [s.n - ok, ok]) if s.n else Sample.of([])


def variant_rows(va: pd.DataFrame, vb: pd.DataFrame) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Share of tickets of the top variants (by both sides' tickets), and the variants that
    appeared (only on side b) or vanished (only on side a), most frequent first."""
    ca = dict(zip(va["variant"], va["tickets"], strict=True))
    cb = dict(zip(vb["variant"], vb["tickets"], strict=True))
    na, nb = sum(ca.values()), sum(cb.values())
    both = sorted(set(ca) | set(cb), key=lambda v: (-(ca.get(v, 0) + cb.get(v, 0)), v))
    rows = []
    for rank, v in enumerate(both[:TOP_VARIANTS], 1):
        sa = Sample.of([0.0, 1.0], [na - ca.get(v, 0), ca.get(v, 0)])
        sb = Sample.of([0.0, 1.0], [nb - cb.get(v, 0), cb.get(v, 0)])
        res = compare_samples(sa, sb, "share")
        rows.append(_row(f"variant||{v}", "variant", f"variant {rank}: {v}", None, "share", "share", na, nb,
                         sa.share(), sb.share(), res, res.ci_low, res.ci_high))  # fmt: skip
    appeared = [{"variant": v, "tickets": int(cb[v])} for v in sorted(set(cb) - set(ca), key=lambda v: (-cb[v], v))]
    vanished = [{"variant": v, "tickets": int(ca[v])} for v in sorted(set(ca) - set(cb), key=lambda v: (-ca[v], v))]
    return rows, appeared, vanished


def with_q(rows: list[dict[str, Any]], alpha: float) -> pd.DataFrame:
    """The rows as the table, with Benjamini–Hochberg q-values across every tested row."""
    q = benjamini_hochberg([r["p"] for r in rows])
    for r, v in zip(rows, q, strict=True):
        r["q"] = v
        r["significant"] = v is not None and v < alpha
    df = pd.DataFrame(rows, columns=COLUMNS)
    for c in ("a", "b", "change", "change_pct", "ci_low", "ci_high", "p", "q"):
        df[c] = df[c].astype("float64")
    df["significant"] = df["significant"].astype(bool)
    return df


def format_p(p: float | None) -> str:
    """'p < 0.001', 'p = 0.012', or 'not tested'."""
    if p is None or p != p:
        return _("not tested")
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def nan_to_none(x: Any) -> Any:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else x
