"""Deviations from the model, read off alignments, ranked by tickets and by what they cost.

* **skipped** (move on model): a model step the ticket did not do;
* **inserted** (move on log): a step the model does not expect there, with the steps before and
  after it; **unexpected**: the same step wherever it occurs.

Each table has per row: ``tickets`` (that have the deviation), ``variants``, ``share`` (of all
tickets), ``lead_time_median_seconds`` (of those tickets), ``conforming_lead_time_median_seconds`` (of the
conforming tickets), ``lead_time_difference_seconds`` (the two medians' difference; None when no
ticket conforms) and ``examples`` (up to 3 of its tickets, the longest lead time first, ties by id).
The medians and examples are computed on the engine from the case table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.core.log import CASE
from cspm.core.records import Record

__all__ = [
    "DeviationTables", "InsertedStep", "SkippedStep", "deviation_tables", "deviations_of", "lead_time_by_group",
]  # fmt: skip

Move = tuple[str | None, str | None]  # (log label, model label); None = no move on that side
Deviation = tuple[str, str, str, str]  # (kind 'skipped' | 'inserted', step, before, after)


class SkippedStep(Record):
    """A step and the tickets that skipped it (or, in ``unexpected_steps``, that have it unexpectedly)."""


    step: str
    tickets: int
    variants: int
    share: float
    lead_time_median_seconds: float | None
    conforming_lead_time_median_seconds: float | None
    lead_time_difference_seconds: float | None
    examples: list[str] = []


class InsertedStep(Record):
    """An unexpected step between ``before`` and ``after`` (``▶`` / ``■``: start / end) and its tickets."""


    step: str
    before: str
    after: str
    tickets: int
    variants: int
    share: float
    lead_time_median_seconds: float | None
    conforming_lead_time_median_seconds: float | None
    lead_time_difference_seconds: float | None
    examples: list[str] = []


def deviations_of(activities: Sequence[str], moves: Sequence[Move]) -> list[Deviation]:
    """(kind, step, before, after) per deviation in one alignment; kind 'skipped' or 'inserted'."""
    out = []
    pos = 0  # index of the next trace event
    for log_label, model_label in moves:
        if log_label is not None and model_label is None:
            before = activities[pos - 1] if pos > 0 else "▶"
            after = activities[pos + 1] if pos + 1 < len(activities) else "■"
            out.append(("inserted", log_label, before, after))
        elif log_label is None and model_label is not None:
            before = activities[pos - 1] if pos > 0 else "▶"
            after = activities[pos] if pos < len(activities) else "■"
            out.append(("skipped", model_label, before, after))
        if log_label is not None:
            pos += 1
    return out


def describe(deviations: Sequence[Deviation]) -> str:
    """One variant's deviations as text: 'skipped B; inserted X (B → X → C)'."""
    return "; ".join(
        f"skipped {s}" if k == "skipped" else f"inserted {s} ({b} → {s} → {a})" for k, s, b, a in deviations
    )


def groups_of(deviations: Sequence[Deviation]) -> list[str]:
    """The table rows one variant counts in: 'skipped|B', 'inserted|X|B|C', 'unexpected|X'."""
    keys = {f"skipped|{s}" for k, s, _, _ in deviations if k == "skipped"}
    keys |= {f"inserted|{s}|{b}|{a}" for k, s, b, a in deviations if k == "inserted"}
    keys |= {f"unexpected|{s}" for k, s, _, _ in deviations if k == "inserted"}
    return sorted(keys)


def lead_time_by_group(cases: ir.Table, mapping: pd.DataFrame) -> pd.DataFrame:
    """Tickets and median lead time per ``group`` of a (variant_key, group) mapping, on the engine
    (``cases``: the case table with ``variant_key`` and ``lead_time``)."""
    if mapping.empty:
        return pd.DataFrame(columns=["group", "tickets", "lead_time_median_seconds", "examples"])
    c = cases.select(CASE, "variant_key", "lead_time")
    m = ibis.memtable(mapping[["variant_key", "group"]].astype(str))
    j = c.join(m, c.variant_key == m.variant_key)
    out = j.group_by("group").aggregate(tickets=j.count(), lead_time_median_seconds=j.lead_time.median()).to_pandas()
    out["tickets"] = out["tickets"].astype("int64")
    ranked = j.mutate(_i=ibis.row_number().over(ibis.window(group_by="group", order_by=[ibis.desc("lead_time"), CASE])))
    ex = ranked.filter(ranked._i < 3).select("group", "_i", CASE).to_pandas().sort_values(["group", "_i"])
    ids = ex.groupby("group")[CASE].agg(lambda s: [str(i) for i in s])
    out["examples"] = [ids.get(g, []) for g in out["group"]]
    return out


@dataclass(frozen=True)
class DeviationTables:
    skipped: pd.DataFrame
    inserted: pd.DataFrame
    unexpected: pd.DataFrame
    conforming_lead_time_median_seconds: float | None


def deviation_tables(cases: ir.Table, groups: pd.DataFrame, conforming: Sequence[str], tickets: int) -> DeviationTables:
    """The ranked tables from ``groups`` (variant_key, group as made by :func:`groups_of`) and the
    variant keys of the ``conforming`` variants, with one engine query for every median."""
    conform = pd.DataFrame({"variant_key": list(conforming), "group": "conforming"})
    lead = lead_time_by_group(cases, pd.concat([groups, conform], ignore_index=True)).set_index("group")
    conf_median = float(lead.loc["conforming", "lead_time_median_seconds"]) if "conforming" in lead.index else None
    variants_per = groups.groupby("group").size() if len(groups) else pd.Series(dtype="int64")

    def table(kind: str) -> pd.DataFrame:
        rows = []
        for key in variants_per.index:
            parts = key.split("|")
            if parts[0] != kind:
                continue
            t, med = int(lead.loc[key, "tickets"]), float(lead.loc[key, "lead_time_median_seconds"])
            row = {"step": parts[1]}
            if kind == "inserted":
                row.update(before=parts[2], after=parts[3])
            row.update(
                tickets=t, variants=int(variants_per[key]), share=t / tickets if tickets else 0.0,
                lead_time_median_seconds=med, conforming_lead_time_median_seconds=conf_median,
                lead_time_difference_seconds=med - conf_median if conf_median is not None else None,
                examples=list(lead.loc[key, "examples"]),
            )  # fmt: skip
            rows.append(row)
        cols = ["step", *(["before", "after"] if kind == "inserted" else []), "tickets", "variants", "share",
                "lead_time_median_seconds", "conforming_lead_time_median_seconds", "lead_time_difference_seconds", "examples"]  # fmt: skip
        df = pd.DataFrame(rows, columns=cols)
        return df.sort_values(["tickets", "step"], ascending=[False, True]).reset_index(drop=True)

    return DeviationTables(table("skipped"), table("inserted"), table("unexpected"), conf_median)
