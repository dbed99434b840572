"""All naming in one place: key paths as users write them, close-match suggestions, identifiers."""

from __future__ import annotations

import difflib
import json
import keyword
import re
from collections.abc import Iterable

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
    return difflib.get_close_matches(word, sorted(set(candidates)), n=limit, cutoff=0.6)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    matches = close_matches(word, candidates)
    if not matches:
        return None
    return "did you mean " + " or ".join(f"`{m}`" for m in matches) + "?"


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (small strings only)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
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
    syntax stay inside the literal; lists become tuples.
    """
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("non-finite number in generated data")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        items = ", ".join(py_literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, dict):
        pairs = ", ".join(f"{py_literal(str(k))}: {py_literal(v)}" for k, v in value.items())
        return "{" + pairs + "}"
    raise TypeError(f"cannot render {type(value).__name__} as a Python literal")
