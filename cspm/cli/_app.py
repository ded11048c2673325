"""The Typer application, shared options and error handling of the CLI.

Imports: ``cspm --help`` and ``cspm validate`` must start fast, so the CLI imports at module level
only what every command needs to register itself (Typer, Rich, the errors, i18n, the units). The
library modules that a command runs (the engine, the analyses, pandas, Ibis) are imported inside
that command's function when it runs; names used only in annotations are imported under
``TYPE_CHECKING`` (a test checks that ``import cspm.cli`` loads neither the engine nor the
analyses).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.core
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from cspm._version import __version__
from cspm.cli import _lang
from cspm.errors import ConfigError, CspmError, InputError, as_cspm_error
from cspm.i18n import N_, use_language
from cspm.i18n import gettext as _

if TYPE_CHECKING:
    from cspm.analysis.conformance.check import ReferenceModel
    from cspm.core.log import TicketLog

app = typer.Typer(
    name="cspm",
    cls=_lang.LanguageGroup,  # the language of --lang / $CSPM_LANG for the whole run, --help included
    help=N_("Customer-service process mining: ticket event logs → a diagnosis of the service process."),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)
_lang.install()


def _flag_type(self: Any, ctx: Any) -> str | None:
    """On/off flags take no value: no ``<bool>`` placeholder in the help (Typer shows one)."""
    return None if getattr(self, "is_flag", False) else _lang.metavar(_typer_display_type(self, ctx))


_typer_display_type = typer.core.TyperOption.display_type_rich
typer.core.TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]


def _version(value: bool) -> None:
    if value:
        console.print(f"cspm {__version__}", highlight=False)
        raise typer.Exit()


class Lang(StrEnum):
    en = "en"
    zh = "zh"


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", help=N_("Show cspm's version and exit."), is_eager=True,
                                          callback=_version)] = False,  # fmt: skip
    lang: Annotated[Lang | None, typer.Option("--lang", help=N_("Language of the help, the report, the tables and "
                    "messages: en or zh (default: $CSPM_LANG, else the config's report.language, else en)."),
                    show_default=False)] = None,  # fmt: skip
) -> None:
    """Customer-service process mining: ticket event logs → a diagnosis of the service process."""


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


class LifecycleMode(StrEnum):
    pair = "pair"
    keep = "keep"


# Options shared by every command that reads a log (added by @reads_log, shown in their own panel).
_PANEL = N_("Reading the log")
CaseOpt = Annotated[str | None, typer.Option("--case-id", help=N_("Column holding the case (ticket) id."), rich_help_panel=_PANEL)]
ActivityOpt = Annotated[
    list[str] | None,
    typer.Option("--activity", help=N_("Column holding the activity; repeat to join several columns."), rich_help_panel=_PANEL),
]
TimestampOpt = Annotated[str | None, typer.Option("--timestamp", help=N_("Column holding the event time."), rich_help_panel=_PANEL)]
StartOpt = Annotated[str | None, typer.Option("--start-timestamp", help=N_("Column holding the start time."), rich_help_panel=_PANEL)]
AgentOpt = Annotated[str | None, typer.Option("--agent", help=N_("Column holding the agent (resource)."), rich_help_panel=_PANEL)]
TeamOpt = Annotated[
    str | None,
    typer.Option("--team", "--team-column", help=N_("Column holding the team / assignment group."), rich_help_panel=_PANEL),
]
TzOpt = Annotated[str | None, typer.Option("--timezone", help=N_("Time zone of naive timestamps (IANA name)."), rich_help_panel=_PANEL)]
DayFirstOpt = Annotated[
    bool | None,
    typer.Option("--dayfirst/--monthfirst", help=N_("Order of dd/mm vs mm/dd dates."), show_default=False, rich_help_panel=_PANEL),
]
FormatTsOpt = Annotated[str | None, typer.Option("--timestamp-format", help=N_("strptime format of the timestamps."), rich_help_panel=_PANEL)]
EncodingOpt = Annotated[str | None, typer.Option("--encoding", help=N_("Text encoding (detected when omitted)."), rich_help_panel=_PANEL)]
DelimOpt = Annotated[str | None, typer.Option("--delimiter", help=N_("Field delimiter (detected when omitted)."), rich_help_panel=_PANEL)]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help=N_("XLSX sheet name."), rich_help_panel=_PANEL)]
LifecycleOpt = Annotated[
    LifecycleMode | None,
    typer.Option(
        "--lifecycle",
        help=N_("Lifecycle rows (schedule, start, complete, …): pair = one event per activity instance "
        "(queue and work time), keep = every row an event, activity = name + transition. "
        "Default: keep when the XES classifier includes the transition, else pair."),
        show_default=False,
        rich_help_panel=_PANEL,
    ),
]
_SHARE = N_("Safe to share")
PseudoOpt = Annotated[str | None, typer.Option(
    "--pseudonymise", help=N_("Replace these names by stable keyed pseudonyms: agent,customer[,team] (key from "
    "$CSPM_PSEUDONYM_KEY or --pseudonym-key-file); text attributes are dropped unless kept."),
    show_default=False, rich_help_panel=_SHARE)]  # fmt: skip
KeyFileOpt = Annotated[Path | None, typer.Option("--pseudonym-key-file", help=N_("File holding the secret key."),
                                                 rich_help_panel=_SHARE)]  # fmt: skip
KeepOpt = Annotated[list[str] | None, typer.Option("--keep-attribute", help=N_("Text attribute to keep when "
                                                   "pseudonymising (repeat)."), rich_help_panel=_SHARE)]  # fmt: skip
MappingOpt = Annotated[Path | None, typer.Option("--pseudonym-mapping", help=N_("Write original → pseudonym to this "
                                                 "CSV file (keep it private)."), rich_help_panel=_SHARE)]  # fmt: skip
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help=N_("Where the events are read, validated and analysed: duckdb (embedded, the default), spark "
        "(settings in the config's engine.spark), or a database URL; default: the config's engine."),
        rich_help_panel=_PANEL,
    ),
]
TableOpt = Annotated[
    str | None,
    typer.Option("--table", help=N_("Database or Spark table (or view) holding the events, when LOG is a database URL."), rich_help_panel=_PANEL),
]
QueryOpt = Annotated[
    str | None,
    typer.Option("--query", help=N_("SQL query giving the events, when LOG is a database URL (run in the database)."), rich_help_panel=_PANEL),
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help=N_("Configuration file (YAML or TOML)."), exists=False)
]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help=N_("table for people, json for scripts."))]
LangOpt = Annotated[
    Lang | None,
    typer.Option("--lang", help=N_("Language of the help, the report, the tables and messages: en or zh "
                 "(default: $CSPM_LANG, else the config's report.language, else en)."), show_default=False),
]
LogArg = Annotated[
    Path,
    typer.Argument(help=N_("The event log: CSV/TSV, XLSX, Parquet, XES or .xes.gz; with --engine spark also a "
                   "URI Spark reads, a Delta table or a Spark table; or a database URL (with --table or --query).")),
]

_READ_OPTIONS: dict[str, Any] = {
    "case_id": CaseOpt, "activity": ActivityOpt, "timestamp": TimestampOpt, "start_timestamp": StartOpt,
    "agent": AgentOpt, "team": TeamOpt, "timezone": TzOpt, "dayfirst": DayFirstOpt,
    "timestamp_format": FormatTsOpt, "encoding": EncodingOpt, "delimiter": DelimOpt, "sheet": SheetOpt,
    "lifecycle": LifecycleOpt, "pseudonymise": PseudoOpt, "pseudonym_key_file": KeyFileOpt,
    "keep_attribute": KeepOpt, "pseudonym_mapping": MappingOpt,
    "engine": EngineOpt, "table": TableOpt, "query": QueryOpt,
}  # fmt: skip
LogReader = Callable[[], "TicketLog"]


def reads_log(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command that takes ``log`` (and optionally ``config``) the column and reading options.

    The command declares a ``read`` parameter instead of those options and calls ``read()`` to get
    the :class:`~cspm.core.log.TicketLog`, read with them (under a status spinner).
    """
    signature = inspect.signature(command, eval_str=True)
    own = [p for name, p in signature.parameters.items() if name != "read"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
        for name, annotation in {**_READ_OPTIONS, "lang": LangOpt}.items()
    ]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        options = {name: kwargs.pop(name) for name in _READ_OPTIONS}
        lang = kwargs.pop("lang")
        path, config = kwargs["log"], kwargs.get("config")
        with use_language(output_language(lang, config)):
            # ``read(other)`` reads another log with the same options (e.g. the second log of a comparison)
            return command(**kwargs, read=lambda other=None: read_log(other or path, config=config, **options))

    wrapper.__signature__ = signature.replace(parameters=own + added)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in own + added}
    return wrapper


def output_language(lang: Lang | None, config: Path | None) -> str:
    """``--lang``, else ``$CSPM_LANG`` (or ``cspm --lang`` before the command), else the config's
    ``report.language``, else English. A config that cannot be read gives English here; the command
    itself reports why it cannot be read."""
    if lang is not None:
        return lang.value
    if _lang.chosen() is not None:
        return _lang.chosen()  # type: ignore[return-value]
    if config is not None and config.is_file():
        from cspm.config import load_config

        with contextlib.suppress(CspmError):
            return load_config(config).report.language
    return "en"


def read_log(
    log: Path,
    *,
    config: Path | None = None,
    activity: list[str] | None = None,
    delimiter: str | None = None,
    lifecycle: LifecycleMode | None = None,
    pseudonymise: str | None = None,
    pseudonym_key_file: Path | None = None,
    keep_attribute: list[str] | None = None,
    pseudonym_mapping: Path | None = None,
    **options: Any,
) -> TicketLog:
    """Read a log with the CLI's options (a status spinner while it reads)."""
    from cspm.config import as_config
    from cspm.ingest.pseudonymise import as_settings
    from cspm.ingest.read import read

    if pseudonymise or pseudonym_key_file or keep_attribute or pseudonym_mapping:
        base = as_config(config).pseudonymise
        update = {"key_file": pseudonym_key_file, "mapping": pseudonym_mapping,
                  "keep": [*base.keep, *(keep_attribute or [])]}  # fmt: skip
        base = base.model_copy(update={k: v for k, v in update.items() if v})
        options["pseudonymise"] = as_settings(pseudonymise, base) if pseudonymise else base
    if lifecycle is not None:
        options["pair_lifecycle"] = lifecycle is LifecycleMode.pair
    act: str | list[str] | None = None
    if activity:
        act = activity[0] if len(activity) == 1 else list(activity)
    delim = {"\\t": "\t", "tab": "\t"}.get(delimiter or "", delimiter)
    source = _source(log)
    with err_console.status(f"Reading {esc(source)} …"):
        return read(source, config=config, activity=act, delimiter=delim, **options)


def _source(log: Path) -> Path | str:
    """LOG as given: a path, or a URL (``postgresql://…``, ``s3a://…``), whose ``//`` a Path folds."""
    text = str(log)
    scheme, sep, rest = text.partition(":/")
    if sep and scheme.isascii() and scheme.replace("+", "").isalnum() and len(scheme) > 1 and not rest.startswith("/"):
        return f"{scheme}://{rest}"
    return log


def esc(value: Any) -> str:
    """``value`` as text that Rich prints literally (names from logs and files may contain ``[…]``),
    with control and bidi characters shown as escapes (``\\x1b``, ``<U+202E>``)."""
    from cspm.render.safe import terminal_text

    return escape(terminal_text(value))


def plain(value: Any) -> Text:
    """``value`` as a Rich ``Text`` (no markup) with control and bidi characters shown as escapes."""
    from cspm.render.safe import terminal_text

    return Text(terminal_text(value))


# --- options checked before any work starts -------------------------------------------------------
@contextlib.contextmanager
def config_named(path: Path | None) -> Iterator[None]:
    """Name the ``--config`` file in a :class:`ConfigError` the library raised without a path (e.g. a
    target on a step the log does not have)."""
    try:
        yield
    except ConfigError as exc:
        if exc.path is None and path is not None:
            raise ConfigError(path, exc.problems) from None
        raise


def output_file(path: Path | None, option: str) -> Path | None:
    """Check a file the command will write: not an existing folder, no file where a folder must be."""
    if path is None:
        return None
    if path.is_dir():
        raise InputError(_("{option} names a folder, not a file.").format(option=option), path=path, expected=_("a file name to write"))
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise InputError(_("{option}: {parent} is a file, not a folder.").format(option=option, parent=parent), path=path, expected=_("a path inside a folder"))
    return path


def model_option(path: Path, option: str = "--model") -> ReferenceModel:
    """The to-be model file of ``option``, loaded."""
    from cspm.analysis.conformance.check import ModelError, load_model

    if not path.is_file():
        what = "a folder, not a model file" if path.is_dir() else "no such file"
        raise ModelError(_("{option} names {what}.").format(option=option, what=what), path=path,
                         expected=_("a to-be model: BPMN 2.0 (.bpmn), PNML (.pnml) or a YAML happy-path spec (.yaml/.yml)"))  # fmt: skip
    return load_model(path)


def time_option(value: str | None, option: str) -> str | None:
    """A date/time option in ISO 8601 (``2024-03-01``, ``2024-03-01T08:00``, with or without offset),
    returned in the canonical form ``YYYY-MM-DDTHH:MM:SS[+HH:MM]``."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        detail = "" if str(exc).startswith("Invalid isoformat") else f" ({exc})"
        raise InputError(
            _("{option} {value!r} is not a date or time{detail}.").format(option=option, value=value, detail=detail),
            expected=_("an ISO 8601 date or time such as 2024-03-01 or 2024-03-01T08:00 (without an offset it is in the log's time zone)"),
        ) from None
    return parsed.isoformat()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def main() -> None:
    """Entry point: run the app; cspm's own errors become one paragraph and exit code 2."""
    try:
        try:
            app()
        except Exception as exc:  # the engine's out-of-memory error becomes one of cspm's
            raise as_cspm_error(exc) from None
    except CspmError as exc:
        with use_language(getattr(exc, "language", None)):  # the language the message was written in
            prefix = _("error:")
        gap = "" if prefix.endswith("：") else " "
        err_console.print(f"[bold red]{esc(prefix)}[/bold red]{gap}{esc(exc)}", highlight=False, soft_wrap=True)
        raise SystemExit(exc.exit_code) from None
