"""Golden end-to-end cases: one directory per case under tests/cases/.

Each case holds a configuration directory ``inference/``, an optional ``args.txt`` (the deckc
command line, default ``compile --config-dir inference --out out``) and ``expected/`` with the
exit code, stdout, stderr and, when the command wrote one, the lockfile.  Adding a case needs no
Python; ``pytest --snapshot-update`` records what the compiler says now (review the diff!).
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_snapshot.plugin import Snapshot

from compiler.cli import cli
from tests.conftest import case_dirs

DEFAULT_ARGS = "compile --config-dir inference --out out"


@pytest.mark.parametrize("case", case_dirs(), ids=lambda p: p.name)
def test_golden_case(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snapshot: Snapshot
) -> None:
    shutil.copytree(case / "inference", tmp_path / "inference")
    args_file = case / "args.txt"
    args = shlex.split(args_file.read_text() if args_file.is_file() else DEFAULT_ARGS)
    monkeypatch.chdir(tmp_path)
    for var in ("DECK_ROUTING_PROFILE",):
        monkeypatch.delenv(var, raising=False)
    result = CliRunner().invoke(cli, args, catch_exceptions=False)

    snapshot.snapshot_dir = case / "expected"
    snapshot.assert_match(f"{result.exit_code}\n", "exit_code.txt")
    snapshot.assert_match(result.stdout, "stdout.txt")
    snapshot.assert_match(result.stderr, "stderr.txt")
    lockfile = tmp_path / "out" / "deck.lock.json"
    if lockfile.is_file():
        snapshot.assert_match(lockfile.read_text(encoding="utf-8"), "deck.lock.json")
