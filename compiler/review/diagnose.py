"""The checks ``deckc validate`` adds to a compile: what compiles but cannot be what was meant.

Pure functions over the resolved deck returning located :class:`~compiler.core.errors.DeckError`
findings: routing rules that can never fire (shadowed by an earlier wildcard, or matching no
declared model), models no profile can serve, handles unavailable in the active profile (errors
with ``strict``), ``${VAR}``s of enabled backends unset in a given environment (names only, never
values), and the drift of a generated directory.  Availability is read from the recorded
placements and resolutions, never decided again.
"""

from __future__ import annotations

import bisect
import enum
import shlex
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from ..core.errors import (
    DeckError,
    LLMHandleNotFoundError,
    Location,
    ModelsManagerError,
    Severity,
)
from ..core.ir import Config, Dialect, ModelType, Profile, Route
from ..core.naming import did_you_mean, format_key_path
from ..core.patterns import Pattern, PatternKind
from ..emit.freshness import Freshness
from ..runtime import envvars
from ..semantics.decisions import (
    Placement,
    ProfileResolution,
    Resolution,
    Resolved,
    RuleKind,
)


class GeneratedDriftError(DeckError):
    """The generated directory is not what compiling the current sources gives."""


class EnvCheck(enum.Enum):
    """What ``validate`` does about the ``${VAR}``s of the backends (README, "validate")."""

    SKIP = "skip"  # nothing: a check of the configuration alone
    REPORT = "report"  # unset variables are notes, which change no exit code
    REQUIRE = "require"  # those of the backends the active profile uses are errors


def diagnose(
    resolved: Resolved,
    environ: Mapping[str, str],
    *,
    strict: bool = False,
    availability: bool = True,
    env: EnvCheck = EnvCheck.REPORT,
) -> list[DeckError]:
    """Every finding of this module for a resolved deck.

    ``availability`` = False leaves out the checks that only make sense for a configuration that
    compiles (a dangling reference already says why its handle goes nowhere).
    """
    config = resolved.config
    findings = [*shadowed_routes(config), *dead_routes(config), *idle_defaults(resolved)]
    if availability:
        findings += unservable_models(resolved, strict=strict)
        findings += unavailable_handles(resolved, strict=strict)
        findings += idle_waterfall_steps(resolved)
    if env is not EnvCheck.SKIP:
        required = _used_by_active(resolved) if env is EnvCheck.REQUIRE else frozenset()
        findings += unset_variables(config, environ, required=required)
    return findings


def _used_by_active(resolved: Resolved) -> frozenset[str]:
    """The backends the active profile sends at least one model to."""
    active = resolved.profiles.get(resolved.config.active)
    if active is None:
        return frozenset()
    return frozenset(p.backend for p in active.placements.values() if p.backend is not None)


# --- routing rules that never fire ------------------------------------------------------------


def covers(earlier: Pattern, later: Pattern) -> bool:
    """True when every name ``later`` matches is also matched by ``earlier`` (both wildcards)."""
    if not (earlier.is_wildcard and later.is_wildcard):
        return False
    match earlier.kind:
        case PatternKind.ANY:
            return True
        case PatternKind.PREFIX:
            return later.kind is PatternKind.PREFIX and later.core.startswith(earlier.core)
        case PatternKind.SUFFIX:
            return later.kind is PatternKind.SUFFIX and later.core.endswith(earlier.core)
        case PatternKind.CONTAINS:
            return later.kind is not PatternKind.ANY and earlier.core in later.core
    return False


def _shadowing(config: Config, profile: Profile) -> Iterator[tuple[Route, Route]]:
    """(rule, the first earlier wildcard that always wins over it) for every shadowed wildcard.

    Only wildcards that apply can win: an optional route whose backend is disabled does not (a
    plain route to a disabled backend does: Pipelex refuses the models it matches).  Earlier
    rules are indexed by kind (the affixes by their text), so a rule is compared with the few
    that could cover it: the first ``*``, the prefix rules naming a prefix of its own prefix
    (suffixes alike), and the ``*contains*`` rules.
    """
    first_any: tuple[int, Route] | None = None
    prefixes: dict[str, tuple[int, Route]] = {}
    suffixes: dict[str, tuple[int, Route]] = {}
    contains: list[tuple[int, Route]] = []
    for position, route in enumerate(profile.routes):
        pattern = route.pattern
        if not pattern.is_wildcard:
            continue
        core = pattern.core
        candidates = [first_any] if first_any else []
        if pattern.kind is PatternKind.PREFIX:
            candidates += [
                prefixes[core[:n]] for n in range(1, len(core) + 1) if core[:n] in prefixes
            ]
        elif pattern.kind is PatternKind.SUFFIX:
            candidates += [
                suffixes[core[-n:]] for n in range(1, len(core) + 1) if core[-n:] in suffixes
            ]
        if pattern.kind is not PatternKind.ANY:
            candidates += [c for c in contains if c[1].pattern.core in core]
        if candidates:
            yield route, min(candidates, key=lambda c: c[0])[1]
        backend = config.backends.get(route.backend)
        if backend is None or (route.optional and not backend.enabled):
            continue
        entry = (position, route)
        if pattern.kind is PatternKind.ANY:
            first_any = first_any or entry
        elif pattern.kind is PatternKind.PREFIX:
            prefixes.setdefault(core, entry)
        elif pattern.kind is PatternKind.SUFFIX:
            suffixes.setdefault(core, entry)
        else:
            contains.append(entry)


def shadowed_routes(config: Config) -> list[DeckError]:
    """Wildcard rules that an earlier wildcard of the same profile always wins over."""
    findings: list[DeckError] = []
    for profile in config.profiles.values():
        for route, earlier in _shadowing(config, profile):
            findings.append(
                ModelsManagerError(
                    f"route `{route.pattern.text}` never applies: the earlier route "
                    f"`{earlier.pattern.text}` (to {earlier.backend}) matches every model it "
                    "matches",
                    span=route.span,
                    related=[earlier.span],
                    hint=f"move `{route.pattern.text}` above `{earlier.pattern.text}`, or "
                    "remove it",
                    code="route-shadowed",
                    severity=Severity.WARNING,
                )
            )
    return findings


class _ModelNames:
    """Answers "does any declared model match this pattern" without trying every name."""

    _SEPARATOR = "\0"

    def __init__(self, names: Sequence[str]) -> None:
        self._names = sorted(names)
        self._reversed = sorted(name[::-1] for name in names)
        self._joined = self._SEPARATOR.join(names)

    @staticmethod
    def _has_prefix(sorted_names: list[str], prefix: str) -> bool:
        i = bisect.bisect_left(sorted_names, prefix)
        return i < len(sorted_names) and sorted_names[i].startswith(prefix)

    def any_match(self, pattern: Pattern) -> bool:
        match pattern.kind:
            case PatternKind.ANY:
                return bool(self._names)
            case PatternKind.EXACT:
                i = bisect.bisect_left(self._names, pattern.core)
                return i < len(self._names) and self._names[i] == pattern.core
            case PatternKind.PREFIX:
                return self._has_prefix(self._names, pattern.core)
            case PatternKind.SUFFIX:
                return self._has_prefix(self._reversed, pattern.core[::-1])
            case PatternKind.CONTAINS:
                if self._SEPARATOR in pattern.core:
                    return any(pattern.core in name for name in self._names)
                return pattern.core in self._joined
        return False


_WHAT_MATCHES = {
    PatternKind.PREFIX: "starts with",
    PatternKind.SUFFIX: "ends with",
    PatternKind.CONTAINS: "contains",
}


def dead_routes(config: Config) -> list[DeckError]:
    """Wildcard rules matching no declared model (shadowed rules are reported as such), and in
    the current layout exact routes naming none (there the compile skips them, as Pipelex does;
    the seed's layout makes them errors)."""
    names = _ModelNames(sorted({key.name for key in config.models}))
    exact_too = config.dialect is Dialect.PIPELEX_0_92
    findings: list[DeckError] = []
    for profile in config.profiles.values():
        shadowed = {id(route) for route, _ in _shadowing(config, profile)}
        for route in profile.routes:
            pattern = route.pattern
            checked = pattern.is_wildcard or exact_too
            if not checked or id(route) in shadowed or names.any_match(pattern):
                continue
            what = _WHAT_MATCHES.get(pattern.kind)
            if pattern.kind is PatternKind.EXACT:
                near = did_you_mean(pattern.core, sorted({key.name for key in config.models}))
                detail = f"no model is named `{pattern.core}`" + (f" ({near})" if near else "")
            else:
                detail = f"no declared model name {what} `{pattern.core}`" if what else "no models"
            findings.append(
                ModelsManagerError(
                    f"route `{pattern.text}` matches no declared model",
                    span=route.span,
                    hint=f"{detail}: fix the pattern, declare the model in "
                    f"backends/{route.backend}.toml, or remove the route",
                    code="route-matches-nothing",
                    severity=Severity.WARNING,
                )
            )
    return findings


# A default backend serving less than half of the models that reach it is worth a word.
FEW_SERVED = 0.5


def idle_defaults(resolved: Resolved) -> list[DeckError]:
    """Profiles whose default backend serves none, or few, of the models no route matches: the
    profile says "everything to D" while most models are placed by the search elsewhere."""
    findings: list[DeckError] = []
    for name, where in resolved.profiles.items():
        start = where.plan.start
        if start is None or start.rule is not RuleKind.DEFAULT:
            continue
        reached = [p for p in where.placements.values() if p.start == start and _placed(p)]
        served = sum(p.rule is RuleKind.DEFAULT for p in reached)
        if not reached or served >= FEW_SERVED * len(reached):
            continue
        elsewhere = sorted({p.backend for p in reached if p.backend not in (None, start.backend)})
        placed = f"placed by the search on {', '.join(elsewhere)}" if elsewhere else "unavailable"
        amount = "none" if served == 0 else f"only {served}"
        others = "they are" if served == 0 else "the others are"
        findings.append(
            ModelsManagerError(
                f"the default backend of profile {name}, {start.backend}, serves {amount} of "
                f"the {len(reached)} model(s) no route matches: {others} {placed}",
                span=start.span,
                hint=f"declare the models in backends/{start.backend}.toml, add routes, or "
                "choose a default that serves them",
                severity=Severity.WARNING,
                code="default-serves-none" if served == 0 else "default-serves-few",
            )
        )
    return findings


def _placed(placement: Placement) -> bool:
    """Whether the model went somewhere: to the start backend, or where the search found it."""
    return placement.backend is not None or placement.found is not None


# --- availability -----------------------------------------------------------------------------


def _severity(strict: bool) -> Severity:
    return Severity.ERROR if strict else Severity.WARNING


def unservable_models(resolved: Resolved, *, strict: bool = False) -> list[DeckError]:
    """Declared models that no routing profile sends to a backend serving them."""
    config = resolved.config
    profiles = list(resolved.profiles.values())
    findings: list[DeckError] = []
    if not profiles:
        return findings
    for key in config.models:
        placements = [p.placements[key] for p in profiles]
        if any(p.backend is not None for p in placements):
            continue
        declared = config.declarations(key)
        backends = ", ".join(spec.backend for spec in declared)
        servers = [spec.backend for spec in declared if config.backends[spec.backend].enabled]
        if not servers:
            hint = (
                f"it is declared only by disabled backend(s) {backends}: enable one, or remove "
                "the model"
            )
        else:
            hint = (
                f"in profile {profiles[0].profile.name}: {placements[0].reason}; add a route "
                f'`"{key.name}" = "{servers[0]}"` to a profile'
            )
        findings.append(
            ModelsManagerError(
                f"no profile can serve model `{key}` (declared by {backends})",
                span=declared[0].span,
                related=[spec.span for spec in declared[1:]],
                hint=hint,
                code="model-unservable",
                severity=_severity(strict),
            )
        )
    return findings


def unavailable_handles(resolved: Resolved, *, strict: bool = False) -> list[DeckError]:
    """Aliases, presets and models that the active profile cannot serve (errors with ``strict``).

    Models that no profile serves at all are left to :func:`unservable_models`.  A model type
    the active profile serves no model of at all (no search backend enabled, say) is not in use:
    its unavailable entries are notes.
    """
    config = resolved.config
    active = resolved.profiles.get(config.active)
    if active is None:
        return []
    name = config.active
    findings: list[DeckError] = []
    fix = f"route the model to a backend that serves it in profile {name}, or point the"
    in_use = {key.model_type for key, p in active.placements.items() if p.backend is not None}
    for model_type, answers in active.decks.items():
        deck = config.decks[model_type]
        severity = _severity(strict) if model_type in in_use else Severity.INFO
        spans = {name: alias.span for name, alias in deck.aliases.items()}
        steps = {name: waterfall.span for name, waterfall in deck.waterfalls.items()}
        target = "llm_handle" if config.dialect is Dialect.PIPELEX_0_10 else "model"
        for what, resolutions, where, point in (
            ("alias", answers.aliases, spans, "alias"),
            ("waterfall", answers.waterfalls, steps, "waterfall's steps"),
            ("preset", answers.presets, {n: p.target.span for n, p in deck.presets.items()},
             f"preset's {target}"),
        ):  # fmt: skip
            for subject, resolution in resolutions.items():
                if resolution.available:
                    continue
                findings.append(
                    LLMHandleNotFoundError(
                        f"{what} `{subject}` is unavailable in the active profile {name}: "
                        f"{resolution.reason}",
                        span=where[subject],
                        hint=f"{fix} {point} at a handle that profile {name} serves",
                        code="unavailable-in-active-profile",
                        severity=severity,
                    )
                )
        findings += _unavailable_choices(config, model_type, answers.choices, name, severity)
    everywhere = list(resolved.profiles.values())
    for key, placement in active.placements.items():
        if placement.backend is not None or all(
            p.placements[key].backend is None for p in everywhere
        ):
            continue
        findings.append(
            LLMHandleNotFoundError(
                f"model `{key}` is unavailable in the active profile {name}: {placement.reason}",
                span=config.declarations(key)[0].span,
                hint=f"add a route for {key.name} to profile {name}, or switch profiles "
                "where it is needed",
                code="unavailable-in-active-profile",
                severity=_severity(strict),
            )
        )
    return findings


def idle_waterfall_steps(resolved: Resolved) -> list[DeckError]:
    """Waterfall steps that serve no model under any profile: they can never be what a
    waterfall resolves to."""
    findings: list[DeckError] = []
    profiles = list(resolved.profiles.values())
    for model_type, deck in resolved.config.decks.items():
        for waterfall in deck.waterfalls.values():
            for index, step in enumerate(waterfall.steps):
                if any(_serves(where, model_type, waterfall.name, index) for where in profiles):
                    continue
                findings.append(
                    LLMHandleNotFoundError(
                        f"step {index} of waterfall `{waterfall.name}` ({step.text}) serves no "
                        f"{model_type.value} model under any profile",
                        span=step.span,
                        hint="remove the step, or route its model to an enabled backend that "
                        "serves it",
                        severity=Severity.WARNING,
                        code="waterfall-step-idle",
                    )
                )
    return findings


def _serves(where: ProfileResolution, model_type: ModelType, name: str, index: int) -> bool:
    """Whether step ``index`` of the waterfall could serve under ``where``: it is the chosen
    step, or a later step was chosen after it was skipped for a reason (never both unknown)."""
    resolution = where.decks[model_type].waterfalls[name]
    hop = resolution.hops[0] if resolution.hops else None
    if hop is None:
        return False
    if hop.chosen == index:
        return True
    return hop.chosen is not None and hop.chosen < index  # never reached: it might serve


def _unavailable_choices(
    config: Config,
    model_type: ModelType,
    reached: Mapping[str, Resolution],
    profile: str,
    severity: Severity,
) -> list[DeckError]:
    """The choices (what a step naming no model gets) that reach no model in the active profile:
    ``deck.choice(kind)`` raises there."""
    deck = config.decks[model_type]
    findings: list[DeckError] = []
    for kind, resolution in reached.items():
        if resolution.available:
            continue
        written = deck.choice_overrides.get(kind)
        if written is None or written.ref is None:
            written = deck.choice_defaults.get(kind)
        assert written is not None  # a choice reaches something only when written
        findings.append(
            LLMHandleNotFoundError(
                f"choice `{kind}` is unavailable in the active profile {profile}: "
                f"{resolution.reason}",
                span=written.span,
                hint=f"point it at a preset or handle that profile {profile} serves",
                code="unavailable-in-active-profile",
                severity=severity,
            )
        )
    return findings


# --- environment --------------------------------------------------------------------------------


def unset_variables(
    config: Config, environ: Mapping[str, str], *, required: Collection[str] = ()
) -> list[DeckError]:
    """``${VAR}``s (without a default) of enabled backends that ``environ`` does not set: errors
    for the ``required`` backends, notes for the others.

    Names only: no value of ``environ`` is ever part of a finding.
    """
    findings: list[DeckError] = []
    for backend in config.backends.values():
        if not backend.enabled:
            continue
        texts: dict[str, Any] = {**backend.credentials, **backend.options}
        seen: set[str] = set()
        for key, text in texts.items():
            if not isinstance(text, str):
                continue
            for ref in envvars.references(text):
                var = "|".join(ref.names)
                if envvars.value_of(ref, environ) is not None or var in seen:
                    continue
                seen.add(var)
                findings.append(
                    ModelsManagerError(
                        f"backend `{backend.name}` needs environment variable {var} (for "
                        f"{key}), which is not set",
                        span=backend.field_spans[key],
                        hint=f"export {var} where deck runs, write ${{{var}:-<default>}}, or "
                        f"set `enabled = false` for {backend.name}",
                        code="env-variable-unset",
                        severity=Severity.ERROR if backend.name in required else Severity.INFO,
                    )
                )
    return findings


# --- generated output -------------------------------------------------------------------------


def recompile(config_dir: str, out_dir: str) -> str:
    """The command that remakes ``out_dir`` from ``config_dir`` (both as the user named them)."""
    return f"deckc compile --config-dir {shlex.quote(config_dir)} --out {shlex.quote(out_dir)}"


def drift(fresh: Freshness, config_dir: str, out_dir: str) -> list[DeckError]:
    """Why ``out_dir`` is not what compiling ``config_dir`` gives (paths as given, for display)."""
    fix = f"run `{recompile(config_dir, out_dir)}`"

    def finding(file: str, message: str, code: str) -> DeckError:
        return GeneratedDriftError(
            message, location=Location(file), hint=fix, severity=Severity.WARNING, code=code
        )

    findings = [
        finding(f"{out_dir}/{rel}", "missing", "generated-missing") for rel in fresh.missing_outputs
    ]
    findings += [
        finding(
            f"{out_dir}/{rel}", "edited by hand (differs from what deckc wrote)", "generated-edited"
        )
        for rel in fresh.edited_outputs
    ]
    findings += [
        finding(f"{config_dir}/{rel}", f"changed since {out_dir} was compiled", "source-changed")
        for rel in fresh.changed_sources
    ]
    if fresh.generator_changed:
        findings.append(
            finding(
                out_dir,
                f"deckc or its templates changed since {out_dir} was compiled",
                "generator-changed",
            )
        )
    findings += [
        GeneratedDriftError(
            "not written by deckc",
            location=Location(f"{out_dir}/{rel}"),
            hint=f"delete it, or keep it outside {out_dir}",
            severity=Severity.WARNING,
            code="generated-extra",
        )
        for rel in fresh.extra_outputs
    ]
    return findings


# --- machine-readable form ------------------------------------------------------------------


def as_record(finding: DeckError) -> dict[str, Any]:
    """A finding as the JSON object ``deckc validate --format json`` prints."""
    location = finding.location
    return {
        "severity": finding.severity.value,
        "code": finding.code,
        "file": location.file,
        "line": location.line,
        "column": location.column,
        "key_path": format_key_path(finding.key_path),
        "message": finding.message,
        "hint": finding.hint,
        "related": [str(loc) for loc in finding.related],
    }
