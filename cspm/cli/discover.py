"""``cspm discover LOG --out DIR``: maps, model, variants, tables, summary.json and report.html."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
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
    print_json,
    reads_log,
)
from cspm.errors import InputError
from cspm.units import format_duration


class Miner(StrEnum):
    inductive = "inductive"
    heuristics = "heuristics"


class Window(StrEnum):
    intersecting = "intersecting"
    starting = "starting"
    ending = "ending"
    contained = "contained"
    trim = "trim"


def _apply_filters(log, *, since, until, window, where, with_activity, without_activity, top_variants,
                   variant_coverage, min_duration, max_duration):  # fmt: skip
    """The CLI's filter options, applied in a fixed order; returns the log and what was applied."""
    from cspm import filters as f

    applied: list[str] = []
    if since or until:
        log = f.filter_time_window(log, since, until, mode=window.value)
        applied.append(f"time window [{since or '…'}, {until or '…'}) ({window.value})")
    for item in where or []:
        column, sep, value = item.partition("=")
        if not sep or not column.strip():
            raise InputError(f"--where {item!r} is not COLUMN=VALUE", expected="e.g. --where channel=phone")
        if column.strip() not in log.events.columns:
            raise InputError(
                f"--where names column {column.strip()!r}, which the log does not have",
                column=column.strip(), expected="one of " + ", ".join(log.events.columns),
            )  # fmt: skip
        values = [v.strip() for v in value.split(",")]
        log = f.filter_attribute(log, column.strip(), values)
        applied.append(f"{column.strip()} in {values}")
    if with_activity:
        log = f.filter_activity(log, with_activity, contains=True)
        applied.append(f"cases with {with_activity}")
    if without_activity:
        log = f.filter_activity(log, without_activity, contains=False)
        applied.append(f"cases without {without_activity}")
    if min_duration or max_duration:
        try:
            log = f.filter_duration(log, min=min_duration, max=max_duration)
        except ValueError as exc:
            raise InputError(str(exc), expected="a duration such as '30min', '4h', '2d'") from None
        applied.append(f"lead time in [{min_duration or '0'}, {max_duration or '∞'}]")
    if top_variants is not None or variant_coverage is not None:
        log = f.filter_variants(log, top=top_variants, coverage=variant_coverage)
        applied.append(
            f"top {top_variants} variants" if top_variants is not None else f"variants covering {variant_coverage:.0%}"
        )
    return log, applied


@app.command()
@reads_log
def discover(
    log: LogArg,
    read: LogReader,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created if needed).")],
    config: ConfigOpt = None,
    noise: Annotated[float, typer.Option("--noise", min=0.0, max=1.0, help="Inductive Miner noise threshold (0–1).")] = 0.2,
    miner: Annotated[Miner, typer.Option("--miner", help="Process model miner.")] = Miner.inductive,
    model: Annotated[
        Path | None, typer.Option("--model", help="To-be model (BPMN, PNML or YAML spec): adds conformance to the report.")
    ] = None,
    diagnosis: Annotated[
        bool, typer.Option("--diagnosis/--no-diagnosis", help="Add value stream, KPIs, handoffs and loops to the report.")
    ] = True,
    map_activities: Annotated[float, typer.Option("--activities", min=0.01, max=1.0, help="Map: keep the activities covering this share of events.")] = 1.0,
    map_paths: Annotated[float, typer.Option("--paths", min=0.0, max=1.0, help="Map: keep edges with at least this share of the most frequent edge's count.")] = 0.0,
    since: Annotated[str | None, typer.Option("--from", help="Time window start (log time zone), e.g. 2024-03-01.")] = None,
    until: Annotated[str | None, typer.Option("--to", help="Time window end (exclusive).")] = None,
    window: Annotated[Window, typer.Option("--window", help="Which cases the time window keeps.")] = Window.intersecting,
    where: Annotated[list[str] | None, typer.Option("--where", help="Keep cases with COLUMN=VALUE[,VALUE…]; repeatable.")] = None,
    with_activity: Annotated[list[str] | None, typer.Option("--with-activity", help="Keep cases containing this activity; repeatable.")] = None,
    without_activity: Annotated[list[str] | None, typer.Option("--without-activity", help="Drop cases containing this activity; repeatable.")] = None,
    top_variants: Annotated[int | None, typer.Option("--top-variants", min=1, help="Keep the cases of the K most frequent variants.")] = None,
    variant_coverage: Annotated[float | None, typer.Option("--variant-coverage", min=0.01, max=1.0, help="Keep the most frequent variants covering this share of cases.")] = None,
    min_duration: Annotated[str | None, typer.Option("--min-duration", help="Keep cases with a lead time of at least this, e.g. 1h.")] = None,
    max_duration: Annotated[str | None, typer.Option("--max-duration", help="Keep cases with a lead time of at most this, e.g. 5d.")] = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Discover the actual process of LOG: maps, model (BPMN, PNML), variants, tables and report."""
    from cspm.config import load_config
    from cspm.outputs import write_discovery

    result = read()
    cfg = load_config(config) if config else None
    result, applied = _apply_filters(
        result, since=since, until=until, window=window, where=where, with_activity=with_activity,
        without_activity=without_activity, top_variants=top_variants, variant_coverage=variant_coverage,
        min_duration=min_duration, max_duration=max_duration,
    )  # fmt: skip
    columns = [SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()]
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task("discovering", total=None)
        outputs = write_discovery(
            result, out, config=cfg, noise=noise, miner=miner.value, activities=map_activities,
            paths=map_paths, filters=applied, model=model, diagnosis=diagnosis,
            progress=lambda msg: progress.update(task, description=msg),
        )  # fmt: skip
    summary = outputs.summary
    if format is OutputFormat.json:
        print_json(summary)
        return
    ov = summary["overview"]
    table = Table(title=f"Discovery of {log.name}", show_header=True, header_style="bold")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("cases", f"{ov['cases']:,}")
    table.add_row("events", f"{ov['events']:,}")
    table.add_row("variants", f"{ov['variants']:,}")
    share = ov["top_variant_share"]
    table.add_row("top variant share", f"{share:.1%}" if share is not None else "–")
    table.add_row("median lead time", format_duration(ov["median_lead_time_seconds"]))
    for i, edge in enumerate(summary["slowest_transitions"][:3], start=1):
        table.add_row(
            f"slowest transition {i}", f"{edge['source']} → {edge['target']}: {format_duration(edge['wait_median'])}"
        )
    console.print(table)
    for finding in outputs.findings():
        console.print(f"• {finding}", soft_wrap=True, highlight=False)
    for item in applied:
        console.print(f"[dim]filter: {item}[/dim]", soft_wrap=True, highlight=False)
    for note in outputs.notes:
        console.print(f"[yellow]note:[/yellow] {note}", soft_wrap=True, highlight=False)
    console.print(f"wrote {len(outputs.files)} files to {out}: report {outputs.files['report']}", highlight=False)
