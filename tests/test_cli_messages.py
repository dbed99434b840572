"""What the commands say about what happened (issue 12, "Signals that say what will happen"):
explain on choices, unavailable handles and in JSON; diff on sources edited since the lockfile;
compile --force; help summaries that are whole sentences and no flag that does nothing."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run


def test_explain_explains_a_choice_through_what_it_selects(project: Path) -> None:
    result = run("explain", "for_object")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "for_object (choice) under profile all_pipelex (active): gpt-4o-mini on pipelex_inference"
    )
    assert lines[1] == (
        "  choice   for_object -> cheap_llm_for_object, by its default cheap_llm_for_object "
        "(override disabled)"
    )
    assert lines[2] == "           at .pipelex/inference/deck/base_deck.toml:49:1"
    assert lines[3].startswith("  preset   $cheap_llm_for_object: llm_handle = gpt-4o-mini")


def test_explain_exits_1_for_a_handle_unavailable_under_the_profile(project: Path) -> None:
    unavailable = run("explain", "open-gpt", "--profile", "mixed")
    assert unavailable.exit_code == 1
    assert unavailable.stdout.startswith(
        "open-gpt (alias) under profile mixed: unavailable: open-gpt -> gpt-oss-120b: route "
        "`gpt-*` of profile mixed sends it to backend openai"
    )
    assert run("explain", "open-gpt").exit_code == 0  # served under the active profile


def test_explain_in_json_reports_an_unknown_name_as_json_on_stdout(project: Path) -> None:
    result = run("explain", "for_txt", "--format", "json")
    assert result.exit_code == 2
    assert result.stderr == ""
    assert json.loads(result.stdout) == {
        "error": "no model, alias, preset or choice named `for_txt`",
        "hint": "did you mean `for_text`?",
    }


def test_explain_has_no_out_option(project: Path) -> None:
    result = run("explain", "for_text", "--out", "x")
    assert result.exit_code == 2
    assert "No such option '--out'" in result.stderr


def test_diff_says_when_the_sources_changed_since_the_lockfile(project: Path) -> None:
    assert run("compile").exit_code == 0
    overrides = project / ".pipelex" / "inference" / "deck" / "overrides.toml"
    overrides.write_text(overrides.read_text() + '\n[aliases]\nsmart = "gpt-4o"\n')
    both = run("diff", "generated/deck.lock.json", "generated/deck.lock.json")
    assert (both.exit_code, both.stderr) == (0, "")  # NEW given: no claim about the sources
    result = run("diff", "generated/deck.lock.json")
    assert result.stderr == (
        "note: .pipelex/inference changed since generated/deck.lock.json was written "
        "(deck/overrides.toml): this diff does not show those changes; run "
        "`deckc compile --config-dir .pipelex/inference --out generated` first\n"
    )


def test_compile_force_says_what_it_did(project: Path) -> None:
    assert run("compile").exit_code == 0
    result = run("compile", "--force")
    assert result.stdout == (
        "deckc: recompiled (--force): generated is already exactly this output; nothing written\n"
    )


def test_command_summaries_are_whole_sentences() -> None:
    result = run("--help")
    commands = result.stdout.split("Commands:\n", 1)[1].splitlines()
    assert len(commands) >= 7
    for line in commands:
        _name, summary = line.split(None, 1)
        assert summary[0].isupper() and summary.endswith(".") and "..." not in summary, line
