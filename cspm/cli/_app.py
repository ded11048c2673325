"""The Typer application, shared options and error handling of the CLI."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from cspm.errors import CspmError

app = typer.Typer(
    name="cspm",
    help="Customer-service process mining: ticket event logs → a diagnosis of the service process.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


# Options shared by every command that reads a log.
CaseOpt = Annotated[str | None, typer.Option("--case-id", help="Column holding the case (ticket) id.")]
ActivityOpt = Annotated[
    list[str] | None,
    typer.Option("--activity", help="Column holding the activity; repeat to join several columns."),
]
TimestampOpt = Annotated[str | None, typer.Option("--timestamp", help="Column holding the event time.")]
StartOpt = Annotated[str | None, typer.Option("--start-timestamp", help="Column holding the start time.")]
AgentOpt = Annotated[str | None, typer.Option("--agent", help="Column holding the agent (resource).")]
TeamOpt = Annotated[str | None, typer.Option("--team", "--team-column", help="Column holding the team / assignment group.")]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="Configuration file (YAML or TOML).", exists=False)
]
TzOpt = Annotated[str | None, typer.Option("--timezone", help="Time zone of naive timestamps (IANA name).")]
DayFirstOpt = Annotated[
    bool | None, typer.Option("--dayfirst/--monthfirst", help="Order of dd/mm vs mm/dd dates.", show_default=False)
]
FormatTsOpt = Annotated[str | None, typer.Option("--timestamp-format", help="strptime format of the timestamps.")]
EncodingOpt = Annotated[str | None, typer.Option("--encoding", help="Text encoding (detected when omitted).")]
DelimOpt = Annotated[str | None, typer.Option("--delimiter", help="Field delimiter (detected when omitted).")]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="XLSX sheet name.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="table for people, json for scripts.")]


def read_log(
    log: Path,
    *,
    case_id: str | None = None,
    activity: list[str] | None = None,
    timestamp: str | None = None,
    start_timestamp: str | None = None,
    agent: str | None = None,
    team: str | None = None,
    config: Path | None = None,
    timezone: str | None = None,
    dayfirst: bool | None = None,
    timestamp_format: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> Any:
    """Read a log with the CLI's options (a status spinner while it reads)."""
    from cspm.read import read

    act: str | list[str] | None = None
    if activity:
        act = activity[0] if len(activity) == 1 else list(activity)
    delim = {"\\t": "\t", "tab": "\t"}.get(delimiter or "", delimiter)
    with err_console.status(f"Reading {log} …"):
        return read(
            log,
            case_id=case_id,
            activity=act,
            timestamp=timestamp,
            start_timestamp=start_timestamp,
            agent=agent,
            team=team,
            config=config,
            timezone=timezone,
            dayfirst=dayfirst,
            timestamp_format=timestamp_format,
            encoding=encoding,
            delimiter=delim,
            sheet=sheet,
        )


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def main() -> None:
    """Entry point: run the app; cspm's own errors become one paragraph and exit code 2."""
    try:
        app()
    except CspmError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(exc.exit_code) from None
