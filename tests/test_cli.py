"""The command line through click's runner: exit codes, messages, what is (not) written."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.cli import main
from tests.conftest import run


def test_compile_then_up_to_date(project: Path) -> None:
    first = run("compile")
    assert first.exit_code == 0
    assert first.stdout.startswith("deckc: wrote 16 file(s) to generated (lock ")
    assert (project / "generated" / "deck.lock.json").is_file()
    again = run("compile")
    assert again.stdout == "deckc: generated is up to date\n"


def test_dry_run_writes_nothing(project: Path) -> None:
    result = run("compile", "--dry-run")
    assert result.exit_code == 0
    assert "would write generated/deck.lock.json" in result.stdout
    assert not (project / "generated").exists()


def test_errors_exit_2_and_leave_outputs_untouched(project: Path) -> None:
    run("compile")
    before = (project / "generated" / "deck.lock.json").read_bytes()
    extra = project / ".pipelex" / "inference" / "deck" / "team.toml"
    extra.write_text('[aliases]\nbroken = "no-such-model"\n')
    result = run("compile")
    assert result.exit_code == 2
    assert "no-such-model" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.rstrip().endswith("not writing anything")
    assert (project / "generated" / "deck.lock.json").read_bytes() == before


def test_error_locations_are_relative_to_the_working_directory(project: Path) -> None:
    routing = project / ".pipelex" / "inference" / "routing_profiles.toml"
    routing.write_text(routing.read_text().replace('active = "all_pipelex"', 'active = "al"'))
    result = run("compile")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        ".pipelex/inference/routing_profiles.toml:7:1: active: active profile `al` is not declared"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("source", ".pipelex/inference/deck/overrides.toml: changed since generated was compiled"),
        ("edit", "generated/deck.py: edited by hand (differs from what deckc wrote)"),
        ("delete", "generated/_runtime/_deck_llm.py: missing"),
    ],
)
def test_check_reports_stale_outputs(project: Path, change: str, expected: str) -> None:
    run("compile")
    assert run("check").exit_code == 0
    if change == "source":
        overrides = project / ".pipelex" / "inference" / "deck" / "overrides.toml"
        overrides.write_text(overrides.read_text() + "\n# a comment\n")
    elif change == "edit":
        (project / "generated" / "deck.py").write_text("# hand edit\n")
    else:
        (project / "generated" / "_runtime" / "_deck_llm.py").unlink()
    result = run("check")
    assert result.exit_code == 1
    assert expected in result.stderr
    assert "fix: run `make compile`" in result.stderr


def test_check_on_a_broken_configuration_exits_2(project: Path) -> None:
    run("compile")
    backends = project / ".pipelex" / "inference" / "backends.toml"
    backends.write_text(backends.read_text() + "\n[Bad-Name]\n")
    assert run("check").exit_code == 2


def test_missing_config_dir_exits_2(project: Path) -> None:
    result = run("compile", "--config-dir", "nowhere")
    assert result.exit_code == 2
    assert "nowhere: configuration directory not found" in result.stderr


def test_internal_errors_never_show_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    def explode(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("compiler.cli.compile_dir", explode)
    monkeypatch.setattr("sys.argv", ["deckc", "compile", "--force"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    assert capsys.readouterr().err == "deckc: internal error: RuntimeError: boom\n"


def test_version() -> None:
    assert run("--version").stdout.startswith("deckc, version ")
