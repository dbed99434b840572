"""The fuzz targets: each returns normally or raises deckc's own error; anything else is a bug.

Used by the fuzzers in ``fuzz/run.py`` (atheris or hypothesis at volume) and, for a short
bounded run, by ``tests/test_fuzz.py``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path

import tomli

from compiler.core.errors import CompileFailed, ConfigSyntaxError, Severity
from compiler.pipeline import Build, compile_dir
from compiler.sources.load import SourceFile, parse_source
from compiler.sources.positions import key_positions


def load_bytes(data: bytes, path: str = "backends.toml") -> SourceFile | ConfigSyntaxError:
    """Parse any bytes as a source file: a located syntax error, or every key positioned."""
    try:
        source = parse_source(path, data)
    except ConfigSyntaxError as error:
        assert error.location.file == path and str(error).startswith(path)
        return error
    if source.positions:
        assert all(line >= 1 and column >= 1 for line, column in source.positions.values())
    return source


def scanner_agrees(text: str) -> None:
    """On any text tomli accepts, the key scanner places every top-level key and never fails."""
    try:
        data = tomli.loads(text)
    except (tomli.TOMLDecodeError, ValueError, RecursionError):
        return
    try:
        positions = key_positions(text)
    except RecursionError:
        return  # nesting that deep is rejected by the loader before the scanner runs
    assert all((key,) in positions for key in data), sorted(set(data) - {k[0] for k in positions})


def write_config(files: Mapping[str, bytes], scratch: Path) -> None:
    """Make ``scratch`` hold exactly ``files``."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    for rel, data in files.items():
        target = scratch / rel
        assert scratch in target.resolve().parents, rel  # never outside the scratch directory
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def compile_config(files: Mapping[str, bytes], scratch: Path) -> Build | CompileFailed:
    """The whole compile of ``files`` through the real loader: a build whose outputs are sound,
    or CompileFailed with located errors."""
    write_config(files, scratch)
    try:
        build = compile_dir(scratch)
    except CompileFailed as failed:
        check_failure(failed)
        return failed
    check_build(build)
    return build


def check_failure(failed: CompileFailed) -> None:
    assert failed.errors, "CompileFailed without an error"
    for error in failed.errors:
        assert error.severity is Severity.ERROR
        assert error.location.file, error
        assert error.message.strip(), error
    report = failed.report()
    assert "Traceback" not in report
    assert report.endswith("not writing anything")


def check_build(build: Build) -> None:
    for rel, text in build.files.items():
        if rel.endswith(".py"):
            compile(text, rel, "exec", dont_inherit=True)
        elif rel.endswith(".json"):
            json.loads(text)
