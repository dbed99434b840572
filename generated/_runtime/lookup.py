# Copied by deckc 0.1.0 from its runtime (compiler/runtime/lookup.py), unchanged.
# DO NOT EDIT: edit the TOML sources in .pipelex/inference, then run:
#   deckc compile --config-dir .pipelex/inference --out generated
# ruff: noqa: E501, RUF100
"""The generated package's look-ups: handles, presets, choices and backends, as dict accesses.

deckc copies this module, unchanged, into every output package (``<out>/_runtime/``) beside the
data modules its templates fill in; ``<out>/deck.py`` re-exports its public names.  Every answer
was computed by the compiler for every routing profile and model type; the first look-up of a
name builds its record from those tables and caches it, and later look-ups are a dict access.

The data (see ``_index.pyi`` for the index's contract) are constants unmarshalled from bytecode,
in sections imported on first use:

* ``_index``: the lockfile's hash, the profiles, the model types, the names of the sections;
* handle sections (``HANDLE_SECTIONS[model_type]``): ``NAMES``, the sorted bare names (models,
  aliases, waterfalls) of a slice of the model type's handles, and beside each section one
  module per profile (``<section>_p<index in PROFILES>``) whose ``ENTRIES`` hold one entry per
  name: the index of a model's spec (a model routed directly), ``(index of the spec, names
  followed)`` for an alias or waterfall, or the reason the handle is unavailable under that
  profile (a string);
* spec sections (``SPEC_SECTIONS``): ``SPECS``, ``(backend, model, fields)`` by spec index;
* the deck of each model type (``DECKS[model_type]``): ``ALIASES``, ``WATERFALLS`` and
  ``PRESET_NAMES`` (sorted); ``PRESET_PARAMS``, ``(target, fields of the record)`` per preset;
  ``PRESET_ENTRIES``, one row per profile as in the handle sections; ``EXPLICIT_NAMES`` and
  ``EXPLICIT_ENTRIES``, the answers of ``@alias`` / ``~waterfall`` where the bare name means
  something else; ``CHOICES``, ``(kind, "preset" | "handle", target)``; ``FROM_SPEC``, the
  preset fields that default to the model spec's field of the same name;
* ``BACKENDS``: ``(name, fields)`` of every backend.

A mapping in the data is written ``(..., key, value, ...)``: a tuple of constants, loaded as one
constant; :func:`~.frozen.thaw` makes it a read-only dict when its record is built.

Standard library only; nothing is parsed at import.  ``DECK_ROUTING_PROFILE`` overrides the active
profile; an unknown one is reported by the first look-up that needs it.
"""

from __future__ import annotations

import os

from . import _index, references
from .backends import BackendRecord, backend
from .frozen import thaw
from .records import HandleRecord, ModelSpec, PresetRecord

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from decimal import Decimal
    from typing import Any, TypeVar

    from .sdk import SdkArguments

    Entry = int | tuple[int, tuple[str, ...]] | str
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
    "candidates",
    "choice",
    "choices",
    "cost",
    "handles",
    "lookup",
    "preset",
    "presets",
    "resolve",
    "sdk_arguments",
    "waterfalls",
]

LLM = "llm"
LOCK_SHA256: str = _index.LOCK_SHA256
PROFILES: tuple[str, ...] = _index.PROFILES
MODEL_TYPES: tuple[str, ...] = _index.MODEL_TYPES
ACTIVE_PROFILE: str = os.environ.get("DECK_ROUTING_PROFILE") or _index.DEFAULT_PROFILE


# --- errors -----------------------------------------------------------------------------------


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


def _handle_error(model_type: str) -> type[HandleNotFoundError]:
    return LLMHandleNotFoundError if model_type == "llm" else HandleNotFoundError


def _preset_error(model_type: str) -> type[PresetNotFoundError]:
    return LLMPresetNotFoundError if model_type == "llm" else PresetNotFoundError


def _suggest(word: object, candidates: Iterable[str]) -> str:
    """``; did you mean ...?`` naming the ``candidates`` close to ``word``, or ""."""
    from .hints import close  # only on the error path

    return close(word, candidates)


def _hint(model_type: str, name: object, asked: str, candidates: Iterable[str]) -> str:
    """What an unknown ``name`` asked for as a ``asked`` suggests: the call that asks for it when
    it names something of another kind (a preset asked for as a handle...), else close names."""
    from .hints import elsewhere

    if type(name) is not str:
        return ""
    return elsewhere(name, asked, _kinds(model_type, name), model_type) or _suggest(
        name, candidates
    )


def _kinds(model_type: str, name: str) -> list[str]:
    """The kinds of the things of ``model_type`` that ``name`` names (error path only)."""
    from .hints import CHOICE, MODEL

    table = _deck(model_type)
    kinds = [
        kind
        for kind, names in (
            (references.PRESET, table.PRESET_NAMES),
            (references.ALIAS, table.ALIASES),
            (references.WATERFALL, table.WATERFALLS),
        )
        if _position(names, name) is not None
    ]
    handle_names = _section(_handle_section(model_type, name)).NAMES  # models, aliases, waterfalls
    if kinds in ([], [references.PRESET]) and _position(handle_names, name) is not None:
        kinds.append(MODEL)
    if name in _choices_of(model_type):
        kinds.append(CHOICE)
    return kinds


# --- the data, in sections imported on first use ---------------------------------------------

_sections: dict[str, Any] = {}


def _section(module: str) -> Any:
    """The data module ``module`` beside this one."""
    found = _sections.get(module)
    if found is None:
        found = _sections[module] = __import__(module, globals(), None, ("__name__",), 1)
    return found


def _after(names: tuple[str, ...], name: str) -> int:
    """How many of the sorted ``names`` sort before or equal to ``name`` (a binary search)."""
    low, high = 0, len(names)
    while low < high:
        middle = (low + high) // 2
        if name < names[middle]:
            high = middle
        else:
            low = middle + 1
    return low


def _position(names: tuple[str, ...], name: str) -> int | None:
    """Where ``name`` is in the sorted ``names``."""
    at = _after(names, name) - 1
    return at if at >= 0 and names[at] == name else None


def _check_type(model_type: object) -> str:
    """The name of the deck module of ``model_type``; raises for a type the deck lacks."""
    module = _index.DECKS.get(model_type) if type(model_type) is str else None
    if module is None:
        raise ModelTypeNotFoundError(
            f"no model of type {model_type!r} in this deck; model types: "
            f"{', '.join(MODEL_TYPES)}{_suggest(model_type, MODEL_TYPES)}"
        )
    return module


def _deck(model_type: object) -> Any:
    """The deck module of ``model_type``: its alias, waterfall and preset names, presets and
    choices (imported only when a look-up needs one of them)."""
    return _section(_check_type(model_type))


def _handle_section(model_type: str, name: str) -> str:
    """The module of the handle section of ``model_type`` where ``name`` would be."""
    modules, bounds = _index.HANDLE_SECTIONS[model_type]
    return modules[_after(bounds, name)]


def _section_entry(module: str, profile: str, name: str) -> tuple[Entry | None, tuple[str, ...]]:
    """The entry of ``name`` in a handle section under ``profile`` (its answers are one module
    per profile, so a look-up unmarshals one profile's), and the section's names."""
    names: tuple[str, ...] = _section(module).NAMES
    at = _position(names, name)
    if at is None:
        return None, names
    row: tuple[Entry, ...] = _section(f"{module}_p{PROFILES.index(profile)}").ENTRIES
    return row[at], names


def _entry(
    names: tuple[str, ...], rows: tuple[tuple[Entry, ...], ...], profile: str, name: str
) -> Entry | None:
    at = _position(names, name)
    return None if at is None else rows[PROFILES.index(profile)][at]


_specs: dict[int, tuple[str, str, Any, ModelSpec]] = {}


def _spec(index: int) -> tuple[str, str, Any, ModelSpec]:
    """(backend, model, fields, record) of the spec ``index``."""
    found = _specs.get(index)
    if found is None:
        size = _index.SPECS_PER_SECTION
        backend_name, model, frozen = _section(_index.SPEC_SECTIONS[index // size]).SPECS[
            index % size
        ]
        fields = thaw(frozen)
        found = _specs[index] = (backend_name, model, fields, ModelSpec(**fields))
    return found


def _answer_of(
    entry: int | tuple[int, tuple[str, ...]], name: str
) -> tuple[tuple[str, str, Any, ModelSpec], tuple[str, ...]]:
    """The spec an available entry points at, and the names followed to it."""
    index, path = (entry, (name,)) if isinstance(entry, int) else entry
    return _spec(index), path


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
    hint = _suggest(name, PROFILES) or f"; profiles: {', '.join(PROFILES)}"
    raise ProfileNotFoundError(
        f"{origin} names routing profile {name!r}, which does not exist{hint}"
    )


def _handle_record(profile: str, model_type: str, handle: str) -> HandleRecord | PresetRecord:
    error = _handle_error(model_type)
    if type(handle) is not str:
        raise error(f"unknown handle {handle!r}")
    kind, name = references.parse(handle)
    if kind == references.PRESET:
        return preset(name, profile, model_type)
    found: Entry | None = None
    known: tuple[str, ...] = ()
    if kind in (references.ALIAS, references.WATERFALL):  # the deck module: only then imported
        table = _deck(model_type)
        names = table.ALIASES if kind == references.ALIAS else table.WATERFALLS
        if _position(names, name) is None:
            raise error(f"no {kind} named {name!r}{_hint(model_type, name, kind, names)}")
        key = references.spell(kind, name)
        found = _entry(table.EXPLICIT_NAMES, table.EXPLICIT_ENTRIES, profile, key)
        known = names
    if found is None:
        found, section_names = _section_entry(_handle_section(model_type, name), profile, name)
        known = known or section_names
    if found is None:
        raise error(f"unknown handle {handle!r}{_hint(model_type, name, kind, known)}")
    if isinstance(found, str):
        raise error(f"handle {handle!r} is unavailable under profile {profile!r}: {found}")
    return HandleRecord(handle=handle, **_answer(profile, model_type, found, name))


def _answer(
    profile: str, model_type: str, found: int | tuple[int, tuple[str, ...]], name: str
) -> dict[str, Any]:
    """The fields every record has, of the model an available entry points at."""
    (backend_name, model, fields, spec), path = _answer_of(found, name)
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
    table = _deck(model_type)
    at = _position(table.PRESET_NAMES, name) if type(name) is str else None
    if at is None:
        raise _preset_error(model_type)(
            f"unknown preset {name!r}"
            f"{_hint(model_type, name, references.PRESET, table.PRESET_NAMES)}"
        )
    found: Entry = table.PRESET_ENTRIES[PROFILES.index(profile)][at]
    if isinstance(found, str):
        raise _handle_error(model_type)(
            f"preset {name!r} is unavailable under profile {profile!r}: {found}"
        )
    return _preset_of(profile, model_type, name, found)


def _preset_of(
    profile: str, model_type: str, name: str, found: int | tuple[int, tuple[str, ...]]
) -> PresetRecord:
    """The record of the preset ``name`` (known) with the model an available entry points at."""
    table = _deck(model_type)
    at = _position(table.PRESET_NAMES, name)
    if at is None:  # pragma: no cover - callers pass a known preset
        raise _preset_error(model_type)(f"unknown preset {name!r}")
    target, frozen = table.PRESET_PARAMS[at]
    answer = _answer(profile, model_type, found, target)
    params = _params(frozen)
    for field in table.FROM_SPEC:
        if params.get(field) is None:
            params[field] = getattr(answer["spec"], field)
    return PresetRecord(preset=name, target=target, **answer, **params)


# What a preset record holds beyond the answer: every family's parameters, None where unset.
_ANSWER_FIELDS = ("model_type", "profile", "model", "backend", "model_id", "sdk", "spec", "path")
_PARAMS = tuple(f for f in PresetRecord._required if f not in ("preset", "target", *_ANSWER_FIELDS))


def _params(frozen: Any) -> dict[str, Any]:
    params = dict.fromkeys(_PARAMS)
    params.update(thaw(frozen))
    return params


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
# model type -> the active profile's table (the same dicts): two subscripts for any type
_ACTIVE_HANDLES = {model_type: tables[None] for model_type, tables in _HANDLES.items()}
_ACTIVE_PRESETS = {model_type: tables[None] for model_type, tables in _PRESETS.items()}


def _first(
    caches: dict[str, dict[str | None, dict[str, R]]],
    build: Callable[[str, str, str], R],
    key: str,
    profile: str | None,
    model_type: str,
) -> R:
    """A record not looked up before: built (or the error raised) and remembered."""
    _check_type(model_type)
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
        if profile is None:
            if model_type == "llm":
                return _ACTIVE_LLM_HANDLES[handle]
            return _ACTIVE_HANDLES[model_type][handle]
        if model_type == "llm":
            return _LLM_HANDLES[profile][handle]
        return _HANDLES[model_type][profile][handle]
    except KeyError:
        pass
    return _first(_HANDLES, _handle_record, handle, profile, model_type)


lookup = resolve  # the same function, typed for handles read at run time (any ``str``)


def sdk_arguments(
    handle: str | HandleRecord | PresetRecord,
    *,
    secrets: Mapping[str, str] | None = None,
    profile: str | None = None,
    model_type: str = LLM,
) -> SdkArguments:
    """The client and call arguments of the SDK family of ``handle`` (a record, or any form
    :func:`resolve` takes, resolved under ``profile``): ``client`` / ``client_kwargs`` to build
    the SDK's client, ``call`` / ``call_kwargs`` for the request (``model`` is the model's
    ``model_id``; a preset's temperature, max_tokens and reasoning settings in that SDK's names,
    the model's constraints applied).  The backend's ``${VAR}`` references are read now, as
    ``credentials(secrets=...)`` reads them; see ``_runtime/sdk.py`` for the table of SDKs."""
    from .sdk import sdk_arguments as arguments_of

    record = handle if not isinstance(handle, str) else resolve(handle, profile, model_type)
    return arguments_of(record, secrets)


def cost(
    handle: str,
    input_tokens: int,
    output_tokens: int,
    *,
    cached_input_tokens: int = 0,
    profile: str | None = None,
    model_type: str = LLM,
) -> Decimal | None:
    """The USD cost, a :class:`~decimal.Decimal` (exact), of a call to what ``handle`` resolves
    to under ``profile`` (any form :func:`resolve` takes, a ``$preset`` too): ``input_tokens``
    in all, ``cached_input_tokens`` of them read from the provider's cache (priced at the
    spec's ``input_cached``, else half the ``input`` price), ``output_tokens`` written; the
    spec's costs are per million tokens.  None when the model has no costs."""
    from .costs import call_cost

    record = resolve(handle, profile, model_type)
    return call_cost(record.spec.costs, input_tokens, output_tokens, cached_input_tokens)


def candidates(
    handle: str, profile: str | None = None, model_type: str = LLM
) -> tuple[HandleRecord | PresetRecord, ...]:
    """The records to try in order for ``handle`` under ``profile``: every entry of its fallback
    chains (a list alias, a waterfall; nested chains flattened) that is available under the
    profile, as the compiler listed them, a model reached twice kept once.  The first is what
    :func:`resolve` returns; a handle that is no chain gives that record alone.  A preset
    (``$p``) follows its target and gives a :class:`PresetRecord` per candidate, each with the
    preset's parameters.  Raises as :func:`resolve` does when nothing is available."""
    first = resolve(handle, profile, model_type)
    kind, name = references.parse(handle)
    if isinstance(first, PresetRecord):  # ``$p``: the candidates of its target
        kind, name = references.parse(first.target)
    if kind in (references.ALIAS, references.WATERFALL):
        name = references.spell(kind, name)
    table = _section(_check_type(model_type) + "_candidates")  # imported on the first call
    at = _position(table.CANDIDATE_NAMES, name)
    found: tuple[tuple[int, tuple[str, ...]], ...] = (
        () if at is None else table.CANDIDATE_ENTRIES[PROFILES.index(first.profile)][at]
    )
    if not found:
        return (first,)
    records: list[HandleRecord | PresetRecord] = [first]
    for entry in found:
        backend_name, model = _spec(entry[0])[:2]
        if (backend_name, model) == (first.backend, first.model):
            continue
        if isinstance(first, PresetRecord) and first.preset is not None:
            records.append(_preset_of(first.profile, model_type, first.preset, entry))
        else:
            answer = _answer(first.profile, model_type, entry, name)
            records.append(HandleRecord(handle=handle, **answer))
    return tuple(records)


def preset(name: str, profile: str | None = None, model_type: str = LLM) -> PresetRecord:
    """The record of a preset: its model under ``profile`` plus its parameters."""
    try:
        if profile is None:
            if model_type == "llm":
                return _ACTIVE_LLM_PRESETS[name]
            return _ACTIVE_PRESETS[model_type][name]
        if model_type == "llm":
            return _LLM_PRESETS[profile][name]
        return _PRESETS[model_type][profile][name]
    except KeyError:
        pass
    return _first(_PRESETS, _preset_record, name, profile, model_type)


_CHOICES: dict[str, dict[str, tuple[str, str]]] = {}  # model type -> kind -> (kind, target)


def _choices_of(model_type: str) -> dict[str, tuple[str, str]]:
    """The choices of ``model_type``, read from its deck module once."""
    found = _CHOICES.get(model_type) if type(model_type) is str else None
    if found is None:
        rows = _deck(model_type).CHOICES
        found = _CHOICES[model_type] = {
            kind: (target_kind, target) for kind, target_kind, target in rows
        }
    return found


def choice(
    kind: str, profile: str | None = None, model_type: str = LLM
) -> HandleRecord | PresetRecord:
    """The preset (or handle) the deck chooses for ``kind`` (``for_text``, ``for_object``...)."""
    key = (model_type, profile, kind)
    if type(kind) is str and (profile is None or type(profile) is str):
        cached = _CHOICE_RECORDS.get(key)
        if cached is not None:
            return cached
    configured = _choices_of(model_type)
    selected = configured.get(kind) if type(kind) is str else None
    if selected is None:
        known = ", ".join(repr(k) for k in configured) or "none"
        raise _preset_error(model_type)(
            f"no choice {kind!r} is configured; configured: {known}"
            f"{_hint(model_type, kind, 'choice', configured)}"
        )
    target_kind, target = selected
    if target_kind == "preset":
        return preset(target, profile, model_type)
    found = resolve(target, profile, model_type)
    settings = _deck(model_type).CHOICE_SETTINGS
    if settings is None or not isinstance(found, HandleRecord):
        return found
    fields = {name: getattr(found, name) for name in _ANSWER_FIELDS}
    record = PresetRecord(preset=None, target=target, **fields, **_params(settings))
    _CHOICE_RECORDS[key] = record  # built once, as every other record
    return record


# (model type, profile as asked, kind) -> the record of a choice naming a model
_CHOICE_RECORDS: dict[tuple[str, str | None, str], PresetRecord] = {}


# --- what the deck holds ------------------------------------------------------------------------


def handles(model_type: str = LLM) -> tuple[str, ...]:
    """Every model, alias and waterfall name of ``model_type``, sorted."""
    _check_type(model_type)
    modules, _ = _index.HANDLE_SECTIONS[model_type]
    return tuple(name for module in modules for name in _section(module).NAMES)


def aliases(model_type: str = LLM) -> tuple[str, ...]:
    """The alias names of ``model_type``, sorted."""
    names: tuple[str, ...] = _deck(model_type).ALIASES
    return names


def waterfalls(model_type: str = LLM) -> tuple[str, ...]:
    """The waterfall names of ``model_type``, sorted."""
    names: tuple[str, ...] = _deck(model_type).WATERFALLS
    return names


def presets(model_type: str = LLM) -> tuple[str, ...]:
    """The preset names of ``model_type``, sorted."""
    names: tuple[str, ...] = _deck(model_type).PRESET_NAMES
    return names


def choices(model_type: str = LLM) -> tuple[str, ...]:
    """The choices configured for ``model_type``, sorted."""
    return tuple(_choices_of(model_type))
