"""The error of reference models: which file, which element, what was expected."""

from __future__ import annotations

from pathlib import Path

from cspm.errors import InputError

__all__ = ["ModelError"]


class ModelError(InputError):
    """A reference model cannot be read or is not usable; names the file and the element."""

    def __init__(self, message: str, *, path: str | Path | None = None, element: str | None = None,
                 expected: str | None = None) -> None:  # fmt: skip
        self.element = element
        text = f"element {element}: {message}" if element else message
        super().__init__(text, path=path, expected=expected)
