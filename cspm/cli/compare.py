"""``cspm compare``: before/after or A/B with significance, target verdicts and DiD."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cspm.cli import _app as ui
from cspm.cli._app import ConfigOpt, FormatOpt, LogArg, LogReader, OutputFormat, app, reads_log
from cspm.errors import InputError
from cspm.i18n import N_
from cspm.i18n import gettext as _

if TYPE_CHECKING:
    from cspm.analysis.compare import Comparison

ModelOpt = Annotated[
    Path | None,
    typer.Option("--model", "-m", show_default=False, help=N_("To-be model (BPMN 2.0, PNML or a YAML happy-path spec): "
                 "compare the fitness to it. Default: conformance.model of the config, else no fitness rows.")),
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help=N_("Also write the comparison: .html (standalone report), .json, .csv, .xlsx."))
]


@app.command("compare")
@reads_log
def compare_command(
    log: LogArg,
    read: LogReader,
    after: Annotated[Path | None, typer.Argument(help=N_("The log after the change (omit with --split, --group or --baseline)."))] = None,
    config: ConfigOpt = None,
    split: Annotated[str | None, typer.Option("--split", help=N_("Split one log by date: tickets by their first event (YYYY-MM-DD, calendar time zone)."))] = None,
    group: Annotated[str | None, typer.Option("--group", help=N_("Pilot group: column=value (tickets with such an event)."))] = None,
    control: Annotated[str | None, typer.Option("--control", help=N_("Control group: column=value (default: all other tickets)."))] = None,
    baseline: Annotated[Path | None, typer.Option("--baseline", help=N_("Compare LOG against a baseline file (cspm baseline)."))] = None,
    alpha: Annotated[float, typer.Option("--alpha", help=N_("False-discovery rate of the Benjamini–Hochberg correction."))] = 0.05,
    model: ModelOpt = None,
    output: OutputOpt = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Compare two logs, a baseline and a log, or two parts of one log (by date and/or group)."""
    from cspm.analysis.compare import compare, load_baseline
    from cspm.analysis.compare.sides import parse_split
    from cspm.config import as_config

    cfg = as_config(config)
    ui.output_file(output, "--output")
    if split is not None:
        parse_split(split)  # a bad date fails before the log is read
    if baseline is not None and after is not None:
        raise InputError(_("give LOG and --baseline, or two logs, not both"), path=baseline)
    base = load_baseline(baseline) if baseline is not None else None
    reference = ui.model_option(model) if model is not None else None  # a bad model fails before the log is read
    first = read()
    second = read(after) if after is not None else None
    with ui.config_named(config):
        if base is not None:
            result = compare(base, first, cfg, alpha=alpha, model=reference)
        else:
            result = compare(first, second, cfg, split=split, group=group, control=control, alpha=alpha, model=reference)
    if output is not None:
        result.save(output)
    if format is OutputFormat.json:
        ui.print_json(result.summary())
        return
    show(result)


def show(result: Comparison) -> None:
    """The verdicts, the significant changes and the DiD as Rich tables."""
    from cspm.analysis.compare.comparison import part_label
    from cspm.analysis.compare.table import format_p
    from cspm.units import format_hours

    a, b = result.labels
    head = _("{before} {before_tickets} tickets vs {after} {after_tickets} tickets — {rule}").format(
        before=f"[bold]{ui.esc(part_label(a))}[/bold]", before_tickets=f"{result.tickets.get(a, 0):,}",
        after=f"[bold]{ui.esc(part_label(b))}[/bold]", after_tickets=f"{result.tickets.get(b, 0):,}", rule=ui.esc(result.rule))
    ui.console.print(head, soft_wrap=True)
    for v in result.verdicts():
        ui.console.print(ui.plain("• " + v))
    sig = result.significant()
    title = _("Significant changes (q < {alpha:g}): {n} of {tested} tested").format(
        alpha=result.alpha, n=len(sig), tested=int(result.figures.p.notna().sum()))
    table = Table(title=ui.esc(title), header_style="bold")
    for i, h in enumerate([_("figure"), _("clock"), part_label(a), part_label(b), _("change"), "p", "q"]):
        table.add_column(ui.esc(h), justify="left" if i < 2 else "right")
    for r in sig.itertuples():
        fmt = (lambda x: f"{x:.1%}") if r.kind == "share" else format_hours if r.kind == "duration" else (lambda x: f"{x:.2f}")
        pct = "" if r.change_pct != r.change_pct else f" ({r.change_pct:+.0%})"
        table.add_row(ui.plain(r.name), _(r.clock) if r.clock else "", fmt(r.a), fmt(r.b), fmt(r.change) + pct, format_p(r.p), format_p(r.q)[2:].removeprefix("= "))
    ui.console.print(table)
    if result.did is not None:
        d = result.did[result.did.significant]
        t = Table(title=_("Difference-in-differences, pilot vs control: {n} significant").format(n=len(d)), header_style="bold")
        for h in [_("figure"), _("clock"), "DiD", _("95% CI"), "q"]:
            t.add_column(h)
        for r in d.itertuples():
            t.add_row(ui.plain(r.name), _(r.clock) if r.clock else "", f"{r.did:.3f}", f"{r.ci_low:.3f} … {r.ci_high:.3f}", f"{r.q:.3g}")
        ui.console.print(t)
    for n in result.notes:
        ui.console.print(f"[dim]{ui.esc(n)}[/dim]", soft_wrap=True)
