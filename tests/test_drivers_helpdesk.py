"""Root causes on the real Helpdesk log (seriousness, product, service level, support section …),
pinned against an independent pandas/scipy computation on pm4py's reading of the log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cspm

FIRST = ["seriousness_2", "product", "service_level", "service_type"]  # change within tickets
CASE_ATTRS = ["support_section", "responsible_section"]  # one value per ticket
CANDIDATES = [f"{c} (first)" for c in FIRST] + CASE_ATTRS
DAY_H = 24.0


@pytest.fixture(scope="module")
def per_ticket(helpdesk_pm4py) -> pd.DataFrame:
    """Per ticket, from pm4py's DataFrame: lead time (h) and the first value of each attribute."""
    df = helpdesk_pm4py.rename(columns={"case:concept:name": "case", "time:timestamp": "ts"})
    df = df.reset_index(drop=True).rename_axis("row").reset_index().sort_values(["case", "ts", "row"], kind="stable")
    g = df.groupby("case")
    out = pd.DataFrame({"lead_h": (g.ts.max() - g.ts.min()).dt.total_seconds() / 3600.0})
    for c in FIRST + CASE_ATTRS:
        name = f"{c} (first)" if c in FIRST else c
        first = df[df[c].notna()].groupby("case")[c].first()
        col = first.reindex(out.index).fillna("(missing)").astype(str)
        counts = col.value_counts()
        out[name] = col.where(col.map(counts) >= 20, "(other)")
    return out


def _expected(per_ticket: pd.DataFrame, threshold_h: float) -> pd.DataFrame:
    y = per_ticket.lead_h > threshold_h
    rows = []
    for d in CANDIDATES:
        for v in sorted(per_ticket[d].unique()):
            a = per_ticket[d] == v
            if a.all():
                continue
            k1, n1, k0, n0 = int(y[a].sum()), int(a.sum()), int(y[~a].sum()), int((~a).sum())
            table = np.array([[k1, n1 - k1], [k0, n0 - k0]])
            p = stats.chi2_contingency(table).pvalue if stats.contingency.expected_freq(table).min() >= 5 \
                else stats.fisher_exact(table).pvalue
            mw = stats.mannwhitneyu(per_ticket.lead_h[a], per_ticket.lead_h[~a], method="asymptotic").pvalue
            lead = per_ticket.lead_h
            rows.append({"driver": d, "value": v, "tickets": n1, "rate": k1 / n1, "rate_rest": k0 / n0,
                         "p_rate": p, "p_hours": mw, "excess_tickets": k1 - n1 * k0 / n0,
                         "excess_h": n1 * (lead[a].mean() - lead[~a].mean())})  # fmt: skip
    e = pd.DataFrame(rows)
    e["q"] = stats.false_discovery_control(e.p_rate, method="bh")
    e["q_hours"] = stats.false_discovery_control(e.p_hours, method="bh")
    e["significant"] = ((e.q < 0.05) & (e.excess_tickets > 0)) | ((e.q_hours < 0.05) & (e.excess_h > 0))
    return e.sort_values(["significant", "excess_tickets", "excess_h"], ascending=False, kind="stable")


def test_every_helpdesk_ticket_lasts_over_30_days(helpdesk_log, per_ticket) -> None:
    assert (per_ticket.lead_h > 30 * DAY_H).all() and len(per_ticket) == 4580  # the log's fact
    r = cspm.drivers(helpdesk_log, outcome="lead_time>30d", candidates=CANDIDATES, bootstrap=0)
    s = r.summary()
    assert (s["tickets"], s["outcomes"], s["rate"]) == (4580, 4580, 1.0)
    assert not r.table()["q"].lt(0.05).any() and "Every ticket has the same outcome" in r.findings[1]


def test_top_drivers_of_long_lead_times_match_pandas(helpdesk_log, per_ticket) -> None:
    r = cspm.drivers(helpdesk_log, outcome="lead_time>45d", candidates=CANDIDATES, bootstrap=0)
    got = r.table()
    exp = _expected(per_ticket, 45 * DAY_H)
    assert len(got) == len(exp)
    top = 5
    assert list(zip(got.driver, got.value, strict=True))[:top] == list(zip(exp.driver, exp.value, strict=True))[:top]
    merged = got.merge(exp, on=["driver", "value"], suffixes=("", "_pd"))
    assert len(merged) == len(exp)
    for col in ("tickets", "rate", "rate_rest", "p_rate", "q", "p_hours", "q_hours", "excess_tickets", "excess_h"):
        np.testing.assert_allclose(merged[col].astype(float), merged[f"{col}_pd"].astype(float), rtol=1e-6, err_msg=col)
    assert (merged.significant == merged.significant_pd).all()
    # the strongest is seriousness_2 = Value 2: more long tickets and ~216 h longer at the median
    assert (got.driver[0], got.value[0]) == ("seriousness_2 (first)", "Value 2")
