"""Lifecycle transitions (IEEE 1849 standard lifecycle) → activity instances, on DuckDB.

The standard lifecycle of one activity instance: ``schedule`` → ``assign`` (``reassign``) →
``start`` → (``suspend`` → ``resume``)* → ``complete``; an instance may instead end with
``withdraw``, ``autoskip`` / ``manualskip`` (before it starts), ``ate_abort`` (after it starts) or
``pi_abort`` (the case is aborted). Every one of these is a valid event; none is rejected.

Pairing (``lifecycle="pair"``, the default) turns the rows of one activity in one case into
activity instances, taking the rows in time order (ties: lifecycle order, then file order):

* **work**: the k-th ``start`` pairs with the k-th ``complete`` / ``ate_abort`` / ``pi_abort``
  that has a start open before it (first in, first out); a close with no start open is an instance
  of its own (a log that records only completions);
* **queue**: a ``schedule`` row, or an ``assign`` / ``reassign`` row not directly preceded by
  another of the three, opens a queue; the k-th open queue is closed by the k-th ``start`` (or
  ``withdraw`` / ``autoskip`` / ``manualskip``, or a close with no start open) after it. Further
  ``assign`` / ``reassign`` rows of an open queue are folded into it;
* **suspension**: the k-th ``suspend`` pairs with the k-th ``resume`` after it; a suspension
  belongs to the started instance running when it began (the earliest-started one if several
  are); a suspension not resumed before the instance ends lasts until the end. Suspend/resume
  rows outside every started instance stay events of their own.

Each instance becomes one event: ``timestamp`` = its last row (the close; the start for a start
that never closes; the queue row for a queue that never closes), ``start_timestamp`` = its start,
``schedule_timestamp`` = the row that opened its queue, ``suspended_seconds`` = its suspended time.
So **queue time** = ``start_timestamp − schedule_timestamp`` and **work time** = ``timestamp −
start_timestamp − suspended_seconds``. Other attributes come from the closing row, else the start,
else the queue row; the lifecycle column keeps the transition that ended the instance. A row with
an empty transition is read as ``complete`` (the XES convention); a transition outside the standard
is kept as an event of its own. Concurrent instances of one activity in one case are matched first
in, first out.

``lifecycle="keep"``: every row is an event and the activity is the name joined with the
transition (``Review + start``), as an XES classifier ``concept:name lifecycle:transition`` does.
"""

from __future__ import annotations

from typing import Any

from cspm.core.engine import unique_name
from cspm.core.log import ACTIVITY, CASE, ROW, SCHEDULE, START, SUSPENDED, TIMESTAMP
from cspm.ingest.raw import lit, q

STANDARD = (
    "schedule", "assign", "reassign", "start", "suspend", "resume",
    "autoskip", "manualskip", "withdraw", "ate_abort", "pi_abort", "complete",
)  # fmt: skip
SYNONYMS = {"started": "start", "begin": "start", "completed": "complete", "end": "complete",
            "done": "complete", "finish": "complete"}  # fmt: skip
QUEUE = ("schedule", "assign", "reassign")
WORK_CLOSE = ("complete", "ate_abort", "pi_abort")
QUEUE_CLOSE = ("withdraw", "autoskip", "manualskip")
# what pairing can join: without any of these every row is an instance of its own
PAIRABLE = (*QUEUE, "start", "suspend", "resume")
OTHER = "__other"
# order of transitions at the same timestamp
_PHASE = {"schedule": 0, "assign": 1, "reassign": 1, "start": 2, "suspend": 3, "resume": 4}
TRANSITION = "__t"  # the normalised transition column while reading


def transition_sql(value: str) -> str:
    """SQL normalising a lifecycle value: lower case, synonyms, empty → complete, unknown → __other."""
    x = f"lower(trim(CAST({value} AS VARCHAR)))"
    syn = " ".join(f"WHEN {x} = {lit(k)} THEN {lit(v)}" for k, v in SYNONYMS.items())
    std = ", ".join(lit(t) for t in STANDARD)
    return (
        f"CASE WHEN {x} IS NULL OR {x} = '' THEN 'complete' {syn} "
        f"WHEN {x} IN ({std}) THEN {x} ELSE {lit(OTHER)} END"
    )


def transition_counts(raw: Any, events: str, column: str) -> dict[str, int]:
    """Rows per lifecycle value as written (lower case, trimmed; empty → '(empty)'), in the order of
    the standard lifecycle, then the others by name."""
    rows = raw.execute(
        f"SELECT coalesce(NULLIF(lower(trim(CAST({q(column)} AS VARCHAR))), ''), '(empty)'), count(*) "
        f"FROM {events} GROUP BY 1"
    ).fetchall()
    rank = {t: i for i, t in enumerate(STANDARD)}

    def key(item: tuple[str, int]) -> tuple[int, str]:
        name = SYNONYMS.get(item[0], item[0])
        return rank.get(name, len(rank)), item[0]

    return {str(t): int(n) for t, n in sorted(rows, key=key)}


def _stream(raw: Any, name: str, rows: str, *, openers: bool = True, zeros: bool = False) -> None:
    """Table ``name`` from ``rows`` (columns r, p, ts, t, ph, d: +1 opens, −1 closes, 0 neither —
    only with ``zeros``) with ``alone`` (a close with nothing open: the open count would drop below
    zero) and ``k`` (the opener's number, or the number of the close among those that found
    something open).

    With R = Σd (running, per partition) and n the number of opens and closes so far, opens so far =
    (n + R) / 2 and closes so far = (n − R) / 2. When R never drops below zero no close is alone;
    otherwise, with M the running minimum of R, a close is alone when R < min(0, M before it), and
    max(0, −M) closes so far were alone.
    """
    if not openers:  # nothing opens: every close is alone
        raw.execute(f"CREATE TEMP TABLE {name} AS SELECT r, p, ts, t, ph, d, d = -1 AS alone, NULL::BIGINT AS k FROM ({rows})")
        return
    win = "PARTITION BY p ORDER BY ts, ph, r"
    n = f"sum(abs(d)) OVER ({win} ROWS UNBOUNDED PRECEDING)" if zeros else f"row_number() OVER ({win})"
    raw.execute(
        f"CREATE TEMP TABLE {name}_1 AS SELECT *, sum(d) OVER ({win} ROWS UNBOUNDED PRECEDING) AS run, {n} AS n "
        f"FROM ({rows})"
    )
    if raw.execute(f"SELECT coalesce(min(run), 0) >= 0 FROM {name}_1").fetchone()[0]:
        raw.execute(
            f"CREATE TEMP TABLE {name} AS SELECT r, p, ts, t, ph, d, false AS alone, CASE WHEN d = 1 THEN (n + run) // 2 "
            f"WHEN d = -1 THEN (n - run) // 2 END AS k FROM {name}_1"
        )
    else:
        raw.execute(
            f"""CREATE TEMP TABLE {name} AS
            SELECT r, p, ts, t, ph, d, alone,
                   CASE WHEN d = 1 THEN (n + run) // 2
                        WHEN d = -1 AND NOT alone THEN (n - run) // 2 - greatest(0, -least(0, m)) END AS k
            FROM (SELECT *, d = -1 AND run < least(0, coalesce(m_before, 0)) AS alone
                  FROM (SELECT *, min(run) OVER ({win} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS m_before,
                               min(run) OVER ({win} ROWS UNBOUNDED PRECEDING) AS m
                        FROM {name}_1))"""
        )
    raw.execute(f"DROP TABLE {name}_1")


def _matched(name: str) -> str:
    """k-th opener ↔ k-th close that found something open (first in, first out): rows (o_r, x_r)."""
    return (
        f"SELECT o.r AS o_r, x.r AS x_r FROM (SELECT p, k, r FROM {name} WHERE d = 1) o "
        f"LEFT JOIN (SELECT p, k, r FROM {name} WHERE d = -1 AND NOT alone) x ON o.p = x.p AND o.k = x.k"
    )


def pair_instances(
    raw: Any, events: str, lifecycle_column: str, present: set[str]
) -> tuple[str, dict[str, Any]]:
    """Join the lifecycle rows of ``events`` (with the normalised ``__t`` column) into activity
    instances (see the module docstring); ``lifecycle_column`` (the lifecycle values as read, in
    ``events``) keeps the closing row's value; ``present``: the normalised transitions the rows
    have (a step whose transitions are absent is skipped). Returns the new table and what was done."""
    has_queue, has_start = bool(present & set(QUEUE)), "start" in present
    has_suspend = bool(present & {"suspend", "resume"})
    cols = [c[0] for c in raw.execute(f"DESCRIBE {events}").fetchall()]
    attrs = [c for c in cols if c not in (ROW, CASE, ACTIVITY, TIMESTAMP, TRANSITION)]
    phase = "CASE __t " + " ".join(f"WHEN {lit(t)} THEN {p}" for t, p in _PHASE.items()) + " ELSE 5 END"
    t = unique_name("lc")
    work_close = ", ".join(lit(x) for x in WORK_CLOSE)
    queue = ", ".join(lit(x) for x in QUEUE)
    # one integer p per (case, activity): the windows below partition by it
    raw.execute(
        f"CREATE TEMP TABLE {t}_b AS SELECT e.{ROW} AS r, k.p, e.{TIMESTAMP} AS ts, e.__t AS t, {phase} AS ph "
        f"FROM {events} e JOIN (SELECT {CASE}, {ACTIVITY}, row_number() OVER () AS p FROM "
        f"(SELECT DISTINCT {CASE}, {ACTIVITY} FROM {events})) k USING ({CASE}, {ACTIVITY})"
    )
    # work: start opens, complete/ate_abort/pi_abort closes
    _stream(
        raw, f"{t}_w",
        f"SELECT *, CASE WHEN t = 'start' THEN 1 ELSE -1 END AS d FROM {t}_b WHERE t = 'start' OR t IN ({work_close})",
        openers=has_start,
    )  # fmt: skip
    raw.execute(f"CREATE TEMP TABLE {t}_wm AS {_matched(t + '_w')}")
    # queue: schedule (and a first assign/reassign) opens; start, withdraw/skips and lone closes close
    closes = (
        f"SELECT r, p, ts, t, ph FROM {t}_w WHERE alone UNION ALL SELECT r, p, ts, t, ph FROM {t}_b "
        f"WHERE t IN ({', '.join(lit(x) for x in QUEUE_CLOSE)})"
    )
    if has_queue:
        _stream(
            raw, f"{t}_q",
            f"SELECT r, p, ts, t, ph, CASE WHEN q AND (t = 'schedule' OR NOT coalesce(prev_q, false)) THEN 1 "
            f"WHEN q THEN 0 ELSE -1 END AS d FROM (SELECT *, t IN ({queue}) AS q, lag(t IN ({queue})) OVER "
            f"(PARTITION BY p ORDER BY ts, ph, r) AS prev_q FROM ({closes} UNION ALL SELECT r, p, ts, t, ph "
            f"FROM {t}_b WHERE t IN ({queue}, 'start')))",
            zeros=True,
        )  # fmt: skip
    else:
        _stream(raw, f"{t}_q", f"SELECT *, -1 AS d FROM ({closes})", openers=False)
    raw.execute(f"CREATE TEMP TABLE {t}_qm AS {_matched(t + '_q')}")
    # instances: (end row, start row, queue row)
    raw.execute(
        f"""CREATE TEMP TABLE {t}_i AS
        SELECT coalesce(wm.x_r, wm.o_r) AS end_r, wm.o_r AS s_r, qm.o_r AS o_r
          FROM {t}_wm wm LEFT JOIN {t}_qm qm ON qm.x_r = wm.o_r
        UNION ALL
        SELECT q.r, NULL, qm.o_r FROM {t}_q q LEFT JOIN {t}_qm qm ON qm.x_r = q.r WHERE q.d = -1 AND q.t <> 'start'
        UNION ALL
        SELECT o_r, NULL, o_r FROM {t}_qm WHERE x_r IS NULL
        UNION ALL
        SELECT r, NULL, NULL FROM {t}_b WHERE t = {lit(OTHER)}"""
    )
    # suspensions (suspend ↔ resume, FIFO), each given to the started instance running when it began
    if has_suspend:
        _stream(
            raw, f"{t}_s",
            f"SELECT *, CASE WHEN t = 'suspend' THEN 1 ELSE -1 END AS d FROM {t}_b WHERE t IN ('suspend', 'resume')",
        )  # fmt: skip
        raw.execute(
            f"""CREATE TEMP TABLE {t}_h AS
            WITH m AS ({_matched(t + '_s')}),
                 iv AS (SELECT m.o_r, m.x_r, s.p, s.ts AS s_ts, e.ts AS e_ts FROM m JOIN {t}_b s ON s.r = m.o_r
                        LEFT JOIN {t}_b e ON e.r = m.x_r),
                 inst AS (SELECT i.s_r, st.p, st.ts AS st_ts, en.ts AS en_ts FROM {t}_i i
                          JOIN {t}_b st ON st.r = i.s_r JOIN {t}_b en ON en.r = i.end_r
                          WHERE st.p IN (SELECT p FROM iv)),
                 hit AS (SELECT iv.o_r, iv.x_r, inst.s_r,
                                epoch(least(coalesce(iv.e_ts, inst.en_ts), inst.en_ts)) - epoch(iv.s_ts) AS sec,
                                row_number() OVER (PARTITION BY iv.o_r ORDER BY inst.st_ts, inst.s_r) AS pick
                         FROM iv JOIN inst ON iv.p = inst.p AND inst.st_ts <= iv.s_ts AND iv.s_ts <= inst.en_ts)
            SELECT o_r, x_r, s_r, sec FROM hit WHERE pick = 1"""
        )
        raw.execute(f"CREATE TEMP TABLE {t}_sp AS SELECT s_r, sum(sec) AS sec FROM {t}_h GROUP BY s_r")
        # suspend/resume rows outside every started instance stay events of their own
        raw.execute(
            f"INSERT INTO {t}_i SELECT r, NULL, NULL FROM {t}_s WHERE r NOT IN (SELECT o_r FROM {t}_h) "
            f"AND r NOT IN (SELECT x_r FROM {t}_h WHERE x_r IS NOT NULL)"
        )
    else:
        raw.execute(f"CREATE TEMP TABLE {t}_h (o_r BIGINT, x_r BIGINT, s_r BIGINT, sec DOUBLE)")
        raw.execute(f"CREATE TEMP TABLE {t}_sp (s_r BIGINT, sec DOUBLE)")
    n = raw.execute(
        f"SELECT (SELECT count(*) FROM {t}_i WHERE s_r IS NOT NULL), (SELECT count(*) FROM {t}_i WHERE o_r IS NOT NULL), "
        f"(SELECT count(*) FROM {t}_sp), (SELECT sum(sec) FROM {t}_sp), (SELECT count(*) FROM {t}_h), "
        f"(SELECT count(*) FROM {t}_q WHERE d = 0)"
    ).fetchone()
    started, queued, suspended_instances = (int(v) for v in n[:3])
    suspended_total, suspensions, folded_assign = float(n[3] or 0), int(n[4]), int(n[5])
    select = [f"e.{ROW}", f"e.{CASE}", f"e.{ACTIVITY}", f"e.{TIMESTAMP}"]
    if started:
        select.append(f"st.{TIMESTAMP} AS {START}")
    if queued:
        select.append(f"o.{TIMESTAMP} AS {SCHEDULE}")
    if suspended_instances:
        select.append(f"CASE WHEN i.s_r IS NOT NULL THEN coalesce(sp.sec, 0) END AS {SUSPENDED}")
    joined = ["e", *(["st"] if started else []), *(["o"] if queued else [])]
    select += [
        f"e.{q(c)} AS {q(c)}" if c == lifecycle_column or len(joined) == 1
        else f"coalesce({', '.join(f'{j}.{q(c)}' for j in joined)}) AS {q(c)}"
        for c in attrs
    ]  # fmt: skip
    select += [
        "e.__t AS __end",
        "coalesce(i.s_r <> i.end_r, false) AS __work",
        "coalesce(i.s_r = i.end_r, false) AS __open_start",
        "coalesce(i.o_r <> i.end_r, false) AS __queue",
        "coalesce(i.o_r = i.end_r, false) AS __queue_only",
    ]
    paired = unique_name("events")
    joins = f"FROM {t}_i i JOIN {events} e ON e.{ROW} = i.end_r"
    joins += f" LEFT JOIN {events} st ON st.{ROW} = i.s_r" if started else ""
    joins += f" LEFT JOIN {events} o ON o.{ROW} = i.o_r" if queued else ""
    joins += f" LEFT JOIN {t}_sp sp ON sp.s_r = i.s_r" if suspended_instances else ""
    raw.execute(f"CREATE TABLE {paired} AS SELECT {', '.join(select)} {joins} ORDER BY e.{ROW}")
    row = raw.execute(
        f"SELECT count(*), count(*) FILTER (WHERE __work), count(*) FILTER (WHERE __open_start), "
        f"count(*) FILTER (WHERE __queue), count(*) FILTER (WHERE __queue_only), "
        f"count(*) FILTER (WHERE __end = 'complete' AND NOT __work AND NOT __open_start) FROM {paired}"
    ).fetchone()
    ended = dict(
        raw.execute(
            f"SELECT CASE WHEN __open_start THEN 'start (never closed)' WHEN __queue_only THEN __end || ' (never started)' "
            "WHEN __end IN ('suspend', 'resume') THEN __end || ' (outside a started instance)' "
            f"WHEN __end = {lit(OTHER)} THEN 'other' ELSE __end END, count(*) FROM {paired} "
            "GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
    )
    for col in ("__end", "__work", "__open_start", "__queue", "__queue_only"):
        raw.execute(f"ALTER TABLE {paired} DROP COLUMN {col}")
    for suffix in ("b", "w", "wm", "q", "qm", "i", "s", "h", "sp"):  # (s only with suspensions)
        raw.execute(f"DROP TABLE IF EXISTS {t}_{suffix}")
    raw.execute(f"DROP TABLE {events}")
    return paired, {
        "activity_instances": int(row[0]),
        "start_to_end": int(row[1]),
        "start_without_end": int(row[2]),
        "with_queue": int(row[3]),
        "queue_without_start": int(row[4]),
        "end_without_start": int(row[5]),
        "assign_folded_into_queue": folded_assign,
        "suspended_instances": suspended_instances,
        "suspensions": suspensions,
        "suspended_seconds": suspended_total,
        "suspend_resume_outside_instances": int(
            sum(v for k, v in ended.items() if str(k).startswith(("suspend ", "resume ")))
        ),
        "ended_by": {str(k): int(v) for k, v in ended.items()},
    }
