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
