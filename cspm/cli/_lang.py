"""The CLI's language before and around the parsing: ``--help``, Click's usage errors, the ``error:`` line.

Typer builds the help from texts fixed when the commands are declared, before the language is known.
So the language is picked from the command line first (``--lang zh`` anywhere, else the environment
variable ``CSPM_LANG``) and kept for the whole run (:class:`LanguageGroup`), and the help is
translated when it is drawn (:func:`translated_help`): the command and option texts (marked with
``N_()``, the commands' docstrings extracted by :func:`cspm.i18n.extract_catalog`), the panel
names, Typer's own words (``Usage:``, ``Options``, ``[default: …]``) and the metavars (``<path>``).
Click's usage errors (``No such option``) stay English: Typer's copy of Click has no catalogs.
English is drawn exactly as Typer draws it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any

import typer.core
import typer.rich_utils as rich_utils

from cspm.i18n import N_, check_language, gettext, use_language

ENV = "CSPM_LANG"
_chosen: ContextVar[str | None] = ContextVar("cspm_cli_language", default=None)

# Typer's and Click's own words in the help and in usage errors (their English is the msgid)
_TYPER_WORDS = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"), "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"), "DEFAULT_STRING": N_("[default: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"), "ERRORS_PANEL_TITLE": N_("Error"),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."), "ENVVAR_STRING": N_("[env var: {}]"),
}  # fmt: skip
_USAGE = N_("Usage:")
_HELP_OPTION = N_("Show this message and exit.")  # Click's --help text (matched as a parameter's help)
_METAVARS = {"str": N_("str"), "path": N_("path"), "int": N_("int"), "float": N_("float"), "range": N_("range"),
             "list[str]": N_("list[str]"), "[OPTIONS]": N_("[OPTIONS]"), "COMMAND [ARGS]...": N_("COMMAND [ARGS]...")}  # fmt: skip


def argv_language(args: Sequence[str]) -> str | None:
    """The language the command line asks for: ``--lang X`` / ``--lang=X`` anywhere, else ``$CSPM_LANG``
    (None: not asked; a value cspm lacks is left for the option's own check)."""
    for i, arg in enumerate(args):
        value = args[i + 1] if arg == "--lang" and i + 1 < len(args) else arg.removeprefix("--lang=") if arg.startswith("--lang=") else None
        if value is not None:
            with contextlib.suppress(ValueError):
                return check_language(value)
    env = os.environ.get(ENV, "").strip()
    with contextlib.suppress(ValueError):
        return check_language(env) if env else None
    return None


def chosen() -> str | None:
    """The language picked from the command line or ``$CSPM_LANG`` for this run (None: not asked)."""
    return _chosen.get()


class LanguageGroup(typer.core.TyperGroup):
    """Typer's group, run in the language of the command line (help and usage errors included)."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **kwargs: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        lang = argv_language(argv)
        token = _chosen.set(lang)
        try:
            with use_language(lang):
                return super().main(args, *rest, **kwargs)
        finally:
            _chosen.reset(token)


def _tr(text: str | None) -> str | None:
    return gettext(text) if text else text


@contextlib.contextmanager
def _translated(command: Any, ctx: Any) -> Iterator[None]:
    """Inside the block, ``command`` (its subcommands and parameters) and Typer's words are in the
    active language; afterwards everything is as declared."""
    saved: list[tuple[Any, str, Any]] = []

    def put(obj: Any, attr: str, value: Any) -> None:
        saved.append((obj, attr, getattr(obj, attr)))
        setattr(obj, attr, value)

    try:
        for name, msgid in _TYPER_WORDS.items():
            put(rich_utils, name, gettext(msgid))
        usage = command.get_usage
        word = gettext(_USAGE)
        put(command, "get_usage", lambda ctx: usage(ctx).replace("Usage: ", word if word.endswith("：") else word + " ", 1))
        put(command, "help", _tr(command.help))
        put(command, "options_metavar", metavar(command.options_metavar))
        if isinstance(command, typer.core.TyperGroup):
            put(command, "subcommand_metavar", metavar(command.subcommand_metavar))
            for sub in command.commands.values():
                put(sub, "help", _tr(sub.help))
                put(sub, "short_help", _tr(sub.short_help))
        for param in command.get_params(ctx):
            put(param, "help", _tr(getattr(param, "help", None)))
            if getattr(param, "rich_help_panel", None):
                put(param, "rich_help_panel", _tr(param.rich_help_panel))
        yield
    finally:
        for obj, attr, value in reversed(saved):
            setattr(obj, attr, value)


_format_help = rich_utils.rich_format_help
_format_error = rich_utils.rich_format_error


def translated_help(*, obj: Any, ctx: Any, markup_mode: Any) -> None:
    """Typer's help, drawn in the active language."""
    with _translated(obj, ctx):
        return _format_help(obj=obj, ctx=ctx, markup_mode=markup_mode)


def translated_error(self: Any) -> None:
    """Typer's usage-error panel, in the active language."""
    saved = {name: getattr(rich_utils, name) for name in _TYPER_WORDS}
    try:
        for name, msgid in _TYPER_WORDS.items():
            setattr(rich_utils, name, gettext(msgid))
        return _format_error(self)
    finally:
        for name, value in saved.items():
            setattr(rich_utils, name, value)


def metavar(text: str | None) -> str | None:
    """A metavar in the help ('<str>', '<float range> [0.0<=x<=1.0]', '[OPTIONS]') in the active
    language; choices ('<table|json>') are values and stay as they are."""
    if text in _METAVARS:
        return gettext(_METAVARS[text])
    if not text or not text.startswith("<"):
        return text
    head, sep, rest = text.partition(">")
    words = head.removeprefix("<").split(" ")
    return "<" + " ".join(gettext(_METAVARS[w]) if w in _METAVARS else w for w in words) + sep + rest


def install() -> None:
    """Draw help and usage errors through the catalogs (English: exactly Typer's and Click's text)."""
    rich_utils.rich_format_help = translated_help  # type: ignore[assignment]
    rich_utils.rich_format_error = translated_error  # type: ignore[assignment]
    argument_type = typer.core.TyperArgument.display_type_rich
    typer.core.TyperArgument.display_type_rich = lambda self, ctx: metavar(argument_type(self, ctx))  # type: ignore[method-assign]

