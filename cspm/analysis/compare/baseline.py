"""Baselines: the diagnosis-phase figures frozen to a JSON file, to compare a later log against.

The file holds every figure's value histogram (the same numbers a comparison against the old log
uses, so ``compare(load_baseline(f), log)`` gives the same table as ``compare(old_log, log)``),
the variants and activities, the targets, the log's fingerprint (source, events, tickets, first and
last event, a hash of the activity counts) and the configuration it was made with.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from cspm._version import __version__
from cspm.analysis.compare.sidedata import SideData, side_data
from cspm.config import Config, as_config
from cspm.core.log import TIMESTAMP, TicketLog
from cspm.core.result import json_ready
from cspm.errors import InputError
from cspm.i18n import gettext as _

__all__ = ["BASELINE_FORMAT", "Baseline", "baseline", "load_baseline"]

BASELINE_FORMAT = 1
PART = "baseline"


@dataclass
class Baseline:
    """The frozen figures of one log (``data``: one part named ``baseline``)."""

    data: SideData
    fingerprint: dict[str, Any]
    config: dict[str, Any]
    created: str

    def save(self, path: str | Path) -> Path:
        """Write the baseline as JSON."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "format": BASELINE_FORMAT, "generator": f"cspm {__version__}", "created": self.created,
            "fingerprint": self.fingerprint, "config": self.config, "targets": self.data.targets,
            "tickets": self.data.tickets.get(PART, 0),
            "histograms": {fid: [[float(v), int(n)] for v, n in zip(g.value, g.n, strict=True)]
                           for fid, g in self.data.hist.groupby("figure", sort=True)},
            "variants": dict(zip(self.data.variants.variant, self.data.variants.tickets.astype(int).tolist(), strict=True)),
            "activities": dict(zip(self.data.activities.activity, self.data.activities.events.astype(int).tolist(), strict=True)),
        }  # fmt: skip
        path.write_text(json.dumps(json_ready(doc), ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def fingerprint(log: TicketLog) -> dict[str, Any]:
    """Source, events, tickets, first/last event (UTC ISO) and a SHA-256 of the activity counts."""
    ev = log.events
    agg = ev.aggregate(events=ev.count(), first=ev[TIMESTAMP].min(), last=ev[TIMESTAMP].max()).to_pandas().iloc[0]
    acts = ev.group_by("activity").aggregate(n=ev.count()).to_pandas().sort_values("activity")
    digest = hashlib.sha256("\n".join(f"{a}\t{int(n)}" for a, n in zip(acts.activity, acts.n, strict=True)).encode()).hexdigest()
    return {
        "source": log.source, "events": int(agg["events"]), "tickets": log.count_cases(),
        "first_event": pd.Timestamp(agg["first"]).isoformat(), "last_event": pd.Timestamp(agg["last"]).isoformat(),
        "activity_counts_sha256": digest,
    }  # fmt: skip


def baseline(log: TicketLog, config: Config | str | Path | None = None, *, semantics: str | None = None) -> Baseline:
    """Freeze the figures of ``log`` (the diagnosis phase) as a :class:`Baseline`."""
    cfg = as_config(config)
    data = side_data(log, cfg, PART, semantics=semantics)
    return Baseline(data, fingerprint(log), cfg.model_dump(mode="json"), datetime.now(UTC).isoformat(timespec="seconds"))


def load_baseline(path: str | Path) -> Baseline:
    """Read a baseline written by :meth:`Baseline.save` (InputError names what is wrong)."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(_("no such baseline file"), path=path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(_("not a baseline file (not JSON: {exc})").format(exc=exc), path=path) from None
    if not isinstance(doc, dict) or doc.get("format") != BASELINE_FORMAT or "histograms" not in doc:
        raise InputError(_("not a cspm baseline file (expected format {baseline_format} with histograms)").format(baseline_format=BASELINE_FORMAT), path=path)
    hist = pd.DataFrame(
        [(PART, fid, float(v), int(n)) for fid, pairs in doc["histograms"].items() for v, n in pairs],
        columns=["part", "figure", "value", "n"],
    )
    variants = pd.DataFrame([(PART, v, int(n)) for v, n in doc["variants"].items()], columns=["part", "variant", "tickets"])
    acts = pd.DataFrame([(PART, a, int(n)) for a, n in doc["activities"].items()], columns=["part", "activity", "events"])
    data = SideData(hist, variants, acts, {PART: int(doc["tickets"])}, doc.get("targets", {}))
    return Baseline(data, doc.get("fingerprint", {}), doc.get("config", {}), doc.get("created", ""))
