"""Build the typed :class:`~compiler.model.Config` from schema-valid sources.

This is the one place where raw TOML tables are indexed.  It also reports what one file cannot
know alone: routes to undeclared backends, an unknown active profile, deck entries merged across
files, provider options that look misspelt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compiler import envrefs
from compiler.errors import (
    DeckError,
    KeyPath,
    Location,
    ModelsManagerError,
    SchemaError,
    Severity,
)
from compiler.load import SourceFile, SourceSet
from compiler.model import (
    CHOICE_KINDS,
    CREDENTIAL_KEYS,
    KNOWN_BACKEND_KEYS,
    Alias,
    Backend,
    Choice,
    Config,
    Deck,
    ModelSpec,
    ModelType,
    Preset,
    Profile,
    Route,
)
from compiler.naming import did_you_mean, edit_distance
from compiler.patterns import parse_pattern

_NOT_MODELS = ("models", "defaults")


def build_config(sources: SourceSet) -> tuple[Config, list[DeckError]]:
    """The typed configuration and every cross-file problem found while building it."""
    problems: list[DeckError] = list(sources.warnings)
    backends = _backends(sources.backends, problems)
    models = {
        name: _models(name, file, problems)
        for name, file in sources.models.items()
        if name in backends
    }
    profiles, active, active_location = _profiles(sources.routing, backends, problems)
    deck = _deck(sources.decks, problems)
    config = Config(
        backends=backends,
        models=models,
        profiles=profiles,
        active=active,
        active_location=active_location,
        decks={ModelType.LLM: deck},
        sources=sources.hashes(),
    )
    return config, problems


def _backends(file: SourceFile, problems: list[DeckError]) -> dict[str, Backend]:
    backends: dict[str, Backend] = {}
    for order, (name, table) in enumerate(file.data.items()):
        credentials = {k: str(table[k]) for k in CREDENTIAL_KEYS if k in table}
        for key, value in credentials.items():
            broken = envrefs.malformed(value)
            if broken:
                problems.append(
                    SchemaError(
                        broken,
                        location=file.locate((name, key)),
                        key_path=(name, key),
                        hint="write ${VAR} or ${VAR:-default}",
                    )
                )
        options = {
            k: v for k, v in table.items() if k not in (*CREDENTIAL_KEYS, "enabled", "display_name")
        }
        for key in options:
            near = [k for k in KNOWN_BACKEND_KEYS if edit_distance(key, k) <= 2]
            if near and key not in KNOWN_BACKEND_KEYS:
                problems.append(
                    ModelsManagerError(
                        f"provider option `{key}` looks like a misspelling of `{near[0]}`",
                        location=file.locate((name, key)),
                        key_path=(name, key),
                        hint=f"rename it to `{near[0]}`, or ignore this if `{key}` is intended",
                        severity=Severity.WARNING,
                    )
                )
        backends[name] = Backend(
            name=name,
            enabled=bool(table.get("enabled", True)),
            display_name=table.get("display_name"),
            credentials=credentials,
            options=options,
            order=order,
            location=file.locate((name,)),
        )
    return backends


def _model_defaults(file: SourceFile, problems: list[DeckError]) -> dict[str, Any]:
    defaults: dict[str, Any] = dict(file.data.get("defaults", {}))
    for key, value in file.data.items():
        if key.startswith("default_") and not isinstance(value, dict):
            field = key[len("default_") :]
            if field in defaults:
                problems.append(
                    SchemaError(
                        f"default for `{field}` given twice",
                        location=file.locate((key,)),
                        key_path=(key,),
                        hint=f"keep either `{key}` or `defaults.{field}`",
                    )
                )
            defaults[field] = value
    return defaults


def _models(backend: str, file: SourceFile, problems: list[DeckError]) -> dict[str, ModelSpec]:
    defaults = _model_defaults(file, problems)
    tables: dict[str, tuple[KeyPath, Mapping[str, Any]]] = {}
    for key, value in file.data.items():
        if key not in _NOT_MODELS and isinstance(value, dict):
            tables[key] = ((key,), value)
    for key, value in file.data.get("models", {}).items():
        path: KeyPath = ("models", key)
        if key in tables:
            problems.append(
                ModelsManagerError(
                    f"model `{key}` is declared twice in this file",
                    location=file.locate(path),
                    key_path=path,
                    related=[file.locate(tables[key][0])],
                )
            )
            continue
        tables[key] = (path, value)
    specs: dict[str, ModelSpec] = {}
    for name, (path, table) in tables.items():
        merged = {**defaults, **table}
        fields = {k: v for k, v in merged.items() if not k.startswith("x-")}
        fields.setdefault("model_id", name)
        fields.setdefault("model_type", ModelType.LLM.value)
        extensions = {k: v for k, v in merged.items() if k.startswith("x-")}
        specs[name] = ModelSpec(name, backend, fields, extensions, file.locate(path))
    return specs


def _backend_ref(
    file: SourceFile,
    path: KeyPath,
    name: str,
    backends: Mapping[str, Backend],
    problems: list[DeckError],
) -> bool:
    """True when ``name`` is a declared backend; reports it otherwise."""
    if name in backends:
        return True
    problems.append(
        ModelsManagerError(
            f"backend `{name}` is not declared in backends.toml",
            location=file.locate(path),
            key_path=path,
            hint=did_you_mean(name, backends)
            or f"declared backends: {', '.join(backends) or 'none'}; or declare [{name}] in "
            "backends.toml",
        )
    )
    return False


def _profiles(
    file: SourceFile, backends: Mapping[str, Backend], problems: list[DeckError]
) -> tuple[dict[str, Profile], str, Location]:
    profiles: dict[str, Profile] = {}
    for name, table in file.data.get("profiles", {}).items():
        base: KeyPath = ("profiles", name)
        routes: list[Route] = []
        for section, optional in (("routes", False), ("optional_routes", True)):
            for pattern, backend in table.get(section, {}).items():
                path = (*base, section, pattern)
                if _backend_ref(file, path, backend, backends, problems):
                    routes.append(
                        Route(parse_pattern(pattern), backend, optional, file.locate(path))
                    )
        default = table.get("default")
        if default is not None and not _backend_ref(
            file, (*base, "default"), default, backends, problems
        ):
            default = None
        fallback = []
        fallback_locations = []
        for i, backend in enumerate(table.get("fallback_order", [])):
            if _backend_ref(file, (*base, "fallback_order", i), backend, backends, problems):
                fallback.append(backend)
                fallback_locations.append(file.locate((*base, "fallback_order", i)))
        profiles[name] = Profile(
            name=name,
            description=table.get("description"),
            default=default,
            routes=tuple(routes),
            fallback_order=tuple(fallback),
            location=file.locate(base),
            default_location=file.locate((*base, "default")) if default else None,
            fallback_locations=tuple(fallback_locations),
        )
    active = file.data.get("active")
    location = file.locate(("active",))
    if active is None:
        if len(profiles) == 1:
            active = next(iter(profiles))
        elif profiles:
            problems.append(
                ModelsManagerError(
                    "no active profile",
                    location=Location(file.path, 1, 1),
                    key_path=("active",),
                    hint=f'add `active = "{next(iter(profiles))}"` (or another profile)',
                )
            )
    elif active not in profiles:
        problems.append(
            ModelsManagerError(
                f"active profile `{active}` is not declared",
                location=location,
                key_path=("active",),
                hint=did_you_mean(active, profiles) or f"declare [profiles.{active}]",
            )
        )
    return profiles, str(active or ""), location


def _deck(files: tuple[SourceFile, ...], problems: list[DeckError]) -> Deck:
    aliases: dict[str, Alias] = {}
    values: dict[str, dict[str, Any]] = {}
    field_locations: dict[str, dict[str, Location]] = {}
    first_location: dict[str, Location] = {}
    choices: dict[str, dict[str, Choice]] = {"llm_choice_defaults": {}, "llm_choice_overrides": {}}
    for file in files:
        for name, target in file.data.get("aliases", {}).items():
            path: KeyPath = ("aliases", name)
            earlier = aliases.get(name)
            targets = tuple(target) if isinstance(target, list) else (target,)
            aliases[name] = Alias(
                name,
                targets,
                isinstance(target, list),
                file.locate(path),
                replaced=(*earlier.replaced, earlier.location) if earlier else (),
            )
        for name, table in file.data.get("llm_presets", {}).items():
            first_location.setdefault(name, file.locate(("llm_presets", name)))
            values.setdefault(name, {}).update(table)
            field_locations.setdefault(name, {})  # an empty preset table has no fields
            for key in table:
                field_locations.setdefault(name, {})[key] = file.locate(("llm_presets", name, key))
        for section, table in choices.items():
            for kind in CHOICE_KINDS:
                if kind in file.data.get(section, {}):
                    value = file.data[section][kind]
                    table[kind] = Choice(kind, value, file.locate((section, kind)))
    presets: dict[str, Preset] = {}
    for name, merged in values.items():
        preset = Preset(name, merged, field_locations[name], first_location[name])
        if preset.llm_handle is None:
            problems.append(
                SchemaError(
                    f"preset `{name}` has no llm_handle",
                    location=preset.location,
                    key_path=("llm_presets", name),
                    hint='add llm_handle = "<model or alias>"',
                )
            )
            continue
        presets[name] = preset
    return Deck(
        aliases=aliases,
        presets=presets,
        choice_defaults=choices["llm_choice_defaults"],
        choice_overrides=choices["llm_choice_overrides"],
    )
