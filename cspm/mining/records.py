"""The typed records of discovery: what ``summary()`` of each discovery result returns, and the
discovery part of ``summary.json`` (its JSON Schema is generated from these types).

Durations are seconds (``None`` when undefined); shares are fractions in 0–1. Lower bounds of
durations and shares are stated in the JSON Schema only: a figure is never refused at run time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_serializer

from cspm.core.records import Record

__all__ = [
    "ActivityRecord",
    "DirectlyFollowsSummary",
    "DiscoverySummary",
    "EdgeRecord",
    "EventsPerCase",
    "LeadTime",
    "ActivitiesSummary",
    "CasesSummary",
    "Miner",
    "ModelSummary",
    "Overview",
    "ProcessMapSummary",
    "Record",
    "Seconds",
    "Share",
    "VariantRecord",
    "VariantsSummary",
]

Miner = Literal["inductive", "heuristics"]
Seconds = Annotated[float | None, Field(json_schema_extra={"minimum": 0})]
"""A duration in seconds (``None`` when undefined)."""
Share = Annotated[float, Field(json_schema_extra={"minimum": 0, "maximum": 1})]
"""A fraction in 0–1."""




class EdgeRecord(Record):
    """One directly-follows edge: how often ``target`` directly follows ``source`` and the wait between."""

    source: str
    target: str
    count: PositiveInt = Field(description="times the edge is taken (events)")
    cases: PositiveInt = Field(description="cases that take it at least once")
    wait_mean: Seconds
    wait_median: Seconds
    wait_p90: Seconds
    wait_min: Seconds
    wait_max: Seconds
    wait_total: Seconds


class ActivityRecord(Record):
    """One activity: events, share of events, cases, case starts/ends, waits around it and, when the log
    has start times, its duration (work: completion − start − suspended time)."""

    activity: str
    events: NonNegativeInt
    share: Share = Field(description="share of all events")
    cases: NonNegativeInt
    starts: NonNegativeInt = Field(description="cases starting with it")
    ends: NonNegativeInt = Field(description="cases ending with it")
    wait_before_mean: Seconds
    wait_before_median: Seconds
    wait_before_p90: Seconds
    wait_after_median: Seconds
    duration_median: Seconds = Field(None, description="only when the log has start times")
    duration_mean: Seconds = Field(None, description="only when the log has start times")

    @model_serializer(mode="wrap")
    def _durations_only_with_start_times(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        for key in ("duration_median", "duration_mean"):
            if key not in self.model_fields_set:
                data.pop(key, None)
        return data


class VariantRecord(Record):
    """One variant (a distinct activity sequence), ranked by frequency."""

    variant: PositiveInt = Field(description="rank, 1 = most frequent")
    activities: list[str]
    length: PositiveInt
    count: PositiveInt = Field(description="cases")
    share: Share
    cumulative_share: Share
    lead_time_mean: Seconds
    lead_time_median: Seconds
    lead_time_p90: Seconds
    lead_time_min: Seconds
    lead_time_max: Seconds


class LeadTime(Record):
    """Case lead time (first start to last completion of a case), over all cases."""

    mean: Seconds
    median: Seconds
    p85: Seconds
    p90: Seconds
    min: Seconds
    max: Seconds


class EventsPerCase(Record):
    mean: float | None
    median: float | None
    max: float | None


class Overview(Record):
    """The headline figures of a discovery."""

    events: NonNegativeInt
    cases: NonNegativeInt
    activities: NonNegativeInt
    variants: NonNegativeInt
    edges: NonNegativeInt
    top_variant_share: Share | None = Field(description="share of cases of the most frequent variant")
    median_lead_time_seconds: Seconds
    first_event: datetime | None
    last_event: datetime | None


class DirectlyFollowsSummary(Record):
    edges: list[EdgeRecord]
    start_activities: dict[str, int] = Field(description="activity → cases starting with it")
    end_activities: dict[str, int] = Field(description="activity → cases ending with it")


class ActivitiesSummary(Record):
    activities: list[ActivityRecord]


class VariantsSummary(Record):
    variants: NonNegativeInt = Field(description="number of distinct activity sequences")
    top: list[VariantRecord] = Field(max_length=20, description="the most frequent variants")


class CasesSummary(Record):
    lead_time_seconds: LeadTime
    events_per_case: EventsPerCase


class DiscoverySummary(Record):
    """What :func:`cspm.discover` found (the discovery part of ``summary.json``)."""

    source: str
    overview: Overview
    lead_time_seconds: LeadTime
    events_per_case: EventsPerCase
    activities: list[ActivityRecord] = Field(description="most frequent first")
    start_activities: dict[str, int]
    end_activities: dict[str, int]
    slowest_transitions: list[EdgeRecord] = Field(
        max_length=10,
        description="edges taken at least 5 times (all edges when none is), longest median wait first",
    )
    variants: VariantsSummary


class ProcessMapSummary(Record):
    measure: Literal["frequency", "performance"]
    activities: NonNegativeInt
    edges: NonNegativeInt
    highlighted_steps: list[str]
    highlighted_edges: list[tuple[str, str]]


class ModelSummary(Record):
    """A mined process model: its miner and the size of its Petri net."""

    miner: Miner
    noise_threshold: float | None = Field(description="Inductive Miner's noise threshold (null for heuristics)")
    places: NonNegativeInt
    transitions: NonNegativeInt
    visible_transitions: NonNegativeInt
    arcs: NonNegativeInt
    process_tree: str | None = Field(description="the process tree as text (Inductive Miner only)")
