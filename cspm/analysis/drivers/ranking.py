"""Driver ranking: per driver value, how much more often its tickets have the outcome, and the hours
they carry, with the tests that fit.

For one value ``x`` of a driver (``n`` tickets of the outcome's population with it, ``k`` of them
with the outcome) against the **rest** of the population (``n0`` tickets, ``k0`` with it):

* ``rate = k / n``, ``rate_rest = k0 / n0``, ``lift = rate / rate_rest``;
* ``p_rate``: chi-square test of the 2×2 table (with Yates' correction, as
  ``scipy.stats.chi2_contingency``), or Fisher's exact test when an expected count is below 5;
* ``q``: Benjamini–Hochberg q-value of ``p_rate`` over every value of every driver tested;
* ``median_h`` / ``median_rest_h``: median of the outcome's hours (``value_h``: the wait, the
  milestone time or the lead time); ``median_diff_h`` their difference with a bootstrap 95% CI
  (``median_diff_lo_h`` … ``_hi_h``; 0.5% resolution, fixed seed);
* ``p_hours``: Mann–Whitney U test of the hours, two-sided, normal approximation with tie and
  continuity corrections (as ``scipy.stats.mannwhitneyu(method="asymptotic")``); ``q_hours`` its
  BH q-value;
* ``excess_tickets = k − n × rate_rest`` (the outcomes beyond what the rest's rate predicts) and
  ``excess_h = n × (mean_h − mean_rest_h)`` (the hours these tickets carry beyond the rest's mean),
  ``excess_cost = excess_h × hour_cost`` (``costs.waiting_hour_cost``: the hours are elapsed
  time — waits, lead time — not paid work, so they are never priced at ``costs.hourly_rate``;
  missing when no waiting hour cost is set).

Every count, sum and rank sum is an engine aggregation over the (case, driver, value) rows; only the
per-value table comes to pandas. A value is **significant** when its tickets have the outcome more
often than the rest (``q < alpha``, ``excess_tickets > 0``) or carry more hours (``q_hours < alpha``,
``excess_h > 0``; only with ``by_hours``, when the outcome is a threshold on the hours); ``evidence``
says which. Ranking: significant values first, by ``excess_tickets``
then ``excess_h``; then the others by the same measures.
"""

from __future__ import annotations

import math
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cspm.analysis.compare.statistics import Sample
from cspm.core.log import CASE

__all__ = ["RANK_COLUMNS", "bh", "mann_whitney_p", "rank_values", "rate_test"]

_BIN = 200.0  # bins per unit of ln(hours): 0.5% resolution of the bootstrap

RANK_COLUMNS = [
    "driver", "value", "tickets", "outcomes", "rate", "rate_rest", "lift", "test", "p_rate", "q",
    "median_h", "median_rest_h", "median_diff_h", "median_diff_lo_h", "median_diff_hi_h",
    "p_hours", "q_hours", "excess_tickets", "excess_h", "excess_cost", "significant", "evidence",
]  # fmt: skip


def rate_test(k1: int, n1: int, k0: int, n0: int) -> tuple[str, float]:
    """(test name, two-sided p) for the 2×2 table of outcome × (value, rest)."""
    from scipy import stats

    table = np.array([[k1, n1 - k1], [k0, n0 - k0]])
    if table.sum(axis=0).min() == 0:  # nobody or everybody has the outcome: no association
        return "none", 1.0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    if expected.min() < 5:
        return "fisher", float(stats.fisher_exact(table).pvalue)
    return "chi2", float(stats.chi2_contingency(table).pvalue)


def mann_whitney_p(rank_sum: float, n1: int, n0: int, tie_term: float) -> float:
    """Two-sided p of the Mann–Whitney U test from the rank sum of the first sample (ranks over
    both, ties averaged) and Σ(t³ − t) over tie groups; normal approximation, continuity corrected."""
    from scipy import stats

    n = n1 + n0
    if n1 == 0 or n0 == 0:
        return float("nan")
    u1 = rank_sum - n1 * (n1 + 1) / 2.0
    u = max(u1, n1 * n0 - u1)
    s = math.sqrt(n1 * n0 / 12.0 * ((n + 1) - tie_term / (n * (n - 1))))
    if s == 0:
        return 1.0
    z = (u - n1 * n0 / 2.0 - 0.5) / s
    return float(min(1.0, 2.0 * stats.norm.sf(z)))


def bh(p: pd.Series) -> pd.Series:
    """Benjamini–Hochberg q-values (missing p-values stay missing)."""
    from scipy import stats

    out = pd.Series(np.nan, index=p.index, dtype=float)
    ok = p.notna()
    if ok.any():
        out[ok] = stats.false_discovery_control(p[ok].to_numpy(dtype=float), method="bh")
    return out


def rank_values(
    long: ir.Table,
    outcome: ir.Table,
    *,
    alpha: float = 0.05,
    hour_cost: float = 0.0,
    by_hours: bool = True,
    bootstrap: int = 2000,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The ranked per-value table (columns :data:`RANK_COLUMNS`) and the population's totals.

    ``long``: ``case_id, driver, value``; ``outcome``: ``case_id, y, value_h`` (one row per ticket
    of the population)."""
    o = outcome.filter(outcome.value_h.notnull())
    g = o.group_by("value_h").aggregate(_c=o.count())
    g = g.mutate(_cum=g._c.sum().over(ibis.window(order_by=g.value_h, preceding=None, following=0)))
    g = g.mutate(_r=(g._cum - g._c).cast("float64") + (g._c.cast("float64") + 1.0) / 2.0)
    ranked = o.join(g.select("value_h", "_r"), "value_h").select(CASE, "y", "value_h", "_r")
    totals = g.aggregate(
        n=g._c.sum(), tie=(g._c.cast("float64") ** 3 - g._c.cast("float64")).sum()
    ).to_pandas().iloc[0]
    tot = o.aggregate(k=o.y.cast("int64").sum(), s=_exact_sum(o.value_h), m=o.value_h.median()).to_pandas().iloc[0]
    n_all = int(totals["n"] or 0)
    info = {
        "tickets": n_all,
        "outcomes": int(tot["k"] or 0),
        "rate": (int(tot["k"] or 0) / n_all) if n_all else None,
        "median_h": float(tot["m"]) if n_all else None,
        "sum_h": float(tot["s"] or 0.0),
    }
    if n_all == 0:
        return pd.DataFrame(columns=RANK_COLUMNS).astype({"significant": bool}), info  # a mask even when empty
    p = long.join(ranked, CASE)
    per = p.group_by(["driver", "value"]).aggregate(
        tickets=p.count(),
        outcomes=p.y.cast("int64").sum(),
        sum_h=_exact_sum(p.value_h),
        median_h=p.value_h.median(),
        rank_sum=p._r.sum(),
    )
    vals = per.select(d2="driver", v2="value")
    rest = vals.join(p, [vals.d2 == p.driver, vals.v2 != p.value])
    rest = rest.group_by(["d2", "v2"]).aggregate(median_rest_h=rest.value_h.median())
    per = per.left_join(rest, [per.driver == rest.d2, per.value == rest.v2]).select(per, rest.median_rest_h)
    df = per.to_pandas().sort_values(["driver", "value"], kind="stable").reset_index(drop=True)
    # only drivers with at least two values in the population can be compared
    df = df[df.groupby("driver")["value"].transform("count") > 1].reset_index(drop=True)
    key = ibis.ifelse(p.value_h > 0, (p.value_h.ln() * _BIN).round().cast("int64"), ibis.null("int64"))
    bins = p.mutate(_k=key).group_by(["driver", "value", "_k"]).aggregate(c=lambda t: t.count()).to_pandas()
    return _figures(df, bins, info, float(totals["tie"] or 0.0), alpha, hour_cost, bootstrap, seed, by_hours), info


def _figures(
    df: pd.DataFrame, bins: pd.DataFrame, info: dict[str, Any], tie: float, alpha: float,
    hour_cost: float, bootstrap: int, seed: int, by_hours: bool = True,
) -> pd.DataFrame:  # fmt: skip
    n_all, k_all, s_all = info["tickets"], info["outcomes"], info["sum_h"]
    rows = []
    rng = np.random.default_rng(seed)
    binned = _binned(bins)
    for r in df.itertuples(index=False):
        n1, k1 = int(r.tickets), int(r.outcomes)
        n0, k0 = n_all - n1, k_all - k1
        rate, rate0 = k1 / n1, (k0 / n0 if n0 else float("nan"))
        test, p_rate = rate_test(k1, n1, k0, n0)
        mean1, mean0 = float(r.sum_h) / n1, ((s_all - float(r.sum_h)) / n0 if n0 else float("nan"))
        lo, hi = _bootstrap(binned, r.driver, r.value, bootstrap, rng)
        excess_h = n1 * (mean1 - mean0)
        rows.append({
            "driver": r.driver, "value": r.value, "tickets": n1, "outcomes": k1, "rate": rate,
            "rate_rest": rate0, "lift": rate / rate0 if rate0 > 0 else float("nan"), "test": test,
            "p_rate": p_rate, "median_h": float(r.median_h), "median_rest_h": _num(r.median_rest_h),
            "median_diff_h": float(r.median_h) - _num(r.median_rest_h),
            "median_diff_lo_h": lo, "median_diff_hi_h": hi,
            "p_hours": mann_whitney_p(float(r.rank_sum), n1, n0, tie),
            "excess_tickets": k1 - n1 * rate0, "excess_h": excess_h,
            "excess_cost": excess_h * hour_cost if hour_cost > 0 else float("nan"),
        })  # fmt: skip
    out = pd.DataFrame(rows, columns=[c for c in RANK_COLUMNS if c not in ("q", "q_hours", "significant", "evidence")])
    out["q"] = bh(out["p_rate"])
    out["q_hours"] = bh(out["p_hours"])
    by_rate = (out["q"] < alpha) & (out["excess_tickets"] > 0)
    more_hours = (out["q_hours"] < alpha) & (out["excess_h"] > 0) & by_hours
    out["significant"] = by_rate | more_hours
    out["evidence"] = np.select([by_rate & more_hours, by_rate, more_hours], ["rate and hours", "rate", "hours"], "")
    out = out.sort_values(
        ["significant", "excess_tickets", "excess_h", "driver", "value"],
        ascending=[False, False, False, True, True], kind="stable",
    )  # fmt: skip
    return out[RANK_COLUMNS].reset_index(drop=True)


def _num(x: Any) -> float:
    return float("nan") if x is None or pd.isna(x) else float(x)


def _binned(bins: pd.DataFrame) -> dict[str, tuple[np.ndarray, dict[str, np.ndarray]]]:
    """Per driver: the hours of each bin and each value's counts per bin."""
    out = {}
    for driver, d in bins.groupby("driver", sort=False):
        keys = d["_k"].astype("Float64").fillna(-1e9).to_numpy(dtype=float)
        order, idx = np.unique(keys, return_inverse=True)
        hours = np.where(order == -1e9, 0.0, np.exp(order / _BIN))
        per: dict[str, np.ndarray] = {}
        for v, rows in pd.Series(range(len(d)), index=d["value"].to_numpy()).groupby(level=0):
            c = np.zeros(len(order))
            np.add.at(c, idx[rows.to_numpy()], d["c"].to_numpy(dtype=float)[rows.to_numpy()])
            per[str(v)] = c
        out[str(driver)] = (hours, per)
    return out


def _bootstrap(
    binned: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]], driver: str, value: str, reps: int,
    rng: np.random.Generator,
) -> tuple[float, float]:  # fmt: skip
    """95% percentile CI of median(value) − median(rest) from the binned hours."""
    if reps <= 0 or driver not in binned or value not in binned[driver][1]:
        return float("nan"), float("nan")
    hours, per = binned[driver]
    mine = per[value]
    rest = sum(per.values()) - mine
    if mine.sum() == 0 or rest.sum() == 0:
        return float("nan"), float("nan")
    diff = _medians(rng, mine, hours, reps) - _medians(rng, rest, hours, reps)
    return float(np.percentile(diff, 2.5)), float(np.percentile(diff, 97.5))


def _medians(rng: np.random.Generator, counts: np.ndarray, hours: np.ndarray, reps: int) -> np.ndarray:
    """Medians of ``reps`` resamples (with replacement) of the binned sample (``hours`` ascending,
    ``counts`` per bin), drawn exactly through the order statistics of uniforms
    (:meth:`Sample.boot_medians`): a few Beta draws per resample instead of one per ticket."""
    return Sample(hours, counts.astype(np.int64)).boot_medians(rng, reps)


def _exact_sum(hours: ir.NumericColumn) -> ir.NumericScalar:
    """The sum of ``hours`` to the micro-hour (3.6 ms), added as integers: a float sum on a parallel
    engine differs in its last digits from run to run, and so would every figure built on it."""
    return (hours * 1e6).round().cast("int64").sum().cast("float64") / 1e6
