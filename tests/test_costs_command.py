"""``deckc costs``: the recorded resolutions of a profile's handles with their costs."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ROOT, run

CURRENT = ROOT / "examples" / "pipelex-0.92" / "inference"


def test_text_lists_the_active_profile_per_model_type(project: Path) -> None:
    result = run("costs")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "profile all_pipelex (active): costs in USD per million tokens",
        "",
        "llm",
        "  kind    name                      backend            model               input  output"
        "  input_cached",
    ]
    assert (
        "  alias   best-claude               pipelex_inference  claude-4.1-opus     15     75"
        "      -"
    ) in lines
    assert (
        "  preset  cheap_llm_for_text        pipelex_inference  gpt-4o-mini         0.17   0.66"
        "    -"
    ) in lines


def test_another_profile_and_an_unavailable_handle(project: Path) -> None:
    result = run("costs", "--profile", "azure_first")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "profile azure_first: costs in USD per million tokens"
    assert (
        "  alias   open-gpt                  unavailable: open-gpt -> gpt-oss-120b: "
        "route `gpt-*` of profile azure_first sends it to backend openai, which does not serve "
        "gpt-oss-120b"
    ) in lines


def test_waterfalls_cached_input_and_other_model_types() -> None:
    result = run("costs", "--config-dir", str(CURRENT))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert (
        "  alias      general       openai     gpt-a     2.5    10      1.25" in lines
    )  # input_cached from the spec
    assert "  waterfall  smart-chain   portkey    claude-x  3      15      -" in lines
    assert "text_extractor" in lines
    assert (
        "  waterfall  document-extractor  mistral   mistral-ocr            1      -       -"
        in lines
    )


def test_json_shape() -> None:
    result = run("costs", "--config-dir", str(CURRENT), "--format", "json")
    assert result.exit_code == 0
    table = json.loads(result.stdout)
    assert {k: table[k] for k in ("profile", "active", "unit")} == {
        "profile": "balanced",
        "active": True,
        "unit": "USD per million tokens",
    }
    general = next(r for r in table["rows"] if r["name"] == "general")
    assert general == {
        "model_type": "llm",
        "kind": "alias",
        "name": "general",
        "backend": "openai",
        "model": "gpt-a",
        "model_id": "gpt-a-2026-01-01",
        "costs": {"input": 2.5, "output": 10.0, "input_cached": 1.25},
        "unavailable": None,
    }
    kinds = {(r["model_type"], r["kind"]) for r in table["rows"]}
    assert ("text_extractor", "waterfall") in kinds


def test_json_unavailable_row(project: Path) -> None:
    table = json.loads(run("costs", "--profile", "mixed", "--format", "json").stdout)
    row = next(r for r in table["rows"] if r["name"] == "open-gpt")
    assert row["backend"] is None and row["costs"] == {}
    assert row["unavailable"].startswith("open-gpt -> gpt-oss-120b: route `gpt-*`")


def test_unknown_profile_exits_2(project: Path) -> None:
    result = run("costs", "--profile", "directt")
    assert result.exit_code == 2
    assert result.stderr == (
        "deckc: no routing profile named `directt`\n  hint: did you mean `direct`?\n"
    )


def test_broken_configuration_exits_2(project: Path) -> None:
    deck = project / ".pipelex" / "inference" / "deck" / "base_deck.toml"
    deck.write_text(deck.read_text() + '\n[aliases]\nbroken = "no-such-model"\n')
    result = run("costs")
    assert result.exit_code == 2
    assert result.stderr.endswith("error(s), not writing anything\n")
