# Copied by deckc 0.1.0 from its runtime (compiler/runtime/data.py), unchanged.
# DO NOT EDIT: edit the TOML sources in .pipelex/inference, then run:
#   deckc compile --config-dir .pipelex/inference --out generated
# ruff: noqa: E501, RUF100
"""The generated package's data, read on first use.

The data (see ``_index.pyi`` for the index's contract) are constants unmarshalled from bytecode,
in sections imported on first use:

* ``_index``: the lockfile's hash, the profiles, the model types, the names of the sections;
* handle sections (``HANDLE_SECTIONS[model_type]``): ``NAMES``, the sorted bare names (models,
  aliases, waterfalls) of a slice of the model type's handles, and ``ENTRIES``, one row per
  profile (in ``PROFILES`` order), one entry per name: the index of a model's spec (a model
  routed directly), ``(index of the spec, names followed)`` for an alias or waterfall, or the
  reason the handle is unavailable under that profile (a string);
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
"""

from __future__ import annotations

from . import _index
from .errors import ModelTypeNotFoundError, suggest
from .frozen import thaw
from .records import ModelSpec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Entry = int | tuple[int, tuple[str, ...]] | str

PROFILES: tuple[str, ...] = _index.PROFILES
MODEL_TYPES: tuple[str, ...] = _index.MODEL_TYPES

_sections: dict[str, Any] = {}


def section(module: str) -> Any:
    """The data module ``module`` beside this one."""
    found = _sections.get(module)
    if found is None:
        found = _sections[module] = __import__(module, globals(), None, ("__name__",), 1)
    return found


def after(names: tuple[str, ...], name: str) -> int:
    """How many of the sorted ``names`` sort before or equal to ``name`` (a binary search)."""
    low, high = 0, len(names)
    while low < high:
        middle = (low + high) // 2
        if name < names[middle]:
            high = middle
        else:
            low = middle + 1
    return low


def position(names: tuple[str, ...], name: str) -> int | None:
    """Where ``name`` is in the sorted ``names``."""
    at = after(names, name) - 1
    return at if at >= 0 and names[at] == name else None


def deck(model_type: object) -> Any:
    """The deck module of ``model_type`` (raises for a type the deck does not have)."""
    module = _index.DECKS.get(model_type) if type(model_type) is str else None
    if module is None:
        raise ModelTypeNotFoundError(
            f"no model of type {model_type!r} in this deck; model types: "
            f"{', '.join(MODEL_TYPES)}{suggest(model_type, MODEL_TYPES)}"
        )
    return section(module)


def handle_section(model_type: str, name: str) -> Any:
    """The handle section of ``model_type`` where ``name`` would be."""
    modules, bounds = _index.HANDLE_SECTIONS[model_type]
    return section(modules[after(bounds, name)])


def entry(
    names: tuple[str, ...], rows: tuple[tuple[Entry, ...], ...], profile: str, name: str
) -> Entry | None:
    at = position(names, name)
    return None if at is None else rows[PROFILES.index(profile)][at]


_specs: dict[int, tuple[str, str, Any, ModelSpec]] = {}


def spec(index: int) -> tuple[str, str, Any, ModelSpec]:
    """(backend, model, fields, record) of the spec ``index``."""
    found = _specs.get(index)
    if found is None:
        size = _index.SPECS_PER_SECTION
        backend_name, model, frozen = section(_index.SPEC_SECTIONS[index // size]).SPECS[
            index % size
        ]
        fields = thaw(frozen)
        found = _specs[index] = (backend_name, model, fields, ModelSpec(**fields))
    return found


def answer(
    entry: int | tuple[int, tuple[str, ...]], name: str
) -> tuple[tuple[str, str, Any, ModelSpec], tuple[str, ...]]:
    """The spec an available entry points at, and the names followed to it."""
    index, path = (entry, (name,)) if isinstance(entry, int) else entry
    return spec(index), path
