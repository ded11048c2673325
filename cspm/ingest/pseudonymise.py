"""Safe to share: agent, customer and team names replaced by stable keyed pseudonyms.

A pseudonym is ``agent-`` / ``customer-`` / ``team-`` followed by the first 12 hex digits of
HMAC-SHA256(key, role + NUL + name): the same name and key give the same pseudonym in every run
(before/after comparisons still match), and without the key nobody can recompute or reverse it. The key
is secret: from the argument, else the environment variable ``CSPM_PSEUDONYM_KEY``, else a key file.

Applied to the log right after reading, so every output (report, maps, tables, workbook, summary,
BPMN) sees only pseudonyms. The distinct names of each role are hashed once (a small table) and
joined back on the engine. Text attributes (every text column that is not a role and holds
other values than numbers) are dropped
unless kept by name — free text such as descriptions or e-mail bodies carries names too; the rows
of rejected source lines (raw text) are not carried over. The mapping original → pseudonym is
written to a CSV file only when asked for.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Literal, get_args

import ibis.expr.types as ir
import pandas as pd

from cspm.config import Pseudonymisation
from cspm.core.expr import small_table
from cspm.core.log import AGENT, ROLE_COLUMNS, ROW, TEAM, TicketLog
from cspm.errors import InputError
from cspm.i18n import gettext as _

__all__ = ["KEY_ENV", "Role", "as_settings", "pseudonym", "pseudonymise", "read_key"]

Role = Literal["agent", "customer", "team"]
KEY_ENV = "CSPM_PSEUDONYM_KEY"
_COLUMN: dict[str, str] = {"agent": AGENT, "customer": "customer", "team": TEAM}
_KEPT_ROLES = (*ROLE_COLUMNS, ROW, "channel", "priority", "customer", "schedule_timestamp", "suspended_seconds")


def read_key(key: str | bytes | None = None, key_file: str | Path | None = None) -> bytes:
    """The secret key: ``key``, else ``$CSPM_PSEUDONYM_KEY``, else the content of ``key_file``."""
    if key is None:
        key = os.environ.get(KEY_ENV) or None
    if key is None and key_file is not None:
        path = Path(key_file)
        if not path.is_file():
            raise InputError(_("the pseudonym key file does not exist."), path=path, expected=_("a file holding the secret key"))
        key = path.read_bytes().strip()
    if not key:
        raise InputError(
            _("pseudonymising needs a secret key: set the environment variable {key_env} or give a key file (--pseudonym-key-file, config pseudonymise.key_file).").format(key_env=KEY_ENV),
            expected=_("a secret of at least 16 characters, kept out of the shared outputs"),
        )
    data = key.encode("utf-8") if isinstance(key, str) else key
    if len(data) < 16:
        raise InputError(_("the pseudonym key has {n} characters; a guessable key can be recomputed.").format(n=len(data)),
                         expected=_("a secret of at least 16 characters"))  # fmt: skip
    return data


def pseudonym(name: str, role: Role, key: bytes) -> str:
    """The pseudonym of ``name`` in ``role`` (``agent-3f2a…``; see the module docstring)."""
    digest = hmac.new(key, f"{role}\x00{name}".encode(), hashlib.sha256).hexdigest()
    return f"{role}-{digest[:12]}"


def as_settings(
    settings: Pseudonymisation | str | Sequence[str], base: Pseudonymisation | None = None
) -> Pseudonymisation:
    """Settings from a list of roles (``"agent,customer"``) on top of ``base`` (the config's)."""
    if isinstance(settings, Pseudonymisation):
        return settings
    roles = [r.strip() for r in (settings.split(",") if isinstance(settings, str) else settings) if r.strip()]
    unknown = [r for r in roles if r not in get_args(Role)]
    if unknown:
        raise InputError(_("cannot pseudonymise {names}.").format(names=', '.join(map(repr, unknown))),
                         expected=_("a comma-separated list of agent, customer, team"))  # fmt: skip
    return (base or Pseudonymisation()).model_copy(update={"roles": roles})


def _numeric_text(events: ir.Table, column: str) -> bool:
    """Every value of the text column reads as a number (e.g. an amount read as text): not free text."""
    col = events[column]
    bad = events.filter(col.notnull() & (col.strip() != "") & col.try_cast("float64").isnull()).count()
    return int(bad.to_pyarrow().as_py()) == 0


def pseudonymise(
    log: TicketLog,
    settings: Pseudonymisation | str | Sequence[str],
    *,
    key: str | bytes | None = None,
    keep: Iterable[str] = (),
    mapping: str | Path | None = None,
) -> TicketLog:
    """``log`` with the names of ``settings.roles`` replaced by keyed pseudonyms and its text
    attributes dropped (except ``settings.keep`` and ``keep``); ``mapping`` (or ``settings.mapping``)
    names a CSV file for ``role, original, pseudonym``. A role the log lacks is a clear error."""
    s = as_settings(settings)
    roles: list[Role] = list(dict.fromkeys(s.roles))
    secret = read_key(key, s.key_file)
    events = log.events
    missing = [r for r in roles if _COLUMN[r] not in events.columns]
    if missing:
        raise InputError(_("cannot pseudonymise {names}: the log has no such column.").format(names=', '.join(missing)), path=log.source,
                         expected=_("a role the log has (map it with --agent / --team / config columns.customer)"))  # fmt: skip
    rows: list[tuple[str, str, str]] = []
    for role in roles:
        col = _COLUMN[role]
        names = events.select(name=events[col].cast("string")).distinct().to_pandas()["name"].dropna()
        pairs = sorted((n, pseudonym(n, role, secret)) for n in names.tolist())
        rows += [(role, n, p) for n, p in pairs]
        if not pairs:
            continue
        lookup = small_table(events, pd.DataFrame(pairs, columns=["__name", "__pseudonym"]))
        joined = events.left_join(lookup, events[col].cast("string") == lookup["__name"])
        events = joined.select(
            *[joined["__pseudonym"].name(c) if c == col else joined[c] for c in events.columns]
        )
    kept = set(keep) | set(s.keep)
    schema = events.schema()
    texts = [c for c in log.attributes if c not in _KEPT_ROLES and c not in kept and schema[c].is_string()]
    dropped = [c for c in texts if not _numeric_text(events, c)]
    if dropped:
        events = events.drop(*dropped)
    target = mapping or s.mapping
    if target is not None:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows, columns=["role", "original", "pseudonym"]).to_csv(target, index=False)
    note = (f"names replaced by keyed pseudonyms: {', '.join(roles)}"
            + (f"; text attributes dropped: {', '.join(dropped)}" if dropped else ""))  # fmt: skip
    quality = log.quality
    if quality is not None and hasattr(quality, "warnings"):
        quality = replace(quality, warnings=[*quality.warnings, note], rejects=None)  # type: ignore[type-var]
    attributes = tuple(a for a in log.attributes if a not in dropped)
    return replace(log, events=events, quality=quality, attributes=attributes).with_events(events)

