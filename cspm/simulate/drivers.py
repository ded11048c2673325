"""Known drivers injected into the simulated log, for testing root-cause analysis (``cspm.drivers``).

An :class:`InjectedDriver` says "tickets whose ``column`` is ``value`` wait ``factor`` times longer
before ``step``": in every such ticket, the wait before the first ``step`` event (its completion minus
the completion of the event before it, calendar seconds) is multiplied by ``factor``; that event and
every later event of the ticket move later by ``(factor − 1) × wait``. Nothing else changes, so the
driver is the only attribute associated with the longer wait.

The ground truth (``truth.json`` → ``drivers``) names each driver, the tickets and waits it touched,
and the *expected* rates of the wait exceeding a few thresholds with and without the driver,
computed on the waits before injection of **all** tickets that reach the step (the value is drawn
independently of the wait, so these are the counterfactual rates): the true lift of the driver for
the outcome "wait before ``step`` > T" is ``expected[T].with_driver / expected[T].without``.

An :class:`InjectedPingPong` says "tickets whose first L2 team is ``team`` bounce with probability
``rate``": an escalated ticket first assigned to ``team`` gets a direct ping-pong (``team`` → other
L2 team → ``team``) when its transfer draw is below ``rate``, a single transfer when it is below
``rate + single_transfer``, else none; every other escalated ticket keeps the settings' rates
(``direct_ping_pong + indirect_ping_pong``). The same random draw decides either way, and the first
L2 team is drawn from the category alone. Its truth (``drivers``, ``kind: ping_pong``) gives the
true rates among tickets handed over (only escalated tickets change team) and the true lift
``rate / (direct_ping_pong + indirect_ping_pong)`` of the driver ``team (first handoff) = team``
for the outcome ``ping_pong``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from cspm.simulate import process as eng

__all__ = ["THRESHOLDS_H", "DriverInjection", "InjectedDriver", "InjectedPingPong", "ping_pong_truth"]

THRESHOLDS_H = (1.0, 2.0, 4.0, 8.0, 12.0, 16.0, 24.0, 48.0)
"""Thresholds (hours) at which the truth gives the expected outcome rates."""

_VALUES = {
    "channel": (eng.CHANNELS_EN, eng.CHANNELS_ZH),
    "priority": (eng.PRIORITIES, eng.PRIORITIES),
    "category": (eng.CATEGORIES_EN, eng.CATEGORIES_ZH),
}


class InjectedDriver(BaseModel):
    """Tickets with ``column = value`` wait ``factor`` × longer before ``step`` (English names)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: Literal["channel", "priority", "category"] = "channel"
    value: str = "email"
    step: str = "Assign L2"
    factor: float = Field(default=3.0, gt=0)

    def codes(self) -> tuple[int, int]:
        """(value code, activity code); ValueError names an unknown value or step."""
        names = _VALUES[self.column][0]
        if self.value not in names:
            raise ValueError(f"{self.column} {self.value!r} is not simulated; values: {', '.join(names)}")
        if self.step not in eng.ACTIVITIES_EN:
            raise ValueError(f"step {self.step!r} is not simulated; steps: {', '.join(eng.ACTIVITIES_EN)}")
        return names.index(self.value), eng.ACTIVITIES_EN.index(self.step)


class InjectedPingPong(BaseModel):
    """Escalated tickets whose first L2 team is ``team`` (English name) bounce with probability ``rate``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    team: Literal["Tech Support", "Billing", "Network Ops"] = "Billing"
    rate: float = Field(default=0.5, ge=0, le=1)

    def code(self) -> int:
        return eng.TEAMS_EN.index(self.team)


def ping_pong_truth(d: InjectedPingPong, rest_rate: float, affected: int, language: str = "en") -> dict[str, Any]:
    """The ground truth of one ping-pong driver (see the module docstring)."""
    team = (eng.TEAMS_ZH if language == "zh" else eng.TEAMS_EN)[d.code()]
    return {
        "kind": "ping_pong",
        "driver": "team (first handoff)",
        "team": team,
        "rate": d.rate,
        "effect": f"escalated tickets first assigned to {team} bounce with probability {d.rate:g} "
        f"(direct ping-pong) instead of {rest_rate:g}",
        "tickets_affected": affected,
        "true_rate_with_driver": d.rate,
        "true_rate_without": rest_rate,
        "true_lift": d.rate / rest_rate if rest_rate > 0 else None,
        "population": "tickets handed over at least once (the escalated tickets)",
    }


class DriverInjection:
    """Applies the drivers to each chunk of cases and collects their ground truth."""

    def __init__(self, drivers: tuple[InjectedDriver, ...] | list[InjectedDriver], language: str = "en") -> None:
        self.drivers = tuple(drivers)
        self.language = language
        self._codes = [d.codes() for d in self.drivers]
        self._base: list[list[np.ndarray]] = [[] for _ in self.drivers]  # waits before injection (s)
        self._hit: list[int] = [0 for _ in self.drivers]

    def apply(self, chunk: eng.Chunk) -> eng.Chunk:
        """The chunk with every driver applied (the chunk's arrays are changed in place)."""
        for i, (d, (value, act)) in enumerate(zip(self.drivers, self._codes, strict=True)):
            per_case = getattr(chunk, d.column)
            idx = np.flatnonzero(chunk.activity == act)
            if len(idx) == 0:
                continue
            case = chunk.case_of_event[idx]
            first = np.unique(case, return_index=True)[1]  # the first `step` event of each case
            idx, case = idx[first], case[first]
            has_prev = idx > 0
            has_prev[has_prev] = chunk.case_of_event[idx[has_prev] - 1] == case[has_prev]
            idx, case = idx[has_prev], case[has_prev]
            wait = (chunk.end[idx] - chunk.end[idx - 1]).astype(np.float64)
            self._base[i].append(wait)
            hit = per_case[case] == value
            self._hit[i] += int(hit.sum())
            case_end = np.searchsorted(chunk.case_of_event, case[hit], side="right")
            for at, stop, w in zip(idx[hit].tolist(), case_end.tolist(), wait[hit].tolist(), strict=True):
                delta = int(round((d.factor - 1.0) * w))
                chunk.end[at:stop] += delta
                chunk.start[at:stop] += delta
        return chunk

    def truth(self) -> list[dict[str, Any]]:
        """The ground truth of every driver (see the module docstring)."""
        out = []
        for i, d in enumerate(self.drivers):
            base = np.concatenate(self._base[i]) if self._base[i] else np.empty(0)
            value_names = _VALUES[d.column][1 if self.language == "zh" else 0]
            step_names = eng.ACTIVITIES_ZH if self.language == "zh" else eng.ACTIVITIES_EN
            value, act = self._codes[i]
            expected = {
                f"{t:g}h": {
                    "with_driver": float(np.mean(d.factor * base > t * 3600.0)) if len(base) else None,
                    "without": float(np.mean(base > t * 3600.0)) if len(base) else None,
                }
                for t in THRESHOLDS_H
            }
            out.append({
                "column": d.column,
                "value": value_names[value],
                "step": step_names[act],
                "factor": d.factor,
                "effect": f"the wait before the first `{step_names[act]}` (calendar time, from the "
                f"previous event) × {d.factor:g} for tickets with {d.column} = {value_names[value]}",
                "tickets_with_step": int(len(base)),
                "tickets_affected": self._hit[i],
                "expected_rate_above": expected,
            })  # fmt: skip
        return out
