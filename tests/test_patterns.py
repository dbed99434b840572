"""Routing patterns and the route index: the index agrees with trying every rule in order."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.core.patterns import Pattern, PatternKind, RouteIndex, parse_pattern


@pytest.mark.parametrize(
    ("text", "kind", "core"),
    [
        ("gpt-4o", PatternKind.EXACT, "gpt-4o"),
        ("*", PatternKind.ANY, ""),
        ("claude-*", PatternKind.PREFIX, "claude-"),
        ("*-mini", PatternKind.SUFFIX, "-mini"),
        ("*llama*", PatternKind.CONTAINS, "llama"),
    ],
)
def test_parse_pattern(text: str, kind: PatternKind, core: str) -> None:
    assert parse_pattern(text) == Pattern(text, kind, core)


@pytest.mark.parametrize("text", ["a*b", "**", "*a*b*", ""])
def test_invalid_patterns(text: str) -> None:
    with pytest.raises(ValueError, match="invalid pattern"):
        parse_pattern(text)


def naive_winner(patterns: list[Pattern], name: str) -> int | None:
    """SPEC §3: the first exact rule for the name, else the first matching wildcard."""
    for i, p in enumerate(patterns):
        if not p.is_wildcard and p.matches(name):
            return i
    for i, p in enumerate(patterns):
        if p.is_wildcard and p.matches(name):
            return i
    return None


def indexed_winner(index: RouteIndex, name: str) -> int | None:
    exact = index.exact(name)
    return exact if exact is not None else index.first_wildcard(name)


ALPHABET = "ab-.:/"
cores = st.text(ALPHABET, min_size=1, max_size=4)
patterns = st.one_of(
    cores.map(parse_pattern),
    st.just(parse_pattern("*")),
    cores.map(lambda c: parse_pattern(c + "*")),
    cores.map(lambda c: parse_pattern("*" + c)),
    cores.map(lambda c: parse_pattern("*" + c + "*")),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(patterns, max_size=12), st.lists(st.text(ALPHABET, max_size=6), max_size=20))
def test_index_agrees_with_naive_rule_loop(rules: list[Pattern], names: list[str]) -> None:
    index = RouteIndex(rules)
    for name in names:
        assert indexed_winner(index, name) == naive_winner(rules, name)


def test_first_wildcard_in_declaration_order_wins() -> None:
    rules = [parse_pattern(t) for t in ["*-mini", "gpt-*", "*4o*", "*"]]
    index = RouteIndex(rules)
    assert index.first_wildcard("gpt-4o-mini") == 0
    assert index.first_wildcard("gpt-4o") == 1
    assert index.first_wildcard("o4o") == 2
    assert index.first_wildcard("claude") == 3


def test_exact_beats_earlier_wildcard() -> None:
    rules = [parse_pattern(t) for t in ["gpt-*", "gpt-4o", "gpt-4o"]]
    index = RouteIndex(rules)
    assert index.exact("gpt-4o") == 1
    assert indexed_winner(index, "gpt-4o") == 1
