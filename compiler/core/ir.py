"""The typed intermediate representation of the sources (the build stage makes it).

Frozen values with identity and provenance: every model is keyed by :class:`ModelKey` (model type,
name), the deck is one :class:`Deck` per model type, and every entity carries the :class:`Span`
it was written at, so later stages locate their findings without knowing a TOML table name.
References are parsed once, with the one grammar of :mod:`compiler.runtime.references`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..runtime import references
from .errors import Span
from .patterns import Pattern

Scalar = str | int | float | bool
JSONValue = Any
MaxTokens = int | Literal["auto"]

CREDENTIAL_KEYS = ("api_key", "endpoint", "api_version")
CONSTRAINT_KEYS = ("listed_constraints", "valued_constraints")  # backend-wide, in pipelex-0.92
KNOWN_BACKEND_KEYS = (
    "enabled",
    "display_name",
    *CREDENTIAL_KEYS,
    "aws_region",
    "gcp_project_id",
    "gcp_location",
    "gcp_credentials_file_path",
    "claude_4_tokens_limit",
)
# A backend field is a credential when a word of its name (split at `_`, `-` and camelCase humps)
# is one of these: `api_key`, `aws_secret_access_key`, `auth_token`, `client_secret`, `password`,
# `x-portkey-api-key`.  Whole words only: `claude_4_tokens_limit` (a number) and
# `gcp_credentials_file_path` (where a file is, not what it holds) are settings.
SECRET_WORDS = frozenset({"key", "apikey", "token", "secret", "password", "passwd", "passphrase"})


def is_secret_key(key: str) -> bool:
    """True when the backend field (or header) ``key`` holds a credential: its value must be a
    ``${...}`` reference, so that the secret stays out of the sources and the artifacts."""
    words = re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower())
    return not SECRET_WORDS.isdisjoint(words)


DISABLED = "disabled"
INTERNAL = "internal"  # the software-only backend of the pipelex-0.92 layout


class Dialect(enum.StrEnum):
    """Which Pipelex layout the sources use (recorded in the lockfile; PIPELEX-DIALECTS.md)."""

    PIPELEX_0_10 = "pipelex-0.10"
    PIPELEX_0_92 = "pipelex-0.92"

    @property
    def bare_lookup(self) -> tuple[Declared, ...]:
        """What a bare name is looked up as, in order.  In both layouts a model *served* under
        the profile comes first (an unserved one gives way), then an alias, then (0.92) a
        waterfall: Pipelex 0.10.2 and 0.92.2 both look the served models up first."""
        if self is Dialect.PIPELEX_0_10:
            return (Declared.MODEL, Declared.ALIAS)
        return (Declared.MODEL, Declared.ALIAS, Declared.WATERFALL)

    @property
    def searches_all_after_default(self) -> bool:
        """Whether a default match whose backend lacks the model searches every enabled backend
        even without ``fallback_order`` (0.10); in 0.92 only ``internal`` is tried then."""
        return self is Dialect.PIPELEX_0_10

    @property
    def checks_profile_backends_at_boot(self) -> bool:
        """Whether Pipelex refuses a profile whose default or a (non-optional) route names a
        disabled backend even when no model goes there (0.92); 0.10.2 refuses it only when it
        routes a model there."""
        return self is Dialect.PIPELEX_0_92

    @property
    def lenient(self) -> bool:
        """Whether a handle no backend declares is a warning (0.92: plugins declare models when
        they load).  Problems of an inactive profile are warnings in both layouts: Pipelex
        validates the active profile only."""
        return self is Dialect.PIPELEX_0_92


class Declared(enum.StrEnum):
    """The kinds of things a handle may name."""

    MODEL = "model"
    ALIAS = "alias"
    WATERFALL = "waterfall"


class ModelType(enum.StrEnum):
    LLM = "llm"
    TEXT_EXTRACTOR = "text_extractor"
    IMG_GEN = "img_gen"
    SEARCH = "search"
    DOC_GEN = "doc_gen"
    JUDGMENT = "judgment"


@dataclass(frozen=True, order=True, slots=True)
class ModelKey:
    """A model's identity: the same name may be a model of several types."""

    model_type: ModelType
    name: str

    def __str__(self) -> str:
        if self.model_type is ModelType.LLM:
            return self.name
        return f"{self.name} ({self.model_type.value})"


class RefKind(enum.StrEnum):
    """What a reference names (the values of :mod:`compiler.runtime.references`)."""

    PRESET = references.PRESET
    ALIAS = references.ALIAS
    WATERFALL = references.WATERFALL
    HANDLE = references.HANDLE
    BARE = references.BARE

    @property
    def is_handle(self) -> bool:
        """True for the kinds that may name a model (everything but a preset)."""
        return self is not RefKind.PRESET


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference as written, parsed once; ``span`` is where it is written."""

    text: str
    kind: RefKind
    name: str
    span: Span

    @staticmethod
    def parse(text: str, span: Span) -> Ref:
        kind, name = references.parse(text)
        return Ref(text, RefKind(kind), name, span)


@dataclass(frozen=True)
class Backend:
    name: str
    enabled: bool
    display_name: str | None
    credentials: Mapping[str, str]
    options: Mapping[str, Scalar]
    order: int
    span: Span
    field_spans: Mapping[str, Span]  # where each credential and option is written
    constraints: Mapping[str, JSONValue] = field(default_factory=dict)  # merged into each model


@dataclass(frozen=True)
class ModelSpec:
    """One model as one backend serves it; ``fields`` hold every known field that is set."""

    key: ModelKey
    backend: str
    fields: Mapping[str, JSONValue]
    extensions: Mapping[str, JSONValue]
    span: Span

    @property
    def name(self) -> str:
        return self.key.name

    @property
    def model_id(self) -> str:
        return str(self.fields["model_id"])

    @property
    def max_tokens(self) -> int | None:
        value = self.fields.get("max_tokens")
        return value if isinstance(value, int) else None

    @property
    def fixed_temperature(self) -> float | None:
        value = (self.fields.get("valued_constraints") or {}).get("fixed_temperature")
        return float(value) if isinstance(value, int | float) else None


@dataclass(frozen=True)
class BackendRef:
    """A backend named by a profile (its ``default`` or a ``fallback_order`` entry)."""

    backend: str
    span: Span


@dataclass(frozen=True)
class Route:
    pattern: Pattern
    backend: str
    optional: bool
    span: Span


@dataclass(frozen=True)
class Profile:
    name: str
    description: str | None
    default: BackendRef | None
    routes: tuple[Route, ...]  # ``routes`` then ``optional_routes``, in declaration order
    fallback_order: tuple[BackendRef, ...]
    span: Span


@dataclass(frozen=True)
class Alias:
    """An alias: one target, or (``is_list``) a fallback chain tried in order."""

    name: str
    targets: tuple[Ref, ...]
    is_list: bool
    span: Span
    replaced: tuple[Span, ...] = ()  # earlier definitions this one replaced


@dataclass(frozen=True)
class Waterfall:
    """A fallback chain of its own (the pipelex-0.92 layout): the first served step wins."""

    name: str
    steps: tuple[Ref, ...]
    span: Span
    replaced: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Preset:
    """A preset after field-by-field merging: ``target`` is the reference of its model, and
    ``field_spans`` says where each field was set last."""

    name: str
    target: Ref
    values: Mapping[str, JSONValue]
    field_spans: Mapping[str, Span]
    span: Span

    @property
    def temperature(self) -> float | None:
        value = self.values.get("temperature")
        return float(value) if isinstance(value, int | float) else None

    @property
    def max_tokens(self) -> MaxTokens | None:
        value = self.values.get("max_tokens")
        if isinstance(value, int):
            return value
        return "auto" if value == "auto" else None


@dataclass(frozen=True)
class Choice:
    """A choice default or override; ``ref`` is None for an override ``"disabled"``."""

    kind: str
    value: str
    ref: Ref | None
    span: Span


@dataclass(frozen=True)
class Deck:
    """The deck of one model type."""

    model_type: ModelType
    aliases: Mapping[str, Alias] = field(default_factory=dict)
    waterfalls: Mapping[str, Waterfall] = field(default_factory=dict)
    presets: Mapping[str, Preset] = field(default_factory=dict)
    choice_defaults: Mapping[str, Choice] = field(default_factory=dict)
    choice_overrides: Mapping[str, Choice] = field(default_factory=dict)
    choice_kinds: tuple[str, ...] = ()  # every choice this model type knows, in order
    settings: Mapping[str, JSONValue] = field(default_factory=dict)  # default_temperature...


@dataclass(frozen=True)
class Config:
    """Every source, typed.  Mappings keep declaration order; ``models`` is sorted by key, each
    key's backends in ``backends.toml`` order."""

    dialect: Dialect
    backends: Mapping[str, Backend]
    models: Mapping[ModelKey, Mapping[str, ModelSpec]]  # key -> backend -> spec
    profiles: Mapping[str, Profile]
    active: str
    active_span: Span
    decks: Mapping[ModelType, Deck]
    sources: Mapping[str, str]  # path -> sha256

    def serves(self, backend: str, key: ModelKey) -> bool:
        return backend in self.models.get(key, {})

    def keys(self, model_type: ModelType) -> list[ModelKey]:
        """The declared models of one type, sorted by name."""
        return [key for key in self.models if key.model_type is model_type]

    def spec(self, backend: str, key: ModelKey) -> ModelSpec:
        return self.models[key][backend]

    def declarations(self, key: ModelKey) -> list[ModelSpec]:
        """Every backend's spec of ``key``, in ``backends.toml`` order."""
        return list(self.models.get(key, {}).values())
