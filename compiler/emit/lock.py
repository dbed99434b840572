"""The lockfile as typed values: what the compile writes and what every reader gets back.

:mod:`compiler.emit.lockfile` makes a :class:`Lockfile` from the resolved configuration and
writes it as canonical JSON (schema version 2); :mod:`compiler.emit.lockread` reads JSON of any
supported version back into the same values.  The runtime views, ``deckc diff`` and the tests
use these types, never raw JSON: a key spelt wrong is a type error, not a ``KeyError`` at run
time.  Every map of models, deck entries and answers is keyed by model type first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.ir import ModelType

SCHEMA_VERSION = 2
Json = Any
Spec = Mapping[str, Json]  # a model spec's fields, as the schema's ModelSpec


@dataclass(frozen=True)
class Header:
    by: str
    do_not_edit: str
    regenerate: str
    schema_version: int


@dataclass(frozen=True)
class Backend:
    name: str
    enabled: bool
    display_name: str | None
    credential_refs: Mapping[str, str]
    options: Mapping[str, str | int | float | bool]
    env_vars: tuple[str, ...]
    order: int


@dataclass(frozen=True)
class Choice:
    """What a choice selects; ``kind`` says whether ``target`` is a preset or a handle."""

    default: str | None
    override: str | None
    selected: str | None
    kind: str  # "preset" | "handle"
    target: str | None


@dataclass(frozen=True)
class Deck:
    """The merged deck of one model type."""

    aliases: Mapping[str, str | tuple[str, ...]]  # a tuple is a fallback chain
    waterfalls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    presets: Mapping[str, Mapping[str, Json]] = field(default_factory=dict)
    choices: Mapping[str, Choice] = field(default_factory=dict)
    settings: Mapping[str, Json] = field(default_factory=dict)  # default_temperature... (0.92)


@dataclass(frozen=True)
class Route:
    pattern: str
    backend: str
    optional: bool


@dataclass(frozen=True, slots=True)
class Routing:
    """Where one model goes under a profile (``rule`` and, for a route, ``pattern``), or why it
    goes nowhere (``unavailable``)."""

    backend: str | None
    rule: str | None = None
    pattern: str | None = None
    unavailable: str | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    handle: str
    reason: str


@dataclass(frozen=True, slots=True)
class Resolution:
    """A reference followed to a model: the names followed (``path``), the entries of fallback
    chains skipped on the way, and ``unavailable`` (the reason) when it reaches no backend."""

    backend: str | None
    model: str | None
    path: tuple[str, ...]
    skipped: tuple[Skipped, ...] = ()
    unavailable: str | None = None


@dataclass(frozen=True)
class Answers:
    """Every model, alias, waterfall and preset of one model type, resolved under one profile."""

    routing: Mapping[str, Routing]
    aliases: Mapping[str, Resolution]
    waterfalls: Mapping[str, Resolution]
    presets: Mapping[str, Resolution]


@dataclass(frozen=True)
class Profile:
    description: str | None
    default: str | None
    fallback_order: tuple[str, ...]
    routes: tuple[Route, ...]
    answers: Mapping[ModelType, Answers]


@dataclass(frozen=True)
class Lockfile:
    header: Header
    dialect: str
    active_profile: str
    backends: Mapping[str, Backend]
    models: Mapping[ModelType, Mapping[str, Mapping[str, Spec]]]  # type -> backend -> name
    decks: Mapping[ModelType, Deck]
    profiles: Mapping[str, Profile]
    provenance: Mapping[str, Json]  # file:line:col of every entry, for people; never read back
    sources: Mapping[str, str]

    def model_types(self) -> list[ModelType]:
        """The model types this lockfile has models or a deck of, in ModelType order."""
        return [t for t in ModelType if t in self.models or t in self.decks]

    def spec(self, model_type: ModelType, backend: str, name: str) -> Spec:
        return self.models[model_type][backend][name]
