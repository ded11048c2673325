"""The per-ticket feature table: one row per ticket, one text column per candidate driver.

Candidate drivers (each a text column; a missing value is ``(missing)``):

* every **case attribute** (a source column with at most one value per ticket) by its own name;
* every **event attribute** that changes within tickets (and agent, team, channel, priority,
  customer): its first value (``<col> (first)``) and its most frequent value (``<col> (most)``,
  ties to the earliest);
* **numeric** attributes binned into quantiles (``[a, b)``; ``bins`` of them, default 4);
* the **arrival** of the ticket (its first event) in local time: ``arrival weekday``, ``arrival
  hour`` and ``arrival month`` (the config's calendar zone, else the log's zone);
* the team (else agent) the ticket was **first handed over to** (``team (first handoff)``: the
  second visit of :mod:`cspm.analysis.handoffs.visits`; ``(missing)`` when it never changed hands);
* the **variant** (``variant 1`` = the most frequent activity sequence), the **number of handoffs**
  (changes of team, else of agent, between consecutive events: ``0``, ``1``, ``2``, ``3+``) and,
  for the steps asked for (``FeatureSettings.steps``; :func:`frequent_steps` gives the most frequent,
  at most :data:`~cspm.mining.process_map.MAX_MAP_STEPS` as on the maps), whether each occurred
  (``has <activity>``: ``yes`` / ``no``).

Values with fewer than ``min_support`` tickets are grouped into ``(other)`` (agents, customers and
other high-cardinality attributes), and so are values beyond the ``max_values`` most frequent.
The table is built on the engine once per log and settings (``log.derived``, kind
``driver_features``); :func:`long_features` gives it as (case_id, driver, value) rows.

The **attributes** of a ticket (:data:`ATTRIBUTE_KINDS`: case attributes, first values, arrival time,
first handoff) are known early in its life; the others (most frequent values, variant, number of
handoffs, steps occurred) are shaped by the ticket's whole course and so are often consequences of
an outcome rather than its drivers (``has Investigate`` "explains" ping-pong because only
investigated tickets can bounce).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pandas as pd

from cspm.analysis.handoffs.visits import UNIT, VISIT, visit_table
from cspm.analysis.intervals import activities
from cspm.core.calendar import timestamp_span
from cspm.core.expr import case_window, clean_text, epoch_seconds, small_table
from cspm.core.log import (
    ACTIVITY,
    AGENT,
    CASE,
    ROW,
    SCHEDULE,
    START,
    SUSPENDED,
    TEAM,
    TIMESTAMP,
    TicketLog,
)
from cspm.i18n import N_, weekday_name
from cspm.i18n import gettext as _
from cspm.mining.cases import case_table
from cspm.mining.process_map import MAX_MAP_STEPS

__all__ = ["ATTRIBUTE_KINDS", "FeatureSettings", "Features", "feature_table", "frequent_steps", "long_features",
           "shown_driver", "shown_value"]

MISSING = "(missing)"
OTHER = "(other)"
# the names and values the features are built with, shown in the active language (shown_driver, shown_value)
_SHOWN = (N_("(other)"), N_("yes"), N_("no"), N_("variant"), N_("handoffs"), N_("arrival weekday"), N_("arrival hour"),
          N_("arrival month"), N_("channel"), N_("priority"), N_("team"), N_("agent"))  # fmt: skip
_VARIANT = re.compile(r"variant (\d+)")
_DERIVED = re.compile(r"(.+) \((first|most|first handoff)\)")
_FORMS = {"first": N_("{attribute} (first)"), "most": N_("{attribute} (most)"),
          "first handoff": N_("{attribute} (first handoff)")}  # fmt: skip
ATTRIBUTE_KINDS = ("case attribute", "first value", "arrival (local time)", "first handoff")
"""The kinds of driver known early in a ticket's life (the default candidates of :func:`cspm.drivers`)."""


def shown_driver(name: str) -> str:
    """A driver's name in the active language ('has STEP', 'team (most)'; a step or attribute name from
    the log is data and stays as it is, a name of cspm's own is translated)."""
    if name.startswith("has "):
        return _("has {step}").format(step=name[4:])
    m = _DERIVED.fullmatch(name)
    if m:
        return _(_FORMS[m.group(2)]).format(attribute=_(m.group(1)) if m.group(1) in _SHOWN else m.group(1))
    return _(name) if name in _SHOWN else name


def shown_value(value: object) -> str:
    """A driver's value in the active language ('yes', 'no', '(other)', 'variant 3'; data stays as it is)."""
    text = str(value)
    m = _VARIANT.fullmatch(text)
    if m:
        return _("variant {n}").format(n=m.group(1))
    if text in WEEKDAYS:
        return weekday_name(text)
    return _(text) if text in (OTHER, "yes", "no") else text
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12")
_NOT_ATTRIBUTES = {CASE, ACTIVITY, TIMESTAMP, START, ROW, SCHEDULE, SUSPENDED, "lifecycle"}


@dataclass(frozen=True)
class FeatureSettings:
    """How candidate drivers are formed (see the module docstring)."""

    min_support: int = 20
    max_values: int = 30
    bins: int = 4
    timezone: str = "UTC"
    steps: tuple[str, ...] = ()
    """The activities that get a ``has <activity>`` feature (none by default: they are tested only with
    ``scope="all"`` or when named)."""


@dataclass(frozen=True)
class Features:
    """The per-ticket feature table (``table``, on the engine) and its driver columns in order, with
    what each one is (``kinds``: driver → 'case attribute', 'first value', …)."""

    table: ir.Table
    drivers: tuple[str, ...]
    kinds: dict[str, str]


def feature_table(log: TicketLog, settings: FeatureSettings) -> Features:
    """The feature table of ``log`` (built once per log and settings)."""
    return log.derived.get("driver_features", settings, lambda: _build(log, settings))


def frequent_steps(log: TicketLog, limit: int = MAX_MAP_STEPS) -> tuple[tuple[str, ...], int]:
    """The ``limit`` most frequent activities of ``log`` (by events, ties by name) and the number of
    distinct activities (one query, cached per log)."""
    def build() -> tuple[tuple[str, ...], int]:
        ev = log.events
        counts = ev.group_by(ACTIVITY).aggregate(n=ev.count())
        top = counts.order_by([ibis.desc("n"), ACTIVITY]).limit(limit).to_pandas()
        total = int(counts.count().to_pandas())
        return tuple(str(a) for a in top[ACTIVITY]), total

    return log.derived.get("frequent_steps", limit, build)


def long_features(features: Features) -> ir.Table:
    """The features as rows ``case_id, driver, value`` (one per ticket and driver)."""
    t = features.table
    parts = [t.select(CASE, driver=ibis.literal(d), value=t[d]) for d in features.drivers]
    while len(parts) > 1:  # a balanced tree of unions: a chain of many is too deep for the SQL compiler
        parts = [parts[i].union(parts[i + 1]) if i + 1 < len(parts) else parts[i] for i in range(0, len(parts), 2)]
    return parts[0]


# ------------------------------------------------------------------------------------- build
def _build(log: TicketLog, s: FeatureSettings) -> Features:
    ev = log.events
    cases = case_table(log).select(CASE, "start")
    columns: dict[str, ir.Table] = {}  # driver → (case_id, value)
    kinds: dict[str, str] = {}
    attrs = [c for c in ev.columns if c not in _NOT_ATTRIBUTES and not ev[c].type().is_temporal()]
    varying = _varying(ev, attrs)
    for col in attrs:
        numeric = ev[col].type().is_numeric() and not ev[col].type().is_boolean()
        if col not in varying:
            one = ev.group_by(CASE).aggregate(v=ev[col].max())
            columns[col] = _bin(one, s.bins) if numeric else one
            kinds[col] = "case attribute"
            continue
        # each per-ticket table of a varying attribute materialised on its own: the feature query
        # then joins small tables instead of holding several window passes over the events at once
        # (the diagnosis's memory peak on 1M events: 1.09-1.10 GB -> 0.95-0.97 GB)
        first = _first(ev, col).cache()
        columns[f"{col} (first)"] = _bin(first, s.bins) if numeric else first
        kinds[f"{col} (first)"] = "first value"
        if not numeric:
            columns[f"{col} (most)"] = _most(ev, col).cache()
            kinds[f"{col} (most)"] = "most frequent value"
    for name, table in _arrival(log, cases, s.timezone).items():
        columns[name] = table
        kinds[name] = "arrival (local time)"
    columns["variant"] = _variant(log)
    kinds["variant"] = "variant (1 = most frequent)"
    who = TEAM if log.has_team else AGENT if log.has_agent else None
    if who:
        columns["handoffs"] = _handoffs(ev, who)
        kinds["handoffs"] = f"changes of {who} between consecutive events"
        columns[f"{who} (first handoff)"] = _first_handoff(log, who)
        kinds[f"{who} (first handoff)"] = "first handoff"
    known = set(activities(log)) if s.steps else set()
    steps = [a for a in dict.fromkeys(s.steps) if a in known]
    out = cases.select(CASE)
    for name, t in columns.items():
        t = t.select(CASE, v=clean_text(t.v))
        out = out.left_join(t, CASE).select(out, **{name: t.v})
    if steps:
        occurred = ev.group_by(CASE).aggregate(**{f"has {a}": (ev[ACTIVITY] == a).any() for a in steps})
        out = out.left_join(occurred, CASE).select(
            out, **{c: ibis.ifelse(occurred[c], "yes", "no") for c in occurred.columns if c != CASE}
        )
        kinds.update({f"has {a}": "step occurred" for a in steps})
    names = [c for c in out.columns if c != CASE]
    out = out.mutate(**{c: out[c].fill_null(MISSING) for c in names}).cache()
    return Features(_group_rare(out, names, s).cache(), tuple(names), kinds)


def _varying(ev: ir.Table, attrs: list[str]) -> set[str]:
    """Attributes with more than one value in some ticket."""
    if not attrs:
        return set()
    per = ev.group_by(CASE).aggregate(**{c: ev[c].nunique() for c in attrs})
    top = per.aggregate(**{c: per[c].max() for c in attrs}).to_pandas().iloc[0]
    return {c for c in attrs if pd.notna(top[c]) and int(top[c]) > 1}


def _first(ev: ir.Table, col: str) -> ir.Table:
    e = ev.filter(ev[col].notnull())
    e = e.mutate(_n=ibis.row_number().over(case_window()))
    return e.filter(e._n == 0).select(CASE, v=e[col])


def _most(ev: ir.Table, col: str) -> ir.Table:
    e = ev.filter(ev[col].notnull())
    c = e.group_by([CASE, e[col].name("v")]).aggregate(n=e.count(), _t=e[TIMESTAMP].min(), _r=e[ROW].min())
    w = ibis.window(group_by=c[CASE], order_by=[ibis.desc(c.n), c._t, c._r])
    c = c.mutate(_k=ibis.row_number().over(w))
    return c.filter(c._k == 0).select(CASE, "v")


def _bin(t: ir.Table, bins: int) -> ir.Table:
    """Numeric values as quantile bins ``[a, b)`` (the last closed), cut points on the engine."""
    x = t.v.cast("float64")
    qs = [i / bins for i in range(1, bins)]
    cuts = t.aggregate(**{f"q{i}": x.quantile(q) for i, q in enumerate(qs)}).to_pandas().iloc[0]
    edges = sorted({float(c) for c in cuts if pd.notna(c)})
    lo = t.aggregate(lo=x.min(), hi=x.max()).to_pandas().iloc[0]
    if pd.isna(lo["lo"]):
        return t.select(CASE, v=ibis.null("string"))
    points = [float(lo["lo"]), *[e for e in edges if float(lo["lo"]) < e <= float(lo["hi"])], float(lo["hi"])]
    label = ibis.null("string")
    for a, b in reversed(list(zip(points[:-1], points[1:], strict=True))):
        last = b == points[-1]
        text = f"[{a:g}, {b:g}]" if last else f"[{a:g}, {b:g})"
        inside = (x >= a) & ((x <= b) if last else (x < b))
        label = ibis.ifelse(inside, text, label)
    return t.select(CASE, v=label)


def _arrival(log: TicketLog, cases: ir.Table, timezone: str) -> dict[str, ir.Table]:
    """Local weekday, hour and month of each ticket's first event (an hour table joined on the engine)."""
    span = timestamp_span(log.events, TIMESTAMP)
    if span is None:
        return {}
    start = pd.Timestamp(span[0] - timedelta(days=1), tz="UTC")
    hours = pd.date_range(start, pd.Timestamp(span[1] + timedelta(days=2), tz="UTC"), freq="h", inclusive="left")
    local = hours.tz_convert(ZoneInfo(timezone))
    table = small_table(log.events, pd.DataFrame({
        "_hk": (hours.as_unit("s").asi8 // 3600).astype("int64"),
        "_wd": [WEEKDAYS[d] for d in local.day_of_week],
        "_hr": [f"{h:02d}" for h in local.hour],
        "_mo": [f"{y}-{m:02d}" for y, m in zip(local.year, local.month, strict=True)],
    }))  # fmt: skip
    c = cases.mutate(_hk=(epoch_seconds(cases.start) // 3600).cast("int64"))
    j = c.join(table, "_hk")
    return {
        "arrival weekday": j.select(CASE, v=j._wd),
        "arrival hour": j.select(CASE, v=j._hr),
        "arrival month": j.select(CASE, v=j._mo),
    }


def _variant(log: TicketLog) -> ir.Table:
    c = case_table(log)
    v = c.group_by("variant_key").aggregate(n=c.count())
    v = v.mutate(_rank=ibis.row_number().over(ibis.window(order_by=[ibis.desc(v.n), v.variant_key])) + 1)
    j = c.join(v, "variant_key")
    return j.select(CASE, v=ibis.literal("variant ").concat(j._rank.cast("string")))


def _handoffs(ev: ir.Table, who: str) -> ir.Table:
    e = ev.mutate(_p=ev[who].lag().over(case_window()))
    n = e.group_by(CASE).aggregate(n=(e._p.notnull() & e[who].notnull() & (e[who] != e._p)).cast("int64").sum())
    return n.select(CASE, v=ibis.ifelse(n.n >= 3, "3+", n.n.cast("string")))


def _first_handoff(log: TicketLog, who: str) -> ir.Table:
    """The team (agent) of each ticket's second visit: where it went when it first changed hands."""
    v = visit_table(log, who)
    v = v.filter(v[VISIT] == 2)
    return v.select(CASE, v=v[UNIT])


def _group_rare(t: ir.Table, names: list[str], s: FeatureSettings) -> ir.Table:
    """Values below ``min_support`` tickets, or beyond the ``max_values`` most frequent, → (other)."""
    counts = long_features(Features(t, tuple(names), {}))
    counts = counts.group_by(["driver", "value"]).aggregate(n=counts.count()).to_pandas()
    counts = counts.sort_values(["driver", "n", "value"], ascending=[True, False, True], kind="stable")
    keep: dict[str, list[str]] = {}
    for name, c in counts.groupby("driver", sort=False):
        ok = c[(c["n"] >= s.min_support) | (c["value"] == MISSING)]["value"].head(s.max_values).tolist()
        if len(ok) < len(c):  # some values to group
            keep[str(name)] = ok
    return t.mutate(**{
        n: ibis.ifelse(t[n].isin(v), t[n], OTHER) if v else ibis.literal(OTHER) for n, v in keep.items()
    })  # fmt: skip
