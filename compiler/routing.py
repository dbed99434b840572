"""Routing (SPEC §3): where each declared model goes under one profile, and by which rule."""

from __future__ import annotations

from compiler.errors import DeckError, ModelsManagerError
from compiler.model import Config, Profile, Route, Routing, RuleKind
from compiler.patterns import RouteIndex


def route_profile(config: Config, profile: Profile) -> tuple[dict[str, Routing], list[DeckError]]:
    """Route every declared model under ``profile``; errors for exact routes that cannot hold."""
    enabled = [name for name, backend in config.backends.items() if backend.enabled]
    enabled_set = set(enabled)
    routes = [r for r in profile.routes if r.backend in enabled_set]
    index = RouteIndex([r.pattern for r in routes])
    problems = _check_exact_routes(config, profile, routes, index)
    start, start_rule = start_backend(profile, enabled_set)
    search = [b for b in profile.fallback_order if b in enabled_set]
    search += [b for b in enabled if b not in search]
    rank = {backend: i for i, backend in enumerate(search)}
    servers = _servers(config)

    routing: dict[str, Routing] = {}
    for model in config.model_names():
        position = index.exact(model)
        if position is None:
            position = index.first_wildcard(model)
        if position is not None:
            routing[model] = _by_route(config, profile, routes[position], model)
        elif start is None:
            routing[model] = Routing(
                model,
                None,
                None,
                reason=f"profile {profile.name} has no route for {model} and no enabled "
                "default or fallback_order backend",
            )
        elif config.serves(start, model):
            routing[model] = Routing(model, start, start_rule)
        else:
            ranks = [rank[b] for b in servers[model] if b in rank]  # the first in search order
            found = search[min(ranks)] if ranks else None
            role = "the default" if start_rule is RuleKind.DEFAULT else "first in fallback_order"
            routing[model] = Routing(
                model,
                found,
                RuleKind.SEARCH if found else None,
                reason=None
                if found
                else f"backend {start}, {role} of profile {profile.name}, does not serve "
                f"{model}, nor does any other enabled backend",
            )
    return routing, problems


def _servers(config: Config) -> dict[str, list[str]]:
    """Model name -> the backends that serve it (so a search costs its servers, not every
    backend)."""
    servers: dict[str, list[str]] = {}
    for backend, specs in config.models.items():
        for name in specs:
            servers.setdefault(name, []).append(backend)
    return servers


def start_backend(profile: Profile, enabled: set[str]) -> tuple[str | None, RuleKind]:
    """Where rule 4 starts: the enabled default, else the first enabled fallback_order backend."""
    if profile.default is not None and profile.default in enabled:
        return profile.default, RuleKind.DEFAULT
    first = next((b for b in profile.fallback_order if b in enabled), None)
    return first, RuleKind.FALLBACK


def _by_route(config: Config, profile: Profile, route: Route, model: str) -> Routing:
    kind = RuleKind.WILDCARD if route.pattern.is_wildcard else RuleKind.EXACT
    if config.serves(route.backend, model):
        return Routing(model, route.backend, kind, route)
    return Routing(
        model,
        None,
        None,
        route,
        reason=f"route `{route.pattern.text}` of profile {profile.name} sends it to backend "
        f"{route.backend}, which does not serve {model}",
    )


def _check_exact_routes(
    config: Config, profile: Profile, routes: list[Route], index: RouteIndex
) -> list[DeckError]:
    problems: list[DeckError] = []
    for position, route in enumerate(routes):
        name = route.pattern.core
        if route.pattern.is_wildcard or index.exact(name) != position:
            continue
        if not config.serves(route.backend, name):
            section = "optional_routes" if route.optional else "routes"
            servers = [b for b in config.backends if config.serves(b, name)]
            where = f"route it to {' or '.join(servers)}" if servers else "declare the model"
            problems.append(
                ModelsManagerError(
                    f"exact route sends {name} to backend {route.backend}, which does not serve it"
                    + (f" (served by: {', '.join(servers)})" if servers else ""),
                    location=route.location,
                    key_path=("profiles", profile.name, section, route.pattern.text),
                    hint=f"{where}, or add a table for {name} to backends/{route.backend}.toml",
                )
            )
    return problems
