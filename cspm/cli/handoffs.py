"""``cspm handoffs LOG``: handoffs, ping-pong, rework, approval loops and what they cost."""

from __future__ import annotations

from enum import StrEnum
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
    config_named,
    console,
    esc,
    output_file,
    plain,
    print_json,
    reads_log,
)
from cspm.i18n import N_
from cspm.i18n import gettext as _
from cspm.units import format_duration


class HandoffLevel(StrEnum):
    team = "team"
    agent = "agent"


class MissingRule(StrEnum):
    skip = "skip"
    break_ = "break"


@app.command()
@reads_log
def handoffs(
    log: LogArg,
    read: LogReader,
    level: Annotated[HandoffLevel, typer.Option("--level", help=N_("Count handoffs between teams or agents."))] = HandoffLevel.team,
    missing: Annotated[
        MissingRule, typer.Option("--missing", help=N_("Events without a team/agent: skip them, or let them break a visit."))
    ] = MissingRule.skip,
    html: Annotated[Path | None, typer.Option("--html", help=N_("Also write the report section to this HTML file."))] = None,
    network: Annotated[Path | None, typer.Option("--network", help=N_("Also write the handover network (SVG) here."))] = None,
    config: ConfigOpt = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Find handoffs, ping-pong, rework and approval loops in LOG, and what they cost (--team-column
    names the column holding the team; hours are priced at the config's costs.hourly_rate when the
    log has start times, so that processing time is known)."""
    from cspm.analysis.handoffs.analysis import handoffs as handoff_analysis
    from cspm.config import as_config
    from cspm.render.formats import fmt_term, fmt_thousands

    cfg = as_config(config)
    output_file(html, "--html")
    output_file(network, "--network")
    result = read()
    with config_named(config):
        analysis = handoff_analysis(result, cfg, level=level.value, missing=missing.value)
    for path in (html, network):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
    if html is not None:  # the section page, whatever the file is called
        html.write_text(analysis.html_page(), encoding="utf-8")
    if network is not None:
        analysis.handoffs.save_svg(network)
    if format is OutputFormat.json:
        print_json(analysis.summary())
        return
    heading = _("{log} ({level} level)").format(log=log.name, level=fmt_term(level.value))
    title = _("Handoffs and loops")
    console.print(f"[bold]{esc(title)}[/bold] — {esc(heading)}", highlight=False)
    for finding in analysis.findings():
        console.print(plain(f"• {finding}"), soft_wrap=True, highlight=False)
    busiest = analysis.handoffs.busiest(5)
    if not busiest.empty:
        table = Table(title=_("Busiest handoffs"), header_style="bold")
        for col in ("from", "to", "handoffs", "median wait"):
            table.add_column(_(col), justify="right" if col in ("handoffs", "median wait") else "left")
        for r in busiest.itertuples():
            table.add_row(plain(str(r.from_unit)), plain(str(r.to_unit)), fmt_thousands(r.handoffs), format_duration(r.median_wait_s))
        console.print(table)
    pairs = analysis.ping_pong.pairs_undirected().head(5)
    if not pairs.empty:
        table = Table(title=_("Ping-pong pairs"), header_style="bold")
        table.add_column(_("pair"))
        table.add_column(_("bounces"), justify="right")
        table.add_column(_("tickets"), justify="right")
        for r in pairs.itertuples():
            table.add_row(plain(str(r.pair)), fmt_thousands(r.bounces), fmt_thousands(r.tickets))
        console.print(table)
    if html is not None:
        console.print(esc(_("section written to {path}").format(path=html)), highlight=False)
    if network is not None:
        console.print(esc(_("handover network written to {path}").format(path=network)), highlight=False)
