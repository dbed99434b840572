"""The build stage (compiler/sources/build.py): schema-valid sources turned into the typed IR
(compiler/core/ir.py), every entity keyed and located, and the cross-file problems it reports."""

from __future__ import annotations

import pytest

from compiler.core.errors import DeckError, Location, Severity, Span
from compiler.core.ir import Config, ModelKey, ModelType, Ref, RefKind, is_secret_key
from compiler.runtime import envvars
from compiler.sources.build import build_config
from compiler.sources.validate import validate_sources
from tests.conftest import sources_from_texts

BACKENDS = "[a]\n[b]\n"
ROUTING = 'active = "p"\n[profiles.p]\ndefault = "a"\n'
LLM = ModelType.LLM


def built(files: dict[str, str]) -> tuple[Config, list[DeckError]]:
    """Validate (which must find nothing) and build ``files`` over a minimal configuration."""
    texts = {"backends.toml": BACKENDS, "routing_profiles.toml": ROUTING, "deck/base_deck.toml": ""}
    texts.update(files)
    valid, schema_problems = validate_sources(sources_from_texts(texts))
    assert valid is not None and schema_problems == []
    return build_config(valid)


def build(files: dict[str, str]) -> tuple[Config, list[str]]:
    config, problems = built(files)
    return config, [str(p) for p in problems]


def at(path: str, line: int, column: int, *key_path: str | int) -> Span:
    return Span(Location(path, line, column), key_path)


def test_models_are_keyed_by_type_and_name_with_backends_in_backends_toml_order() -> None:
    config, problems = build(
        {
            "backends.toml": "[b]\n[a]\n",
            "backends/a.toml": '[m1]\n[zz]\n[pic]\nmodel_type = "img_gen"\n',
            "backends/b.toml": "[m1]\n",
        }
    )
    assert problems == []
    pic, m1, zz = ModelKey(ModelType.IMG_GEN, "pic"), ModelKey(LLM, "m1"), ModelKey(LLM, "zz")
    assert list(config.models) == [pic, m1, zz]  # sorted by (type, name)
    assert list(config.models[m1]) == ["b", "a"]
    assert [(s.backend, s.span) for s in config.declarations(m1)] == [
        ("b", at("backends/b.toml", 1, 1, "m1")),
        ("a", at("backends/a.toml", 1, 1, "m1")),
    ]
    assert config.keys(LLM) == [m1, zz]
    assert config.keys(ModelType.IMG_GEN) == [pic]
    assert (config.serves("a", zz), config.serves("b", zz)) == (True, False)
    assert (str(pic), str(m1)) == ("pic (img_gen)", "m1")
    assert config.declarations(ModelKey(LLM, "nowhere")) == []


def test_both_model_forms_take_the_defaults_and_keep_extensions() -> None:
    config, problems = build(
        {
            "backends/a.toml": (
                "default_max_tokens = 100\n"
                '[defaults]\nsdk = "openai"\nx-owner = "team"\n'
                '[models.m1]\nmodel_id = "gpt-m1"\nx-tier = "gold"\n'
                '["m.2"]\nmax_tokens = 5\n'
            )
        }
    )
    assert problems == []
    m1 = config.spec("a", ModelKey(LLM, "m1"))
    assert dict(m1.fields) == dict(
        sdk="openai", max_tokens=100, model_id="gpt-m1", model_type="llm"
    )
    assert dict(m1.extensions) == {"x-owner": "team", "x-tier": "gold"}
    assert m1.span == at("backends/a.toml", 5, 1, "models", "m1")
    assert (m1.model_id, m1.max_tokens) == ("gpt-m1", 100)
    m2 = config.spec("a", ModelKey(LLM, "m.2"))
    assert dict(m2.fields) == dict(sdk="openai", max_tokens=5, model_id="m.2", model_type="llm")
    assert m2.span == at("backends/a.toml", 8, 1, "m.2")


def test_a_default_given_twice_is_an_error() -> None:
    _, problems = build({"backends/a.toml": 'default_sdk = "1"\n[defaults]\nsdk = "2"\n[m]\n'})
    assert problems == [
        "backends/a.toml:1:1: default_sdk: error: default for `sdk` given twice\n"
        "  hint: keep either `default_sdk` or `defaults.sdk`"
    ]


def test_a_model_declared_twice_in_one_file_points_at_both() -> None:
    config, problems = build({"backends/a.toml": '["m.x"]\n[models."m.x"]\nsdk = "s"\n'})
    assert problems == [
        'backends/a.toml:2:1: models."m.x": error: model `m.x` is declared twice in this file\n'
        "  see also backends/a.toml:1:1"
    ]
    kept = config.spec("a", ModelKey(LLM, "m.x"))
    assert (kept.span.key_path, "sdk" in kept.fields) == (("m.x",), False)


def test_a_default_model_type_gives_every_model_that_type() -> None:
    config, _ = build({"backends/a.toml": '[defaults]\nmodel_type = "search"\n[web]\n[deep]\n'})
    assert list(config.models) == [ModelKey(ModelType.SEARCH, n) for n in ("deep", "web")]
    assert config.keys(LLM) == []


def test_a_table_valued_top_level_default_is_a_default_not_a_model() -> None:
    config, _ = build({"backends/a.toml": "default_costs = { input = 1.0 }\n[m]\n"})
    assert list(config.models) == [ModelKey(LLM, "m")]
    assert config.spec("a", ModelKey(LLM, "m")).fields["costs"] == {"input": 1.0}


def test_backends_keep_credentials_options_order_and_spans() -> None:
    config, problems = build(
        {"backends.toml": '[b]\nenabled = false\n[a]\napi_key = "${A_KEY}"\nregion_hint = "eu"\n'}
    )
    assert problems == []
    a, b = config.backends["a"], config.backends["b"]
    assert list(config.backends) == ["b", "a"]
    assert [(x.order, x.enabled) for x in (a, b)] == [(1, True), (0, False)]
    assert dict(a.credentials) == {"api_key": "${A_KEY}"}
    assert dict(a.options) == {"region_hint": "eu"}
    assert a.span == at("backends.toml", 3, 1, "a")
    assert a.field_spans["region_hint"] == at("backends.toml", 5, 1, "a", "region_hint")


@pytest.mark.parametrize(
    ("written", "known"),
    [("aws_regoin", "aws_region"), ("api_vesion", "api_version"), ("enable", "enabled")],
)
def test_a_provider_option_that_looks_misspelt_is_a_warning(written: str, known: str) -> None:
    config, (warning,) = built({"backends.toml": f'[a]\n{written} = "x"\n[b]\n'})
    assert warning.severity is Severity.WARNING
    assert str(warning) == (
        f"backends.toml:2:1: a.{written}: warning: provider option `{written}` looks like a "
        f"misspelling of `{known}`\n"
        f"  hint: rename it to `{known}`, or ignore this if `{written}` is intended"
    )
    assert config.backends["a"].options[written] == "x"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("${KEY", "no closing }"),
        ("${1X}", "`1X` is not a variable name"),
        ("Bearer ${}", "`` is not a variable name"),
        ("${vault:KEY}", "unknown source `vault:` (use env: or secret:)"),
        ("${env:A|}", "`` is not a variable name"),
        ("${A:-${B}}", "a default cannot hold a reference: write the value itself"),
    ],
)
def test_a_malformed_variable_reference_in_a_credential_is_an_error(value: str, why: str) -> None:
    _, problems = build({"backends.toml": f'[a]\nendpoint = "{value}"\n[b]\n'})
    shown = value[value.index("$") :]
    assert problems == [
        f"backends.toml:2:1: a.endpoint: error: malformed variable reference `{shown}`: {why}"
        "\n  hint: write ${VAR}, ${env:VAR}, ${secret:VAR}, ${env:A|secret:B} or ${VAR:-default}"
    ]


SECRET = "sk-live-123456"
LITERAL = (
    "a credential must be a ${...} reference, not a literal value, which would be copied into the "
    "lockfile and the generated code"
)


@pytest.mark.parametrize(
    ("key", "value", "variable"),
    [
        ("api_key", SECRET, "OPENAI_API_KEY"),
        ("api_key", f"{SECRET}${{OPENAI_API_KEY}}", "OPENAI_API_KEY"),  # partly literal
        ("api_key", f"Bearer {SECRET}", "OPENAI_API_KEY"),
        ("aws_secret_access_key", SECRET, "OPENAI_AWS_SECRET_ACCESS_KEY"),
        ("auth_token", SECRET, "OPENAI_AUTH_TOKEN"),
        ("client_secret", SECRET, "OPENAI_CLIENT_SECRET"),
        ("password", SECRET, "OPENAI_PASSWORD"),
        ("openai_apiKey", SECRET, "OPENAI_APIKEY"),
    ],
)
def test_a_credential_written_literally_is_an_error_that_never_quotes_it(
    key: str, value: str, variable: str
) -> None:
    config, problems = build({"backends.toml": f'[openai]\n{key} = "{value}"\n[a]\n'})
    assert problems == [
        f"backends.toml:2:1: openai.{key}: error: {LITERAL}\n"
        f'  hint: write {key} = "${{{variable}}}" and set the variable (or leave it empty, "", if '
        "the backend needs no credential)"
    ]
    openai = config.backends["openai"]
    assert SECRET not in repr(openai)  # the IR leaves it out: no later stage can write it
    assert key in openai.field_spans


def test_a_credential_suggests_a_variable_named_after_its_backend() -> None:
    _, problems = build({"backends.toml": '[a]\n[1min]\napi_key = "k"\n'})
    assert ['write api_key = "${_1MIN_API_KEY}"' in p for p in problems] == [True]


def test_references_and_empty_values_are_the_accepted_credentials() -> None:
    backends = """
[a]
api_key = ""
auth_token = "${env:A|secret:B|C}"
client_secret = "${SECRET:-}"
password = "${P}${Q}"
[b]
api_key = "${B_KEY:-not-a-secret}"
endpoint = "https://api.example/v1"
api_version = "2024-10-21"
aws_region = "eu-west-1"
gcp_credentials_file_path = "/run/creds.json"
claude_4_tokens_limit = 8192
"""
    config, problems = build({"backends.toml": backends})
    assert problems == []
    assert config.backends["a"].credentials == {"api_key": ""}
    assert config.backends["a"].options["password"] == "${P}${Q}"


@pytest.mark.parametrize(
    ("key", "word"),
    [
        ("api_key", "key"),
        ("aws_secret_access_key", "secret"),
        ("x-portkey-api-key", "key"),
        ("authToken", "token"),
        ("DB_PASSWORD", "password"),
        ("claude_4_tokens_limit", None),
        ("gcp_credentials_file_path", None),
        ("endpoint", None),
        ("monkey_bars", None),
    ],
)
def test_a_field_is_a_credential_when_a_word_of_its_name_says_so(
    key: str, word: str | None
) -> None:
    assert is_secret_key(key) is (word is not None)


def test_a_dollar_name_without_braces_in_a_credential_is_an_error() -> None:
    backends = '[anthropic]\napi_key = "$ANTHROPIC_API_KEY"\n[a]\nauth_token = "${A}$B"\n'
    config, problems = build({"backends.toml": backends})
    assert problems == [
        "backends.toml:2:1: anthropic.api_key: error: `$ANTHROPIC_API_KEY` is not a variable "
        "reference: without braces it is literal text\n  hint: write ${ANTHROPIC_API_KEY}",
        "backends.toml:4:1: a.auth_token: error: `$B` is not a variable reference: without braces "
        "it is literal text\n  hint: write ${B}",
    ]
    assert config.backends["anthropic"].credentials == {}


def test_a_dollar_name_without_braces_elsewhere_is_a_warning() -> None:
    backends = '[a]\nendpoint = "https://$HOST/v1"\nregion_name = "$REGION"\n[b]\n'
    config, problems = built({"backends.toml": backends})
    assert [(p.severity, str(p)) for p in problems] == [
        (
            Severity.WARNING,
            "backends.toml:2:1: a.endpoint: warning: `$HOST` is not a variable reference: without "
            "braces it is literal text\n  hint: write ${HOST}",
        ),
        (
            Severity.WARNING,
            "backends.toml:3:1: a.region_name: warning: `$REGION` is not a variable reference: "
            "without braces it is literal text\n  hint: write ${REGION}",
        ),
    ]
    assert config.backends["a"].credentials["endpoint"] == "https://$HOST/v1"


@pytest.mark.parametrize(
    ("text", "literal", "unbraced"),
    [
        ("", "", []),
        ("${A}${env:B|C}", "", []),
        ("${A:-$B}", "", []),  # inside a reference: its default
        ("$A", "$A", ["A"]),
        ("https://$HOST:$PORT/$HOST", "https://$HOST:$PORT/$HOST", ["HOST", "PORT"]),
        ("x${A}y$B_2-z", "xy$B_2-z", ["B_2"]),
        ("$1 $ $$ ${", "$1 $ $$ ${", []),
    ],
)
def test_the_literal_text_of_a_value_and_its_names_without_braces(
    text: str, literal: str, unbraced: list[str]
) -> None:
    assert (envvars.literal_text(text), envvars.unbraced(text)) == (literal, unbraced)


@pytest.mark.parametrize(
    ("text", "kind", "name"),
    [
        ("@x", RefKind.ALIAS, "x"),
        ("alias:x", RefKind.ALIAS, "x"),
        ("$p", RefKind.PRESET, "p"),
        ("preset:p", RefKind.PRESET, "p"),
        ("~w", RefKind.WATERFALL, "w"),
        ("handle:h", RefKind.HANDLE, "h"),
        ("bare", RefKind.BARE, "bare"),
        ("@", RefKind.BARE, "@"),
    ],
)
def test_alias_targets_are_parsed_references_located_by_index(
    text: str, kind: RefKind, name: str
) -> None:
    config, _ = build(
        {"deck/base_deck.toml": f'[aliases]\none = "{text}"\nmany = ["m", "{text}"]\n'}
    )
    aliases = config.decks[LLM].aliases
    one, many = aliases["one"], aliases["many"]
    assert one.targets == (
        Ref(text, kind, name, at("deck/base_deck.toml", 2, 1, "aliases", "one")),
    )
    assert many.targets[1] == Ref(
        text, kind, name, at("deck/base_deck.toml", 3, 1, "aliases", "many", 1)
    )
    assert (one.is_list, [t.text for t in one.targets]) == (False, [text])
    assert (many.is_list, [t.text for t in many.targets]) == (True, ["m", text])
    assert kind.is_handle is (kind is not RefKind.PRESET)


def test_an_alias_override_replaces_the_whole_value_and_records_what_it_replaced() -> None:
    config, _ = build(
        {
            "deck/base_deck.toml": '[aliases]\nx = ["m1", "m2"]\n',
            "deck/extra.toml": '\n[aliases]\nx = "m3"\n',
            "deck/overrides.toml": '[aliases]\ny = "m1"\nx = ["m4"]\n',
        }
    )
    x = config.decks[LLM].aliases["x"]
    assert [t.text for t in x.targets] == ["m4"]
    assert x.span == at("deck/overrides.toml", 3, 1, "aliases", "x")
    assert x.replaced == (
        at("deck/base_deck.toml", 2, 1, "aliases", "x"),
        at("deck/extra.toml", 3, 1, "aliases", "x"),
    )
    assert config.decks[LLM].aliases["y"].replaced == ()


def test_presets_merge_field_by_field_across_deck_files() -> None:
    config, problems = build(
        {
            "deck/base_deck.toml": (
                '[llm_presets.p]\nllm_handle = "@best"\ntemperature = 0.2\nmax_tokens = 500\n'
            ),
            "deck/overrides.toml": '[llm_presets.p]\ntemperature = 0.7\nmax_tokens = "auto"\n',
        }
    )
    assert problems == []
    p = config.decks[LLM].presets["p"]
    assert dict(p.values) == {"llm_handle": "@best", "temperature": 0.7, "max_tokens": "auto"}
    assert (p.temperature, p.max_tokens) == (0.7, "auto")
    assert p.span == at("deck/base_deck.toml", 1, 1, "llm_presets", "p")
    assert dict(p.field_spans) == {
        "llm_handle": at("deck/base_deck.toml", 2, 1, "llm_presets", "p", "llm_handle"),
        "temperature": at("deck/overrides.toml", 2, 1, "llm_presets", "p", "temperature"),
        "max_tokens": at("deck/overrides.toml", 3, 1, "llm_presets", "p", "max_tokens"),
    }
    assert p.target == Ref("@best", RefKind.ALIAS, "best", p.field_spans["llm_handle"])


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            "",
            [
                "deck/base_deck.toml:2:1: llm_presets.p: error: preset `p` has no llm_handle\n"
                '  hint: add llm_handle = "<model or alias>"'
            ],
        ),
        ('[llm_presets.p]\nllm_handle = "m"\n', []),
    ],
)
def test_a_preset_needs_an_llm_handle_in_some_deck_file(
    overrides: str, expected: list[str]
) -> None:
    config, problems = build(
        {
            "deck/base_deck.toml": "\n[llm_presets.p]\ntemperature = 0.1\n",
            "deck/overrides.toml": overrides,
        }
    )
    assert problems == expected
    assert list(config.decks[LLM].presets) == ([] if expected else ["p"])


def test_choices_keep_their_references_and_an_override_may_disable() -> None:
    config, _ = build(
        {
            "deck/base_deck.toml": (
                '[llm_choice_defaults]\nfor_text = "$fast"\nfor_object = "disabled"\n'
            ),
            "deck/overrides.toml": '[llm_choice_overrides]\nfor_object = "disabled"\n',
        }
    )
    deck = config.decks[LLM]
    assert deck.choice_kinds == ("for_text", "for_object")
    text, default = deck.choice_defaults["for_text"], deck.choice_defaults["for_object"]
    where = at("deck/base_deck.toml", 2, 1, "llm_choice_defaults", "for_text")
    assert (text.value, text.ref, text.span) == (
        "$fast",
        Ref("$fast", RefKind.PRESET, "fast", where),
        where,
    )
    assert default.ref is not None and default.ref.kind is RefKind.BARE  # only overrides disable
    (override,) = deck.choice_overrides.values()
    assert (override.kind, override.value, override.ref, override.span) == (
        "for_object",
        "disabled",
        None,
        at("deck/overrides.toml", 2, 1, "llm_choice_overrides", "for_object"),
    )


def test_a_profile_names_its_backends_with_spans_and_routes_in_order() -> None:
    config, problems = build(
        {
            "routing_profiles.toml": (
                'active = "p"\n[profiles.p]\ndescription = "main"\ndefault = "a"\n'
                'fallback_order = ["b", "a"]\n[profiles.p.routes]\n"gpt-*" = "b"\n'
                '[profiles.p.optional_routes]\nx = "a"\n'
            )
        }
    )
    assert problems == []
    p = config.profiles["p"]
    f = "routing_profiles.toml"
    assert (p.name, p.description, p.span) == ("p", "main", at(f, 2, 1, "profiles", "p"))
    assert p.default is not None
    assert (p.default.backend, p.default.span) == ("a", at(f, 4, 1, "profiles", "p", "default"))
    assert [(r.backend, r.span) for r in p.fallback_order] == [
        ("b", at(f, 5, 19, "profiles", "p", "fallback_order", 0)),
        ("a", at(f, 5, 24, "profiles", "p", "fallback_order", 1)),
    ]
    assert [(r.pattern.text, r.backend, r.optional, r.span) for r in p.routes] == [
        ("gpt-*", "b", False, at(f, 7, 1, "profiles", "p", "routes", "gpt-*")),
        ("x", "a", True, at(f, 9, 1, "profiles", "p", "optional_routes", "x")),
    ]
    assert (config.active, config.active_span) == ("p", at(f, 1, 1, "active"))


def test_undeclared_backends_of_a_profile_are_reported_and_dropped() -> None:
    config, problems = build(
        {
            "routing_profiles.toml": (
                '[profiles.p]\ndefault = "zz"\nfallback_order = ["aa", "b"]\n'
                '[profiles.p.routes]\n"m*" = "bb"\n'
            )
        }
    )
    assert problems == [
        'routing_profiles.toml:5:1: profiles.p.routes."m*": error: backend `bb` is not declared in '
        "backends.toml\n  hint: did you mean `b`?",
        "routing_profiles.toml:2:1: profiles.p.default: error: backend `zz` is not declared in "
        "backends.toml\n  hint: declared backends: a, b; or declare [zz] in backends.toml",
        "routing_profiles.toml:3:19: profiles.p.fallback_order[0]: error: backend `aa` is not "
        "declared "
        "in backends.toml\n  hint: did you mean `a`?",
    ]
    p = config.profiles["p"]
    assert (p.default, p.routes, [r.backend for r in p.fallback_order]) == (None, (), ["b"])


ACTIVE = "routing_profiles.toml:1:1: active: error: "


@pytest.mark.parametrize(
    ("routing", "active", "expected"),
    [
        ('active = "mian"\n[profiles.main]\n', "mian", "active profile `mian` is not declared"),
        ('active = "q"\n[profiles.main]\n', "q", "active profile `q` is not declared"),
        ("[profiles.x]\n[profiles.y]\n", "", "no active profile"),
        ("\n[profiles.only]\n", "only", None),
    ],
)
def test_the_active_profile(routing: str, active: str, expected: str | None) -> None:
    hints = {
        "mian": "did you mean `main`?",
        "q": "declare [profiles.q]",
        "": 'add `active = "x"` (or another profile)',
    }
    config, problems = build({"routing_profiles.toml": routing})
    assert config.active == active
    assert problems == ([f"{ACTIVE}{expected}\n  hint: {hints[active]}"] if expected else [])
