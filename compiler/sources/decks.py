"""The model deck of each layout, built from its files (PIPELEX-DIALECTS.md).

The seed's layout (pipelex-0.10) has one LLM deck: top-level ``[aliases]`` (a list is a fallback
chain), ``[llm_presets]`` and the LLM choices.  The current layout (pipelex-0.92) has one deck per
model family (``[llm.*]``, ``[extract.*]``, ``[img_gen.*]``...): string aliases, waterfalls,
presets whose ``model`` is a reference, and each family's choices and settings.  In both, later
files override earlier ones: presets field by field, everything else whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import DeckError, Location, SchemaError, Span
from ..core.ir import (
    DISABLED,
    Alias,
    Choice,
    Deck,
    ModelType,
    Preset,
    Ref,
    Waterfall,
)
from .load import DECK_DIR, SourceFile

# The seed layout's deck tables: the LLM deck (SPEC §2).
ALIASES, PRESETS = "aliases", "llm_presets"
CHOICE_DEFAULTS, CHOICE_OVERRIDES = "llm_choice_defaults", "llm_choice_overrides"
LLM_CHOICE_KINDS = ("for_text", "for_object")
PRESET_TARGET = "llm_handle"


@dataclass(frozen=True)
class Family:
    """One model family's deck table in the current layout."""

    table: str  # the deck table: ``[extract]`` holds the text_extractor deck
    model_type: ModelType
    # keys the merged deck must set (Pipelex's blueprint): of the family table, or
    # ``<choice table>.<key>`` for a choice or setting written in the family's choice table
    required: tuple[str, ...]
    settings: tuple[str, ...] = ()  # family-wide values: default_temperature, default_quality
    choice_kinds: tuple[str, ...] = ("choice_default",)  # () for doc_gen: its keys are data
    choice_table: str | None = None  # where the choices are written; None: in the family table
    preset_defaults: Mapping[str, Any] = field(default_factory=dict)


CHOICE_DEFAULT = "choice_default"
FAMILIES = (
    Family(
        "llm",
        ModelType.LLM,
        tuple(f"choice_defaults.{k}" for k in ("default_temperature", *LLM_CHOICE_KINDS)),
        settings=("default_temperature",),
        choice_kinds=LLM_CHOICE_KINDS,
        choice_table="choice_defaults",
    ),
    Family("extract", ModelType.TEXT_EXTRACTOR, (CHOICE_DEFAULT,)),
    Family("img_gen", ModelType.IMG_GEN, ("default_quality", CHOICE_DEFAULT), ("default_quality",)),
    Family(
        "search",
        ModelType.SEARCH,
        (CHOICE_DEFAULT,),
        preset_defaults={"include_images": False, "include_inline_citations": True},
    ),
    Family("doc_gen", ModelType.DOC_GEN, (), choice_kinds=(), choice_table="choice_defaults"),
    Family("judgment", ModelType.JUDGMENT, ()),
)
FAMILY_OF = {family.model_type: family for family in FAMILIES}


def seed_deck(files: Sequence[SourceFile], problems: list[DeckError]) -> dict[ModelType, Deck]:
    """The seed layout's deck (SPEC §2): aliases (a list is a fallback chain), LLM presets and
    choices, later files overriding earlier ones (presets field by field)."""
    aliases: dict[str, Alias] = {}
    presets = _Presets(PRESET_TARGET, "<model or alias>")
    choices: dict[str, dict[str, Choice]] = {CHOICE_DEFAULTS: {}, CHOICE_OVERRIDES: {}}
    for file in files:
        for name, target in file.data.get(ALIASES, {}).items():
            span = file.span((ALIASES, name))
            is_list = isinstance(target, list)
            texts = target if is_list else [target]
            refs = tuple(
                Ref.parse(text, _item(span, i) if is_list else span) for i, text in enumerate(texts)
            )
            earlier = aliases.get(name)
            if is_list and earlier is not None and earlier.is_list:
                problems.append(_list_over_list(earlier, refs, span))
            aliases[name] = Alias(name, refs, is_list, span, _replaced(earlier))
        presets.add(file, file.data.get(PRESETS, {}), (PRESETS,))
        for section, table in choices.items():
            for kind in LLM_CHOICE_KINDS:
                if kind in file.data.get(section, {}):
                    table[kind] = _choice(
                        file, (section, kind), override=section == CHOICE_OVERRIDES, sigils=False
                    )
    deck = Deck(
        model_type=ModelType.LLM,
        aliases=aliases,
        presets=presets.finish(problems),
        choice_defaults=choices[CHOICE_DEFAULTS],
        choice_overrides=choices[CHOICE_OVERRIDES],
        choice_kinds=LLM_CHOICE_KINDS,
    )
    return {ModelType.LLM: deck}


def current_decks(files: Sequence[SourceFile], problems: list[DeckError]) -> dict[ModelType, Deck]:
    """The current layout's decks, one per model family, merged over ``files`` in order."""
    return {family.model_type: _family_deck(family, files, problems) for family in FAMILIES}


def _family_deck(family: Family, files: Sequence[SourceFile], problems: list[DeckError]) -> Deck:
    name = family.table
    aliases: dict[str, Alias] = {}
    waterfalls: dict[str, Waterfall] = {}
    required = "temperature" if family.model_type is ModelType.LLM else None
    presets = _Presets("model", "<model, @alias or ~waterfall>", required)
    defaults: dict[str, Choice] = {}
    overrides: dict[str, Choice] = {}
    settings: dict[str, Any] = {}
    seen: dict[str, Span] = {}  # every key of the family table set by some file
    for file in files:
        table = file.data.get(name)
        if not isinstance(table, Mapping):
            continue
        for key in table:
            seen.setdefault(key, file.span((name, key)))
        for alias, target in table.get("aliases", {}).items():
            span = file.span((name, "aliases", alias))
            ref = Ref.parse(target, span)
            aliases[alias] = Alias(alias, (ref,), False, span, _replaced(aliases.get(alias)))
        for waterfall, steps in table.get("waterfalls", {}).items():
            span = file.span((name, "waterfalls", waterfall))
            refs = tuple(Ref.parse(step, _item(span, i)) for i, step in enumerate(steps))
            earlier = waterfalls.get(waterfall)
            waterfalls[waterfall] = Waterfall(waterfall, refs, span, _replaced(earlier))
        presets.add(file, table.get("presets", {}), (name, "presets"))
        choice_path = (name, family.choice_table) if family.choice_table else (name,)
        choice_table = table.get(family.choice_table, {}) if family.choice_table else table
        for key, value in choice_table.items():
            if key in family.settings:
                settings[key] = value
            elif key in family.choice_kinds or (family.model_type is ModelType.DOC_GEN):
                defaults[key] = _choice(file, (*choice_path, key), override=False, sigils=True)
        for key in table.get("choice_overrides", {}):
            path = (name, "choice_overrides", key)
            overrides[key] = _choice(file, path, override=True, sigils=True)
    _check_required(family, files, seen, defaults, overrides, settings, problems)
    return Deck(
        model_type=family.model_type,
        aliases=aliases,
        waterfalls=waterfalls,
        presets=presets.finish(problems, family.preset_defaults),
        choice_defaults=defaults,
        choice_overrides=overrides,
        choice_kinds=family.choice_kinds or tuple(defaults),
        settings=settings,
    )


def _check_required(
    family: Family,
    files: Sequence[SourceFile],
    seen: Mapping[str, Span],
    defaults: Mapping[str, Choice],
    overrides: Mapping[str, Choice],
    settings: Mapping[str, Any],
    problems: list[DeckError],
) -> None:
    """What Pipelex requires of the merged deck: the llm, extract, img_gen and search tables with
    their choice defaults (doc_gen and judgment are optional)."""
    present = set(seen)
    if family.choice_table:
        present |= {f"{family.choice_table}.{k}" for k in (*defaults, *settings)}
    missing = [k for k in family.required if k not in present]
    if "choice_overrides" in seen:  # Pipelex: both kinds, once the files are merged
        missing += [f"choice_overrides.{k}" for k in family.choice_kinds if k not in overrides]
    if not missing:
        return
    where = seen.get(family.choice_table or "") or next(iter(seen.values()), None)
    location = where.location if where else Location(f"{DECK_DIR}/")
    keys = ", ".join(f"{family.table}.{k}" for k in missing)
    them = "them" if len(missing) > 1 else "it"
    problems.append(
        SchemaError(
            f"the deck sets no {keys}",
            location=location,
            key_path=(family.table,),
            hint=f"set {them} in one of the deck files ({', '.join(f.path for f in files[:3])})"
            if files
            else "add a deck/*.toml file",
        )
    )


class _Presets:
    """Presets merged field by field across files, each field located where it was set last."""

    def __init__(self, target_key: str, target_hint: str, required: str | None = None) -> None:
        self.target_key = target_key
        self.target_hint = target_hint
        self.required = required
        self.values: dict[str, dict[str, Any]] = {}
        self.field_spans: dict[str, dict[str, Span]] = {}
        self.first_span: dict[str, Span] = {}

    def add(self, file: SourceFile, table: Mapping[str, Any], path: tuple[str, ...]) -> None:
        for name, preset in table.items():
            self.first_span.setdefault(name, file.span((*path, name)))
            self.values.setdefault(name, {}).update(preset)
            spans = self.field_spans.setdefault(name, {})  # an empty preset table has no fields
            for key in preset:
                spans[key] = file.span((*path, name, key))

    def finish(
        self, problems: list[DeckError], defaults: Mapping[str, Any] | None = None
    ) -> dict[str, Preset]:
        presets: dict[str, Preset] = {}
        for name, merged in self.values.items():
            target = merged.get(self.target_key)
            if not isinstance(target, str):
                problems.append(
                    SchemaError(
                        f"preset `{name}` has no {self.target_key}",
                        span=self.first_span[name],
                        hint=f'add {self.target_key} = "{self.target_hint}"',
                    )
                )
                continue
            spans = self.field_spans[name]
            if self.required and self.required not in merged:
                problems.append(
                    SchemaError(
                        f"preset `{name}` has no {self.required}",
                        span=self.first_span[name],
                        hint=f"add {self.required} = ... (Pipelex requires it)",
                    )
                )
                continue
            values = {**(defaults or {}), **merged}
            target_ref = Ref.parse(target, spans[self.target_key])
            presets[name] = Preset(name, target_ref, values, spans, self.first_span[name])
        return presets


def _choice(file: SourceFile, path: tuple[str, ...], *, override: bool, sigils: bool) -> Choice:
    """A choice as written; an override ``"disabled"`` (in the current layout, with or without a
    sigil) selects nothing."""
    value = _get(file.data, path)
    span = file.span(path)
    ref = Ref.parse(value, span)
    if override and (value == DISABLED or (sigils and ref.name == DISABLED)):
        return Choice(path[-1], DISABLED, None, span)
    return Choice(path[-1], value, ref, span)


def _get(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = data
    for key in path:
        value = value[key]
    return value


def _item(span: Span, index: int) -> Span:
    return Span(span.location, (*span.key_path, index))


def _list_over_list(earlier: Alias, refs: tuple[Ref, ...], span: Span) -> DeckError:
    """A fallback list re-set as a list by a later deck file: Pipelex 0.10.2 appends the two
    (``deep_update`` concatenates lists), where the seed's layout replaces the value whole; deckc
    refuses it rather than resolve it otherwise than Pipelex."""
    appended = ", ".join(r.text for r in (*earlier.targets, *refs))
    return SchemaError(
        f"alias `{earlier.name}` is a fallback list in {earlier.span.location.file} and again "
        f"here: Pipelex 0.10 appends the two lists ([{appended}]), it does not replace the first",
        span=span,
        related=[earlier.span],
        hint="write the whole list in one deck file (or give the later alias another name)",
    )


def _replaced(earlier: Alias | Waterfall | None) -> tuple[Span, ...]:
    return (*earlier.replaced, earlier.span) if earlier else ()
