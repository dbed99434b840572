"""The files ``deckc init`` writes, as views of commented TOML documents, and their rendering.

A :class:`Document` is comments, top-level keys and tables, each key with the comments above it;
``templates/init.toml.j2`` loops over it and writes every value through :func:`toml_value`, so
a name or a string is always a quoted TOML literal, never text spliced into the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from json.encoder import encode_basestring
from typing import TYPE_CHECKING

from ..core.naming import format_key, format_key_path
from ..emit.render import template_environment

if TYPE_CHECKING:
    import jinja2

TEMPLATE = "init.toml.j2"


@dataclass(frozen=True)
class Entry:
    key: str
    value: object
    comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    path: tuple[str, ...]
    entries: tuple[Entry, ...]
    comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    comments: tuple[str, ...]
    tables: tuple[Table, ...]
    entries: tuple[Entry, ...] = ()  # top-level keys, before the tables


def rows(values: Mapping[str, object]) -> tuple[Entry, ...]:
    return tuple(Entry(key, value) for key, value in values.items())


def toml_value(value: object) -> str:
    """``value`` as a TOML literal: strings in JSON's escapes (valid TOML), lists, inline
    tables, booleans and finite numbers."""
    if isinstance(value, str):
        return encode_basestring(value).replace("\x7f", "\\u007f")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("a TOML number must be finite")
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = ", ".join(f"{format_key(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


@cache
def _environment() -> jinja2.Environment:
    env = template_environment()
    env.filters["toml"] = toml_value
    env.filters["toml_key"] = format_key
    env.filters["toml_path"] = format_key_path
    return env


def render(doc: Document) -> str:
    return _environment().get_template(TEMPLATE).render(doc=doc)
