"""``cspm drivers LOG --outcome ...``: which tickets wait, breach, bounce or come back, and why."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cspm.cli import _app as ui
from cspm.cli._app import ConfigOpt, FormatOpt, LogArg, LogReader, OutputFormat, app
from cspm.i18n import N_
from cspm.i18n import gettext as _

if TYPE_CHECKING:
    from cspm.analysis.drivers import SegmentComparison

# the table headings, translated where they are shown
_HEADINGS = (N_("driver"), N_("value"), N_("tickets"), N_("rate"), N_("rest"), N_("lift"), N_("q"), N_("excess h"))


@app.command()
@ui.reads_log
def drivers(
    log: LogArg,
    read: LogReader,
    outcome: Annotated[str | None, typer.Option("--outcome", help=N_("breach:STEP, wait:STEP>4h, lead_time>30d, "
                                                "lead_time>p90, milestone:NAME, ping_pong, reopen, rework or not_fcr."))] = None,
    segment: Annotated[str | None, typer.Option("--segment", help=N_("Compare the KPIs and waits per value of this "
                                                "column instead (e.g. channel)."))] = None,
    candidate: Annotated[list[str] | None, typer.Option("--driver", help=N_("Test only this driver (repeatable)."))] = None,
    all_drivers: Annotated[bool, typer.Option("--all-drivers", help=N_("Also test the course of each ticket (most "
                                              "frequent values, variant, handoffs, steps occurred), which is often a "
                                              "consequence of the outcome rather than its driver."))] = False,
    min_support: Annotated[int, typer.Option("--min-support", min=1, help=N_("Fewest tickets per value."))] = 20,
    html: Annotated[Path | None, typer.Option("--html", help=N_("Also write the section to this HTML file."))] = None,
    config: ConfigOpt = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Rank the drivers of an OUTCOME in LOG (ticket attributes, first values, arrival time, the team first handed to):
    rate and lift against the rest, tests with Benjamini–Hochberg q-values, hours at stake, and a
    shallow decision tree's rules. Associations, not proof of cause. With --segment: the KPIs and
    waits per value of a column, side by side, each value tested against the rest."""
    from cspm.analysis.drivers import drivers as driver_analysis
    from cspm.analysis.drivers import segments
    from cspm.analysis.drivers.features import shown_driver, shown_value
    from cspm.config import as_config

    if (outcome is None) == (segment is None):
        raise typer.BadParameter(_("give --outcome or --segment (one of them)"))
    cfg = as_config(config)
    ui.output_file(html, "--html")
    if segment is not None:
        with ui.config_named(config):
            seg = segments(read(), cfg, segment=segment, min_support=min_support)
        _segments(seg, html, format)
        return
    with ui.config_named(config):
        result = driver_analysis(read(), cfg, outcome=outcome, candidates=candidate or None,
                                   scope="all" if all_drivers else "attributes", min_support=min_support)
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(result.html_page(), encoding="utf-8")
    if format is OutputFormat.json:
        ui.print_json(result.summary())
        return
    title = _("Root causes")
    ui.console.print(f"[bold]{ui.esc(title)}[/bold] — {ui.esc(log.name)}: {ui.esc(result.outcome.label)}", highlight=False)
    for line in [*result.findings, *result.caveats]:
        ui.console.print(f"• {line}", soft_wrap=True, highlight=False, markup=False)
    table = Table(title=_("Strongest drivers"), header_style="bold")
    for col in ("driver", "value", "tickets", "rate", "rest", "lift", "q", "excess h"):
        table.add_column(_(col), justify="left" if col in ("driver", "value") else "right")
    for r in result.top().itertuples():
        table.add_row(ui.plain(shown_driver(str(r.driver))), ui.plain(shown_value(r.value)), f"{r.tickets:,}", f"{r.rate:.1%}", f"{r.rate_rest:.1%}",
                      f"{r.lift:.2f}×", f"{r.q:.3g}", f"{r.excess_h:,.0f}")  # fmt: skip
    ui.console.print(table)
    if html is not None:
        ui.console.print(ui.esc(_("section written to {path}").format(path=html)), highlight=False)


def _segments(seg: SegmentComparison, html: Path | None, format: OutputFormat) -> None:
    import pandas as pd

    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(seg.html_page(), encoding="utf-8")
    if format is OutputFormat.json:
        ui.print_json(seg.summary())
        return
    wide = seg.side_by_side()
    title = _("By {column} (rate · median; * significantly worse than the rest)").format(column=seg.column)
    table = Table(title=ui.esc(title), header_style="bold")
    table.add_column(_("measure"))
    for c in wide.columns:
        table.add_column(ui.plain(str(c)), justify="right")
    for measure, row in wide.iterrows():
        table.add_row(ui.plain(str(measure)), *[ui.plain("–" if pd.isna(v) else str(v)) for v in row])
    ui.console.print(table)
    for note in seg.notes:
        ui.console.print(f"• {note}", soft_wrap=True, highlight=False, markup=False)
