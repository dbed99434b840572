"""The validate stage (compiler/sources/validate.py): each source file against its JSON Schema,
the located messages it explains violations with, the pruned file later stages go on with, and
the fast validator (jsonschema-rs) agreeing with the reference one (jsonschema)."""

from __future__ import annotations

import datetime
from typing import Any

import jsonschema
import pytest

from compiler.core.errors import SchemaError
from compiler.core.resources import load_schema
from compiler.pipeline import analyse
from compiler.sources.load import SourceFile, parse_source
from compiler.sources.validate import surely_valid, validate_file, validate_sources
from tests.conftest import sources_from_texts

SCHEMAS = {
    "backends.toml": "backends",
    "routing_profiles.toml": "routing_profiles",
    "backends/a.toml": "backend_models",
    "deck/base_deck.toml": "deck",
}
PRESET = '[llm_presets.p]\nllm_handle = "m"\n'  # a preset's field on line 3 is at 3:1


def check(path: str, text: str) -> tuple[list[str], SourceFile | None]:
    problems, pruned = validate_file(parse_source(path, text.encode("utf-8")), SCHEMAS[path])
    assert all(isinstance(p, SchemaError) for p in problems)
    return [str(p) for p in problems], pruned


@pytest.mark.parametrize(
    ("path", "text", "message"),
    [
        (
            "deck/base_deck.toml",
            PRESET + "temprature = 0.5\n",
            "deck/base_deck.toml:3:1: llm_presets.p.temprature: error: unknown key `temprature`\n"
            "  hint: did you mean `temperature`?",
        ),
        (
            "routing_profiles.toml",
            'activ = "p"\n[profiles.p]\n',
            "routing_profiles.toml:1:1: activ: error: unknown key `activ`\n  hint: did you mean "
            "`active`?",
        ),
        (
            "backends/a.toml",
            "[m]\nfoo = 1\n",
            "backends/a.toml:2:1: m.foo: error: unknown key `foo`\n"
            "  hint: vendor extensions must start with `x-`",
        ),
        (
            "deck/base_deck.toml",
            PRESET + 'temperature = "hot"\n',
            "deck/base_deck.toml:3:1: llm_presets.p.temperature: error: expected a number, "
            "got a string 'hot'",
        ),
        (
            "backends.toml",
            '[a]\nenabled = "yes"\n',
            "backends.toml:2:1: a.enabled: error: expected a boolean, got a string 'yes'",
        ),
        (
            "backends.toml",
            "[a]\nfoo = [1]\n",
            "backends.toml:2:1: a.foo: error: expected a string or a number or a boolean, "
            "got an array [1]",
        ),
        (
            "deck/base_deck.toml",
            PRESET + "temperature = 1.5\n",
            "deck/base_deck.toml:3:1: llm_presets.p.temperature: error: preset `p`: temperature = "
            "1.5 "
            "is out of range [0, 1]\n"
            "  hint: temperatures are normalized to [0, 1]; temperature = 1 is the hottest",
        ),
        (
            "deck/base_deck.toml",
            PRESET + "max_tokens = 0\n",
            "deck/base_deck.toml:3:1: llm_presets.p.max_tokens: error: expected a positive integer "
            "or "
            '"auto", got 0',
        ),
        (
            "deck/base_deck.toml",
            PRESET + 'max_tokens = "big"\n',
            "deck/base_deck.toml:3:1: llm_presets.p.max_tokens: error: expected a positive integer "
            "or "
            "\"auto\", got 'big'",
        ),
        (
            "backends/a.toml",
            "[m]\nmax_tokens = -1\n",
            "backends/a.toml:2:1: m.max_tokens: error: -1 is out of range: must be at least 1",
        ),
        (
            "backends/a.toml",
            "[m]\ncosts = { input = -2 }\n",
            "backends/a.toml:2:11: m.costs.input: error: -2 is out of range: must be at least 0",
        ),
        (
            "backends/a.toml",
            '[m]\nmodel_type = "lm"\n',
            "backends/a.toml:2:1: m.model_type: error: 'lm' is not one of: llm, img_gen, "
            "text_extractor, "
            "search, doc_gen, judgment\n  hint: did you mean `llm`?",
        ),
        (
            "deck/base_deck.toml",
            "[aliases]\nx = []\n",
            "deck/base_deck.toml:2:1: aliases.x: error: expected a handle or a non-empty list of "
            "handles, got []",
        ),
        (
            "deck/base_deck.toml",
            "[aliases]\n\ny = 3\n",
            "deck/base_deck.toml:3:1: aliases.y: error: expected a handle or a non-empty list of "
            "handles, got 3",
        ),
        (
            "backends.toml",
            "[OpenAI-EU]\n",
            "backends.toml:1:1: OpenAI-EU: error: backend name `OpenAI-EU` is not an identifier "
            "([a-z0-9_]+)\n  hint: rename it `openai_eu` (and its model file to "
            "backends/openai_eu.toml): backend names name files, so only lowercase letters, "
            "digits and _ are allowed",
        ),
        (
            "routing_profiles.toml",
            '[profiles.p.routes]\n"a*b" = "a"\n',
            'routing_profiles.toml:2:1: profiles.p.routes."a*b": error: route pattern `a*b` is not '
            "valid\n  hint: patterns are a model name, `*`, `prefix*`, `*suffix` or `*contains*`",
        ),
        (
            "routing_profiles.toml",
            '[profiles.p]\ndefault = "Bad-Name"\n',
            "routing_profiles.toml:2:1: profiles.p.default: error: `Bad-Name` is not a backend "
            "name "
            "([a-z0-9_]+)",
        ),
        (
            "routing_profiles.toml",
            '[profiles.p]\nfallback_order = ["a", "a"]\n',
            "routing_profiles.toml:2:1: profiles.p.fallback_order: error: items must be unique",
        ),
        (
            "routing_profiles.toml",
            'active = "p"\n',
            "routing_profiles.toml:1:1: error: missing required key profiles",
        ),
        (
            "routing_profiles.toml",
            "[profiles]\n",
            "routing_profiles.toml:1:1: profiles: error: must declare at least one entry",
        ),
        (
            "backends/a.toml",
            'default_sdkk = "x"\n[m]\n',
            "backends/a.toml:1:1: default_sdkk: error: unknown key `default_sdkk` (not a model "
            "table "
            "nor a known default_*)\n  hint: did you mean `default_sdk` or `defaults` or "
            "`default_rules`?",
        ),
    ],
)
def test_each_violation_has_one_located_message(path: str, text: str, message: str) -> None:
    assert check(path, text)[0] == [message]


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        (
            "[m]\nx-cost = inf\n",
            ["backends/a.toml:2:1: m.x-cost: error: inf is not a finite number"],
        ),
        (
            "[m]\nvalued_constraints = { fixed_temperature = nan }\n",
            [
                "backends/a.toml:2:24: m.valued_constraints.fixed_temperature: "
                "error: nan is not a finite number"
            ],
        ),
        (
            "[m]\nx-since = 2024-01-02\n",
            [
                "backends/a.toml:2:1: m.x-since: error: 2024-01-02 is a TOML date; deckc keeps "
                "only "
                'strings, numbers, booleans, arrays and tables\n  hint: quote it: "2024-01-02"'
            ],
        ),
        (
            "[m]\nx-at = 10:30:00\n",
            [
                "backends/a.toml:2:1: m.x-at: error: 10:30:00 is a TOML time; deckc keeps only "
                'strings, numbers, booleans, arrays and tables\n  hint: quote it: "10:30:00"'
            ],
        ),
        (
            "[m]\nx-at = 2024-01-02T10:30:00Z\n",
            [
                "backends/a.toml:2:1: m.x-at: error: 2024-01-02T10:30:00+00:00 is a TOML "
                "date-time; "
                "deckc keeps only strings, numbers, booleans, arrays and tables\n"
                '  hint: quote it: "2024-01-02T10:30:00+00:00"'
            ],
        ),
    ],
)
def test_toml_values_json_lacks_are_errors_even_where_the_schema_allows_anything(
    text: str, messages: list[str]
) -> None:
    assert check("backends/a.toml", text)[0] == messages


def test_a_nan_the_schema_accepts_is_pruned_like_any_other_offending_value() -> None:
    found, pruned = check("deck/base_deck.toml", PRESET + "temperature = nan\n")
    assert found == [
        "deck/base_deck.toml:3:1: llm_presets.p.temperature: error: nan is not a finite number"
    ]
    assert pruned is not None and pruned.data == {"llm_presets": {"p": {"llm_handle": "m"}}}


def test_a_top_level_default_of_the_wrong_type_is_a_type_error() -> None:
    assert check("backends/a.toml", "default_sdk = 3\n[m]\n")[0] == [
        "backends/a.toml:1:1: default_sdk: error: expected a string, got an integer 3"
    ]


def test_a_date_where_a_string_is_expected_is_reported_and_pruned() -> None:
    found, pruned = check("deck/base_deck.toml", PRESET + "description = 2024-01-02\n")
    assert found == [  # once: not also as "expected a string, got date ..."
        "deck/base_deck.toml:3:1: llm_presets.p.description: error: 2024-01-02 is a TOML date; "
        "deckc "
        'keeps only strings, numbers, booleans, arrays and tables\n  hint: quote it: "2024-01-02"'
    ]
    assert pruned is not None and pruned.data == {"llm_presets": {"p": {"llm_handle": "m"}}}


def test_an_infinite_temperature_is_out_of_range_not_finite_and_pruned() -> None:
    found, pruned = check("deck/base_deck.toml", PRESET + "temperature = inf\nmax_tokens = 9\n")
    assert sorted(found) == [
        "deck/base_deck.toml:3:1: llm_presets.p.temperature: error: inf is not a finite number",
        "deck/base_deck.toml:3:1: llm_presets.p.temperature: error: preset `p`: temperature = inf "
        "is "
        "out of range [0, 1]\n"
        "  hint: temperatures are normalized to [0, 1]; temperature = 1 is the hottest",
    ]
    assert pruned is not None
    assert pruned.data == {"llm_presets": {"p": {"llm_handle": "m", "max_tokens": 9}}}


def test_pruning_drops_only_the_offending_values_and_leaves_the_file_untouched() -> None:
    text = PRESET + 'temperature = 1.5\nmax_tokens = 100\n[llm_presets.q]\nllm_handle = "n"\n'
    text += '[aliases]\nok = "m"\nbad = []\n[llm_choice_defaults]\nfor_text = "p"\nfor_txt = "q"\n'
    file = parse_source("deck/base_deck.toml", text.encode())
    found, pruned = validate_file(file, "deck")
    assert len(found) == 3
    assert pruned is not None and pruned.path == file.path and pruned.positions == file.positions
    assert pruned.data == {
        "llm_presets": {"p": {"llm_handle": "m", "max_tokens": 100}, "q": {"llm_handle": "n"}},
        "aliases": {"ok": "m"},
        "llm_choice_defaults": {"for_text": "p"},
    }
    assert file.data["llm_presets"]["p"]["temperature"] == 1.5
    assert file.data["aliases"]["bad"] == []


def test_a_valid_file_is_returned_as_it_is() -> None:
    file = parse_source("deck/base_deck.toml", (PRESET + "temperature = 0.5\n").encode())
    found, pruned = validate_file(file, "deck")
    assert found == [] and pruned is file


@pytest.mark.parametrize("text", ['active = "p"\n', "[profiles]\n", "[[profiles]]\n"])
def test_a_file_that_pruning_cannot_save_is_unusable(text: str) -> None:
    assert check("routing_profiles.toml", text)[1] is None


def test_pruned_sources_let_later_stages_report_their_own_findings() -> None:
    files = {
        "backends.toml": "[a]\n",
        "routing_profiles.toml": '[profiles.p]\ndefault = "a"\n',
        "backends/a.toml": "[m]\n",
        "deck/base_deck.toml": PRESET + 'temperature = 3\n[aliases]\nbest = "mm"\n',
    }
    sources = sources_from_texts(files)
    valid, problems = validate_sources(sources)
    assert valid is not None and len(problems) == 1
    assert valid.decks[0].data["llm_presets"] == {"p": {"llm_handle": "m"}}
    assert valid.backends is sources.backends  # a valid file is kept as it is
    resolved, diagnostics = analyse(sources)
    assert resolved is not None
    assert [str(d).split("\n")[0] for d in diagnostics] == [
        "deck/base_deck.toml:3:1: llm_presets.p.temperature: error: preset `p`: temperature = 3 is "
        "out "
        "of range [0, 1]",
        "deck/base_deck.toml:5:1: aliases.best: error: `mm` is not a declared model or alias "
        "(alias best -> mm)",
    ]


def test_an_unusable_file_makes_the_sources_unusable() -> None:
    files = {
        "backends.toml": "[a]\n",
        "routing_profiles.toml": 'active = "p"\n',
        "deck/base_deck.toml": "",
    }
    valid, problems = validate_sources(sources_from_texts(files))
    assert valid is None
    assert [str(p) for p in problems] == [
        "routing_profiles.toml:1:1: error: missing required key profiles"
    ]


def reference_valid(name: str, data: Any) -> bool:
    schema = load_schema(name)
    validator = jsonschema.validators.validator_for(schema)(schema)
    return not any(True for _ in validator.iter_errors(data))


@pytest.mark.parametrize(
    ("name", "data", "valid"),
    [
        ("deck", {"aliases": {"a": "b", "c": ["d", "@e"]}}, True),
        ("deck", {"aliases": {"a": []}}, False),
        ("deck", {"llm_presets": {"p": {"llm_handle": "m", "max_tokens": "auto"}}}, True),
        ("deck", {"llm_presets": {"p": {"max_tokens": "Auto"}}}, False),
        ("backends", {"a": {"enabled": False, "x": 1.5}}, True),
        ("backends", {"A": {}}, False),
        ("routing_profiles", {"profiles": {"p": {"routes": {"*mini*": "a"}}}}, True),
        ("routing_profiles", {"profiles": {"p": {"routes": {"**": "a"}}}}, False),
        ("routing_profiles", {}, False),
        ("backend_models", {"default_sdk": "s", "m": {"x-any": [1, {"k": None}]}}, True),
        ("backend_models", {"models": {"m": {"costs": {"input": -1}}}}, False),
    ],
)
def test_the_fast_and_the_reference_validators_agree(name: str, data: Any, valid: bool) -> None:
    assert surely_valid(name, data) is valid
    assert reference_valid(name, data) is valid


def test_surely_valid_says_no_to_what_it_cannot_read() -> None:
    data = {"llm_presets": {"p": {"description": datetime.date(2024, 1, 2)}}}
    assert surely_valid("deck", data) is False
    assert reference_valid("deck", data) is False


SPLIT_MESSAGE = (
    "the bare key `claude-4.1-opus` is read as model `claude-4` holding a table `1-opus` "
)


@pytest.mark.parametrize(
    ("text", "schema", "expected"),
    [
        (
            '[models.claude-4.1-opus]\nsdk = "anthropic"\n',
            "backend_models",
            [
                "backends/a.toml:1:1: models.claude-4.1-opus: error: " + SPLIT_MESSAGE + "(in a "
                "bare key, a dot separates keys)\n"
                '  hint: quote the model name: [models."claude-4.1-opus"]'
            ],
        ),
        (  # the model's own mistakes are found under the name meant, where they are written
            '[defaults]\nsdk = "anthropic"\n[claude-4.1-opus]\nmax_tokens = "many"\n',
            "backend_models-0.92",
            [
                "backends/a.toml:3:1: claude-4.1-opus: error: " + SPLIT_MESSAGE + "(in a bare key, "
                'a dot separates keys)\n  hint: quote the model name: ["claude-4.1-opus"]',
                'backends/a.toml:4:1: "claude-4.1-opus".max_tokens: error: expected an integer, '
                "got a string 'many'",
            ],
        ),
    ],
)
def test_a_model_name_a_dotted_bare_key_split_gets_the_hint_to_quote_it(
    text: str, schema: str, expected: list[str]
) -> None:
    problems, pruned = validate_file(parse_source("backends/a.toml", text.encode()), schema)
    assert [str(p) for p in problems] == expected
    assert pruned is not None
    models = pruned.data.get("models", pruned.data)
    assert "claude-4.1-opus" in models and "claude-4" not in models


def test_a_table_spelt_like_a_model_field_is_no_split_name() -> None:
    assert check("backends/a.toml", "[models.gpt-4o.cost]\ninput = 1\n")[0] == [
        "backends/a.toml:1:1: models.gpt-4o.cost: error: unknown key `cost`\n"
        "  hint: did you mean `costs`?"
    ]
