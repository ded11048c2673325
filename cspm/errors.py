"""Errors cspm raises for bad input: each names the file, the row/column and what was expected."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class CspmError(Exception):
    """Base class of every error cspm raises on purpose (the CLI prints these without a traceback)."""

    exit_code: int = 2


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
            where.append(f"line {self.line}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = (", ".join(where) + ": " if where else "") + self.reason
        if self.expected:
            text += f" Expected {self.expected}."
        if self.hint:
            text += f" {self.hint}"
        return one_paragraph(text)


def one_paragraph(text: str) -> str:
    """``text`` on one line: line breaks (e.g. in a parser's message) become spaces."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


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
        found = ", ".join(repr(c) for c in columns)
        cands = "; ".join(
            f"{role}: {', '.join(repr(c) for c in cs) if cs else 'none'}"
            for role, cs in candidates.items()
        )
        super().__init__(
            f"{message} Columns found: {found}. Best candidates — {cands}.",
            path=path,
            hint="Name the columns explicitly, e.g. cspm.read(..., case_id='…', activity='…', "
            "timestamp='…') or --case-id/--activity/--timestamp, or a 'columns:' section in the config.",
        )


class ConfigError(CspmError):
    """The configuration file is invalid; every problem names the key and the value."""

    def __init__(self, path: str | Path | None, problems: list[tuple[str, object, str]]) -> None:
        self.path = str(path) if path is not None else None
        self.problems = problems
        lines = [f"{k} = {v!r}: {msg}" for k, v, msg in problems]
        head = f"{self.path}: invalid configuration" if self.path else "invalid configuration"
        super().__init__(head + " — " + "; ".join(lines))


class MissingColumnError(InputError):
    """The log has no column the analysis needs; names the column and the columns the log has."""

    def __init__(self, column: str, columns: list[str], *, path: str | Path | None = None,
                 needed_for: str = "this analysis", hint: str | None = None) -> None:  # fmt: skip
        self.columns = list(columns)
        super().__init__(
            f"the log has no column {column!r}, which {needed_for} needs.",
            path=path,
            column=column,
            expected="one of the log's columns: " + (", ".join(repr(c) for c in columns) or "none"),
            hint=hint,
        )


class OutputError(InputError):
    """cspm cannot write what was asked (e.g. a file suffix a result cannot be saved as)."""
