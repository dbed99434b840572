"""``deckc diff``: golden cases (tests/diff_cases/), change records, bad input, git revisions."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pytest_snapshot.plugin import Snapshot

from compiler.core.errors import errors_only
from compiler.core.ir import ModelType
from compiler.emit.lockfile import build_lock, dumps, to_json
from compiler.emit.lockread import read_lock
from compiler.emit.render import LOCKFILE
from compiler.pipeline import analyse
from compiler.review.changes import Change, Kind
from compiler.review.diff import diff_locks, group_profiles, relative_change
from compiler.review.diff_render import render_text, show
from compiler.sources.load import load_sources
from tests.conftest import EXAMPLE, GENERATED, ROOT, run

DIFF_CASES = ROOT / "tests" / "diff_cases"
BASE = DIFF_CASES / "base"


def diff_case_dirs() -> list[Path]:
    return sorted(
        p for p in DIFF_CASES.iterdir() if (p / "expected").is_dir() or (p / "new").is_dir()
    )


def compile_side(case: Path, side: str, into: Path) -> str:
    """``case/<side>.json`` when the case has one (a lockfile kept as an older deckc wrote it),
    else the lockfile of ``base/`` overlaid with ``case/<side>/`` (templates are not rendered)."""
    kept = case / f"{side}.json"
    if kept.is_file():
        return kept.read_text(encoding="utf-8")
    config = into / f"{side}-config"
    shutil.copytree(BASE, config, ignore=shutil.ignore_patterns("README.md"))
    if (case / side).is_dir():
        shutil.copytree(case / side, config, dirs_exist_ok=True)
    resolved, diagnostics = analyse(load_sources(config))
    assert resolved is not None and not errors_only(diagnostics), diagnostics
    return dumps(to_json(build_lock(resolved)))


@pytest.mark.parametrize("case", diff_case_dirs(), ids=lambda p: p.name)
def test_diff_case(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snapshot: Snapshot
) -> None:
    for side in ("old", "new"):
        (tmp_path / f"{side}.json").write_text(compile_side(case, side, tmp_path), "utf-8")
    monkeypatch.chdir(tmp_path)
    text = run("diff", "old.json", "new.json")
    as_json = run("diff", "old.json", "new.json", "--format", "json")
    assert text.stderr == as_json.stderr == ""
    assert as_json.exit_code == text.exit_code
    assert json.loads(as_json.stdout)["equal"] is (text.exit_code == 0)
    snapshot.snapshot_dir = case / "expected"
    snapshot.assert_match(f"{text.exit_code}\n", "exit_code.txt")
    snapshot.assert_match(text.stdout, "diff.txt")
    snapshot.assert_match(as_json.stdout, "diff.json")


def test_the_golden_cases_cover_every_kind_of_change() -> None:
    seen = {
        change["kind"]
        for case in diff_case_dirs()
        if (case / "expected" / "diff.json").is_file()
        for change in json.loads((case / "expected" / "diff.json").read_text())["changes"]
    }
    # Every difference of two compiled lockfiles is classified: OTHER is exercised below on a
    # hand-edited lockfile.
    unreachable = {
        Kind.OTHER.value,
    }
    assert {k.value for k in Kind} - unreachable - seen == set()
    assert unreachable & seen == set()


# -- the records ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_lock() -> dict[str, Any]:
    lock: dict[str, Any] = json.loads((GENERATED / LOCKFILE).read_text())
    return lock


def test_a_lockfile_equals_itself_whatever_its_provenance(example_lock: dict[str, Any]) -> None:
    moved = copy.deepcopy(example_lock)
    moved["provenance"]["deck"]["llm"]["aliases"]["best-claude"] = "deck/base_deck.toml:99:1"
    moved["sources"]["deck/base_deck.toml"] = "0" * 64
    moved["_generated"]["by"] = "deckc 9.9.9"
    assert diff_locks(read_lock(example_lock, "a"), read_lock(moved, "b")) == ()


def test_an_unclassified_difference_is_still_reported(example_lock: dict[str, Any]) -> None:
    changed = copy.deepcopy(example_lock)
    changed["profiles"]["mixed"]["llm"]["routing"]["gpt-5"]["rule"] = "exact"  # same backend
    changes = diff_locks(read_lock(example_lock, "a"), read_lock(changed, "b"))
    assert [(c.kind, c.subject, c.old, c.new) for c in changes] == [
        (Kind.OTHER, "profiles.mixed.llm.routing.gpt-5.rule", "wildcard", "exact")
    ]


def test_a_choice_kind_added_or_removed(example_lock: dict[str, Any]) -> None:
    fewer = copy.deepcopy(example_lock)
    del fewer["deck"]["llm"]["choices"]["for_object"]
    example, fewer_lock = read_lock(example_lock, "a"), read_lock(fewer, "b")
    assert [(c.kind, c.subject) for c in diff_locks(example, fewer_lock)] == [
        (Kind.CHOICE_REMOVED, "for_object")
    ]
    assert [(c.kind, c.subject) for c in diff_locks(fewer_lock, example)] == [
        (Kind.CHOICE_ADDED, "for_object")
    ]


def test_waterfalls_and_the_dialect_are_compared(example_lock: dict[str, Any]) -> None:
    old = read_lock(example_lock, "a")
    deck = old.decks[ModelType.LLM]
    steps = replace(deck, waterfalls={"w": ("gpt-5", "@best-claude")})
    new = replace(old, dialect="pipelex-0.92", decks={ModelType.LLM: steps})
    changes = diff_locks(old, new)
    assert [(c.kind, c.subject, c.old, c.new) for c in changes] == [
        (Kind.WATERFALL_ADDED, "w", None, ["gpt-5", "@best-claude"]),
        (Kind.DIALECT_CHANGED, "dialect", "pipelex-0.10", "pipelex-0.92"),
    ]
    edited = replace(new, decks={ModelType.LLM: replace(deck, waterfalls={"w": ("gpt-5",)})})
    (change,) = diff_locks(new, edited)
    assert (change.kind, change.old, change.new) == (
        Kind.WATERFALL_CHANGED,
        ["gpt-5", "@best-claude"],
        ["gpt-5"],
    )
    assert render_text((change,), "a", "b").endswith("  ~ w: [gpt-5, @best-claude] -> [gpt-5]\n")
    (gone,) = diff_locks(new, replace(new, decks={ModelType.LLM: deck}))
    assert gone.kind is Kind.WATERFALL_REMOVED


def test_effects_that_differ_only_by_profile_are_grouped() -> None:
    changes = [
        Change(Kind.ROUTING_MOVED, "m", "a", "b", namespace="model", profiles=(p,), detail="d")
        for p in ("z", "x", "y")
    ]
    other = Change(Kind.ROUTING_MOVED, "m", "a", "c", namespace="model", profiles=("w",))
    grouped = group_profiles([*changes, other])
    assert [c.profiles for c in grouped] == [("x", "y", "z"), ("w",)]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [(8, 9, 0.125), (15.0, 12.0, -0.2), (0, 1, None), (None, 1.0, None), (1.0, None, None)],
)
def test_relative_change(old: Any, new: Any, expected: float | None) -> None:
    assert relative_change(old, new) == expected


def test_names_that_are_not_plain_words_are_quoted() -> None:
    assert show("claude-4.1-opus") == "claude-4.1-opus"
    assert show("evil\nname") == '"evil\\nname"'
    assert show("two words") == '"two words"'
    assert show(["a b", None, True, 0.5]) == '["a b", (none), true, 0.5]'
    changes = (Change(Kind.ALIAS_ADDED, "x\ny", new="m", namespace="alias"),)
    assert render_text(changes, "a", "b") == 'a -> b: 1 change\n\nAliases (1)\n  + "x\\ny" -> m\n'


# -- bad input: exit 2, a located message --------------------------------------------------------


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    shutil.copy(GENERATED / LOCKFILE, tmp_path / "good.json")
    return tmp_path


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{\n  "a": [1,\n', "bad.json:3:1: error: not valid JSON: Expecting value\n"),
        ("[]", "bad.json: error: not a deckc lockfile (not a JSON object)\n"),
        (
            '{"_generated": {"schema_version": 0}}',
            "bad.json: _generated.schema_version: error: lockfile schema version 0; this deckc "
            "reads "
            "versions 1, 2\n  hint: recompile it with this deckc (`deckc compile --force`), or "
            "compare it with the deckc that wrote it\n",
        ),
        (None, "bad.json: error: lockfile not found\n"),
    ],
)
def test_unreadable_lockfiles_exit_2(in_tmp: Path, content: str | None, expected: str) -> None:
    if content is not None:
        (in_tmp / "bad.json").write_text(content)
    result = run("diff", "bad.json", "good.json")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", expected)


def test_a_lockfile_that_breaks_its_schema_exits_2(in_tmp: Path) -> None:
    lock = json.loads((in_tmp / "good.json").read_text())
    lock["profiles"]["mixed"]["llm"]["routing"]["gpt-5"] = {"rule": "exact"}
    (in_tmp / "bad.json").write_text(json.dumps(lock))
    result = run("diff", "good.json", "bad.json")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "bad.json: profiles.mixed.llm.routing.gpt-5: error: not a valid version 2 lockfile"
    )


# -- git revisions -------------------------------------------------------------------------------


def git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_against_git_revisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(EXAMPLE, tmp_path / ".pipelex" / "inference")
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q")
    assert run("compile").exit_code == 0
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "first")
    assert run("diff").stdout == (
        "HEAD:generated/deck.lock.json -> generated/deck.lock.json: no semantic changes\n"
    )

    deck = tmp_path / ".pipelex" / "inference" / "deck" / "base_deck.toml"
    deck.write_text(deck.read_text().replace('base-gpt = "gpt-5"', 'base-gpt = "gpt-4o-mini"'))
    assert run("compile").exit_code == 0
    result = run("diff", "HEAD")  # the working tree against the last commit
    assert result.exit_code == 1
    assert "  ~ base-gpt: gpt-5 -> gpt-4o-mini\n" in result.stdout
    git(tmp_path, "commit", "-q", "-am", "second")

    both = run("diff", "HEAD~1", "HEAD")
    assert both.exit_code == 1
    assert both.stdout.startswith(
        "HEAD~1:generated/deck.lock.json -> HEAD:generated/deck.lock.json: "
    )
    assert both.stdout == result.stdout.replace(
        "HEAD:generated/deck.lock.json -> generated/deck.lock.json",
        "HEAD~1:generated/deck.lock.json -> HEAD:generated/deck.lock.json",
    )
    elsewhere = tmp_path / "sub"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # --out is found relative to the working directory
    assert run("diff", "HEAD~1", "--out", "../generated").exit_code == 1

    unknown = run("diff", "nope", "--out", "../generated")
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith(
        "nope:../generated/deck.lock.json: error: no lockfile at revision `nope`: git: "
    )
    assert "\n  hint: name a commit, branch or tag that has" in unknown.stderr


def test_an_option_is_never_passed_to_git_as_a_revision(in_tmp: Path) -> None:
    result = run("diff", "--", "--output=x", "good.json")
    assert result.exit_code == 2
    assert result.stderr == (
        "--output=x:generated/deck.lock.json: error: `--output=x` is not a git revision\n"
    )
    assert not (in_tmp / "x").exists()
