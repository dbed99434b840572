"""Resolve stage (SPEC §3): every handle, preset and choice under every routing profile.

Reference mistakes (names nothing declares, cycles, a namespace that does not fit) are checked
once, for all profiles.  A handle that is declared but not routable under a profile is not an
error: its :class:`~compiler.model.Resolution` says why, and the lockfile records it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from compiler.errors import (
    DeckError,
    KeyPath,
    LLMHandleNotFoundError,
    LLMPresetNotFoundError,
    Location,
    PresetValueError,
    Severity,
)
from compiler.model import (
    CHOICE_KINDS,
    DISABLED,
    Alias,
    Config,
    Deck,
    Namespace,
    Preset,
    ProfileResolution,
    Ref,
    Resolution,
    Resolved,
    Routing,
    SelectedChoice,
    Skipped,
)
from compiler.naming import did_you_mean
from compiler.routing import route_profile


def resolve(config: Config) -> tuple[Resolved, list[DeckError]]:
    problems = check_references(config)
    profiles: dict[str, ProfileResolution] = {}
    for name, profile in config.profiles.items():
        routing, routing_problems = route_profile(config, profile)
        problems += routing_problems
        resolver = _Resolver(config.deck, routing)
        aliases = {alias: resolver.alias(alias) for alias in config.deck.aliases}
        presets = {}
        for preset_name, preset in config.deck.presets.items():
            presets[preset_name] = resolver.handle(preset.llm_handle or "")
            problems += check_preset(config, preset, presets[preset_name])
        profiles[name] = ProfileResolution(profile, routing, aliases, presets)
    choices = {kind: select_choice(config.deck, kind) for kind in CHOICE_KINDS}
    return Resolved(config, profiles, choices), problems


def reason(resolution: Resolution) -> str | None:
    """Why a handle is unavailable: its path, then the routing reason."""
    if resolution.reason is None:
        return None
    return f"{' -> '.join(resolution.path)}: {resolution.reason}"


class _Resolver:
    """Follows handles to models under one profile, memoising aliases.

    Alias chains are followed with an explicit stack, not recursion, so a chain of any length
    resolves (and a cycle, reported by :func:`check_references`, ends the walk)."""

    def __init__(self, deck: Deck, routing: Mapping[str, Routing]) -> None:
        self._deck = deck
        self._routing = routing
        self._memo: dict[str, Resolution] = {}
        self._active: set[str] = set()

    def handle(self, text: str) -> Resolution:
        stack: list[_Walk] = []
        return self._finish(self._step(text, stack), stack)

    def alias(self, name: str) -> Resolution:
        stack: list[_Walk] = []
        return self._finish(self._enter(name, stack), stack)

    def _finish(self, result: Resolution | None, stack: list[_Walk]) -> Resolution:
        """Follow the walks on ``stack`` until the first one pushed is decided."""
        while stack:
            walk = stack[-1]
            if result is None:  # the walk on top needs its next target followed
                result = self._step(walk.alias.targets[walk.position], stack)
                continue
            finished = walk.take(result)
            result = None
            if finished is not None:
                stack.pop()
                self._active.discard(walk.alias.name)
                self._memo[walk.alias.name] = finished
                result = finished
        assert result is not None
        return result

    def _step(self, text: str, stack: list[_Walk]) -> Resolution | None:
        """The resolution of ``text`` when known now; None after pushing the walk of an alias."""
        ref = Ref.parse(text)
        if ref.namespace is Namespace.ALIAS or (
            ref.namespace is Namespace.ANY and ref.name in self._deck.aliases
        ):
            return self._enter(ref.name, stack)
        routing = self._routing.get(ref.name)
        if routing is None or ref.namespace is Namespace.PRESET:
            return Resolution(text, (text,), None, None, reason="not a declared model or alias")
        return Resolution(text, (ref.name,), ref.name, routing.backend, reason=routing.reason)

    def _enter(self, name: str, stack: list[_Walk]) -> Resolution | None:
        if name in self._memo:
            return self._memo[name]
        alias = self._deck.aliases.get(name)
        if alias is None or name in self._active:
            return Resolution(name, (name,), None, None, reason="unresolvable alias")
        walk = _Walk(alias)
        if not alias.targets:
            self._memo[name] = walk.exhausted()
            return self._memo[name]
        self._active.add(name)
        stack.append(walk)
        return None


class _Walk:
    """One alias being followed: its targets are tried in order until one is available."""

    def __init__(self, alias: Alias) -> None:
        self.alias = alias
        self.position = 0
        self.skipped: list[Skipped] = []

    def take(self, inner: Resolution) -> Resolution | None:
        """Account for the resolution of the current target; the alias's, once decided."""
        alias = self.alias
        if not alias.is_list:
            return Resolution(
                alias.name,
                (alias.name, *inner.path),
                inner.model,
                inner.backend,
                inner.skipped,
                inner.reason,
            )
        if inner.available:
            return Resolution(
                alias.name,
                (alias.name, *inner.path),
                inner.model,
                inner.backend,
                tuple(self.skipped),
            )
        self.skipped.append(Skipped(alias.targets[self.position], reason(inner) or "unavailable"))
        self.position += 1
        return self.exhausted() if self.position == len(alias.targets) else None

    def exhausted(self) -> Resolution:
        why = "; ".join(s.reason for s in self.skipped)
        return Resolution(
            self.alias.name,
            (self.alias.name,),
            None,
            None,
            tuple(self.skipped),
            reason=f"no entry of its fallback list is available ({why})",
        )


def check_preset(config: Config, preset: Preset, resolution: Resolution) -> list[DeckError]:
    """A preset's parameters against the model it resolves to under one profile."""
    if resolution.backend is None or resolution.model is None:
        return []
    spec = config.models[resolution.backend][resolution.model]
    problems: list[DeckError] = []
    limit = spec.max_tokens
    wanted = preset.max_tokens
    if isinstance(wanted, int) and limit is not None and wanted > limit:
        problems.append(
            PresetValueError(
                f"preset `{preset.name}` asks max_tokens = {wanted}, but model {spec.name} "
                f"(backend {spec.backend}) allows at most {limit}",
                location=preset.locations["max_tokens"],
                key_path=("llm_presets", preset.name, "max_tokens"),
                related=[spec.location],
                hint=f'lower it to {limit} or less, or use "auto"',
            )
        )
    fixed = spec.fixed_temperature
    temperature = preset.temperature
    if fixed is not None and temperature is not None and temperature != fixed:
        problems.append(
            PresetValueError(
                f"preset `{preset.name}` sets temperature = {temperature:g}, but model "
                f"{spec.name} (backend {spec.backend}) has a fixed temperature of {fixed:g}",
                location=preset.locations["temperature"],
                key_path=("llm_presets", preset.name, "temperature"),
                related=[spec.location],
                hint=f"set temperature = {fixed:g} or remove it",
                severity=Severity.WARNING,
            )
        )
    return problems


def select_choice(deck: Deck, kind: str) -> SelectedChoice:
    default = deck.choice_defaults.get(kind)
    override = deck.choice_overrides.get(kind)
    chosen = override if override is not None and override.value != DISABLED else default
    if chosen is None:
        return SelectedChoice(
            kind,
            default.value if default else None,
            override.value if override else None,
            None,
            Namespace.ANY,
            None,
        )
    ref = Ref.parse(chosen.value)
    is_preset = ref.namespace is Namespace.PRESET or (
        ref.namespace is Namespace.ANY and ref.name in deck.presets
    )
    return SelectedChoice(
        kind,
        default.value if default else None,
        override.value if override else None,
        chosen.value,
        Namespace.PRESET if is_preset else Namespace.ANY,
        ref.name if is_preset else chosen.value,
    )


# --- reference checks (profile-independent) --------------------------------------------------


def check_references(config: Config) -> list[DeckError]:
    deck = config.deck
    models = set(config.model_names())
    problems: list[DeckError] = []
    for alias in deck.aliases.values():
        if alias.name in models:
            problems.append(
                LLMHandleNotFoundError(
                    f"alias `{alias.name}` shadows the model of the same name",
                    location=alias.location,
                    key_path=("aliases", alias.name),
                    hint=f"rename the alias, or write `@{alias.name}` where you mean it",
                    severity=Severity.WARNING,
                )
            )
        for i, target in enumerate(alias.targets):
            path: KeyPath = ("aliases", alias.name, i) if alias.is_list else ("aliases", alias.name)
            problems += _check_handle(config, models, target, alias.location, path, "alias")
    problems += _alias_cycles(deck)
    for preset in deck.presets.values():
        location = preset.locations.get("llm_handle", preset.location)
        path = ("llm_presets", preset.name, "llm_handle")
        problems += _check_handle(config, models, preset.llm_handle or "", location, path, "preset")
    for section, table in (
        ("llm_choice_defaults", deck.choice_defaults),
        ("llm_choice_overrides", deck.choice_overrides),
    ):
        for choice in table.values():
            if section == "llm_choice_overrides" and choice.value == DISABLED:
                continue
            problems += _check_choice(
                config, models, choice.value, choice.location, (section, choice.kind)
            )
    return problems


def _check_handle(
    config: Config, models: set[str], text: str, location: Location, path: KeyPath, owner: str
) -> list[DeckError]:
    deck = config.deck
    ref = Ref.parse(text)
    if ref.namespace is Namespace.PRESET:
        return [
            LLMHandleNotFoundError(
                f"`{text}` names a preset, but an {owner} must point at a model or alias",
                location=location,
                key_path=path,
                hint="point it at the preset's llm_handle instead",
            )
        ]
    if ref.namespace is Namespace.ALIAS and ref.name not in deck.aliases:
        return [
            LLMHandleNotFoundError(
                f"no alias named `{ref.name}`",
                location=location,
                key_path=path,
                hint=did_you_mean(ref.name, deck.aliases),
            )
        ]
    if ref.name in deck.aliases or ref.name in models:
        return []
    owner_name = str(path[1])
    return [
        LLMHandleNotFoundError(
            f"`{text}` is not a declared model or alias ({owner} {owner_name} -> {text})",
            location=location,
            key_path=path,
            hint=did_you_mean(text, [*deck.aliases, *models])
            or "declare the model in a backends/<backend>.toml file, or the alias in [aliases]",
        )
    ]


def _check_choice(
    config: Config, models: set[str], text: str, location: Location, path: KeyPath
) -> list[DeckError]:
    deck = config.deck
    ref = Ref.parse(text)
    if ref.namespace is Namespace.PRESET:
        if ref.name in deck.presets:
            return []
        return [
            LLMPresetNotFoundError(
                f"no preset named `{ref.name}`",
                location=location,
                key_path=path,
                hint=did_you_mean(ref.name, deck.presets),
            )
        ]
    if ref.namespace is Namespace.ANY and ref.name in deck.presets:
        return []
    if ref.namespace is Namespace.ANY and ref.name not in deck.aliases and ref.name not in models:
        return [
            LLMPresetNotFoundError(
                f"`{text}` is not a preset, alias or model",
                location=location,
                key_path=path,
                hint=did_you_mean(text, [*deck.presets, *deck.aliases, *models]),
            )
        ]
    return _check_handle(config, models, text, location, path, "choice")


def _alias_cycles(deck: Deck) -> list[DeckError]:
    """Every cycle among aliases once, named by its whole path (a depth-first walk with an
    explicit stack: alias chains may be longer than Python's recursion limit)."""
    problems: list[DeckError] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def targets(alias: Alias) -> Iterator[str]:
        for target in alias.targets:
            ref = Ref.parse(target)
            if ref.namespace is not Namespace.PRESET and ref.name in deck.aliases:
                yield ref.name

    for root in deck.aliases:
        if root in state:
            continue
        state[root] = 1
        path = [root]
        pending = [targets(deck.aliases[root])]
        while pending:
            nxt = next(pending[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                pending.pop()
            elif state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                alias = deck.aliases[cycle[0]]
                problems.append(
                    LLMHandleNotFoundError(
                        f"alias cycle: {' -> '.join(cycle)}",
                        location=alias.location,
                        key_path=("aliases", alias.name),
                        related=[deck.aliases[n].location for n in cycle[1:-1]],
                        hint="make one of these aliases point at a model",
                    )
                )
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                pending.append(targets(deck.aliases[nxt]))
    return problems
