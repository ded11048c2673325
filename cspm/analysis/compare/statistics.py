"""The statistics of a comparison, computed from value histograms (value → count) of each side.

A side's sample of one figure is held as its distinct values and their counts (built on the engine,
see :mod:`cspm.analysis.compare.figures`), so two logs, two parts of one log and a saved baseline
are compared by the same code, and the result is exact (no sampling):

* **Mann–Whitney U** (two-sided, normal approximation with tie correction and continuity
  correction — ``scipy.stats.mannwhitneyu(method="asymptotic")``) for durations and ratios per
  ticket; the effect is the difference of the medians;
* **exact conditional test of two Poisson rates** for counts per ticket (handoffs, ping-pong
  bounces, rework repetitions, approval rounds, steps): given the total count ``k_a + k_b``, ``k_b``
  is binomial with ``p = n_b / (n_a + n_b)`` under equal rates (``scipy.stats.binomtest``,
  two-sided). When the counts are overdispersed (within-side variance / mean above
  ``MAX_DISPERSION``) the Poisson test would call noise significant, so Mann–Whitney is used
  instead and the row says so;
* **CI of the median difference**: percentile bootstrap (``n_boot`` resamples, fixed seed). A
  resample's median is drawn exactly without drawing the resample: the k-th order statistic of
  ``n`` draws from the empirical distribution is the empirical quantile at a ``Beta(k, n+1−k)``
  variate;
* **two-proportion z** (pooled, two-sided) for shares, or **Fisher's exact** test when an expected
  cell count is below 5; the CI of the difference is Wald's (unpooled);
* **Benjamini–Hochberg** adjusted p-values (q-values) across every tested figure of a table;
* **difference-in-differences** (pilot vs control, after vs before): the difference of the two
  changes; for medians a bootstrap of the four cells (p from the normal approximation with the
  bootstrap SE), for shares the normal approximation with the summed variances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "MIN_N",
    "Z95",
    "MAX_DISPERSION",
    "Sample",
    "TestResult",
    "benjamini_hochberg",
    "bootstrap_median_did",
    "bootstrap_median_diff",
    "compare_samples",
    "count_test",
    "dispersion",
    "poisson_rates",
    "mann_whitney",
    "norm_sf",
    "proportion_did",
    "two_proportions",
    "z_value",
]

MIN_N = 5
"""Fewest observations per side for a test; below it the table says so instead of giving a p-value."""


MAX_DISPERSION = 1.5
"""Largest within-side variance/mean ratio of counts per ticket for which the Poisson test is used."""


def norm_sf(z: float) -> float:
    """Upper tail of the standard normal distribution."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


@dataclass(frozen=True)
class Sample:
    """One side's observations of a figure: sorted distinct ``values`` and their ``counts``."""

    values: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray | list[float], counts: np.ndarray | list[int] | None = None) -> Sample:
        v = np.asarray(values, dtype=np.float64)
        c = np.ones(len(v), dtype=np.int64) if counts is None else np.asarray(counts, dtype=np.int64)
        if len(v) == 0:
            return cls(v, c)
        order = np.argsort(v, kind="stable")
        v, c = v[order], c[order]
        uniq, idx = np.unique(v, return_index=True)
        return cls(uniq, np.add.reduceat(c, idx))

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def quantile(self, q: float) -> float | None:
        """Linear-interpolated quantile (numpy's default, DuckDB's ``quantile_cont``)."""
        n = self.n
        if n == 0:
            return None
        pos = q * (n - 1)
        lo, hi = math.floor(pos), math.ceil(pos)
        return float(self.order_stat(lo) + (self.order_stat(hi) - self.order_stat(lo)) * (pos - lo))

    def order_stat(self, k: int | np.ndarray) -> np.ndarray:
        """The k-th smallest value (0-based)."""
        return self.values[np.searchsorted(np.cumsum(self.counts), np.asarray(k) + 1)]

    def median(self) -> float | None:
        return self.quantile(0.5)

    def mean(self) -> float | None:
        n = self.n
        return float((self.values * self.counts).sum() / n) if n else None

    def share(self) -> float | None:
        """Share of observations equal to 1 (for a 0/1 figure)."""
        n = self.n
        return float(self.counts[self.values == 1].sum() / n) if n else None

    def statistic(self, kind: str) -> float | None:
        """The figure's statistic: the median in hours (``duration``), the median (``ratio``), the
        mean (``count``) or the share of ones (``share``); None without observations."""
        if self.n == 0:
            return None
        if kind in ("duration", "ratio"):
            m = self.median()
            return m / 3600.0 if kind == "duration" else m  # type: ignore[operator]
        return self.mean() if kind == "count" else self.share()

    def successes(self) -> int:
        return int(self.counts[self.values == 1].sum())

    def boot_medians(self, rng: np.random.Generator, n_boot: int) -> np.ndarray:
        """Medians of ``n_boot`` bootstrap resamples (exact draw through the order statistic)."""
        n = self.n
        if n % 2:
            k = (n + 1) // 2
            return self.order_stat(np.ceil(rng.beta(k, n + 1 - k, n_boot) * n).astype(np.int64) - 1)
        # even n: the mean of the (n/2)-th and (n/2+1)-th order statistics of the resample
        k = n // 2
        u1 = rng.beta(k, k + 1, n_boot)  # the k-th of n uniforms
        u2 = u1 + (1 - u1) * rng.beta(1, k, n_boot)  # the next one: the first of the n-k above it
        lo = self.order_stat(np.clip(np.ceil(u1 * n).astype(np.int64) - 1, 0, n - 1))
        hi = self.order_stat(np.clip(np.ceil(u2 * n).astype(np.int64) - 1, 0, n - 1))
        return (lo + hi) / 2


@dataclass(frozen=True)
class TestResult:
    """A test's outcome: ``p`` (None when not tested, with ``note`` saying why) and a CI."""

    test: str
    p: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    note: str | None = None


def mann_whitney(a: Sample, b: Sample) -> tuple[float, float]:
    """U of ``a`` and the two-sided p-value (asymptotic, tie- and continuity-corrected)."""
    na, nb = a.n, b.n
    values = np.union1d(a.values, b.values)
    ca = np.zeros(len(values), dtype=np.float64)
    cb = np.zeros(len(values), dtype=np.float64)
    ca[np.searchsorted(values, a.values)] = a.counts
    cb[np.searchsorted(values, b.values)] = b.counts
    t = ca + cb
    below = np.cumsum(t) - t
    avg_rank = below + (t + 1) / 2
    u = float((ca * avg_rank).sum() - na * (na + 1) / 2)
    big_n = na + nb
    mu = na * nb / 2
    tie = float((t**3 - t).sum())
    var = na * nb / 12 * ((big_n + 1) - tie / (big_n * (big_n - 1)))
    if var <= 0:
        return u, 1.0
    z = (abs(u - mu) - 0.5) / math.sqrt(var)
    return u, min(1.0, 2 * norm_sf(max(z, 0.0)))


def bootstrap_median_diff(a: Sample, b: Sample, *, n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of median(b) − median(a)."""
    rng = np.random.default_rng(seed)
    d = b.boot_medians(rng, n_boot) - a.boot_medians(rng, n_boot)
    alpha = (1 - level) / 2
    return float(np.quantile(d, alpha)), float(np.quantile(d, 1 - alpha))


def two_proportions(a: Sample, b: Sample, *, level: float = 0.95) -> TestResult:
    """Share of ones in ``b`` vs ``a``: pooled z test, or Fisher's exact test for small counts."""
    na, nb, xa, xb = a.n, b.n, a.successes(), b.successes()
    pa, pb = xa / na, xb / nb
    z_crit = z_value(level)
    se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    ci = (pb - pa - z_crit * se, pb - pa + z_crit * se)
    pool = (xa + xb) / (na + nb)
    expected = [n * s for n in (na, nb) for s in (pool, 1 - pool)]
    if min(expected) < 5:
        from scipy.stats import fisher_exact

        p = float(fisher_exact([[xa, na - xa], [xb, nb - xb]]).pvalue)
        return TestResult("Fisher's exact", p, *ci)
    var = pool * (1 - pool) * (1 / na + 1 / nb)
    p = 1.0 if var == 0 else 2 * norm_sf(abs(pb - pa) / math.sqrt(var))
    return TestResult("two-proportion z", min(1.0, p), *ci)


def dispersion(a: Sample, b: Sample) -> float | None:
    """Within-side (pooled) variance / pooled mean of two count samples; None when the mean is 0."""
    n = a.n + b.n
    total = float((a.values * a.counts).sum() + (b.values * b.counts).sum())
    if n <= 2 or total == 0:
        return None
    ss = sum(float((s.counts * (s.values - s.mean()) ** 2).sum()) for s in (a, b) if s.n)
    return ss / (n - 2) / (total / n)


def poisson_rates(a: Sample, b: Sample) -> float:
    """Two-sided p of the exact conditional test of equal Poisson rates per ticket (see the module)."""
    from scipy.stats import binomtest

    ka, kb = int(round(float((a.values * a.counts).sum()))), int(round(float((b.values * b.counts).sum())))
    if ka + kb == 0:
        return 1.0
    return float(binomtest(kb, ka + kb, b.n / (a.n + b.n)).pvalue)


def count_test(a: Sample, b: Sample) -> TestResult:
    """Counts per ticket: the Poisson rate test, or Mann–Whitney when the counts are overdispersed."""
    d = dispersion(a, b)
    if d is not None and d > MAX_DISPERSION:
        return TestResult("Mann–Whitney U", mann_whitney(a, b)[1],
                          note=f"overdispersed counts (variance/mean {d:.2f} > {MAX_DISPERSION:g}): Mann–Whitney instead of the Poisson test")  # fmt: skip
    return TestResult("exact Poisson rate test", poisson_rates(a, b))


def compare_samples(a: Sample, b: Sample, kind: str, *, seed: int = 0, n_boot: int = 2000) -> TestResult:
    """The test that fits a figure of ``kind`` ('duration', 'ratio', 'count' or 'share')."""
    if a.n < MIN_N or b.n < MIN_N:
        return TestResult("none", None, note=f"too few observations for a test ({a.n} vs {b.n}; need {MIN_N} a side)")
    if kind == "share":
        return two_proportions(a, b)
    if kind == "count":
        return count_test(a, b)  # the table gives the Welch CI of the mean difference
    _, p = mann_whitney(a, b)
    lo, hi = bootstrap_median_diff(a, b, seed=seed, n_boot=n_boot)
    return TestResult("Mann–Whitney U", p, lo, hi)


def benjamini_hochberg(p: list[float | None]) -> list[float | None]:
    """Benjamini–Hochberg adjusted p-values (None stays None), as statsmodels' ``fdr_bh``."""
    idx = [i for i, v in enumerate(p) if v is not None]
    m = len(idx)
    out: list[float | None] = [None] * len(p)
    if not m:
        return out
    vals = np.array([p[i] for i in idx], dtype=np.float64)
    order = np.argsort(vals)
    ranked = vals[order] * m / np.arange(1, m + 1)
    adj = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    for k, pos in enumerate(order):
        out[idx[pos]] = float(adj[k])
    return out


def bootstrap_median_did(
    pb: Sample, pa: Sample, cb: Sample, ca: Sample, *, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> TestResult:
    """(median pilot after − before) − (median control after − before): bootstrap CI, normal p."""
    if min(s.n for s in (pb, pa, cb, ca)) < MIN_N:
        return TestResult("none", None, note=f"too few observations in a cell (need {MIN_N})")
    rng = np.random.default_rng(seed)
    d = (pa.boot_medians(rng, n_boot) - pb.boot_medians(rng, n_boot)) - (
        ca.boot_medians(rng, n_boot) - cb.boot_medians(rng, n_boot)
    )
    est = (pa.median() - pb.median()) - (ca.median() - cb.median())  # type: ignore[operator]
    sd = float(np.std(d, ddof=1))
    alpha = (1 - level) / 2
    p = 1.0 if sd == 0 else 2 * norm_sf(abs(est) / sd)
    return TestResult("bootstrap DiD of medians", min(1.0, p), float(np.quantile(d, alpha)), float(np.quantile(d, 1 - alpha)))


def proportion_did(pb: Sample, pa: Sample, cb: Sample, ca: Sample, *, level: float = 0.95) -> TestResult:
    """(share pilot after − before) − (share control after − before), normal approximation."""
    if min(s.n for s in (pb, pa, cb, ca)) < MIN_N:
        return TestResult("none", None, note=f"too few observations in a cell (need {MIN_N})")
    shares = [s.successes() / s.n for s in (pb, pa, cb, ca)]
    est = (shares[1] - shares[0]) - (shares[3] - shares[2])
    se = math.sqrt(sum(p * (1 - p) / s.n for p, s in zip(shares, (pb, pa, cb, ca), strict=True)))
    z = z_value(level)
    p = 1.0 if se == 0 else 2 * norm_sf(abs(est) / se)
    return TestResult("z test of the DiD of shares", min(1.0, p), est - z * se, est + z * se)


def z_value(level: float) -> float:
    """Two-sided normal critical value (bisection on the survival function; no scipy needed)."""
    target = (1 - level) / 2
    lo, hi = 0.0, 10.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if norm_sf(mid) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


Z95 = z_value(0.95)
"""The two-sided 95% normal critical value (1.95996…)."""
