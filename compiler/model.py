"""The typed model of the sources and of their resolution.

Frozen values flow between stages: ``build`` makes a :class:`Config` from validated sources,
``resolve`` makes a :class:`Resolved` from a Config.  Keys that may one day be per model type
(SPEC §6) carry the type: the deck is ``decks["llm"]``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from compiler.errors import Location
from compiler.patterns import Pattern

Scalar = str | int | float | bool
JSONValue = Any
MaxTokens = int | Literal["auto"]

CREDENTIAL_KEYS = ("api_key", "endpoint", "api_version")
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
CHOICE_KINDS = ("for_text", "for_object")
DISABLED = "disabled"


class ModelType(enum.StrEnum):
    LLM = "llm"
    IMG_GEN = "img_gen"
    TEXT_EXTRACTOR = "text_extractor"
    SEARCH = "search"
    DOC_GEN = "doc_gen"
    JUDGMENT = "judgment"


@dataclass(frozen=True)
class Backend:
    name: str
    enabled: bool
    display_name: str | None
    credentials: Mapping[str, str]
    options: Mapping[str, Scalar]
    order: int
    location: Location


@dataclass(frozen=True)
class ModelSpec:
    """One model as one backend serves it; ``fields`` hold every known field that is set."""

    name: str
    backend: str
    fields: Mapping[str, JSONValue]
    extensions: Mapping[str, JSONValue]
    location: Location

    @property
    def model_id(self) -> str:
        return str(self.fields["model_id"])

    @property
    def model_type(self) -> str:
        return str(self.fields["model_type"])

    @property
    def max_tokens(self) -> int | None:
        value = self.fields.get("max_tokens")
        return value if isinstance(value, int) else None

    @property
    def fixed_temperature(self) -> float | None:
        value = (self.fields.get("valued_constraints") or {}).get("fixed_temperature")
        return float(value) if isinstance(value, int | float) else None


@dataclass(frozen=True)
class Route:
    pattern: Pattern
    backend: str
    optional: bool
    location: Location


@dataclass(frozen=True)
class Profile:
    name: str
    description: str | None
    default: str | None
    routes: tuple[Route, ...]  # ``routes`` then ``optional_routes``, in declaration order
    fallback_order: tuple[str, ...]
    location: Location
    default_location: Location | None
    fallback_locations: tuple[Location, ...]


class Namespace(enum.Enum):
    ANY = "any"
    ALIAS = "alias"
    PRESET = "preset"


@dataclass(frozen=True)
class Ref:
    """A reference as written: ``name``, ``@name`` / ``alias:name``, ``$name`` / ``preset:name``."""

    text: str
    namespace: Namespace
    name: str

    @staticmethod
    def parse(text: str) -> Ref:
        for prefix, namespace in (
            ("@", Namespace.ALIAS),
            ("alias:", Namespace.ALIAS),
            ("$", Namespace.PRESET),
            ("preset:", Namespace.PRESET),
        ):
            if text.startswith(prefix) and len(text) > len(prefix):
                return Ref(text, namespace, text[len(prefix) :])
        return Ref(text, Namespace.ANY, text)


@dataclass(frozen=True)
class Alias:
    name: str
    targets: tuple[str, ...]
    is_list: bool
    location: Location
    replaced: tuple[Location, ...] = ()  # earlier definitions this one replaced


PRESET_FIELDS = (
    "llm_handle",
    "temperature",
    "max_tokens",
    "prompting_target",
    "reasoning_effort",
    "description",
)


@dataclass(frozen=True)
class Preset:
    """A preset after field-by-field merging; ``locations`` says where each field was set last."""

    name: str
    values: Mapping[str, JSONValue]
    locations: Mapping[str, Location]
    location: Location

    @property
    def llm_handle(self) -> str | None:
        value = self.values.get("llm_handle")
        return value if isinstance(value, str) else None

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
    kind: str
    value: str
    location: Location


@dataclass(frozen=True)
class Deck:
    aliases: Mapping[str, Alias]
    presets: Mapping[str, Preset]
    choice_defaults: Mapping[str, Choice]
    choice_overrides: Mapping[str, Choice]


@dataclass(frozen=True)
class Config:
    """Every source, typed.  Mappings keep declaration order."""

    backends: Mapping[str, Backend]
    models: Mapping[str, Mapping[str, ModelSpec]]  # backend -> model name -> spec
    profiles: Mapping[str, Profile]
    active: str
    active_location: Location
    decks: Mapping[str, Deck]  # model type -> deck; "llm" only for now
    sources: Mapping[str, str]  # path -> sha256

    @property
    def deck(self) -> Deck:
        return self.decks[ModelType.LLM]

    def model_names(self) -> list[str]:
        """Every declared model name, sorted."""
        return sorted({name for specs in self.models.values() for name in specs})

    def serves(self, backend: str, model: str) -> bool:
        return model in self.models.get(backend, {})


class RuleKind(enum.Enum):
    EXACT = "exact"
    WILDCARD = "wildcard"
    DEFAULT = "default"
    FALLBACK = "fallback_order"
    SEARCH = "search"


@dataclass(frozen=True)
class Routing:
    """Where one model goes under one profile, and by which rule; or why it goes nowhere."""

    model: str
    backend: str | None
    rule: RuleKind | None
    route: Route | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Skipped:
    handle: str
    reason: str


@dataclass(frozen=True)
class Resolution:
    """A handle followed to a model and backend under one profile (``reason`` when unavailable)."""

    handle: str
    path: tuple[str, ...]  # names followed from the handle to the model, handle first
    model: str | None
    backend: str | None
    skipped: tuple[Skipped, ...] = ()
    reason: str | None = None

    @property
    def available(self) -> bool:
        return self.backend is not None


@dataclass(frozen=True)
class SelectedChoice:
    kind: str
    default: str | None
    override: str | None
    selected: str | None
    namespace: Namespace  # PRESET or ANY (a handle)
    target: str | None  # the preset or handle name selected


@dataclass(frozen=True)
class ProfileResolution:
    profile: Profile
    routing: Mapping[str, Routing]
    aliases: Mapping[str, Resolution]
    presets: Mapping[str, Resolution]


@dataclass(frozen=True)
class Resolved:
    config: Config
    profiles: Mapping[str, ProfileResolution]
    choices: Mapping[str, SelectedChoice]
