"""``cspm simulate OUT``: generate a ticket log with known ground truth (:func:`cspm.write_simulated_log`)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cspm.cli._app import app, console, esc, output_file
from cspm.errors import InputError
from cspm.i18n import N_
from cspm.i18n import gettext as _

if TYPE_CHECKING:
    from cspm.simulate import SimulationSettings

# the suffixes write_simulated_log tells the format from
SUFFIXES = (".csv", ".parquet", ".pq", ".xes", ".xes.gz")
# SimulationSettings field → the option that sets it
_OPTIONS = {"n_tickets": "--tickets", "n_events": "--events", "seed": "--seed", "language": "--language",
            "lifecycle": "--start-complete"}  # fmt: skip


class Language(StrEnum):
    en = "en"
    zh = "zh"


@app.command()
def simulate(
    out: Annotated[Path, typer.Argument(help=N_("Output file: .csv, .parquet, .xes or .xes.gz."))],
    tickets: Annotated[int | None, typer.Option("--tickets", min=1, help=N_("Number of tickets."))] = None,
    events: Annotated[
        int | None, typer.Option("--events", min=1, help=N_("Approximate number of events (instead of --tickets)."))
    ] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help=N_("Random seed: same seed, same log."))] = 7,
    language: Annotated[
        Language, typer.Option("--language", help=N_("en, or zh (Chinese headers and names, GB18030)."))
    ] = Language.en,
    start_complete: Annotated[bool, typer.Option("--start-complete", help=N_("Emit start and complete timestamps."))] = False,
) -> None:
    """Simulate a help-desk ticket process and write the log and its ground truth."""
    from cspm.simulate import write_simulated_log

    _check_out(out)
    settings = _settings(tickets=tickets, events=events, seed=seed, language=language, start_complete=start_complete)
    with console.status(f"Simulating into {esc(out)} …"):
        paths = write_simulated_log(out, settings)
    truth = json.loads(paths.truth.read_text(encoding="utf-8"))
    console.print(f"Simulated {truth['n_cases']:,} tickets with {truth['n_events']:,} events into {esc(paths.log)}; "
                  f"the ground truth is in {esc(paths.truth)} and {esc(paths.truth_cases)}.", highlight=False)  # fmt: skip


def _check_out(out: Path) -> None:
    if not out.name.lower().endswith(SUFFIXES):
        raise InputError(
            _("cannot tell the log format from the file name."), path=out,
            expected=_("a file name ending in {suffixes}").format(suffixes=", ".join(SUFFIXES)),
        )  # fmt: skip
    output_file(out, "OUT")


def _settings(
    *, tickets: int | None, events: int | None, seed: int, language: Language, start_complete: bool
) -> SimulationSettings:
    """The settings of the options; a problem names the option."""
    from pydantic import ValidationError

    from cspm.simulate import SimulationSettings

    if tickets is not None and events is not None:
        raise InputError(_("give --tickets or --events, not both"))
    options: dict[str, Any] = {"seed": seed, "language": language.value}
    if tickets is not None:
        options["n_tickets"] = tickets
    if events is not None:
        options["n_events"] = events
    if start_complete:
        options["lifecycle"] = "start_complete"
    try:
        return SimulationSettings(**options)
    except ValidationError as exc:  # the options above are checked by Typer; this names any other
        problems = "; ".join(
            f"{_OPTIONS.get(str(e['loc'][0]), e['loc'][0]) if e['loc'] else 'settings'} {e.get('input')!r}: {e['msg']}"
            for e in exc.errors()
        )
        raise InputError(_("invalid simulation settings: {problems}").format(problems=problems)) from None
