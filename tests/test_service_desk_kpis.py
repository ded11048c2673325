"""Service-desk KPIs (first-line resolution, push-to-front, level violations, reassignments, tickets
without a team, priority changes, reopen after resolve): exact figures on a hand-made log, and the
simulator's ground truth."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

import cspm
from cspm.analysis.service_desk import DEFINITIONS, service_desk, support_levels
from cspm.config import KpiSettings
from cspm.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

# ticket, [(activity, team, priority)], one event per hour
TICKETS = {
    "t1": [("Ticket created", "Desk 1st", "P3"), ("Resolve ticket", "Desk 1st", "P3"), ("Close", "Desk 1st", "P3")],
    "t2": [("Ticket created", "Desk 1st", "P3"), ("Escalate", "Network 2nd", "P2"), ("Resolve ticket", "Network 2nd", "P2")],
    "t3": [("Ticket created", "Desk 1st", "P3"), ("Escalate", "Expert 3rd", "P3"), ("Resolve ticket", "Expert 3rd", "P3"),
           ("Reopen ticket", "Expert 3rd", "P3"), ("Resolve ticket", "Expert 3rd", "P1")],
    "t4": [("Ticket created", None, "P4"), ("Assign", "Network 2nd", "P4"), ("Transfer", "Desk 1st", "P4"),
           ("Resolve ticket", "Desk 1st", "P4")],
    "t5": [("Ticket created", "Desk 1st", None), ("Work", "Desk 1st", "P2"), ("Work", "Network 2nd", "P2")],
    "t6": [("Ticket created", "Desk 1st", "P3"), ("Ask", "Network 2nd", "P3"), ("Back", "Desk 1st", "P3"),
           ("Again", "Network 2nd", "P3"), ("Resolve ticket", "Network 2nd", "P3"), ("Resolve ticket", "Network 2nd", "P3")],
}  # fmt: skip


@pytest.fixture(scope="module")
def hand_made() -> cspm.TicketLog:
    rows = []
    for i, (case, events) in enumerate(TICKETS.items()):
        for j, (activity, team, prio) in enumerate(events):
            ts = pd.Timestamp("2024-03-04 08:00", tz="UTC") + pd.Timedelta(hours=10 * i + j)
            rows.append({"ticket": case, "activity": activity, "time": ts, "team": team, "priority": prio})
    return cspm.read(pd.DataFrame(rows), case_id="ticket", activity="activity", timestamp="time", team="team",
                     priority="priority")  # fmt: skip


def test_levels_from_the_mapping_then_the_team_name():
    ks = KpiSettings(support_levels={"Service Desk": 1, "Desk 1st": 2})
    teams = ["Service Desk", "Desk 1st", "Network 2nd", "L3 Experts", "Tier 2 Apps", "Level 1", "Billing", "Area51"]
    assert support_levels(teams, ks) == {"Service Desk": 1, "Desk 1st": 2, "Network 2nd": 2, "L3 Experts": 3,
                                         "Tier 2 Apps": 2, "Level 1": 1}  # fmt: skip
    with pytest.raises(ConfigError, match="kpis.support_level_pattern"):
        support_levels(teams, KpiSettings(support_level_pattern="("))


def test_figures_on_a_hand_made_log(hand_made):
    r = service_desk(hand_made)
    f = r.figures
    assert r.levels == {"Desk 1st": 1, "Network 2nd": 2, "Expert 3rd": 3}
    assert f.tickets == 6 and f.resolved == 5  # t5 never resolved
    # never left level 1: t1 only; resolved at level 1: t1 and t4 (after a detour to level 2)
    assert (f.first_line_resolved_tickets, f.first_line_resolution) == (1, pytest.approx(1 / 5))
    assert (f.push_to_front_tickets, f.push_to_front) == (2, pytest.approx(2 / 5))
    assert f.level_down_tickets == 2  # t4 (2 → 1), t6 (2 → 1)
    assert f.level_skip_tickets == 1  # t3 (1 → 3)
    assert f.created_without_team == 1  # t4
    assert f.priority_change_tickets == 2  # t2 (P3 → P2), t3 (P3 → P1); t5's first priority is missing: no change
    # t3 reopened; t6 resolved twice
    assert (f.reopen_after_resolve_tickets, f.reopen_after_resolve) == (2, pytest.approx(2 / 5))
    # reassignments: t1 0, t2 1, t3 1, t4 1 (its first event has no team), t5 1, t6 3
    assert dict(zip(r.reassignments.reassignments, r.reassignments.tickets, strict=True)) == {0: 1, 1: 4, 3: 1}
    assert f.reassignments_mean == pytest.approx(7 / 6)
    cases = r.cases().set_index("case_id")
    assert cases.loc["t4", "resolving_level"] == 1 and cases.loc["t4", "max_level"] == 2
    assert r.examples("level_downs") == ["t4", "t6"] and r.examples("level_skips") == ["t3"]


def test_the_report_section_gives_each_definition_and_examples(hand_made):
    html = service_desk(hand_made)._repr_html_()
    for definition in DEFINITIONS.values():
        assert definition in html
    assert "t4, t6" in html and "Desk 1st = 1" in html


def test_missing_data_is_none_with_a_note():
    df = pd.DataFrame({"c": ["a", "a"], "act": ["Open", "Work"], "ts": ["2024-01-01 08:00", "2024-01-01 09:00"]})
    r = service_desk(cspm.read(df, case_id="c", activity="act", timestamp="ts"))
    f = r.figures
    assert f.first_line_resolution is None and f.reassignments_mean is None and f.priority_change_tickets is None
    assert f.reopen_after_resolve is None and f.resolved is None
    text = " ".join(r.notes)
    assert "No team column" in text and "kpis.resolution" in text and "columns.priority" in text


def test_pinned_on_the_simulators_ground_truth():
    cfg = cspm.load_config(ROOT / "sample_logs/cspm.example.yaml")  # Service Desk = 1, the L2 teams = 2
    assert cfg.kpis.support_levels == {"Service Desk": 1, "Billing": 2, "Network Ops": 2, "Tech Support": 2}
    log = cspm.read(ROOT / "sample_logs/tickets_en.csv", config=cfg)
    truth = [json.loads(line) for line in (ROOT / "sample_logs/tickets_en.csv.truth.jsonl").read_text().splitlines()]
    r = service_desk(log, cfg)
    f = r.figures
    assert f.tickets == len(truth) == 2000
    fcr = sum(t["first_contact_resolution"] for t in truth)
    assert f.first_line_resolved_tickets == fcr == 1203 and f.push_to_front_tickets == fcr
    assert f.reopen_after_resolve_tickets == sum(t["reopened"] for t in truth) == 127
    expected = Counter(len(t["teams"]) - 1 for t in truth)
    assert dict(zip(r.reassignments.reassignments, r.reassignments.tickets, strict=True)) == dict(expected)
    # the simulator never moves a ticket down or skips a level, never changes a priority
    assert (f.level_down_tickets, f.level_skip_tickets, f.priority_change_tickets, f.created_without_team) == (0, 0, 0, 0)
