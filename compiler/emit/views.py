"""Template views: the lockfile turned into the flat tables the runtime templates loop over.

Views are computed from the lockfile alone (never from the sources), so the generated runtime
can always be re-made from a committed lockfile.  Every decision is made here; templates only loop.

The tables are shaped for import speed.  Every value is a literal of constants only (strings,
numbers, ``None``, tuples), which Python folds into one constant unmarshalled from the ``.pyc``:
nothing is built entry by entry at import.  A mapping inside a value is a tuple whose first item is
``...`` (:func:`frozen`), turned back into a dict when its record is built.  Big tables are cut into
sections (modules) the runtime imports only when a look-up needs them, so resolving one handle
costs the same for 50 models or 100,000: handle names are sorted, and a look-up bisects the first
names of the sections, then the names of one section.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compiler.core.ir import ModelType
from compiler.core.naming import py_literal
from compiler.emit import lock as L
from compiler.emit.lock import Lockfile
from compiler.emit.lockfile import backend_json

# A handle's answer under one profile: a model name routed directly -> the index of its spec;
# an alias -> (index of the spec, names followed); unavailable -> the reason, a string.
Entry = int | tuple[int, tuple[str, ...]] | str
Frozen = Any  # a JSON value with lists as tuples and mappings as (..., key, value, key, value)

HANDLES_PER_SECTION = 2048
SPECS_PER_SECTION = 512


@dataclass(frozen=True)
class TypeViews:
    """Type expressions (already Python source) for the runtime's Literal handles."""

    handle: str
    preset: str
    profile: str
    backend: str

    @property
    def imports(self) -> str:
        """The names the type expressions need from ``typing``."""
        names = {"Literal", "TypeAlias"}
        if "Never" in (self.handle, self.preset, self.profile, self.backend):
            names.add("Never")
        return ", ".join(sorted(names))


Row = tuple[str, tuple[Entry, ...]]  # (profile, one entry per name), profiles in PROFILES order


@dataclass(frozen=True)
class HandleSection:
    module: str
    names: tuple[str, ...]  # sorted
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class SpecSection:
    module: str
    specs: tuple[tuple[str, str, Frozen], ...]  # (backend, model, fields), by spec index


@dataclass(frozen=True)
class PresetsView:
    names: tuple[str, ...]  # sorted
    # (llm_handle, temperature, max_tokens or None for "auto", prompting_target, reasoning_effort)
    params: tuple[tuple[Any, ...], ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class RuntimeView:
    lock_sha256: str
    active_profile: str
    profiles: tuple[str, ...]
    choices: tuple[tuple[str, tuple[str, str]], ...]
    handle_bounds: tuple[str, ...]  # the first name of every handle section but the first
    handle_sections: tuple[HandleSection, ...]
    specs_per_section: int
    spec_sections: tuple[SpecSection, ...]
    data_module: str  # presets, alias names, backends
    presets: PresetsView
    aliases: tuple[str, ...]
    backends: tuple[tuple[str, Frozen], ...]
    types: TypeViews


def frozen(value: Any) -> Frozen:
    """A JSON value as constants only: lists as tuples, mappings as ``(..., k, v, ...)``."""
    if isinstance(value, Mapping):
        flat: list[Any] = [...]
        for key in sorted(value):
            flat += (key, frozen(value[key]))
        return tuple(flat)
    if isinstance(value, list | tuple):
        return tuple(frozen(item) for item in value)
    return value


def literal_type(names: Iterable[str]) -> str:
    """``Literal[...]`` over ``names``, one per line; ``Never`` when there are none."""
    items = sorted(set(names))
    if not items:
        return "Never"
    body = "".join(f"    {py_literal(n)},\n" for n in items)
    return f"Literal[\n{body}]"


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [items]


def runtime_view(lock: Lockfile, lock_sha256: str) -> RuntimeView:
    specs: list[tuple[str, str, Frozen]] = []
    index: dict[tuple[str, str], int] = {}
    merged: dict[tuple[str, str], Any] = {}
    for by_backend in lock.models.values():
        for backend, named in by_backend.items():
            for model, spec in named.items():
                merged[(backend, model)] = spec
    for backend, model in sorted(merged):
        index[(backend, model)] = len(specs)
        specs.append((backend, model, frozen(merged[(backend, model)])))

    def entry(resolution: L.Resolution) -> Entry:
        if resolution.backend is None or resolution.model is None:
            return str(resolution.unavailable)
        return index[(resolution.backend, resolution.model)], resolution.path

    llm = lock.decks[ModelType.LLM]
    profiles = tuple(sorted(lock.profiles))
    aliases = tuple(sorted(llm.aliases))
    models = sorted({model for _, model, _ in specs})
    names = sorted({*models, *aliases})
    tables: list[dict[str, Entry]] = []
    for profile in profiles:
        answers = lock.profiles[profile].answers
        table: dict[str, Entry] = {}
        for typed in answers.values():
            for model, routing in typed.routing.items():
                table[model] = (
                    f"{model}: {routing.unavailable}"
                    if routing.backend is None
                    else index[(routing.backend, model)]
                )
        for alias, resolution in answers[ModelType.LLM].aliases.items():
            table[alias] = entry(resolution)  # an alias shadows a model of the same name
        tables.append(table)
    handle_sections = tuple(
        HandleSection(
            f"_deck_handles_{number}",
            tuple(chunk),
            tuple(
                (profile, tuple(table[name] for name in chunk))
                for profile, table in zip(profiles, tables, strict=True)
            ),
        )
        for number, chunk in enumerate(_chunks(names, HANDLES_PER_SECTION))
    )
    spec_sections = tuple(
        SpecSection(f"_deck_specs_{number}", tuple(chunk))
        for number, chunk in enumerate(_chunks(specs, SPECS_PER_SECTION))
    )

    preset_names = tuple(sorted(llm.presets))
    presets = PresetsView(
        names=preset_names,
        params=tuple(_preset_params(llm.presets[name]) for name in preset_names),
        rows=tuple(
            (
                profile,
                tuple(
                    entry(lock.profiles[profile].answers[ModelType.LLM].presets[name])
                    for name in preset_names
                ),
            )
            for profile in profiles
        ),
    )
    choices = tuple(
        (kind, (c.kind, c.target))
        for kind, c in sorted(llm.choices.items())
        if c.target is not None
    )
    types = TypeViews(
        handle=literal_type(
            [
                *models,
                *aliases,
                *(f"@{a}" for a in aliases),
                *(f"alias:{a}" for a in aliases),
                *(f"${p}" for p in preset_names),
                *(f"preset:{p}" for p in preset_names),
            ]
        ),
        preset=literal_type(preset_names),
        profile=literal_type(profiles),
        backend=literal_type(lock.backends),
    )
    return RuntimeView(
        lock_sha256=lock_sha256,
        active_profile=lock.active_profile,
        profiles=profiles,
        choices=choices,
        handle_bounds=tuple(s.names[0] for s in handle_sections[1:]),
        handle_sections=handle_sections,
        specs_per_section=SPECS_PER_SECTION,
        spec_sections=spec_sections,
        data_module="_deck_data",
        presets=presets,
        aliases=aliases,
        backends=tuple(
            (name, frozen(backend_json(b))) for name, b in sorted(lock.backends.items())
        ),
        types=types,
    )


def _preset_params(preset: Mapping[str, Any]) -> tuple[Any, ...]:
    max_tokens = preset.get("max_tokens", "auto")
    return (
        preset["llm_handle"],
        preset.get("temperature"),
        None if max_tokens == "auto" else max_tokens,
        preset.get("prompting_target"),
        preset.get("reasoning_effort"),
    )
