# Copied by deckc 0.1.0 from its runtime (compiler/runtime/reasoning.py), unchanged.
# DO NOT EDIT: edit the TOML sources in .pipelex/inference, then run:
#   deckc compile --config-dir .pipelex/inference --out generated
# ruff: noqa: E501, RUF100
"""A preset's reasoning settings as Pipelex 0.92's workers send them, by the model's
``thinking_mode`` (its ``pipelex.toml`` effort maps and ``fit_thinking_budget``):

=============  =====================================  =================================
``thinking``   ``reasoning_effort``                   ``reasoning_budget``
=============  =====================================  =================================
``manual``     OpenAI, Mistral: the effort's level    OpenAI, Mistral: refused (they
               (OpenAI's ``max`` is ``xhigh``; for    take an effort); Anthropic,
               Mistral every effort is                Gemini: the budget, fitted
               ``reasoning``); Anthropic, Gemini:
               the effort's budget, fitted
``adaptive``   Anthropic: adaptive thinking at the    Anthropic: refused; Gemini: the
               effort's level; Gemini: its thinking   budget, fitted; OpenAI, Mistral:
               level; OpenAI, Mistral: refused        refused
``none``       refused                                refused
=============  =====================================  =================================

A budget is fitted as Pipelex fits it: cut to the model's ``max_thinking_budget`` and to leave a
quarter of the call's ``max_tokens`` for the answer, raised to its ``min_thinking_budget``.  A
call that thinks (an OpenAI effort, Anthropic thinking) sends no temperature.  An effort of
``none`` turns thinking off.  A model whose spec gives no ``thinking_mode`` (the pipelex-0.10
layout has none) gets the settings as written: an OpenAI effort as is, an Anthropic or Gemini
budget unfitted.  A refusal is a ``ValueError`` with Pipelex's reason.  Imported only when asked.
"""

from __future__ import annotations

from typing import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = [
    "Asked",
    "anthropic_thinking",
    "fit_budget",
    "google_thinking",
    "mistral_effort",
    "openai_effort",
    "refusal",
]

# the SDKs that think with a budget, Anthropic's and Google's (the others take an effort)
ANTHROPIC_SDKS = ("anthropic", "bedrock_anthropic")
GOOGLE_SDKS = ("google", "vertexai")
# pipelex.toml [inference.llm.effort_to_budget_maps.anthropic] (.gemini is the same)
EFFORT_BUDGETS = {
    "minimal": 512,
    "low": 1024,
    "medium": 5000,
    "high": 16384,
    "xhigh": 32768,
    "max": 65536,
}
# pipelex.toml [inference.llm.<family>.effort_to_level_map]; None: thinking off
OPENAI_LEVELS = {"none": "none", "minimal": "minimal", "low": "low", "medium": "medium"}
OPENAI_LEVELS |= {"high": "high", "xhigh": "xhigh", "max": "xhigh"}
ANTHROPIC_LEVELS: dict[str, str | None] = {"none": None, "minimal": "low", "low": "low"}
ANTHROPIC_LEVELS |= {"medium": "medium", "high": "high", "xhigh": "xhigh", "max": "max"}
GOOGLE_LEVELS: dict[str, str | None] = {"none": None, "minimal": "minimal", "low": "low"}
GOOGLE_LEVELS |= {"medium": "medium", "high": "high", "xhigh": "high", "max": "high"}
MISTRAL_LEVELS: dict[str, str | None] = {"none": None}
MISTRAL_LEVELS |= dict.fromkeys(("minimal", "low", "medium", "high", "xhigh", "max"), "reasoning")
ANSWER_RESERVE_DIVISOR = 4  # a quarter of max_tokens stays for the answer


class Asked(NamedTuple):
    """What a call asks of a model: a preset's ``reasoning_effort`` and ``reasoning_budget``
    (None: not set), the model's ``thinking_mode`` (None: its spec says none) and its id."""

    effort: str | None
    budget: int | None
    mode: str | None
    model: str

    @classmethod
    def of(cls, effort: object, budget: object, mode: object, model: object) -> Asked:
        """As written in a preset and a spec: an effort of ``"auto"`` (the SDK's choice) is
        none, and a ``thinking_mode`` other than Pipelex 0.92's three (the seed layout's
        booleans) is unset."""
        return cls(
            effort if isinstance(effort, str) and effort != "auto" else None,
            budget if isinstance(budget, int) and not isinstance(budget, bool) else None,
            mode if isinstance(mode, str) and mode in ("none", "manual", "adaptive") else None,
            str(model),
        )

    def thinks(self) -> bool:
        """Whether reasoning is asked of a model whose spec gives its thinking_mode; raises for
        a model that does not reason."""
        if self.effort is None and self.budget is None:
            return False
        if self.mode == "none":
            raise _refuse(self.model, "does not support reasoning (thinking_mode=none)")
        return True


def _refuse(model: str, why: str) -> ValueError:
    return ValueError(f"model {model!r} {why}")


def fit_budget(budget: int, max_tokens: int | None, valued: Mapping[str, Any], model: str) -> int:
    """``budget`` within the model's bounds and the call's ``max_tokens`` (see the module)."""
    least, most = valued.get("min_thinking_budget"), valued.get("max_thinking_budget")
    fitted = budget if most is None else min(budget, most)
    if max_tokens is not None:
        ceiling = max_tokens - max(1, max_tokens // ANSWER_RESERVE_DIVISOR)
        if ceiling < (least if least is not None else 1):
            raise _refuse(
                model,
                f"cannot think within max_tokens={max_tokens}: raise max_tokens or remove the "
                "reasoning setting",
            )
        fitted = min(fitted, ceiling)
    return fitted if least is None else max(fitted, least)


def _effort(asked: Asked, api: str, levels: Mapping[str, str | None]) -> str | None:
    if asked.mode is None:
        return asked.effort  # no thinking_mode: as written (a budget has no form here)
    if not asked.thinks():
        return None
    if asked.mode == "adaptive":
        raise _refuse(asked.model, f"has thinking_mode=adaptive, which {api} does not take")
    if asked.effort is None:
        why = f"does not support reasoning_budget; {api} takes a reasoning_effort"
        raise _refuse(asked.model, why)
    return levels.get(asked.effort, asked.effort)


def openai_effort(asked: Asked) -> str | None:
    """The ``reasoning_effort`` (chat) or ``reasoning.effort`` (responses) an OpenAI call sends."""
    return _effort(asked, "OpenAI", OPENAI_LEVELS)


def mistral_effort(asked: Asked) -> str | None:
    """The ``reasoning_effort`` a Mistral call sends (``none``: not sent; any other effort:
    ``"reasoning"``, Pipelex's one level for Mistral)."""
    return _effort(asked, "Mistral", MISTRAL_LEVELS)


def anthropic_thinking(
    asked: Asked, max_tokens: int | None, valued: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The ``thinking`` and ``output_config`` an Anthropic call sends (None: not sent)."""
    effort, budget, mode, model = asked
    if mode is None:
        return (None if budget is None else {"type": "enabled", "budget_tokens": budget}), None
    if not asked.thinks():
        return None, None
    if effort is not None:
        level = ANTHROPIC_LEVELS.get(effort, effort)
        if level is None:
            return None, None
        if mode == "adaptive":
            return {"type": "adaptive"}, {"effort": level}
        budget = EFFORT_BUDGETS.get(effort, EFFORT_BUDGETS["medium"])
    elif mode == "adaptive":
        why = "uses adaptive thinking, which takes no reasoning_budget: set a reasoning_effort"
        raise _refuse(model, why)
    assert budget is not None
    return {"type": "enabled", "budget_tokens": fit_budget(budget, max_tokens, valued, model)}, None


def google_thinking(
    asked: Asked, max_tokens: int | None, valued: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The ``thinking_config`` a Gemini call sends (None: not sent)."""
    effort, budget, mode, model = asked
    if mode is None:
        return None if budget is None else {"thinking_budget": budget}
    if not asked.thinks():
        return None
    if effort is not None:
        level = GOOGLE_LEVELS.get(effort, effort)
        if level is None:
            return {"thinking_budget": 0}  # thinking off
        if mode == "adaptive":
            return {"thinking_level": level}
        budget = EFFORT_BUDGETS.get(effort, EFFORT_BUDGETS["medium"])
    assert budget is not None
    return {"thinking_budget": fit_budget(budget, max_tokens, valued, model)}


def refusal(
    asked: Asked, sdk: str, max_tokens: int | None, limit: int | None, valued: Mapping[str, Any]
) -> str | None:
    """Why a call through ``sdk`` cannot send what is ``asked`` (Pipelex's reason), or None;
    ``max_tokens`` is the call's (the preset's), ``limit`` the model's, which an Anthropic call
    sends when the preset sets none."""
    try:
        if sdk in ANTHROPIC_SDKS:
            anthropic_thinking(asked, max_tokens or limit, valued)
        elif sdk in GOOGLE_SDKS:
            google_thinking(asked, max_tokens, valued)
        elif sdk == "mistral":
            mistral_effort(asked)
        else:
            openai_effort(asked)
    except ValueError as refused:
        return str(refused)
    return None
