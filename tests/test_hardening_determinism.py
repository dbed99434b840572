"""Determinism: byte-identical outputs whatever the hash seed, locale, file creation order and
working directory (each compile a separate process)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, ROOT

UNICODE_DECK = """\
[aliases]
"modèle-ünï" = "gpt-4o"
"日本語" = ["claude-4.1-opus", "gpt-4o"]
"Zebra" = "@modèle-ünï"
"émoji-🙂" = "gpt-4o-mini"

[llm_presets]
"préréglage" = { llm_handle = "@日本語", temperature = 0.25, description = "ça, c'est « ça »" }
"""


def copy_config(source: Path, dest: Path, reverse: bool = False) -> None:
    """Copy a configuration directory, creating its files in sorted or reverse-sorted order."""
    files = sorted(p for p in source.rglob("*") if p.is_file())
    for path in reversed(files) if reverse else files:
        target = dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())


def compile_in(cwd: Path, config_dir: str, out_dir: str = "out", **env: str) -> dict[str, bytes]:
    """Run ``deckc compile`` in ``cwd`` in a fresh process; every file written.

    Outputs name the directories they were made from relative to each other (the regenerate
    command), so every compile here places its configuration at ``<project>/config`` and its
    output at ``<project>/out``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHON"))}
    command = ["compile", "--config-dir", config_dir, "--out", out_dir]
    result = subprocess.run(
        [sys.executable, "-c", "from compiler.cli import main; main()", *command],
        cwd=cwd,
        env={**base, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    out = cwd / out_dir
    return {
        p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plus a deck file of unicode names (sorting and encoding both matter)."""
    root = tmp_path_factory.mktemp("det") / "config"
    copy_config(EXAMPLE, root)
    (root / "deck" / "unicode.toml").write_text(UNICODE_DECK, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def reference(config: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    cwd = tmp_path_factory.mktemp("reference")
    shutil.copytree(config, cwd / "config")
    outputs = compile_in(cwd, "config", PYTHONHASHSEED="0", LC_ALL="C.UTF-8")
    assert any(rel.endswith(".pyc") for rel in outputs)
    assert "modèle-ünï".encode() in outputs["deck.lock.json"]
    return outputs


@pytest.mark.parametrize(
    "env",
    [
        {"PYTHONHASHSEED": "1"},
        {"PYTHONHASHSEED": "4294967295"},
        {"PYTHONHASHSEED": "random"},
        # the C locale with neither UTF-8 mode nor locale coercion: the locale encoding is ASCII
        {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "PYTHONHASHSEED": "7"},
        {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "PYTHONIOENCODING": "latin-1"},
    ],
    ids=["hashseed-1", "hashseed-max", "hashseed-random", "locale-C-ascii", "io-latin1"],
)
def test_same_bytes_whatever_the_environment(
    config: Path, reference: dict[str, bytes], tmp_path: Path, env: dict[str, str]
) -> None:
    shutil.copytree(config, tmp_path / "config")
    assert compile_in(tmp_path, "config", **env) == reference


def test_same_bytes_whatever_the_file_creation_order(
    config: Path, reference: dict[str, bytes], tmp_path: Path
) -> None:
    copy_config(config, tmp_path / "config", reverse=True)
    assert compile_in(tmp_path, "config") == reference


def test_same_bytes_whatever_the_working_directory(
    config: Path, reference: dict[str, bytes], tmp_path: Path
) -> None:
    """A relative --config-dir from another directory, and a working directory with spaces
    and non-ASCII characters: no path leaks into the outputs."""
    deep = tmp_path / "a b" / "ç"
    deep.mkdir(parents=True)
    shutil.copytree(config, tmp_path / "project" / "config")
    assert compile_in(deep, "../../project/config", "../../project/out") == reference
