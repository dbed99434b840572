# Copied by deckc 0.1.0 from its runtime (compiler/runtime/envvars.py), unchanged.
# DO NOT EDIT: edit the TOML sources in .pipelex/inference, then run:
#   deckc compile --config-dir .pipelex/inference --out generated
# ruff: noqa: E501, RUF100
"""``${...}`` credential references: the one grammar and the one expander.

The compiler finds and checks references with these functions (lockfile ``env_vars``, validate's
unset-variable check, the online probes, the build's checks that a credential holds references
only and that no ``$NAME`` stands for ``${NAME}``) and the generated runtime expands them with
the same code, copied beside it: whatever the compiler says about a reference is what the runtime
does.

A reference is ``${PARTS}`` where PARTS is one part or several joined by ``|``, each part
``NAME``, ``env:NAME`` or ``secret:NAME`` (NAME an identifier, ``[A-Za-z_][A-Za-z0-9_]*``), and
the parts are tried in order: the first that is set and not empty gives the value (Pipelex's
``${env:A|secret:B|C}``; an ``env:`` part of such a chain accepts an empty value, as there).
``env:`` reads the environment; ``secret:`` and a bare part read the secret source, which is the
environment unless the caller gives another.  deckc's own extension ``${NAME:-default}`` gives a
default when NAME is unset or empty (a literal value: a ``${`` in it is malformed).  A reference
none of whose parts is set, without a default, is *missing*.  Any other ``${`` is malformed.
Standard library only, no ``re``: the runtime imports this module in microseconds.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = [
    "Reference",
    "expand",
    "literal_text",
    "malformed",
    "references",
    "unbraced",
    "variables",
]

_OPEN = "${"
_DEFAULT = ":-"
_SOURCES = ("env", "secret")
_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_REST = _FIRST | frozenset("0123456789")


def _is_name(text: str) -> bool:
    return bool(text) and text[0] in _FIRST and all(c in _REST for c in text)


class Reference:
    """One well-formed reference: its parts as (source, name), tried in order, and its default."""

    __slots__ = ("default", "parts")

    def __init__(self, parts: tuple[tuple[str, str], ...], default: str | None) -> None:
        self.parts = parts
        self.default = default

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.parts)

    def __repr__(self) -> str:
        return f"Reference({self.parts!r}, {self.default!r})"


def _parse(body: str) -> Reference | str:
    """The reference written ``${body}``, or what is wrong with it."""
    name, has_default, default = body.partition(_DEFAULT)
    if has_default:
        if not _is_name(name):
            return f"`{name}` is not a variable name"
        if _OPEN in default:  # ${A:-${B}} would end at the first }: never what is meant
            return "a default cannot hold a reference: write the value itself"
        return Reference((("secret", name),), default)
    parts: list[tuple[str, str]] = []
    for part in body.split("|"):
        source, colon, name = part.rpartition(":")
        if not colon:
            source = "secret"
        elif source not in _SOURCES:
            return f"unknown source `{source}:` (use env: or secret:)"
        if not _is_name(name):
            return f"`{name}` is not a variable name"
        parts.append((source, name))
    return Reference(tuple(parts), None)


def _scan(text: str) -> Iterator[tuple[str, Reference | None, str | None]]:
    """(literal text before, reference, problem) for each reference of ``text``, then the trailing
    literal as ``(rest, None, None)``.  ``problem`` describes a malformed ``${``, after which the
    rest of the text is one literal."""
    rest = text
    while _OPEN in rest:
        head, _, tail = rest.partition(_OPEN)
        body, closed, after = tail.partition("}")
        parsed = _parse(body) if closed else "no closing }"
        if isinstance(parsed, str):
            shown = (_OPEN + tail)[:20]
            yield head, None, f"malformed variable reference `{shown}`: {parsed}"
            yield _OPEN + tail, None, None
            return
        yield head, parsed, None
        rest = after
    yield rest, None, None


def references(text: str) -> list[Reference]:
    """Every well-formed reference in ``text``, in order."""
    return [ref for _, ref, _ in _scan(text) if ref is not None]


def variables(text: str) -> list[str]:
    """Names of the variables ``text`` refers to, in order, without repeats."""
    return list(dict.fromkeys(name for ref in references(text) for name in ref.names))


def malformed(text: str) -> str | None:
    """A description of the first broken ``${...}`` in ``text``; None when every one is sound."""
    return next((problem for *_, problem in _scan(text) if problem is not None), None)


def literal_text(text: str) -> str:
    """``text`` with every well-formed reference taken out: what it says literally (a malformed
    ``${`` and all that follows it count as literal)."""
    return "".join(literal for literal, _, _ in _scan(text))


def unbraced(text: str) -> list[str]:
    """Names written ``$NAME`` outside any reference, where ``${NAME}`` was surely meant (the
    ``$NAME`` itself is literal text), in order, without repeats."""
    names: list[str] = []
    for literal, _, _ in _scan(text):
        for chunk in literal.split("$")[1:]:
            end = next((i for i, c in enumerate(chunk) if c not in _REST), len(chunk))
            if chunk[:1] in _FIRST and chunk[:end] not in names:
                names.append(chunk[:end])
    return names


def value_of(
    ref: Reference, environ: Mapping[str, str], secrets: Mapping[str, str] | None = None
) -> str | None:
    """What ``ref`` reads: its first part that is set and not empty, else its default, else None.
    (As in Pipelex, an ``env:`` part of a chain of several accepts an empty variable.)"""
    chained = len(ref.parts) > 1
    for source, name in ref.parts:
        value = (environ if source == "env" or secrets is None else secrets).get(name)
        if value or (value is not None and chained and source == "env"):
            return value
    return ref.default


def expand(
    text: str, environ: Mapping[str, str], secrets: Mapping[str, str] | None = None
) -> tuple[str, list[str]]:
    """``text`` with its references read from ``environ`` (and ``secrets``, for ``secret:`` and
    bare parts; the environment when None), and the names of the variables of every missing
    reference, in order; a malformed reference is kept as written."""
    parts: list[str] = []
    missing: list[str] = []
    for literal, ref, _ in _scan(text):
        parts.append(literal)
        if ref is None:
            continue
        value = value_of(ref, environ, secrets)
        if value is None:
            missing += [name for name in ref.names if name not in missing]
            continue
        parts.append(value)
    return "".join(parts), missing
