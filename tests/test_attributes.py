"""The per-ticket attribute tables shared by segments, trends and the service desk (hand-checked)."""

from __future__ import annotations

import pandas as pd

import cspm
from cspm.analysis.attributes import first_attributes, value_changes
from cspm.analysis.service_desk import service_desk
from cspm.analysis.trends import trends

ROWS = [  # case, activity, hour, team, channel, priority; rows out of time order on purpose
    ("T1", "Work", 2, "L2", "phone", "P2"),
    ("T1", "Create", 0, "  ", "email", "P3"),
    ("T1", "Assign", 1, "L1", "email", "P3"),
    ("T1", "Note", 3, None, "email", "P2"),
    ("T1", "Back", 4, "L1", "email", "P2"),
    ("T2", "Create", 0, "L1", "web", "P1"),
    ("T2", "Close", 5, "L1", "web", "P1"),
    ("T3", "Create", 0, None, None, None),
]


def _log() -> cspm.TicketLog:
    base = pd.Timestamp("2024-03-04 08:00", tz="UTC")
    df = pd.DataFrame(ROWS, columns=["case", "act", "h", "team", "channel", "priority"])
    df["ts"] = [base + pd.Timedelta(hours=h) for h in df.h]
    return cspm.read(df.drop(columns="h"), case_id="case", activity="act", timestamp="ts", team="team")


def test_first_attributes_are_the_values_at_the_first_event():
    log = _log()
    got = first_attributes(log, ["team", "channel"]).to_pandas().set_index("case_id").sort_index().fillna("-")
    # T1's first event (hour 0) has a blank team: null, not the team of the first row given
    assert got.to_dict("index") == {
        "T1": {"team": "-", "channel": "email"},
        "T2": {"team": "L1", "channel": "web"},
        "T3": {"team": "-", "channel": "-"},
    }
    prio = first_attributes(log, ["priority"]).to_pandas().set_index("case_id")["priority"].fillna("-").to_dict()
    assert prio == {"T1": "P3", "T2": "P1", "T3": "-"}
    assert log.derived.builds["first_attributes"] == 1  # one table for every segment column


def test_value_changes_skip_events_without_a_value():
    log = _log()
    teams = value_changes(log, "team").to_pandas().set_index("case_id")["n"].to_dict()
    # T1 by time: blank, L1, L2, none, L1 -> L1 → L2 → L1: two changes; T3 has no team at all
    assert teams == {"T1": 2, "T2": 0}
    prio = value_changes(log, "priority").to_pandas().set_index("case_id")["n"].to_dict()
    assert prio == {"T1": 1, "T2": 0}  # P3, P3, P2, P2, P2


def test_segments_trends_and_service_desk_share_the_tables():
    log = _log()
    tr, sd = trends(log), service_desk(log)
    builds = log.derived.builds
    assert (builds["first_attributes"], builds["value_changes team"], builds["value_changes priority"]) == (1, 1, 1)
    per = sd.per_case.to_pandas().set_index("case_id").sort_index()
    assert per["reassignments"].to_dict() == {"T1": 2, "T2": 0, "T3": 0}
    assert per["created_without_team"].to_dict() == {"T1": True, "T2": False, "T3": True}
    assert per["priority_changes"].to_dict() == {"T1": 1, "T2": 0, "T3": 0}
    team = tr.segments["team"].set_index("team")
    assert team["tickets"].to_dict() == {"(none)": 2, "L1": 1}
    assert team.loc["(none)", "handoffs_mean"] == 1.0  # T1 2 handoffs, T3 none
