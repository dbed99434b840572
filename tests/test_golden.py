"""Golden end-to-end cases: one directory per case under tests/cases/.

Each case holds a configuration directory ``inference/``, an optional ``args.txt`` (the deckc
command line, default ``compile --config-dir inference --out out``), an optional ``snapshot.txt``
saying which part of the output the case is about, and ``expected/``:

- ``exit_code.txt``, ``stderr.txt`` and ``stdout.txt`` (a compile's file count and lockfile hash
  are masked: they change whenever anything does, which is not what a case is about);
- ``lock.json``: for each ``lock <pointer>`` line of ``snapshot.txt``, the lockfile's values at
  that JSON pointer (``*`` matches every key at its level), keyed by the concrete pointer;
- ``files/<path>``: each generated file a ``file <path>`` line names, whole.

A compile that writes a lockfile must say in ``snapshot.txt`` what it is about.  Adding a case needs
no Python; ``pytest tests/test_golden.py --snapshot-update`` records what the compiler says now
(review the diff!).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_snapshot.plugin import Snapshot

from compiler.cli import cli
from tests.conftest import case_dirs

DEFAULT_ARGS = "compile --config-dir inference --out out"
_MASKS = (
    (re.compile(r"wrote \d+ file\(s\)"), "wrote N file(s)"),
    (re.compile(r"\(lock [0-9a-f]{12}\)"), "(lock …)"),
)


def masked(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def select(value: Any, pointer: str) -> Iterator[tuple[str, Any]]:
    """(concrete pointer, value) for every place ``pointer`` names in ``value`` (``*`` matches
    every key of an object at its level)."""
    found: list[tuple[str, Any]] = [("", value)]
    for part in pointer.split("/")[1:]:
        step: list[tuple[str, Any]] = []
        for where, node in found:
            if not isinstance(node, dict):
                continue
            keys = sorted(node) if part == "*" else [_unescape(part)]
            step += [(f"{where}/{_escape(k)}", node[k]) for k in keys if k in node]
        found = step
    yield from found


def snapshot_lines(case: Path) -> list[tuple[str, str]]:
    lines = (
        (case / "snapshot.txt").read_text().splitlines()
        if (case / "snapshot.txt").is_file()
        else []
    )
    parsed = [tuple(line.split(" ", 1)) for line in lines if line.strip()]
    assert all(len(p) == 2 and p[0] in ("lock", "file") for p in parsed), lines
    return [(kind, what) for kind, what in parsed]


@pytest.mark.parametrize("case", case_dirs(), ids=lambda p: p.name)
def test_golden_case(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snapshot: Snapshot
) -> None:
    shutil.copytree(case / "inference", tmp_path / "inference")
    args_file = case / "args.txt"
    args = shlex.split(args_file.read_text() if args_file.is_file() else DEFAULT_ARGS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DECK_ROUTING_PROFILE", raising=False)
    result = CliRunner().invoke(cli, args, catch_exceptions=False)

    snapshot.snapshot_dir = case / "expected"
    snapshot.assert_match(f"{result.exit_code}\n", "exit_code.txt")
    snapshot.assert_match(masked(result.stdout), "stdout.txt")
    snapshot.assert_match(result.stderr, "stderr.txt")
    wanted = snapshot_lines(case)
    lockfile = tmp_path / "out" / "deck.lock.json"
    if lockfile.is_file():
        assert any(kind == "lock" for kind, _ in wanted), (
            f"{case.name}: say in snapshot.txt what it is about"
        )
    lock = json.loads(lockfile.read_text(encoding="utf-8")) if lockfile.is_file() else {}
    fragments = {
        where: value
        for kind, pointer in wanted
        if kind == "lock"
        for where, value in select(lock, pointer)
    }
    for kind, pointer in wanted:
        if kind == "lock":
            assert any(where.startswith(pointer.split("*")[0]) for where in fragments), pointer
    if fragments:
        text = json.dumps(fragments, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        snapshot.assert_match(text, "lock.json")
    for kind, path in wanted:
        if kind == "file":
            snapshot.assert_match(
                (tmp_path / "out" / path).read_text(encoding="utf-8"), f"files/{path}"
            )


def test_select_follows_json_pointers() -> None:
    value = {"p": {"a/b": {"x": 1}, "c": {"x": 2}}, "q": 3}
    assert list(select(value, "/p/*/x")) == [("/p/a~1b/x", 1), ("/p/c/x", 2)]
    assert list(select(value, "/p/a~1b")) == [("/p/a~1b", {"x": 1})]
    assert list(select(value, "/q/x")) == []
    assert masked("deckc: wrote 16 file(s) to out (lock 3fe1ad6f1c12)\n") == (
        "deckc: wrote N file(s) to out (lock …)\n"
    )
