"""Build the typed :class:`~compiler.core.ir.Config` from schema-valid sources.

This is the one place where raw TOML tables are indexed: every entity leaves it with its identity
(model type and name) and its span (file, line, column, key path).  It also reports what one file
cannot know alone: routes to undeclared backends, an unknown active profile, deck entries merged
across files, provider options that look misspelt; and costs that look written in USD per
thousand tokens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from ..core.errors import (
    DeckError,
    KeyPath,
    Location,
    ModelsManagerError,
    SchemaError,
    Severity,
    Span,
)
from ..core.ir import (
    CONSTRAINT_KEYS,
    CREDENTIAL_KEYS,
    INTERNAL,
    KNOWN_BACKEND_KEYS,
    Backend,
    BackendRef,
    Config,
    Dialect,
    ModelKey,
    ModelSpec,
    ModelType,
    Profile,
    Route,
    is_secret_key,
)
from ..core.naming import did_you_mean, edit_distance
from ..core.patterns import parse_pattern
from ..core.resources import load_schema
from ..runtime import envvars
from .costs import per_thousand_costs
from .decks import current_decks, seed_deck
from .load import SourceFile, SourceSet
from .validate import MODELS, hyphenated_field

MODELS_0_92 = f"{MODELS}-0.92"

_NOT_MODELS = ("models", "defaults")


@cache
def _default_keys() -> dict[str, str]:
    """The top-level `default_<field>` keys a model file's schema allows (its other top-level
    tables are models), and the field each gives a default for."""
    properties = load_schema("backend_models")["properties"]
    return {key: key.removeprefix("default_") for key in properties if key.startswith("default_")}


def build_config(sources: SourceSet) -> tuple[Config, list[DeckError]]:
    """The typed configuration and every cross-file problem found while building it."""
    problems: list[DeckError] = list(sources.warnings)
    dialect = sources.dialect
    current = dialect is Dialect.PIPELEX_0_92
    backends = _backends(sources.backends, problems)
    models: dict[ModelKey, dict[str, ModelSpec]] = {}
    for name, file in sources.models.items():
        problems += per_thousand_costs(file)
        if name in backends:
            specs = (
                _current_models(backends[name], file, problems)
                if current
                else _models(name, file, problems)
            )
            for spec in specs:
                models.setdefault(spec.key, {})[name] = spec
            if current and not specs and backends[name].enabled and name != INTERNAL:
                problems.append(
                    ModelsManagerError(
                        f"backend `{name}` is enabled but {file.path} declares no model",
                        location=Location(file.path),
                        hint=f"list the models {name} serves, or set `enabled = false` for it "
                        "in backends.toml (Pipelex refuses to boot otherwise)",
                    )
                )
    profiles, active, active_span = _profiles(sources.routing, backends, dialect, problems)
    decks = (
        current_decks(sources.decks, problems) if current else seed_deck(sources.decks, problems)
    )
    config = Config(
        dialect=dialect,
        backends=backends,
        models={key: _in_order(models[key], backends) for key in sorted(models)},
        profiles=profiles,
        active=active,
        active_span=active_span,
        decks=decks,
        sources=sources.hashes(),
    )
    return config, problems


def _in_order(specs: Mapping[str, ModelSpec], backends: Mapping[str, Backend]) -> dict[str, Any]:
    return dict(sorted(specs.items(), key=lambda item: backends[item[0]].order))


def _backends(file: SourceFile, problems: list[DeckError]) -> dict[str, Backend]:
    backends: dict[str, Backend] = {}
    for order, (name, table) in enumerate(file.data.items()):
        literal: set[str] = set()  # credentials written literally: reported, and kept out of the IR
        for key, value in table.items():
            if isinstance(value, str):
                found = _written_references(file, (name, key), name, value)
                problems += found
                if is_secret_key(key) and any(p.severity is Severity.ERROR for p in found):
                    literal.add(key)
        credentials = {k: str(table[k]) for k in CREDENTIAL_KEYS if k in table and k not in literal}
        options = {
            k: v
            for k, v in table.items()
            if k not in (*CREDENTIAL_KEYS, *CONSTRAINT_KEYS, "enabled", "display_name", *literal)
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
            constraints={k: table[k] for k in CONSTRAINT_KEYS if k in table},
            order=order,
            span=file.span((name,)),
            field_spans={key: file.span((name, key)) for key in table},
        )
    return backends


def _written_references(
    file: SourceFile, path: KeyPath, backend: str, value: str
) -> list[DeckError]:
    """What is wrong with the way a value that may hold ``${...}`` references is written: a
    malformed reference (in a credential, an endpoint or an api_version), a ``$NAME`` where
    ``${NAME}`` was meant, and any literal text in a credential (:func:`is_secret_key`), whose
    value no message ever quotes.  An empty credential is accepted: keyless local backends
    (Ollama) have no key to hide.  Neither Pipelex kit writes a credential literally, so no
    placeholder value is let through: a literal `sk-...` key and an innocent-looking one are
    alike to a compiler, and both would be copied into the lockfile and the generated code."""
    key = str(path[-1])
    secret = is_secret_key(key)
    span = file.span(path)
    broken = envvars.malformed(value) if secret or key in CREDENTIAL_KEYS else None
    if broken:
        return [SchemaError(broken, span=span, hint=_REFERENCE_FORMS)]
    names = envvars.unbraced(value)
    leftover = envvars.literal_text(value)  # blank when the value is only `$NAME`s, or empty
    for name in sorted(names, key=len, reverse=True):
        leftover = leftover.replace(f"${name}", "")
    if secret and leftover.strip():
        variable = _variable_for(backend, key)
        return [
            ModelsManagerError(
                "a credential must be a ${...} reference, not a literal value, which would be "
                "copied into the lockfile and the generated code",
                span=span,
                hint=f'write {key} = "${{{variable}}}" and set the variable (or leave it empty, '
                '"", if the backend needs no credential)',
            )
        ]
    severity = Severity.ERROR if secret else Severity.WARNING
    return [
        ModelsManagerError(
            f"`${name}` is not a variable reference: without braces it is literal text",
            span=span,
            hint=f"write ${{{name}}}",
            severity=severity,
        )
        for name in names
    ]


_REFERENCE_FORMS = "write ${VAR}, ${env:VAR}, ${secret:VAR}, ${env:A|secret:B} or ${VAR:-default}"


def _variable_for(backend: str, key: str) -> str:
    """A name for the variable that should hold ``backend``'s credential ``key``:
    ``OPENAI_API_KEY`` for openai's api_key, ``PORTKEY_API_KEY`` for portkey's x-portkey-api-key."""
    field = re.sub(r"[^A-Za-z0-9]+", "_", key).upper().removeprefix("X_")
    prefix = f"{backend.upper()}_"
    name = field if field.startswith(prefix) else prefix + field
    return name if not name[0].isdigit() else f"_{name}"


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


def _current_models(
    backend: Backend, file: SourceFile, problems: list[DeckError]
) -> list[ModelSpec]:
    """The models of one ``backends/<backend>.toml`` in the current layout: one top-level table
    each, identified by (model type, ``handle`` or table name), with ``[defaults]`` merged in
    shallowly and the backend's constraints merged into the model's; hyphenated keys are HTTP
    headers."""
    defaults: Mapping[str, Any] = file.data.get("defaults", {})
    specs: dict[ModelKey, ModelSpec] = {}
    for table_name, table in file.data.items():
        if table_name == "defaults" or not isinstance(table, Mapping):
            continue
        path: KeyPath = (table_name,)
        merged = {**defaults, **table}
        headers = {k: v for k, v in table.items() if "-" in k}
        fields = {k: v for k, v in merged.items() if "-" not in k}
        misspelt = [hyphenated_field(file, (*path, k), MODELS_0_92) for k in headers]
        problems += [p for p in misspelt if p is not None]
        if any(misspelt):
            continue
        if fields.pop("prompting_target", None) is not None:
            problems.append(
                ModelsManagerError(
                    f"`prompting_target` is a pipelex-0.10 key; Pipelex drops it, and so does "
                    f"deckc (model `{table_name}`)",
                    span=file.span(path),
                    hint="remove it",
                    severity=Severity.WARNING,
                )
            )
        problems += _literal_fields(file, path, fields)
        for field in [f for f in _PLACEHOLDER_FIELDS if isinstance(fields.get(f), str)]:
            where = path if field in table else ("defaults",)
            problems += _written_references(file, (*where, field), backend.name, fields[field])
        for header, value in list(headers.items()):
            found = _written_references(file, (*path, header), backend.name, str(value))
            problems += found
            if any(p.severity is Severity.ERROR for p in found):
                del headers[header]  # a credential written literally stays out of the IR
        handle = str(fields.pop("handle", table_name))
        fields.setdefault("model_id", handle)
        fields.setdefault("model_type", ModelType.LLM.value)
        _merge_constraints(fields, backend.constraints)
        key = ModelKey(ModelType(fields["model_type"]), handle)
        if "sdk" not in fields:
            problems.append(
                SchemaError(
                    f"model `{handle}` has no sdk",
                    span=file.span(path),
                    hint="set `sdk` in the model's table or in the file's [defaults]",
                )
            )
            continue
        if key in specs:
            problems.append(
                ModelsManagerError(
                    f"{key.model_type.value} `{handle}` is declared twice in this file",
                    span=file.span(path),
                    related=[specs[key].span.location],
                    hint="give one of the tables another `handle` or `model_type`",
                )
            )
            continue
        if fields.get("enabled") is False:
            problems.append(
                ModelsManagerError(
                    f"model `{handle}` has enabled = false: deckc does not serve it (Pipelex "
                    "ignores the key and would)",
                    span=file.span((*path, "enabled")),
                    hint="remove the table, or the key, to say which you mean",
                    severity=Severity.WARNING,
                )
            )
            continue
        specs[key] = ModelSpec(key, backend.name, fields, headers, file.span(path))
    return list(specs.values())


# The only model fields a ${...} may stand in (with header values): what a call sends.
_PLACEHOLDER_FIELDS = ("model_id", "endpoint_path")


def _literal_fields(file: SourceFile, path: KeyPath, fields: Mapping[str, Any]) -> list[DeckError]:
    """Pipelex refuses a ``${...}`` in any other model field, [defaults] included."""
    problems: list[DeckError] = []
    for key, value in fields.items():
        if key in _PLACEHOLDER_FIELDS or "${" not in str(value):
            continue
        where = path if key in _get_table(file, path) else ("defaults",)
        problems.append(
            SchemaError(
                f"`{key}` holds a ${{...}} reference, but only model_id, endpoint_path and "
                "header values may",
                span=file.span((*where, key)),
                hint="write the value literally",
            )
        )
    return problems


def _get_table(file: SourceFile, path: KeyPath) -> Mapping[str, Any]:
    table = file.data.get(str(path[0]), {})
    return table if isinstance(table, Mapping) else {}


def _merge_constraints(fields: dict[str, Any], backend: Mapping[str, Any]) -> None:
    """A backend's constraints apply to each of its models: listed ones are united, and of the
    valued ones the model's own value wins."""
    listed = backend.get("listed_constraints")
    if listed:
        fields["listed_constraints"] = list(
            dict.fromkeys([*fields.get("listed_constraints", []), *listed])
        )
    valued = backend.get("valued_constraints")
    if valued:
        fields["valued_constraints"] = {**valued, **fields.get("valued_constraints", {})}


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
    file: SourceFile, backends: Mapping[str, Backend], dialect: Dialect, problems: list[DeckError]
) -> tuple[dict[str, Profile], str, Span]:
    current = dialect is Dialect.PIPELEX_0_92
    profiles: dict[str, Profile] = {}
    for name, table in file.data.get("profiles", {}).items():
        base: KeyPath = ("profiles", name)
        routes: list[Route] = []
        for section, optional in (("routes", False), ("optional_routes", True)):
            for pattern, backend in table.get(section, {}).items():
                path = (*base, section, pattern)
                if current and optional and pattern in table.get("routes", {}):
                    problems.append(
                        SchemaError(
                            f"`{pattern}` is both a route and an optional route of profile {name}",
                            span=file.span(path),
                            related=[file.locate((*base, "routes", pattern))],
                            hint="keep one of the two",
                        )
                    )
                    continue
                if _backend_ref(file, path, backend, backends, problems):
                    parsed = parse_pattern(pattern, literal_inner_stars=current)
                    routes.append(Route(parsed, backend, optional, file.span(path)))
        default = None
        name_of_default = table.get("default")
        if name_of_default is not None and _backend_ref(
            file, (*base, "default"), name_of_default, backends, problems
        ):
            default = BackendRef(name_of_default, file.span((*base, "default")))
        fallback = []
        for i, backend in enumerate(table.get("fallback_order", [])):
            path = (*base, "fallback_order", i)
            if current and backend not in backends:  # skipped, as Pipelex does
                problems.append(
                    ModelsManagerError(
                        f"fallback_order names `{backend}`, which backends.toml does not declare; "
                        "it is skipped",
                        span=file.span(path),
                        hint=did_you_mean(backend, backends) or "remove the entry",
                        severity=Severity.WARNING,
                    )
                )
            elif _backend_ref(file, path, backend, backends, problems):
                fallback.append(BackendRef(backend, file.span(path)))
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
