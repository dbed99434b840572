"""``deckc migrate``: a pipelex-0.10 configuration written in the pipelex-0.92 layout.

:func:`migrate` is pure: from the loaded sources, the built configuration and the source texts it
returns the text of every file of the new layout (by path) and the notes a person should read
(what could not be carried over, and each value chosen where 0.92 requires one that 0.10 did not).
The rules keep every answer identical under every profile (PIPELEX-DIALECTS.md):

- a list alias becomes a waterfall of the same name; a bare name stays bare (both layouts look it
  up as a served model first, then as an alias or waterfall);
- a profile with a ``default`` and no usable ``fallback_order`` gets every backend as its
  ``fallback_order`` (0.10 searches every enabled backend after a default that lacks the model;
  0.92 only ``internal``);
- a ``default`` or a route naming a disabled backend is kept where it sends a model there (both
  layouts refuse the profile); where it sends none (0.10 boots the profile, 0.92 refuses it) the
  default is dropped and the route made optional.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import tomli_w

from ..core.errors import Location, ModelsManagerError
from ..core.ir import DISABLED, INTERNAL, Config, Deck, Dialect, ModelType, Ref, RefKind
from ..core.resources import load_schema
from ..semantics.routing import refusals, route_profile
from ..sources.decks import LLM_CHOICE_KINDS
from ..sources.load import BACKENDS_FILE, ROUTING_FILE, SourceFile, SourceSet
from ..sources.positions import comment_lines

DEFAULT_TEMPERATURE = 1  # what a 0.10 choice naming a model, or a preset without one, runs at
DEFAULT_QUALITY = "medium"
DESCRIPTION = "Migrated from pipelex-0.10"
DECK_FILES = {
    ModelType.LLM: "deck/1_llm_deck.toml",
    ModelType.TEXT_EXTRACTOR: "deck/2_extract_deck.toml",
    ModelType.IMG_GEN: "deck/3_img_gen_deck.toml",
    ModelType.SEARCH: "deck/4_search_deck.toml",
}
FAMILY_TABLES = {
    ModelType.TEXT_EXTRACTOR: "extract",
    ModelType.IMG_GEN: "img_gen",
    ModelType.SEARCH: "search",
}
UNSET_CHOICE = "handle:no-model-migrated"  # a dangling handle: a warning in 0.92, never served
PRESET_KEEP = ("temperature", "max_tokens", "reasoning_effort", "description")


def _enum(schema: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(schema["enum"])


# What the pipelex-0.92 model files and deck accept, read from deckc's schemas of them.
_MODEL = load_schema("backend_models-0.92")["$defs"]["model"]["properties"]
MODEL_KEEP = tuple(k for k in _MODEL if k not in ("handle", "enabled", "prompting_target"))
COST_KEYS = _enum(_MODEL["costs"]["propertyNames"])
LISTED_CONSTRAINTS = _enum(_MODEL["listed_constraints"]["items"])
VALUED_CONSTRAINTS = tuple(_MODEL["valued_constraints"]["properties"])
RULE_KEYS = _enum(_MODEL["rules"]["propertyNames"])
THINKING_MODES = _enum(_MODEL["thinking_mode"])
REASONING_EFFORTS = _enum(
    load_schema("deck-0.92")["properties"]["llm"]["properties"]["presets"]["additionalProperties"][
        "properties"
    ]["reasoning_effort"]
)
_HEADER_KEY = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]*-[!#$%&'*+.^_`|~0-9A-Za-z-]*$")
_HEADER_VALUE = re.compile(r"^([\x21-\x7e]([ \t\x21-\x7e]*[\x21-\x7e])?)?$")


class MigrateError(ModelsManagerError):
    """The configuration cannot be migrated (it is not pipelex-0.10)."""


@dataclass(frozen=True)
class Note:
    """Something a person should know about the migration, located in the 0.10 sources."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Migration:
    files: dict[str, str]  # relative path -> TOML text
    notes: tuple[Note, ...]


# --- TOML text ---------------------------------------------------------------------------------


Document = dict[str, Any]


def _put(doc: Document, path: Sequence[str], values: Mapping[str, Any]) -> None:
    """Set the table at ``path`` of ``doc`` to ``values`` (tables on the way are made)."""
    for part in path:
        doc = doc.setdefault(part, {})
    doc.update(values)


def _text(doc: Document, title: str) -> str:
    head = f"# {title}\n# Migrated from the pipelex-0.10 layout by `deckc migrate`.\n"
    return head + ("\n" + tomli_w.dumps(doc) if doc else "")


# --- references --------------------------------------------------------------------------------


def _reference(ref: Ref, deck: Deck) -> str:
    """``ref`` in 0.92's syntax.  A bare name is looked up the same way in both layouts (a served
    model, then an alias; a list alias becomes a waterfall of the same name), so it stays bare;
    an explicit alias reference to a list alias becomes a waterfall reference."""
    if ref.kind is RefKind.ALIAS and deck.aliases[ref.name].is_list:
        return "~" + ref.name
    return ref.text


def _choice_reference(ref: Ref, deck: Deck) -> str:
    """A 0.10 choice: a bare name is a preset first."""
    if ref.kind is RefKind.PRESET or (ref.kind is RefKind.BARE and ref.name in deck.presets):
        return "$" + ref.name
    return _reference(ref, deck)


# --- the migration -----------------------------------------------------------------------------


class _Notes:
    def __init__(self) -> None:
        self.items: list[Note] = []

    def at(self, location: Location, message: str) -> None:
        self.items.append(Note(location.file, location.line or None, message))

    def file(self, path: str, message: str) -> None:
        self.items.append(Note(path, None, message))


def migrate(sources: SourceSet, config: Config, texts: Mapping[str, str]) -> Migration:
    """The 0.92 files of a 0.10 configuration and the notes; raises :class:`MigrateError` when
    the configuration is not pipelex-0.10.  ``texts`` are the source texts by path (for the
    comments that are not carried over)."""
    if config.dialect is not Dialect.PIPELEX_0_10:
        where = sources.decks[0].path if sources.decks else "deck/"
        raise MigrateError(
            f"the configuration is already {config.dialect.value}: nothing to migrate",
            location=Location(where),
        )
    notes = _Notes()
    files: dict[str, str] = {BACKENDS_FILE: texts[BACKENDS_FILE]}  # same syntax: copied as is
    if INTERNAL in config.backends:
        notes.at(
            config.backends[INTERNAL].span.location,
            f"backend `{INTERNAL}` is pipelex-0.92's software-only backend: routing treats it "
            "specially there",
        )
    files[ROUTING_FILE] = _routing(sources.routing, config, notes)
    for backend, file in sources.models.items():
        files[file.path] = _model_file(backend, file, notes)
    for name, backend_ in config.backends.items():
        served = any(name in specs for specs in config.models.values())
        if backend_.enabled and not served and name != INTERNAL:
            notes.at(
                backend_.span.location,
                f"backend `{name}` is enabled but serves no model: pipelex-0.92 refuses to boot "
                "then; list its models in its file, or disable it (routes to it then stop "
                "matching)",
            )
    deck = config.decks[ModelType.LLM]
    files[DECK_FILES[ModelType.LLM]] = _llm_deck(deck, notes)
    for model_type, table in FAMILY_TABLES.items():
        files[DECK_FILES[model_type]] = _family_deck(model_type, table, config)
    for path in sorted(sources.ignored):
        notes.file(path, "ignored by pipelex-0.10, not migrated")
    _comments(texts, notes)
    return Migration(files, tuple(notes.items))


def _comments(texts: Mapping[str, str], notes: _Notes) -> None:
    for path in sorted(texts):
        if path == BACKENDS_FILE:  # copied with its comments
            continue
        for line in comment_lines(texts[path]):
            notes.items.append(Note(path, line, "comment not carried over"))


def _routing(file: SourceFile, config: Config, notes: _Notes) -> str:
    enabled = {name for name, b in config.backends.items() if b.enabled}
    doc: Document = {"active": config.active}
    profiles: Mapping[str, Any] = file.data.get("profiles", {})
    for name, raw in profiles.items():
        profile = config.profiles[name]
        path = ("profiles", name)
        head: dict[str, Any] = {"description": raw.get("description") or DESCRIPTION}
        default = raw.get("default")
        fallback = list(raw.get("fallback_order", []))
        _, placements, _ = route_profile(config, profile)
        refusing = refusals(config, placements)
        if default is not None and default not in enabled and profile.default not in refusing:
            notes.at(
                file.locate((*path, "default")),
                f"profile {name}: default backend {default} is disabled and no model goes to it "
                "(pipelex-0.10 boots the profile, pipelex-0.92 would refuse it): not written",
            )
            default = None
        if default is not None:
            head["default"] = default
            if not [b for b in fallback if b in enabled]:
                fallback = list(config.backends)
                notes.at(
                    file.locate(path),
                    f"profile {name}: fallback_order = every backend, the search pipelex-0.10 "
                    "makes after a default that lacks the model (0.92 would try `internal` only)",
                )
        if fallback or "fallback_order" in raw:
            head["fallback_order"] = fallback
        _put(doc, path, head)
        routes: dict[str, str] = {}
        optional: dict[str, str] = {}
        for route in profile.routes:
            pattern = route.pattern.text
            if not route.optional and route.backend not in enabled and route not in refusing:
                notes.at(
                    route.span.location,
                    f"profile {name}: route `{pattern}` to disabled backend {route.backend} sends "
                    "no model there: written as an optional route (pipelex-0.92 refuses any "
                    "route to a disabled backend; pipelex-0.10 only one that sends it a model)",
                )
                target = optional
            else:
                target = optional if route.optional else routes
            if pattern in routes or pattern in optional:
                notes.at(
                    route.span.location,
                    f"profile {name}: `{pattern}` routed twice (an error in pipelex-0.92): "
                    "the later route is dropped",
                )
                continue
            target[pattern] = route.backend
        if routes:
            _put(doc, (*path, "routes"), routes)
        if optional:
            _put(doc, (*path, "optional_routes"), optional)
    return _text(doc, "Routing profiles")


def _model_file(backend: str, file: SourceFile, notes: _Notes) -> str:
    defaults: dict[str, Any] = {}
    models: list[tuple[str, tuple[str, ...], Mapping[str, Any]]] = []
    for key, value in file.data.items():
        if key == "defaults":
            defaults.update(_model_fields(file, (key,), value, notes))
        elif key.startswith("default_") and not isinstance(value, Mapping):
            field = key.removeprefix("default_")
            defaults.update(_model_fields(file, (key,), {field: value}, notes))
        elif key == "models":
            models += [(name, ("models", name), table) for name, table in value.items()]
        elif isinstance(value, Mapping):
            models.append((key, (key,), value))
    headers = {k: defaults.pop(k) for k in list(defaults) if "-" in k}  # no headers in defaults
    doc: Document = {}
    if defaults:
        _put(doc, ("defaults",), defaults)
    for name, path, table in models:
        _put(doc, (name,), {**headers, **_model_fields(file, path, table, notes)})
    return _text(doc, f"Models served by backend {backend}")


def _model_fields(
    file: SourceFile, path: tuple[str, ...], table: Mapping[str, Any], notes: _Notes
) -> dict[str, Any]:
    """The fields of a model (or of the defaults) that 0.92 accepts; a note for each dropped."""
    kept: dict[str, Any] = {}

    def drop(key: str, why: str) -> None:
        notes.at(file.locate((*path, key)), f"`{key}` not carried over: {why}")

    for key, value in table.items():
        if key.startswith("x-"):
            if isinstance(value, str) and _HEADER_KEY.match(key) and _HEADER_VALUE.match(value):
                kept[key] = value
                notes.at(
                    file.locate((*path, key)),
                    f"`{key}` is an HTTP header in pipelex-0.92 (sent with the model's requests)",
                )
            else:
                drop(key, "in pipelex-0.92 a hyphenated key is an HTTP header (a string)")
        elif key == "constraints":
            listed = [c for c in value if c in LISTED_CONSTRAINTS]
            kept.setdefault("listed_constraints", listed)
            for constraint in value:
                if constraint not in LISTED_CONSTRAINTS:
                    drop(key, f"`{constraint}` is no pipelex-0.92 listed constraint")
        elif key not in MODEL_KEEP:
            drop(key, "pipelex-0.92 has no such model field")
        elif key == "costs":
            kept[key] = {k: v for k, v in value.items() if k in COST_KEYS}
            for cost in value:
                if cost not in COST_KEYS:
                    drop(key, f"`{cost}` is no pipelex-0.92 cost category")
        elif key == "valued_constraints":
            kept[key] = {k: v for k, v in value.items() if k in VALUED_CONSTRAINTS}
            for constraint in value:
                if constraint not in VALUED_CONSTRAINTS:
                    drop(key, f"`{constraint}` is no pipelex-0.92 valued constraint")
        elif key == "listed_constraints":
            if isinstance(value, list) and all(c in LISTED_CONSTRAINTS for c in value):
                kept[key] = value
            else:
                drop(key, "pipelex-0.92 takes a list of known constraints")
        elif key == "rules":
            ok = all(k in RULE_KEYS and isinstance(v, str) for k, v in value.items())
            if ok:
                kept[key] = value
            else:
                drop(key, "pipelex-0.92 takes known rule names with string values")
        elif key == "thinking_mode" and value not in THINKING_MODES:
            drop(key, f"pipelex-0.92 takes one of {', '.join(THINKING_MODES)}")
        else:
            kept[key] = value
    return kept


def _llm_deck(deck: Deck, notes: _Notes) -> str:
    doc: Document = {}
    aliases = {n: a for n, a in deck.aliases.items() if not a.is_list}
    chains = {n: a for n, a in deck.aliases.items() if a.is_list}
    if aliases:
        targets = {n: _reference(a.targets[0], deck) for n, a in aliases.items()}
        _put(doc, ("llm", "aliases"), targets)
    if chains:
        chain_values = {n: [_reference(t, deck) for t in a.targets] for n, a in chains.items()}
        _put(doc, ("llm", "waterfalls"), chain_values)
    for name, preset in deck.presets.items():
        values: dict[str, Any] = {"model": _reference(preset.target, deck)}
        for key, value in preset.values.items():
            location = preset.field_spans.get(key, preset.span).location
            if key == "llm_handle":
                continue
            if key == "reasoning_effort" and value not in REASONING_EFFORTS:
                notes.at(location, f"preset {name}: reasoning_effort `{value}` not carried over")
            elif key in PRESET_KEEP:
                values[key] = value
            else:
                notes.at(location, f"preset {name}: `{key}` not carried over (no 0.92 field)")
        if "temperature" not in values:
            values["temperature"] = DEFAULT_TEMPERATURE
            notes.at(
                preset.span.location,
                f"preset {name}: temperature = {DEFAULT_TEMPERATURE} written (pipelex-0.92 "
                "requires one; 0.10 left it to the provider, whose default is 1)",
            )
        _put(doc, ("llm", "presets", name), values)
    defaults: dict[str, Any] = {"default_temperature": DEFAULT_TEMPERATURE}
    for kind in LLM_CHOICE_KINDS:
        choice = deck.choice_defaults.get(kind)
        if choice is None or choice.ref is None:
            defaults[kind] = UNSET_CHOICE
            notes.file("deck/", f"no llm choice default {kind}: `{UNSET_CHOICE}` written")
        else:
            defaults[kind] = _choice_reference(choice.ref, deck)
    overrides: dict[str, Any] = {}
    for kind in LLM_CHOICE_KINDS:
        override = deck.choice_overrides.get(kind)
        ref = override.ref if override is not None else None
        overrides[kind] = DISABLED if ref is None else _choice_reference(ref, deck)
    written = [*defaults.values(), *overrides.values()]
    if any(isinstance(v, str) and v != DISABLED and not v.startswith("$") for v in written):
        notes.file(
            "deck/",
            f"default_temperature = {DEFAULT_TEMPERATURE} written (pipelex-0.92 requires it; "
            "it is the temperature of a choice naming a model rather than a preset)",
        )
    _put(doc, ("llm", "choice_defaults"), defaults)
    _put(doc, ("llm", "choice_overrides"), overrides)
    return _text(doc, "LLM deck")


def _family_deck(model_type: ModelType, table: str, config: Config) -> str:
    """The minimal deck 0.92 requires of a family 0.10 has no deck for: its choice default names
    the first model of the type (nothing chooses it in 0.10), else a dangling handle."""
    keys = config.keys(model_type)
    values: dict[str, Any] = {}
    if model_type is ModelType.IMG_GEN:
        values["default_quality"] = DEFAULT_QUALITY
    values["choice_default"] = f"handle:{keys[0].name}" if keys else UNSET_CHOICE
    return _text({table: values}, f"{table} deck (required by pipelex-0.92)")
