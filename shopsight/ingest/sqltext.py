"""Small helpers for writing SQL text safely (identifiers, literals, lists)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def lit(value: str | Path) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit_list(values: Iterable[str | Path]) -> str:
    """A SQL list literal of strings: `['a', 'b']`."""
    return "[" + ", ".join(lit(v) for v in values) + "]"


def in_list(values: Iterable[str]) -> str:
    """The inside of an `IN (...)`: `'a', 'b'`."""
    return ", ".join(lit(v) for v in values)
