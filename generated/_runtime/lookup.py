# Copied by deckc 0.1.0 from its runtime (compiler/runtime/lookup.py), unchanged.
# DO NOT EDIT: edit the TOML sources in .pipelex/inference, then run:
#   deckc compile --config-dir .pipelex/inference --out generated
# ruff: noqa: E501, RUF100
"""The generated package's look-ups: handles, presets, choices and backends, as dict accesses.

deckc copies this module, unchanged, into every output package (``<out>/_runtime/``) beside the
data modules its templates fill in; ``<out>/deck.py`` re-exports its public names.  Every answer
was computed by the compiler for every routing profile and model type; the first look-up of a
name builds its record from those tables and caches it, and later look-ups are a dict access.

Standard library only; nothing is parsed at import.  ``DECK_ROUTING_PROFILE`` overrides the active
profile; an unknown one is reported by the first look-up that needs it.
"""

from __future__ import annotations

import os

from . import _index, data, references
from .backends import BackendRecord, backend
from .data import MODEL_TYPES, PROFILES
from .errors import (
    BackendNotFoundError,
    DeckLookupError,
    HandleNotFoundError,
    LLMHandleNotFoundError,
    LLMPresetNotFoundError,
    MissingCredentialError,
    ModelTypeNotFoundError,
    PresetNotFoundError,
    ProfileNotFoundError,
    handle_error,
    preset_error,
    suggest,
)
from .frozen import thaw
from .records import HandleRecord, ModelSpec, PresetRecord

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    from .data import Entry

    R = TypeVar("R")

__all__ = [
    "ACTIVE_PROFILE",
    "LOCK_SHA256",
    "MODEL_TYPES",
    "PROFILES",
    "BackendNotFoundError",
    "BackendRecord",
    "DeckLookupError",
    "HandleNotFoundError",
    "HandleRecord",
    "LLMHandleNotFoundError",
    "LLMPresetNotFoundError",
    "MissingCredentialError",
    "ModelSpec",
    "ModelTypeNotFoundError",
    "PresetNotFoundError",
    "PresetRecord",
    "ProfileNotFoundError",
    "aliases",
    "backend",
    "choice",
    "choices",
    "handles",
    "lookup",
    "preset",
    "presets",
    "resolve",
    "waterfalls",
]

LLM = "llm"
LOCK_SHA256: str = _index.LOCK_SHA256
ACTIVE_PROFILE: str = os.environ.get("DECK_ROUTING_PROFILE") or _index.DEFAULT_PROFILE


# --- records, built on first use --------------------------------------------------------------


def _profile(profile: str | None) -> str:
    """The profile a look-up is for: ``profile``, or the active one when None."""
    if profile is None:
        if ACTIVE_PROFILE in PROFILES:
            return ACTIVE_PROFILE
        origin, name = "DECK_ROUTING_PROFILE", ACTIVE_PROFILE
    elif profile in PROFILES:
        return profile
    else:
        origin, name = "profile=", profile
    raise ProfileNotFoundError(
        f"{origin} names routing profile {name!r}, which does not exist; profiles: "
        f"{', '.join(PROFILES)}{suggest(name, PROFILES)}"
    )


def _handle_record(profile: str, model_type: str, handle: str) -> HandleRecord | PresetRecord:
    error = handle_error(model_type)
    table = data.deck(model_type)
    if type(handle) is not str:
        raise error(f"unknown handle {handle!r}")
    kind, name = references.parse(handle)
    if kind == references.PRESET:
        return preset(name, profile, model_type)
    found: Entry | None = None
    known: tuple[str, ...] = ()
    for explicit, names in (
        (references.ALIAS, table.ALIASES),
        (references.WATERFALL, table.WATERFALLS),
    ):
        if kind == explicit:
            if data.position(names, name) is None:
                raise error(f"no {kind} named {name!r}{suggest(name, names)}")
            key = references.spell(kind, name)
            found = data.entry(table.EXPLICIT_NAMES, table.EXPLICIT_ENTRIES, profile, key)
            known = names
    if found is None:
        section = data.handle_section(model_type, name)
        found = data.entry(section.NAMES, section.ENTRIES, profile, name)
        known = known or section.NAMES
    if found is None:
        raise error(f"unknown handle {handle!r}{suggest(name, known)}")
    if isinstance(found, str):
        raise error(f"handle {handle!r} is unavailable under profile {profile!r}: {found}")
    return HandleRecord(handle=handle, **_answer(profile, model_type, found, name))


def _answer(
    profile: str, model_type: str, found: int | tuple[int, tuple[str, ...]], name: str
) -> dict[str, Any]:
    """The fields every record has, of the model an available entry points at."""
    (backend_name, model, fields, spec), path = data.answer(found, name)
    return {
        "model_type": model_type,
        "profile": profile,
        "model": model,
        "backend": backend_name,
        "model_id": fields["model_id"],
        "sdk": fields.get("sdk"),
        "spec": spec,
        "path": path,
    }


def _preset_record(profile: str, model_type: str, name: str) -> PresetRecord:
    table = data.deck(model_type)
    at = data.position(table.PRESET_NAMES, name) if type(name) is str else None
    if at is None:
        raise preset_error(model_type)(
            f"unknown preset {name!r}{suggest(name, table.PRESET_NAMES)}"
        )
    found: Entry = table.PRESET_ENTRIES[PROFILES.index(profile)][at]
    if isinstance(found, str):
        raise handle_error(model_type)(
            f"preset {name!r} is unavailable under profile {profile!r}: {found}"
        )
    target, frozen = table.PRESET_PARAMS[at]
    answer = _answer(profile, model_type, found, target)
    params = dict(thaw(frozen))
    for field in table.FROM_SPEC:
        if params.get(field) is None:
            params[field] = getattr(answer["spec"], field)
    return PresetRecord(preset=name, target=target, **answer, **params)


def _caches() -> dict[str, dict[str | None, dict[str, Any]]]:
    """model type -> profile -> name -> record; None is the active profile (its own table, left
    empty, when the active profile does not exist: every look-up then reports it)."""
    caches: dict[str, dict[str | None, dict[str, Any]]] = {}
    for model_type in MODEL_TYPES:
        tables: dict[str | None, dict[str, Any]] = {name: {} for name in PROFILES}
        tables[None] = tables.get(ACTIVE_PROFILE, {})
        caches[model_type] = tables
    return caches


_HANDLES: dict[str, dict[str | None, dict[str, HandleRecord | PresetRecord]]] = _caches()
_PRESETS: dict[str, dict[str | None, dict[str, PresetRecord]]] = _caches()
_LLM_HANDLES = _HANDLES.get(LLM, {None: {}})
_LLM_PRESETS = _PRESETS.get(LLM, {None: {}})
_ACTIVE_LLM_HANDLES = _LLM_HANDLES[None]
_ACTIVE_LLM_PRESETS = _LLM_PRESETS[None]


def _first(
    caches: dict[str, dict[str | None, dict[str, R]]],
    build: Callable[[str, str, str], R],
    key: str,
    profile: str | None,
    model_type: str,
) -> R:
    """A record not looked up before: built (or the error raised) and remembered."""
    data.deck(model_type)
    name = _profile(profile)
    record = build(name, model_type, key)
    caches[model_type][name][key] = record
    return record


# --- public API -------------------------------------------------------------------------------


def resolve(
    handle: str, profile: str | None = None, model_type: str = LLM
) -> HandleRecord | PresetRecord:
    """The record of a model, alias or waterfall (``@a``/``alias:a`` for an alias only,
    ``~w``/``waterfall:w`` for a waterfall only, ``$p``/``preset:p`` for a preset) of
    ``model_type`` under ``profile`` (default: the active one)."""
    try:  # the model type is compared with a literal: one bytecode less than a global
        if model_type == "llm":
            if profile is None:
                return _ACTIVE_LLM_HANDLES[handle]
            return _LLM_HANDLES[profile][handle]
        return _HANDLES[model_type][profile][handle]
    except KeyError:
        pass
    return _first(_HANDLES, _handle_record, handle, profile, model_type)


lookup = resolve  # the same function, typed for handles read at run time (any ``str``)


def preset(name: str, profile: str | None = None, model_type: str = LLM) -> PresetRecord:
    """The record of a preset: its model under ``profile`` plus its parameters."""
    try:
        if model_type == "llm":
            if profile is None:
                return _ACTIVE_LLM_PRESETS[name]
            return _LLM_PRESETS[profile][name]
        return _PRESETS[model_type][profile][name]
    except KeyError:
        pass
    return _first(_PRESETS, _preset_record, name, profile, model_type)


def choice(
    kind: str, profile: str | None = None, model_type: str = LLM
) -> HandleRecord | PresetRecord:
    """The preset (or handle) the deck chooses for ``kind`` (``for_text``, ``for_object``...)."""
    configured = {
        name: (target_kind, target) for name, target_kind, target in data.deck(model_type).CHOICES
    }
    selected = configured.get(kind) if type(kind) is str else None
    if selected is None:
        known = ", ".join(repr(k) for k in configured) or "none"
        raise preset_error(model_type)(
            f"no choice {kind!r} is configured; configured: {known}{suggest(kind, configured)}"
        )
    target_kind, target = selected
    if target_kind == "preset":
        return preset(target, profile, model_type)
    return resolve(target, profile, model_type)


# --- what the deck holds ------------------------------------------------------------------------


def handles(model_type: str = LLM) -> tuple[str, ...]:
    """Every model, alias and waterfall name of ``model_type``, sorted."""
    data.deck(model_type)
    modules, _ = _index.HANDLE_SECTIONS[model_type]
    return tuple(name for module in modules for name in data.section(module).NAMES)


def aliases(model_type: str = LLM) -> tuple[str, ...]:
    """The alias names of ``model_type``, sorted."""
    names: tuple[str, ...] = data.deck(model_type).ALIASES
    return names


def waterfalls(model_type: str = LLM) -> tuple[str, ...]:
    """The waterfall names of ``model_type``, sorted."""
    names: tuple[str, ...] = data.deck(model_type).WATERFALLS
    return names


def presets(model_type: str = LLM) -> tuple[str, ...]:
    """The preset names of ``model_type``, sorted."""
    names: tuple[str, ...] = data.deck(model_type).PRESET_NAMES
    return names


def choices(model_type: str = LLM) -> tuple[str, ...]:
    """The choices configured for ``model_type``, sorted."""
    return tuple(kind for kind, _, _ in data.deck(model_type).CHOICES)
