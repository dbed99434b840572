"""Emit stage: the resolved deck as one canonical JSON lockfile (SPEC §4).

Sorted keys, two-space indentation, one value per line and a trailing newline: one changed alias
or route is a one-line diff.  The lockfile is checked against ``schema/deck.lock.schema.json``
before anyone writes it.  Provenance (where each entry was written) lives in its own section so
that moving lines around in the sources does not disturb the sections reviewers read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache
from typing import Any

from compiler import __version__
from compiler.core import canonical
from compiler.core.errors import Span
from compiler.core.ir import Backend, Config, ModelSpec, ModelType, Preset, Profile
from compiler.core.resources import load_schema
from compiler.runtime import envvars
from compiler.semantics.decisions import (
    Placement,
    ProfileResolution,
    Resolution,
    Resolved,
    SelectedChoice,
)
from compiler.sources.validate import surely_valid

SCHEMA_VERSION = 1
LOCK_SCHEMA = "deck.lock"
HEADER = {
    "by": f"deckc {__version__}",
    "do_not_edit": "generated from .pipelex/inference; edit the TOML sources instead",
    "regenerate": "make compile  (or: deckc compile --config-dir <dir> --out <dir>)",
    "schema_version": SCHEMA_VERSION,
}

Lock = dict[str, Any]


def build_lock(resolved: Resolved) -> Lock:
    config = resolved.config
    deck = config.decks[ModelType.LLM]
    by_backend: dict[str, dict[str, ModelSpec]] = {name: {} for name in config.backends}
    for specs in config.models.values():
        for backend, spec in specs.items():
            by_backend[backend][spec.name] = spec
    return {
        "_generated": HEADER,
        "active_profile": config.active,
        "backends": {name: _backend(b) for name, b in config.backends.items()},
        "choices": {kind: _choice(c) for kind, c in resolved.choices[ModelType.LLM].items()},
        "deck": {
            "aliases": {name: a.written() for name, a in deck.aliases.items()},
            "presets": {name: _preset(p) for name, p in deck.presets.items()},
        },
        "models": {
            backend: {name: _spec(spec) for name, spec in sorted(specs.items())}
            for backend, specs in by_backend.items()
            if specs
        },
        "profiles": {name: _profile(p) for name, p in resolved.profiles.items()},
        "provenance": _provenance(config, by_backend),
        "sources": dict(config.sources),
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

    schema = load_schema(LOCK_SCHEMA)
    return jsonschema.Draft202012Validator(schema)


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


def _backend(backend: Backend) -> dict[str, Any]:
    refs = dict(backend.credentials)
    return {
        "credential_refs": refs,
        "display_name": backend.display_name,
        "enabled": backend.enabled,
        "env_vars": sorted(
            {
                var
                for text in [*refs.values(), *backend.options.values()]
                if isinstance(text, str)
                for var in envvars.variables(text)
            }
        ),
        "name": backend.name,
        "options": dict(backend.options),
        "order": backend.order,
    }


def _spec(spec: ModelSpec) -> dict[str, Any]:
    entry = dict(spec.fields)
    if spec.extensions:
        entry["extensions"] = dict(spec.extensions)
    return entry


def _preset(preset: Preset) -> dict[str, Any]:
    return dict(preset.values)


def _choice(choice: SelectedChoice) -> dict[str, Any]:
    return {
        "default": choice.default,
        "override": choice.override,
        "selected": choice.selected,
        "kind": choice.target_kind.value,
        "target": choice.target,
    }


def _routing(placement: Placement) -> dict[str, Any]:
    if placement.backend is None or placement.rule is None:
        return {"backend": None, "unavailable": placement.reason}
    entry: dict[str, Any] = {"backend": placement.backend, "rule": placement.rule.value}
    if placement.route is not None:
        entry["pattern"] = placement.route.pattern.text
    return entry


def _resolution(resolution: Resolution) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "backend": resolution.backend,
        "model": resolution.model.name if resolution.model else None,
        "path": list(resolution.path),
    }
    if resolution.skipped:
        entry["skipped"] = [{"handle": s.ref, "reason": s.reason} for s in resolution.skipped]
    if not resolution.available:
        entry["unavailable"] = resolution.reason
    return entry


def _profile(resolution: ProfileResolution) -> dict[str, Any]:
    profile = resolution.profile
    deck = resolution.decks[ModelType.LLM]
    return {
        "aliases": {name: _resolution(r) for name, r in deck.aliases.items()},
        "default": profile.default.backend if profile.default else None,
        "description": profile.description,
        "fallback_order": [b.backend for b in profile.fallback_order],
        "presets": {name: _resolution(r) for name, r in deck.presets.items()},
        "routes": [
            {"backend": r.backend, "optional": r.optional, "pattern": r.pattern.text}
            for r in profile.routes
        ],
        "routing": {
            key.name: _routing(p)
            for key, p in resolution.placements.items()
            if key.model_type is ModelType.LLM
        },
    }


def _where(span: Span) -> str:
    return str(span.location)


def _profile_provenance(profile: Profile) -> dict[str, Any]:
    return {
        "default": _where(profile.default.span) if profile.default else None,
        "fallback_order": [_where(b.span) for b in profile.fallback_order],
        "profile": _where(profile.span),
        "routes": [_where(r.span) for r in profile.routes],
    }


def _provenance(
    config: Config, by_backend: Mapping[str, Mapping[str, ModelSpec]]
) -> dict[str, Any]:
    deck = config.decks[ModelType.LLM]

    def table(items: Mapping[str, Any]) -> dict[str, str]:
        return {name: _where(item.span) for name, item in items.items()}

    return {
        "active_profile": _where(config.active_span),
        "aliases": table(deck.aliases),
        "backends": table(config.backends),
        "choices": {
            "llm_choice_defaults": table(deck.choice_defaults),
            "llm_choice_overrides": table(deck.choice_overrides),
        },
        "models": {b: table(specs) for b, specs in by_backend.items() if specs},
        "presets": {
            name: {
                "preset": _where(p.span),
                **{k: _where(v) for k, v in p.field_spans.items()},
            }
            for name, p in deck.presets.items()
        },
        "profiles": {name: _profile_provenance(p) for name, p in config.profiles.items()},
    }
