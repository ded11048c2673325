"""Value classes of steps: which steps add value, which are necessary, which are waste.

Classes: ``value_adding``, ``necessary`` (necessary non-value-adding), waste (``waiting``,
``handoff``, ``rework``, ``approval``) and ``unclassified``. An activity named in
``config.value_classes`` (exact, case-insensitive) gets that class; otherwise the first matching
keyword rule of :data:`DEFAULT_RULES` (English and Chinese) decides; otherwise it is
``unclassified``: which steps add value is an assumption, so an unknown step never counts as
value-adding. Used by the value stream, the KPIs (handoff steps break first-contact resolution) and
rework (waiting steps recur by nature).
"""

from __future__ import annotations

import re
from typing import Literal, get_args

import pandas as pd

from cspm.config import Config

__all__ = ["CLASSES", "DEFAULT_RULES", "WASTE", "ValueClass", "classify"]

ValueClass = Literal["value_adding", "necessary", "waiting", "handoff", "rework", "approval", "unclassified"]
CLASSES: tuple[ValueClass, ...] = get_args(ValueClass)
WASTE: tuple[ValueClass, ...] = ("waiting", "handoff", "rework", "approval")

DEFAULT_RULES: tuple[tuple[ValueClass, re.Pattern[str]], ...] = (
    ("waiting", re.compile(r"wait|queue|pending|hold|awaiting|等待|排队|挂起|待处理", re.I)),
    ("handoff", re.compile(r"transfer|reassign|escalat|hand\s*off|handover|forward|转派|转交|升级|移交", re.I)),
    ("approval", re.compile(r"approv|review|reject|sign[\s-]*off|审批|复核|审核|驳回", re.I)),
    ("rework", re.compile(r"reopen|re-open|redo|rework|resubmit|重开|返工|重新提交|重做", re.I)),
    ("necessary", re.compile(
        r"creat|insert|register|regist|log(ged)?\b|assign|close|closed|confirm|replied|reply|"
        r"创建|登记|受理|分派|关闭|确认|回复", re.I)),
    ("value_adding", re.compile(
        r"resol|solve|solution|fix|repair|investigat|diagnos|troubleshoot|解决|排查|修复|诊断", re.I)),
)  # fmt: skip
"""Keyword rules, tried in order (the first match wins); a step no rule matches is ``unclassified``."""


def classify(names: list[str], config: Config | None = None) -> pd.DataFrame:
    """Value class of each activity: columns ``activity``, ``value_class``, ``source`` (``config``,
    ``keyword``, or ``none`` for an ``unclassified`` step)."""
    vc = config.value_classes if config is not None else None
    explicit: dict[str, str] = {}
    if vc is not None:
        for cls in CLASSES[:-1]:  # every class but "unclassified" has a config key
            for name in getattr(vc, cls):
                explicit[name.casefold()] = cls
    rows = []
    for name in names:
        if name.casefold() in explicit:
            rows.append((name, explicit[name.casefold()], "config"))
            continue
        for cls, rx in DEFAULT_RULES:
            if rx.search(name):
                rows.append((name, cls, "keyword"))
                break
        else:
            rows.append((name, "unclassified", "none"))
    return pd.DataFrame(rows, columns=["activity", "value_class", "source"])
