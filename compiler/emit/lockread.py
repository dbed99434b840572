"""The one reader of lockfiles: JSON of any supported schema version -> typed
:class:`~compiler.emit.lock.Lockfile`.

A lockfile is checked against the schema of its own version first (``schema/deck.lock.schema.json``
for version 2, ``schema/deck.lock.v1.schema.json`` for version 1), then read by that version's
reader into the current types.  Version 1 (before model types keyed every map) is read as what it
was: every model under the type its spec names, the deck and its choices as the LLM deck, the
dialect ``pipelex-0.10``.  So ``deckc diff`` compares a lockfile written before a layout change
with one written after, and sees only what really changed.

Problems are raised as :class:`LockfileError`\\ s located in the lockfile (``label``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, TypeVar

from ..core.errors import CompileFailed, DeckError, Location
from ..core.ir import Dialect, ModelType
from ..core.resources import load_schema
from . import lock as L

V = TypeVar("V")
SCHEMAS = {2: "deck.lock", 1: "deck.lock.v1"}  # schema version -> schema/<name>.schema.json


class LockfileError(DeckError):
    """A lockfile cannot be read, parsed or understood."""


def _fail(message: str, label: str, **where: Any) -> CompileFailed:
    return CompileFailed([LockfileError(message, location=Location(label), **where)])


@cache
def _validator(version: int) -> Any:
    import jsonschema  # only when a lockfile is read back: compile does not need it

    return jsonschema.Draft202012Validator(load_schema(SCHEMAS[version]))


def parse_lock(text: str, label: str) -> L.Lockfile:
    """The lockfile in ``text`` (JSON), shown as ``label`` in errors."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        located = Location(label, exc.lineno, exc.colno)
        raise CompileFailed(
            [LockfileError(f"not valid JSON: {exc.msg}", location=located)]
        ) from None
    return read_lock(data, label)


def read_lock(data: Any, label: str) -> L.Lockfile:
    """A lockfile's JSON value, checked against the schema of its version, as typed values."""
    if not isinstance(data, dict):
        raise _fail("not a deckc lockfile (not a JSON object)", label)
    header = data.get("_generated")
    version = header.get("schema_version") if isinstance(header, dict) else None
    if version not in SCHEMAS:
        known = ", ".join(str(v) for v in sorted(SCHEMAS))
        raise _fail(
            f"lockfile schema version {json.dumps(version)}; this deckc reads versions {known}",
            label,
            key_path=("_generated", "schema_version"),
            hint="recompile it with this deckc (`deckc compile --force`), or compare it with the "
            "deckc that wrote it",
        )
    problems = [
        LockfileError(
            f"not a valid version {version} lockfile: {error.message}",
            location=Location(label),
            key_path=tuple(error.absolute_path),
        )
        for error in _validator(version).iter_errors(data)
    ]
    if problems:
        raise CompileFailed(problems)
    return _read_v2(data) if version == 2 else _read_v1(data)


# --- shared pieces ----------------------------------------------------------------------------


def _each(table: Mapping[str, Any], read: Callable[[Any], V]) -> dict[str, V]:
    return {key: read(value) for key, value in table.items()}


def _header(data: Mapping[str, Any]) -> L.Header:
    return L.Header(data["by"], data["do_not_edit"], data["regenerate"], data["schema_version"])


def _backend(data: Mapping[str, Any]) -> L.Backend:
    return L.Backend(
        name=data["name"],
        enabled=data["enabled"],
        display_name=data["display_name"],
        credential_refs=dict(data["credential_refs"]),
        options=dict(data["options"]),
        env_vars=tuple(data["env_vars"]),
        order=data["order"],
    )


def _choice(data: Mapping[str, Any]) -> L.Choice:
    return L.Choice(
        data["default"], data["override"], data["selected"], data["kind"], data["target"]
    )


def _alias(value: str | list[str]) -> str | tuple[str, ...]:
    return value if isinstance(value, str) else tuple(value)


def _routing(data: Mapping[str, Any]) -> L.Routing:
    return L.Routing(
        data["backend"], data.get("rule"), data.get("pattern"), data.get("unavailable")
    )


def _resolution(data: Mapping[str, Any]) -> L.Resolution:
    return L.Resolution(
        backend=data["backend"],
        model=data["model"],
        path=tuple(data["path"]),
        skipped=tuple(L.Skipped(s["handle"], s["reason"]) for s in data.get("skipped", ())),
        unavailable=data.get("unavailable"),
    )


def _profile(data: Mapping[str, Any], answers: Mapping[ModelType, L.Answers]) -> L.Profile:
    return L.Profile(
        description=data["description"],
        default=data["default"],
        fallback_order=tuple(data["fallback_order"]),
        routes=tuple(L.Route(r["pattern"], r["backend"], r["optional"]) for r in data["routes"]),
        answers=answers,
    )


def _answers(data: Mapping[str, Any]) -> L.Answers:
    return L.Answers(
        routing=_each(data["routing"], _routing),
        aliases=_each(data["aliases"], _resolution),
        waterfalls=_each(data.get("waterfalls", {}), _resolution),
        presets=_each(data["presets"], _resolution),
    )


# --- version 2 --------------------------------------------------------------------------------


def _read_v2(data: Mapping[str, Any]) -> L.Lockfile:
    return L.Lockfile(
        header=_header(data["_generated"]),
        dialect=data["dialect"],
        active_profile=data["active_profile"],
        backends=_each(data["backends"], _backend),
        models={
            ModelType(t): {b: _each(specs, dict) for b, specs in by_backend.items()}
            for t, by_backend in data["models"].items()
        },
        decks={
            ModelType(t): L.Deck(
                aliases=_each(deck["aliases"], _alias),
                waterfalls=_each(deck["waterfalls"], tuple),
                presets=_each(deck["presets"], dict),
                choices=_each(deck["choices"], _choice),
                settings=dict(deck.get("settings", {})),
            )
            for t, deck in data["deck"].items()
        },
        profiles={
            name: _profile(
                profile, {t: _answers(profile[t.value]) for t in ModelType if t.value in profile}
            )
            for name, profile in data["profiles"].items()
        },
        provenance=data["provenance"],
        sources=dict(data["sources"]),
    )


# --- version 1 --------------------------------------------------------------------------------


def _read_v1(data: Mapping[str, Any]) -> L.Lockfile:
    """A version 1 lockfile: models keyed by backend then name (each spec names its type), one
    LLM deck, choices at the top, per-profile answers keyed by name."""
    models: dict[ModelType, dict[str, dict[str, L.Spec]]] = {}
    types_of: dict[str, set[ModelType]] = {}
    for backend, specs in data["models"].items():
        for name, spec in specs.items():
            model_type = ModelType(spec["model_type"])
            models.setdefault(model_type, {}).setdefault(backend, {})[name] = dict(spec)
            types_of.setdefault(name, set()).add(model_type)
    deck = data["deck"]
    profiles = {}
    for name, profile in data["profiles"].items():
        routing: dict[ModelType, dict[str, L.Routing]] = {}
        for model, entry in profile["routing"].items():
            for model_type in types_of.get(model, {ModelType.LLM}):
                routing.setdefault(model_type, {})[model] = _routing(entry)
        answers = {t: L.Answers(routing.get(t, {}), {}, {}, {}) for t in ModelType if t in routing}
        answers[ModelType.LLM] = L.Answers(
            routing=routing.get(ModelType.LLM, {}),
            aliases=_each(profile["aliases"], _resolution),
            waterfalls={},
            presets=_each(profile["presets"], _resolution),
        )
        profiles[name] = _profile(
            profile, dict(sorted(answers.items(), key=lambda i: _order(i[0])))
        )
    return L.Lockfile(
        header=_header(data["_generated"]),
        dialect=Dialect.PIPELEX_0_10.value,
        active_profile=data["active_profile"],
        backends=_each(data["backends"], _backend),
        models=dict(sorted(models.items(), key=lambda item: _order(item[0]))),
        decks={
            ModelType.LLM: L.Deck(
                aliases=_each(deck["aliases"], _alias),
                presets=_each(deck["presets"], dict),
                choices=_each(data["choices"], _choice),
            )
        },
        profiles=profiles,
        provenance=data["provenance"],
        sources=dict(data["sources"]),
    )


def _order(model_type: ModelType) -> int:
    return list(ModelType).index(model_type)
