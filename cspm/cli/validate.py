"""``cspm validate LOG``: read a log and report its data quality."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cspm.cli._app import (
    ConfigOpt,
    FormatOpt,
    LogArg,
    LogReader,
    OutputFormat,
    app,
    console,
    print_json,
    reads_log,
)


@app.command()
@reads_log
def validate(
    log: LogArg,
    read: LogReader,
    config: ConfigOpt = None,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="Write rejected rows (row, line, column, reason, value) here.")
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit with 1 when any row is rejected.")] = False,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Read LOG, check it and report its data quality (rows read, kept, rejected by reason, …)."""
    result = read()
    quality = result.quality
    if rejects is not None:
        quality.write_rejects(rejects)
    if format is OutputFormat.json:
        print_json(quality.summary())
    else:
        table = Table(title=f"Data quality of {log.name}", show_header=True, header_style="bold")
        table.add_column("figure")
        table.add_column("value", justify="right")
        for figure, value in quality.figures():
            table.add_row(figure, value)
        console.print(table)
        roles = ", ".join(
            f"{k} = {v!r}" for k, v in quality.roles.items() if v and k != "detected"
        )
        console.print(f"[dim]columns: {roles}[/dim]", soft_wrap=True)
        for warning in quality.warnings:
            console.print(f"[yellow]warning:[/yellow] {warning}", soft_wrap=True)
        if rejects is not None:
            console.print(f"rejected rows written to {rejects}")
    if strict and quality.rows_rejected:
        raise typer.Exit(1)
