"""Semantic diff of two lockfiles: what a reviewer reads instead of raw JSON (SPEC §5 ``diff``).

:func:`diff_locks` compares two lockfiles (as :mod:`compiler.review.lock_source` reads them) into
typed :class:`~compiler.review.changes.Change` records, sorted into reviewer sections — first
what the sources changed (backends, models, costs, aliases, waterfalls, presets, choices,
profiles and their routes), then what that does (where models are routed, what handles resolve
to, what became unavailable), model type by model type.  Rendering is in
:mod:`compiler.review.diff_render`.

Source hashes, provenance and the header are not compared: moving lines or editing comments is
not a change a reviewer needs to read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from ..core.ir import ModelType
from ..core.naming import format_key_path
from ..emit.lock import (
    Answers,
    Backend,
    Deck,
    Lockfile,
    Profile,
    Resolution,
    Route,
    Routing,
)
from ..emit.lockfile import backend_json, choice_json, to_json
from .changes import Change, FieldChange, Kind, sort_key

Json = Any
NOT_COMPARED = ("_generated", "provenance", "sources")
_SPEC_NOT_COMPARED = ("costs",)  # costs have their own section
_BACKEND_NOT_COMPARED = ("enabled", "env_vars", "name")  # own kinds / derived / the key itself


def diff_locks(old: Lockfile, new: Lockfile) -> tuple[Change, ...]:
    """Every semantic difference between two lockfiles, sorted for reading."""
    changes: list[Change] = [*_backends(old.backends, new.backends)]
    if old.dialect != new.dialect:
        changes.append(Change(Kind.DIALECT_CHANGED, "dialect", old.dialect, new.dialect))
    for model_type in _types(old, new):
        was, now = old.decks.get(model_type, EMPTY_DECK), new.decks.get(model_type, EMPTY_DECK)
        typed = [
            *_models(old.models.get(model_type, {}), new.models.get(model_type, {})),
            *_aliases(was.aliases, now.aliases),
            *_waterfalls(was.waterfalls, now.waterfalls),
            *_records(was.presets, now.presets, "preset"),
            *_records(_choices(was), _choices(now), "choice"),
        ]
        changes += [replace(c, model_type=model_type.value) for c in typed]
    changes += _profiles(old, new)
    if not changes:  # a safety net: no difference may ever go unreported
        changes = [
            Change(Kind.OTHER, f.field, f.old, f.new)
            for f in leaf_changes(_semantic(old), _semantic(new))
        ]
    return tuple(sorted(changes, key=sort_key))


EMPTY_DECK = Deck(aliases={})


def _types(old: Lockfile, new: Lockfile) -> list[ModelType]:
    return [t for t in ModelType if t in old.model_types() or t in new.model_types()]


def _choices(deck: Deck) -> dict[str, Json]:
    return {kind: choice_json(c) for kind, c in deck.choices.items()}


def _semantic(lock: Lockfile) -> dict[str, Json]:
    return {key: value for key, value in to_json(lock).items() if key not in NOT_COMPARED}


def _split(
    old: Mapping[str, Json], new: Mapping[str, Json]
) -> tuple[list[str], list[str], list[str]]:
    """Names only in ``new``, only in ``old``, and in both (each sorted)."""
    return (
        sorted(set(new) - set(old)),
        sorted(set(old) - set(new)),
        sorted(set(old) & set(new)),
    )


def leaf_changes(old: Json, new: Json, path: tuple[str | int, ...] = ()) -> list[FieldChange]:
    """Every differing leaf of two JSON values, as dotted key paths (tables are recursed into,
    lists and scalars compared whole)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            change
            for key in sorted(set(old) | set(new))
            for change in leaf_changes(old.get(key), new.get(key), (*path, key))
        ]
    if old == new and type(old) is type(new):
        return []
    return [FieldChange(format_key_path(path), old, new)]


def _each(table: Mapping[str, Any], entry: Callable[[Any], Json]) -> dict[str, Json]:
    return {key: entry(value) for key, value in table.items()}


def _without(record: Mapping[str, Json], keys: Iterable[str]) -> dict[str, Json]:
    return {k: v for k, v in record.items() if k not in keys}


def _backends(old: Mapping[str, Backend], new: Mapping[str, Backend]) -> Iterator[Change]:
    added, removed, common = _split(old, new)
    yield from (Change(Kind.BACKEND_ADDED, name, new=new[name].enabled) for name in added)
    yield from (Change(Kind.BACKEND_REMOVED, name, old=old[name].enabled) for name in removed)
    for name in common:
        was, now = backend_json(old[name]), backend_json(new[name])
        if was["enabled"] != now["enabled"]:
            kind = Kind.BACKEND_ENABLED if now["enabled"] else Kind.BACKEND_DISABLED
            yield Change(kind, name, was["enabled"], now["enabled"])
        fields = leaf_changes(
            _without(was, _BACKEND_NOT_COMPARED), _without(now, _BACKEND_NOT_COMPARED)
        )
        if fields:
            yield Change(Kind.BACKEND_CHANGED, name, fields=tuple(fields))


def _models(old: Mapping[str, Json], new: Mapping[str, Json]) -> Iterator[Change]:
    for backend in sorted(set(old) | set(new)):
        was, now = old.get(backend, {}), new.get(backend, {})
        added, removed, common = _split(was, now)
        where: dict[str, Any] = {"namespace": "model", "backend": backend}
        for name in added:
            yield Change(Kind.MODEL_ADDED, name, new=now[name].get("model_id"), **where)
        for name in removed:
            yield Change(Kind.MODEL_REMOVED, name, old=was[name].get("model_id"), **where)
        for name in common:
            fields = leaf_changes(
                _without(was[name], _SPEC_NOT_COMPARED), _without(now[name], _SPEC_NOT_COMPARED)
            )
            if fields:
                yield Change(Kind.MODEL_CHANGED, name, fields=tuple(fields), **where)
            costs = _cost_changes(was[name].get("costs") or {}, now[name].get("costs") or {})
            if costs:
                yield Change(Kind.COST_CHANGED, name, fields=costs, **where)


def _cost_changes(old: Mapping[str, Json], new: Mapping[str, Json]) -> tuple[FieldChange, ...]:
    return tuple(
        replace(change, relative=relative_change(change.old, change.new))
        for change in leaf_changes(old, new)
    )


def relative_change(old: Json, new: Json) -> float | None:
    """(new - old) / old when both are numbers and ``old`` is not zero."""
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (old, new))
    return round((new - old) / old, 6) if numbers and old else None


def _written(value: str | tuple[str, ...]) -> Json:
    return value if isinstance(value, str) else list(value)


def _aliases(
    old: Mapping[str, str | tuple[str, ...]], new: Mapping[str, str | tuple[str, ...]]
) -> Iterator[Change]:
    old, new = _each(old, _written), _each(new, _written)
    added, removed, common = _split(old, new)
    yield from (Change(Kind.ALIAS_ADDED, name, new=new[name], namespace="alias") for name in added)
    yield from (
        Change(Kind.ALIAS_REMOVED, name, old=old[name], namespace="alias") for name in removed
    )
    for name in common:
        if old[name] != new[name]:
            yield Change(Kind.ALIAS_REPOINTED, name, old[name], new[name], namespace="alias")


def _waterfalls(
    old: Mapping[str, tuple[str, ...]], new: Mapping[str, tuple[str, ...]]
) -> Iterator[Change]:
    where: dict[str, Any] = {"namespace": "waterfall"}
    added, removed, common = _split(old, new)
    yield from (Change(Kind.WATERFALL_ADDED, n, new=list(new[n]), **where) for n in added)
    yield from (Change(Kind.WATERFALL_REMOVED, n, old=list(old[n]), **where) for n in removed)
    for name in common:
        if old[name] != new[name]:
            yield Change(Kind.WATERFALL_CHANGED, name, list(old[name]), list(new[name]), **where)


def _records(old: Mapping[str, Json], new: Mapping[str, Json], what: str) -> Iterator[Change]:
    """Presets and choices: added, removed, or changed field by field."""
    space = "preset" if what == "preset" else ""  # choices are not a namespace of handles
    added, removed, common = _split(old, new)
    for name in added:
        yield Change(Kind(f"{what}_added"), name, new=new[name], namespace=space)
    for name in removed:
        yield Change(Kind(f"{what}_removed"), name, old=old[name], namespace=space)
    for name in common:
        fields = leaf_changes(old[name], new[name])
        if fields:
            yield Change(Kind(f"{what}_changed"), name, fields=tuple(fields), namespace=space)


def _profiles(old: Lockfile, new: Lockfile) -> Iterator[Change]:
    if old.active_profile != new.active_profile:
        yield Change(
            Kind.ACTIVE_PROFILE_CHANGED, "active_profile", old.active_profile, new.active_profile
        )
    added, removed, common = _split(old.profiles, new.profiles)
    yield from (Change(Kind.PROFILE_ADDED, p, profiles=(p,)) for p in added)
    yield from (Change(Kind.PROFILE_REMOVED, p, profiles=(p,)) for p in removed)
    effects: list[Change] = []
    for name in common:
        was, now = old.profiles[name], new.profiles[name]
        fields = leaf_changes(_settings(was), _settings(now))
        fields += _route_order(was.routes, now.routes)
        if fields:
            yield Change(Kind.PROFILE_CHANGED, name, profiles=(name,), fields=tuple(fields))
        yield from _routes(name, was.routes, now.routes)
        for model_type in _types(old, new):
            before = was.answers.get(model_type, EMPTY_ANSWERS)
            after = now.answers.get(model_type, EMPTY_ANSWERS)
            typed = [
                *_effects(name, "model", before.routing, after.routing),
                *_effects(name, "alias", before.aliases, after.aliases),
                *_effects(name, "waterfall", before.waterfalls, after.waterfalls),
                *_effects(name, "preset", before.presets, after.presets),
            ]
            effects += [replace(c, model_type=model_type.value) for c in typed]
    yield from group_profiles(effects)


EMPTY_ANSWERS = Answers({}, {}, {}, {})


def _settings(profile: Profile) -> dict[str, Json]:
    return {
        "default": profile.default,
        "description": profile.description,
        "fallback_order": list(profile.fallback_order),
    }


def _route_key(route: Route) -> str:
    return f"{route.pattern}{' (optional)' if route.optional else ''}"


def _route_order(old: Sequence[Route], new: Sequence[Route]) -> list[FieldChange]:
    """Routes that both sides have, when their order changed (wildcards: the first match wins)."""
    was = [_route_key(r) for r in old]
    now = [_route_key(r) for r in new]
    kept_was = [k for k in was if k in now]
    kept_now = [k for k in now if k in was]
    return [] if kept_was == kept_now else [FieldChange("routes order", kept_was, kept_now)]


def _routes(profile: str, old: Sequence[Route], new: Sequence[Route]) -> Iterator[Change]:
    """Routes added, removed or sent elsewhere (``detail`` says "optional" for optional ones)."""
    was = {_route_key(r): r for r in old}
    now = {_route_key(r): r for r in new}
    added, removed, common = _split(was, now)

    def change(kind: Kind, key: str, before: Json, after: Json) -> Change:
        route = now.get(key) or was[key]
        optional = "optional" if route.optional else None
        return Change(kind, route.pattern, before, after, profiles=(profile,), detail=optional)

    yield from (change(Kind.ROUTE_ADDED, k, None, now[k].backend) for k in added)
    yield from (change(Kind.ROUTE_REMOVED, k, was[k].backend, None) for k in removed)
    for key in common:
        if was[key].backend != now[key].backend:
            yield change(Kind.ROUTE_CHANGED, key, was[key].backend, now[key].backend)


def _rule(entry: Routing) -> str:
    return f"{entry.rule} `{entry.pattern}`" if entry.pattern is not None else str(entry.rule)


class _Outcome(NamedTuple):
    """Where a handle ends up under one profile (``reason`` set when it is unavailable)."""

    model: str | None
    backend: str | None
    reason: str | None
    rule: str | None


def _outcome(name: str, entry: Routing | Resolution) -> _Outcome:
    if isinstance(entry, Routing):
        routed = entry.backend is not None
        return _Outcome(
            name,
            entry.backend,
            None if routed else entry.unavailable,
            _rule(entry) if routed else None,
        )
    return _Outcome(entry.model, entry.backend, entry.unavailable, None)


def _effects(
    profile: str,
    namespace: str,
    old: Mapping[str, Routing] | Mapping[str, Resolution],
    new: Mapping[str, Routing] | Mapping[str, Resolution],
) -> Iterator[Change]:
    """Under one profile: models that moved to another backend, aliases, waterfalls or presets
    that resolve to another model, and handles that became unavailable or available again."""
    where: dict[str, Any] = {"namespace": namespace, "profiles": (profile,)}
    for name in sorted(new):
        now = _outcome(name, new[name])
        was = _outcome(name, old[name]) if name in old else None
        if now.reason is not None:
            if was is None or was.reason is None:
                yield Change(Kind.BECAME_UNAVAILABLE, name, detail=now.reason, **where)
        elif was is None:
            continue  # a new handle: reported as added
        elif was.reason is not None:
            yield Change(Kind.AVAILABLE_AGAIN, name, new=now.model, backend=now.backend, **where)
        elif namespace == "model" and was.backend != now.backend:
            yield Change(
                Kind.ROUTING_MOVED, name, was.backend, now.backend, detail=now.rule, **where
            )
        elif namespace != "model" and was.model != now.model:
            yield Change(Kind.RESOLUTION_CHANGED, name, was.model, now.model, **where)


def group_profiles(changes: Iterable[Change]) -> list[Change]:
    """Changes that differ only in their profile, merged into one naming every profile."""
    groups: dict[str, Change] = {}
    for change in changes:
        key = json.dumps(
            [
                change.kind.value,
                change.subject,
                change.model_type,
                change.namespace,
                change.backend,
                change.old,
                change.new,
                change.detail,
            ],
            sort_keys=True,
        )
        seen = groups.get(key)
        profiles = change.profiles if seen is None else (*seen.profiles, *change.profiles)
        groups[key] = replace(change, profiles=tuple(sorted(set(profiles))))
    return list(groups.values())
