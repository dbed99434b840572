# Copied by deckc 0.1.0 from its runtime (compiler/runtime/references.py), unchanged.
# DO NOT EDIT: edit the TOML sources in .pipelex/inference, then run:
#   deckc compile --config-dir .pipelex/inference --out generated
# ruff: noqa: E501, RUF100
"""The reference forms of the deck: one table, read by the compiler and by the generated runtime.

A reference names something of one model type:

    ====================  ==========  =========================================================
    written               kind        names
    ====================  ==========  =========================================================
    ``$p``, ``preset:p``  preset      a preset
    ``@a``, ``alias:a``   alias       an alias
    ``~w``, ``waterfall:w``  waterfall  a waterfall (a fallback chain)
    ``handle:h``          handle      a handle, read as a bare name
    ``h``                 bare        a model, else an alias, else a waterfall
    ====================  ==========  =========================================================

A prefix with nothing after it (``"$"``) is a bare name.  Kinds are plain strings so that the
runtime needs no ``enum``; the compiler's :class:`~compiler.core.ir.RefKind` has the same values.
"""

from __future__ import annotations

__all__ = ["ALIAS", "BARE", "FORMS", "HANDLE", "PRESET", "SIGILS", "WATERFALL", "parse", "spell"]

PRESET = "preset"
ALIAS = "alias"
WATERFALL = "waterfall"
HANDLE = "handle"
BARE = "bare"

# Every written form, in the order they are tried (no prefix is a prefix of another).
FORMS: tuple[tuple[str, str], ...] = (
    ("$", PRESET),
    ("preset:", PRESET),
    ("@", ALIAS),
    ("alias:", ALIAS),
    ("~", WATERFALL),
    ("waterfall:", WATERFALL),
    ("handle:", HANDLE),
)
# The short form of each explicit kind, as the compiler writes references it makes.
SIGILS: dict[str, str] = {PRESET: "$", ALIAS: "@", WATERFALL: "~", HANDLE: "handle:"}


def parse(text: str) -> tuple[str, str]:
    """(kind, name) of the reference ``text``."""
    for prefix, kind in FORMS:
        if text.startswith(prefix) and len(text) > len(prefix):
            return kind, text[len(prefix) :]
    return BARE, text


def spell(kind: str, name: str) -> str:
    """The short written form of a reference of ``kind`` to ``name``."""
    return SIGILS.get(kind, "") + name
