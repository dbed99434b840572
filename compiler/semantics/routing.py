"""Routing (SPEC §3): where each declared model goes under one profile, recorded as decided.

For a model M: an exact route for M to an enabled backend wins; otherwise the first wildcard, in
declaration order, whose backend is enabled; otherwise the profile's start backend (its enabled
default, else its first enabled ``fallback_order`` backend) if it serves M, else the first backend
that does along the search order.  A matched route whose backend lacks M leaves M unroutable.
Every :class:`~compiler.semantics.decisions.Placement` records which of these happened.
"""

from __future__ import annotations

from compiler.core.errors import DeckError, ModelsManagerError
from compiler.core.ir import INTERNAL, Config, ModelKey, Profile, Route
from compiler.core.patterns import RouteIndex
from compiler.semantics.decisions import Placement, RoutingPlan, RuleKind, SearchEnd, Start


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
        routes=tuple(r for r in profile.routes if r.backend in enabled_set),
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
    problems = _check_exact_routes(config, plan, index)
    if config.dialect.lenient:
        problems += _disabled_backends(config, profile)
        if profile.name != config.active:
            note = f"profile {profile.name} is not active; --strict makes it an error"
            problems = [p.as_warning(note) for p in problems]
    passed_over = _PassedOver(config, profile)
    rank = {backend: i for i, backend in enumerate(plan.search_order)}
    placements = {
        key: _place(config, plan, index, rank, key, passed_over.matching(key.name))
        for key in config.models
    }
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
    if config.dialect.lenient:
        refused = _refused(plan.profile, key, passed)
        if refused is not None:
            return refused
    position = index.exact(key.name)
    if position is None:
        position = index.first_wildcard(key.name)
    if position is not None:
        route = plan.routes[position]
        rule = RuleKind.WILDCARD if route.pattern.is_wildcard else RuleKind.EXACT
        if config.serves(route.backend, key):
            return Placement(key, route.backend, rule, route, passed)
        return Placement(
            key,
            None,
            None,
            route,
            passed,
            reason=f"route `{route.pattern.text}` of profile {profile} sends it to backend "
            f"{route.backend}, which does not serve {key.name}",
        )
    default = plan.profile.default
    if config.dialect.lenient and default is not None and default.backend not in plan.enabled:
        return Placement(
            key,
            None,
            None,
            passed=passed,
            reason=f"the default backend of profile {profile}, {default.backend}, is disabled",
        )
    start = plan.start
    if start is None and INTERNAL in plan.search_order and config.serves(INTERNAL, key):
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


def _refused(profile: Profile, key: ModelKey, passed: tuple[Route, ...]) -> Placement | None:
    """In pipelex-0.92 a route (not an optional one) to a disabled backend makes its profile
    unbootable: the models it matches are unavailable under that profile."""
    route = next((r for r in passed if not r.optional), None)
    if route is None:
        return None
    return Placement(
        key,
        None,
        None,
        route,
        passed,
        reason=f"route `{route.pattern.text}` of profile {profile.name} sends it to backend "
        f"{route.backend}, which is disabled",
    )


def _disabled_backends(config: Config, profile: Profile) -> list[DeckError]:
    """Pipelex refuses to boot a profile whose default or routes name a disabled backend."""
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
    """The routes of a profile whose backend is disabled, and which of them match a name (an
    index answers "any?" for each model; only the rare matches are scanned in full)."""

    def __init__(self, config: Config, profile: Profile) -> None:
        self._routes = tuple(r for r in profile.routes if not config.backends[r.backend].enabled)
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
