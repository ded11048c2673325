"""The map explorer's slowest tickets per step and transition.

They are looked for first among the slowest tickets of the log; a step or transition with fewer
than five of them is looked up among all tickets. Both ways give the samples pandas computes from
the events: the five slowest tickets through it, ties by ticket id, at every level of the map.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cspm
import cspm.mining.map_explorer as mx
from cspm.render.explorer import edge_key, node_key
from cspm.units import format_duration

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


@pytest.fixture(scope="module")
def log():
    return cspm.read(SAMPLES / "tickets_en.csv")


def _expected(log: cspm.TicketLog, keep: list[str]) -> dict[str, list[tuple[str, str]]]:
    """The samples of the log projected on ``keep``, computed by pandas."""
    ev = log.ordered().to_pandas()
    lead = (ev.groupby("case_id").timestamp.max() - ev.groupby("case_id").timestamp.min()).dt.total_seconds()
    ev = ev[ev.activity.isin(keep)].copy()
    ev["next"] = ev.groupby("case_id").activity.shift(-1)
    out = {}
    pairs = [(node_key(a), ev.activity == a) for a in keep]
    pairs += [(edge_key(a, b), (ev.activity == a) & (ev.next == b))
              for a, b in ev[["activity", "next"]].dropna().drop_duplicates().itertuples(index=False)]  # fmt: skip
    for key, mask in pairs:
        cases = ev[mask].case_id.unique()
        slow = pd.DataFrame({"case": cases, "lead": lead.loc[cases].to_numpy()})
        slow = slow.sort_values(["lead", "case"], ascending=[False, True]).head(5)
        out[key] = [(str(c), format_duration(x)) for c, x in zip(slow.case, slow.lead, strict=True)]
    return out


@pytest.mark.parametrize("candidates", [10_000, 7])  # every ticket a candidate; or 7, most looked up again
def test_samples_are_the_slowest_tickets_at_every_level(log, monkeypatch, candidates):
    monkeypatch.setattr(mx, "_CANDIDATES", candidates)
    explorer = mx.MapExplorer.from_log(log)
    assert len(explorer.levels) >= 5
    for level in (explorer.levels[0], explorer.levels[-1]):
        keep = [str(a) for a in level.base.nodes.activity]
        assert level.samples == _expected(log, keep), level.share
