"""How one log is split into the sides of a comparison (each rule is stated in the result).

* **by date** (``split``): a ticket belongs to ``after`` when its first event is at or after 00:00
  of the split date in the business calendar's time zone (``calendar.timezone``), else to
  ``before`` — a ticket is never split, so its waits all count on the side it started on;
* **by group** (``group="column=value"``): the ``pilot`` tickets have at least one event whose
  column equals the value (as text); the ``control`` tickets are those of ``control=`` (same rule),
  or all other tickets. A ticket matching both is a pilot ticket (counted in the notes).
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir

from cspm.core.log import CASE, TIMESTAMP, TicketLog
from cspm.errors import ConfigError
from cspm.i18n import gettext as _

__all__ = ["date_parts", "group_parts", "parse_group", "parse_split", "split_instant"]


def parse_split(value: date | str) -> date:
    """A split date from a date or ISO text ('2024-03-01')."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ConfigError(None, [("split", value, _("expected a date YYYY-MM-DD"))]) from None


def parse_group(value: str | tuple[str, str], key: str, log: TicketLog) -> tuple[str, str]:
    """'column=value' → (column, value); the column must be in the log."""
    if isinstance(value, tuple):
        col, val = value
    else:
        if "=" not in value:
            raise ConfigError(None, [(key, value, _("expected column=value, e.g. team=Pilot"))])
        col, val = (s.strip() for s in value.split("=", 1))
    if col not in log.events.columns:
        raise ConfigError(None, [(key, value, _("the log has no column {col!r}; columns: {names}").format(col=col, names=', '.join(log.events.columns)))])
    return col, val


def split_instant(day: date, timezone: str) -> datetime:
    """00:00 of ``day`` in ``timezone``, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone))


def date_parts(log: TicketLog, day: date, timezone: str, labels: tuple[str, str] = ("before", "after")) -> ir.Table:
    """``case_id, part``: ``labels[1]`` for tickets starting at or after the split, else ``labels[0]``."""
    ev = log.events
    first = ev.group_by(CASE).aggregate(_first=ev[TIMESTAMP].min())
    cut = ibis.literal(split_instant(day, timezone)).cast(ev[TIMESTAMP].type())
    return first.select(CASE, part=ibis.ifelse(first._first >= cut, labels[1], labels[0]))


def group_parts(log: TicketLog, group: tuple[str, str], control: tuple[str, str] | None) -> ir.Table:
    """``case_id, part``: ``pilot`` / ``control`` (tickets in neither are left out)."""
    ev = log.events
    is_pilot = (ev[group[0]].cast("string") == group[1]).fill_null(False)
    aggs = {"_p": is_pilot.any()}
    if control is not None:
        aggs["_c"] = (ev[control[0]].cast("string") == control[1]).fill_null(False).any()
    per = ev.group_by(CASE).aggregate(**aggs)
    ctrl = per._c if control is not None else ibis.literal(True)
    per = per.mutate(part=ibis.cases((per._p, "pilot"), (ctrl, "control"), else_=ibis.null("string")))
    return per.filter(per.part.notnull()).select(CASE, "part")


def cross_parts(groups: ir.Table, dates: ir.Table) -> ir.Table:
    """``pilot/before`` … ``control/after``: the four cells of a difference-in-differences."""
    j = groups.join(dates, CASE)
    return j.select(CASE, part=groups.part + "/" + dates.part)
