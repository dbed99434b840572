"""Reasoning settings as Pipelex 0.92 sends them (``compiler/runtime/reasoning.py``): the effort
maps and the budget fitting checked against what Pipelex 0.92.2 itself answered
(``tests/reasoning/pipelex_092.json``, written by ``tools/pipelex_reasoning.py``), then each
thinking mode's decisions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compiler.runtime import reasoning
from compiler.runtime.reasoning import (
    Asked,
    anthropic_thinking,
    fit_budget,
    google_thinking,
    mistral_effort,
    openai_effort,
)

PIPELEX = json.loads((Path(__file__).parent / "reasoning" / "pipelex_092.json").read_text())


def test_the_effort_maps_are_pipelexs() -> None:
    assert PIPELEX["pipelex"] == "0.92.2"
    levels = PIPELEX["effort_to_level_maps"]
    off = {"disabled": None}
    ours = {
        "openai": reasoning.OPENAI_LEVELS,
        "anthropic": reasoning.ANTHROPIC_LEVELS,
        "google": reasoning.GOOGLE_LEVELS,
        "mistral": reasoning.MISTRAL_LEVELS,
    }
    for family, theirs in levels.items():
        assert ours[family] == {effort: off.get(v, v) for effort, v in theirs.items()}, family
    for family in ("anthropic", "gemini"):
        budgets = dict(PIPELEX["effort_to_budget_maps"][family])
        assert budgets.pop("none") == 0  # never looked up: "none" turns thinking off first
        assert budgets == reasoning.EFFORT_BUDGETS, family


@pytest.mark.parametrize(
    ("budget", "max_tokens", "least", "most", "fitted"), PIPELEX["fit_thinking_budget"]
)
def test_a_budget_is_fitted_as_pipelex_fits_it(
    budget: int, max_tokens: int | None, least: int | None, most: int | None, fitted: Any
) -> None:
    bounds = {"min_thinking_budget": least, "max_thinking_budget": most}
    valued = {key: value for key, value in bounds.items() if value is not None}
    if fitted == "refused":
        with pytest.raises(ValueError, match=r"cannot think within max_tokens="):
            fit_budget(budget, max_tokens, valued, "m")
    else:
        assert fit_budget(budget, max_tokens, valued, "m") == fitted


def test_openai_takes_an_effort_of_a_manual_model() -> None:
    assert openai_effort(Asked("high", None, "manual", "gpt")) == "high"
    assert openai_effort(Asked("max", None, "manual", "gpt")) == "xhigh"
    assert openai_effort(Asked("none", None, "manual", "gpt")) == "none"
    assert openai_effort(Asked(None, None, "none", "gpt")) is None  # nothing asked: nothing refused
    assert openai_effort(Asked("max", None, None, "gpt")) == "max"  # no thinking_mode: as written
    with pytest.raises(ValueError, match=r"^model 'gpt' does not support reasoning_budget; OpenAI"):
        openai_effort(Asked(None, 2048, "manual", "gpt"))
    with pytest.raises(ValueError, match=r"^model 'gpt' has thinking_mode=adaptive, which OpenAI"):
        openai_effort(Asked("high", None, "adaptive", "gpt"))
    with pytest.raises(ValueError, match=r"^model 'gpt' does not support reasoning \(thinking_mo"):
        openai_effort(Asked("high", None, "none", "gpt"))


def test_mistral_reasons_at_pipelexs_one_level() -> None:
    assert mistral_effort(Asked("low", None, "manual", "magistral")) == "reasoning"
    assert mistral_effort(Asked("none", None, "manual", "magistral")) is None
    with pytest.raises(ValueError, match=r"reasoning_budget; Mistral takes a reasoning_effort"):
        mistral_effort(Asked(None, 100, "manual", "magistral"))


def test_anthropic_thinks_by_budget_or_adaptively() -> None:
    manual = anthropic_thinking(Asked("high", None, "manual", "claude"), 16000, {})
    assert manual == ({"type": "enabled", "budget_tokens": 12000}, None)  # 16384, fitted
    assert anthropic_thinking(Asked(None, 2048, "manual", "claude"), 64000, {}) == (
        {"type": "enabled", "budget_tokens": 2048},
        None,
    )
    assert anthropic_thinking(Asked("minimal", None, "adaptive", "claude"), 8000, {}) == (
        {"type": "adaptive"},
        {"effort": "low"},
    )
    assert anthropic_thinking(Asked("none", None, "manual", "claude"), 8000, {}) == (None, None)
    assert anthropic_thinking(Asked(None, 500, None, "claude"), 8000, {}) == (  # as written
        {"type": "enabled", "budget_tokens": 500},
        None,
    )
    with pytest.raises(ValueError, match=r"adaptive thinking, which takes no reasoning_budget"):
        anthropic_thinking(Asked(None, 2048, "adaptive", "claude"), 8000, {})
    with pytest.raises(ValueError, match=r"cannot think within max_tokens=1000"):
        anthropic_thinking(
            Asked("low", None, "manual", "claude"), 1000, {"min_thinking_budget": 1024}
        )


def test_gemini_thinks_by_budget_or_level() -> None:
    assert google_thinking(Asked("medium", None, "manual", "gemini"), None, {}) == {
        "thinking_budget": 5000
    }
    assert google_thinking(Asked("xhigh", None, "adaptive", "gemini"), None, {}) == {
        "thinking_level": "high"
    }
    assert google_thinking(Asked("none", None, "manual", "gemini"), None, {}) == {
        "thinking_budget": 0
    }
    assert google_thinking(
        Asked(None, 30000, "adaptive", "g"), None, {"max_thinking_budget": 24576}
    ) == {"thinking_budget": 24576}
    with pytest.raises(ValueError, match=r"does not support reasoning \(thinking_mode=none\)"):
        google_thinking(Asked("low", None, "none", "gemini"), None, {})
