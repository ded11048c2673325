"""Headline figures that must not mislead (issue 9, 7c): the lead-time estimate, what "rework"
counts, flow efficiency and its assumption, KPIs without a resolution step, charts on valid values.

Exact figures on small hand-made logs, and checks on the real Helpdesk log (independent pandas
computations) with the activity given explicitly as ``concept:name``.
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

import cspm
from cspm.analysis.handoffs.analysis import analyse_handoffs
from cspm.analysis.handoffs.redundancy import redundancy
from cspm.analysis.handoffs.rework import rework
from cspm.analysis.kpis import kpis
from cspm.analysis.value_stream import value_stream
from cspm.pipeline import build_report
from cspm.render.charts import curve_svg
from cspm.render.formats import fmt_pct

H = 3600


def _log(rows: list[tuple[str, str, float]], **extra: str) -> cspm.TicketLog:
    base = pd.Timestamp("2024-03-04 09:00", tz="UTC")
    df = pd.DataFrame(
        {
            "case_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "timestamp": [base + pd.Timedelta(hours=r[2]) for r in rows],
        }
    )
    for col, value in extra.items():
        df[col] = value
    return cspm.read(df, case_id="case_id", activity="activity", timestamp="timestamp", **{k: k for k in extra})


def _text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


# ------------------------------------------------------------ the lead-time estimate is bounded
# Each step recorded twice (as when start and complete rows keep the same name): every interval
# of p1, p2, p3, p4 lies on a self-loop, so "lead time − redundant time" is 0 for them.
PAIRS = [
    ("p1", "A", 0), ("p1", "A", 1), ("p1", "B", 1), ("p1", "B", 3),  # lead 3 h, all redundant
    ("p2", "A", 0), ("p2", "A", 2), ("p2", "B", 2), ("p2", "B", 6),  # lead 6 h
    ("p3", "A", 0), ("p3", "A", 1), ("p3", "B", 1), ("p3", "B", 2),  # lead 2 h
    ("p4", "A", 0), ("p4", "A", 5), ("p4", "B", 5), ("p4", "B", 8),  # lead 8 h
    ("c1", "A", 0), ("c1", "B", 4),  # no redundant step, lead 4 h
    ("c2", "A", 0), ("c2", "B", 2),  # no redundant step, lead 2 h
]  # fmt: skip


def test_lead_time_estimate_is_bounded_by_the_tickets_without_redundancy():
    rd = redundancy(_log(PAIRS))
    lt = rd.lead_time_reduction()
    # before: 3, 6, 2, 8, 4, 2 h → median 3.5 h. The floor is the median of c1, c2 = 3 h; each
    # ticket keeps max(lead − redundant, min(lead, 3 h)): p1 3, p2 3, p3 2, p4 3, c1 4, c2 2 h.
    # (The old estimate, lead − redundant, gave 0, 0, 0, 0, 4, 2 h: a median lead time of 0 s.)
    assert (lt["median_before_s"], lt["floor_s"], lt["tickets_without_redundancy"]) == (3.5 * H, 3 * H, 2)
    assert lt["median_after_s"] == 3 * H
    assert (lt["mean_before_s"], lt["mean_after_s"]) == pytest.approx((25 / 6 * H, 17 / 6 * H), rel=1e-12)
    assert lt["mean_reduction_share"] == 0.32
    assert rd.redundant_step_share == 8 / 20


def test_lead_time_finding_carries_its_method():
    a = analyse_handoffs(_log(PAIRS, team="T"))
    line = a.findings()[-1]
    assert line.startswith("40% of steps are redundant (repetitions, self-loops, ping-pong returns)")
    assert line.endswith(
        "Removing them would cut the median lead time from 3.5 h to an estimated 3.0 h (estimate: their "
        "time taken out of each ticket, but no ticket below 3.0 h, the median lead time of the 2 tickets "
        "without any)."
    )
    assert "0 s" not in line
    page = _text(a.render_html())
    assert "no ticket below 3.0 h" in page and "Mean lead time 32% shorter." in page


def test_no_estimate_when_every_ticket_has_redundant_steps():
    a = analyse_handoffs(_log([r for r in PAIRS if r[0].startswith("p")], team="T"))
    assert a.redundancy.lead_time_reduction()["median_after_s"] is None
    assert a.findings()[-1].endswith(
        "The lead time saved by removing them is not estimated: no ticket is free of redundant steps, "
        "so there is nothing to bound an estimate by."
    )


# ------------------------------------------------------------------ what "rework" counts
REWORK = [
    ("r1", "Create", 0), ("r1", "Wait", 1), ("r1", "Work", 2), ("r1", "Wait", 3), ("r1", "Close", 4),
    ("r2", "Create", 0), ("r2", "Work", 1), ("r2", "Work", 2), ("r2", "Close", 3),
    ("r3", "Create", 0), ("r3", "Work", 1), ("r3", "Check", 2), ("r3", "Work", 3), ("r3", "Close", 4),
]  # fmt: skip


def test_rework_counts_repetitions_of_work_steps_only():
    rw = rework(_log(REWORK))
    s = rw.summary()
    # r1 waits twice (not rework), r2 repeats Work at once (a self-loop), r3 does Work again after
    # Check (rework). The old headline counted all three: "100% of tickets contain rework".
    assert (s["repetitions"], s["self_loops"]) == (1, 1)
    assert rw.tickets() == {"r3"} and rw.tickets("self_loops") == {"r2"}
    assert (s["share_tickets_with_rework"], s["share_tickets_with_self_loops"]) == (0.3333, 0.3333)
    assert s["not_counted"] == ["Wait"] and s["waiting_repeats"] == {"Wait": 1}


def test_rework_headline_states_what_it_counts():
    a = analyse_handoffs(_log(REWORK, team="T"))
    text = " ".join(a.findings())
    assert (
        "33% of tickets contain rework (a step done again after other steps: 1 repetition); 33% repeat a "
        "step immediately (1 self-loop). Most repeated: Work (2). Repeats of waiting steps are not counted "
        "as rework: Wait (1)."
    ) in text
    assert "100% of tickets" not in text
    # redundant steps: Work (self-loop) in r2 and Work (repetition) in r3 of 14 events
    assert a.redundancy.redundant_step_share == 2 / 14
    assert "14% of steps are redundant" in text


def test_waiting_steps_follow_the_config():
    from cspm.config import config_from_dict

    log = _log([(c, "Park" if a == "Wait" else a, t) for c, a, t in REWORK])
    assert rework(log).summary()["repetitions"] == 2  # "Park" is no waiting keyword: r1 repeats it
    cfg = config_from_dict({"value_classes": {"waiting": ["park"]}})
    assert rework(log, cfg).summary()["repetitions"] == 1


# -------------------------------------------------------- flow efficiency: one figure, assumed
def test_no_flow_efficiency_without_value_adding_steps():
    log = _log([("x", "Alpha", 0), ("x", "Beta", 2), ("x", "Gamma", 3), ("y", "Alpha", 0), ("y", "Gamma", 1)])
    vs = value_stream(log)
    # nothing is known to add value: the old default counted every step as value-adding (100%)
    assert vs.flow_efficiency is None and vs.overall["hours"]["value_adding"] == 0.0
    assert vs.overall["share"]["unclassified"] == 1.0
    assert vs.cases()["flow_efficiency"].isna().all()
    page = _text(vs._repr_html_())
    assert "Flow efficiency is not shown: no step is known to add value. Name the value-adding steps in the " \
           "config (value_classes.value_adding)." in page  # fmt: skip
    assert "flow efficiency (" not in page and "flow efficiency 1" not in page


def test_flow_efficiency_from_config_names_its_steps():
    from cspm.config import config_from_dict

    log = _log([("x", "Alpha", 0), ("x", "Beta", 2), ("x", "Gamma", 3), ("y", "Alpha", 0), ("y", "Gamma", 1)])
    vs = value_stream(log, config_from_dict({"value_classes": {"value_adding": ["beta"]}}))
    assert vs.flow_efficiency == 2 / 4  # Beta's 2 h of x's 3 h and y's 1 h
    assert vs.assumption() == (
        "Value-adding steps: Beta (from the config). Not classified, so not counted as value-adding: "
        "Alpha, Gamma (set value_classes in the config)."
    )
    assert "flow efficiency (Σ value-adding time / Σ lead time) 50.0%" in _text(vs._repr_html_())


FE_LOG = [
    ("a", "Create", 0), ("a", "Resolve", 1), ("a", "Close", 3),  # value-adding 1 h of 3 h
    ("b", "Create", 0), ("b", "Resolve", 9), ("b", "Close", 10),  # 9 h of 10 h
    ("c", "Create", 0), ("c", "Close", 4),  # 0 h of 4 h
]  # fmt: skip


def _flow_efficiency_values(markup: str) -> set[str]:
    """Every percentage shown as a flow efficiency (table rows, per-case medians, chart titles)."""
    return set(re.findall(r"flow efficiency(?: \([^)]*\)| per case)?,? (\d+(?:\.\d)?)%", _text(markup)))


def test_flow_efficiency_has_one_value_in_the_section_and_chart():
    vs = value_stream(_log(FE_LOG))
    # Σ value-adding / Σ lead = 10 / 17; the old section also showed the median per case (1/3)
    # and the chart title the ratio of medians (1 h / 4 h)
    assert vs.flow_efficiency == 10 / 17
    page = vs._repr_html_()
    assert _flow_efficiency_values(page) == {"58.8"}
    assert fmt_pct(vs.flow_efficiency) == "58.8%"
    assert "median_flow_efficiency" not in vs.overall


# ------------------------------------------------------------- KPIs without a resolution step
NO_RESOLVE = [
    ("k1", "Ticket created", 0), ("k1", "First response", 0.5), ("k1", "Close ticket", 5),
    ("k2", "Ticket created", 0), ("k2", "First response", 2), ("k2", "Close ticket", 30),
]  # fmt: skip


def test_kpis_without_a_resolution_step_say_why_instead_of_zero():
    k = kpis(_log(NO_RESOLVE))
    f = k.figures
    assert k.activities["resolution"] == []
    # the old figures: resolution rate 0.0 and a step curve drawn on no data (axis −0.04 … 0.04 h)
    assert f["resolution_rate"] is None and f["resolution_median_h"] is None and f["fcr_rate"] is None
    assert f["first_response_median_h"] == 1.25 and f["closed_within"] == 0.5
    assert k.step_curve["resolution_rate"].isna().all() and k.step_curve_svg() == ""
    assert k.notes[0] == (
        'No resolution step: no activity matches "resol", "solved" or 解决, so resolution time, resolution '
        "rate, first-contact resolution and the step curve cannot be measured; name it in the config "
        "(kpis.resolution)."
    )
    assert "No customer column: the customer return rate needs one (columns.customer)." in k.notes
    page = k._repr_html_()
    text = _text(page)
    labels = [label for label, _v, _ex in k.section_context()["figures"]]
    assert labels == ["tickets", "median first response", "P85 first response", "responded within 1 h",
                      "closed within 24 h", "steps per ticket (mean)"]  # fmt: skip
    assert "resolution rate 0.0%" not in text and "0.0%" not in text.split("Each extra step")[1]
    assert k.notes[0] in text and "Resolution by number of steps: no resolution step (see above)." in text
    assert page.count("<svg") == 2  # the two heatmaps, no step curve
    assert "handoffs per ticket (mean)" not in text  # no team or agent column: unknown, not 0
    assert f["handoffs_mean"] is None


def test_charts_start_at_zero():
    svg = curve_svg([3, 4, 5], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], "steps", "hours", "rate", "flat")
    ticks = re.findall(r">\s*([−-]?\d+(?:\.\d+)?)\s*</text>", svg)
    assert ticks and not any(t.startswith(("−", "-")) for t in ticks)


# ------------------------------------------------------------------------- the Helpdesk log
@pytest.fixture(scope="module")
def helpdesk(helpdesk_path) -> cspm.TicketLog:
    return cspm.read(helpdesk_path, activity="concept:name")


@pytest.fixture(scope="module")
def helpdesk_df(helpdesk) -> pd.DataFrame:
    df = helpdesk.events.select("case_id", "activity", "timestamp", "source_row").to_pandas()
    return df.sort_values(["case_id", "timestamp", "source_row"], kind="stable").reset_index(drop=True)


def test_helpdesk_rework_excludes_wait_and_self_loops(helpdesk, helpdesk_df):
    df = helpdesk_df
    prev = df.groupby("case_id")["activity"].shift()
    work = df["activity"] != "Wait"
    repetition = work & (df.groupby(["case_id", "activity"]).cumcount() > 0) & ~prev.eq(df["activity"])
    self_loop = work & prev.eq(df["activity"])
    s = rework(helpdesk).summary()
    assert (s["repetitions"], s["self_loops"]) == (int(repetition.sum()), int(self_loop.sum())) == (847, 831)
    tickets = df.loc[repetition, "case_id"].nunique()
    assert s["share_tickets_with_rework"] == round(tickets / 4580, 4) == 0.126  # 577 tickets
    waits = df[df["activity"] == "Wait"].groupby("case_id").size()
    assert s["waiting_repeats"] == {"Wait": int((waits - 1).sum())} == {"Wait": 227}


def test_helpdesk_estimate_is_plausible(helpdesk):
    a = analyse_handoffs(helpdesk, level="agent")
    lt = a.redundancy.lead_time_reduction()
    pc = a.redundancy.per_case
    clean = pc.loc[(pc["flagged_events"] == 0) & (pc["lead_time_s"] > 0), "lead_time_s"]
    assert lt["floor_s"] == float(clean.median()) > 0 and lt["tickets_without_redundancy"] == len(clean)
    assert lt["floor_s"] <= lt["median_after_s"] <= lt["median_before_s"]
    line = a.findings()[-1]
    assert "to an estimated 39 d (estimate: their time taken out of each ticket" in line


def test_helpdesk_flow_efficiency_equals_pandas_and_appears_once(helpdesk, helpdesk_df, tmp_path):
    vs = value_stream(helpdesk)
    # complete semantics: each event owns the interval since the previous one; it is value-adding
    # when the step is (keyword "resol": RESOLVED, Resolve SW anomaly, Resolve ticket), it is its
    # first occurrence in the case and the previous step is no waiting step (Wait)
    df = helpdesk_df
    g = df.groupby("case_id")
    interval = (df["timestamp"] - g["timestamp"].shift()).dt.total_seconds()
    va_step = df["activity"].isin(["RESOLVED", "Resolve SW anomaly", "Resolve ticket"])
    first = g.cumcount().eq(0) | (df.groupby(["case_id", "activity"]).cumcount() == 0)
    va = va_step & first & ~g["activity"].shift().eq("Wait")
    lead = (g["timestamp"].max() - g["timestamp"].min()).dt.total_seconds()
    assert vs.flow_efficiency == pytest.approx(interval[va].sum() / lead.sum(), rel=1e-12)
    assert vs.assumption().startswith("Value-adding steps: RESOLVED, Resolve SW anomaly, Resolve ticket (by keyword")
    report = build_report(helpdesk, [vs, kpis(helpdesk), analyse_handoffs(helpdesk)], tmp_path / "r.html")
    page = report.render()
    assert _flow_efficiency_values(page) == {fmt_pct(vs.flow_efficiency).rstrip("%")}


def test_helpdesk_kpis_missing_steps_and_valid_values(helpdesk, helpdesk_df):
    k = kpis(helpdesk)
    f = k.figures
    resolved = helpdesk_df[helpdesk_df["activity"].isin(["RESOLVED", "Resolve SW anomaly", "Resolve ticket"])]
    assert f["resolution_rate"] == resolved["case_id"].nunique() / 4580
    # no first-response and no reopen step in this log: no figure, one line each
    assert f["first_response_median_h"] is None and f["responded_within_target"] is None and f["reopen_rate"] is None
    assert [n.split(":")[0] for n in k.notes[:2]] == ["No first-response step", "No reopen step"]
    assert "First-contact resolution: no transfer or escalation step is known" in k.notes[2]
    per = k.cases()
    for col in ("first_response_h", "resolution_h", "closure_h"):
        assert (per[col].dropna() >= 0).all(), col
    assert (k.wait_heatmap.stack().dropna() >= 0).all()
    ticks = re.findall(r">\s*([−-]\d+(?:\.\d+)?)\s*</text>", k.step_curve_svg())
    assert ticks == []


def test_kpis_configured_step_missing_from_the_log():
    from cspm.config import config_from_dict

    k = kpis(_log(NO_RESOLVE), config_from_dict({"kpis": {"resolution": ["Resolve ticket"]}}))
    assert k.figures["resolution_rate"] is None and k.activities["resolution"] == []
    assert k.notes[0] == (
        "kpis.resolution names Resolve ticket, which the log does not have, so resolution time, resolution "
        "rate, first-contact resolution and the step curve cannot be measured."
    )
