"""The committed outputs are exactly what the committed sources and tools produce."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from compiler.cli import cli
from compiler.emit.render import runtime_sources
from tests.conftest import EXAMPLE, GENERATED, ROOT


def committed_outputs(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and p.name != ".deckc.lock"
    }


def test_generated_equals_a_fresh_compile(tmp_path: Path) -> None:
    """`make compile` in another checkout (absolute paths: the output names them relatively)."""
    config, out = tmp_path / ".pipelex" / "inference", tmp_path / "generated"
    shutil.copytree(EXAMPLE, config)
    result = CliRunner().invoke(
        cli, ["compile", "--config-dir", str(config), "--out", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    assert committed_outputs(out) == committed_outputs(GENERATED)


def test_deckc_check_says_generated_is_current() -> None:
    result = CliRunner().invoke(
        cli, ["check", "--config-dir", str(EXAMPLE), "--out", str(GENERATED)]
    )
    assert result.exit_code == 0, result.stderr + result.stdout


def test_record_types_regenerate_identically(tmp_path: Path) -> None:
    """tools/gen_records.py (pinned datamodel-code-generator) reproduces the runtime's records."""
    target = tmp_path / "records.py"
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_records.py"), str(target)], check=True, cwd=ROOT
    )
    assert target.read_text(encoding="utf-8") == runtime_sources()["records.py"]


def test_the_runtime_is_copied_unchanged_and_its_stub_is_not() -> None:
    copied = {p.name: p.read_text(encoding="utf-8") for p in (GENERATED / "_runtime").glob("*.py")}
    for name, source in runtime_sources().items():
        assert copied[name].endswith("\n" + source), name
        assert copied[name].startswith("# Copied by deckc ")
    assert not (GENERATED / "_runtime" / "_index.pyi").exists()
    assert (GENERATED / "_runtime" / "_index.py").is_file()


def test_compile_writes_bytecode_that_needs_no_writing(tmp_path: Path) -> None:
    import importlib.util

    out = tmp_path / "out"
    CliRunner().invoke(cli, ["compile", "--config-dir", str(EXAMPLE), "--out", str(out)])
    for module in ("deck.py", "_runtime/_deck_llm.py", "_runtime/records.py", "__init__.py"):
        pyc = Path(importlib.util.cache_from_source(str(out / module)))
        assert pyc.is_file()
        flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
        assert flags == 0b11  # hash-based and checked: valid after a checkout, whatever the mtime


def test_only_bytecode_that_is_not_already_current_is_written(tmp_path: Path) -> None:
    """A recompile leaves the .pyc of unchanged modules as they are (same inode: py_compile's
    rename makes a new one), rewrites a stale one, and one naming another file."""
    import importlib.util
    import py_compile

    out = tmp_path / "out"
    args = ["compile", "--config-dir", str(EXAMPLE), "--out", str(out)]
    assert CliRunner().invoke(cli, args).exit_code == 0

    def pyc(module: str) -> Path:
        return Path(importlib.util.cache_from_source(str(out / module)))

    inodes = {m: pyc(m).stat().st_ino for m in ("deck.py", "_runtime/lookup.py", "__init__.py")}
    pyc("deck.py").write_bytes(pyc("deck.py").read_bytes()[:16] + b"stale")
    py_compile.compile(
        str(out / "__init__.py"),
        cfile=str(pyc("__init__.py")),
        dfile="elsewhere/__init__.py",
        invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
    )
    inodes["__init__.py"] = pyc("__init__.py").stat().st_ino
    assert CliRunner().invoke(cli, [*args, "--force"]).exit_code == 0
    assert pyc("_runtime/lookup.py").stat().st_ino == inodes["_runtime/lookup.py"]
    assert pyc("deck.py").stat().st_ino != inodes["deck.py"]
    assert pyc("__init__.py").stat().st_ino != inodes["__init__.py"]
    assert b"stale" not in pyc("deck.py").read_bytes()
