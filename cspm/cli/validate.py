"""``cspm validate LOG``: read a log (:func:`cspm.read`) and report its data quality
(:class:`~cspm.ingest.quality.DataQuality`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
    esc,
    output_file,
    plain,
    print_json,
    reads_log,
)
from cspm.i18n import N_, ngettext
from cspm.i18n import gettext as _

if TYPE_CHECKING:
    from cspm.ingest.quality import DataQuality


@app.command()
@reads_log
def validate(
    log: LogArg,
    read: LogReader,
    config: ConfigOpt = None,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help=N_("Write every rejected row (row, line, column, reason, value) here."))
    ] = None,
    show: Annotated[
        int, typer.Option("--show-rejects", min=0, help=N_("Show this many rejected rows (the first ones; JSON too)."))
    ] = 10,
    strict: Annotated[bool, typer.Option("--strict", help=N_("Exit with 1 when any row is rejected."))] = False,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Read LOG, check it and report its data quality (rows read, kept, rejected by reason, and the
    first rejected rows: data row, file line, column, reason, value)."""
    output_file(rejects, "--rejects")
    quality: DataQuality = read().quality
    if rejects is not None:
        quality.write_rejects(rejects)
    shown = quality.rejected_rows(show)
    if format is OutputFormat.json:
        print_json({
            **quality.summary(), "rejected_rows": shown, "rejected_rows_omitted": quality.rows_rejected - len(shown),
            "rejects_file": str(rejects) if rejects is not None else None,
        })  # fmt: skip
    else:
        _print_quality(quality, log, shown, rejects)
    if strict and quality.rows_rejected:
        raise typer.Exit(1)


def _print_quality(quality: DataQuality, log: Path, shown: list[dict[str, Any]], rejects: Path | None) -> None:
    """The figures, the column roles, the warnings and the first rejected rows, for a terminal."""
    from cspm.render.formats import fmt_thousands

    table = Table(title=esc(_("Data quality of {log}").format(log=log.name)), show_header=True, header_style="bold")
    table.add_column(_("figure"))
    table.add_column(_("value"), justify="right")
    for figure, value in quality.figures():
        table.add_row(plain(figure), plain(value))
    console.print(table)
    roles = ", ".join(f"{k} = {v!r}" for k, v in quality.roles.items() if v and k != "detected")
    line = _("columns: {roles}").format(roles=roles)
    console.print(f"[dim]{esc(line)}[/dim]", soft_wrap=True)
    for warning in quality.warnings:
        prefix = _("warning:")
        gap = "" if prefix.endswith("：") else " "
        console.print(f"[yellow]{esc(prefix)}[/yellow]{gap}{esc(warning)}", soft_wrap=True)
    if shown:
        console.print(_rejects_table(shown, quality.rows_rejected))
    omitted = quality.rows_rejected - len(shown)
    if rejects is not None:
        written = _("all {n} rejected rows written to {path}").format(n=fmt_thousands(quality.rows_rejected), path=rejects)
        console.print(esc(written), soft_wrap=True, highlight=False)
    elif omitted:
        more = ngettext("{n} more rejected row not shown: write all of them with --rejects FILE.",
                        "{n} more rejected rows not shown: write all of them with --rejects FILE.", omitted)
        console.print(esc(more.format(n=fmt_thousands(omitted))), soft_wrap=True)


_REJECT_COLUMNS = (N_("row"), N_("line"), N_("column"), N_("reason"), N_("value"))


def _rejects_table(rows: list[dict[str, Any]], total: int) -> Table:
    from cspm.render.formats import fmt_thousands

    title = (_("Rejected rows ({n} of {total})").format(n=fmt_thousands(len(rows)), total=fmt_thousands(total))
             if len(rows) < total else _("Rejected rows (all {total})").format(total=fmt_thousands(total)))  # fmt: skip
    table = Table(title=title, header_style="bold")
    for name in _REJECT_COLUMNS:
        table.add_column(_(name), justify="right" if name in ("row", "line") else "left")
    for row in rows:
        table.add_row(*(plain(_cell(row[name], name)) for name in _REJECT_COLUMNS))
    return table


def _cell(value: Any, name: str) -> str:
    from cspm.ingest.quality import reason_label

    if value is None:
        return _("(empty)") if name == "value" else "–"
    return reason_label(str(value)) if name == "reason" else str(value)
