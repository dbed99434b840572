"""The records of ``deckc diff``: what changed (:class:`Change`, of a :class:`Kind`), sorted into
the sections a reviewer reads (:class:`Section`), in reading order (:func:`sort_key`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from ..core.ir import ModelType

Json = Any


class Section(enum.Enum):
    """Reviewer sections, in the order the text output shows them."""

    BACKENDS = "Backends"
    MODELS = "Models"
    COSTS = "Costs"
    ALIASES = "Aliases"
    WATERFALLS = "Waterfalls"
    PRESETS = "Presets"
    CHOICES = "Choices"
    PROFILES = "Profiles"
    ROUTING = "Routing"
    RESOLUTION = "Resolved handles"
    AVAILABILITY = "Availability"
    OTHER = "Other"


class Kind(enum.Enum):
    BACKEND_ADDED = "backend_added"
    BACKEND_REMOVED = "backend_removed"
    BACKEND_ENABLED = "backend_enabled"
    BACKEND_DISABLED = "backend_disabled"
    BACKEND_CHANGED = "backend_changed"
    MODEL_ADDED = "model_added"
    MODEL_REMOVED = "model_removed"
    MODEL_CHANGED = "model_changed"
    DIALECT_CHANGED = "dialect_changed"
    COST_CHANGED = "cost_changed"
    ALIAS_ADDED = "alias_added"
    ALIAS_REMOVED = "alias_removed"
    ALIAS_REPOINTED = "alias_repointed"
    WATERFALL_ADDED = "waterfall_added"
    WATERFALL_REMOVED = "waterfall_removed"
    WATERFALL_CHANGED = "waterfall_changed"
    PRESET_ADDED = "preset_added"
    PRESET_REMOVED = "preset_removed"
    PRESET_CHANGED = "preset_changed"
    CHOICE_ADDED = "choice_added"
    CHOICE_REMOVED = "choice_removed"
    CHOICE_CHANGED = "choice_changed"
    ACTIVE_PROFILE_CHANGED = "active_profile_changed"
    PROFILE_ADDED = "profile_added"
    PROFILE_REMOVED = "profile_removed"
    PROFILE_CHANGED = "profile_changed"
    ROUTE_ADDED = "route_added"
    ROUTE_REMOVED = "route_removed"
    ROUTE_CHANGED = "route_changed"
    ROUTING_MOVED = "routing_moved"
    RESOLUTION_CHANGED = "resolution_changed"
    BECAME_UNAVAILABLE = "became_unavailable"
    AVAILABLE_AGAIN = "available_again"
    OTHER = "other"

    @property
    def section(self) -> Section:
        return _SECTIONS[self.value.split("_")[0]]


_SECTIONS = {
    "backend": Section.BACKENDS,
    "model": Section.MODELS,
    "cost": Section.COSTS,
    "alias": Section.ALIASES,
    "waterfall": Section.WATERFALLS,
    "dialect": Section.OTHER,
    "preset": Section.PRESETS,
    "choice": Section.CHOICES,
    "active": Section.PROFILES,
    "profile": Section.PROFILES,
    "route": Section.PROFILES,
    "routing": Section.ROUTING,
    "resolution": Section.RESOLUTION,
    "became": Section.AVAILABILITY,
    "available": Section.AVAILABILITY,
    "other": Section.OTHER,
}


@dataclass(frozen=True)
class FieldChange:
    """One field of a record, before and after (``None`` when absent on that side)."""

    field: str
    old: Json
    new: Json
    relative: float | None = None  # (new - old) / old, for costs


@dataclass(frozen=True)
class Change:
    """One thing a reviewer should know.  ``subject`` is the name of what changed (a backend,
    model, alias, preset, choice kind, profile or route pattern); ``namespace`` says which kind of
    handle it is where that matters (``model``, ``alias``, ``preset``); ``profiles`` are the
    routing profiles where the change holds (effects are grouped across profiles)."""

    kind: Kind
    subject: str
    old: Json = None
    new: Json = None
    namespace: str = ""
    model_type: str = "llm"
    backend: str | None = None
    profiles: tuple[str, ...] = ()
    fields: tuple[FieldChange, ...] = ()
    detail: str | None = None

    @property
    def section(self) -> Section:
        return self.kind.section


_KIND_ORDER = {kind: i for i, kind in enumerate(Kind)}
_NAMESPACE_ORDER = {"": 0, "model": 1, "alias": 2, "waterfall": 3, "preset": 4}
_TYPE_ORDER = {t.value: i for i, t in enumerate(ModelType)}
_SECTION_ORDER = {section: i for i, section in enumerate(Section)}


def sort_key(change: Change) -> tuple[Any, ...]:
    section = _SECTION_ORDER[change.section]
    if change.section is Section.PROFILES:  # profile-level edits read best grouped by profile
        return (section, change.profiles, _KIND_ORDER[change.kind], change.subject)
    return (
        section,
        _TYPE_ORDER[change.model_type],
        _NAMESPACE_ORDER[change.namespace],
        change.subject,
        _KIND_ORDER[change.kind],
        change.backend or "",
        change.profiles,
    )
