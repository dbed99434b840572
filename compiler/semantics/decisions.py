"""The decisions routing and resolution make, each recorded with how it was made.

Routing places every model under every profile (:class:`Placement`: by which route, or where the
default/fallback search started and ended, which optional routes it passed over because their
backend is disabled); resolution follows every alias, waterfall and preset to a model
(:class:`Resolution`: one :class:`Hop` per alias or waterfall followed, with the entry chosen and
why each earlier one was skipped).  The lockfile, ``explain``, ``validate`` and ``diff`` present
these records; none of them decides anything again.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..core.errors import Span
from ..core.ir import (
    BackendRef,
    Config,
    ModelKey,
    ModelType,
    Profile,
    Ref,
    RefKind,
    Route,
)


class RuleKind(enum.Enum):
    """The routing rule that placed a model (SPEC §3)."""

    EXACT = "exact"
    WILDCARD = "wildcard"
    DEFAULT = "default"
    FALLBACK = "fallback_order"
    SEARCH = "search"


@dataclass(frozen=True, slots=True)
class Start:
    """Where a model no route matches goes first: the profile's enabled ``default`` (rule
    DEFAULT), else its first enabled ``fallback_order`` backend (rule FALLBACK)."""

    backend: str
    rule: RuleKind
    span: Span  # where the profile names it


@dataclass(frozen=True, slots=True)
class SearchEnd:
    """Where the search ended when the start backend does not serve the model."""

    backend: str
    in_fallback_order: bool  # found along fallback_order, not among the other enabled backends
    span: Span  # its fallback_order entry, or its declaration in backends.toml
    internal_only: bool = False  # pipelex-0.92 searched the software-only `internal` backend only


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one model goes under one profile, and how that was decided; ``backend`` is None
    when it goes nowhere (``reason`` says why)."""

    key: ModelKey
    backend: str | None
    rule: RuleKind | None
    route: Route | None = None  # the route that matched
    passed: tuple[Route, ...] = ()  # optional routes matching the model, skipped: backend disabled
    start: Start | None = None  # set when no route matched
    found: SearchEnd | None = None  # set when the search found another backend
    reason: str | None = None
    # the route or default sending the model to a disabled backend: Pipelex refuses the profile
    refused_by: Route | BackendRef | None = None


@dataclass(frozen=True)
class RoutingPlan:
    """What routing knows of one profile before placing any model."""

    profile: Profile
    enabled: frozenset[str]  # the enabled backends
    routes: tuple[Route, ...]  # routes, and optional ones whose backend is on, declared order
    start: Start | None
    search_order: tuple[str, ...]  # enabled fallback_order backends, then the other enabled ones
    # pipelex-0.92 and no enabled fallback_order: the search is of `internal` alone
    internal_only: bool = False


@dataclass(frozen=True, slots=True)
class Skipped:
    """An entry of a fallback chain passed over: it is not available (``reason`` says why)."""

    index: int
    ref: str  # the entry as written
    reason: str


@dataclass(frozen=True, slots=True)
class Hop:
    """One alias (or waterfall) followed: the entry taken (``chosen``; None when no entry is
    available) after the entries ``skipped``."""

    name: str
    kind: RefKind
    chosen: int | None
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True, slots=True)
class Resolution:
    """A reference followed to a model under one profile.

    ``model`` is the model reached (even when it is not served); ``placement`` its placement;
    ``why`` the reason it is unavailable, without the path (see :attr:`reason`)."""

    ref: str
    hops: tuple[Hop, ...]
    model: ModelKey | None
    placement: Placement | None
    why: str | None = None

    @property
    def backend(self) -> str | None:
        return self.placement.backend if self.placement is not None else None

    @property
    def available(self) -> bool:
        return self.why is None and self.backend is not None

    @property
    def path(self) -> tuple[str, ...]:
        """The names followed from the reference to the model, the model last."""
        names = tuple(hop.name for hop in self.hops)
        if self.model is not None:
            return (*names, self.model.name)
        return names or (self.ref,)

    @property
    def skipped(self) -> tuple[Skipped, ...]:
        """Every entry skipped along the way, in order."""
        return tuple(s for hop in self.hops for s in hop.skipped)

    @property
    def reason(self) -> str | None:
        """Why it is unavailable: the path followed, then the cause."""
        if self.why is None:
            return None
        return f"{' -> '.join(self.path)}: {self.why}"


class ChoiceTarget(enum.Enum):
    PRESET = "preset"
    HANDLE = "handle"


@dataclass(frozen=True)
class SelectedChoice:
    """What a choice selects: its override unless that is ``"disabled"``, else its default."""

    kind: str
    default: str | None
    override: str | None
    selected: str | None
    target_kind: ChoiceTarget
    target: str | None  # the preset name, or the handle as written
    ref: Ref | None = field(default=None, compare=False)  # the reference selected


@dataclass(frozen=True)
class DeckResolution:
    """Every alias, waterfall and preset of one model type, resolved under one profile."""

    aliases: Mapping[str, Resolution]
    waterfalls: Mapping[str, Resolution]
    presets: Mapping[str, Resolution]
    choices: Mapping[str, Resolution] = field(default_factory=dict)  # what each choice reaches


@dataclass(frozen=True)
class ProfileResolution:
    plan: RoutingPlan
    placements: Mapping[ModelKey, Placement]
    decks: Mapping[ModelType, DeckResolution]

    @property
    def profile(self) -> Profile:
        return self.plan.profile


@dataclass(frozen=True)
class Resolved:
    config: Config
    profiles: Mapping[str, ProfileResolution]
    choices: Mapping[ModelType, Mapping[str, SelectedChoice]]
