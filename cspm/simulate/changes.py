"""Injected process changes: an improvement (or a regression) from a date on and/or for one team.

A :class:`ProcessChange` scales the bottleneck wait (``Escalate to L2`` → ``Assign L2``) and/or the
ping-pong probabilities for the tickets it applies to:

* ``at``: tickets **created** on or after this local date (the calendar's time zone);
* ``team``: tickets whose **first L2 team** (the team that records ``Assign L2``) is this one
  (English or Chinese name).

How: a second engine runs with the changed parameters and the same seed. Every random draw of a case
is independent of those parameters, so both engines generate the same tickets (arrivals, attributes,
step times); a changed ticket is taken from the second engine. Its bottleneck wait is therefore
exactly ``factor ×`` the wait it would have had (to the second), and only the downstream timestamps
move. With ``ping_pong_factor`` the direct and indirect ping-pong shares are multiplied and the
removed share becomes single transfers (the ticket is still transferred, but not sent back).

The truth (``changes`` in ``<log>.truth.json``): per change, the number of tickets it applied to and
the realised median bottleneck wait (business hours, the drawn wait) of those tickets without and
with the change.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cspm.simulate import process as eng
from cspm.simulate.clock import BusinessClock

__all__ = ["ChangedEngine", "ProcessChange", "change_truth", "engine_with_changes"]


class ProcessChange(BaseModel):
    """One injected change (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: date | None = Field(default=None, description="tickets created on/after this local date")
    team: str | None = Field(default=None, description="tickets whose first L2 team is this one")
    bottleneck_wait_factor: float = Field(default=1.0, gt=0)
    ping_pong_factor: float = Field(default=1.0, ge=0, le=1)

    @model_validator(mode="after")
    def _check(self) -> ProcessChange:
        if self.team is not None and self.team not in (*eng.TEAMS_EN, *eng.TEAMS_ZH):
            raise ValueError(f"unknown team {self.team!r}; one of {', '.join(eng.TEAMS_EN)}")
        if self.team is not None and self.team in (eng.TEAMS_EN[eng.SD], eng.TEAMS_ZH[eng.SD]):
            raise ValueError("a change for one team names an L2 team (the first line has no bottleneck)")
        return self

    def team_code(self) -> int | None:
        if self.team is None:
            return None
        names = eng.TEAMS_EN if self.team in eng.TEAMS_EN else eng.TEAMS_ZH
        return names.index(self.team)

    def params(self, p: eng.Params) -> eng.Params:
        """The engine parameters with this change applied."""
        d, i = p.direct_ping_pong, p.indirect_ping_pong
        f = self.ping_pong_factor
        return replace(
            p,
            bottleneck_median_hours=p.bottleneck_median_hours * self.bottleneck_wait_factor,
            direct_ping_pong=d * f,
            indirect_ping_pong=i * f,
            single_transfer=p.single_transfer + (d + i) * (1 - f),
        )


class ChangedEngine:
    """An engine whose tickets come from the base engine or, where a change applies, from an engine
    with the changed parameters (same seed; see the module docstring)."""

    def __init__(self, base: eng.Engine, changes: list[ProcessChange], clocks: list[BusinessClock]) -> None:
        self.base = base
        self.changes = changes
        self.variants = [eng.Engine(c.params(base.p), clocks) for c in changes]
        self.agent_names, self.pools = base.agent_names, base.pools
        self.leads, self.managers = base.leads, base.managers
        tz: ZoneInfo = clocks[eng.SD].tz
        self.since = [
            int(datetime.combine(c.at, time(0), tzinfo=tz).timestamp()) if c.at else None for c in changes
        ]
        self.applied = [0] * len(changes)
        self.waits: list[tuple[list[int], list[int]]] = [([], []) for _ in changes]

    @property
    def p(self) -> eng.Params:
        return self.base.p

    def chunk(self, n: int, block: int = 0) -> eng.Chunk:
        base = self.base.chunk(n, block)
        others = [v.chunk(n, block) for v in self.variants]
        first_ev = np.searchsorted(base.case_of_event, np.arange(len(base.case_number)))
        created = base.start[first_ev] if len(base.activity) else np.empty(0, dtype=np.int64)
        assign = base.activity == eng.ASSIGN
        first_team = np.full(len(base.case_number), -1)
        first_team[base.case_of_event[assign]] = base.team[assign]  # one Assign L2 per ticket
        source = np.full(len(base.case_number), -1)  # -1 base, k: change k (the last that applies)
        for k, c in enumerate(self.changes):
            hit = np.ones(len(base.case_number), dtype=bool)
            if self.since[k] is not None:
                hit &= created >= self.since[k]
            if c.team is not None:
                hit &= first_team == c.team_code()
            source[hit] = k
        for k, other in enumerate(others):
            chosen = set(base.case_number[source == k].tolist())
            self.applied[k] += len(chosen)
            self.waits[k][0].extend(b[1] for b in base.bottleneck if b[0] in chosen)
            self.waits[k][1].extend(b[1] for b in other.bottleneck if b[0] in chosen)
        return _merge(base, others, source)


def _merge(base: eng.Chunk, others: list[eng.Chunk], source: np.ndarray) -> eng.Chunk:
    """Per case, the events and truth of the chunk ``source`` names (-1: ``base``)."""
    chunks = parts = [base, *others]
    picks = [np.flatnonzero(source[c.case_of_event] == k - 1) for k, c in enumerate(parts)]
    case_of = np.concatenate([c.case_of_event[p] for c, p in zip(parts, picks, strict=True)])
    order = np.argsort(case_of, kind="stable")

    def events(name: str) -> np.ndarray:
        return np.concatenate([getattr(c, name)[p] for c, p in zip(parts, picks, strict=True)])[order]

    truth = [chunks[s + 1].truth[i] for i, s in enumerate(source.tolist())]
    numbers = {int(n): int(s) + 1 for n, s in zip(base.case_number.tolist(), source.tolist(), strict=True)}
    bottleneck = [b for k, c in enumerate(chunks) for b in c.bottleneck if numbers[b[0]] == k]
    bottleneck.sort(key=lambda b: b[0])
    return eng.Chunk(
        case_number=base.case_number, channel=base.channel, priority=base.priority,
        category=base.category, customer=base.customer, amount=base.amount,
        case_of_event=case_of[order], activity=events("activity"), team=events("team"),
        agent=events("agent"), start=events("start"), end=events("end"), truth=truth,
        bottleneck=bottleneck,
    )  # fmt: skip


def engine_with_changes(
    params: eng.Params, clocks: list[BusinessClock], changes: list[ProcessChange]
) -> eng.Engine | ChangedEngine:
    """The simulator's engine: the plain one, or one with the changes injected."""
    base = eng.Engine(params, clocks)
    return ChangedEngine(base, list(changes), clocks) if changes else base


def change_truth(engine: Any) -> dict[str, Any]:
    """The ``changes`` section of the truth (empty without changes)."""
    if not isinstance(engine, ChangedEngine):
        return {}
    out = []
    for k, c in enumerate(engine.changes):
        without, with_ = engine.waits[k]
        out.append({
            **c.model_dump(mode="json"),
            "tickets": engine.applied[k],
            "bottleneck_waits": len(without),
            "median_wait_without_business_hours": float(np.median(without)) / 3600 if without else None,
            "median_wait_with_business_hours": float(np.median(with_)) / 3600 if with_ else None,
        })  # fmt: skip
    return {"changes": out}
