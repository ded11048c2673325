"""``cspm conformance LOG --model to_be.bpmn|spec.yaml``: fitness, deviations and rules against a to-be model."""

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
    err_console,
    esc,
    model_option,
    output_file,
    plain,
    print_json,
    reads_log,
)
from cspm.errors import InputError
from cspm.units import format_duration

SAVE_SUFFIXES = (".json", ".csv", ".parquet", ".xlsx", ".html")  # what ConformanceResult.save writes


@app.command()
@reads_log
def conformance(
    log: LogArg,
    read: LogReader,
    model: Annotated[Path | None, typer.Option("--model", "-m", help="To-be model: BPMN 2.0 (.bpmn), PNML or a YAML "
                     "happy-path spec. Default: conformance.model of the config.", show_default=False)] = None,
    alignments: Annotated[bool, typer.Option("--alignments", help="Exact fitness by alignments instead of token replay.")] = False,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds per variant for alignments.", min=0.001)] = 10.0,
    workers: Annotated[int, typer.Option("--workers", help="Processes for alignments.", min=1)] = 2,
    deviations: Annotated[bool, typer.Option("--deviations/--no-deviations",
                          help="Align non-fitting variants to find skipped and unexpected steps (token replay).")] = True,
    save: Annotated[Path | None, typer.Option("--save", help="Write the summary (.json), the variant table "
                    "(.csv/.parquet/.xlsx) or the section (.html).")] = None,
    config: ConfigOpt = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Check LOG against a to-be MODEL: fitting tickets, skipped and unexpected steps, rules from the config."""
    from cspm.analysis.conformance.check import conformance as check
    from cspm.config import as_config

    # options first: a missing model or config fails before the log is read
    cfg = as_config(config)
    if model is not None:
        reference = model_option(model)
    elif cfg.conformance.model is not None:
        reference = model_option(cfg.conformance.model, "conformance.model of the config")
    else:
        raise InputError("no to-be model: name one with --model or as conformance.model in the config.",
                         expected="a to-be model: BPMN 2.0 (.bpmn), PNML (.pnml) or a YAML happy-path spec (.yaml/.yml)")  # fmt: skip
    output_file(save, "--save")
    if save is not None and save.suffix.lower() not in SAVE_SUFFIXES:
        raise InputError(f"--save cannot write a {save.suffix or 'file without a suffix'!r} file.", path=save,
                         expected="one of " + ", ".join(SAVE_SUFFIXES))  # fmt: skip
    data = read()
    with err_console.status("Checking conformance …"):
        result = check(
            data, cfg, model=reference, method="alignments" if alignments else "token_replay",
            time_limit=time_limit, workers=workers, deviations=deviations,
        )  # fmt: skip
    if save is not None:
        save.parent.mkdir(parents=True, exist_ok=True)
        result.save(save)
    if format is OutputFormat.json:
        print_json(result.summary())
        return
    s = result.summary()
    precision = f", precision {s['precision']:.4f}" if s["precision"] is not None else ""
    console.print(
        f"[bold]{s['fitting_share']:.1%}[/bold] of {s['tickets']:,} tickets fit [bold]{esc(result.model.name)}[/bold] "
        f"({'alignments' if alignments else 'token replay'}); log fitness {s['fitness']['log_fitness']:.4f}{precision}",
        soft_wrap=True, highlight=False, markup=True,
    )  # fmt: skip
    if len(result.unaligned):
        console.print(
            f"[yellow]{len(result.unaligned)} variant(s) ({s['unaligned_tickets']:,} tickets) not aligned within "
            f"{time_limit:g} s[/yellow]", soft_wrap=True,
        )  # fmt: skip
    for title, df, cols in (
        ("Skipped steps", result.skipped, ["step"]),
        ("Unexpected steps", result.inserted, ["step", "before", "after"]),
    ):
        if df.empty:
            continue
        table = Table(title=title, header_style="bold")
        for c in [*cols, "tickets", "share", "vs conforming"]:
            table.add_column(c, justify="right" if c in ("tickets", "share", "vs conforming") else "left")
        for r in df.head(15).itertuples():
            vals = [plain(str(getattr(r, c))) for c in cols]
            table.add_row(*vals, f"{r.tickets:,}", f"{r.share:.1%}", format_duration(r.lead_time_difference))
        console.print(table)
    if result.rules is not None:
        table = Table(title="Rules", header_style="bold")
        for c in ("rule", "applies", "violations", "share"):
            table.add_column(c)
        for r in result.rules.table().itertuples():
            table.add_row(plain(str(r.rule)), f"{r.applies:,}", f"{r.violations:,}", f"{r.share:.1%}")
        console.print(table)
    if save is not None:
        console.print(f"written: {esc(save)}", highlight=False)
