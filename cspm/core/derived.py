"""Tables derived from a log's events, built once on the engine and shared by every analysis.

Each :class:`~cspm.core.log.TicketLog` owns one :class:`DerivedTables`. An analysis asks it for a
table by kind and key (e.g. the step intervals for one time semantics, calendar and set of SLA-pause
steps) and gives the recipe; the first request builds and materialises the table on the engine
(``.cache()``), later requests reuse it. The tables live as long as the log (or until
:meth:`DerivedTables.clear`); ``builds`` counts how often each kind was built, so that a test can
assert that one ``cspm discover`` builds each table once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["DerivedTables"]


class DerivedTables:
    """The derived tables of one log: ``get(kind, key, build)`` builds each (kind, key) once."""

    def __init__(self) -> None:
        self._tables: dict[tuple[str, Hashable], Any] = {}
        self.builds: Counter[str] = Counter()

    def get(self, kind: str, key: Hashable, build: Callable[[], Any]) -> Any:
        """The table ``kind`` for ``key``, built by ``build()`` the first time it is asked for."""
        slot = (kind, key)
        if slot not in self._tables:
            self._tables[slot] = build()
            self.builds[kind] += 1
        return self._tables[slot]

    def find(self, kind: str, accept: Callable[[Hashable], bool]) -> Any | None:
        """A table ``kind`` already built whose key ``accept`` takes (e.g. one with more columns)."""
        for (k, key), table in self._tables.items():
            if k == kind and accept(key):
                return table
        return None

    def clear(self) -> None:
        """Release every derived table (the engine drops the materialised ones)."""
        self._tables.clear()

    def __len__(self) -> int:
        return len(self._tables)

    def __repr__(self) -> str:
        return f"DerivedTables({dict(self.builds)})"
