"""Resolve stage (SPEC §3): every alias, preset and choice of every model type, under every
routing profile, recorded step by step.

Reference mistakes (names nothing declares, cycles, a kind that does not fit) are checked once,
for all profiles, by :mod:`compiler.semantics.references`.  A handle that is declared but not
routable under a profile is not an error: its :class:`Resolution` says why, and the lockfile
records it.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..core.errors import DeckError, PresetValueError, Severity
from ..core.ir import (
    DISABLED,
    Alias,
    Config,
    Deck,
    Declared,
    Dialect,
    ModelKey,
    ModelType,
    Preset,
    Ref,
    RefKind,
    Waterfall,
)
from ..runtime import reasoning
from .decisions import (
    ChoiceTarget,
    DeckResolution,
    Hop,
    Placement,
    ProfileResolution,
    Resolution,
    Resolved,
    SelectedChoice,
    Skipped,
)
from .references import check_references
from .routing import route_profile


def resolve(config: Config) -> tuple[Resolved, list[DeckError]]:
    problems = check_references(config)
    choices = {
        model_type: {kind: select_choice(deck, kind, config.dialect) for kind in deck.choice_kinds}
        for model_type, deck in config.decks.items()
    }
    profiles: dict[str, ProfileResolution] = {}
    for name, profile in config.profiles.items():
        plan, placements, routing_problems = route_profile(config, profile)
        problems += routing_problems
        decks: dict[ModelType, DeckResolution] = {}
        inactive = name != config.active
        for model_type, deck in config.decks.items():
            resolver = _Resolver(deck, placements, config.dialect)
            presets = {}
            for preset_name, preset in deck.presets.items():
                presets[preset_name] = resolver.ref(preset.target)
                found = check_preset(config, preset, presets[preset_name])
                if inactive:
                    note = f"under profile {name}, which is not active"
                    found = [p.as_warning(note) for p in found]
                problems += found
            reached = {
                kind: presets[c.target]
                if c.target_kind is ChoiceTarget.PRESET
                else resolver.ref(c.ref)
                for kind, c in choices[model_type].items()
                if c.ref is not None
                and c.target is not None
                and (c.target_kind is not ChoiceTarget.PRESET or c.target in presets)
            }
            decks[model_type] = DeckResolution(
                aliases={alias: resolver.alias(alias) for alias in deck.aliases},
                waterfalls={w: resolver.waterfall(w) for w in deck.waterfalls},
                presets=presets,
                choices=reached,
            )
            if model_type is ModelType.DOC_GEN:
                found = _check_doc_gen_choices(config, deck, choices[model_type], resolver, presets)
                if inactive:
                    note = f"under profile {name}, which is not active"
                    found = [p.as_warning(note) for p in found]
                problems += found
        profiles[name] = ProfileResolution(plan, placements, decks)
    return Resolved(config, profiles, choices), problems


def _check_doc_gen_choices(
    config: Config,
    deck: Deck,
    selected: Mapping[str, SelectedChoice],
    resolver: _Resolver,
    presets: Mapping[str, Resolution],
) -> list[DeckError]:
    """A document generation choice ``"<format>.<source>"`` must reach an engine that prints
    that format from that source (its ``outputs`` and ``inputs``), as Pipelex checks at use."""
    problems: list[DeckError] = []
    for kind, choice in selected.items():
        written = deck.choice_defaults.get(kind)
        if choice.target is None or written is None or written.ref is None:
            continue
        if choice.target_kind is ChoiceTarget.PRESET:
            reached = presets.get(choice.target)
        else:
            reached = resolver.ref(written.ref)
        if reached is None or reached.model is None or reached.backend is None:
            continue
        spec = config.spec(reached.backend, reached.model)
        doc_format, _, source = kind.partition(".")
        outputs, inputs = spec.fields.get("outputs") or [], spec.fields.get("inputs") or []
        if doc_format in outputs and source in inputs:
            continue
        problems.append(
            PresetValueError(
                f"doc_gen choice `{kind}` reaches engine {spec.name} (backend {spec.backend}), "
                f"which does not make a {doc_format} from {source} (inputs {list(inputs)}, "
                f"outputs {list(outputs)}): Pipelex refuses the step",
                span=written.span,
                related=[spec.span],
                hint=f"name an engine with `{source}` in its inputs and `{doc_format}` in its "
                "outputs",
            )
        )
    return problems


class _Resolver:
    """Follows references to models under one profile, memoising aliases and waterfalls.

    Chains are followed with an explicit stack, not recursion, so a chain of any length resolves
    (and a cycle, reported by :func:`check_references`, ends the walk as unavailable)."""

    def __init__(
        self, deck: Deck, placements: Mapping[ModelKey, Placement], dialect: Dialect
    ) -> None:
        self._deck = deck
        self._placements = placements
        self._bare_lookup = dialect.bare_lookup
        self._memo: dict[tuple[Declared, str], Resolution] = {}
        self._active: set[tuple[Declared, str]] = set()

    def ref(self, ref: Ref) -> Resolution:
        stack: list[_Walk] = []
        return self._finish(self._step(ref, stack), stack)

    def alias(self, name: str) -> Resolution:
        stack: list[_Walk] = []
        return self._finish(self._enter(Declared.ALIAS, name, stack), stack)

    def waterfall(self, name: str) -> Resolution:
        stack: list[_Walk] = []
        return self._finish(self._enter(Declared.WATERFALL, name, stack), stack)

    def _finish(self, result: Resolution | None, stack: list[_Walk]) -> Resolution:
        """Follow the walks on ``stack`` until the first one pushed is decided."""
        while stack:
            walk = stack[-1]
            if result is None:  # the walk on top needs its next target followed
                result = self._step(walk.targets[walk.position], stack)
                continue
            finished = walk.take(result)
            result = None
            if finished is not None:
                stack.pop()
                self._active.discard(walk.key)
                self._memo[walk.key] = finished
                result = finished
        assert result is not None
        return result

    def _candidates(self, ref: Ref) -> tuple[Declared, ...]:
        """What ``ref`` may name, in the order it is looked up as."""
        if ref.kind is RefKind.ALIAS:
            return (Declared.ALIAS,)
        if ref.kind is RefKind.WATERFALL:
            return (Declared.WATERFALL,)
        return self._bare_lookup if ref.kind.is_handle else ()

    def _step(self, ref: Ref, stack: list[_Walk]) -> Resolution | None:
        """The resolution of ``ref`` when known now; None after pushing the walk of an alias or
        a waterfall."""
        unserved: Resolution | None = None
        for kind in self._candidates(ref):
            if kind is Declared.MODEL:
                key = ModelKey(self._deck.model_type, ref.name)
                placement = self._placements.get(key)
                if placement is None:
                    continue
                found = Resolution(ref.text, (), key, placement, placement.reason)
                if placement.backend is not None:
                    return found
                unserved = found  # an unserved model gives way to an alias or waterfall
                continue
            declared = self._deck.aliases if kind is Declared.ALIAS else self._deck.waterfalls
            if ref.kind is RefKind.ALIAS or ref.name in declared:
                return self._enter(kind, ref.name, stack)
        if unserved is not None:
            return unserved
        if ref.kind is RefKind.WATERFALL:
            why = "not a declared waterfall"
        elif Declared.WATERFALL in self._bare_lookup:
            model_type = self._deck.model_type.value
            why = f"`{ref.name}` is not a declared {model_type} model, alias or waterfall"
            other = sorted({k.model_type.value for k in self._placements if k.name == ref.name})
            if other:
                why += f" (it is declared as: {', '.join(other)})"
        else:
            why = "not a declared model or alias"
        return Resolution(ref.text, (), None, None, why)

    def _enter(self, kind: Declared, name: str, stack: list[_Walk]) -> Resolution | None:
        key = (kind, name)
        if key in self._memo:
            return self._memo[key]
        entry: Alias | Waterfall | None = (
            self._deck.aliases.get(name)
            if kind is Declared.ALIAS
            else self._deck.waterfalls.get(name)
        )
        if entry is None:
            return Resolution(name, (), None, None, f"unresolvable {kind.value}")
        if key in self._active:  # through a model's name, which this profile does not serve
            why = f"the {kind.value} `{name}` leads back to itself"
            return Resolution(name, (), None, None, why)
        walk = _Walk(entry)
        if not walk.targets:  # the schema forbids it; never walk an empty chain
            self._memo[key] = Resolution(name, (), None, None, "an empty fallback list")
            return self._memo[key]
        self._active.add(key)
        stack.append(walk)
        return None


class _Walk:
    """One alias or waterfall being followed: a fallback chain (a list alias, a waterfall) tries
    its entries in order until one is available."""

    def __init__(self, entry: Alias | Waterfall) -> None:
        self.name = entry.name
        if isinstance(entry, Waterfall):
            self.key, self.kind = (Declared.WATERFALL, entry.name), RefKind.WATERFALL
            self.targets, self.is_list = entry.steps, True
        else:
            self.key, self.kind = (Declared.ALIAS, entry.name), RefKind.ALIAS
            self.targets, self.is_list = entry.targets, entry.is_list
        self.position = 0
        self.skipped: list[Skipped] = []

    def take(self, inner: Resolution) -> Resolution | None:
        """Account for the resolution of the current target; the walk's, once decided."""
        if not self.is_list or inner.available:
            hop = Hop(self.name, self.kind, self.position, tuple(self.skipped))
            return Resolution(
                self.name, (hop, *inner.hops), inner.model, inner.placement, inner.why
            )
        target = self.targets[self.position]
        self.skipped.append(Skipped(self.position, target.text, inner.reason or "unavailable"))
        self.position += 1
        if self.position < len(self.targets):
            return None
        why = "; ".join(s.reason for s in self.skipped)
        hop = Hop(self.name, self.kind, None, tuple(self.skipped))
        what = (
            "step of the waterfall is served"
            if self.kind is RefKind.WATERFALL
            else ("entry of its fallback list is available")
        )
        return Resolution(self.name, (hop,), None, None, f"no {what} ({why})")


def check_preset(config: Config, preset: Preset, resolution: Resolution) -> list[DeckError]:
    """A preset's parameters against the model it resolves to under one profile."""
    if resolution.model is None or resolution.backend is None or not resolution.available:
        return []
    spec = config.spec(resolution.backend, resolution.model)
    problems: list[DeckError] = []
    limit = spec.max_tokens
    wanted = preset.max_tokens
    if isinstance(wanted, int) and limit is not None and wanted > limit:
        problems.append(
            PresetValueError(
                f"preset `{preset.name}` asks max_tokens = {wanted}, but model {spec.name} "
                f"(backend {spec.backend}) allows at most {limit}",
                span=preset.field_spans["max_tokens"],
                related=[spec.span],
                hint=f'lower it to {limit} or less, or use "auto"',
            )
        )
    effort = preset.values.get("reasoning_effort")
    thinks = spec.fields.get("thinking_mode")
    for field in ("reasoning_effort", "reasoning_budget"):
        asked = preset.values.get(field)
        if asked is None or (field == "reasoning_effort" and effort == "none") or thinks != "none":
            continue
        problems.append(
            PresetValueError(
                f"preset `{preset.name}` sets {field} = {asked!r}, but model {spec.name} "
                f'(backend {spec.backend}) has thinking_mode = "none": Pipelex refuses the call',
                span=preset.field_spans[field],
                related=[spec.span],
                hint=f"remove {field}, or point the preset at a model that reasons",
            )
        )
    asked = reasoning.Asked.of(
        effort, preset.values.get("reasoning_budget"), thinks, spec.fields.get("model_id")
    )
    sdk = str(spec.fields.get("sdk") or "")
    preset_max = wanted if isinstance(wanted, int) else None
    valued = spec.fields.get("valued_constraints") or {}
    refused = None  # thinking_mode "none" is the error above
    if thinks != "none":
        refused = reasoning.refusal(asked, sdk, preset_max, limit, valued)
    if refused is not None:
        field = "reasoning_budget" if asked.budget is not None else "reasoning_effort"
        problems.append(
            PresetValueError(
                f"preset `{preset.name}` on model {spec.name} (backend {spec.backend}, sdk "
                f"{sdk or 'unset'}): {refused}; Pipelex refuses the call",
                span=preset.field_spans[field],
                related=[spec.span],
                hint="change or remove the reasoning setting (the SDK arguments and the LiteLLM "
                "export refuse it too)",
                severity=Severity.WARNING,
            )
        )
    fixed = spec.fixed_temperature
    temperature = preset.temperature
    if fixed is not None and temperature is not None and temperature != fixed:
        problems.append(
            PresetValueError(
                f"preset `{preset.name}` sets temperature = {temperature:g}, but model "
                f"{spec.name} (backend {spec.backend}) has a fixed temperature of {fixed:g}",
                span=preset.field_spans["temperature"],
                related=[spec.span],
                hint=f"set temperature = {fixed:g} or remove it",
                severity=Severity.WARNING,
            )
        )
    return problems


def select_choice(deck: Deck, kind: str, dialect: Dialect) -> SelectedChoice:
    """What a choice selects; in the current layout only ``$p`` / ``preset:p`` names a preset (a
    bare name is a handle, as Pipelex reads it)."""
    default = deck.choice_defaults.get(kind)
    override = deck.choice_overrides.get(kind)
    chosen = override if override is not None and override.value != DISABLED else default
    written = (default.value if default else None, override.value if override else None)
    if chosen is None or chosen.ref is None:
        return SelectedChoice(kind, *written, None, ChoiceTarget.HANDLE, None)
    ref = chosen.ref
    bare_preset = dialect is Dialect.PIPELEX_0_10 and ref.kind is RefKind.BARE
    if ref.kind is RefKind.PRESET or (bare_preset and ref.name in deck.presets):
        return SelectedChoice(kind, *written, chosen.value, ChoiceTarget.PRESET, ref.name, ref)
    return SelectedChoice(kind, *written, chosen.value, ChoiceTarget.HANDLE, chosen.value, ref)
