"""Emit stage: the resolved deck as one typed :class:`~compiler.emit.lock.Lockfile`, written as
canonical JSON (SPEC §4).

Sorted keys, two-space indentation, one value per line and a trailing newline: one changed alias
or route is a one-line diff.  The JSON is checked against ``schema/deck.lock.schema.json``
before anyone writes it.  Provenance (where each entry was written) lives in its own section so
that moving lines around in the sources does not disturb the sections reviewers read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, TypeVar

from .. import __version__
from ..core import canonical
from ..core.errors import Span
from ..core.ir import Backend as IRBackend
from ..core.ir import Config, Deck, ModelSpec, ModelType, Profile
from ..core.resources import load_schema
from ..runtime import envvars
from ..semantics.decisions import (
    DeckResolution,
    Placement,
    ProfileResolution,
    Resolution,
    Resolved,
    SelectedChoice,
)
from ..sources.validate import surely_valid
from . import lock as L
from .origin import DEFAULT as DEFAULT_ORIGIN
from .origin import Origin

LOCK_SCHEMA = "deck.lock"
Lock = dict[str, Any]
K = TypeVar("K")
V = TypeVar("V")


def header(origin: Origin) -> L.Header:
    return L.Header(
        by=f"deckc {__version__}",
        do_not_edit=f"generated from {origin.config_dir}; edit the TOML sources instead",
        regenerate=origin.command,
        schema_version=L.SCHEMA_VERSION,
    )


# --- the resolved configuration as a Lockfile -------------------------------------------------


def build_lock(resolved: Resolved, origin: Origin = DEFAULT_ORIGIN) -> L.Lockfile:
    config = resolved.config
    return L.Lockfile(
        header=header(origin),
        dialect=config.dialect.value,
        active_profile=config.active,
        backends={name: _backend(b) for name, b in config.backends.items()},
        models=_models(config, lambda spec: _spec(spec)),
        decks={
            model_type: _deck(deck, resolved.choices.get(model_type, {}))
            for model_type, deck in config.decks.items()
        },
        profiles={name: _profile(config, p) for name, p in resolved.profiles.items()},
        provenance=_provenance(config),
        sources=dict(config.sources),
    )


def _models(
    config: Config, entry: Callable[[ModelSpec], V]
) -> dict[ModelType, dict[str, dict[str, V]]]:
    """``entry(spec)`` for every model, by model type, backend and name."""
    found: dict[ModelType, dict[str, dict[str, V]]] = {}
    for key, specs in config.models.items():
        for backend, spec in specs.items():
            found.setdefault(key.model_type, {}).setdefault(backend, {})[key.name] = entry(spec)
    return found


def _backend(backend: IRBackend) -> L.Backend:
    texts = [*backend.credentials.values(), *backend.options.values()]
    return L.Backend(
        name=backend.name,
        enabled=backend.enabled,
        display_name=backend.display_name,
        credential_refs=dict(backend.credentials),
        options=dict(backend.options),
        env_vars=tuple(
            sorted({var for t in texts if isinstance(t, str) for var in envvars.variables(t)})
        ),
        order=backend.order,
    )


def _spec(spec: ModelSpec) -> L.Spec:
    entry = dict(spec.fields)
    if spec.extensions:
        entry["extensions"] = dict(spec.extensions)
    return entry


def _deck(deck: Deck, choices: Mapping[str, SelectedChoice]) -> L.Deck:
    return L.Deck(
        aliases={
            name: tuple(t.text for t in a.targets) if a.is_list else a.targets[0].text
            for name, a in deck.aliases.items()
        },
        waterfalls={name: tuple(s.text for s in w.steps) for name, w in deck.waterfalls.items()},
        presets={name: dict(p.values) for name, p in deck.presets.items()},
        choices={kind: _choice(c) for kind, c in choices.items()},
        settings=dict(deck.settings),
    )


def _choice(choice: SelectedChoice) -> L.Choice:
    return L.Choice(
        choice.default, choice.override, choice.selected, choice.target_kind.value, choice.target
    )


def _routing(placement: Placement) -> L.Routing:
    if placement.backend is None or placement.rule is None:
        return L.Routing(None, unavailable=placement.reason)
    pattern = placement.route.pattern.text if placement.route is not None else None
    return L.Routing(placement.backend, placement.rule.value, pattern)


def _resolution(resolution: Resolution) -> L.Resolution:
    return L.Resolution(
        backend=resolution.backend,
        model=resolution.model.name if resolution.model else None,
        path=resolution.path,
        skipped=tuple(L.Skipped(s.ref, s.reason) for s in resolution.skipped),
        unavailable=None if resolution.available else resolution.reason,
    )


def _profile(config: Config, resolution: ProfileResolution) -> L.Profile:
    profile = resolution.profile
    routing: dict[ModelType, dict[str, L.Routing]] = {}
    for key, placement in resolution.placements.items():
        routing.setdefault(key.model_type, {})[key.name] = _routing(placement)
    empty = DeckResolution({}, {}, {})
    types = [t for t in ModelType if t in routing or t in resolution.decks]
    return L.Profile(
        description=profile.description,
        default=profile.default.backend if profile.default else None,
        fallback_order=tuple(b.backend for b in profile.fallback_order),
        routes=tuple(L.Route(r.pattern.text, r.backend, r.optional) for r in profile.routes),
        answers={t: _answers(routing.get(t, {}), resolution.decks.get(t, empty)) for t in types},
    )


def _answers(routing: Mapping[str, L.Routing], deck: DeckResolution) -> L.Answers:
    return L.Answers(
        routing=routing,
        aliases={name: _resolution(r) for name, r in deck.aliases.items()},
        waterfalls={name: _resolution(r) for name, r in deck.waterfalls.items()},
        presets={name: _resolution(r) for name, r in deck.presets.items()},
    )


def _where(span: Span) -> str:
    return str(span.location)


def _table(items: Mapping[str, Any]) -> dict[str, str]:
    return {name: _where(item.span) for name, item in items.items()}


def _profile_provenance(profile: Profile) -> dict[str, Any]:
    return {
        "default": _where(profile.default.span) if profile.default else None,
        "fallback_order": [_where(b.span) for b in profile.fallback_order],
        "profile": _where(profile.span),
        "routes": [_where(r.span) for r in profile.routes],
    }


def _provenance(config: Config) -> dict[str, Any]:
    return {
        "active_profile": _where(config.active_span),
        "backends": _table(config.backends),
        "models": {
            t.value: by_backend
            for t, by_backend in _models(config, lambda spec: _where(spec.span)).items()
        },
        "deck": {
            model_type.value: {
                "aliases": _table(deck.aliases),
                "waterfalls": _table(deck.waterfalls),
                "presets": {
                    name: {"preset": _where(p.span)}
                    | {k: _where(s) for k, s in p.field_spans.items()}
                    for name, p in deck.presets.items()
                },
                "choices": {
                    "defaults": _table(deck.choice_defaults),
                    "overrides": _table(deck.choice_overrides),
                },
            }
            for model_type, deck in config.decks.items()
        },
        "profiles": {name: _profile_provenance(p) for name, p in config.profiles.items()},
    }


# --- the Lockfile as JSON ---------------------------------------------------------------------


def _drop_none(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if v is not None}


def _by_type(table: Mapping[ModelType, V], entry: Callable[[V], Any]) -> dict[str, Any]:
    return {t.value: entry(v) for t, v in table.items()}


def _each(table: Mapping[K, V], entry: Callable[[V], Any]) -> dict[K, Any]:
    return {k: entry(v) for k, v in table.items()}


def resolution_json(r: L.Resolution) -> dict[str, Any]:
    entry: dict[str, Any] = {"backend": r.backend, "model": r.model, "path": list(r.path)}
    if r.skipped:
        entry["skipped"] = [{"handle": s.handle, "reason": s.reason} for s in r.skipped]
    if r.unavailable is not None:
        entry["unavailable"] = r.unavailable
    return entry


def routing_json(r: L.Routing) -> dict[str, Any]:
    if r.backend is None:
        return {"backend": None, "unavailable": r.unavailable}
    return _drop_none({"backend": r.backend, "rule": r.rule, "pattern": r.pattern})


def backend_json(b: L.Backend) -> dict[str, Any]:
    return {
        "credential_refs": dict(b.credential_refs),
        "display_name": b.display_name,
        "enabled": b.enabled,
        "env_vars": list(b.env_vars),
        "name": b.name,
        "options": dict(b.options),
        "order": b.order,
    }


def choice_json(c: L.Choice) -> dict[str, Any]:
    return {
        "default": c.default,
        "kind": c.kind,
        "override": c.override,
        "selected": c.selected,
        "target": c.target,
    }


def _deck_json(d: L.Deck) -> dict[str, Any]:
    return {
        "aliases": {k: v if isinstance(v, str) else list(v) for k, v in d.aliases.items()},
        "choices": _each(d.choices, choice_json),
        "presets": _each(d.presets, dict),
        "waterfalls": {k: list(v) for k, v in d.waterfalls.items()},
    } | ({"settings": dict(d.settings)} if d.settings else {})


def _answers_json(a: L.Answers) -> dict[str, Any]:
    return {
        "aliases": _each(a.aliases, resolution_json),
        "presets": _each(a.presets, resolution_json),
        "routing": _each(a.routing, routing_json),
        "waterfalls": _each(a.waterfalls, resolution_json),
    }


def _profile_json(p: L.Profile) -> dict[str, Any]:
    return {
        "default": p.default,
        "description": p.description,
        "fallback_order": list(p.fallback_order),
        "routes": [
            {"backend": r.backend, "optional": r.optional, "pattern": r.pattern} for r in p.routes
        ],
        **_by_type(p.answers, _answers_json),
    }


def to_json(lock: L.Lockfile) -> Lock:
    """The lockfile as the JSON value schema version 2 describes."""
    h = lock.header
    return {
        "_generated": {
            "by": h.by,
            "do_not_edit": h.do_not_edit,
            "regenerate": h.regenerate,
            "schema_version": h.schema_version,
        },
        "active_profile": lock.active_profile,
        "backends": _each(lock.backends, backend_json),
        "deck": _by_type(lock.decks, _deck_json),
        "dialect": lock.dialect,
        "models": _by_type(
            lock.models, lambda by_backend: _each(by_backend, lambda s: _each(s, dict))
        ),
        "profiles": _each(lock.profiles, _profile_json),
        "provenance": dict(lock.provenance),
        "sources": dict(lock.sources),
    }


def dumps(lock: Lock) -> str:
    """Canonical text: byte-identical for identical data, whatever the machine (the text of
    ``json.dumps(lock, indent=2, sort_keys=True, ensure_ascii=False)``, made faster)."""
    return canonical.dumps(lock)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def _lock_validator() -> Any:
    import jsonschema  # the reference validator, needed only to explain a rejection

    return jsonschema.Draft202012Validator(load_schema(LOCK_SCHEMA))


def schema_violations(lock: Lock) -> list[str]:
    """Where the lockfile breaks its own schema (an internal error if ever non-empty).

    jsonschema-rs checks the whole lockfile in milliseconds, even at 100,000 models; the
    reference validator runs only to say where a rejected lockfile is wrong."""
    if surely_valid(LOCK_SCHEMA, lock):
        return []
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in _lock_validator().iter_errors(lock)
    ]
