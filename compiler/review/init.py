"""``deckc init``: a starter configuration for the providers a user names, in either layout.

:func:`scaffold` is pure: from provider names and a layout it returns the text of every file (by
path relative to the configuration directory), the environment variables those files read, and
notes worth printing; it writes nothing.  The providers, their settings and models are data
(:mod:`compiler.review.init_catalog`); this module decides what goes where — which backend is the
default, which routes send each other model to the provider that declares it, and each deck's
waterfalls across the providers, in the order named — and renders every file through one
template (:mod:`compiler.review.init_render`).  Credentials are ``${VAR}`` references by
construction: a setting is a literal only where the catalogue says it is not a secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..core.ir import Dialect, ModelType
from ..core.naming import close_matches, did_you_mean
from .init_catalog import BY_NAME, INTERNAL, NEW, OLD, PROVIDERS, Model, Provider, Role, Var
from .init_render import Document, Entry, Table, render, rows

DEFAULT_LAYOUT = NEW
DEFAULT_TEMPERATURE = 0.7


class InitError(Exception):
    """Provider names ``deckc init`` cannot scaffold: each line says why, the last what it can."""

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class Scaffold:
    layout: Dialect
    providers: tuple[str, ...]  # as named, without repeats
    files: Mapping[str, str]  # path relative to the configuration directory -> text
    variables: tuple[str, ...]  # the ${VAR}s the files read, in the order they appear
    notes: tuple[str, ...]  # what a person should know before the first compile


# --- choosing the providers ---------------------------------------------------------------------


def supported(layout: Dialect) -> tuple[str, ...]:
    return tuple(p.name for p in PROVIDERS if layout in p.layouts)


def choose(names: Sequence[str], layout: Dialect = DEFAULT_LAYOUT) -> tuple[Provider, ...]:
    """The providers named, in order and without repeats, or :class:`InitError` saying why not."""
    known = supported(layout)
    offer = f"supported providers: {', '.join(known)}"
    if not names:
        raise InitError("name at least one provider, e.g. `deckc init openai`", offer)
    problems = []
    for name in dict.fromkeys(names):
        provider = BY_NAME.get(name)
        if provider is None:
            hint = _suggest(name, layout)
            problems.append(f"unknown provider `{name}`" + (f": {hint}" if hint else ""))
        elif layout not in provider.layouts:
            only = ", ".join(sorted(d.value for d in provider.layouts))
            problems.append(
                f"provider `{name}` has no {layout.value} form (it needs the {only} layout)"
            )
    if problems:
        raise InitError(*problems, offer)
    chosen = tuple(BY_NAME[name] for name in dict.fromkeys(names))
    if not any(p.serves_llm for p in chosen):
        serve = "serves" if len(chosen) == 1 else "serve"
        raise InitError(
            f"{' and '.join(p.name for p in chosen)} {serve} no LLM: name an LLM provider too, "
            f"e.g. `deckc init openai {' '.join(p.name for p in chosen)}`",
            offer,
        )
    return chosen


def _suggest(name: str, layout: Dialect) -> str | None:
    """Which provider a misspelt or colloquial ``name`` means (``azure`` -> ``azure_openai``)."""
    known = supported(layout)
    other_names = {aka: p.name for p in PROVIDERS if p.name in known for aka in p.aka}
    meant = BY_NAME.get(name.lower()) or BY_NAME.get(other_names.get(name.lower(), ""))
    if meant is not None:
        return f"did you mean `{meant.name}`?"
    near = did_you_mean(name.lower(), known)
    if near is None and (like := close_matches(name.lower(), other_names)):
        near = f"did you mean `{other_names[like[0]]}`?"
    return near


# --- the scaffold -------------------------------------------------------------------------------


def scaffold(names: Sequence[str], layout: Dialect = DEFAULT_LAYOUT) -> Scaffold:
    """Every file of a configuration for the providers ``names`` in ``layout`` (see the module's
    docstring); :class:`InitError` for names it cannot scaffold."""
    chosen = choose(names, layout)
    backends = (*chosen, INTERNAL) if layout is NEW else chosen
    plan = _Plan(chosen, layout)
    docs: dict[str, Document] = {"backends.toml": _backends(backends, plan)}
    for provider in backends:
        docs[f"backends/{provider.name}.toml"] = _model_file(provider, layout)
    docs["routing_profiles.toml"] = _routing(plan)
    if layout is OLD:
        docs["deck/base_deck.toml"] = _seed_deck(plan)
    else:
        docs.update(_decks(plan))
    files = {path: render(doc) for path, doc in docs.items()}
    return Scaffold(layout, tuple(p.name for p in chosen), files, plan.variables, plan.notes())


class _Plan:
    """The decisions: which models each layout writes, who serves each handle, the deck's steps."""

    def __init__(self, chosen: tuple[Provider, ...], layout: Dialect) -> None:
        self.chosen = chosen
        self.layout = layout
        self.default = next(p for p in chosen if p.serves_llm)
        # who serves each handle: the first provider named that declares it (routes match names)
        self.owner: dict[str, str] = {}
        for provider in chosen:
            for model in self.models(provider):
                self.owner.setdefault(model.handle, provider.name)
        variables = [v.name for p in chosen for _, v in _settings(p, layout) if isinstance(v, Var)]
        self.variables = tuple(dict.fromkeys(variables))

    def models(self, provider: Provider) -> tuple[Model, ...]:
        return _models(provider, self.layout)

    def steps(self, role: Role, internal: bool = False) -> list[str]:
        """The handles of ``role`` of the providers named, in order (then of ``internal``)."""
        providers = (*self.chosen, INTERNAL) if internal else self.chosen
        handles = [m.handle for p in providers for m in self.models(p) if m.role is role]
        return list(dict.fromkeys(handles))

    def notes(self) -> tuple[str, ...]:
        notes = [p.note for p in self.chosen if p.note]
        for provider in self.chosen:
            if provider.name not in self.owner.values():
                before = sorted({self.owner[m.handle] for m in self.models(provider)})
                notes.append(
                    f"{provider.name}: every model it declares is also declared by "
                    f"{', '.join(before)}, named before it, so the profile sends them there: name "
                    f"{provider.name} first to prefer it, or route them in routing_profiles.toml"
                )
        if self.layout is NEW:
            for role, (what, path) in _UNSERVED.items():
                if not self.steps(role):
                    offer = _offering(role)
                    named = " ".join(p.name for p in self.chosen)
                    notes.append(
                        f"none of the providers named {what}: {path} names {_stand_in(role)}, "
                        "which stays unavailable (`deckc validate` notes it) until a backend "
                        f"serves it ({_either(offer)} has one: `deckc init {named} {offer[0]}`)"
                    )
        return tuple(notes)


def _models(provider: Provider, layout: Dialect) -> tuple[Model, ...]:
    """The models ``provider``'s file declares in ``layout``: pipelex-0.10's deck knows LLMs
    only."""
    if layout is OLD:
        return tuple(m for m in provider.models if m.model_type is ModelType.LLM)
    return provider.models


def _either(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _offering(role: Role) -> list[str]:
    """The providers with a model of ``role``, in catalogue order."""
    return [p.name for p in PROVIDERS if any(m.role is role for m in p.models)]


def _stand_in(role: Role) -> str:
    """The handle a required choice names when no provider named has a model of ``role``."""
    return next(m.handle for p in PROVIDERS for m in p.models if m.role is role)


IMG_GEN_DECK, SEARCH_DECK = "deck/2_img_gen_deck.toml", "deck/4_search_deck.toml"
_UNSERVED = {  # families Pipelex requires a default of, which only some providers serve
    Role.IMAGE: ("generates images", IMG_GEN_DECK),
    Role.SEARCH: ("searches the web", SEARCH_DECK),
}


def _settings(provider: Provider, layout: Dialect) -> tuple[tuple[str, str | Var], ...]:
    extra = provider.settings_010 if layout is OLD else ()
    return (*extra, *provider.settings)


def _value(setting: str | Var) -> str:
    return f"${{{setting.name}}}" if isinstance(setting, Var) else setting


def _backends(backends: Sequence[Provider], plan: _Plan) -> Document:
    needed = ", ".join(plan.variables) or "nothing: no backend here needs a key"
    tables = []
    for provider in backends:
        named = plan.layout is NEW and provider is not INTERNAL
        values: dict[str, object] = {"display_name": provider.title} if named else {}
        values["enabled"] = True
        values.update({key: _value(s) for key, s in _settings(provider, plan.layout)})
        comments = ("Pipelex's software-only models: no key.",) if provider is INTERNAL else ()
        tables.append(Table((provider.name,), rows(values), comments))
    return Document(
        (
            f"Inference backends, written by `deckc init` ({plan.layout.value}).",
            "Credentials are never written here: only ${VAR} references, read from the",
            f"environment when the configuration is loaded. Set: {needed}.",
            "Each enabled backend lists its models in backends/<name>.toml.",
        ),
        tuple(tables),
    )


def _model_file(provider: Provider, layout: Dialect) -> Document:
    sdk = provider.sdk.get(layout)
    entries: tuple[Entry, ...] = ()
    defaults: tuple[Table, ...] = ()
    inherited = ModelType.LLM  # the model type a model that says none has
    if layout is OLD:
        form = "default_sdk and default_prompting_target apply to every model"
        top = {"default_sdk": sdk, "default_prompting_target": provider.prompting_target}
        entries = rows(top)
    else:
        form = "[defaults] applies to every model"
        values: dict[str, object] = {}
        if sdk:  # internal's models each name their own
            values.update(model_type=provider.model_type.value, sdk=sdk)
            inherited = provider.model_type
        defaults = (Table(("defaults",), rows({**values, **provider.defaults_092})),)
    tables = [
        Table((m.handle,), rows(_model_fields(m, layout, inherited)))
        for m in _models(provider, layout)
    ]
    return Document(
        (
            f"{provider.title} models, written by `deckc init` ({layout.value}).",
            f"One table per model; {form} that does not set its own.",
            "Costs: USD per million tokens.",
            *provider.comments,
        ),
        (*defaults, *tables),
        entries,
    )


def _model_fields(model: Model, layout: Dialect, inherited: ModelType) -> dict[str, object]:
    fields: dict[str, object] = {}
    if model.model_type is not inherited:
        fields["model_type"] = model.model_type.value
    if model.sdk:
        fields["sdk"] = model.sdk
    fields.update(model_id=model.model_id, inputs=model.inputs, outputs=model.outputs)
    if model.costs is not None:
        fields["costs"] = model.costs
    if model.max_tokens is not None:
        fields["max_tokens"] = model.max_tokens
    fields.update(model.fields)
    if layout is NEW:
        fields.update(model.fields_092)
    return fields


def _routing(plan: _Plan) -> Document:
    default = plan.default
    alone = len(plan.chosen) == 1
    name = f"all_{default.name}" if alone else "custom_routing"
    profile: dict[str, object] = {
        "description": f"Use {default.title} for all its models"
        if alone
        else f"Each model on the provider named first that declares it ({default.name} by "
        "default, routes for the others)",
        "default": default.name,
    }
    if not alone and plan.layout is NEW:  # a model added later to a file is found along it
        profile["fallback_order"] = [p.name for p in plan.chosen]  # (0.10 searches them all)
    tables = [Table(("profiles", name), rows(profile))]
    routes: list[Entry] = []
    for provider in plan.chosen:
        if provider is default:
            continue
        handles = [h for h, owner in plan.owner.items() if owner == provider.name]
        for index, handle in enumerate(handles):
            routes.append(Entry(handle, provider.name, (provider.title,) if index == 0 else ()))
    if routes:
        tables.append(Table(("profiles", name, "routes"), tuple(routes)))
    return Document(
        (
            "Routing profiles, written by `deckc init`: which backend serves which model.",
            "Switch profiles by changing `active`. An exact route wins over a pattern",
            '("claude-*"); a model no route names goes to the default backend.',
        ),
        tuple(tables),
        (Entry("active", name),),
    )


_WATERFALL_NOTE = (
    "Steps in the order the providers were named: the first the active profile serves wins.",
)
_LIST_NOTE = (
    "A list is a fallback chain, in the order the providers were named: the first entry the",
    "active profile serves wins.",
)

# The LLM deck of both layouts, decided once.  A tier is a fallback list across the providers'
# models of its role: in pipelex-0.10 the alias itself, in pipelex-0.92 a waterfall the alias
# names.  The first two presets are the default choices for text and for objects.
_TIERS = {Role.PREMIUM: ("best", "best-llm"), Role.SMALL: ("cheap", "cheap-llm")}
_LLM_PRESETS = (  # name, tier, temperature, description
    ("default", Role.SMALL, DEFAULT_TEMPERATURE, "Everyday text (the default choice for text)"),
    ("structured", Role.SMALL, 0.1, "Structured output (the default choice for objects)"),
    ("factual", Role.PREMIUM, 0.2, "Factual writing"),
    ("creative", Role.PREMIUM, 0.9, "Creative writing"),
)
_FOR_TEXT, _FOR_OBJECT = (name for name, *_ in _LLM_PRESETS[:2])


def _seed_deck(plan: _Plan) -> Document:
    lists = {alias: plan.steps(role) for role, (alias, _) in _TIERS.items()}
    presets = {
        name: {"llm_handle": _TIERS[tier][0], "temperature": temperature}
        for name, tier, temperature, _ in _LLM_PRESETS
    }
    choices = {"for_text": _FOR_TEXT, "for_object": _FOR_OBJECT}
    return Document(
        (
            "The model deck, written by `deckc init` (pipelex-0.10): aliases, presets and the",
            "default choices.",
        ),
        (
            Table(("aliases",), rows(lists), _LIST_NOTE),
            Table(("llm_presets",), rows(presets)),
            Table(("llm_choice_defaults",), rows(choices)),
        ),
    )


def _preset(model: str, description: str, **values: object) -> dict[str, object]:
    return {"model": model, **values, "description": description}


def _decks(plan: _Plan) -> dict[str, Document]:
    """The pipelex-0.92 deck: one file per family, as Pipelex's kit names them."""
    choices = {"default_temperature": DEFAULT_TEMPERATURE, "for_text": f"${_FOR_TEXT}"}
    presets = {
        name: _preset(f"@{_TIERS[tier][0]}", description, temperature=temperature)
        for name, tier, temperature, description in _LLM_PRESETS
    }
    llm = (
        Table(("llm", "choice_defaults"), rows({**choices, "for_object": f"${_FOR_OBJECT}"})),
        Table(("llm", "aliases"), rows({alias: f"~{name}" for alias, name in _TIERS.values()})),
        Table(
            ("llm", "waterfalls"),
            rows({name: plan.steps(role) for role, (_, name) in _TIERS.items()}),
            _WATERFALL_NOTE,
        ),
        Table(("llm", "presets"), rows(presets)),
    )
    img_gen = _family(
        plan,
        _Family("img_gen", Role.IMAGE, "images", "default-image", "$gen-image"),
        settings={"default_quality": "medium"},
        presets={"gen-image": _preset("@default-image", "Standard images", quality="medium")},
    )
    web_pages = plan.steps(Role.WEB_PAGE)
    extract = _family(
        plan,
        _Family("extract", Role.DOCUMENT, "document-extractor", "default-extract-document"),
        aliases={"default-extract-web-page": web_pages[0]} if web_pages else {},
    )
    search = _family(plan, _Family("search", Role.SEARCH, "web-search", "default-search"))
    doc_gen = (
        Table(("doc_gen", "choice_defaults"), (Entry("pdf.layout", "@default-pdf"),)),
        Table(("doc_gen", "aliases"), (Entry("default-pdf", plan.steps(Role.PDF, True)[0]),)),
    )
    head = "deck, written by `deckc init` (pipelex-0.92)."
    return {
        "deck/1_llm_deck.toml": Document((f"The LLM {head}",), llm),
        IMG_GEN_DECK: Document((f"The image generation {head}",), img_gen),
        "deck/3_extract_deck.toml": Document((f"The text extraction {head}",), extract),
        SEARCH_DECK: Document((f"The web search {head}",), search),
        "deck/5_doc_gen_deck.toml": Document((f"The document generation {head}",), doc_gen),
    }


@dataclass(frozen=True)
class _Family:
    """A family's deck, as :func:`_family` writes it: its choice (``choice``, else ``@alias``)
    names ``alias``, which names the waterfall across the providers' models of ``role``."""

    table: str
    role: Role
    waterfall: str
    alias: str
    choice: str = ""


def _family(
    plan: _Plan,
    family: _Family,
    *,
    settings: Mapping[str, object] | None = None,
    presets: Mapping[str, object] | None = None,
    aliases: Mapping[str, object] | None = None,
) -> tuple[Table, ...]:
    """A family's deck; where no provider named has a model of its role, only its settings and
    a choice naming the handle of a provider that has one (Pipelex requires the choice, and
    `deckc validate` reports it unavailable, as the notes say)."""
    table = family.table
    steps = plan.steps(family.role, internal=True)
    if not steps:
        stand_in = _stand_in(family.role)
        offer = _either(_offering(family.role))
        why = (
            f"None of the providers named serves this family ({offer} does). Pipelex requires",
            f"a choice: {stand_in} stands in, unavailable until a backend declares it.",
        )
        entries = (*rows(settings or {}), Entry("choice_default", stand_in, why))
        return (Table((table,), entries),)
    head = {**(settings or {}), "choice_default": family.choice or f"@{family.alias}"}
    tables = [
        Table((table,), rows(head)),
        Table((table, "aliases"), rows({family.alias: f"~{family.waterfall}", **(aliases or {})})),
        Table((table, "waterfalls"), (Entry(family.waterfall, steps),), _WATERFALL_NOTE),
    ]
    if presets:
        tables.append(Table((table, "presets"), rows(presets)))
    return tuple(tables)


# --- what to do next ----------------------------------------------------------------------------


def next_steps(done: Scaffold, config_dir_option: str = "") -> list[str]:
    """What to do after ``deckc init``, numbered (``config_dir_option`` is ``--config-dir D``
    when the configuration is not where the commands look for it)."""
    option = f" {config_dir_option}" if config_dir_option else ""
    steps = []
    if done.variables:
        steps.append(
            f"set {', '.join(done.variables)} in the environment (the files name them, never "
            "hold them)"
        )
    steps.append(f"run `deckc compile{option}` to write the lockfile and the Python package")
    steps.append(
        f"run `deckc validate{option}` for every check (`--env require` checks the variables too)"
    )
    return [f"  {number}. {step}" for number, step in enumerate(steps, 1)]
