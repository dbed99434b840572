"""Load stage: bytes -> parsed, positioned source files; missing files and bad bytes located."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.core.errors import CompileFailed, ConfigSyntaxError, ModelDeckNotFoundError
from compiler.sources.load import load_sources, parse_source
from tests.conftest import EXAMPLE


def test_parse_source_records_hash_and_positions() -> None:
    source = parse_source("backends.toml", b'[openai]\nenabled = true\napi_key = "${K}"\n')
    assert source.data == {"openai": {"enabled": True, "api_key": "${K}"}}
    assert source.locate(("openai",)).line == 1
    assert str(source.locate(("openai", "api_key"))) == "backends.toml:3:1"
    assert str(source.locate(("openai", "api_key", "deeper"))) == "backends.toml:3:1"
    assert len(source.sha256) == 64


def test_invalid_toml_is_located() -> None:
    with pytest.raises(ConfigSyntaxError) as info:
        parse_source("routing_profiles.toml", b'active = "a"\n[profiles.a\n')
    assert str(info.value).startswith("routing_profiles.toml:2:")
    assert "invalid TOML" in str(info.value)


def test_invalid_utf8_is_located() -> None:
    with pytest.raises(ConfigSyntaxError) as info:
        parse_source("backends.toml", b'[openai]\ndisplay_name = "caf\xe9"\n')
    assert str(info.value) == (
        "backends.toml:2:20: error: not valid UTF-8 (byte 0xe9)\n  hint: TOML files must be UTF-8 "
        "encoded"
    )


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(CompileFailed) as info:
        load_sources(tmp_path / "nowhere")
    (error,) = info.value.errors
    assert isinstance(error, ModelDeckNotFoundError)


def test_missing_files_are_all_reported(tmp_path: Path) -> None:
    with pytest.raises(CompileFailed) as info:
        load_sources(tmp_path)
    messages = sorted(str(e).splitlines()[0] for e in info.value.errors)
    assert messages == [
        "backends.toml: error: backends file not found",
        "deck/base_deck.toml: error: model deck not found",
        "routing_profiles.toml: error: routing profiles file not found",
    ]


def test_example_loads_in_deck_order() -> None:
    sources = load_sources(EXAMPLE)
    assert [f.path for f in sources.decks] == ["deck/base_deck.toml", "deck/overrides.toml"]
    assert set(sources.models) <= {
        "openai",
        "anthropic",
        "azure_openai",
        "pipelex_inference",
        "mistral",
        "vertexai",
        "bedrock",
        "google",
    }


def test_deck_files_merge_in_byte_order_of_their_path_as_pipelex_0_10_reads_them(
    tmp_path: Path,
) -> None:
    """Pipelex 0.10.2 sorts every deck/**/*.toml by path (``get_llm_deck_paths``)."""
    for rel, text in {
        "backends.toml": "[b]\n",
        "routing_profiles.toml": 'active = "p"\n[profiles.p]\ndefault = "b"\n',
        "backends/b.toml": "[m]\n",
        "deck/base_deck.toml": "",
        "deck/overrides.toml": "",
        "deck/zz_team.toml": "",
        "deck/10_org.toml": "",
        "deck/team/more.toml": "",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    sources = load_sources(tmp_path)
    assert [f.path for f in sources.decks] == [
        "deck/10_org.toml",
        "deck/base_deck.toml",
        "deck/overrides.toml",
        "deck/team/more.toml",
        "deck/zz_team.toml",
    ]


def write_files(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_a_syntax_error_hides_no_schema_error_of_the_other_files(tmp_path: Path) -> None:
    """backends.toml unreadable: which model files a backend uses is unknown, so each is checked
    (and read: its own syntax error is reported too); no cross-file check runs, such as the
    route to an undeclared backend."""
    write_files(
        tmp_path,
        {
            "backends.toml": "[a\n",
            "routing_profiles.toml": 'active = "p"\n[profiles.p]\ndefault = "nowhere"\nx = 1\n',
            "backends/a.toml": "[m]\nmax_token = 10\n",
            "backends/b.toml": "[m]\nsdk = \n",
            "deck/base_deck.toml": "[aliases]\nbest = 1\n",
        },
    )
    with pytest.raises(CompileFailed) as info:
        load_sources(tmp_path)
    assert [str(e).splitlines()[0] for e in info.value.errors] == [
        "backends.toml:1:3: error: invalid TOML: Expected ']' at the end of a table declaration",
        "backends/a.toml:2:1: m.max_token: error: unknown key `max_token`",
        "backends/b.toml:2:7: error: invalid TOML: Invalid value",
        "deck/base_deck.toml:2:1: aliases.best: error: expected a handle or a non-empty list of "
        "handles, got 1",
        "routing_profiles.toml:4:1: profiles.p.x: error: unknown key `x`",
    ]


def test_a_base_file_whose_override_is_unreadable_is_not_checked_alone(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "backends.toml": "[a]\nfoo = [1]\n",  # wrong alone; the override may replace it
            "backends_override.toml": "[a\n",
            "routing_profiles.toml": 'active = "p"\n[profiles.p]\ndescription = "d"\n'
            'default = "a"\nx = 1\n',
            "backends/a.toml": '[m]\nsdk = "s"\n',
            "deck/llm.toml": '[llm.aliases]\nbest = "m"\n',
        },
    )
    with pytest.raises(CompileFailed) as info:
        load_sources(tmp_path)
    assert [str(e).splitlines()[0] for e in info.value.errors] == [
        "backends_override.toml:1:3: error: invalid TOML: Expected ']' at the end of a table "
        "declaration",
        "routing_profiles.toml:5:1: profiles.p.x: error: unknown key `x`",
    ]
