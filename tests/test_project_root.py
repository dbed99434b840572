"""deckc finds the project's .pipelex/inference as git finds its repository: in the working
directory or the nearest parent that has one, and writes its output beside it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, run


@pytest.fixture
def subfolder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / ".pipelex" / "inference")
    below = tmp_path / "src" / "app"
    below.mkdir(parents=True)
    monkeypatch.chdir(below)
    return tmp_path


def test_compile_in_a_subfolder_writes_beside_the_project_configuration(subfolder: Path) -> None:
    result = run("compile")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("deckc: wrote ")
    assert " to ../../generated (lock " in result.stdout
    assert (subfolder / "generated" / "deck.lock.json").is_file()
    assert not (subfolder / "src" / "app" / "generated").exists()
    assert run("check").stdout == "deckc: ../../generated is current\n"


def test_an_explicit_out_is_relative_to_the_working_directory(subfolder: Path) -> None:
    assert run("compile", "--out", "here").exit_code == 0
    assert (subfolder / "src" / "app" / "here" / "deck.lock.json").is_file()


def test_explain_and_validate_find_the_configuration_too(subfolder: Path) -> None:
    assert run("explain", "for_text").exit_code == 0
    result = run("validate", "inference", "--env", "skip")
    assert result.stdout.startswith("deckc: 0 error(s), "), result.stderr


def test_without_a_configuration_anywhere_the_error_says_how_to_make_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("compile")
    assert result.exit_code == 2
    assert result.stderr == (
        ".pipelex/inference: error: no .pipelex/inference in the working directory or any "
        "parent directory\n"
        "  hint: run `deckc init PROVIDER...` to create one, or pass --config-dir\n"
        "deckc: 1 error(s), not writing anything\n"
    )
