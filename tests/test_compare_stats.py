"""The statistics of cspm.compare checked against scipy.stats on the same data (fixed seeds), and
their false-positive rate over many null data sets."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cspm.analysis.compare import statistics as st


def _ties(rng: np.random.Generator, n: int, shift: float = 0.0) -> np.ndarray:
    """Lognormal durations rounded to 10 min (many ties, like real waits)."""
    return np.round(np.exp(rng.normal(1.0 + shift, 0.8, n)) * 6) / 6


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mann_whitney_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = _ties(rng, 57), _ties(rng, 83, 0.3)
    u, p = st.mann_whitney(st.Sample.of(x), st.Sample.of(y))
    ref = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic", use_continuity=True)
    assert u == pytest.approx(ref.statistic, rel=1e-12)
    assert p == pytest.approx(ref.pvalue, rel=1e-9)
    # counts per ticket: heavy ties
    a, b = rng.poisson(0.6, 120).astype(float), rng.poisson(0.9, 90).astype(float)
    u, p = st.mann_whitney(st.Sample.of(a), st.Sample.of(b))
    ref = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic", use_continuity=True)
    assert (u, p) == (pytest.approx(ref.statistic), pytest.approx(ref.pvalue, rel=1e-9))


def test_histogram_sample_quantiles_match_numpy() -> None:
    rng = np.random.default_rng(5)
    x = _ties(rng, 101)
    s = st.Sample.of(x)
    assert s.n == 101 and len(s.values) < 101  # stored as distinct values with counts
    for q in (0.5, 0.85, 0.9, 0.0, 1.0):
        assert s.quantile(q) == pytest.approx(np.quantile(x, q))
    assert s.mean() == pytest.approx(x.mean())
    even = st.Sample.of(x[:100])
    assert even.median() == pytest.approx(np.median(x[:100]))


def test_two_proportion_z_matches_chi_square_and_fisher_for_small_counts() -> None:
    a = st.Sample.of([0.0, 1.0], [140, 60])
    b = st.Sample.of([0.0, 1.0], [150, 95])
    res = st.two_proportions(a, b)
    chi = stats.chi2_contingency([[60, 140], [95, 150]], correction=False)
    assert res.test == "two-proportion z"
    assert res.p == pytest.approx(chi.pvalue, rel=1e-9)  # the pooled z test is the uncorrected χ² test
    small = st.two_proportions(st.Sample.of([0.0, 1.0], [28, 2]), st.Sample.of([0.0, 1.0], [10, 6]))
    assert small.test == "Fisher's exact"
    assert small.p == pytest.approx(stats.fisher_exact([[2, 28], [6, 10]]).pvalue)
    # Wald CI of the difference
    pa, pb = 60 / 200, 95 / 245
    se = np.sqrt(pa * (1 - pa) / 200 + pb * (1 - pb) / 245)
    assert (res.ci_low, res.ci_high) == (pytest.approx(pb - pa - stats.norm.ppf(0.975) * se), pytest.approx(pb - pa + stats.norm.ppf(0.975) * se))


def test_benjamini_hochberg_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    p = list(np.concatenate([rng.uniform(size=30), rng.uniform(0, 0.01, size=8)]))
    got = st.benjamini_hochberg([*p[:5], None, *p[5:]])
    ref = stats.false_discovery_control(p, method="bh")
    assert got[5] is None
    assert np.allclose([g for g in got if g is not None], ref)


def test_bootstrap_median_ci_matches_scipy_bootstrap() -> None:
    rng = np.random.default_rng(11)
    x, y = _ties(rng, 151), _ties(rng, 131, -0.5)
    lo, hi = st.bootstrap_median_diff(st.Sample.of(x), st.Sample.of(y), n_boot=4000, seed=1)
    ref = stats.bootstrap((x, y), lambda a, b: np.median(b) - np.median(a), method="percentile",
                          n_resamples=4000, random_state=2, vectorized=False).confidence_interval  # fmt: skip
    width = ref.high - ref.low
    assert abs(lo - ref.low) < 0.1 * width and abs(hi - ref.high) < 0.1 * width
    assert lo < np.median(y) - np.median(x) < hi


@pytest.mark.parametrize("n", [40, 41])
def test_bootstrap_medians_are_distributed_as_resampled_medians(n: int) -> None:
    """The order-statistic draw gives the same bootstrap distribution as resampling (odd and even n)."""
    rng = np.random.default_rng(n)
    x = _ties(rng, n)
    fast = st.Sample.of(x).boot_medians(np.random.default_rng(0), 20000)
    slow = np.median(rng.choice(x, size=(20000, n), replace=True), axis=1)
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        assert np.quantile(fast, q) == pytest.approx(np.quantile(slow, q), rel=0.05, abs=0.05)


def test_difference_in_differences_of_shares_and_medians() -> None:
    rng = np.random.default_rng(4)
    cells = [st.Sample.of([0.0, 1.0], c) for c in ([70, 30], [40, 60], [72, 28], [69, 31])]
    res = st.proportion_did(*cells)
    shares = np.array([0.3, 0.6, 0.28, 0.31])
    se = np.sqrt(sum(p * (1 - p) / 100 for p in shares))
    est = (0.6 - 0.3) - (0.31 - 0.28)
    assert res.p == pytest.approx(2 * stats.norm.sf(est / se))
    assert (res.ci_low + res.ci_high) / 2 == pytest.approx(est)
    pb, pa, cb, ca = _ties(rng, 200), _ties(rng, 200, -0.7), _ties(rng, 200), _ties(rng, 200)
    r = st.bootstrap_median_did(*(st.Sample.of(v) for v in (pb, pa, cb, ca)), seed=0)
    truth = (np.median(pa) - np.median(pb)) - (np.median(ca) - np.median(cb))
    assert r.ci_low < truth < r.ci_high and r.ci_high < 0 and r.p < 0.01


def test_too_few_observations_give_no_p_value() -> None:
    res = st.compare_samples(st.Sample.of([1.0, 2.0, 3.0]), st.Sample.of(np.arange(20.0)), "duration")
    assert res.p is None and "too few" in res.note


def test_false_positive_rate_over_null_data_sets() -> None:
    """600 null pairs (same distribution): Mann–Whitney rejects ~5% at 0.05; after BH across each
    family of 20 null figures, at most 5% of families have any rejection."""
    rng = np.random.default_rng(2024)
    pvals = []
    for _ in range(600):
        a, b = _ties(rng, 60), _ties(rng, 45)
        pvals.append(st.mann_whitney(st.Sample.of(a), st.Sample.of(b))[1])
    rate = np.mean(np.array(pvals) < 0.05)
    assert 0.025 <= rate <= 0.075  # binomial(600, 0.05): ±3.4 SD
    families = np.array(pvals).reshape(30, 20)
    hits = sum(any(q < 0.05 for q in st.benjamini_hochberg(list(f))) for f in families)
    assert hits <= 3  # expected ≤ 1.5 (BH controls FDR = FWER under the complete null)
    props = [st.two_proportions(st.Sample.of([0.0, 1.0], [n0 := rng.binomial(200, 0.7), 200 - n0]),
                                st.Sample.of([0.0, 1.0], [m0 := rng.binomial(150, 0.7), 150 - m0])).p
             for _ in range(400)]  # fmt: skip
    assert 0.02 <= np.mean(np.array(props) < 0.05) <= 0.08


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_poisson_rate_test_matches_scipy(seed: int) -> None:
    """Counts per ticket: the exact conditional test is scipy's binomial test of k_b among
    k_a + k_b at n_b / (n_a + n_b); the table's test for Poisson-like counts."""
    rng = np.random.default_rng(seed)
    a, b = rng.poisson(0.6, 120).astype(float), rng.poisson(0.9, 90).astype(float)
    ka, kb = int(a.sum()), int(b.sum())
    ref = stats.binomtest(kb, ka + kb, 90 / 210).pvalue
    assert st.poisson_rates(st.Sample.of(a), st.Sample.of(b)) == pytest.approx(ref, rel=1e-12)
    res = st.compare_samples(st.Sample.of(a), st.Sample.of(b), "count")
    assert res.test == "exact Poisson rate test" and res.p == pytest.approx(ref, rel=1e-12) and res.note is None
    pooled = (((a - a.mean()) ** 2).sum() + ((b - b.mean()) ** 2).sum()) / 208 / np.concatenate([a, b]).mean()
    assert st.dispersion(st.Sample.of(a), st.Sample.of(b)) == pytest.approx(pooled, rel=1e-12)
    # overdispersed counts (negative binomial, variance/mean ≈ 3): Mann–Whitney, and the row says why
    x, y = rng.negative_binomial(0.4, 0.4, 120).astype(float), rng.negative_binomial(0.4, 0.4, 90).astype(float)
    res = st.compare_samples(st.Sample.of(x), st.Sample.of(y), "count")
    assert res.test == "Mann–Whitney U" and "overdispersed" in res.note
    assert res.p == pytest.approx(stats.mannwhitneyu(x, y, method="asymptotic").pvalue, rel=1e-9)


def test_count_test_false_positive_rate() -> None:
    """600 null pairs of Poisson counts and 600 of overdispersed counts: the count test rejects at
    most ~5% at 0.05 in both (the Poisson test alone would reject far more of the overdispersed)."""
    rng = np.random.default_rng(7)
    poisson, overdispersed, naive = [], [], []
    for _ in range(600):
        a, b = st.Sample.of(rng.poisson(1.2, 60).astype(float)), st.Sample.of(rng.poisson(1.2, 45).astype(float))
        poisson.append(st.count_test(a, b).p)
        x = st.Sample.of(rng.negative_binomial(0.4, 0.4, 60).astype(float))
        y = st.Sample.of(rng.negative_binomial(0.4, 0.4, 45).astype(float))
        overdispersed.append(st.count_test(x, y).p)
        naive.append(st.poisson_rates(x, y))
    assert 0.02 <= np.mean(np.array(poisson) < 0.05) <= 0.065  # exact test: at most the level (+ noise)
    assert 0.025 <= np.mean(np.array(overdispersed) < 0.05) <= 0.075
    assert np.mean(np.array(naive) < 0.05) > 0.15  # 19% here: why overdispersed counts go to Mann–Whitney
