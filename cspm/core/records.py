"""The base of the typed records every result reports its figures in (the one record base of cspm).

A :class:`Record` is a frozen pydantic model with typed, documented fields; it also reads like the
dict it replaces (``r["flow_efficiency"]``, ``"x" in r``, ``r.get(...)``, ``keys()``, ``items()``),
so code written against the old ``figures`` / ``overall`` dicts keeps working. Rows of small result
tables become records through :meth:`Record.from_frame` (the one JSON rule of
:func:`cspm.core.result.json_ready` first: NaN → None, numpy scalars → Python).
"""

from __future__ import annotations

from collections.abc import KeysView, Mapping
from typing import Any, Self

import pandas as pd
from pydantic import BaseModel, ConfigDict

from cspm.core.result import json_ready

__all__ = ["BaseRecord", "Record"]


class BaseRecord(BaseModel):
    """A typed record: frozen, with no field other than those declared."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Record(BaseRecord):
    """A typed record that also reads like a dict of its fields."""

    # --- the dict view ---------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        if key not in type(self).model_fields:
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return key in type(self).model_fields

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self else default

    def keys(self) -> KeysView[str]:
        return type(self).model_fields.keys()

    def values(self) -> list[Any]:
        return [getattr(self, k) for k in self.keys()]

    def items(self) -> list[tuple[str, Any]]:
        return [(k, getattr(self, k)) for k in self.keys()]

    # --- from small tables -----------------------------------------------------------------------
    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        """A record from one row (a mapping of column → value; missing values become None)."""
        return cls.model_validate(json_ready(dict(row)))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> list[Self]:
        """One record per row of a small table."""
        return [cls.from_row(r) for r in frame.to_dict("records")]
