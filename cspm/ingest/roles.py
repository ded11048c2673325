"""Column roles from headers: XES keys, ServiceNow, Zendesk, Jira, Freshdesk and Chinese exports.

An explicit mapping always wins; detection fills in the rest and reports what it chose.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Synonyms per role, best first. Headers are compared after normalisation (lower case, separators
# `_ - . : /` and spaces collapsed to one space).
SYNONYMS: dict[str, list[str]] = {
    "case_id": [
        "case concept name", "case id", "caseid", "case", "ticket id", "ticketid", "ticket number",
        "ticket no", "ticket", "incident id", "incident number", "incident", "number", "issue key",
        "issue id", "key", "request id", "documentkey", "document key", "conversation id", "id",
        "工单号", "工单编号", "单号", "工单id", "工单", "案例编号", "事件编号", "服务单号",
    ],
    "timestamp": [
        "time timestamp", "timestamp", "complete timestamp", "end timestamp", "event time",
        "event timestamp", "completed at", "end time", "performed at", "occurred at", "changed at",
        "sys updated on", "sys created on", "updated at", "updated", "created at", "created",
        "datetime", "date time", "time", "date", "ts",
        "操作时间", "处理时间", "结束时间", "完成时间", "发生时间", "记录时间", "时间",
    ],
    "start_timestamp": [
        "start timestamp", "start time", "started at", "start date", "start", "开始时间",
    ],
    "activity": [
        "concept name", "activity", "activity name", "event name", "event", "action", "step",
        "task", "to status", "new status", "status", "state", "incident state", "stage", "to",
        "newvalue", "new value", "act",
        "处理环节", "环节", "活动", "节点", "状态", "操作", "动作", "步骤",
    ],
    "agent": [
        "org resource", "resource", "agent", "agent name", "assignee", "assigned to", "performer",
        "operator", "responder", "user", "owner", "author", "sys updated by", "updated by",
        "处理人", "坐席", "客服", "操作人", "经办人", "处理人员",
    ],
    "team": [
        "org group", "team", "group", "assignment group", "queue", "support group", "workgroup",
        "group name", "department",
        "处理组", "处理部门", "部门", "班组", "队列", "组别",
    ],
    "lifecycle": ["lifecycle transition", "lifecycle", "transition", "event type"],
    "channel": ["channel", "contact type", "via", "source", "origin", "渠道", "来源"],
    "priority": ["priority", "urgency", "severity", "优先级", "紧急程度"],
    "customer": [
        "customer", "customer id", "requester", "requester id", "caller", "caller id", "contact",
        "客户", "客户编号", "客户id",
    ],
}  # fmt: skip
REQUIRED = ("case_id", "activity", "timestamp")
# Assignment order: specific roles first, so that e.g. "start time" is not taken as the timestamp.
ORDER = ("case_id", "start_timestamp", "timestamp", "activity", "agent", "team", "lifecycle",
         "channel", "priority", "customer")  # fmt: skip
# Columns that carry a status change in changelog/audit exports (Jira, ServiceNow sys_audit).
FIELD_COLUMNS = ("field", "fieldname", "field name", "字段")
STATUS_FIELDS = ("status", "state", "incident state", "incident_state", "状态")
_SEP = re.compile(r"[\s_\-.:/]+")


def normalise(header: str) -> str:
    return _SEP.sub(" ", header.strip().lower()).strip()


def candidates(role: str, columns: list[str]) -> list[tuple[int, str]]:
    """(rank, column) pairs matching the role's synonyms, best (lowest rank) first."""
    found = []
    for col in columns:
        norm = normalise(col)
        for rank, syn in enumerate(SYNONYMS[role]):
            if norm == syn:
                found.append((rank, col))
                break
            if not syn.isascii() and syn in norm and len(syn) >= 2:
                found.append((rank + 100, col))  # a Chinese keyword inside a longer header
                break
    return sorted(found)


def detect(
    columns: list[str],
    given: dict[str, str | list[str] | None],
    accepts: dict[str, Callable[[str], bool]] | None = None,
) -> tuple[dict[str, str | list[str]], list[str], dict[str, list[str]]]:
    """Assign roles to columns.

    Returns the mapping, the roles that were detected (not given), and the candidates per required
    role (for the error message when something required is missing or ambiguous).
    ``accepts[role](column)`` may veto a candidate by content (e.g. a timestamp column must parse).
    """
    accepts = accepts or {}
    mapping: dict[str, str | list[str]] = {k: v for k, v in given.items() if v}
    used = set()
    for v in mapping.values():
        used.update([v] if isinstance(v, str) else v)
    detected: list[str] = []
    all_candidates: dict[str, list[str]] = {}
    for role in ORDER:
        cands = candidates(role, columns)
        all_candidates[role] = [c for _, c in cands][:3]
        if role in mapping:
            continue
        free = [(r, c) for r, c in cands if c not in used]
        check = accepts.get(role)
        if check and len(free) > 1:
            # content decides between several header matches; a lone match is kept so that its
            # parse error (naming the column) reaches the user
            free = [(r, c) for r, c in free if check(c)] or free[:1]
        if not free:
            continue
        if len(free) > 1 and free[0][0] == free[1][0] and role in REQUIRED:
            mapping[role] = ["__ambiguous__", free[0][1], free[1][1]]
            continue
        mapping[role] = free[0][1]
        used.add(free[0][1])
        detected.append(role)
    return mapping, detected, {r: all_candidates[r] for r in REQUIRED}


def field_column(columns: list[str]) -> str | None:
    """The 'field' column of a changelog/audit export, if there is one."""
    for col in columns:
        if normalise(col) in FIELD_COLUMNS:
            return col
    return None
