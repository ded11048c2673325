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
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.units import format_duration

SAVE_SUFFIXES = (".json", ".csv", ".parquet", ".xlsx", ".html")  # what ConformanceResult.save writes


# the table headings, translated where they are shown
_HEADINGS = (N_("step"), N_("before"), N_("after"), N_("tickets"), N_("share"), N_("vs conforming"))


@app.command()
@reads_log
def conformance(
    log: LogArg,
    read: LogReader,
    model: Annotated[Path | None, typer.Option("--model", "-m", help=N_("To-be model: BPMN 2.0 (.bpmn), PNML or a YAML "
                     "happy-path spec. Default: conformance.model of the config."), show_default=False)] = None,
    alignments: Annotated[bool, typer.Option("--alignments", help=N_("Exact fitness by alignments instead of token replay."))] = False,
    time_limit: Annotated[float, typer.Option("--time-limit", help=N_("Seconds per variant for alignments."), min=0.001)] = 10.0,
    workers: Annotated[int, typer.Option("--workers", help=N_("Processes for alignments."), min=1)] = 2,
    deviations: Annotated[bool, typer.Option("--deviations/--no-deviations",
                          help=N_("Align non-fitting variants to find skipped and unexpected steps (token replay)."))] = True,
    save: Annotated[Path | None, typer.Option("--save", help=N_("Write the summary (.json), the variant table "
                    "(.csv/.parquet/.xlsx) or the section (.html)."))] = None,
    config: ConfigOpt = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Check LOG against a to-be MODEL: fitting tickets, skipped and unexpected steps, rules from the config."""
    from cspm.analysis.conformance.check import conformance as check
    from cspm.config import as_config
    from cspm.render.formats import fmt_pct, fmt_thousands

    # options first: a missing model or config fails before the log is read
    cfg = as_config(config)
    if model is not None:
        reference = model_option(model)
    elif cfg.conformance.model is not None:
        reference = model_option(cfg.conformance.model, "conformance.model of the config")
    else:
        raise InputError(_("no to-be model: name one with --model or as conformance.model in the config."),
                         expected=_("a to-be model: BPMN 2.0 (.bpmn), PNML (.pnml) or a YAML happy-path spec (.yaml/.yml)"))  # fmt: skip
    output_file(save, "--save")
    if save is not None and save.suffix.lower() not in SAVE_SUFFIXES:
        raise InputError(_("--save cannot write a {value!r} file.").format(value=save.suffix or 'file without a suffix'), path=save,
                         expected=_("one of {names}").format(names=", ".join(SAVE_SUFFIXES)))  # fmt: skip
    data = read()
    with err_console.status(_("Checking conformance …")):
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
    precision = _(", precision {precision}").format(precision=f"{s['precision']:.4f}") if s["precision"] is not None else ""
    line = _("{share} of {tickets} tickets fit {model} ({method}); log fitness {fitness}").format(
        share=f"[bold]{fmt_pct(s['fitting_share'])}[/bold]", tickets=fmt_thousands(s["tickets"]),
        model=f"[bold]{esc(result.model.name)}[/bold]", method=esc(_("alignments") if alignments else _("token replay")),
        fitness=f"{s['fitness']['log_fitness']:.4f}")  # fmt: skip
    console.print(line + esc(precision), soft_wrap=True, highlight=False, markup=True)
    if len(result.unaligned):
        late = _("{variants} variant(s) ({tickets} tickets) not aligned within {seconds:g} s").format(
            variants=len(result.unaligned), tickets=fmt_thousands(s["unaligned_tickets"]), seconds=time_limit)
        console.print(f"[yellow]{esc(late)}[/yellow]", soft_wrap=True)
    for title, df, cols in (
        (_("Skipped steps"), result.skipped, ["step"]),
        (_("Unexpected steps"), result.inserted, ["step", "before", "after"]),
    ):
        if df.empty:
            continue
        table = Table(title=title, header_style="bold")
        for c in [*cols, "tickets", "share", "vs conforming"]:
            table.add_column(_(c), justify="right" if c in ("tickets", "share", "vs conforming") else "left")
        for r in df.head(15).itertuples():
            vals = [plain(str(getattr(r, c))) for c in cols]
            table.add_row(*vals, fmt_thousands(r.tickets), fmt_pct(r.share), format_duration(r.lead_time_difference_seconds))
        console.print(table)
    if result.rules is not None:
        table = Table(title=_("Rules"), header_style="bold")
        for c in (N_("rule"), N_("applies"), N_("violations"), N_("share")):
            table.add_column(_(c))
        for r in result.rules.table().itertuples():
            table.add_row(plain(str(r.rule)), fmt_thousands(r.applies), fmt_thousands(r.violations), fmt_pct(r.share))
        console.print(table)
    if save is not None:
        console.print(esc(_("written: {path}").format(path=save)), highlight=False)
