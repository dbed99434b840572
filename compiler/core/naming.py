"""All naming in one place: key paths as users write them, close-match suggestions, identifiers."""

from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Callable, Iterable, Sequence
from json.encoder import encode_basestring

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
BACKEND_NAME = re.compile(r"^[a-z0-9_]+$")


def format_key(key: str | int) -> str:
    if isinstance(key, int):
        return f"[{key}]"
    if _BARE_KEY.match(key):
        return key
    escaped = key.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def format_key_path(path: Iterable[str | int]) -> str:
    """``("models", "claude-4.1-opus", "costs")`` -> ``models."claude-4.1-opus".costs``."""
    text = ""
    for key in path:
        part = format_key(key)
        text += part if (isinstance(key, int) or not text) else f".{part}"
    return text


def close_matches(word: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """The candidates most like ``word``, best first; of two versioned names (model names such
    as ``gpt-4o-mini``), only those of the same family (see :func:`same_family`)."""
    kin = sorted({c for c in candidates if same_family(word, c)})
    return difflib.get_close_matches(word, kin, n=limit, cutoff=0.6)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    matches = close_matches(word, candidates)
    if not matches:
        return None
    return "did you mean " + " or ".join(f"`{m}`" for m in matches) + "?"


_FAMILY = re.compile(r"[a-z]*")


def family(name: str) -> str:
    """A model name's family: its leading letters, before the first digit or separator
    (``gpt`` of ``gpt-4o-mini``, ``o`` of ``o4-mini``, ``claude`` of ``claude-4-sonnet``)."""
    match = _FAMILY.match(name.lower())
    return match.group() if match else ""


def same_family(a: str, b: str) -> bool:
    """False only for two versioned names (each holds a digit) of different families: ``o4-mini``
    is no typo of ``gpt-4o-mini`` however alike they look.  Families agree when equal, or, both
    of 3 letters or more, one typo apart (two from 8 letters on): ``claud-4`` means ``claude-4``."""
    if not (any(c.isdigit() for c in a) and any(c.isdigit() for c in b)):
        return True
    mine, theirs = family(a), family(b)
    if mine == theirs:
        return True
    shorter = min(len(mine), len(theirs))
    return shorter >= 3 and edit_distance(mine, theirs, swaps=True) <= (2 if shorter >= 8 else 1)


def edit_distance(a: str, b: str, *, swaps: bool = False) -> int:
    """Levenshtein distance (small strings only); with ``swaps``, swapping two adjacent
    characters is one edit too (``gtp`` -> ``gpt``)."""
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if swaps and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        before, previous = previous, current
    return previous[-1]


def python_identifier(name: str) -> str:
    """A safe Python identifier derived from ``name`` (used only for generated helper names)."""
    ident = re.sub(r"\W", "_", name, flags=re.ASCII)
    if not ident or ident[0].isdigit():
        ident = f"_{ident}"
    if keyword.iskeyword(ident):
        ident += "_"
    return ident


def py_literal(value: object) -> str:
    """Python source for a JSON-like value: names are data, never code.

    Strings use JSON's escapes (valid in Python), so quotes, backslashes, newlines and template
    syntax stay inside the literal; lists become tuples; ``...`` stays ``...`` (the marker of a
    mapping written as a tuple of constants, see ``views.frozen``).
    """
    parts: list[str] = []
    _literal(value, parts.append)
    return "".join(parts)


def _literal(value: object, append: Callable[[str], object]) -> None:
    kind = type(value)
    if kind is str:
        append(_quote(value))  # type: ignore[arg-type]
    elif kind is tuple or kind is list:
        items: Sequence[object] = value  # type: ignore[assignment]
        append("(")
        for index, item in enumerate(items):
            if index:
                append(", ")
            _literal(item, append)
        append(",)" if len(items) == 1 else ")")
    elif kind is int:
        append(int.__repr__(value))
    elif value is ...:
        append("...")
    elif value is None or value is True or value is False:
        append(repr(value))
    elif kind is float:
        if value != value or value in (_INF, -_INF):
            raise ValueError("non-finite number in generated data")
        append(float.__repr__(value))
    elif isinstance(value, dict):
        append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                append(", ")
            append(_quote(str(key)))
            append(": ")
            _literal(item, append)
        append("}")
    elif isinstance(value, str):
        append(_quote(str.__str__(value)))
    elif isinstance(value, list | tuple):
        _literal(tuple(value), append)
    elif isinstance(value, int):
        append(int.__repr__(value))
    else:
        raise TypeError(f"cannot render {type(value).__name__} as a Python literal")


_INF = float("inf")


def _quote(text: str) -> str:
    """A double-quoted Python literal of pure ASCII: JSON's escapes (valid in Python) for
    quotes, backslashes and control characters, Python's for every other character that is not
    printable ASCII, so no invisible, bidirectional or look-alike character reaches generated
    code (ruff's RUF001 flags those, and a reviewer cannot see them)."""
    quoted = encode_basestring(text)
    if quoted.isascii() and "\x7f" not in quoted:
        return quoted
    return "".join(c if " " <= c <= "~" else ascii(c)[1:-1] for c in quoted)
