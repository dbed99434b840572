"""``deckc explain``: the resolution chain of one handle under one profile, step by step.

:func:`explain` follows a handle through the resolved deck exactly as the compiler resolved it —
preset, aliases, the fallback-list entry chosen (and why each earlier one was skipped), the model,
the routing rule that placed it (or why none could), the backend and the model spec — and records
where in the sources each step was written.  :func:`render_text` and :func:`as_json` present it;
neither reads a file.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from compiler.errors import Location
from compiler.model import (
    Config,
    JSONValue,
    Namespace,
    ProfileResolution,
    Ref,
    Resolution,
    Resolved,
    Routing,
    RuleKind,
)
from compiler.naming import did_you_mean
from compiler.resolve import reason
from compiler.routing import start_backend


class HandleKind(enum.Enum):
    PRESET = "preset"
    ALIAS = "alias"
    MODEL = "model"


class UnknownName(LookupError):
    """A handle or profile that the deck does not declare; ``hint`` suggests close matches."""

    def __init__(self, message: str, hint: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class PresetStep:
    name: str
    values: Mapping[str, JSONValue]
    location: Location
    field_locations: Mapping[str, Location]


@dataclass(frozen=True)
class AliasStep:
    name: str
    targets: tuple[str, ...]
    is_list: bool
    location: Location
    replaced: tuple[Location, ...] = ()


@dataclass(frozen=True)
class SkippedEntry:
    index: int
    handle: str
    reason: str


@dataclass(frozen=True)
class FallbackStep:
    alias: str
    chosen_index: int | None  # None: no entry is available
    chosen: str | None
    skipped: tuple[SkippedEntry, ...]
    location: Location


@dataclass(frozen=True)
class ModelStep:
    name: str
    declared_by: tuple[str, ...]
    location: Location | None


@dataclass(frozen=True)
class SkippedRoute:
    pattern: str
    backend: str
    location: Location


@dataclass(frozen=True)
class RouteStep:
    """How routing placed the model; ``backend`` None when it is unroutable (``reason`` says
    why).  ``pattern`` / ``route_backend``: the route that matched, if one did; ``start``: the
    default or first enabled fallback_order backend, where no route matched, and
    ``start_is_default`` which of the two; ``found_in_fallback_order``: whether the search found
    ``backend`` along fallback_order (rather than among the other enabled backends)."""

    model: str
    rule: RuleKind | None
    backend: str | None
    pattern: str | None
    wildcard: bool
    route_backend: str | None
    optional: bool
    start: str | None
    start_is_default: bool
    found_in_fallback_order: bool
    location: Location | None
    reason: str | None
    disabled_routes: tuple[SkippedRoute, ...] = ()


@dataclass(frozen=True)
class BackendStep:
    name: str
    display_name: str | None
    location: Location


@dataclass(frozen=True)
class SpecStep:
    model: str
    backend: str
    model_id: str
    sdk: str | None
    costs: Mapping[str, JSONValue] | None
    max_tokens: int | None
    fields: Mapping[str, JSONValue]
    location: Location


Step = PresetStep | AliasStep | FallbackStep | ModelStep | RouteStep | BackendStep | SpecStep


@dataclass(frozen=True)
class Explanation:
    handle: str
    kind: HandleKind
    profile: str
    active: bool
    model: str | None
    backend: str | None
    unavailable: str | None
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = field(default=())


# --- following a handle -----------------------------------------------------------------------


def classify(config: Config, text: str) -> tuple[HandleKind, str]:
    """Which namespace ``text`` names (as the runtime reads it; a bare preset name is accepted
    too); raises :class:`UnknownName` with close matches."""
    deck = config.deck
    ref = Ref.parse(text)
    models = set(config.model_names())
    if ref.namespace is Namespace.PRESET:
        if ref.name in deck.presets:
            return HandleKind.PRESET, ref.name
        raise UnknownName(f"no preset named `{ref.name}`", did_you_mean(ref.name, deck.presets))
    if ref.namespace is Namespace.ALIAS:
        if ref.name in deck.aliases:
            return HandleKind.ALIAS, ref.name
        raise UnknownName(f"no alias named `{ref.name}`", did_you_mean(ref.name, deck.aliases))
    if ref.name in deck.aliases:
        return HandleKind.ALIAS, ref.name
    if ref.name in models:
        return HandleKind.MODEL, ref.name
    if ref.name in deck.presets:
        return HandleKind.PRESET, ref.name
    raise UnknownName(
        f"no model, alias or preset named `{text}`",
        did_you_mean(text, [*deck.aliases, *models, *deck.presets]),
    )


def profile_of(resolved: Resolved, profile: str | None) -> ProfileResolution:
    name = profile or resolved.config.active
    if name not in resolved.profiles:
        raise UnknownName(
            f"no routing profile named `{name}`",
            did_you_mean(name, resolved.profiles)
            or f"profiles: {', '.join(resolved.profiles) or 'none'}",
        )
    return resolved.profiles[name]


def explain(resolved: Resolved, handle: str, profile: str | None = None) -> Explanation:
    """The chain of ``handle`` under ``profile`` (default: the active one)."""
    config = resolved.config
    kind, name = classify(config, handle)
    where = profile_of(resolved, profile)
    chain = _Chain(config, where)
    notes: list[str] = []
    result: Resolution
    if kind is HandleKind.PRESET:
        chain.preset(name)
        result = where.presets[name]
    elif kind is HandleKind.ALIAS:
        chain.handle(f"@{name}")
        result = where.aliases[name]
        if name in config.model_names():
            notes.append(f"alias `{name}` shadows the model of the same name")
    else:
        chain.model(name)
        routing = where.routing[name]
        result = Resolution(name, (name,), name, routing.backend, reason=routing.reason)
    if kind is not HandleKind.PRESET and name in config.deck.presets and handle == name:
        notes.append(f"`{name}` is also a preset: explain `${name}` for it")
    return Explanation(
        handle=handle,
        kind=kind,
        profile=where.profile.name,
        active=where.profile.name == config.active,
        model=result.model if result.available else None,
        backend=result.backend,
        unavailable=reason(result),
        steps=tuple(chain.steps),
        notes=tuple(notes),
    )


class _Chain:
    """Collects the steps of one resolution under one profile."""

    def __init__(self, config: Config, where: ProfileResolution) -> None:
        self._config = config
        self._where = where
        self._seen: set[str] = set()
        self.steps: list[Step] = []

    def preset(self, name: str) -> None:
        preset = self._config.deck.presets[name]
        self.steps.append(PresetStep(name, preset.values, preset.location, preset.locations))
        self.handle(preset.llm_handle or "")

    def handle(self, text: str) -> None:
        """Follow ``text`` to its model, one step at a time (alias chains may be very long)."""
        following: str | None = text
        while following is not None:
            following = self._step(following)

    def _step(self, text: str) -> str | None:
        """Record the step for ``text``; the handle to follow next, if any."""
        ref = Ref.parse(text)
        aliases = self._config.deck.aliases
        if ref.namespace is Namespace.ALIAS or (
            ref.namespace is Namespace.ANY and ref.name in aliases
        ):
            return self.alias(ref.name)
        if ref.name in self._where.routing:
            self.model(ref.name)
        return None

    def alias(self, name: str) -> str | None:
        """Record an alias (and its fallback choice); the handle it leads to."""
        alias = self._config.deck.aliases.get(name)
        if alias is None or name in self._seen:  # a compile error: never reached from the CLI
            return None
        self._seen.add(name)
        self.steps.append(
            AliasStep(name, alias.targets, alias.is_list, alias.location, alias.replaced)
        )
        if not alias.is_list:
            return alias.targets[0]
        resolution = self._where.aliases[name]
        index = len(resolution.skipped) if resolution.available else None
        chosen = alias.targets[index] if index is not None else None
        skipped = tuple(
            SkippedEntry(i, s.handle, s.reason) for i, s in enumerate(resolution.skipped)
        )
        self.steps.append(FallbackStep(name, index, chosen, skipped, alias.location))
        return chosen

    def model(self, name: str) -> None:
        config = self._config
        declared = tuple(b for b, specs in config.models.items() if name in specs)
        first = config.models[declared[0]][name].location if declared else None
        self.steps.append(ModelStep(name, declared, first))
        routing = self._where.routing[name]
        self.steps.append(self._route(routing))
        if routing.backend is None:
            return
        backend = config.backends[routing.backend]
        self.steps.append(BackendStep(backend.name, backend.display_name, backend.location))
        spec = config.models[backend.name][name]
        costs = spec.fields.get("costs")
        sdk = spec.fields.get("sdk")
        self.steps.append(
            SpecStep(
                name,
                backend.name,
                spec.model_id,
                sdk if isinstance(sdk, str) else None,
                costs if isinstance(costs, Mapping) else None,
                spec.max_tokens,
                spec.fields,
                spec.location,
            )
        )

    def _route(self, routing: Routing) -> RouteStep:
        config, profile = self._config, self._where.profile
        enabled = {name for name, b in config.backends.items() if b.enabled}
        disabled = tuple(
            SkippedRoute(r.pattern.text, r.backend, r.location)
            for r in profile.routes
            if r.backend not in enabled and r.pattern.matches(routing.model)
        )
        start, start_rule = start_backend(profile, enabled)
        route = routing.route
        if route is not None:
            return RouteStep(
                model=routing.model,
                rule=routing.rule,
                backend=routing.backend,
                pattern=route.pattern.text,
                wildcard=route.pattern.is_wildcard,
                route_backend=route.backend,
                optional=route.optional,
                start=None,
                start_is_default=False,
                found_in_fallback_order=False,
                location=route.location,
                reason=routing.reason,
                disabled_routes=disabled,
            )
        location: Location | None = profile.location
        if start is not None:
            location = self._backend_location(start, start_rule)
        if routing.rule is RuleKind.SEARCH and routing.backend is not None:
            location = self._backend_location(routing.backend, RuleKind.FALLBACK)
        return RouteStep(
            model=routing.model,
            rule=routing.rule,
            backend=routing.backend,
            pattern=None,
            wildcard=False,
            route_backend=None,
            optional=False,
            start=start,
            start_is_default=start_rule is RuleKind.DEFAULT,
            found_in_fallback_order=routing.rule is RuleKind.SEARCH
            and routing.backend in profile.fallback_order,
            location=location,
            reason=routing.reason,
            disabled_routes=disabled,
        )

    def _backend_location(self, backend: str, rule: RuleKind) -> Location:
        """Where the profile names ``backend`` (its default or fallback_order entry), or where
        backends.toml declares it (a backend found by the search)."""
        profile = self._where.profile
        if rule is RuleKind.DEFAULT and profile.default_location is not None:
            return profile.default_location
        if backend in profile.fallback_order:
            return profile.fallback_locations[profile.fallback_order.index(backend)]
        return self._config.backends[backend].location
