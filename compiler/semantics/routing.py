"""Routing (SPEC §3): where each declared model goes under one profile, recorded as decided.

For a model M, among the profile's routes and those optional routes whose backend is enabled: an
exact route for M wins; otherwise the first wildcard, in declaration order; otherwise the
profile's start backend (its default, else its first enabled ``fallback_order`` backend) if it
serves M, else the first backend that does along the search order.  A matched route whose backend
lacks M leaves M unroutable.  A route or default that sends M to a disabled backend makes Pipelex
refuse to boot the profile: M is unavailable there, and the profile's problem is an error when it
is the active one (a warning otherwise, as Pipelex validates the active profile only).  Every
:class:`~compiler.semantics.decisions.Placement` records which of these happened.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..core.errors import DeckError, ModelsManagerError
from ..core.ir import INTERNAL, BackendRef, Config, ModelKey, Profile, Route
from ..core.patterns import RouteIndex
from .decisions import Placement, RoutingPlan, RuleKind, SearchEnd, Start


def plan_profile(config: Config, profile: Profile) -> RoutingPlan:
    """The routes that can apply under ``profile``, its start backend and its search order."""
    enabled = [name for name, backend in config.backends.items() if backend.enabled]
    enabled_set = set(enabled)
    start = None
    if profile.default is not None and profile.default.backend in enabled_set:
        start = Start(profile.default.backend, RuleKind.DEFAULT, profile.default.span)
    else:
        first = next((b for b in profile.fallback_order if b.backend in enabled_set), None)
        if first is not None:
            start = Start(first.backend, RuleKind.FALLBACK, first.span)
    search = list(
        dict.fromkeys(b.backend for b in profile.fallback_order if b.backend in enabled_set)
    )
    internal_only = not search and not config.dialect.searches_all_after_default
    if internal_only:  # pipelex-0.92 without an enabled fallback_order: only `internal` is tried
        search = [INTERNAL] if INTERNAL in enabled_set else []
    else:
        search += [b for b in enabled if b not in search]
    return RoutingPlan(
        profile=profile,
        enabled=frozenset(enabled_set),
        routes=tuple(r for r in profile.routes if not r.optional or r.backend in enabled_set),
        start=start,
        search_order=tuple(search),
        internal_only=internal_only,
    )


def route_profile(
    config: Config, profile: Profile
) -> tuple[RoutingPlan, dict[ModelKey, Placement], list[DeckError]]:
    """Place every declared model under ``profile``; errors for exact routes that cannot hold."""
    plan = plan_profile(config, profile)
    index = RouteIndex([r.pattern for r in plan.routes])
    passed_over = _PassedOver(config, profile)
    rank = {backend: i for i, backend in enumerate(plan.search_order)}
    placements = {
        key: _place(config, plan, index, rank, key, passed_over.matching(key.name))
        for key in config.models
    }
    problems = _check_exact_routes(config, plan, index)
    if config.dialect.checks_profile_backends_at_boot:
        problems += _disabled_backends(config, profile)
    else:
        problems += _refusal_errors(profile, refusals(config, placements))
    if profile.name != config.active:
        note = f"profile {profile.name} is not active; --strict makes it an error"
        problems = [p.as_warning(note) for p in problems]
    return plan, placements, problems


def _place(
    config: Config,
    plan: RoutingPlan,
    index: RouteIndex,
    rank: dict[str, int],
    key: ModelKey,
    passed: tuple[Route, ...],
) -> Placement:
    profile = plan.profile.name
    position = index.exact(key.name)
    if position is None:
        position = index.first_wildcard(key.name)
    if position is not None:
        route = plan.routes[position]
        rule = RuleKind.WILDCARD if route.pattern.is_wildcard else RuleKind.EXACT
        disabled = route.backend not in plan.enabled
        if not disabled and config.serves(route.backend, key):
            return Placement(key, route.backend, rule, route, passed)
        return Placement(
            key,
            None,
            None,
            route,
            passed,
            reason=f"route `{route.pattern.text}` of profile {profile} sends it to backend "
            f"{route.backend}, which "
            + ("is disabled" if disabled else f"does not serve {key.name}"),
            refused_by=route if disabled else None,
        )
    default = plan.profile.default
    if default is not None and default.backend not in plan.enabled:
        return Placement(
            key,
            None,
            None,
            passed=passed,
            reason=f"the default backend of profile {profile}, {default.backend}, is disabled",
            refused_by=default,
        )
    start = plan.start
    internal_serves = INTERNAL in plan.search_order and config.serves(INTERNAL, key)
    if start is None and plan.internal_only and internal_serves:  # 0.92: no match at all
        end = SearchEnd(INTERNAL, False, config.backends[INTERNAL].span, internal_only=True)
        return Placement(key, INTERNAL, RuleKind.SEARCH, passed=passed, found=end)
    if start is None:
        served_by = (
            f", and {INTERNAL} does not serve it"
            if not config.dialect.searches_all_after_default
            else ""
        )
        return Placement(
            key,
            None,
            None,
            passed=passed,
            reason=f"profile {profile} has no route for {key.name} and no enabled default or "
            f"fallback_order backend{served_by}",
        )
    if config.serves(start.backend, key):
        return Placement(key, start.backend, start.rule, passed=passed, start=start)
    ranks = [rank[b] for b in config.models[key] if b in rank]  # its servers, not every backend
    found = plan.search_order[min(ranks)] if ranks else None
    internal_only = plan.internal_only
    if found is None:
        role = "the default" if start.rule is RuleKind.DEFAULT else "first in fallback_order"
        others = (
            f"and without a fallback_order only {INTERNAL} is searched, which does not serve it"
            if internal_only
            else "nor does any other enabled backend"
        )
        return Placement(
            key,
            None,
            None,
            passed=passed,
            start=start,
            reason=f"backend {start.backend}, {role} of profile {profile}, does not serve "
            f"{key.name}, {others}",
        )
    end = _search_end(config, plan.profile, found)
    if internal_only:
        end = SearchEnd(end.backend, False, end.span, internal_only=True)
    return Placement(key, found, RuleKind.SEARCH, passed=passed, start=start, found=end)


def refusals(
    config: Config, placements: Mapping[ModelKey, Placement]
) -> dict[Route | BackendRef, ModelKey]:
    """The routes (and default) of a profile that send a model an enabled backend declares to a
    disabled backend, each with the first such model: pipelex-0.10 refuses to boot the profile
    then (it routes only the models of enabled backends)."""
    found: dict[Route | BackendRef, ModelKey] = {}
    for key, placement in placements.items():
        rule = placement.refused_by
        if rule is not None and rule not in found and _served(config, key):
            found[rule] = key
    return found


def _refusal_errors(
    profile: Profile, refused: Mapping[Route | BackendRef, ModelKey]
) -> list[DeckError]:
    problems: list[DeckError] = []
    for rule, key in refused.items():
        if isinstance(rule, Route):
            what = f"route `{rule.pattern.text}` of profile {profile.name} sends {key.name} to"
            fix = "route the models elsewhere, or make it an optional route"
        else:
            what = f"profile {profile.name} sends {key.name} to its default"
            fix = "choose another default"
        problems.append(
            ModelsManagerError(
                f"{what} backend {rule.backend}, which is disabled: Pipelex refuses to boot the "
                "profile",
                span=rule.span,
                hint=f"enable {rule.backend} in backends.toml, or {fix}",
            )
        )
    return problems


def _served(config: Config, key: ModelKey) -> bool:
    """Whether an enabled backend declares ``key`` (Pipelex 0.10 routes only those models)."""
    return any(config.backends[backend].enabled for backend in config.models[key])


def _disabled_backends(config: Config, profile: Profile) -> list[DeckError]:
    """pipelex-0.92 refuses to boot a profile whose default or routes name a disabled backend."""
    problems: list[DeckError] = []
    default = profile.default
    if default is not None and not config.backends[default.backend].enabled:
        problems.append(
            ModelsManagerError(
                f"the default backend of profile {profile.name}, {default.backend}, is disabled",
                span=default.span,
                hint=f"enable {default.backend} in backends.toml or choose another default",
            )
        )
    for route in profile.routes:
        if not route.optional and not config.backends[route.backend].enabled:
            problems.append(
                ModelsManagerError(
                    f"route `{route.pattern.text}` of profile {profile.name} sends models to "
                    f"backend {route.backend}, which is disabled",
                    span=route.span,
                    hint=f"enable {route.backend}, route the models elsewhere, or make it an "
                    "optional route",
                )
            )
    return problems


def _search_end(config: Config, profile: Profile, backend: str) -> SearchEnd:
    entry = next((b for b in profile.fallback_order if b.backend == backend), None)
    if entry is not None:
        return SearchEnd(backend, True, entry.span)
    return SearchEnd(backend, False, config.backends[backend].span)


class _PassedOver:
    """The optional routes of a profile whose backend is disabled, and which of them match a name
    (an index answers "any?" for each model; only the rare matches are scanned in full)."""

    def __init__(self, config: Config, profile: Profile) -> None:
        self._routes = tuple(
            r for r in profile.routes if r.optional and not config.backends[r.backend].enabled
        )
        self._index = RouteIndex([r.pattern for r in self._routes])

    def matching(self, name: str) -> tuple[Route, ...]:
        if not self._routes:
            return ()
        if self._index.exact(name) is None and self._index.first_wildcard(name) is None:
            return ()
        return tuple(r for r in self._routes if r.pattern.matches(name))


def _check_exact_routes(config: Config, plan: RoutingPlan, index: RouteIndex) -> list[DeckError]:
    problems: list[DeckError] = []
    keys_of: dict[str, list[ModelKey]] = {}
    for key in config.models:
        keys_of.setdefault(key.name, []).append(key)
    for position, route in enumerate(plan.routes):
        name = route.pattern.core
        if route.pattern.is_wildcard or index.exact(name) != position:
            continue
        if route.backend not in plan.enabled:
            continue  # a route to a disabled backend: see _refusals and _disabled_backends
        keys = keys_of.get(name, [])
        if not keys and config.dialect.lenient:
            continue  # Pipelex routes declared names only: the route is dead, not wrong
        if not any(config.serves(route.backend, key) for key in keys):
            declared = {spec.backend for key in keys for spec in config.declarations(key)}
            servers = [b for b in config.backends if b in declared]
            where = f"route it to {' or '.join(servers)}" if servers else "declare the model"
            problems.append(
                ModelsManagerError(
                    f"exact route sends {name} to backend {route.backend}, which does not serve it"
                    + (f" (served by: {', '.join(servers)})" if servers else ""),
                    span=route.span,
                    hint=f"{where}, or add a table for {name} to backends/{route.backend}.toml",
                )
            )
    return problems
