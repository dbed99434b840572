"""Canonical JSON text, fast: exactly ``json.dumps(value, indent=2, sort_keys=True,
ensure_ascii=False) + "\\n"``.

The standard library encodes indented JSON in pure Python, through generators, because its C
encoder handles only compact output; at 100,000 models that takes seconds.  This encoder writes the
same bytes about three times faster: one recursive function appending to a list, with strings
escaped by the C ``encode_basestring``.  A property test compares both on random JSON values.
"""

from __future__ import annotations

from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any

__all__ = ["dumps"]

_quote: Callable[[str], str] = encode_basestring


def dumps(value: Any) -> str:
    """``value`` (str keys, JSON scalars, lists or tuples, finite floats) as canonical text."""
    parts: list[str] = []
    append = parts.append

    def encode(value: Any, newline: str) -> None:
        kind = type(value)
        if kind is str:
            append(_quote(value))
        elif kind is dict:
            if not value:
                append("{}")
                return
            inner = newline + "  "
            separator = "{" + inner
            for key in sorted(value):
                append(separator)
                append(_quote(key))
                append(": ")
                encode(value[key], inner)
                separator = "," + inner
            append(newline + "}")
        elif kind is list or kind is tuple:
            if not value:
                append("[]")
                return
            inner = newline + "  "
            separator = "[" + inner
            for item in value:
                append(separator)
                encode(item, inner)
                separator = "," + inner
            append(newline + "]")
        elif value is None:
            append("null")
        elif value is True:
            append("true")
        elif value is False:
            append("false")
        elif kind is int:
            append(int.__repr__(value))
        elif kind is float and value == value and value not in (_INF, -_INF):
            append(float.__repr__(value))
        elif kind not in _BASES and isinstance(value, _BASES):  # a subclass: encoded as json does
            encode(_base(value), newline)
        else:
            raise ValueError(f"cannot encode {value!r} as canonical JSON")

    encode(value, "\n")
    append("\n")
    return "".join(parts)


_INF = float("inf")
_BASES = (str, int, float, dict, list, tuple)


def _base(value: str | int | float | dict[str, Any] | list[Any] | tuple[Any, ...]) -> Any:
    """A subclass instance (a StrEnum, an IntEnum...) as the base value json encodes."""
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(int.__repr__(value))
    if isinstance(value, float):
        return float(float.__repr__(value))
    return dict(value) if isinstance(value, dict) else list(value)
