# Copied by deckc 0.1.0 from its runtime (compiler/runtime/envvars.py), unchanged.
# DO NOT EDIT: edit the TOML sources in .pipelex/inference, then run:
#   deckc compile --config-dir .pipelex/inference --out generated
# ruff: noqa: E501, RUF100
"""``${VAR}`` and ``${VAR:-default}`` references: the one grammar and the one expander.

The compiler finds and checks references with these functions (lockfile ``env_vars``, validate's
unset-variable check, the online probes) and the generated runtime expands them with the same
code, copied beside it: whatever the compiler says about a reference is what the runtime does.

A reference is ``${NAME}`` or ``${NAME:-default}``, NAME an identifier (``[A-Za-z_][A-Za-z0-9_]*``)
and the default any text without ``}``.  Expanding reads NAME from an environment mapping: an
unset NAME takes the default, and so does an empty one that has a default; an unset NAME without
a default is *missing*.  Any other ``${`` is malformed.  Standard library only, no ``re``: the
runtime imports this module in microseconds.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = ["expand", "malformed", "references", "variables"]

_OPEN = "${"
_DEFAULT = ":-"
_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_REST = _FIRST | frozenset("0123456789")


def _is_name(text: str) -> bool:
    return bool(text) and text[0] in _FIRST and all(c in _REST for c in text)


def _scan(text: str) -> Iterator[tuple[str, str | None, str | None, str | None]]:
    """(literal text before, variable, default, problem) for each reference of ``text``, then the
    trailing literal as ``(rest, None, None, None)``.  ``problem`` describes a malformed ``${``,
    after which the rest of the text is one literal."""
    rest = text
    while _OPEN in rest:
        head, _, tail = rest.partition(_OPEN)
        body, closed, after = tail.partition("}")
        name, has_default, default = body.partition(_DEFAULT)
        if not closed or not _is_name(name):
            shown = (_OPEN + tail)[:20]
            yield head, None, None, f"malformed variable reference `{shown}`"
            yield _OPEN + tail, None, None, None
            return
        yield head, name, default if has_default else None, None
        rest = after
    yield rest, None, None, None


def references(text: str) -> list[tuple[str, str | None]]:
    """(variable, default or None) of every well-formed reference in ``text``, in order."""
    return [(var, default) for _, var, default, _ in _scan(text) if var is not None]


def variables(text: str) -> list[str]:
    """Names of the variables ``text`` refers to, in order, without repeats."""
    return list(dict.fromkeys(var for var, _ in references(text)))


def malformed(text: str) -> str | None:
    """A description of the first broken ``${...}`` in ``text``; None when every one is sound."""
    return next((problem for *_, problem in _scan(text) if problem is not None), None)


def expand(text: str, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """``text`` with its references read from ``environ``, and the missing variables (unset,
    without a default), in order; a malformed reference is kept as written."""
    parts: list[str] = []
    missing: list[str] = []
    for literal, var, default, _ in _scan(text):
        parts.append(literal)
        if var is None:
            continue
        value = environ.get(var)
        if value is None or (default is not None and value == ""):
            if default is None:
                missing.append(var)
                continue
            value = default
        parts.append(value)
    return "".join(parts), missing
