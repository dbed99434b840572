"""The pipelex-0.92 layout, rule by rule (PIPELEX-DIALECTS.md): each test writes a small
configuration directory and compiles it through every stage, from loading to the lockfile."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.core.errors import CompileFailed, DeckError, Severity
from compiler.core.ir import Dialect, ModelKey, ModelType
from compiler.pipeline import Build, analyse, compile_dir
from compiler.runtime import envvars
from compiler.semantics.decisions import Placement, RuleKind, SearchEnd, Start
from compiler.sources.load import load_sources

BACKENDS = """
[openai]
api_key = "${env:OPENAI_API_KEY|secret:OPENAI_KEY}"
[mistral]
[internal]
"""
MODELS = {
    "backends/openai.toml": '[defaults]\nsdk = "openai"\n[gpt]\n[both]\n[img]\n'
    'model_type = "img_gen"\n',
    "backends/mistral.toml": '[defaults]\nsdk = "mistral"\n[ocr]\nmodel_type = "text_extractor"\n'
    '[both]\n[small]\nthinking_mode = "none"\n',
    "backends/internal.toml": '[pdf]\nsdk = "pypdfium2"\nmodel_type = "text_extractor"\n',
}
DECK = """
[llm.choice_defaults]
default_temperature = 0.5
for_text = "gpt"
for_object = "@fast"
[llm.aliases]
fast = "gpt"
[extract]
choice_default = "~reader"
[extract.waterfalls]
reader = ["ocr", "pdf"]
[img_gen]
default_quality = "low"
choice_default = "img"
[search]
choice_default = "gpt"
"""


def source_warnings(build: Build) -> list[str]:
    """The compile's warnings but those about the active profile's availability (what
    `compile` adds for the app: tested by the golden cases)."""
    return [str(w) for w in build.warnings if "in the active profile" not in w.message]


def routing(profiles: str, active: str = "p") -> str:
    return f'active = "{active}"\n{profiles}'


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def config(root: Path, **changes: str) -> Path:
    files = {
        "backends.toml": BACKENDS,
        "routing_profiles.toml": routing('[profiles.p]\ndescription = "d"\ndefault = "openai"\n'),
        "deck/1_llm_deck.toml": DECK,
        **MODELS,
    }
    files.update({k.replace("__", "/").replace("_dot_", "."): v for k, v in changes.items()})
    return write(root, files)


def compiled(root: Path, **changes: str) -> Build:
    return compile_dir(config(root, **changes))


def failure(root: Path, **changes: str) -> list[str]:
    with pytest.raises(CompileFailed) as failed:
        compiled(root, **changes)
    return [str(e) for e in failed.value.errors]


def placed(build: Build, name: str, model_type: ModelType = ModelType.LLM) -> tuple[object, ...]:
    placement = build.resolved.profiles["p"].placements[ModelKey(model_type, name)]
    return placement.backend, placement.rule


def test_the_deck_says_which_layout(tmp_path: Path) -> None:
    build = compiled(tmp_path)
    assert build.resolved.config.dialect is Dialect.PIPELEX_0_92
    assert build.lock_json["dialect"] == "pipelex-0.92"


def test_a_deck_mixing_the_layouts_names_a_table_of_each(tmp_path: Path) -> None:
    (problem,) = failure(tmp_path, deck__0_dot_toml='[aliases]\nx = "gpt"\n')
    assert problem.startswith(
        "deck/1_llm_deck.toml:2:1: llm: error: the deck mixes two layouts: [aliases] (deck/0.toml) "
        "is "
        "the pipelex-0.10 layout, [llm] (deck/1_llm_deck.toml) the pipelex-0.92 one"
    )


def test_a_default_without_fallback_order_tries_only_internal(tmp_path: Path) -> None:
    build = compiled(tmp_path)
    assert placed(build, "gpt") == ("openai", RuleKind.DEFAULT)
    assert placed(build, "small") == (None, None)  # mistral is never searched
    assert placed(build, "pdf", ModelType.TEXT_EXTRACTOR) == ("internal", RuleKind.SEARCH)


def test_with_fallback_order_every_enabled_backend_is_searched(tmp_path: Path) -> None:
    profiles = '[profiles.p]\ndescription = "d"\ndefault = "openai"\nfallback_order = ["nope"]\n'
    build = compiled(tmp_path, routing_profiles_dot_toml=routing(profiles))
    assert placed(build, "gpt") == ("openai", RuleKind.DEFAULT)
    assert placed(build, "small") == (None, None)  # an unknown entry is skipped: empty order
    profiles = profiles.replace('["nope"]', '["nope", "internal"]')
    build = compiled(tmp_path, routing_profiles_dot_toml=routing(profiles))
    assert placed(build, "small") == ("mistral", RuleKind.SEARCH)


def test_no_match_at_all_leaves_internal_models_served(tmp_path: Path) -> None:
    profiles = '[profiles.p]\ndescription = "d"\n[profiles.p.routes]\n"g*" = "openai"\n'
    build = compiled(tmp_path, routing_profiles_dot_toml=routing(profiles))
    assert placed(build, "gpt") == ("openai", RuleKind.WILDCARD)
    assert placed(build, "both") == (None, None)
    assert placed(build, "pdf", ModelType.TEXT_EXTRACTOR) == ("internal", RuleKind.SEARCH)


def test_a_star_inside_a_pattern_is_literal_and_two_stars_match_everything(
    tmp_path: Path,
) -> None:
    profiles = (
        '[profiles.p]\ndescription = "d"\n[profiles.p.routes]\n"g*t" = "mistral"\n"**" = "openai"\n'
    )
    build = compiled(tmp_path, routing_profiles_dot_toml=routing(profiles))
    assert placed(build, "gpt") == ("openai", RuleKind.WILDCARD)


def test_a_waterfall_serves_its_first_served_step(tmp_path: Path) -> None:
    build = compiled(tmp_path)
    answers = build.lock.profiles["p"].answers[ModelType.TEXT_EXTRACTOR]
    reader = answers.waterfalls["reader"]
    assert (reader.model, reader.backend) == ("pdf", "internal")
    assert reader.skipped[0].handle == "ocr"
    choice = build.lock.decks[ModelType.TEXT_EXTRACTOR].choices["choice_default"]
    assert (choice.kind, choice.target) == ("handle", "~reader")


def test_a_nested_waterfall_that_serves_nothing_is_skipped(tmp_path: Path) -> None:
    deck = DECK.replace('reader = ["ocr", "pdf"]', 'reader = ["~none", "pdf"]\nnone = ["ocr"]')
    build = compiled(tmp_path, deck__1_llm_deck_dot_toml=deck)
    reader = build.lock.profiles["p"].answers[ModelType.TEXT_EXTRACTOR].waterfalls["reader"]
    assert (reader.model, reader.backend) == ("pdf", "internal")
    assert "no step of the waterfall is served" in reader.skipped[0].reason


def test_a_bare_name_is_a_served_model_first_then_an_alias(tmp_path: Path) -> None:
    deck = DECK.replace('fast = "gpt"', 'fast = "gpt"\nsmall = "gpt"')
    build = compiled(tmp_path, deck__1_llm_deck_dot_toml=deck + '[llm.waterfalls]\nw = ["small"]')
    waterfall = build.lock.profiles["p"].answers[ModelType.LLM].waterfalls["w"]
    assert (waterfall.path, waterfall.backend) == (("w", "small", "gpt"), "openai")


def test_overrides_merge_deeply_and_are_located_in_their_file(tmp_path: Path) -> None:
    build = compiled(
        tmp_path,
        backends_override_dot_toml='[mistral]\nenabled = false\n[openai]\nendpoint = "${E}"\n',
        routing_profiles_override_dot_toml='[profiles.p]\nfallback_order = ["internal"]\n',
    )
    config = build.resolved.config
    assert not config.backends["mistral"].enabled
    assert config.backends["openai"].credentials == {
        "api_key": "${env:OPENAI_API_KEY|secret:OPENAI_KEY}",
        "endpoint": "${E}",
    }
    assert str(config.backends["openai"].field_spans["endpoint"].location) == (
        "backends_override.toml:4:1"
    )
    assert config.profiles["p"].default is not None  # kept from the base file
    assert [b.backend for b in config.profiles["p"].fallback_order] == ["internal"]
    assert set(config.sources) >= {"backends_override.toml", "routing_profiles_override.toml"}


def test_a_handle_key_gives_one_name_two_types(tmp_path: Path) -> None:
    models = (
        '[defaults]\nsdk = "openai"\n[gpt]\n[gpt-img]\nhandle = "gpt"\nmodel_type = "img_gen"\n'
    )
    build = compiled(tmp_path, backends__openai_dot_toml=models)
    assert placed(build, "gpt") == ("openai", RuleKind.DEFAULT)
    assert placed(build, "gpt", ModelType.IMG_GEN) == ("openai", RuleKind.DEFAULT)


def test_headers_backend_constraints_and_defaults(tmp_path: Path) -> None:
    backends = BACKENDS.replace(
        "[mistral]", '[mistral]\nlisted_constraints = ["temperature_unsupported"]'
    )
    models = (
        '[defaults]\nsdk = "mistral"\ncosts = { input = 1 }\n[small]\nx-portkey-provider = "@m"\n'
        'listed_constraints = ["max_tokens_must_be_high_enough"]\ncosts = { output = 2 }\n'
    )
    build = compiled(tmp_path, backends_dot_toml=backends, backends__mistral_dot_toml=models)
    spec = build.lock.models[ModelType.LLM]["mistral"]["small"]
    assert spec["extensions"] == {"x-portkey-provider": "@m"}
    assert spec["listed_constraints"] == [
        "max_tokens_must_be_high_enough",
        "temperature_unsupported",
    ]
    assert spec["costs"] == {"output": 2}  # [defaults] merges shallowly


@pytest.mark.parametrize(
    ("models", "expected"),
    [
        (
            'default_sdk = "x"\n[m]\nsdk = "x"\n',
            "backends/mistral.toml:1:1: default_sdk: error: top-level `default_sdk` is the "
            "pipelex-0.10 "
            "form of a model default\n  hint: set `sdk` in the file's [defaults] table instead",
        ),
        (
            '[m]\nsdk = "x"\nmax-tokens = 5\n',
            "backends/mistral.toml:3:1: m.max-tokens: error: `max-tokens` is the model field "
            "`max_tokens` "
            "spelt with hyphens (a key with a `-` is an HTTP header)\n  hint: rename it "
            "`max_tokens`",
        ),
        (
            '[m]\nsdk = "${SDK}"\n',
            "backends/mistral.toml:2:1: m.sdk: error: `sdk` holds a ${...} reference, but only "
            "model_id, "
            "endpoint_path and header values may\n  hint: write the value literally",
        ),
        (
            '[a]\nsdk = "x"\nhandle = "m"\n[b]\nsdk = "x"\nhandle = "m"\n',
            "backends/mistral.toml:4:1: b: error: llm `m` is declared twice in this file\n  see "
            "also "
            "backends/mistral.toml:1:1\n  hint: give one of the tables another `handle` or "
            "`model_type`",
        ),
    ],
)
def test_model_file_mistakes_are_located(tmp_path: Path, models: str, expected: str) -> None:
    assert expected in failure(tmp_path, backends__mistral_dot_toml=models)


def test_a_profile_needs_a_description(tmp_path: Path) -> None:
    profiles = '[profiles.p]\ndefault = "openai"\n'
    (problem,) = failure(tmp_path, routing_profiles_dot_toml=routing(profiles))
    assert (
        problem == "routing_profiles.toml:2:1: profiles.p: error: missing required key description"
    )


def test_a_dangling_handle_is_a_warning_and_strict_makes_it_an_error(tmp_path: Path) -> None:
    deck = DECK.replace('fast = "gpt"', 'fast = "gpt"\nlater = "from-a-plugin"')
    build = compiled(tmp_path, deck__1_llm_deck_dot_toml=deck)
    (warning,) = [w for w in build.warnings if "from-a-plugin" in w.message and w.lenient]
    assert warning.severity is Severity.WARNING and warning.lenient
    later = build.lock.profiles["p"].answers[ModelType.LLM].aliases["later"]
    assert later.unavailable == (
        "later: `from-a-plugin` is not a declared llm model, alias or waterfall"
    )
    with pytest.raises(CompileFailed) as failed:
        compile_dir(tmp_path, strict=True)
    assert any("from-a-plugin" in e.message for e in failed.value.errors)


def test_problems_of_inactive_profiles_are_warnings_naming_them(tmp_path: Path) -> None:
    profiles = (
        '[profiles.p]\ndescription = "d"\ndefault = "openai"\n'
        '[profiles.q]\ndescription = "d"\ndefault = "mistral"\n'
    )
    backends = BACKENDS.replace("[mistral]", "[mistral]\nenabled = false")
    build = compiled(
        tmp_path, routing_profiles_dot_toml=routing(profiles), backends_dot_toml=backends
    )
    (warning,) = [w for w in build.warnings if "profile q" in w.message]
    assert warning.message == (
        "the default backend of profile q, mistral, is disabled (profile q is not active; "
        "--strict makes it an error)"
    )
    gpt = build.resolved.profiles["q"].placements[ModelKey(ModelType.LLM, "gpt")]
    assert gpt.reason == "the default backend of profile q, mistral, is disabled"
    failed = failure(
        tmp_path, routing_profiles_dot_toml=routing(profiles, "q"), backends_dot_toml=backends
    )
    assert any("the default backend of profile q, mistral, is disabled" in e for e in failed)


def test_a_bare_preset_name_in_a_choice_is_not_a_preset(tmp_path: Path) -> None:
    deck = DECK.replace('for_text = "gpt"', 'for_text = "creative"') + (
        '[llm.presets]\ncreative = { model = "gpt", temperature = 0.9 }\n'
    )
    (problem,) = failure(tmp_path, deck__1_llm_deck_dot_toml=deck)
    assert "`creative` names a preset, but a bare name in a choice is a handle" in problem
    assert "hint: write `$creative`" in problem


def test_reasoning_on_a_model_that_does_not_think_is_refused(tmp_path: Path) -> None:
    profiles = '[profiles.p]\ndescription = "d"\ndefault = "mistral"\n'
    deck = (
        DECK
        + '[llm.presets]\nr = { model = "small", temperature = 1, reasoning_effort = "high" }\n'
    )
    (problem,) = failure(
        tmp_path, routing_profiles_dot_toml=routing(profiles), deck__1_llm_deck_dot_toml=deck
    )
    assert 'model small (backend mistral) has thinking_mode = "none"' in problem


def test_choice_records_carry_the_family_defaults(tmp_path: Path) -> None:
    from conformance.compare import import_generated

    build = compiled(tmp_path / "config")
    out = tmp_path / "out"
    for rel, text in build.files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    deck = import_generated(out)
    text = deck.choice("for_text")
    assert (text.preset, text.model, text.temperature, text.quality) == (None, "gpt", 0.5, None)
    assert deck.choice("for_text") is text  # built once, like every record
    image = deck.choice("choice_default", model_type="img_gen")
    assert image.quality == "low"
    reader = deck.choice("choice_default", model_type="text_extractor")
    assert (reader.model, reader.backend) == ("pdf", "internal")


@pytest.mark.parametrize(
    ("text", "environ", "expected"),
    [
        ("${env:A|secret:B|C}", {"C": "c"}, ("c", [])),
        ("${env:A|B}", {"A": "", "B": "b"}, ("", [])),  # an env: part of a chain accepts ""
        ("${env:A}", {"A": ""}, ("", ["A"])),  # alone, an empty variable is unset
        ("${A|B}", {}, ("", ["A", "B"])),
        ("${A:-x}", {"A": ""}, ("x", [])),
    ],
)
def test_credential_references_resolve_in_order(
    text: str, environ: dict[str, str], expected: tuple[str, list[str]]
) -> None:
    assert envvars.expand(text, environ) == expected


def test_secrets_come_from_the_secret_source_when_one_is_given() -> None:
    assert envvars.expand("${secret:K}|${env:K}|${K}", {"K": "e"}, {"K": "s"}) == ("s|e|s", [])


def test_a_deck_without_tables_is_read_by_its_file_names(tmp_path: Path) -> None:
    """No deck table says which layout: the seed's file names say the seed's."""
    seed = config(tmp_path / "seed", deck__1_llm_deck_dot_toml="", deck__overrides_dot_toml="")
    (seed_problem,) = [str(e) for e in _errors(seed)]
    assert seed_problem.startswith("deck/base_deck.toml: error: model deck not found")
    current = config(tmp_path / "current", deck__1_llm_deck_dot_toml="")
    problems = [str(e) for e in _errors(current)]
    assert len(problems) == 4  # llm, extract, img_gen and search are required; the others not
    assert any("the deck sets no llm.choice_defaults.default_temperature" in p for p in problems)


def _errors(root: Path) -> list[DeckError]:
    with pytest.raises(CompileFailed) as failed:
        compile_dir(root)
    return list(failed.value.errors)


def test_validate_reports_an_exact_route_to_no_declared_model(tmp_path: Path) -> None:
    from compiler.review.diagnose import dead_routes

    profiles = '[profiles.p]\ndescription = "d"\ndefault = "openai"\n[profiles.p.routes]\n'
    build = compiled(tmp_path, routing_profiles_dot_toml=routing(profiles + '"gtp" = "openai"\n'))
    (finding,) = dead_routes(build.resolved.config)
    assert str(finding) == (
        "routing_profiles.toml:6:1: profiles.p.routes.gtp: warning: route `gtp` matches no "
        "declared model\n  hint: no model is named `gtp` (did you mean `gpt`?): fix the pattern, "
        "declare the model in backends/openai.toml, or remove the route"
    )


# --- details pinned down by mutation testing (make mutation, fuzz/mutation.py) -----------------

PROFILE_P = '[profiles.p]\ndescription = "d"\ndefault = "openai"\n'
MISTRAL_OFF = BACKENDS.replace("[mistral]", "[mistral]\nenabled = false")
SEARCH_GPT = (
    "deck/1_llm_deck.toml:{line}:1: search.choice_default: note: `gpt` is not a declared "
    "search model, alias or waterfall (choice choice_default -> gpt); it is recorded "
    "unavailable (no backend declares any search model)\n"
    "  hint: a plugin may declare it when Pipelex loads; --strict makes this an error"
)


def test_a_dead_exact_route_does_not_hide_a_wrong_one_after_it(tmp_path: Path) -> None:
    routes = '[profiles.p.routes]\n"gtp" = "openai"\n"ocr" = "openai"\n'
    problems = failure(tmp_path, routing_profiles_dot_toml=routing(PROFILE_P + routes))
    assert problems == [
        "routing_profiles.toml:7:1: profiles.p.routes.ocr: error: exact route sends ocr to backend "
        "openai, which does not serve it (served by: mistral)\n  hint: route it to mistral, or "
        "add a table for ocr to backends/openai.toml"
    ]


def test_a_route_to_a_disabled_backend_makes_its_models_unavailable(tmp_path: Path) -> None:
    route = '[profiles.p.routes]\n"g*" = "mistral"\n'
    problems = failure(
        tmp_path,
        backends_dot_toml=MISTRAL_OFF,
        routing_profiles_dot_toml=routing(PROFILE_P + route),
    )
    assert problems == [
        'routing_profiles.toml:6:1: profiles.p.routes."g*": error: route `g*` of profile p '
        "sends models "
        "to backend mistral, which is disabled\n  hint: enable mistral, route the models "
        "elsewhere, or make it an optional route"
    ]
    other = '[profiles.q]\ndescription = "d"\ndefault = "openai"\n' + route.replace(".p.", ".q.")
    build = compiled(
        tmp_path,
        backends_dot_toml=MISTRAL_OFF,
        routing_profiles_dot_toml=routing(PROFILE_P + other),
    )
    assert source_warnings(build) == [
        SEARCH_GPT.format(line=16),
        'routing_profiles.toml:9:1: profiles.q.routes."g*": warning: route `g*` of profile q '
        "sends models to backend mistral, which is disabled (profile q is not active; --strict "
        "makes it an error)\n  hint: enable mistral, route the models elsewhere, or make it an "
        "optional route",
    ]
    (refusing,) = build.resolved.config.profiles["q"].routes
    gpt = ModelKey(ModelType.LLM, "gpt")
    assert build.resolved.profiles["q"].placements[gpt] == Placement(
        gpt,
        None,
        None,
        refusing,
        reason="route `g*` of profile q sends it to backend mistral, which is disabled",
        refused_by=refusing,
    )
    assert build.resolved.profiles["p"].placements[gpt] == Placement(
        gpt, "openai", RuleKind.DEFAULT, start=build.resolved.profiles["p"].plan.start
    )


def test_a_disabled_default_records_the_optional_routes_passed_over(tmp_path: Path) -> None:
    other = (
        '[profiles.q]\ndescription = "d"\ndefault = "mistral"\n'
        '[profiles.q.optional_routes]\n"g*" = "mistral"\n'
    )
    build = compiled(
        tmp_path,
        backends_dot_toml=MISTRAL_OFF,
        routing_profiles_dot_toml=routing(PROFILE_P + other),
    )
    (optional,) = build.resolved.config.profiles["q"].routes
    gpt = ModelKey(ModelType.LLM, "gpt")
    assert build.resolved.profiles["q"].placements[gpt] == Placement(
        gpt,
        None,
        None,
        passed=(optional,),
        reason="the default backend of profile q, mistral, is disabled",
        refused_by=build.resolved.config.profiles["q"].default,
    )


def test_without_any_match_internal_serves_what_it_declares(tmp_path: Path) -> None:
    profiles = (
        '[profiles.p]\ndescription = "d"\n[profiles.p.routes]\n"g*" = "openai"\n'
        '[profiles.p.optional_routes]\n"p*" = "mistral"\n'
    )
    build = compiled(
        tmp_path, backends_dot_toml=MISTRAL_OFF, routing_profiles_dot_toml=routing(profiles)
    )
    config = build.resolved.config
    (_, optional) = config.profiles["p"].routes
    pdf = ModelKey(ModelType.TEXT_EXTRACTOR, "pdf")
    assert build.resolved.profiles["p"].placements[pdf] == Placement(
        pdf,
        "internal",
        RuleKind.SEARCH,
        passed=(optional,),
        found=SearchEnd("internal", False, config.backends["internal"].span, internal_only=True),
    )
    both = build.resolved.profiles["p"].placements[ModelKey(ModelType.LLM, "both")]
    assert (both.backend, both.reason) == (
        None,
        "profile p has no route for both and no enabled default or fallback_order backend, and "
        "internal does not serve it",
    )


def test_a_default_lacking_the_model_searches_internal_from_the_default(tmp_path: Path) -> None:
    build = compiled(tmp_path)
    config = build.resolved.config
    pdf = ModelKey(ModelType.TEXT_EXTRACTOR, "pdf")
    default = config.profiles["p"].default
    assert default is not None
    assert build.resolved.profiles["p"].placements[pdf] == Placement(
        pdf,
        "internal",
        RuleKind.SEARCH,
        start=Start("openai", RuleKind.DEFAULT, default.span),
        found=SearchEnd("internal", False, config.backends["internal"].span, internal_only=True),
    )


def test_a_disabled_internal_backend_is_never_searched(tmp_path: Path) -> None:
    build = compiled(tmp_path, backends_override_dot_toml="[internal]\nenabled = false\n")
    profile = build.resolved.profiles["p"]
    assert profile.plan.search_order == ()
    pdf = profile.placements[ModelKey(ModelType.TEXT_EXTRACTOR, "pdf")]
    assert (pdf.backend, pdf.reason) == (
        None,
        "backend openai, the default of profile p, does not serve pdf, and without a "
        "fallback_order only internal is searched, which does not serve it",
    )


def test_reference_warnings_of_the_current_layout(tmp_path: Path) -> None:
    deck = DECK.replace('fast = "gpt"', 'fast = "gpt"\ngpt = "both"') + (
        '[llm.waterfalls]\nw = ["gpt"]\nv = ["fast"]\nx = ["plug"]\n'
    )
    build = compiled(tmp_path, deck__1_llm_deck_dot_toml=deck)
    assert source_warnings(build) == [
        "deck/1_llm_deck.toml:8:1: llm.aliases.gpt: warning: alias `gpt` has the name of a model: "
        "a bare `gpt` names the model wherever it is served\n  hint: rename the alias, or write "
        "`@gpt` where you mean it",
        SEARCH_GPT.format(line=17),
        "deck/1_llm_deck.toml:21:1: llm.waterfalls.x[0]: warning: `plug` is not a declared model, "
        "alias or waterfall (waterfall x -> plug); it is recorded unavailable\n  hint: a plugin "
        "may declare it when Pipelex loads; --strict makes this an error",
    ]
    assert all(w.severity in (Severity.WARNING, Severity.INFO) for w in build.warnings)
    waterfalls = build.resolved.profiles["p"].decks[ModelType.LLM].waterfalls
    # a bare name is the served model before the alias of the same name, else the alias
    assert (waterfalls["w"].path, waterfalls["w"].backend) == (("w", "gpt"), "openai")
    assert (waterfalls["v"].path, waterfalls["v"].backend) == (("v", "fast", "gpt"), "openai")


def test_reference_errors_of_the_current_layout(tmp_path: Path) -> None:
    deck = DECK.replace('fast = "gpt"', 'fast = "gpt"\nlater = "~nowhere"') + (
        '[llm.waterfalls]\nu = ["$q", "gpt"]\n'
        '[llm.presets]\np = { model = "$q", temperature = 0.5 }\n'
        'q = { model = "gpt", temperature = 0.5 }\n'
    )
    assert failure(tmp_path, deck__1_llm_deck_dot_toml=deck) == [
        "deck/1_llm_deck.toml:8:1: llm.aliases.later: error: no waterfall named `nowhere`",
        "deck/1_llm_deck.toml:19:1: llm.waterfalls.u[0]: error: `$q` names a preset, but a "
        "waterfall "
        "step must point at a model or alias\n  hint: point it at the preset's model instead",
        "deck/1_llm_deck.toml:21:7: llm.presets.p.model: error: `$q` names a preset, but a preset "
        "must "
        "point at a model or alias\n  hint: point it at the preset's model instead",
    ]


def test_a_name_of_another_model_type_says_which_types_declare_it(tmp_path: Path) -> None:
    models = MODELS["backends/openai.toml"] + '[gpt-img]\nhandle = "gpt"\nmodel_type = "img_gen"\n'
    deck = DECK + '[search.aliases]\ns = "gpt"\n'
    build = compiled(tmp_path, deck__1_llm_deck_dot_toml=deck, backends__openai_dot_toml=models)
    alias = build.resolved.profiles["p"].decks[ModelType.SEARCH].aliases["s"]
    assert alias.reason == (
        "s: `gpt` is not a declared search model, alias or waterfall (it is declared as: "
        "img_gen, llm)"
    )


def test_reasoning_checks_name_the_field_and_the_inactive_profile(tmp_path: Path) -> None:
    profiles = PROFILE_P + '[profiles.q]\ndescription = "d"\ndefault = "mistral"\n'
    deck = DECK + (
        '[llm.presets]\nr = { model = "small", temperature = 1, reasoning_effort = "none" }\n'
        'b = { model = "small", temperature = 1, reasoning_budget = 100 }\n'
    )
    refused = (
        "deck/1_llm_deck.toml:19:41: llm.presets.b.reasoning_budget: {label}preset `b` sets "
        'reasoning_budget = 100, but model small (backend mistral) has thinking_mode = "none": '
        "Pipelex refuses the call{note}\n  see also backends/mistral.toml:6:1\n  hint: remove "
        "reasoning_budget, or point the preset at a model that reasons"
    )
    build = compiled(
        tmp_path, routing_profiles_dot_toml=routing(profiles), deck__1_llm_deck_dot_toml=deck
    )
    assert source_warnings(build) == [
        SEARCH_GPT.format(line=16),
        refused.format(label="warning: ", note=" (under profile q, which is not active)"),
    ]
    assert failure(
        tmp_path, routing_profiles_dot_toml=routing(profiles, "q"), deck__1_llm_deck_dot_toml=deck
    ) == [refused.format(label="error: ", note="")]


def test_a_reasoning_setting_the_sdk_refuses_is_a_warning_with_pipelexs_reason(
    tmp_path: Path,
) -> None:
    """Beyond thinking_mode "none": what Pipelex refuses when the call is made (a budget for an
    OpenAI model, a budget that max_tokens cannot hold) is found at compile time, as a warning
    (Pipelex boots with it), by the rule sdk_arguments and the LiteLLM export apply."""
    models = (
        '[defaults]\nsdk = "openai"\n[gpt]\nthinking_mode = "manual"\n[both]\n[img]\n'
        'model_type = "img_gen"\n[claude]\nsdk = "anthropic"\nthinking_mode = "manual"\n'
        "valued_constraints = { min_thinking_budget = 1024 }\n"
    )
    deck = DECK + (
        '[llm.presets]\nb = { model = "gpt", temperature = 1, reasoning_budget = 2048 }\n'
        'e = { model = "gpt", temperature = 1, reasoning_effort = "high" }\n'
        'c = { model = "claude", temperature = 1, max_tokens = 1000, reasoning_effort = "low" }\n'
    )
    build = compiled(tmp_path, backends__openai_dot_toml=models, deck__1_llm_deck_dot_toml=deck)
    assert [w for w in source_warnings(build) if "reasoning" in w] == [
        "deck/1_llm_deck.toml:18:39: llm.presets.b.reasoning_budget: warning: preset `b` on model "
        "gpt (backend openai, sdk openai): model 'gpt' does not support reasoning_budget; OpenAI "
        "takes a reasoning_effort; Pipelex refuses the call\n  see also backends/openai.toml:3:1\n"
        "  hint: change or remove the reasoning setting (the SDK arguments and the LiteLLM export "
        "refuse it too)",
        "deck/1_llm_deck.toml:20:61: llm.presets.c.reasoning_effort: warning: preset `c` on model "
        "claude (backend openai, sdk anthropic): model 'claude' cannot think within "
        "max_tokens=1000: raise max_tokens or remove the reasoning setting; Pipelex refuses the "
        "call\n  see also backends/openai.toml:8:1\n  hint: change or remove the reasoning "
        "setting (the SDK arguments and the LiteLLM export refuse it too)",
    ]


def test_a_waterfall_in_a_cycle_is_followed_once(tmp_path: Path) -> None:
    """Cycles are errors, but the resolve stage still records a bounded walk for each."""
    deck = DECK + '[llm.waterfalls]\nw = ["~w", "gpt"]\n'
    resolved, problems = analyse(load_sources(config(tmp_path, deck__1_llm_deck_dot_toml=deck)))
    assert "reference cycle: ~w -> ~w" in [p.message for p in problems]
    assert resolved is not None
    w = resolved.profiles["p"].decks[ModelType.LLM].waterfalls["w"]
    assert (w.path, w.backend) == (("w", "gpt"), "openai")
    assert [(s.ref, s.reason) for s in w.skipped] == [
        ("~w", "w: the waterfall `w` leads back to itself")
    ]


def test_a_fallback_order_of_disabled_backends_searches_internal_only(tmp_path: Path) -> None:
    """Pipelex filters fallback_order to the enabled backends first: empty, it is no order."""
    profiles = '[profiles.p]\ndescription = "d"\ndefault = "openai"\nfallback_order = ["mistral"]\n'
    backends = BACKENDS.replace("[mistral]", "[mistral]\nenabled = false")
    build = compiled(
        tmp_path, routing_profiles_dot_toml=routing(profiles), backends_dot_toml=backends
    )
    plan = build.resolved.profiles["p"].plan
    assert (plan.search_order, plan.internal_only) == (("internal",), True)
    pdf = build.resolved.profiles["p"].placements[ModelKey(ModelType.TEXT_EXTRACTOR, "pdf")]
    assert (pdf.backend, pdf.found is not None and pdf.found.internal_only) == ("internal", True)


def test_an_enabled_backend_must_have_a_model_file_declaring_a_model(tmp_path: Path) -> None:
    """Pipelex refuses to boot otherwise, whichever profile is active (internal may be empty)."""
    backends = BACKENDS + "[spare]\n"
    (missing,) = failure(tmp_path / "a", backends_dot_toml=backends)
    assert missing == (
        "backends.toml:6:1: spare: error: backend `spare` serves no models: backends/spare.toml "
        "not "
        "found\n  hint: create backends/spare.toml with one table per model, or set "
        "`enabled = false`"
    )
    (empty,) = failure(
        tmp_path / "b",
        backends_dot_toml=backends,
        backends__spare_dot_toml='[defaults]\nsdk = "s"\n',
        backends__internal_dot_toml="",
    )
    assert empty.startswith(
        "backends/spare.toml: error: backend `spare` is enabled but backends/spare.toml declares "
        "no model"
    )
    disabled = backends.replace("[spare]", "[spare]\nenabled = false")
    warnings = compiled(tmp_path / "c", backends_dot_toml=disabled).warnings
    assert not [w for w in warnings if "spare" in w.message]


def test_a_doc_gen_choice_must_reach_an_engine_that_makes_that_document(tmp_path: Path) -> None:
    """Pipelex refuses the step at use (DocGenModelCapabilityError); deckc at compile time."""
    models = dict(MODELS)
    models["backends/internal.toml"] += (
        '[printer]\nsdk = "reportlab"\nmodel_type = "doc_gen"\ninputs = ["layout"]\n'
        'outputs = ["pdf"]\n'
    )
    files = {k.replace("/", "__").replace(".", "_dot_"): v for k, v in models.items()}
    good = DECK + '[doc_gen.choice_defaults]\n"pdf.layout" = "printer"\n'
    build = compiled(tmp_path / "good", deck__1_llm_deck_dot_toml=good, **files)
    assert build.lock.decks[ModelType.DOC_GEN].choices["pdf.layout"].target == "printer"
    bad = DECK + '[doc_gen.choice_defaults]\n"docx.layout" = "printer"\n'
    (problem,) = failure(tmp_path / "bad", deck__1_llm_deck_dot_toml=bad, **files)
    assert problem == (
        'deck/1_llm_deck.toml:18:1: doc_gen.choice_defaults."docx.layout": error: doc_gen choice '
        "`docx.layout` reaches engine printer (backend internal), which does not make a docx "
        "from layout (inputs ['layout'], outputs ['pdf']): Pipelex refuses the step\n"
        "  see also backends/internal.toml:4:1\n"
        "  hint: name an engine with `layout` in its inputs and `docx` in its outputs"
    )


def test_a_literal_credential_is_an_error_in_an_override_and_in_a_header(tmp_path: Path) -> None:
    """The current layout's other places for a credential: backends_override.toml, and a model's
    HTTP headers (a header whose name says key, token, secret or password holds a credential)."""
    secret = "sk-live-123456"
    models = MODELS["backends/openai.toml"] + (
        f'[hdr]\nx-portkey-api-key = "{secret}"\nx-portkey-provider = "$PROVIDER"\n'
    )
    problems = failure(
        tmp_path,
        backends_override_dot_toml=f'[openai]\napi_key = "{secret}"\n',
        backends__openai_dot_toml=models,
    )
    assert problems == [
        "backends/openai.toml:8:1: hdr.x-portkey-api-key: error: a credential must be a ${...} "
        "reference, not a literal value, which would be copied into the lockfile and the "
        "generated code\n"
        '  hint: write x-portkey-api-key = "${OPENAI_PORTKEY_API_KEY}" and set the variable (or '
        'leave it empty, "", if the backend needs no credential)',
        "backends_override.toml:2:1: openai.api_key: error: a credential must be a ${...} "
        "reference, not a literal value, which would be copied into the lockfile and the "
        "generated code\n"
        '  hint: write api_key = "${OPENAI_API_KEY}" and set the variable (or leave it empty, "", '
        "if the backend needs no credential)",
    ]
    fixed = models.replace(secret, "${PORTKEY_KEY}")
    build = compiled(tmp_path, backends_override_dot_toml="", backends__openai_dot_toml=fixed)
    assert [str(w) for w in build.warnings if "PROVIDER" in w.message] == [
        "backends/openai.toml:9:1: hdr.x-portkey-provider: warning: `$PROVIDER` is not a variable "
        "reference: without braces it is literal text\n  hint: write ${PROVIDER}"
    ]
