"""Naming (compiler/core/naming.py): close-match suggestions and the edit distance they use."""

from __future__ import annotations

import pytest

from compiler.core.naming import did_you_mean, edit_distance, family, same_family


@pytest.mark.parametrize(
    ("word", "candidates", "hint"),
    [
        ("o4-mini", ["gpt-4o-mini", "gpt-4o"], None),  # another family, however alike
        ("o4-mini", ["gpt-4o-mini", "o3-mini"], "did you mean `o3-mini`?"),
        ("gpt-6", ["gpt-5", "o3"], "did you mean `gpt-5`?"),
        ("claud-4-sonnet", ["claude-4-sonnet"], "did you mean `claude-4-sonnet`?"),  # a typo
        ("gtp-4o", ["gpt-4o"], "did you mean `gpt-4o`?"),  # two letters swapped
        (
            "best-claud",
            ["best-claude", "fast-claude"],
            "did you mean `best-claude` or `fast-claude`?",
        ),  # no version number: no family to tell
        ("pp", ["p"], "did you mean `p`?"),
        ("temprature", ["temperature"], "did you mean `temperature`?"),
    ],
)
def test_did_you_mean_offers_no_other_model_family(
    word: str, candidates: list[str], hint: str | None
) -> None:
    assert did_you_mean(word, candidates) == hint


def test_families_are_the_leading_letters() -> None:
    assert [family(n) for n in ("gpt-4o-mini", "o4-mini", "Claude-4", "4o")] == [
        "gpt",
        "o",
        "claude",
        "",
    ]
    assert not same_family("o4-mini", "gpt-4o-mini")
    assert not same_family("gemini-2.5-pro", "gemma-2")  # two typos in a short family
    assert same_family("o4-mini", "gpt")  # a name without a version has no family to compare


def test_edit_distance_counts_a_swap_as_one_edit_when_asked() -> None:
    assert edit_distance("gtp", "gpt") == 2
    assert edit_distance("gtp", "gpt", swaps=True) == 1
    assert edit_distance("kitten", "sitting", swaps=True) == 3
    assert edit_distance("", "abc", swaps=True) == 3
