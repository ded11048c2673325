"""``cspm simulate OUT``: generate a ticket log with known ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cspm.cli._app import app, console


@app.command()
def simulate(
    out: Annotated[Path, typer.Argument(help="Output file: .csv, .parquet, .xes or .xes.gz.")],
    tickets: Annotated[int | None, typer.Option("--tickets", help="Number of tickets.")] = None,
    events: Annotated[int | None, typer.Option("--events", help="Approximate number of events (instead of --tickets).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same log.")] = 7,
    language: Annotated[str, typer.Option("--language", help="en or zh (Chinese headers and names, GB18030).")] = "en",
    start_complete: Annotated[bool, typer.Option("--start-complete", help="Emit start and complete timestamps.")] = False,
) -> None:
    """Simulate a help-desk ticket process and write the log and its ground truth."""
    from cspm.simulate import SimulationSettings, write_simulated_log

    kwargs: dict = {"seed": seed, "language": language}
    if tickets is not None:
        kwargs["n_tickets"] = tickets
    if events is not None:
        kwargs["n_events"] = events
    if start_complete:
        kwargs["lifecycle"] = "start_complete"
    settings = SimulationSettings(**kwargs)
    with console.status(f"Simulating into {out} …"):
        paths = write_simulated_log(out, settings)
    console.print(f"wrote {paths}")
