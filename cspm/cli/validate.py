"""``cspm validate LOG``: read a log and report its data quality."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from cspm.cli._app import (
    ConfigOpt,
    FormatOpt,
    LogArg,
    LogReader,
    OutputFormat,
    app,
    console,
    esc,
    output_file,
    print_json,
    reads_log,
)

_REJECT_COLUMNS = {"source_row": "row", "line": "line", "column": "column", "reason": "reason", "value": "value"}


@app.command()
@reads_log
def validate(
    log: LogArg,
    read: LogReader,
    config: ConfigOpt = None,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="Write every rejected row (row, line, column, reason, value) here.")
    ] = None,
    show: Annotated[
        int, typer.Option("--show-rejects", min=0, help="Show this many rejected rows (the first ones; JSON too).")
    ] = 10,
    strict: Annotated[bool, typer.Option("--strict", help="Exit with 1 when any row is rejected.")] = False,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Read LOG, check it and report its data quality (rows read, kept, rejected by reason, and the
    first rejected rows: data row, file line, column, reason, value)."""
    output_file(rejects, "--rejects")
    result = read()
    quality = result.quality
    if rejects is not None:
        quality.write_rejects(rejects)
    shown = _rejected_rows(quality, show)
    omitted = quality.rows_rejected - len(shown)
    if format is OutputFormat.json:
        print_json({
            **quality.summary(), "rejected_rows": shown, "rejected_rows_omitted": omitted,
            "rejects_file": str(rejects) if rejects is not None else None,
        })  # fmt: skip
    else:
        table = Table(title=f"Data quality of {esc(log.name)}", show_header=True, header_style="bold")
        table.add_column("figure")
        table.add_column("value", justify="right")
        for figure, value in quality.figures():
            table.add_row(Text(figure), Text(value))
        console.print(table)
        roles = ", ".join(f"{k} = {v!r}" for k, v in quality.roles.items() if v and k != "detected")
        console.print(f"[dim]columns: {esc(roles)}[/dim]", soft_wrap=True)
        for warning in quality.warnings:
            console.print(f"[yellow]warning:[/yellow] {esc(warning)}", soft_wrap=True)
        if shown:
            console.print(_rejects_table(shown, quality.rows_rejected))
        if rejects is not None:
            console.print(f"all {quality.rows_rejected:,} rejected rows written to {esc(rejects)}", soft_wrap=True, highlight=False)
        elif omitted:
            rows = "row" if omitted == 1 else "rows"
            console.print(f"{omitted:,} more rejected {rows} not shown: write all of them with --rejects FILE.", soft_wrap=True)
    if strict and quality.rows_rejected:
        raise typer.Exit(1)


def _rejected_rows(quality: Any, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` rejected rows (by data row) as ``row``, ``line``, ``column``, ``reason``, ``value``."""
    if limit == 0 or not quality.rows_rejected:
        return []
    frame = quality.rejects_frame(limit)
    return [
        {name: _plain(record.get(col)) for col, name in _REJECT_COLUMNS.items()}
        for record in frame.to_dict(orient="records")
    ]


def _plain(value: Any) -> Any:
    """None for a missing value (None, NaN, NA), else a Python scalar."""
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _rejects_table(rows: list[dict[str, Any]], total: int) -> Table:
    title = f"Rejected rows ({len(rows):,} of {total:,})" if len(rows) < total else f"Rejected rows (all {total:,})"
    table = Table(title=title, header_style="bold")
    for name in _REJECT_COLUMNS.values():
        table.add_column(name, justify="right" if name in ("row", "line") else "left")
    for row in rows:
        cells = [row[name] for name in _REJECT_COLUMNS.values()]
        table.add_row(*(Text(_cell(v, name)) for v, name in zip(cells, _REJECT_COLUMNS.values(), strict=True)))
    return table


def _cell(value: Any, name: str) -> str:
    if value is None:
        return "(empty)" if name == "value" else "–"
    return str(value)
