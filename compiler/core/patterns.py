"""Routing patterns and the index that matches them.

A pattern is a model name (exact), ``*`` (anything), ``prefix*``, ``*suffix`` or ``*contains*``.
:class:`RouteIndex` answers "which rule applies to this model name" exactly as trying the rules
one by one would (exact first, then the first wildcard in declaration order), without trying every
rule: exact names and affixes are dict look-ups over the name's prefixes and suffixes, and only the
``*contains*`` rules are scanned.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass


class PatternKind(enum.Enum):
    EXACT = "exact"
    ANY = "any"
    PREFIX = "prefix"
    SUFFIX = "suffix"
    CONTAINS = "contains"


@dataclass(frozen=True)
class Pattern:
    text: str
    kind: PatternKind
    core: str  # the part without stars

    @property
    def is_wildcard(self) -> bool:
        return self.kind is not PatternKind.EXACT

    def matches(self, name: str) -> bool:
        match self.kind:
            case PatternKind.EXACT:
                return name == self.core
            case PatternKind.ANY:
                return True
            case PatternKind.PREFIX:
                return name.startswith(self.core)
            case PatternKind.SUFFIX:
                return name.endswith(self.core)
            case PatternKind.CONTAINS:
                return self.core in name


def parse_pattern(text: str, *, literal_inner_stars: bool = False) -> Pattern:
    """Parse a route key.  A star anywhere but the ends raises ValueError, unless
    ``literal_inner_stars`` (Pipelex 0.92 reads such a star as a plain character, and ``**`` as
    matching anything)."""
    if text == "*" or (literal_inner_stars and text == "**"):
        return Pattern(text, PatternKind.ANY, "")
    starts, ends = text.startswith("*"), text.endswith("*")
    core = text[1 if starts else 0 : len(text) - 1 if ends else len(text)]
    if not core or ("*" in core and not literal_inner_stars):
        raise ValueError(f"invalid pattern {text!r}")
    if starts and ends:
        return Pattern(text, PatternKind.CONTAINS, core)
    if starts:
        return Pattern(text, PatternKind.SUFFIX, core)
    if ends:
        return Pattern(text, PatternKind.PREFIX, core)
    return Pattern(text, PatternKind.EXACT, core)


class RouteIndex:
    """Find the rule that wins for a model name among ``patterns`` (given in declaration order)."""

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        self._exact: dict[str, int] = {}
        self._prefix: dict[str, int] = {}
        self._suffix: dict[str, int] = {}
        self._contains: list[tuple[int, str]] = []
        self._any: int | None = None
        for position, pattern in enumerate(patterns):
            table = {
                PatternKind.EXACT: self._exact,
                PatternKind.PREFIX: self._prefix,
                PatternKind.SUFFIX: self._suffix,
            }.get(pattern.kind)
            if table is not None:
                table.setdefault(pattern.core, position)
            elif pattern.kind is PatternKind.CONTAINS:
                self._contains.append((position, pattern.core))
            elif self._any is None:
                self._any = position
        self._prefix_lengths = sorted({len(p) for p in self._prefix})
        self._suffix_lengths = sorted({len(s) for s in self._suffix})

    def exact(self, name: str) -> int | None:
        """Position of the first exact rule naming ``name``."""
        return self._exact.get(name)

    def first_wildcard(self, name: str) -> int | None:
        """Position of the first wildcard rule, in declaration order, that matches ``name``."""
        best = self._any
        for length in self._prefix_lengths:
            if length > len(name):
                break
            hit = self._prefix.get(name[:length])
            if hit is not None and (best is None or hit < best):
                best = hit
        for length in self._suffix_lengths:
            if length > len(name):
                break
            hit = self._suffix.get(name[len(name) - length :])
            if hit is not None and (best is None or hit < best):
                best = hit
        for position, core in self._contains:
            if best is not None and position > best:
                break
            if core in name:
                best = position
                break
        return best
