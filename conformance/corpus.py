"""Random but valid `.pipelex/inference/` configurations of both layouts, for the differential
harness that compiles each with deckc and boots Pipelex itself on it.

Each strategy draws a ``dict[str, str]``: {path relative to the configuration directory: TOML
text} (written by ``tomli_w``); :func:`write_config` puts one on disk.

:func:`seed_layout_configs` (the seed's layout, ``pipelex-0.10``) guarantees:

- deckc compiles it without errors (warnings allowed) and detects ``pipelex-0.10``;
- Pipelex 0.10 boots its active profile: 1-4 backends (named ``[a-z]+``) in ``backends.toml``,
  some disabled, at least one enabled; every backend has ``backends/<b>.toml`` in Pipelex's form
  (``default_sdk`` scalar or a per-model ``sdk``, top-level model tables, quoted dotted names),
  declaring 1-4 models, 2-10 in all, one handle at most once per file;
- 1-3 profiles, each with a ``description`` (Pipelex 0.10.2 requires one); the active one routes
  (exact, ``*``, ``p*``, ``*s``, ``*c*``: the seed refuses any other star) and defaults only to
  enabled backends, its exact routes only to a backend declaring the handle; other profiles may
  name disabled backends; no ``fallback_order`` nor ``optional_routes``, which Pipelex 0.10.2's
  profiles do not have (the seed document's do: deckc's own tests cover them);
- the deck (``deck/base_deck.toml``, sometimes a middle file and ``deck/overrides.toml``) has
  ``[aliases]`` (a name or a list: fallback chain), ``[llm_presets]`` (``llm_handle``,
  ``temperature`` in 0-1, ``max_tokens`` 1-1000 or ``"auto"``, never above a model's),
  ``[llm_choice_defaults]`` and sometimes ``[llm_choice_overrides]`` (``"disabled"`` or a
  preset); every reference names a declared model handle or an alias (no dangling name) and no
  alias chain loops (an alias names only models and aliases declared before it in a drawn order).

:func:`current_layout_configs` (Pipelex's current layout, ``pipelex-0.92``) guarantees:

- deckc compiles it without errors (warnings allowed: a reference to a handle no file declares,
  a problem confined to an inactive profile) and detects ``pipelex-0.92``;
- Pipelex 0.92.2 boots its active profile: 1-4 backends from ``alpha``, ``beta``, ``gamma`` and
  sometimes ``internal``, some disabled, every one with a model file declaring >= 1 model
  (2-10 in all) of the six model types, the same handle under several types (a renamed table with
  ``handle``) and in several backends, ``[defaults]`` merged in; every profile has a
  ``description``; the active profile's ``default`` and ``routes`` name enabled backends only,
  and its exact routes only a backend declaring the handle; other profiles may name disabled
  backends; patterns in every form (exact, ``*``, ``p*``, ``*s``, ``*c*``, ``**``, ``a*b``);
  ``fallback_order`` sometimes names disabled or unknown backends; ``optional_routes`` never repeat
  a route's pattern;
- the deck is split over several ``deck/*.toml`` files (sometimes a later ``x_custom.toml``
  re-setting preset fields: a deep merge) with, per family (``llm``, ``extract``, ``img_gen``,
  ``search``, ``doc_gen``, ``judgment``), aliases, waterfalls (nested ones too) and presets whose
  references use every form (bare, ``handle:``, ``@``/``alias:``, ``~``/``waterfall:``, never
  ``$``); no cycle (a reference names only symbols drawn before it, and a bare name only when
  every alias or waterfall of that name was drawn before); presets carry every field of their
  family within its range (LLM ``temperature`` always; ``reasoning_*`` only when no model has
  ``thinking_mode = "none"``; ``max_tokens`` never above a model's; img_gen ``quality`` xor
  ``nb_steps``); choices (required ones always) name a preset with ``$``, an alias, a waterfall or
  a handle, never a bare preset name; LLM overrides are ``"disabled"`` in its spellings or a
  defined ``$preset``/``@alias``/``~waterfall``/bare alias name (Pipelex checks them at boot).

Names come from small pools so that handles, aliases, waterfalls, presets and route patterns
collide often.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import tomli
import tomli_w
from hypothesis import strategies as st

__all__ = ["current_layout_configs", "seed_layout_configs", "write_config"]

T = TypeVar("T")
Draw = Callable[[st.SearchStrategy[Any]], Any]
Table = dict[str, Any]

# --- name pools (small on purpose: collisions are where bugs are) --------------------------------

HANDLES = ("gpt-4", "gpt-4o", "gpt-mini", "claude-3", "mini", "sonnets", "ocr", "fast")
ALIAS_NAMES = ("fast", "smart", "mini", "gpt-4", "best")
WATERFALL_NAMES = ("chain", "smart", "fast", "backup")
PRESET_NAMES = ("creative", "fast", "precise", "smart")
PROFILE_NAMES = ("main", "alt", "edge")
BACKENDS_010 = ("alpha", "beta", "gamma", "delta")
BACKENDS_092 = ("alpha", "beta", "gamma")
UNKNOWN_BACKEND = "zeta"
DANGLING = "ghost"  # a handle no file declares (0.92: a warning, the reference is unavailable)
# wildcard patterns each layout reads the same way as Pipelex
PATTERNS_010 = ("*", "gpt*", "c*", "*4", "*s", "*mini*", "*o*", "*-4*")
PATTERNS_092 = (*PATTERNS_010, "**", "gpt*4", "g*o")

MODEL_TYPES = ("llm", "text_extractor", "img_gen", "search", "doc_gen", "judgment")
FAMILY_OF = {
    "llm": "llm",
    "text_extractor": "extract",
    "img_gen": "img_gen",
    "search": "search",
    "doc_gen": "doc_gen",
    "judgment": "judgment",
}
TYPE_OF = {family: model_type for model_type, family in FAMILY_OF.items()}
SHORT = {
    "llm": "llm",
    "text_extractor": "ocr",
    "img_gen": "img",
    "search": "web",
    "doc_gen": "doc",
    "judgment": "judge",
}
DOC_GEN_KEYS = (
    "pdf.layout",
    "pdf.html",
    "xlsx.layout",
    "xlsx.template_file",
    "docx.layout",
    "docx.template_file",
    "pptx.template_file",
)
PRESET_MAX_TOKENS = 1000  # presets never ask for more tokens than any model allows
MODEL_MIN_MAX_TOKENS = 1024


def write_config(files: dict[str, str], directory: Path) -> Path:
    """Write a drawn configuration under ``directory`` (created as needed); returns it."""
    for rel, text in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return directory


def _dump(data: Table) -> str:
    return tomli_w.dumps(data)


def _subset(draw: Draw, pool: Sequence[T], lo: int, hi: int) -> list[T]:
    """Distinct elements of ``pool`` in a drawn order."""
    hi = min(hi, len(pool))
    return list(
        draw(st.lists(st.sampled_from(pool), min_size=min(lo, hi), max_size=hi, unique=True))
    )


def _chance(draw: Draw, p: float) -> bool:
    """True with probability about ``p`` (in steps of 1/20)."""
    return bool(draw(st.integers(0, 19)) < round(p * 20))


# --- backends and model files ---------------------------------------------------------------------


def _backend_table(draw: Draw, name: str, enabled: bool) -> Table:
    table: Table = {}
    if not enabled or _chance(draw, 0.3):
        table["enabled"] = enabled
    if _chance(draw, 0.3):
        table["api_key"] = f"${{{name.upper()}_API_KEY}}"
    if _chance(draw, 0.2):
        table["endpoint"] = f"https://{name}.example.com/v1"
    if _chance(draw, 0.2):
        table["display_name"] = name.title()
    return table


def _draw_backends(draw: Draw, pool: Sequence[str], internal: bool) -> dict[str, bool]:
    """{backend: enabled}, in ``backends.toml`` order; at least one enabled."""
    names = _subset(draw, pool, 1, 4 - int(internal))
    if internal:
        names.insert(draw(st.integers(0, len(names))), "internal")
    flags = [_chance(draw, 0.7) for _ in names]
    if not any(flags):
        flags[draw(st.integers(0, len(names) - 1))] = True
    return dict(zip(names, flags, strict=True))


def _model_counts(draw: Draw, n_backends: int) -> list[int]:
    """Models per backend: 1-4 each, 2-10 in all."""
    counts = [draw(st.integers(1, 4)) for _ in range(n_backends)]
    while sum(counts) > 10:
        counts[counts.index(max(counts))] -= 1
    if sum(counts) < 2:
        counts[0] = 2
    return counts


# --- references with no cycle --------------------------------------------------------------------


class _Symbols:
    """Aliases and waterfalls of one family (0.92) or of the deck (0.10), in a drawn order: the
    i-th may only name symbols before it, and a bare name only when every symbol of that name
    is before it (a bare name may fall through to an alias or waterfall)."""

    def __init__(self) -> None:
        self.order: list[tuple[str, str]] = []  # (kind, name), kind "alias" | "waterfall"

    def names(self, kind: str) -> list[str]:
        return [n for k, n in self.order if k == kind]

    def bare_ok(self, name: str, upto: int) -> bool:
        return all(i < upto for i, (_, n) in enumerate(self.order) if n == name)


def _ref092(draw: Draw, symbols: _Symbols, upto: int, handles: Sequence[str]) -> str:
    """A reference usable at position ``upto`` (``len(order)`` for a preset or a choice)."""
    earlier = symbols.order[:upto]
    options: list[str] = []
    for h in handles:
        if symbols.bare_ok(h, upto):
            options += [h, f"handle:{h}"]
    for kind, name in earlier:
        if kind == "alias":
            options += [f"@{name}", f"alias:{name}"]
            if symbols.bare_ok(name, upto):
                options.append(name)
        else:
            options += [f"~{name}", f"waterfall:{name}"]
            if symbols.bare_ok(name, upto) and name not in symbols.names("alias"):
                options.append(name)
    if not options or _chance(draw, 0.05):
        return DANGLING
    return str(draw(st.sampled_from(sorted(set(options)))))


# --- the current layout (pipelex-0.92) -----------------------------------------------------------


def _model_file_092(
    draw: Draw, backend: str, count: int, thinking_none_ok: bool
) -> tuple[Table, list[tuple[str, str]]]:
    pairs: list[tuple[str, str]] = []
    while len(pairs) < count:
        model_type = draw(st.sampled_from(MODEL_TYPES)) if _chance(draw, 0.45) else "llm"
        pair = (model_type, draw(st.sampled_from(HANDLES)))
        if pair not in pairs:
            pairs.append(pair)
    doc: Table = {}
    defaults: Table = {}
    if _chance(draw, 0.6):
        defaults["sdk"] = f"{backend}_sdk"
    if _chance(draw, 0.2):
        defaults["model_type"] = draw(st.sampled_from(MODEL_TYPES))
    default_type = defaults.get("model_type", "llm")
    thinking = ("none", "manual", "adaptive") if thinking_none_ok else ("manual", "adaptive")
    if not thinking_none_ok or _chance(draw, 0.3):
        defaults["thinking_mode"] = draw(st.sampled_from(thinking))
    if _chance(draw, 0.3):
        defaults["costs"] = {"input": 1.0, "output": 2.0}
    if _chance(draw, 0.2):
        defaults["max_tokens"] = draw(st.sampled_from((MODEL_MIN_MAX_TOKENS, 8192)))
    if defaults:
        doc["defaults"] = defaults
    for model_type, handle in pairs:
        table: Table = {}
        name = handle
        if name in doc or _chance(draw, 0.1):
            name = f"{handle}-{SHORT[model_type]}"
            table["handle"] = handle
        if model_type != default_type or _chance(draw, 0.2):
            table["model_type"] = model_type
        if "sdk" not in defaults or _chance(draw, 0.2):
            table["sdk"] = f"{backend}_{SHORT[model_type]}"
        if _chance(draw, 0.3):
            table["model_id"] = f"{handle}-2025"
        if model_type == "llm":
            if _chance(draw, 0.4):
                table["max_tokens"] = draw(st.sampled_from((MODEL_MIN_MAX_TOKENS, 4096, 65536)))
            if _chance(draw, 0.3):
                table["thinking_mode"] = draw(st.sampled_from(thinking))
            if _chance(draw, 0.3):
                table["inputs"] = ["text", "images"]
                table["outputs"] = ["text", "structured"]
        if model_type == "doc_gen":  # an engine that makes every document a choice may ask
            table["inputs"] = ["layout", "html", "template_file"]
            table["outputs"] = ["pdf", "docx", "xlsx", "pptx"]
        if _chance(draw, 0.2):
            table["costs"] = {"input": 0.5, "output": 1.5}
        if _chance(draw, 0.1):
            table["x-portkey-provider"] = f"@{backend}"
        doc[name] = table
    return doc, pairs


def _llm_preset(draw: Draw, ref: str, reasoning: bool) -> Table:
    preset: Table = {"model": ref, "temperature": draw(st.sampled_from((0, 0.2, 0.5, 1.0)))}
    if _chance(draw, 0.4):
        preset["max_tokens"] = draw(st.sampled_from((1, 256, PRESET_MAX_TOKENS, "auto")))
    if _chance(draw, 0.2):
        preset["image_detail"] = draw(st.sampled_from(("high", "low", "auto")))
    if reasoning and _chance(draw, 0.4):
        if _chance(draw, 0.5):
            preset["reasoning_effort"] = draw(
                st.sampled_from(("none", "minimal", "low", "medium", "high", "xhigh", "max"))
            )
        else:
            preset["reasoning_budget"] = draw(st.sampled_from((1, 2048)))
    return preset


def _family_preset(draw: Draw, family: str, ref: str, reasoning: bool) -> Table:
    preset = _llm_preset(draw, ref, reasoning) if family == "llm" else {"model": ref}
    if family == "extract":
        if _chance(draw, 0.5):
            preset["max_nb_images"] = draw(st.integers(0, 5))
        if _chance(draw, 0.5):
            preset["image_min_size"] = draw(st.integers(0, 512))
    elif family == "img_gen":
        which = draw(st.integers(0, 2))
        if which == 1:
            preset["quality"] = draw(st.sampled_from(("low", "medium", "high")))
        elif which == 2:
            preset["nb_steps"] = draw(st.integers(1, 50))
        if _chance(draw, 0.4):
            preset["guidance_scale"] = draw(st.sampled_from((0.5, 7.5)))
        if _chance(draw, 0.4):
            preset["is_moderated"] = draw(st.booleans())
        if _chance(draw, 0.4):
            preset["safety_tolerance"] = draw(st.integers(1, 6))
    elif family == "search":
        if _chance(draw, 0.5):
            preset["include_images"] = draw(st.booleans())
        if _chance(draw, 0.5):
            preset["include_inline_citations"] = draw(st.booleans())
        if _chance(draw, 0.5):
            preset["max_results"] = draw(st.integers(1, 20))
    if _chance(draw, 0.3):
        preset["description"] = f"{family} preset"
    return preset


def _family_deck_092(
    draw: Draw, family: str, handles_of_type: list[str], other_handles: list[str], reasoning: bool
) -> Table:
    symbols = _Symbols()
    for name in _subset(draw, ALIAS_NAMES, 0, 3):
        symbols.order.append(("alias", name))
    for name in _subset(draw, WATERFALL_NAMES, 0, 2):
        symbols.order.insert(draw(st.integers(0, len(symbols.order))), ("waterfall", name))
    # mostly handles of this type; sometimes one declared only under another type
    handles = handles_of_type + [h for h in other_handles if _chance(draw, 0.1)]
    aliases: Table = {}
    waterfalls: Table = {}
    for i, (kind, name) in enumerate(symbols.order):
        if kind == "alias":
            aliases[name] = _ref092(draw, symbols, i, handles)
        else:
            steps = [_ref092(draw, symbols, i, handles) for _ in range(draw(st.integers(1, 3)))]
            waterfalls[name] = steps
    end = len(symbols.order)
    presets: Table = {}
    for name in _subset(draw, PRESET_NAMES, 0, 3):
        presets[name] = _family_preset(
            draw, family, _ref092(draw, symbols, end, handles), reasoning
        )
    if not presets and not symbols.order and not handles_of_type:
        presets[PRESET_NAMES[0]] = _family_preset(
            draw, family, _ref092(draw, symbols, end, handles), reasoning
        )

    def choice() -> str:
        options = [f"${p}" for p in presets] + [f"preset:{p}" for p in presets]
        options += [f"@{a}" for a in aliases] + [f"~{w}" for w in waterfalls]
        # a bare name is never a preset's only meaning (deckc refuses it: `$` is meant)
        options += [h for h in handles_of_type if h not in presets]
        options += [a for a in aliases if a not in presets]
        if not options:
            return DANGLING
        return str(draw(st.sampled_from(sorted(set(options)))))

    deck: Table = {}
    if aliases:
        deck["aliases"] = aliases
    if waterfalls:
        deck["waterfalls"] = waterfalls
    if presets:
        deck["presets"] = presets
    if family == "llm":
        deck["choice_defaults"] = {
            "default_temperature": draw(st.sampled_from((0, 0.3, 0.7, 1))),
            "for_text": choice(),
            "for_object": choice(),
        }
        if _chance(draw, 0.5):
            deck["choice_overrides"] = {
                "for_text": _override092(draw, presets, aliases, waterfalls),
                "for_object": _override092(draw, presets, aliases, waterfalls),
            }
    elif family == "img_gen":
        deck["default_quality"] = draw(st.sampled_from(("low", "medium", "high")))
        deck["choice_default"] = choice()
    elif family in ("extract", "search"):
        deck["choice_default"] = choice()
    elif family == "judgment":
        if _chance(draw, 0.7):
            deck["choice_default"] = choice()
    else:  # doc_gen
        keys = _subset(draw, DOC_GEN_KEYS, 0, 3)
        if keys:
            deck["choice_defaults"] = {k: choice() for k in keys}
    return deck


def _override092(draw: Draw, presets: Table, aliases: Table, waterfalls: Table) -> str:
    """An LLM override Pipelex accepts at boot: "disabled" or a defined reference."""
    options = ["disabled", "$disabled", "@disabled", "handle:disabled"]
    options += [f"${p}" for p in presets] + [f"@{a}" for a in aliases]
    options += [f"~{w}" for w in waterfalls] + [a for a in aliases if a not in presets]
    return str(draw(st.sampled_from(options)))


def _profile_092(
    draw: Draw,
    active: bool,
    backends: dict[str, bool],
    declared: dict[str, set[str]],
) -> Table:
    enabled = [b for b, on in backends.items() if on]
    every = list(backends)
    targets = enabled if active else every
    profile: Table = {"description": "a profile" if _chance(draw, 0.7) else ""}
    if targets and _chance(draw, 0.7):
        profile["default"] = draw(st.sampled_from(targets))
    routes: Table = {}
    for _ in range(draw(st.integers(0, 4))):
        if not targets:
            break
        backend = draw(st.sampled_from(targets))
        if _chance(draw, 0.4):
            own = sorted(declared[backend]) if active else list(HANDLES)
            if not own:
                continue
            pattern = draw(st.sampled_from(own))
        else:
            pattern = draw(st.sampled_from(PATTERNS_092))
        routes.setdefault(pattern, backend)
    if routes:
        profile["routes"] = routes
    optional: Table = {}
    for _ in range(draw(st.integers(0, 2))):
        pattern = draw(st.sampled_from(PATTERNS_092 + HANDLES))
        backend = draw(st.sampled_from(every))
        exact = pattern in HANDLES
        if active and backends[backend] and exact and pattern not in declared[backend]:
            continue  # an enabled exact route of the active profile must reach a declaring backend
        if pattern not in routes:
            optional.setdefault(pattern, backend)
    if optional:
        profile["optional_routes"] = optional
    if _chance(draw, 0.4):
        pool = [*every, UNKNOWN_BACKEND]
        profile["fallback_order"] = _subset(draw, pool, 0, 3)
    return profile


@st.composite
def _current(draw: Draw) -> dict[str, str]:
    backends = _draw_backends(draw, BACKENDS_092, internal=_chance(draw, 0.25))
    reasoning = _chance(draw, 0.5)  # presets with reasoning_* iff no model thinks "none"
    files: dict[str, str] = {}
    declared: dict[str, set[str]] = {}
    by_type: dict[str, set[str]] = {t: set() for t in MODEL_TYPES}
    for backend, count in zip(backends, _model_counts(draw, len(backends)), strict=True):
        doc, pairs = _model_file_092(draw, backend, count, thinking_none_ok=not reasoning)
        files[f"backends/{backend}.toml"] = _dump(doc)
        declared[backend] = {h for _, h in pairs}
        for model_type, handle in pairs:
            by_type[model_type].add(handle)
    files["backends.toml"] = _dump({b: _backend_table(draw, b, on) for b, on in backends.items()})
    names = _subset(draw, PROFILE_NAMES, 1, 3)
    active = draw(st.sampled_from(names))
    routing: Table = {"active": active, "profiles": {}}
    for name in names:
        routing["profiles"][name] = _profile_092(draw, name == active, backends, declared)
    files["routing_profiles.toml"] = _dump(routing)
    every_handle = sorted(set().union(*by_type.values()))
    deck: Table = {}
    for family, model_type in TYPE_OF.items():
        own = sorted(by_type[model_type])
        others = [h for h in every_handle if h not in own]
        table = _family_deck_092(draw, family, own, others, reasoning)
        if table or family in ("llm", "extract", "img_gen", "search"):
            deck[family] = table
    files.update(_split_deck_092(draw, deck))
    return files


def _split_deck_092(draw: Draw, deck: Table) -> dict[str, str]:
    """The families over numbered files (some sharing one), and sometimes a custom file that
    re-sets LLM preset fields (a deep merge: the other fields stay)."""
    out: dict[str, str] = {}
    number = {"llm": 1, "extract": 2, "img_gen": 3, "search": 4, "doc_gen": 5, "judgment": 6}
    together = _chance(draw, 0.3)
    grouped: dict[str, Table] = {}
    for family, table in deck.items():
        path = "deck/base_deck.toml" if together else f"deck/{number[family]}_{family}_deck.toml"
        grouped.setdefault(path, {})[family] = table
    for path, doc in grouped.items():
        out[path] = _dump(doc)
    presets = deck["llm"].get("presets", {})
    if presets and _chance(draw, 0.3):
        custom: Table = {}
        for name in _subset(draw, sorted(presets), 1, 2):
            custom[name] = {"temperature": draw(st.sampled_from((0.1, 0.9)))}
            if _chance(draw, 0.5):
                custom[name]["description"] = "customised"
        out["deck/x_custom_deck.toml"] = _dump({"llm": {"presets": custom}})
    return out


def current_layout_configs() -> st.SearchStrategy[dict[str, str]]:
    """Valid configurations of Pipelex's current layout (``pipelex-0.92``): see the module's
    docstring for what each one guarantees."""
    return _current()


# --- the seed's layout (pipelex-0.10) ------------------------------------------------------------


def _model_file_010(draw: Draw, backend: str, count: int) -> tuple[Table, list[str]]:
    handles = _subset(draw, HANDLES, count, count)
    doc: Table = {}
    common_sdk = _chance(draw, 0.6)
    if common_sdk:
        doc["default_sdk"] = f"{backend}_sdk"
    if _chance(draw, 0.2):
        doc["default_prompting_target"] = "openai"
    for handle in handles:
        table: Table = {}
        if not common_sdk or _chance(draw, 0.2):
            table["sdk"] = f"{backend}_llm"
        table["model_id"] = f"{handle}-2025" if _chance(draw, 0.5) else handle
        if _chance(draw, 0.4):
            table["max_tokens"] = draw(st.sampled_from((MODEL_MIN_MAX_TOKENS, 4096, 65536)))
        if _chance(draw, 0.3):
            table["inputs"] = ["text", "images"]
            table["outputs"] = ["text", "structured"]
        table["costs"] = {"input": 0.5, "output": 1.5} if _chance(draw, 0.7) else {}
        doc[handle] = table
    return doc, handles


def _profile_010(
    draw: Draw, active: bool, backends: dict[str, bool], declared: dict[str, list[str]]
) -> Table:
    enabled = [b for b, on in backends.items() if on]
    every = list(backends)
    targets = enabled if active else every
    profile: Table = {"description": f"profile {'active' if active else 'other'}"}
    if targets and _chance(draw, 0.7):
        profile["default"] = draw(st.sampled_from(targets))
    routes: Table = {}
    for _ in range(draw(st.integers(0, 4))):
        backend = draw(st.sampled_from(targets))
        if _chance(draw, 0.4) and declared[backend]:
            pattern = draw(st.sampled_from(declared[backend]))
        else:
            pattern = draw(st.sampled_from(PATTERNS_010))
        routes.setdefault(pattern, backend)
    if routes:
        profile["routes"] = routes
    return profile


def _wildcard_010(text: str, pattern: str) -> bool:
    if pattern == "*":
        return True
    if pattern.startswith("*") and pattern.endswith("*"):
        return pattern[1:-1] in text
    if pattern.startswith("*"):
        return text.endswith(pattern[1:])
    if pattern.endswith("*"):
        return text.startswith(pattern[:-1])
    return text == pattern


def _served_010(
    profile: Table, backends: dict[str, bool], declared: dict[str, list[str]]
) -> set[str]:
    """The handles Pipelex 0.10 serves under ``profile`` (exact route, first matching pattern, a
    default searching every enabled backend)."""
    enabled = {b for b, on in backends.items() if on}
    routes: Table = profile.get("routes", {})
    served: set[str] = set()
    for handle in {h for b in enabled for h in declared[b]}:
        if handle in routes:
            served.add(handle)  # the active profile's exact routes reach a declaring backend
            continue
        matched = next((b for p, b in routes.items() if _wildcard_010(handle, p)), None)
        if matched is not None:
            if handle in declared[matched]:
                served.add(handle)
        elif profile.get("default"):
            served.add(handle)
    return served


def _ref010(draw: Draw, symbols: _Symbols, upto: int, handles: Sequence[str]) -> str | None:
    """A bare name usable at position ``upto``; None when there is none (every handle is the
    name of an alias not before it)."""
    options = [h for h in handles if symbols.bare_ok(h, upto)]
    options += [n for _, n in symbols.order[:upto] if symbols.bare_ok(n, upto)]
    return str(draw(st.sampled_from(sorted(set(options))))) if options else None


@st.composite
def _seed(draw: Draw) -> dict[str, str]:
    backends = _draw_backends(draw, BACKENDS_010, internal=False)
    files: dict[str, str] = {}
    declared: dict[str, list[str]] = {}
    for backend, count in zip(backends, _model_counts(draw, len(backends)), strict=True):
        doc, handles = _model_file_010(draw, backend, count)
        files[f"backends/{backend}.toml"] = _dump(doc)
        declared[backend] = handles
    files["backends.toml"] = _dump({b: _backend_table(draw, b, on) for b, on in backends.items()})
    names = _subset(draw, PROFILE_NAMES, 1, 3)
    active = draw(st.sampled_from(names))
    routing: Table = {"active": active, "profiles": {}}
    for name in names:
        routing["profiles"][name] = _profile_010(draw, name == active, backends, declared)
    handles = sorted({h for hs in declared.values() for h in hs})
    profile = routing["profiles"][active]
    served = _served_010(profile, backends, declared)
    if not served:  # the active profile must serve something for the presets to name it
        profile["default"] = next(b for b, on in backends.items() if on)
        profile.pop("routes", None)
        served = _served_010(profile, backends, declared)
    files["routing_profiles.toml"] = _dump(routing)
    symbols = _Symbols()
    for name in _subset(draw, ALIAS_NAMES, 0, 4):
        symbols.order.append(("alias", name))
    aliases: Table = {}
    i = 0
    while i < len(symbols.order):
        name = symbols.order[i][1]
        refs = [_ref010(draw, symbols, i, handles) for _ in range(draw(st.integers(1, 3)))]
        chain = list(dict.fromkeys(r for r in refs if r is not None))
        if not chain:
            del symbols.order[i]  # nothing it could name without a loop
            continue
        aliases[name] = chain if _chance(draw, 0.3) else chain[0]
        i += 1
    # what a name resolves to in Pipelex 0.10: a served model first, else its alias' entries
    resolvable = set(served)
    for name, target in aliases.items():
        if name not in served and any(t in resolvable for t in _as_list(target)):
            resolvable.add(name)
    presets: Table = {}
    for name in _subset(draw, PRESET_NAMES, 1, 3):
        preset: Table = {
            "llm_handle": draw(st.sampled_from(sorted(resolvable))),
            "temperature": draw(st.sampled_from((0, 0.2, 0.5, 1.0))),
        }
        if _chance(draw, 0.4):
            preset["max_tokens"] = draw(st.sampled_from((1, 256, PRESET_MAX_TOKENS, "auto")))
        presets[name] = preset
    base: Table = {}
    if aliases:
        base["aliases"] = aliases
    base["llm_presets"] = presets
    base["llm_choice_defaults"] = {
        "for_text": draw(st.sampled_from(sorted(presets))),
        "for_object": draw(st.sampled_from(sorted(presets))),
    }
    files["deck/base_deck.toml"] = _dump(base)
    if _chance(draw, 0.4):
        overrides: Table = {}
        if _chance(draw, 0.6):
            options = ["disabled", *sorted(presets)]
            overrides["llm_choice_overrides"] = {
                "for_text": draw(st.sampled_from(options)),
                "for_object": draw(st.sampled_from(options)),
            }
        if _chance(draw, 0.5):
            name = draw(st.sampled_from(sorted(presets)))
            overrides["llm_presets"] = {name: {"temperature": 0.9}}
        if aliases and _chance(draw, 0.4):
            overrides["aliases"] = _alias_again(draw, aliases, served, lists=True)
        files["deck/overrides.toml"] = _dump(overrides)
    if aliases and _chance(draw, 0.3):  # merged by path: before base_deck, or after overrides
        extra = draw(st.sampled_from(("deck/aa_team.toml", "deck/team/extra.toml", "deck/zz.toml")))
        files[extra] = _dump({"aliases": _alias_again(draw, aliases, served, lists=False)})
    return files


def _alias_again(draw: Draw, aliases: Table, served: set[str], *, lists: bool) -> Table:
    """One alias set again by another deck file, to served models only (no loop, and every
    preset still resolves): a name, or (``lists``) a list where the base value is a name (a list
    over a list is the deliberate mistake ``list-override``)."""
    name = draw(st.sampled_from(sorted(aliases)))
    targets = _subset(draw, sorted(served), 1, 2)
    as_list = lists and isinstance(aliases[name], str) and _chance(draw, 0.5)
    return {name: targets if as_list else targets[0]}


def _as_list(target: str | list[str]) -> list[str]:
    return [target] if isinstance(target, str) else target


def seed_layout_configs() -> st.SearchStrategy[dict[str, str]]:
    """Valid configurations of the seed's layout (``pipelex-0.10``): see the module's docstring
    for what each one guarantees."""
    return _seed()


# --- deliberate mistakes ------------------------------------------------------------------------

MISTAKES = ("cycle", "dangling", "over-limits", "list-override")
MISTAKE_FILE = (
    "deck/zz_mistake.toml"  # read last by Pipelex, after the base by deckc: new names only
)


def with_mistake(files: dict[str, str], kind: str, current: bool) -> dict[str, str]:
    """``files`` plus one mistake that Pipelex accepts at boot and deckc refuses, located (the
    harness's rules ``cycle``, ``dangling-reference``, ``preset-over-limits``): an alias cycle, a
    preset naming an alias nothing declares, a preset asking more tokens than its model allows
    (left out when no LLM declares a ``max_tokens``), a fallback list set again as a list by a
    later file (the seed's layout only: in the current one a waterfall is replaced whole)."""
    presets = "presets" if current else "llm_presets"
    target = "model" if current else "llm_handle"
    deck: Table
    if kind == "cycle":
        loop = {"loop-a": "@loop-b", "loop-b": "@loop-a"}
        deck = {"llm": {"aliases": loop}} if current else {"aliases": loop}
    elif kind == "dangling":
        preset = {target: "@no-such-alias" if current else "no-such-model", "temperature": 0.5}
        deck = {"llm": {presets: {"ghost": preset}}} if current else {presets: {"ghost": preset}}
    elif kind == "over-limits":
        model = _llm(files, limited=True)
        if model is None:
            return files
        preset = {target: model, "temperature": 0.5, "max_tokens": 10**9}
        deck = {"llm": {presets: {"greedy": preset}}} if current else {presets: {"greedy": preset}}
    else:
        model = _llm(files, limited=False)
        if current or model is None:
            return files
        earlier = {"aliases": {"twice": [model]}}
        return {**files, "deck/zy_mistake.toml": _dump(earlier), MISTAKE_FILE: _dump(earlier)}
    return {**files, MISTAKE_FILE: _dump(deck)}


def _llm(files: dict[str, str], *, limited: bool) -> str | None:
    """The handle of an LLM that some model file declares (``limited``: with a ``max_tokens``)."""
    for path in sorted(p for p in files if p.startswith("backends/")):
        data = tomli.loads(files[path])
        defaults = {
            k.removeprefix("default_"): v for k, v in data.items() if k.startswith("default_")
        }
        defaults.update(data.get("defaults", {}))
        for name, table in data.items():
            if not isinstance(table, dict) or name == "defaults":
                continue
            merged = {**defaults, **table}
            if merged.get("model_type", "llm") == "llm" and isinstance(
                merged.get("max_tokens"), int
            ):
                return str(merged.get("handle", name))
    return None
