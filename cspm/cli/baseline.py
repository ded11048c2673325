"""``cspm baseline LOG --config F --save baseline.json``: freeze the diagnosis-phase figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cspm.cli import _app as ui
from cspm.cli._app import ConfigOpt, FormatOpt, LogArg, LogReader, OutputFormat, app, reads_log
from cspm.cli.compare import ModelOpt
from cspm.i18n import N_
from cspm.i18n import gettext as _


@app.command("baseline")
@reads_log
def baseline_command(
    log: LogArg,
    read: LogReader,
    save: Annotated[Path, typer.Option("--save", help=N_("The baseline file to write (JSON)."))],
    config: ConfigOpt = None,
    model: ModelOpt = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Freeze every figure of LOG (with its fingerprint and the config) for `cspm compare --baseline`."""
    from cspm.analysis.compare import baseline
    from cspm.config import as_config

    cfg = as_config(config)
    ui.output_file(save, "--save")
    reference = ui.model_option(model) if model is not None else None
    result = read()
    with ui.config_named(config):
        frozen = baseline(result, cfg, model=reference)
    frozen.save(save)
    fp = frozen.fingerprint
    if format is OutputFormat.json:
        ui.print_json({"baseline": str(save), "fingerprint": fp, "figures": int(frozen.data.hist.figure.nunique())})
        return
    line = _("Baseline of {log}: {tickets} tickets, {events} events ({first} – {last}), {figures} figures → {path}").format(
        log=log.name, tickets=f"{fp['tickets']:,}", events=f"{fp['events']:,}", first=fp["first_event"], last=fp["last_event"],
        figures=frozen.data.hist.figure.nunique(), path=save)
    ui.console.print(ui.esc(line))
