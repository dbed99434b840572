"""Template views: the typed lockfile turned into the flat tables the runtime's data modules hold.

Views are computed from the lockfile alone (never from the sources), so the generated runtime
can always be re-made from a committed lockfile.  Every decision about the data is made here;
templates only loop, and the runtime (``compiler/runtime/lookup.py``) only looks up.

The tables are shaped for import speed.  Every value is a literal of constants only (strings,
numbers, ``None``, tuples), which Python folds into one constant unmarshalled from the ``.pyc``:
nothing is built entry by entry at import.  A mapping inside a value is a tuple whose first item is
``...`` (:func:`frozen`), turned back into a read-only dict when its record is built.  Big tables
are cut into sections (modules) the runtime imports only when a look-up needs them, so resolving
one handle costs the same for 50 models or 100,000: names are sorted, and a look-up bisects the
first names of the sections, then the names of one section.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..core.ir import Declared, Dialect, ModelType
from ..core.naming import py_literal
from ..runtime import references
from ..sources.decks import FAMILY_OF
from . import lock as L
from .lockfile import backend_json

# A handle's answer under one profile: a model routed directly -> the index of its spec; an
# alias or waterfall -> (index of the spec, names followed); unavailable -> the reason.
Entry = int | tuple[int, tuple[str, ...]] | str
Frozen = Any  # a JSON value with lists as tuples and mappings as (..., key, value, key, value)
Row = tuple[str, tuple[Entry, ...]]  # (profile, one entry per name), profiles in PROFILES order

HANDLES_PER_SECTION = 2048
SPECS_PER_SECTION = 64  # a look-up unmarshals one section: small ones keep cold starts short
# The preset parameters of each model type, as its record holds them, and those an unset
# preset parameter takes from the model's spec.
PRESET_FIELDS: Mapping[ModelType, tuple[str, ...]] = {
    ModelType.LLM: (
        "temperature",
        "max_tokens",
        "prompting_target",
        "reasoning_effort",
        "reasoning_budget",
        "image_detail",
        "description",
    ),
    ModelType.TEXT_EXTRACTOR: ("max_nb_images", "image_min_size", "description"),
    ModelType.IMG_GEN: (
        "quality",
        "nb_steps",
        "guidance_scale",
        "is_moderated",
        "safety_tolerance",
        "description",
    ),
    ModelType.SEARCH: ("include_images", "include_inline_citations", "max_results", "description"),
    ModelType.DOC_GEN: ("description",),
    ModelType.JUDGMENT: ("description",),
}
FROM_SPEC: Mapping[ModelType, tuple[str, ...]] = {ModelType.LLM: ("prompting_target",)}
# The record field each family setting fills in a choice that names a model (pipelex-0.92).
SETTING_FIELDS = {"default_temperature": "temperature", "default_quality": "quality"}


@dataclass(frozen=True)
class HandleSection:
    module: str
    names: tuple[str, ...]  # sorted
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class SpecSection:
    module: str
    specs: tuple[tuple[str, str, Frozen], ...]  # (backend, model, fields), by spec index


@dataclass(frozen=True)
class TypeNames:
    """Type expressions (already Python source) for one model type's ``Literal`` names."""

    handle: str  # models, aliases and waterfalls, bare and explicit
    preset_ref: str  # presets written as handles: $p, preset:p
    preset: str
    choice: str


@dataclass(frozen=True)
class DeckView:
    """One model type's deck module and handle sections."""

    model_type: ModelType
    module: str
    handle_sections: tuple[HandleSection, ...]
    handle_bounds: tuple[str, ...]  # the first name of every handle section but the first
    aliases: tuple[str, ...]
    waterfalls: tuple[str, ...]
    preset_names: tuple[str, ...]
    preset_params: tuple[tuple[str, Frozen], ...]  # (target, record fields) per preset
    preset_rows: tuple[Row, ...]
    explicit_names: tuple[str, ...]  # @alias / ~waterfall whose bare name means another thing
    explicit_rows: tuple[Row, ...]
    choices: tuple[tuple[str, str, str], ...]  # (kind, "preset" | "handle", target)
    # the handles (bare, or ``@a`` / ``~w``) with more than one candidate under some profile,
    # sorted, and per profile their candidates: (index of the spec, names followed), in order
    candidate_names: tuple[str, ...]
    candidate_rows: tuple[tuple[str, tuple[tuple[tuple[int, tuple[str, ...]], ...], ...]], ...]
    # the record fields of a choice naming a model; None: such a choice gives the handle's record
    choice_settings: Frozen
    from_spec: tuple[str, ...]
    names: TypeNames

    @property
    def symbol(self) -> str:
        """The model type as a Python name part: ``LLM``, ``ImgGen``..."""
        if self.model_type is ModelType.LLM:
            return "LLM"
        return "".join(part.capitalize() for part in self.model_type.value.split("_"))


@dataclass(frozen=True)
class Function:
    """A function of the typed API (deck.pyi): one signature per model type that has names for
    it, overloaded when there are several; a ``Never`` signature when there are none."""

    name: str
    signatures: tuple[tuple[str, str], ...]  # (parameters, return type), Python source

    @property
    def overloaded(self) -> bool:
        return len(self.signatures) > 1


@dataclass(frozen=True)
class RuntimeView:
    lock_sha256: str
    default_profile: str
    profiles: tuple[str, ...]
    decks: tuple[DeckView, ...]
    specs_per_section: int
    spec_sections: tuple[SpecSection, ...]
    backends_module: str
    backends: tuple[tuple[str, Frozen], ...]
    profile_type: str
    backend_type: str
    model_type_type: str
    functions: tuple[Function, ...]

    @property
    def typing_imports(self) -> str:
        """The names deck.pyi needs from ``typing``."""
        needed = {"Literal", "TypeAlias"}
        if any(f.overloaded for f in self.functions):
            needed.add("overload")
        texts = [self.profile_type, self.backend_type, self.model_type_type]
        texts += [t for d in self.decks for t in vars(d.names).values()]
        texts += [p for f in self.functions for p, _ in f.signatures]
        if any("Never" in t for t in texts):
            needed.add("Never")
        return ", ".join(sorted(needed))

    @property
    def short_names(self) -> tuple[tuple[str, str], ...]:
        """The LLM names under the short names the seed's layout knew them by."""
        if not any(d.model_type is ModelType.LLM for d in self.decks):
            return ()
        return tuple(
            (name, f"LLM{name}") for name in ("Handle", "PresetRef", "PresetName", "ChoiceKind")
        )


def frozen(value: Any) -> Frozen:
    """A JSON value as constants only: lists as tuples, mappings as ``(..., k, v, ...)``."""
    if isinstance(value, Mapping):
        flat: list[Any] = [...]
        for key in sorted(value):
            flat += (key, frozen(value[key]))
        return tuple(flat)
    if isinstance(value, list | tuple):
        return tuple(frozen(item) for item in value)
    return value


def literal_type(names: Iterable[str]) -> str:
    """``Literal[...]`` over ``names``, one per line; ``Never`` when there are none."""
    items = sorted(set(names))
    if not items:
        return "Never"
    body = "".join(f"    {py_literal(n)},\n" for n in items)
    return f"Literal[\n{body}]"


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [items]


class _Specs:
    """Every model spec of every type, indexed in (backend, model) order."""

    def __init__(self, lock: L.Lockfile) -> None:
        merged: dict[tuple[str, str, str], L.Spec] = {}
        for model_type, by_backend in lock.models.items():
            for backend, named in by_backend.items():
                for model, spec in named.items():
                    merged[(backend, model, model_type.value)] = spec
        self.index: dict[tuple[str, str, str], int] = {}
        self.specs: list[tuple[str, str, Frozen]] = []
        for key in sorted(merged):
            self.index[key] = len(self.specs)
            self.specs.append((key[0], key[1], frozen(merged[key])))

    def entry(self, model_type: ModelType, resolution: L.Resolution) -> Entry:
        if resolution.backend is None or resolution.model is None:
            return str(resolution.unavailable)
        index = self.index[(resolution.backend, resolution.model, model_type.value)]
        return index, resolution.path

    def routed(self, model_type: ModelType, model: str, routing: L.Routing) -> Entry:
        if routing.backend is None:
            return f"{model}: {routing.unavailable}"
        return self.index[(routing.backend, model, model_type.value)]


def runtime_view(lock: L.Lockfile, lock_sha256: str) -> RuntimeView:
    specs = _Specs(lock)
    profiles = tuple(sorted(lock.profiles))
    decks = tuple(
        _deck_view(lock, specs, profiles, model_type) for model_type in lock.model_types()
    )
    return RuntimeView(
        lock_sha256=lock_sha256,
        default_profile=lock.active_profile,
        profiles=profiles,
        decks=decks,
        specs_per_section=SPECS_PER_SECTION,
        spec_sections=tuple(
            SpecSection(f"_specs_{number}", tuple(chunk))
            for number, chunk in enumerate(_chunks(specs.specs, SPECS_PER_SECTION))
        ),
        backends_module="_backends",
        backends=tuple(
            (name, frozen(backend_json(b))) for name, b in sorted(lock.backends.items())
        ),
        profile_type=literal_type(profiles),
        backend_type=literal_type(lock.backends),
        model_type_type=literal_type(d.model_type.value for d in decks),
        functions=_functions(decks),
    )


def _functions(decks: tuple[DeckView, ...]) -> tuple[Function, ...]:
    """The typed signatures of resolve, preset and choice: a handle, preset or choice name of a
    model type goes with that model type (``model_type`` keyword-only but for ``llm``)."""
    found: dict[str, list[tuple[str, str]]] = {
        "resolve": [],
        "candidates": [],
        "preset": [],
        "choice": [],
    }
    for deck in decks:
        llm = deck.model_type is ModelType.LLM
        kind = py_literal(deck.model_type.value)
        typed = (
            f"model_type: Literal[{kind}] = {kind}" if llm else f"*, model_type: Literal[{kind}]"
        )
        tail = f"profile: ProfileName | None = None, {typed}"
        names = deck.names
        for function, param, names_type, returns in (
            ("resolve", "handle", (names.handle, "Handle"), "HandleRecord"),
            ("resolve", "handle", (names.preset_ref, "PresetRef"), "PresetRecord"),
            ("candidates", "handle", (names.handle, "Handle"), "tuple[HandleRecord, ...]"),
            ("candidates", "handle", (names.preset_ref, "PresetRef"), "tuple[PresetRecord, ...]"),
            ("preset", "name", (names.preset, "PresetName"), "PresetRecord"),
            ("choice", "kind", (names.choice, "ChoiceKind"), "HandleRecord | PresetRecord"),
        ):
            if names_type[0] != "Never":
                alias = f"{deck.symbol}{names_type[1]}"
                found[function].append((f"{param}: {alias}, {tail}", returns))
    nothing = 'profile: ProfileName | None = None, model_type: ModelTypeName = "llm"'
    fallback = {
        "resolve": ("handle: Never, " + nothing, "HandleRecord | PresetRecord"),
        "candidates": ("handle: Never, " + nothing, "tuple[HandleRecord | PresetRecord, ...]"),
        "preset": ("name: Never, " + nothing, "PresetRecord"),
        "choice": ("kind: Never, " + nothing, "HandleRecord | PresetRecord"),
    }
    return tuple(
        Function(name, tuple(signatures) or (fallback[name],)) for name, signatures in found.items()
    )


def _deck_view(
    lock: L.Lockfile, specs: _Specs, profiles: tuple[str, ...], model_type: ModelType
) -> DeckView:
    deck = lock.decks.get(model_type, L.Deck(aliases={}))
    empty = L.Answers({}, {}, {}, {})
    answers = [lock.profiles[p].answers.get(model_type, empty) for p in profiles]
    declared = _declared(lock, model_type, deck)
    lookup_order = Dialect(lock.dialect).bare_lookup

    def answer(kind: Declared, name: str, data: L.Answers) -> Entry:
        if kind is Declared.MODEL:
            routed = data.routing[name]
            if routed.backend is None:  # unserved: an alias or waterfall of the name, if any
                other = next((k for k in lookup_order[1:] if name in declared[k]), None)
                if other is not None:
                    return answer(other, name, data)
            return specs.routed(model_type, name, routed)
        table = data.aliases if kind is Declared.ALIAS else data.waterfalls
        return specs.entry(model_type, table[name])

    kinds = _bare_kinds(declared, lookup_order)
    names = list(kinds)
    sections = tuple(
        HandleSection(
            f"_handles_{model_type.value}_{number}",
            tuple(chunk),
            tuple(
                (profile, tuple(answer(kinds[n], n, data) for n in chunk))
                for profile, data in zip(profiles, answers, strict=True)
            ),
        )
        for number, chunk in enumerate(_chunks(names, HANDLES_PER_SECTION))
    )
    explicit = sorted(
        (references.spell(ref_kind, name), kind, name)
        for kind, ref_kind in ((Declared.ALIAS, "alias"), (Declared.WATERFALL, "waterfall"))
        for name in declared[kind]
        if kinds.get(name) is not kind
    )
    candidates = _candidates(
        deck, answers, kinds, lambda model, backend: specs.index[(backend, model, model_type.value)]
    )
    # only the handles with more than one candidate under some profile (the others: the answer)
    candidate_names = tuple(
        sorted(key for key, rows in candidates.items() if any(len(row) > 1 for row in rows))
    )
    candidate_rows = tuple(
        (profile, tuple(candidates[key][at] for key in candidate_names))
        for at, profile in enumerate(profiles)
    )
    preset_names = tuple(sorted(deck.presets))
    return DeckView(
        model_type=model_type,
        module=f"_deck_{model_type.value}",
        handle_sections=sections,
        handle_bounds=tuple(s.names[0] for s in sections[1:]),
        aliases=tuple(sorted(deck.aliases)),
        waterfalls=tuple(sorted(deck.waterfalls)),
        preset_names=preset_names,
        preset_params=tuple(
            _preset_params(model_type, deck.presets[name]) for name in preset_names
        ),
        preset_rows=tuple(
            (profile, tuple(specs.entry(model_type, data.presets[n]) for n in preset_names))
            for profile, data in zip(profiles, answers, strict=True)
        ),
        explicit_names=tuple(key for key, _, _ in explicit),
        explicit_rows=tuple(
            (profile, tuple(answer(kind, name, data) for _, kind, name in explicit))
            for profile, data in zip(profiles, answers, strict=True)
        ),
        choices=tuple(
            (kind, c.kind, c.target)
            for kind, c in sorted(deck.choices.items())
            if c.target is not None
        ),
        candidate_names=candidate_names,
        candidate_rows=candidate_rows,
        choice_settings=_choice_settings(lock, model_type, deck),
        from_spec=FROM_SPEC.get(model_type, ()),
        names=_type_names(names, deck, preset_names),
    )


def _declared(lock: L.Lockfile, model_type: ModelType, deck: L.Deck) -> dict[Declared, set[str]]:
    """The names each kind declares: models (on any backend), aliases, waterfalls."""
    models = {m for named in lock.models.get(model_type, {}).values() for m in named}
    return {
        Declared.MODEL: models,
        Declared.ALIAS: set(deck.aliases),
        Declared.WATERFALL: set(deck.waterfalls),
    }


def _bare_kinds(
    declared: Mapping[Declared, set[str]], lookup_order: Sequence[Declared]
) -> dict[str, Declared]:
    """Every declared name, sorted, with the kind a bare reference to it means (the layout's
    look-up order)."""
    names = sorted({n for kind in lookup_order for n in declared[kind]})
    return {name: next(k for k in lookup_order if name in declared[k]) for name in names}


def failover(
    lock: L.Lockfile, model_type: ModelType
) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """profile -> handle (bare, ``@alias``, ``~waterfall``) -> its failover candidates as
    (backend, model), from the walk whose result ``deck.candidates`` returns at run time: the
    first is the handle's answer, the rest what to try after a provider error."""
    deck = lock.decks.get(model_type, L.Deck(aliases={}))
    empty = L.Answers({}, {}, {}, {})
    profiles = tuple(lock.profiles)
    answers = [lock.profiles[p].answers.get(model_type, empty) for p in profiles]
    kinds = _bare_kinds(_declared(lock, model_type, deck), Dialect(lock.dialect).bare_lookup)
    pairs: dict[tuple[str, str], int] = {}
    table = _candidates(
        deck, answers, kinds, lambda model, backend: pairs.setdefault((backend, model), len(pairs))
    )
    by_index = list(pairs)
    return {
        profile: {key: [by_index[at] for at, _ in rows[p]] for key, rows in table.items()}
        for p, profile in enumerate(profiles)
    }


Candidate = tuple[int, tuple[str, ...]]  # (index of the spec, names followed)


def _candidates(
    deck: L.Deck,
    answers: list[L.Answers],
    kinds: Mapping[str, Declared],
    index_of: Callable[[str, str], int],
) -> dict[str, list[tuple[Candidate, ...]]]:
    """The failover candidates of every handle (bare, and ``@alias`` / ``~waterfall``), per
    profile in the order of ``answers``: each entry of a fallback chain (a list alias, a
    waterfall) that is available under the profile, in order, nested chains flattened, a model
    reached twice kept once.  The resolver picks the first available entry; the rest is what an
    application retries after a provider error."""
    chains: dict[Declared, Mapping[str, Any]] = {
        Declared.ALIAS: deck.aliases,
        Declared.WATERFALL: deck.waterfalls,
    }
    Node = tuple[Declared, str]

    def node(kind: Declared, name: str, data: L.Answers) -> list[Candidate] | Node:
        """The candidates of a model (a leaf), or the alias or waterfall to walk."""
        if kind is Declared.MODEL:
            routing = data.routing[name]
            if routing.backend is not None:
                return [(index_of(name, routing.backend), (name,))]
            # unserved: an alias or waterfall of the name, if any
            kind = next((k for k in chains if name in chains[k]), Declared.MODEL)
        return (kind, name) if name in chains.get(kind, {}) else []

    def of_ref(text: str, data: L.Answers) -> list[Candidate] | Node:
        kind, name = references.parse(text)
        if kind == references.ALIAS:
            return node(Declared.ALIAS, name, data)
        if kind == references.WATERFALL:
            return node(Declared.WATERFALL, name, data)
        found = kinds.get(name) if kind in (references.BARE, references.HANDLE) else None
        return [] if found is None else node(found, name, data)

    def of(
        kind: Declared, name: str, data: L.Answers, memo: dict[Node, list[Candidate]]
    ) -> list[Candidate]:
        """Walked with a stack of its own (chains may be longer than the recursion limit); a
        walk that leads back to an alias or waterfall being walked finds nothing there."""
        start = node(kind, name, data)
        if isinstance(start, list):
            return start
        stack: list[tuple[Node, tuple[str, ...], dict[int, tuple[str, ...]]]] = []
        positions: list[int] = []
        active: set[Node] = set()

        def push(key: Node) -> None:
            targets = chains[key[0]][key[1]]
            stack.append((key, (targets,) if isinstance(targets, str) else tuple(targets), {}))
            positions.append(0)
            active.add(key)

        def add(found: dict[int, tuple[str, ...]], owner: str, sub: list[Candidate]) -> None:
            for index, path in sub:
                found.setdefault(index, (owner, *path))

        if start in memo:
            return memo[start]
        push(start)
        while True:
            key, targets, found = stack[-1]
            if positions[-1] == len(targets):
                stack.pop()
                positions.pop()
                active.discard(key)
                result = memo[key] = list(found.items())
                if not stack:
                    return result
                add(stack[-1][2], stack[-1][0][1], result)
                positions[-1] += 1
                continue
            child = of_ref(targets[positions[-1]], data)
            if isinstance(child, tuple) and child in memo:
                child = memo[child]
            elif isinstance(child, tuple) and child in active:
                child = []
            if isinstance(child, tuple):
                push(child)
                continue
            add(found, key[1], child)
            positions[-1] += 1

    keys = [(name, kind, name) for name, kind in kinds.items()]
    keys += [
        (references.spell(ref_kind, name), kind, name)
        for kind, ref_kind in (
            (Declared.ALIAS, references.ALIAS),
            (Declared.WATERFALL, references.WATERFALL),
        )
        for name in chains[kind]
    ]
    memos: list[dict[Node, list[Candidate]]] = [{} for _ in answers]
    return {
        key: [tuple(of(kind, name, data, memo)) for data, memo in zip(answers, memos, strict=True)]
        for key, kind, name in keys
    }


def _choice_settings(lock: L.Lockfile, model_type: ModelType, deck: L.Deck) -> Frozen:
    """In the current layout a choice naming a model gives a preset-like record: the family's
    preset defaults and settings (``default_temperature``...), as Pipelex builds its setting."""
    if Dialect(lock.dialect) is Dialect.PIPELEX_0_10:
        return None
    fields: dict[str, Any] = dict.fromkeys(PRESET_FIELDS.get(model_type, ()))
    fields.update(FAMILY_OF[model_type].preset_defaults)
    fields.update({SETTING_FIELDS[k]: v for k, v in deck.settings.items() if k in SETTING_FIELDS})
    return frozen(fields)


def _preset_params(model_type: ModelType, values: Mapping[str, Any]) -> tuple[str, Frozen]:
    """(the preset's target, the parameters its record holds): ``max_tokens = "auto"`` is
    None (the provider's default)."""
    target = values.get("llm_handle", values.get("model"))
    fields = {field: values.get(field) for field in PRESET_FIELDS.get(model_type, ())}
    if fields.get("max_tokens") == "auto":
        fields["max_tokens"] = None
    return str(target), frozen(fields)


def _type_names(handles: list[str], deck: L.Deck, presets: tuple[str, ...]) -> TypeNames:
    explicit = [
        f"{prefix}{name}"
        for names, kind in (
            (deck.aliases, references.ALIAS),
            (deck.waterfalls, references.WATERFALL),
        )
        for prefix, form_kind in references.FORMS
        if form_kind == kind
        for name in names
    ]
    preset_refs = [
        f"{prefix}{name}"
        for prefix, form_kind in references.FORMS
        if form_kind == references.PRESET
        for name in presets
    ]
    return TypeNames(
        handle=literal_type([*handles, *explicit]),
        preset_ref=literal_type(preset_refs),
        preset=literal_type(presets),
        choice=literal_type(kind for kind, c in deck.choices.items() if c.target is not None),
    )
