"""Shared fixtures: paths of the repository, the example configuration and the golden cases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from compiler.cli import cli
from compiler.pipeline import Build, compile_sources
from compiler.sources.load import SourceSet, parse_source

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / ".pipelex" / "inference"
GENERATED = ROOT / "generated"
CASES = ROOT / "tests" / "cases"


def case_dirs() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if (p / "inference").is_dir())


def compiling_case_dirs() -> list[Path]:
    """The golden cases whose configuration compiles (they snapshot part of the lockfile)."""
    return [
        case
        for case in case_dirs()
        if (case / "snapshot.txt").is_file() and "lock " in (case / "snapshot.txt").read_text()
    ]


def sources_from_texts(files: dict[str, str]) -> SourceSet:
    """A SourceSet made from in-memory TOML texts (paths relative to a configuration dir)."""
    parsed = {path: parse_source(path, text.encode("utf-8")) for path, text in files.items()}
    models = {
        path[len("backends/") : -len(".toml")]: f
        for path, f in parsed.items()
        if path.startswith("backends/")
    }
    decks = [
        parsed[p] for p in sorted(parsed) if p.startswith("deck/") and p != "deck/overrides.toml"
    ]
    decks.sort(key=lambda f: f.path != "deck/base_deck.toml")
    if "deck/overrides.toml" in parsed:
        decks.append(parsed["deck/overrides.toml"])
    return SourceSet(
        backends=parsed["backends.toml"],
        routing=parsed["routing_profiles.toml"],
        models=models,
        decks=tuple(decks),
    )


def compile_texts(files: dict[str, str]) -> Build:
    files = {"deck/base_deck.toml": "", **files}
    return compile_sources(sources_from_texts(files))


@pytest.fixture
def example_build() -> Build:
    from compiler.pipeline import compile_dir

    return compile_dir(EXAMPLE)


def run(*args: str) -> Result:
    """deckc with ``args`` through click's runner (exceptions propagate)."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding a copy of the example configuration; no profile override
    and no provider key in the environment."""
    shutil.copytree(EXAMPLE, tmp_path / ".pipelex" / "inference")
    monkeypatch.chdir(tmp_path)
    for var in ("OPENAI_API_KEY", "DECK_ROUTING_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path
