"""``cspm monitor LOG --config F --every week|month``: KPIs and targets per period, alerts (exit 1)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cspm.cli import _app as ui
from cspm.cli._app import ConfigOpt, FormatOpt, LogArg, LogReader, OutputFormat, app, reads_log
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.units import format_hours


class EveryChoice(StrEnum):
    week = "week"
    month = "month"


@app.command("monitor")
@reads_log
def monitor_command(
    log: LogArg,
    read: LogReader,
    config: ConfigOpt = None,
    every: Annotated[EveryChoice | None, typer.Option("--every", help=N_("Period (default: monitor.every, else week)."))] = None,
    alert_periods: Annotated[int | None, typer.Option("--alert-periods", min=1, help=N_("Alert when a target is breached in each of the last N periods (default: monitor.alert_periods)."))] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help=N_("Also write: .html (report with charts), .json, .csv, .xlsx."))] = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Every KPI and target per period, trends and alerts; exit code 1 when an alert is raised."""
    from cspm.analysis.compare.monitor import monitor
    from cspm.config import as_config

    cfg = as_config(config)
    ui.output_file(output, "--output")
    result = read()
    with ui.config_named(config):
        m = monitor(result, cfg, every=every.value if every else None, alert_periods=alert_periods)
    if output is not None:
        m.save(output)
    if format is OutputFormat.json:
        ui.print_json(m.summary())
    else:
        t = Table(title=_("Targets per {period}").format(period=_(m.every)), header_style="bold")
        for h in [_("period"), _("target"), "n", _("attained"), _("level"), _("met"), _("alert")]:
            t.add_column(h)
        for r in m.targets.itertuples():
            t.add_row(r.period, ui.plain(r.name), str(r.n), "–" if r.attained is None else f"{r.attained:.1%}",
                      "–" if r.level_h is None else format_hours(r.level_h), "–" if r.meets is None else (_("yes") if r.meets else _("no")),
                      _("ALERT") if r.alert else "")  # fmt: skip
        ui.console.print(t)
        for a in m.alerts:
            line = _("{target} breached in {periods}").format(target=a["target"], periods=", ".join(a["periods"]))
            label = ui.esc(_("alert:"))
            ui.console.print(f"[bold red]{label}[/bold red] {ui.esc(line)}", soft_wrap=True)
    if m.alert:
        raise typer.Exit(1)
