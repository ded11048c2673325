"""Errors cspm raises for bad input: each names the file, the row/column and what was expected."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from cspm.i18n import N_, language
from cspm.i18n import gettext as _


class CspmError(Exception):
    """Base class of every error cspm raises on purpose (the CLI prints these without a traceback).

    The message is written in the language active where the error is raised (``language``), so that
    the CLI prints its ``error:`` prefix in the same language.
    """

    exit_code: int = 2

    def __init__(self, *args: object) -> None:
        self.language = language()
        super().__init__(*args)


@dataclass
class Problem:
    """One located problem: where it is and what was expected there."""

    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None


class InputError(CspmError):
    """The input cannot be read as an event log.

    ``path`` is the file, ``row`` the 1-based data row (header excluded) or file line when stated,
    ``column`` the column, ``expected`` what cspm expected there.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        row: int | None = None,
        line: int | None = None,
        column: str | None = None,
        expected: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.row = row
        self.line = line
        self.column = column
        self.expected = expected
        self.hint = hint
        self.reason = message
        super().__init__(self._paragraph())

    def _paragraph(self) -> str:
        where = []
        if self.path:
            where.append(f"{self.path}")
        if self.line is not None:
            where.append(_("line {line}").format(line=self.line))
        if self.row is not None:
            where.append(_("row {row}").format(row=self.row))
        if self.column is not None:
            where.append(_("column '{column}'").format(column=self.column))
        text = (_(", ").join(where) + _(": ") if where else "") + self.reason
        if self.expected:
            text += _(" Expected {expected}.").format(expected=self.expected)
        if self.hint:
            text += _(" {hint}").format(hint=self.hint)
        return one_paragraph(text)


def one_paragraph(text: str) -> str:
    """``text`` on one line: line breaks (e.g. in a parser's message) become spaces."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


_ROLE_NAMES = {"case id": N_("case id"), "activity": N_("activity"), "timestamp": N_("timestamp"),
               "start timestamp": N_("start timestamp"), "agent": N_("agent"), "team": N_("team"),
               "lifecycle": N_("lifecycle"), "channel": N_("channel"), "priority": N_("priority"),
               "customer": N_("customer")}  # fmt: skip


def role_name(role: str) -> str:
    """A column role for people ('case_id' → 'case id'), in the active language."""
    text = role.replace("_", " ")
    return _(_ROLE_NAMES[text]) if text in _ROLE_NAMES else text


@dataclass
class RoleCandidates:
    role: str
    candidates: list[str] = field(default_factory=list)


class RoleDetectionError(InputError):
    """The column roles (case id, activity, timestamp) could not be detected with confidence."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None,
        columns: list[str],
        candidates: dict[str, list[str]],
    ) -> None:
        self.columns = list(columns)
        self.candidates = {k: list(v) for k, v in candidates.items()}
        found = _(", ").join(repr(c) for c in columns)
        cands = _("; ").join(
            _("{role}: {names}").format(role=role_name(role), names=_(", ").join(repr(c) for c in cs) if cs else _("none"))
            for role, cs in candidates.items()
        )
        super().__init__(
            _("{message} Columns found: {found}. Best candidates — {candidates}.").format(
                message=message, found=found, candidates=cands),
            path=path,
            hint=_("Name the columns explicitly, e.g. cspm.read(..., case_id='…', activity='…', "
                   "timestamp='…') or --case-id/--activity/--timestamp, or a 'columns:' section in the config."),
        )


class ConfigError(CspmError):
    """The configuration file is invalid; every problem names the key and the value."""

    def __init__(self, path: str | Path | None, problems: list[tuple[str, object, str]]) -> None:
        self.path = str(path) if path is not None else None
        self.problems = problems
        lines = [_("{key} = {value!r}: {problem}").format(key=k, value=v, problem=msg) for k, v, msg in problems]
        head = _("{path}: invalid configuration").format(path=self.path) if self.path else _("invalid configuration")
        super().__init__(head + _(" — ") + _("; ").join(lines))


class MissingColumnError(InputError):
    """The log has no column the analysis needs; names the column and the columns the log has."""

    def __init__(self, column: str, columns: list[str], *, path: str | Path | None = None,
                 needed_for: str | None = None, hint: str | None = None) -> None:  # fmt: skip
        self.columns = list(columns)
        needed_for = needed_for or _("this analysis")
        super().__init__(
            _("the log has no column {column!r}, which {needed_for} needs.").format(column=column, needed_for=needed_for),
            path=path,
            column=column,
            expected=_("one of the log's columns: {columns}").format(
                columns=_(", ").join(repr(c) for c in columns) or _("none")),
            hint=hint,
        )


class EngineMemoryError(CspmError):
    """The engine ran out of the memory it may use (DuckDB's ``memory_limit``); says how to raise it."""

    def __init__(self, detail: str, limit: str | None) -> None:
        self.limit = limit
        super().__init__(
            _("the DuckDB engine ran out of memory ({detail}); its memory limit is {limit}. Raise it in the "
              "config (engine: {{memory_limit: 8GB}}), or run on Spark (--engine spark).").format(
                detail=detail, limit=limit or _("DuckDB's default"))
        )


def as_cspm_error(exc: BaseException) -> BaseException:
    """``exc`` as one of cspm's errors where it is one the user can act on (DuckDB's out-of-memory
    error → :class:`EngineMemoryError`), else ``exc`` itself."""
    if type(exc).__name__ != "OutOfMemoryException" or "duckdb" not in type(exc).__module__:
        return exc
    first = str(exc).splitlines()[0] if str(exc) else ""
    limit = re.search(r"/\s*([\d.]+\s*[KMGT]?i?B) used\)", first)
    return EngineMemoryError(first.removeprefix("Out of Memory Error: "), limit.group(1) if limit else None)


class OutputError(InputError):
    """cspm cannot write what was asked (e.g. a file suffix a result cannot be saved as)."""
