"""``deckc explain``: the resolution chain of one handle under one profile, step by step.

:func:`explain` presents the decisions the compiler recorded for a handle — preset, aliases, the
fallback-list entry chosen (and why each earlier one was skipped), the model, the routing rule
that placed it (or why none could), the backend and the model spec — with where in the sources
each step was written.  It decides nothing itself: every step is a record of the resolve stage.
:func:`render_text` and :func:`as_json` present it; neither reads a file.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..core.errors import Location
from ..core.ir import (
    Alias,
    Config,
    Deck,
    Declared,
    Dialect,
    JSONValue,
    ModelKey,
    ModelType,
    RefKind,
    Waterfall,
)
from ..core.naming import did_you_mean
from ..runtime import references
from ..semantics.decisions import (
    ChoiceTarget,
    Placement,
    ProfileResolution,
    Resolution,
    Resolved,
    RuleKind,
)


class HandleKind(enum.Enum):
    CHOICE = "choice"
    PRESET = "preset"
    ALIAS = "alias"
    WATERFALL = "waterfall"
    MODEL = "model"


class UnknownName(LookupError):
    """A handle or profile that the deck does not declare; ``hint`` suggests close matches."""

    def __init__(self, message: str, hint: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class ChoiceStep:
    """What a step naming no model gets: the choice's default, its override (unless
    ``"disabled"``), and the preset or handle selected."""

    name: str
    default: str | None
    override: str | None
    selected: str | None
    location: Location | None


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
    waterfall: bool = False  # a waterfall of the current layout, not an alias


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
    ``backend`` along fallback_order (rather than among the other enabled backends);
    ``internal_only``: the search was the current layout's, of ``internal`` alone."""

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
    internal_only: bool = False


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


Step = (
    ChoiceStep
    | PresetStep
    | AliasStep
    | FallbackStep
    | ModelStep
    | RouteStep
    | BackendStep
    | SpecStep
)


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


# --- presenting the recorded decisions ---------------------------------------------------------


def classify(
    config: Config, text: str, model_type: ModelType = ModelType.LLM
) -> tuple[HandleKind, str]:
    """Which namespace ``text`` names (as the runtime reads it; a bare preset name is accepted
    too); raises :class:`UnknownName` with close matches."""
    deck = _deck(config, model_type)
    kind, name = references.parse(text)
    models = {key.name for key in config.keys(model_type)}
    if kind == references.PRESET:
        if name in deck.presets:
            return HandleKind.PRESET, name
        raise UnknownName(f"no preset named `{name}`", did_you_mean(name, deck.presets))
    if kind == references.ALIAS:
        if name in deck.aliases:
            return HandleKind.ALIAS, name
        raise UnknownName(f"no alias named `{name}`", did_you_mean(name, deck.aliases))
    if kind == references.WATERFALL:
        if name in deck.waterfalls:
            return HandleKind.WATERFALL, name
        raise UnknownName(f"no waterfall named `{name}`", did_you_mean(name, deck.waterfalls))
    declared = {
        Declared.ALIAS: (HandleKind.ALIAS, deck.aliases),
        Declared.MODEL: (HandleKind.MODEL, models),
        Declared.WATERFALL: (HandleKind.WATERFALL, deck.waterfalls),
    }
    for lookup in config.dialect.bare_lookup:
        handle_kind, names = declared[lookup]
        if name in names:
            return handle_kind, name
    if name in deck.presets:
        return HandleKind.PRESET, name
    if name in deck.choice_kinds:
        return HandleKind.CHOICE, name
    what = "" if model_type is ModelType.LLM else f"{model_type.value} "
    kinds = (
        "alias, preset or choice"
        if config.dialect is Dialect.PIPELEX_0_10
        else "alias, waterfall, preset or choice"
    )
    raise UnknownName(
        f"no {what}model, {kinds} named `{text}`",
        did_you_mean(
            text, [*deck.aliases, *models, *deck.waterfalls, *deck.presets, *deck.choice_kinds]
        )
        or (f"model types: {', '.join(t.value for t in config.decks)}" if what else None),
    )


def _deck(config: Config, model_type: ModelType) -> Deck:
    deck = config.decks.get(model_type)
    if deck is None:
        raise UnknownName(
            f"no {model_type.value} deck in this configuration",
            f"model types: {', '.join(t.value for t in config.decks)}",
        )
    return deck


def profile_of(resolved: Resolved, profile: str | None) -> ProfileResolution:
    name = resolved.config.active if profile is None else profile
    if name not in resolved.profiles:
        raise UnknownName(
            f"no routing profile named `{name}`",
            did_you_mean(name, resolved.profiles)
            or f"profiles: {', '.join(resolved.profiles) or 'none'}",
        )
    return resolved.profiles[name]


def explain(
    resolved: Resolved,
    handle: str,
    profile: str | None = None,
    model_type: ModelType = ModelType.LLM,
) -> Explanation:
    """The recorded resolution of ``handle`` (of ``model_type``) under ``profile`` (default: the
    active one)."""
    config = resolved.config
    deck = _deck(config, model_type)
    kind, name = classify(config, handle, model_type)
    asked = kind  # a choice is explained through what it selects
    where = profile_of(resolved, profile)
    answers = where.decks[model_type]
    steps: list[Step] = []
    notes: list[str] = []
    if kind is HandleKind.CHOICE:
        chosen = resolved.choices[model_type][name]
        written = deck.choice_overrides.get(name)
        if written is None or written.ref is None:  # none, or "disabled": the default holds
            written = deck.choice_defaults.get(name)
        where_written = written.span.location if written is not None else None
        steps.append(
            ChoiceStep(name, chosen.default, chosen.override, chosen.selected, where_written)
        )
        if chosen.target_kind is ChoiceTarget.PRESET and chosen.target is not None:
            kind, name = HandleKind.PRESET, chosen.target
        elif name not in answers.choices:
            return Explanation(
                handle, HandleKind.CHOICE, where.profile.name, where.profile.name == config.active,
                None, None, f"choice `{name}` selects nothing", tuple(steps),
            )  # fmt: skip
    if kind is HandleKind.CHOICE:
        result = answers.choices[name]
    elif kind is HandleKind.PRESET:
        preset = deck.presets[name]
        steps.append(
            PresetStep(
                name,
                preset.values,
                preset.span.location,
                {k: s.location for k, s in preset.field_spans.items()},
            )
        )
        result = answers.presets[name]
    elif kind is HandleKind.ALIAS:
        result = answers.aliases[name]
        if ModelKey(model_type, name) in config.models:
            notes.append(f"alias `{name}` has the name of a model")
    elif kind is HandleKind.WATERFALL:
        result = answers.waterfalls[name]
    else:
        placement = where.placements[ModelKey(model_type, name)]
        result = Resolution(name, (), placement.key, placement, placement.reason)
    if kind is not HandleKind.PRESET and name in deck.presets and handle == name:
        notes.append(f"`{name}` is also a preset: explain `${name}` for it")
    steps += _hops(deck, result)
    if result.placement is not None:
        steps += _placement(config, where, result.placement)
    return Explanation(
        handle=handle,
        kind=asked,
        profile=where.profile.name,
        active=where.profile.name == config.active,
        model=result.model.name if result.available and result.model else None,
        backend=result.backend,
        unavailable=result.reason,
        steps=tuple(steps),
        notes=tuple(notes),
    )


def _hops(deck: Deck, result: Resolution) -> list[Step]:
    """An alias step per alias followed, and a fallback step for each fallback list."""
    steps: list[Step] = []
    for hop in result.hops:
        waterfall = hop.kind is RefKind.WATERFALL
        entry = deck.waterfalls[hop.name] if waterfall else deck.aliases[hop.name]
        targets = tuple(
            t.text for t in (entry.steps if isinstance(entry, Waterfall) else entry.targets)
        )
        is_list = waterfall or (isinstance(entry, Alias) and entry.is_list)
        replaced = tuple(s.location for s in entry.replaced)
        location = entry.span.location
        steps.append(AliasStep(hop.name, targets, is_list, location, replaced, waterfall))
        if is_list:
            chosen = targets[hop.chosen] if hop.chosen is not None else None
            skipped = tuple(SkippedEntry(s.index, s.ref, s.reason) for s in hop.skipped)
            label = f"~{hop.name}" if waterfall else hop.name
            steps.append(FallbackStep(label, hop.chosen, chosen, skipped, location))
    return steps


def _placement(config: Config, where: ProfileResolution, placement: Placement) -> list[Step]:
    """The model, how routing placed it, and (when it is served) its backend and spec."""
    declared = config.declarations(placement.key)
    steps: list[Step] = [
        ModelStep(
            placement.key.name,
            tuple(spec.backend for spec in declared),
            declared[0].span.location if declared else None,
        ),
        _route(where, placement),
    ]
    if placement.backend is None:
        return steps
    backend = config.backends[placement.backend]
    steps.append(BackendStep(backend.name, backend.display_name, backend.span.location))
    spec = config.spec(backend.name, placement.key)
    costs = spec.fields.get("costs")
    sdk = spec.fields.get("sdk")
    steps.append(
        SpecStep(
            spec.name,
            backend.name,
            spec.model_id,
            sdk if isinstance(sdk, str) else None,
            costs if isinstance(costs, Mapping) else None,
            spec.max_tokens,
            spec.fields,
            spec.span.location,
        )
    )
    return steps


def _route(where: ProfileResolution, placement: Placement) -> RouteStep:
    """The routing decision as recorded: the route that matched, or the start backend and where
    the search ended; the routes passed over because their backend is disabled."""
    disabled = tuple(
        SkippedRoute(r.pattern.text, r.backend, r.span.location) for r in placement.passed
    )
    route = placement.route
    start = placement.start
    location: Location | None = where.profile.span.location
    if route is not None:
        location = route.span.location
    elif placement.found is not None:
        location = placement.found.span.location
    elif start is not None:
        location = start.span.location
    return RouteStep(
        model=placement.key.name,
        rule=placement.rule,
        backend=placement.backend,
        pattern=route.pattern.text if route else None,
        wildcard=route.pattern.is_wildcard if route else False,
        route_backend=route.backend if route else None,
        optional=route.optional if route else False,
        start=start.backend if start and not route else None,
        start_is_default=start is not None and start.rule is RuleKind.DEFAULT and not route,
        found_in_fallback_order=placement.found is not None and placement.found.in_fallback_order,
        internal_only=placement.found is not None and placement.found.internal_only,
        location=location,
        reason=placement.reason,
        disabled_routes=disabled,
    )
