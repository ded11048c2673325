"""The ticket process of the simulator: names, step durations, arrivals and the per-case loop.

Everything here works on integer codes and integer Unix seconds; :mod:`cspm.simulate` turns a
:class:`Chunk` into named columns and files. The random streams are numpy ``Generator(PCG64)``
children of one ``SeedSequence``: arrivals and cases draw from separate streams, and every case
gets a fixed block of normals, so the same seed gives the same log whatever is written. The bottleneck waits use antithetic
pairs of normals (z, -z), so their realised median tracks the configured median closely even on
small logs while each wait is still lognormal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from cspm.simulate.clock import BusinessClock

# ---------------------------------------------------------------- activities, teams, attributes
(CREATED, FIRST_RESPONSE, PENDING, REPLIED, ESCALATE, ASSIGN, INVESTIGATE, TRANSFER, REQUEST,
 APPROVE, REJECT, RESUBMIT, MANAGER, RESOLVE, CONFIRM, CLOSE, REOPEN) = range(17)  # fmt: skip

ACTIVITIES_EN = (
    "Ticket created", "First response", "Pending customer", "Customer replied", "Escalate to L2",
    "Assign L2", "Investigate", "Transfer", "Request approval", "Approve", "Reject",
    "Resubmit request", "Manager approval", "Resolve ticket", "Customer confirmation",
    "Close ticket", "Reopen ticket",
)  # fmt: skip
ACTIVITIES_ZH = (
    "创建工单", "首次响应", "等待客户", "客户回复", "升级至二线", "二线受理", "问题排查", "转派",
    "申请审批", "审批通过", "审批驳回", "重新提交", "经理审批", "解决工单", "客户确认", "关闭工单",
    "重开工单",
)  # fmt: skip
CUSTOMER_CODES = frozenset({CREATED, REPLIED, CONFIRM, REOPEN})

SD, TS, BI, NO = range(4)
TEAMS_EN = ("Service Desk", "Tech Support", "Billing", "Network Ops")
TEAMS_ZH = ("一线服务台", "技术支持", "账务组", "网络运维")
TEAM_PREFIX = ("SD", "TS", "BI", "NO")
TEAM_SIZE = (12, 8, 6, 5)
L2_TEAMS = (TS, BI, NO)

CHANNELS_EN = ("phone", "chat", "email", "web")
CHANNELS_ZH = ("电话", "在线客服", "邮件", "网页")
CHANNEL_SHARES = (0.35, 0.25, 0.25, 0.15)
CHANNEL_FIRST_RESPONSE = (0.3, 0.5, 1.4, 1.2)  # factor on the first-response wait

PRIORITIES = ("P1", "P2", "P3", "P4")
PRIORITY_SHARES = (0.05, 0.20, 0.50, 0.25)
PRIORITY_WAIT = (0.25, 0.5, 1.0, 1.6)  # factor on agent waits (not on the bottleneck)

TECHNICAL, BILLING, REFUND, COMPLAINT, ACCOUNT = range(5)
CATEGORIES_EN = ("technical", "billing", "refund", "complaint", "account")
CATEGORIES_ZH = ("技术问题", "账务问题", "退款补偿", "投诉", "账户问题")
CATEGORY_SHARES = (0.40, 0.20, 0.12, 0.13, 0.15)
CATEGORY_ESCALATION = (0.45, 0.35, 0.60, 0.50, 0.25)  # P(escalate to L2) per category
COMPLAINT_COMPENSATION = 0.3  # complaints that ask for compensation (need approval)


def agent_names() -> tuple[list[str], list[tuple[int, int]], list[int], list[int]]:
    """All agent names, each team's range of pool agents, its approver (lead) and its manager."""
    names: list[str] = []
    pools, leads, managers = [], [], []
    for prefix, size in zip(TEAM_PREFIX, TEAM_SIZE, strict=True):
        first = len(names)
        names.extend(f"{prefix}-{k:02d}" for k in range(1, size + 1))
        pools.append((first, size))
        leads.append(len(names))
        names.append(f"{prefix}-LEAD")
        managers.append(len(names))
        names.append(f"{prefix}-MGR")
    return names, pools, leads, managers


# Per agent step: (wait median in business minutes, wait sigma, work median in minutes, work sigma).
_MIN = 60.0
STEPS: dict[int, tuple[float, float, float, float]] = {
    FIRST_RESPONSE: (40.0, 1.0, 4.0, 0.6),
    PENDING: (20.0, 0.8, 2.0, 0.5),
    ESCALATE: (45.0, 0.9, 5.0, 0.5),
    ASSIGN: (0.0, 0.0, 3.0, 0.5),  # the wait is the configured bottleneck
    INVESTIGATE: (60.0, 1.0, 45.0, 0.7),
    TRANSFER: (90.0, 0.9, 3.0, 0.5),
    REQUEST: (30.0, 0.8, 10.0, 0.5),
    APPROVE: (180.0, 0.9, 5.0, 0.5),
    REJECT: (180.0, 0.9, 5.0, 0.5),
    RESUBMIT: (120.0, 0.9, 10.0, 0.5),
    MANAGER: (480.0, 0.8, 5.0, 0.5),
    RESOLVE: (60.0, 0.9, 20.0, 0.6),
    CLOSE: (60.0, 0.8, 2.0, 0.5),
}
SELF_LOOP_STEP = (10.0, 0.8, 30.0, 0.6)  # a second `Investigate` work entry right after the first
SD_RESOLVE_STEP = (20.0, 0.9, 10.0, 0.6)
# Customer events, calendar hours: (median, sigma).
CUSTOMER_STEPS = {REPLIED: (20.0, 1.0), CONFIRM: (10.0, 1.0), REOPEN: (48.0, 0.8)}
NORMALS_PER_CASE = (
    96  # more than the longest case can use (2 per agent event, 1 per customer event)
)

# Arrival seasonality: weekday factor (Mon..Sun) x hour-of-day factor, in local time.
WEEKDAY_FACTOR = (1.25, 1.15, 1.05, 1.0, 0.9, 0.35, 0.25)
HOUR_FACTOR = (
    0.08, 0.05, 0.04, 0.04, 0.05, 0.1, 0.25, 0.6, 1.4, 2.0, 2.1, 1.9,
    1.4, 1.5, 1.7, 1.6, 1.4, 1.1, 0.8, 0.6, 0.45, 0.35, 0.25, 0.15,
)  # fmt: skip


@dataclass(frozen=True)
class Params:
    """The numeric parameters the engine needs (validated by :class:`SimulationSettings`)."""

    seed: int
    start: date
    tickets_per_day: float
    n_customers: int
    bottleneck_median_hours: float
    bottleneck_sigma: float
    skip_first_response: float
    pending_customer: float
    single_transfer: float
    direct_ping_pong: float
    indirect_ping_pong: float
    self_loop: float
    approval_reject: float
    max_approval_rounds: int
    manager_approval_amount: float
    amount_median: float
    reopen: float
    escalation_scale: float
    team_ping_pong: tuple[tuple[int, float], ...] = ()  # (first L2 team, P(direct ping-pong)) drivers


@dataclass
class Chunk:
    """Events of consecutive cases in columnar form (codes and Unix seconds)."""

    case_number: np.ndarray  # per case, 1-based ticket number
    channel: np.ndarray
    priority: np.ndarray
    category: np.ndarray
    customer: np.ndarray
    amount: np.ndarray  # NaN where no amount
    case_of_event: np.ndarray  # per event, index into the per-case arrays
    activity: np.ndarray
    team: np.ndarray
    agent: np.ndarray
    start: np.ndarray
    end: np.ndarray
    truth: list[dict[str, Any]] = field(default_factory=list)
    bottleneck: list[tuple[int, int, int, int, int]] = field(default_factory=list)

    @property
    def n_events(self) -> int:
        return len(self.activity)

    def head(self, n_cases: int) -> Chunk:
        """The first ``n_cases`` cases of this chunk."""
        n_ev = int(np.searchsorted(self.case_of_event, n_cases))
        kept = {c["ticket_number"] for c in self.truth[:n_cases]}
        return Chunk(
            self.case_number[:n_cases], self.channel[:n_cases], self.priority[:n_cases],
            self.category[:n_cases], self.customer[:n_cases], self.amount[:n_cases],
            self.case_of_event[:n_ev], self.activity[:n_ev], self.team[:n_ev],
            self.agent[:n_ev], self.start[:n_ev], self.end[:n_ev], self.truth[:n_cases],
            [b for b in self.bottleneck if b[0] in kept],
        )  # fmt: skip


class Arrivals:
    """Non-homogeneous Poisson arrivals by local weekday and hour, generated a week at a time."""

    def __init__(self, rng: np.random.Generator, tz: ZoneInfo, start: date, per_day: float) -> None:
        self._rng = rng
        self._tz = tz
        weights = np.array([[w * h for h in HOUR_FACTOR] for w in WEEKDAY_FACTOR])
        self._rate = weights / weights.sum() * per_day * 7  # tickets per local hour-of-week
        self._hour = int(datetime.combine(start, time(0), tzinfo=tz).timestamp())
        self._buffer = np.empty(0, dtype=np.int64)

    def _week(self) -> np.ndarray:
        hours = self._hour + 3600 * np.arange(168, dtype=np.int64)
        self._hour += 168 * 3600
        local = pd.to_datetime(hours, unit="s", utc=True).tz_convert(self._tz)
        rate = self._rate[np.asarray(local.dayofweek), np.asarray(local.hour)]
        counts = self._rng.poisson(rate)
        starts = np.repeat(hours, counts)
        return np.sort(starts + self._rng.integers(0, 3600, size=len(starts)))

    def take(self, n: int) -> np.ndarray:
        """The next ``n`` arrival instants (Unix seconds, ascending)."""
        parts = [self._buffer]
        have = len(self._buffer)
        while have < n:
            week = self._week()
            parts.append(week)
            have += len(week)
        allv = np.concatenate(parts)
        self._buffer = allv[n:]
        return allv[:n]


class Engine:
    """Generates cases chunk by chunk; deterministic for a given :class:`Params`."""

    def __init__(self, p: Params, clocks: list[BusinessClock]) -> None:
        self.p = p
        self.clocks = clocks
        arrivals_seq, cases_seq = np.random.SeedSequence(p.seed).spawn(2)
        self.rng = np.random.Generator(np.random.PCG64(cases_seq))
        self.arrivals = Arrivals(
            np.random.Generator(np.random.PCG64(arrivals_seq)), clocks[SD].tz, p.start,
            p.tickets_per_day,
        )  # fmt: skip
        self.agent_names, self.pools, self.leads, self.managers = agent_names()
        self.next_number = 1

    def _draw_attributes(self, n: int) -> dict[str, np.ndarray]:
        p, rng = self.p, self.rng
        u = rng.random((n, 12))
        channel = np.searchsorted(np.cumsum(CHANNEL_SHARES), u[:, 0] * 0.999999, side="right")
        priority = np.searchsorted(np.cumsum(PRIORITY_SHARES), u[:, 1] * 0.999999, side="right")
        category = np.searchsorted(np.cumsum(CATEGORY_SHARES), u[:, 2] * 0.999999, side="right")
        escalate = u[:, 3] < np.minimum(
            np.asarray(CATEGORY_ESCALATION)[category] * p.escalation_scale, 1.0
        )
        # first L2 team by category
        first = np.full(n, TS)
        first[category == TECHNICAL] = np.where(u[category == TECHNICAL, 4] < 0.7, TS, NO)
        first[(category == BILLING) | (category == REFUND)] = BI
        first[category == COMPLAINT] = np.where(u[category == COMPLAINT, 4] < 0.5, TS, BI)
        # transfer pattern (only used when escalated): 0 none, 1 single, 2 direct, 3 indirect
        t = u[:, 5]
        kind = np.zeros(n, dtype=np.int64)
        kind[t < p.direct_ping_pong + p.indirect_ping_pong + p.single_transfer] = 1
        kind[t < p.direct_ping_pong + p.indirect_ping_pong] = 3
        kind[t < p.direct_ping_pong] = 2
        for team, rate in p.team_ping_pong:  # an injected ping-pong driver (cspm.simulate.drivers)
            sel = first == team
            kind[sel] = np.where(t[sel] < rate, 2, np.where(t[sel] < rate + p.single_transfer, 1, 0))
        needs_approval = (category == REFUND) | (
            (category == COMPLAINT) & (u[:, 6] < COMPLAINT_COMPENSATION)
        )
        amount = np.round(p.amount_median * np.exp(rng.standard_normal(n)), 2)
        amount = np.where(needs_approval, amount, np.nan)
        rounds = np.minimum(rng.geometric(1.0 - p.approval_reject, size=n), p.max_approval_rounds)
        agents = np.stack(
            [rng.integers(0, size, size=n) + first_idx for first_idx, size in self.pools], axis=1
        )
        return {
            "channel": channel, "priority": priority, "category": category,
            "customer": rng.integers(1, p.n_customers + 1, size=n), "amount": amount,
            "escalate": escalate, "first": first, "kind": kind, "other": u[:, 7] < 0.5,
            "skip": u[:, 8] < p.skip_first_response, "pending": u[:, 9] < p.pending_customer,
            "reopen": u[:, 10] < p.reopen, "self_loop": u[:, 11] < p.self_loop,
            "rounds": np.where(needs_approval, rounds, 0), "agents": agents,
        }  # fmt: skip

    def chunk(self, n: int, block: int = 0) -> Chunk:
        """Generate the next ``n`` cases; random numbers are drawn for ``max(n, block)`` cases."""
        p = self.p
        m = max(n, block)
        at = {k: v[:n] for k, v in self._draw_attributes(m).items()}
        z = self.rng.standard_normal((m, NORMALS_PER_CASE))[:n].tolist()
        half = self.rng.standard_normal(m // 2 + 1)
        bz = np.stack([half, -half], axis=1).ravel().tolist()  # antithetic pairs
        bi = 0
        arrivals = self.arrivals.take(n).tolist()
        clocks = self.clocks
        leads, managers = self.leads, self.managers
        bott_median = p.bottleneck_median_hours * 3600.0
        bott_sigma = p.bottleneck_sigma
        exp = math.exp

        acts: list[int] = []
        teams: list[int] = []
        agents: list[int] = []
        starts: list[int] = []
        ends: list[int] = []
        case_of: list[int] = []
        truth: list[dict[str, Any]] = []
        bottleneck: list[tuple[int, int, int, int, int]] = []

        cols = {k: v.tolist() for k, v in at.items() if k != "agents"}
        agent_rows = at["agents"].tolist()
        first_number = self.next_number
        self.next_number += n
        for i in range(n):
            zi = z[i]
            k = 0
            prio = PRIORITY_WAIT[cols["priority"][i]]
            ag = agent_rows[i]
            number = first_number + i

            def agent_event(act: int, team: int, who: int, t: int, step: tuple[float, float, float, float],
                            factor: float = 1.0, zi: list[float] = zi) -> int:  # fmt: skip
                nonlocal k
                wm, ws, pm, ps = step
                wait = max(1, int(wm * _MIN * factor * exp(ws * zi[k]) + 0.5))
                work = max(1, int(pm * _MIN * exp(ps * zi[k + 1]) + 0.5))
                k += 2
                clock = clocks[team]
                s = clock.advance(t, wait)
                e = clock.advance(s, work)
                acts.append(act)
                teams.append(team)
                agents.append(who)
                starts.append(s)
                ends.append(e)
                return e

            def customer_event(act: int, team: int, who: int, t: int, zi: list[float] = zi) -> int:
                nonlocal k
                med, sig = CUSTOMER_STEPS[act]
                e = t + max(1, int(med * 3600.0 * exp(sig * zi[k]) + 0.5))
                k += 1
                acts.append(act)
                teams.append(team)
                agents.append(who)
                starts.append(e)
                ends.append(e)
                return e

            first_ev = len(acts)
            sd_agent = ag[SD]
            t = arrivals[i]
            acts.append(CREATED)
            teams.append(SD)
            agents.append(sd_agent)
            starts.append(t)
            ends.append(t)
            skipped = cols["skip"][i]
            if not skipped:
                t = agent_event(FIRST_RESPONSE, SD, sd_agent, t, STEPS[FIRST_RESPONSE],
                                prio * CHANNEL_FIRST_RESPONSE[cols["channel"][i]])  # fmt: skip
            if cols["pending"][i]:
                t = agent_event(PENDING, SD, sd_agent, t, STEPS[PENDING], prio)
                t = customer_event(REPLIED, SD, sd_agent, t)
            escalated = cols["escalate"][i]
            kind = cols["kind"][i] if escalated else 0
            pairs: list[list[int]] = []
            owner, owner_agent = SD, sd_agent
            if escalated:
                t = agent_event(ESCALATE, SD, sd_agent, t, STEPS[ESCALATE], prio)
                a = cols["first"][i]
                others = [x for x in L2_TEAMS if x != a]
                b, c = (others[0], others[1]) if cols["other"][i] else (others[1], others[0])
                escalated_at = t
                wait = max(1, int(bott_median * exp(bott_sigma * bz[bi]) + 0.5))
                bi += 1
                work = max(1, int(STEPS[ASSIGN][2] * _MIN * exp(STEPS[ASSIGN][3] * zi[k]) + 0.5))
                k += 1
                clock = clocks[a]
                s = clock.advance(t, wait)
                t = clock.advance(s, work)
                acts.append(ASSIGN)
                teams.append(a)
                agents.append(ag[a])
                starts.append(s)
                ends.append(t)
                bottleneck.append((number, wait, work, s - escalated_at, t - escalated_at))
                t = agent_event(INVESTIGATE, a, ag[a], t, STEPS[INVESTIGATE], prio)
                if cols["self_loop"][i]:
                    t = agent_event(INVESTIGATE, a, ag[a], t, SELF_LOOP_STEP, prio)
                route = {0: [], 1: [b], 2: [b, a], 3: [b, c, a]}[kind]
                for team in route:
                    t = agent_event(TRANSFER, team, ag[team], t, STEPS[TRANSFER], prio)
                    t = agent_event(INVESTIGATE, team, ag[team], t, STEPS[INVESTIGATE], prio)
                if kind in (2, 3):
                    pairs.append([a, b])
                owner = route[-1] if route else a
                owner_agent = ag[owner]
            rounds = cols["rounds"][i]
            for r in range(rounds):
                if r:
                    t = agent_event(RESUBMIT, owner, owner_agent, t, STEPS[RESUBMIT], prio)
                t = agent_event(REQUEST, owner, owner_agent, t, STEPS[REQUEST], prio)
                verdict = REJECT if r < rounds - 1 else APPROVE
                t = agent_event(verdict, owner, leads[owner], t, STEPS[verdict])
            if rounds and cols["amount"][i] >= p.manager_approval_amount:
                t = agent_event(MANAGER, owner, managers[owner], t, STEPS[MANAGER])
            resolve_step = SD_RESOLVE_STEP if owner == SD else STEPS[RESOLVE]
            t = agent_event(RESOLVE, owner, owner_agent, t, resolve_step, prio)
            t = customer_event(CONFIRM, owner, owner_agent, t)
            t = agent_event(CLOSE, owner, owner_agent, t, STEPS[CLOSE], prio)
            reopened = cols["reopen"][i]
            if reopened:
                t = customer_event(REOPEN, owner, owner_agent, t)
                t = agent_event(INVESTIGATE, owner, owner_agent, t, STEPS[INVESTIGATE], prio)
                t = agent_event(RESOLVE, owner, owner_agent, t, resolve_step, prio)
                t = customer_event(CONFIRM, owner, owner_agent, t)
                t = agent_event(CLOSE, owner, owner_agent, t, STEPS[CLOSE], prio)

            case_acts = acts[first_ev:]
            case_teams = teams[first_ev:]
            case_of.extend([i] * len(case_acts))
            seen: set[int] = set()
            rework = loops = 0
            prev = -1
            for act in case_acts:
                if act == prev:
                    loops += 1
                elif act in seen:
                    rework += 1
                seen.add(act)
                prev = act
            collapsed = [case_teams[0]]
            for team in case_teams:
                if team != collapsed[-1]:
                    collapsed.append(team)
            truth.append({
                "ticket_number": number,
                "n_events": len(case_acts),
                "ping_pong_kind": {2: "direct", 3: "indirect"}.get(kind),
                "ping_pong_teams": pairs,
                "teams": collapsed,
                "approval_rounds": rounds,
                "rework_repetitions": rework,
                "self_loops": loops,
                "reopened": reopened,
                "first_contact_resolution": not escalated,
                "skipped_first_response": skipped,
                "escalated": escalated,
                "transferred": kind > 0,
            })  # fmt: skip

        return Chunk(
            case_number=np.arange(first_number, first_number + n, dtype=np.int64),
            channel=at["channel"], priority=at["priority"], category=at["category"],
            customer=at["customer"], amount=at["amount"],
            case_of_event=np.asarray(case_of, dtype=np.int64),
            activity=np.asarray(acts, dtype=np.int8), team=np.asarray(teams, dtype=np.int8),
            agent=np.asarray(agents, dtype=np.int16), start=np.asarray(starts, dtype=np.int64),
            end=np.asarray(ends, dtype=np.int64), truth=truth, bottleneck=bottleneck,
        )  # fmt: skip
