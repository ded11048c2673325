"""``cspm discover LOG --out DIR``: maps, model, variants, tables, summary.json and report.html."""

from __future__ import annotations

import difflib
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

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
    config_named,
    console,
    err_console,
    esc,
    model_option,
    plain,
    print_json,
    reads_log,
    time_option,
)
from cspm.errors import InputError
from cspm.i18n import N_, gettext
from cspm.i18n import gettext as _
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


@app.command()
@reads_log
def discover(
    log: LogArg,
    read: LogReader,
    out: Annotated[Path, typer.Option("--out", "-o", help=N_("Output folder (created if needed)."))],
    config: ConfigOpt = None,
    noise: Annotated[float, typer.Option("--noise", min=0.0, max=1.0, help=N_("Inductive Miner noise threshold (0–1)."))] = 0.2,
    miner: Annotated[Miner, typer.Option("--miner", help=N_("Process model miner."))] = Miner.inductive,
    model: Annotated[
        Path | None,
        typer.Option("--model", help=N_("To-be model (BPMN, PNML or YAML spec): adds conformance to it to the report and "
                     "summary.json, the same figures as `cspm conformance`. Without it there is no conformance.")),
    ] = None,
    diagnosis: Annotated[
        bool, typer.Option("--diagnosis/--no-diagnosis", help=N_("Add value stream, KPIs, handoffs and loops to the report."))
    ] = True,
    map_activities: Annotated[float, typer.Option("--activities", min=0.01, max=1.0, help=N_("Map: keep the activities covering this share of events."))] = 1.0,
    map_paths: Annotated[float, typer.Option("--paths", min=0.0, max=1.0, help=N_("Map: keep edges with at least this share of the most frequent edge's count."))] = 0.0,
    since: Annotated[str | None, typer.Option("--from", help=N_("Time window start, ISO 8601 (naive: log time zone), e.g. 2024-03-01."))] = None,
    until: Annotated[str | None, typer.Option("--to", help=N_("Time window end (exclusive), ISO 8601, e.g. 2024-04-01T00:00."))] = None,
    window: Annotated[Window, typer.Option("--window", help=N_("Which cases the time window keeps."))] = Window.intersecting,
    where: Annotated[list[str] | None, typer.Option("--where", help=N_("Keep cases with COLUMN=VALUE[,VALUE…]; repeatable."))] = None,
    with_activity: Annotated[list[str] | None, typer.Option("--with-activity", help=N_("Keep cases containing this activity; repeatable."))] = None,
    without_activity: Annotated[list[str] | None, typer.Option("--without-activity", help=N_("Drop cases containing this activity; repeatable."))] = None,
    top_variants: Annotated[int | None, typer.Option("--top-variants", min=1, help=N_("Keep the cases of the K most frequent variants."))] = None,
    variant_coverage: Annotated[float | None, typer.Option("--variant-coverage", min=0.01, max=1.0, help=N_("Keep the most frequent variants covering this share of cases."))] = None,
    min_duration: Annotated[str | None, typer.Option("--min-duration", help=N_("Keep cases with a lead time of at least this, e.g. 1h."))] = None,
    max_duration: Annotated[str | None, typer.Option("--max-duration", help=N_("Keep cases with a lead time of at most this, e.g. 5d."))] = None,
    tickets_out: Annotated[
        str | None,
        typer.Option("--tickets-out", help=N_("Folder for the per-ticket tables tickets.parquet and steps.parquet, "
                     "written by the engine (a folder of part files on Spark).")),
    ] = None,
    format: FormatOpt = OutputFormat.table,
) -> None:
    """Discover the actual process of LOG: maps, model (BPMN, PNML), variants, tables and report."""
    from cspm.config import load_config
    from cspm.mining.filters import LogFilters
    from cspm.pipeline import check_output_folder, write_discovery

    # every option is checked before the log is read: mistakes fail at once, not after the work
    check_output_folder(out)
    if tickets_out is not None and "://" not in tickets_out:
        check_output_folder(tickets_out)
    cfg = load_config(config) if config else None
    reference = model_option(model) if model is not None else None
    since, until = _time_window(since, until)
    _check_durations(min_duration, max_duration)
    where_pairs = _where_pairs(where)
    result = read()
    _check_filter_values(result, where_pairs, with_activity, without_activity)
    filters = LogFilters(
        since=since, until=until, window=window.value, where=where_pairs, with_activity=with_activity or (),
        without_activity=without_activity or (), min_duration=min_duration, max_duration=max_duration,
        top_variants=top_variants, variant_coverage=variant_coverage,
    )  # fmt: skip
    columns = [SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()]
    with config_named(config), Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(gettext("discovering"), total=None)
        outputs = write_discovery(
            result, out, config=cfg, noise=noise, miner=miner.value, activities=map_activities, paths=map_paths,
            filters=filters, model=reference, diagnosis=diagnosis, tickets_out=tickets_out,
            progress=lambda msg: progress.update(task, description=esc(msg)),
        )  # fmt: skip
    if format is OutputFormat.json:
        print_json(outputs.summary)
    else:
        _print_outputs(outputs, gettext("Discovery of {log}").format(log=log.name), out)


def _print_outputs(outputs: Any, title: str, out: Path) -> None:
    """The headline figures, findings, filters, notes and where the files are."""
    from cspm.render.formats import fmt_pct, fmt_thousands

    s = outputs.record
    ov = s.overview
    table = Table(title=esc(title), show_header=True, header_style="bold")
    table.add_column(gettext("figure"))
    table.add_column(gettext("value"), justify="right")
    table.add_row(gettext("cases"), fmt_thousands(ov.cases))
    table.add_row(gettext("events"), fmt_thousands(ov.events))
    table.add_row(gettext("variants"), fmt_thousands(ov.variants))
    table.add_row(gettext("top variant share"), fmt_pct(ov.top_variant_share) if ov.top_variant_share is not None else "–")
    table.add_row(gettext("median lead time"), format_duration(ov.median_lead_time_seconds))
    for i, edge in enumerate(s.slowest_transitions[:3], start=1):
        table.add_row(gettext("slowest transition {n}").format(n=i),
                      plain(f"{edge.source} → {edge.target}: {format_duration(edge.wait_median)}"))  # fmt: skip
    if (conf := s.conformance) is not None:
        table.add_row(gettext("conformance"), plain(gettext("{share} fit {model}; log fitness {fitness}").format(
            share=fmt_pct(conf.fitting_share), model=conf.model.file or conf.model.name,
            fitness=f"{conf.fitness.log_fitness:.4f}")))  # fmt: skip
    console.print(table)
    for finding in outputs.findings():
        console.print(plain(f"• {finding}"), soft_wrap=True, highlight=False)
    for item in s.filters:
        console.print(f"[dim]{esc(gettext('filter: {filter}').format(filter=item))}[/dim]", soft_wrap=True, highlight=False)
    for note in outputs.notes:
        console.print(f"[yellow]{esc(gettext('note:'))}[/yellow] {esc(note)}", soft_wrap=True, highlight=False)
    if (t := outputs.tickets) is not None:
        console.print(esc(gettext("wrote the per-ticket tables {tickets} ({n} tickets) and {steps} ({m} events)").format(
            tickets=t.tickets, n=fmt_thousands(t.ticket_rows), steps=t.steps, m=fmt_thousands(t.step_rows))), highlight=False)  # fmt: skip
        for path in (getattr(t, name) for name in t.partitioned):
            console.print(esc(gettext("{path} is a folder of monthly partitions (month=YYYY-MM), as it has more than {n} rows").format(
                path=path, n=fmt_thousands(t.partition_rows))), highlight=False)  # fmt: skip
    console.print(esc(gettext("wrote {n} files to {out}: report {report}").format(
        n=len(outputs.files), out=out, report=outputs.files["report"])), highlight=False)  # fmt: skip


def _where_pairs(where: list[str] | None) -> list[tuple[str, list[str]]]:
    """The --where COLUMN=VALUE[,VALUE…] options as (column, values)."""
    pairs = []
    for item in where or []:
        column, sep, value = item.partition("=")
        if not sep or not column.strip():
            raise InputError(_("--where {item!r} is not COLUMN=VALUE.").format(item=item), expected=_("e.g. --where channel=phone"))
        pairs.append((column.strip(), [v.strip() for v in value.split(",")]))
    return pairs


def _check_filter_values(log: Any, where: list[tuple[str, list[str]]], with_activity: list[str] | None,
                         without_activity: list[str] | None) -> None:  # fmt: skip
    """A filter on a value the log does not have is an error naming the option and the closest
    values (a typo would otherwise keep no case, or every case, without a word)."""
    import ibis

    from cspm.core.log import ACTIVITY

    wanted: list[tuple[str, str, str]] = []  # (how the user wrote it, column, value)
    for option, names in (("--with-activity", with_activity), ("--without-activity", without_activity)):
        wanted += [(f"{option} {name!r}", ACTIVITY, name) for name in names or []]
    for column, values in where:
        if column not in log.events.columns:
            raise InputError(_("--where names column {column!r}, which the log does not have.").format(column=column), column=column,
                             expected=_("one of {names}").format(names=", ".join(log.events.columns)))  # fmt: skip
        wanted += [(f"--where {column}={v}", column, v) for v in values]
    ev = log.events
    for column in dict.fromkeys(c for _w, c, _v in wanted):
        text = ev[column].cast("string")
        asked = sorted({v for _w, c, v in wanted if c == column})
        found = set(ev.filter(text.isin(asked)).select(v=text).distinct().to_pandas()["v"])
        for written, _c, value in (w for w in wanted if w[1] == column and w[2] not in found):
            counts = ev.select(v=text).filter(lambda t: t.v.notnull()).group_by("v").aggregate(n=lambda t: t.count())
            known = [str(v) for v in counts.order_by([ibis.desc("n"), "v"]).limit(10_000).to_pandas()["v"]]
            close = difflib.get_close_matches(value, known, n=3, cutoff=0.6)
            hint = (_("closest: {values}").format(values=", ".join(map(repr, close))) if close
                    else _("its values: {values}").format(values=", ".join(map(repr, sorted(known)[:20]))))
            what = _("activity") if column == ACTIVITY else _("{column!r} value").format(column=column)
            raise InputError(_("{written}: the log has no {what} {value!r}; {hint}.").format(written=written, what=what, value=value, hint=hint))


def _time_window(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """--from/--to in ISO 8601; --to after --from."""
    lo, hi = time_option(since, "--from"), time_option(until, "--to")
    if lo is not None and hi is not None:
        a, b = datetime.fromisoformat(lo), datetime.fromisoformat(hi)
        if (a.tzinfo is None) == (b.tzinfo is None) and b <= a:
            raise InputError(_("--to {until!r} is not after --from {since!r}.").format(until=until, since=since), expected=_("a window [--from, --to) that is not empty"))
    return lo, hi


def _check_durations(min_duration: str | None, max_duration: str | None) -> None:
    """--min-duration/--max-duration are durations, the minimum not above the maximum."""
    from cspm.config import parse_duration

    parsed = {}
    for option, value in (("--min-duration", min_duration), ("--max-duration", max_duration)):
        if value is None:
            continue
        try:
            parsed[option] = parse_duration(value)
        except ValueError:
            raise InputError(_("{option} {value!r} is not a duration.").format(option=option, value=value), expected=_("a number with a unit, e.g. 30min, 4h, 2d")) from None
    if len(parsed) == 2 and parsed["--min-duration"] > parsed["--max-duration"]:
        raise InputError(_("--min-duration {min_duration!r} is above --max-duration {max_duration!r}.").format(min_duration=min_duration, max_duration=max_duration),
                         expected=_("a minimum lead time not above the maximum"))  # fmt: skip
