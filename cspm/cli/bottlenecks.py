"""``cspm bottlenecks LOG --config FILE``: the bottleneck ranking against the configured targets."""

from __future__ import annotations

from enum import StrEnum
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
    plain,
    print_json,
    reads_log,
)
from cspm.i18n import N_
from cspm.i18n import gettext as _


class ClockChoice(StrEnum):
    business = "business"
    calendar = "calendar"


class SemanticsChoice(StrEnum):
    complete = "complete"
    status = "status"
    start_complete = "start_complete"


@app.command()
@reads_log
def bottlenecks(
    log: LogArg,
    read: LogReader,
    config: ConfigOpt = None,
    clock: Annotated[
        ClockChoice | None,
        typer.Option("--clock", help=N_("Evaluate every target in business or calendar time (default: each target's own).")),
    ] = None,
    semantics: Annotated[
        SemanticsChoice | None, typer.Option("--semantics", help=N_("What timestamps mean (default: config, else detected)."))
    ] = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Rank the steps by total excess waiting hours over their targets (the config's ``targets``)."""
    from cspm.analysis.waiting import waiting
    from cspm.config import as_config
    from cspm.render.formats import fmt_term

    cfg = as_config(config)  # a bad config fails before the log is read
    result = read()
    with config_named(config):
        analysis = waiting(
            result, cfg, clock=clock.value if clock else None, semantics=semantics.value if semantics else None
        )
    if format is OutputFormat.json:
        print_json(analysis.summary())
        return
    r = analysis.ranking
    title = _("Bottlenecks of {log} ({basis})").format(log=log.name, basis=fmt_term(analysis.ranking_basis))
    table = Table(title=esc(title), header_style="bold")
    if analysis.ranking_basis == "excess over target":
        table.add_column("#", justify="right")
        table.add_column(_("target"), no_wrap=True)
        for h in [_("attained / req."), _("P at req."), _("× target"), _("breaches"), _("excess h")]:
            table.add_column(h, justify="right", no_wrap=True)
        clocks = {"calendar": _("cal."), "business": _("bus.")}
        for row in r.itertuples():
            table.add_row(
                str(row.rank), plain(f"{row.name} ≤ {row.target_h:g} h ({clocks.get(row.clock, row.clock[:3] + '.')})"),
                f"{_pct(row.attained)} / {row.required:.0%}", _num(row.level_h, " h"), _num(row.ratio, "×"),
                str(row.breaching_events), _num(row.excess_h, "", 1),
            )  # fmt: skip
    else:
        for i, h in enumerate(["#", _("step"), _("waits"), _("median h"), _("P90 h"), _("total h")]):
            table.add_column(h, justify="left" if i == 1 else "right")
        for row in r.itertuples():
            table.add_row(str(row.rank), plain(str(row.step)), str(row.n), _num(row.median_h), _num(row.p90_h), _num(row.total_h))
    console.print(table)
    semantics = _("Time semantics: {semantics}.").format(semantics=fmt_term(analysis.semantics))
    console.print(f"[dim]{esc(analysis.headline())} {esc(semantics)}[/dim]", soft_wrap=True)
    if analysis.sla_pause:
        paused = _("SLA clock paused in: {steps}").format(steps=", ".join(analysis.sla_pause))
        console.print(f"[dim]{esc(paused)}[/dim]", soft_wrap=True)


def _num(value: float, suffix: str = "", digits: int = 2) -> str:
    return "–" if value != value else f"{value:,.{digits}f}{suffix}"  # NaN check


def _pct(value: float) -> str:
    return "–" if value != value else f"{value:.1%}"
