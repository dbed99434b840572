# Copied by deckc 0.1.0 from its runtime (compiler/runtime/errors.py), unchanged.
# DO NOT EDIT: edit the TOML sources in .pipelex/inference, then run:
#   deckc compile --config-dir .pipelex/inference --out generated
# ruff: noqa: E501, RUF100
"""The look-up errors of the generated runtime: ``KeyError``\\ s whose message reads as a sentence
and suggests close names."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "BackendNotFoundError",
    "DeckLookupError",
    "HandleNotFoundError",
    "LLMHandleNotFoundError",
    "LLMPresetNotFoundError",
    "MissingCredentialError",
    "ModelTypeNotFoundError",
    "PresetNotFoundError",
    "ProfileNotFoundError",
    "handle_error",
    "preset_error",
    "suggest",
]


class DeckLookupError(KeyError):
    """Base of the look-up errors; a KeyError whose message reads as a sentence."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class HandleNotFoundError(DeckLookupError):
    """The handle is unknown, or declared but unavailable under the profile."""


class LLMHandleNotFoundError(HandleNotFoundError):
    """An LLM handle is unknown, or declared but unavailable under the profile."""


class PresetNotFoundError(DeckLookupError):
    """The preset or choice is unknown."""


class LLMPresetNotFoundError(PresetNotFoundError):
    """An LLM preset or choice is unknown."""


class ProfileNotFoundError(DeckLookupError):
    """No routing profile has that name."""


class ModelTypeNotFoundError(DeckLookupError):
    """The deck has no model of that type."""


class BackendNotFoundError(DeckLookupError):
    """No backend has that name."""


class MissingCredentialError(DeckLookupError):
    """A ``${VAR}`` a backend needs is not set in the environment."""


def handle_error(model_type: str) -> type[HandleNotFoundError]:
    return LLMHandleNotFoundError if model_type == "llm" else HandleNotFoundError


def preset_error(model_type: str) -> type[PresetNotFoundError]:
    return LLMPresetNotFoundError if model_type == "llm" else PresetNotFoundError


def suggest(word: object, candidates: Iterable[str]) -> str:
    if type(word) is not str:
        return ""
    import difflib  # only on the error path

    close = difflib.get_close_matches(word, list(candidates), n=3)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
