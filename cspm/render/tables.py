"""Writing a table to a file: CSV, Parquet or XLSX by the file's suffix — the one writer of cspm's
tabular outputs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cspm.render.safe import neutralise_frame

__all__ = ["TABLE_SUFFIXES", "write_table"]

TABLE_SUFFIXES = (".csv", ".parquet", ".xlsx")


def _cell(value: object) -> object:
    """Tuples and lists (e.g. a variant's steps) as text, so every format can hold them."""
    if isinstance(value, tuple | list):
        return " → ".join(str(v) for v in value)
    return value


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``path`` in the format its suffix names (no index column).

    Excel has no time zones: in ``.xlsx`` zoned times are written as UTC wall times. In ``.csv`` and
    ``.xlsx`` a text cell or header that a spreadsheet would run as a formula (it starts with ``=``,
    ``+``, ``-``, ``@``, tab or CR) is written with a leading apostrophe
    (:func:`cspm.render.safe.neutralise_cell`); Parquet keeps the values as they are."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(f"{path}: tables are written as {', '.join(TABLE_SUFFIXES)}, not {suffix!r}")
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(_cell)
    if suffix != ".parquet":
        frame = neutralise_frame(frame)
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
                frame[col] = frame[col].dt.tz_convert("UTC").dt.tz_localize(None)
        frame.to_excel(path, index=False, engine="openpyxl")
    return path
