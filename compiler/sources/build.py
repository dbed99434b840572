"""Build the typed :class:`~compiler.core.ir.Config` from schema-valid sources.

This is the one place where raw TOML tables are indexed: every entity leaves it with its identity
(model type and name) and its span (file, line, column, key path).  It also reports what one file
cannot know alone: routes to undeclared backends, an unknown active profile, deck entries merged
across files, provider options that look misspelt.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from compiler.core.errors import (
    DeckError,
    KeyPath,
    Location,
    ModelsManagerError,
    SchemaError,
    Severity,
    Span,
)
from compiler.core.ir import (
    CREDENTIAL_KEYS,
    DISABLED,
    KNOWN_BACKEND_KEYS,
    Alias,
    Backend,
    BackendRef,
    Choice,
    Config,
    Deck,
    Dialect,
    ModelKey,
    ModelSpec,
    ModelType,
    Preset,
    Profile,
    Ref,
    Route,
)
from compiler.core.naming import did_you_mean, edit_distance
from compiler.core.patterns import parse_pattern
from compiler.core.resources import load_schema
from compiler.runtime import envvars
from compiler.sources.load import SourceFile, SourceSet

_NOT_MODELS = ("models", "defaults")


@cache
def _default_keys() -> dict[str, str]:
    """The top-level `default_<field>` keys a model file's schema allows (its other top-level
    tables are models), and the field each gives a default for."""
    properties = load_schema("backend_models")["properties"]
    return {key: key.removeprefix("default_") for key in properties if key.startswith("default_")}


# The seed layout's deck tables: the LLM deck (SPEC §2).
ALIASES, PRESETS = "aliases", "llm_presets"
CHOICE_DEFAULTS, CHOICE_OVERRIDES = "llm_choice_defaults", "llm_choice_overrides"
LLM_CHOICE_KINDS = ("for_text", "for_object")
PRESET_TARGET = "llm_handle"


def build_config(sources: SourceSet) -> tuple[Config, list[DeckError]]:
    """The typed configuration and every cross-file problem found while building it."""
    problems: list[DeckError] = list(sources.warnings)
    backends = _backends(sources.backends, problems)
    models: dict[ModelKey, dict[str, ModelSpec]] = {}
    for name, file in sources.models.items():
        if name in backends:
            for spec in _models(name, file, problems):
                models.setdefault(spec.key, {})[name] = spec
    profiles, active, active_span = _profiles(sources.routing, backends, problems)
    deck = _llm_deck(sources.decks, problems)
    config = Config(
        dialect=Dialect.PIPELEX_0_10,
        backends=backends,
        models={key: _in_order(models[key], backends) for key in sorted(models)},
        profiles=profiles,
        active=active,
        active_span=active_span,
        decks={ModelType.LLM: deck},
        sources=sources.hashes(),
    )
    return config, problems


def _in_order(specs: Mapping[str, ModelSpec], backends: Mapping[str, Backend]) -> dict[str, Any]:
    return dict(sorted(specs.items(), key=lambda item: backends[item[0]].order))


def _backends(file: SourceFile, problems: list[DeckError]) -> dict[str, Backend]:
    backends: dict[str, Backend] = {}
    for order, (name, table) in enumerate(file.data.items()):
        credentials = {k: str(table[k]) for k in CREDENTIAL_KEYS if k in table}
        for key, value in credentials.items():
            broken = envvars.malformed(value)
            if broken:
                problems.append(
                    SchemaError(
                        broken, span=file.span((name, key)), hint="write ${VAR} or ${VAR:-default}"
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
                        span=file.span((name, key)),
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
            span=file.span((name,)),
            field_spans={key: file.span((name, key)) for key in table},
        )
    return backends


def _model_defaults(file: SourceFile, problems: list[DeckError]) -> dict[str, Any]:
    defaults: dict[str, Any] = dict(file.data.get("defaults", {}))
    for key, value in file.data.items():
        field = _default_keys().get(key)
        if field is not None:
            if field in defaults:
                problems.append(
                    SchemaError(
                        f"default for `{field}` given twice",
                        span=file.span((key,)),
                        hint=f"keep either `{key}` or `defaults.{field}`",
                    )
                )
            defaults[field] = value
    return defaults


def _models(backend: str, file: SourceFile, problems: list[DeckError]) -> list[ModelSpec]:
    """The models of one ``backends/<backend>.toml``, in both forms (``[models.<name>]`` and
    top-level ``[<name>]`` tables), each with the file's defaults applied."""
    defaults = _model_defaults(file, problems)
    tables: dict[str, tuple[KeyPath, Mapping[str, Any]]] = {}
    for key, value in file.data.items():
        if key not in _NOT_MODELS and key not in _default_keys() and isinstance(value, dict):
            tables[key] = ((key,), value)
    for key, value in file.data.get("models", {}).items():
        path: KeyPath = ("models", key)
        if key in tables:
            problems.append(
                ModelsManagerError(
                    f"model `{key}` is declared twice in this file",
                    span=file.span(path),
                    related=[file.locate(tables[key][0])],
                )
            )
            continue
        tables[key] = (path, value)
    specs: list[ModelSpec] = []
    for name, (path, table) in tables.items():
        merged = {**defaults, **table}
        fields = {k: v for k, v in merged.items() if not k.startswith("x-")}
        fields.setdefault("model_id", name)
        fields.setdefault("model_type", ModelType.LLM.value)
        extensions = {k: v for k, v in merged.items() if k.startswith("x-")}
        identity = ModelKey(ModelType(fields["model_type"]), name)
        specs.append(ModelSpec(identity, backend, fields, extensions, file.span(path)))
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
            span=file.span(path),
            hint=did_you_mean(name, backends)
            or f"declared backends: {', '.join(backends) or 'none'}; or declare [{name}] in "
            "backends.toml",
        )
    )
    return False


def _profiles(
    file: SourceFile, backends: Mapping[str, Backend], problems: list[DeckError]
) -> tuple[dict[str, Profile], str, Span]:
    profiles: dict[str, Profile] = {}
    for name, table in file.data.get("profiles", {}).items():
        base: KeyPath = ("profiles", name)
        routes: list[Route] = []
        for section, optional in (("routes", False), ("optional_routes", True)):
            for pattern, backend in table.get(section, {}).items():
                path = (*base, section, pattern)
                if _backend_ref(file, path, backend, backends, problems):
                    routes.append(Route(parse_pattern(pattern), backend, optional, file.span(path)))
        default = None
        name_of_default = table.get("default")
        if name_of_default is not None and _backend_ref(
            file, (*base, "default"), name_of_default, backends, problems
        ):
            default = BackendRef(name_of_default, file.span((*base, "default")))
        fallback = [
            BackendRef(backend, file.span((*base, "fallback_order", i)))
            for i, backend in enumerate(table.get("fallback_order", []))
            if _backend_ref(file, (*base, "fallback_order", i), backend, backends, problems)
        ]
        profiles[name] = Profile(
            name=name,
            description=table.get("description"),
            default=default,
            routes=tuple(routes),
            fallback_order=tuple(fallback),
            span=file.span(base),
        )
    active = file.data.get("active")
    span = file.span(("active",))
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
                span=span,
                hint=did_you_mean(active, profiles) or f"declare [profiles.{active}]",
            )
        )
    return profiles, str(active or ""), span


def _llm_deck(files: tuple[SourceFile, ...], problems: list[DeckError]) -> Deck:
    """The seed layout's deck (SPEC §2): aliases (a list is a fallback chain), LLM presets and
    choices, later files overriding earlier ones (presets field by field)."""
    aliases: dict[str, Alias] = {}
    values: dict[str, dict[str, Any]] = {}
    field_spans: dict[str, dict[str, Span]] = {}
    first_span: dict[str, Span] = {}
    choices: dict[str, dict[str, Choice]] = {CHOICE_DEFAULTS: {}, CHOICE_OVERRIDES: {}}
    for file in files:
        for name, target in file.data.get(ALIASES, {}).items():
            span = file.span((ALIASES, name))
            earlier = aliases.get(name)
            is_list = isinstance(target, list)
            texts = target if is_list else [target]
            aliases[name] = Alias(
                name,
                tuple(
                    Ref.parse(
                        text, Span(span.location, (*span.key_path, i) if is_list else span.key_path)
                    )
                    for i, text in enumerate(texts)
                ),
                is_list,
                span,
                replaced=(*earlier.replaced, earlier.span) if earlier else (),
            )
        for name, table in file.data.get(PRESETS, {}).items():
            first_span.setdefault(name, file.span((PRESETS, name)))
            values.setdefault(name, {}).update(table)
            spans = field_spans.setdefault(name, {})  # an empty preset table has no fields
            for key in table:
                spans[key] = file.span((PRESETS, name, key))
        for section, table in choices.items():
            for kind in LLM_CHOICE_KINDS:
                if kind in file.data.get(section, {}):
                    value = file.data[section][kind]
                    span = file.span((section, kind))
                    disabled = section == CHOICE_OVERRIDES and value == DISABLED
                    ref = None if disabled else Ref.parse(value, span)
                    table[kind] = Choice(kind, value, ref, span)
    presets: dict[str, Preset] = {}
    for name, merged in values.items():
        target = merged.get(PRESET_TARGET)
        if not isinstance(target, str):
            problems.append(
                SchemaError(
                    f"preset `{name}` has no {PRESET_TARGET}",
                    span=first_span[name],
                    hint=f'add {PRESET_TARGET} = "<model or alias>"',
                )
            )
            continue
        spans = field_spans[name]
        presets[name] = Preset(
            name,
            Ref.parse(target, spans[PRESET_TARGET]),
            merged,
            spans,
            first_span[name],
        )
    return Deck(
        model_type=ModelType.LLM,
        aliases=aliases,
        presets=presets,
        choice_defaults=choices[CHOICE_DEFAULTS],
        choice_overrides=choices[CHOICE_OVERRIDES],
        choice_kinds=LLM_CHOICE_KINDS,
    )
