"""Mutation testing of routing and resolution (``make mutation``).

    python -m fuzz.mutation [--workdir DIR] [--jobs N]

mutmut mutates compiler/semantics/routing.py, resolve.py and references.py and
compiler/core/patterns.py, and runs the tests that cover each mutant.  It works in a copy of the
tree (and mutmut's own ``mutants/`` sandbox inside that copy), so no mutated code ever appears in
the working tree others use.
Prints the score and every surviving mutant's diff; exits 1 when any survives that is not
listed in ``EQUIVALENT`` (mutants that cannot change behaviour, each with the reason), or when
any was not run (the tests failing on the unmutated tree leave every mutant "not checked").
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTATED = [
    "compiler/semantics/routing.py",
    "compiler/core/patterns.py",
    "compiler/semantics/resolve.py",
    "compiler/semantics/references.py",
]
TESTS = [
    "tests/test_patterns.py",
    "tests/test_routing.py",
    "tests/test_resolve.py",
    "tests/test_hardening_mutants.py",
    "tests/test_dialect92.py",
    "tests/test_example92.py",
    "tests/test_golden.py",
]
COPIED = [
    "compiler",
    "tests",
    "fuzz",
    "schema",
    "templates",
    "generated",
    ".pipelex",
    "tools",
    "examples",
    "conformance",
]
COPIED_FILES = ["pyproject.toml", "README.md"]
CONFIG = f"""
[tool.mutmut]
source_paths = ["compiler/"]
only_mutate = {MUTATED!r}
also_copy = [
    "tests/", "fuzz/", "schema/", "templates/", "generated/", ".pipelex/", "tools/", "examples/",
    "conformance/",
]
pytest_add_cli_args = ["-q", "-p", "no:cacheprovider", "-x"]
pytest_add_cli_args_test_selection = {TESTS!r}
use_git_change_detection = false
"""

# Surviving mutants that cannot change what deckc does: (function, line mutated, mutated line)
# -> why.  Matched on the text, not on mutmut's numbers, which shift when the code changes.
_UNIQUE_POSITIONS = "each position is one pattern of one kind: a hit never equals best"
_ONLY_ON_PATH = "only `== 1` (on the path) and presence in `state` are ever tested"
_REASONED = "an unavailable resolution always carries a reason"
_AVAILABLE = "`available` implies a model and a backend: the other tests only narrow types"
_CHOICE_WHAT = (
    "`what` names the owner only in the message for a preset reference, which a choice never "
    "passes to handle() (choice() answers presets first)"
)
_PATTERNS = "compiler.core.patterns.xǁRouteIndexǁfirst_wildcard"
_CYCLES = "compiler.semantics.references.x__cycles"
_CHOICE = "compiler.semantics.references.xǁ_DeckChecksǁchoice"
_CHOICE_LINE = 'return self.handle(ref, f"choice {ref.span.key_path[-1]}", "a choice")'
_TAKE = "compiler.semantics.resolve.xǁ_Walkǁtake"
_TAKE_LINE = (
    'self.skipped.append(Skipped(self.position, target.text, inner.reason or "unavailable"))'
)
_PRESET = "compiler.semantics.resolve.x_check_preset"
_PRESET_LINE = (
    "if resolution.model is None or resolution.backend is None or not resolution.available:"
)
EQUIVALENT: dict[tuple[str, str, str], str] = {
    (
        _PATTERNS,
        "if hit is not None and (best is None or hit < best):",
        "if hit is not None and (best is None or hit <= best):",
    ): _UNIQUE_POSITIONS,
    (
        _PATTERNS,
        "if best is not None and position > best:",
        "if best is not None and position >= best:",
    ): _UNIQUE_POSITIONS,
    (_CYCLES, "state[path.pop()] = 2", "state[path.pop()] = None"): _ONLY_ON_PATH,
    (_CYCLES, "state[path.pop()] = 2", "state[path.pop()] = 3"): _ONLY_ON_PATH,
    (
        _CYCLES,
        "def _cycles(deck: Deck, *, sigils: bool = False) -> list[DeckError]:",
        "def _cycles(deck: Deck, *, sigils: bool = True) -> list[DeckError]:",
    ): "the default is never used: the only caller, _DeckChecks.run, always passes sigils",
    (_CYCLES, "Node = tuple[RefKind, str]", "Node = None"): (
        "Node appears only in annotations, never evaluated (local variables, and functions under "
        "`from __future__ import annotations`)"
    ),
    (
        "compiler.semantics.resolve.xǁ_Resolverǁ_finish",
        "self._active.discard(walk.key)",
        "self._active.discard(None)",
    ): "a finished alias is memoised, and the memo is consulted before the active set",
    (_TAKE, _TAKE_LINE, _TAKE_LINE.replace('"unavailable"', '"XXunavailableXX"')): _REASONED,
    (_TAKE, _TAKE_LINE, _TAKE_LINE.replace('"unavailable"', '"UNAVAILABLE"')): _REASONED,
    (
        _PRESET,
        _PRESET_LINE,
        _PRESET_LINE.replace("backend is None or not", "backend is None and not"),
    ): _AVAILABLE,
    (_PRESET, _PRESET_LINE, _PRESET_LINE.replace("model is None or", "model is None and")): (
        _AVAILABLE
    ),
    (_CHOICE, _CHOICE_LINE, _CHOICE_LINE.replace('"a choice")', "None)")): _CHOICE_WHAT,
    (_CHOICE, _CHOICE_LINE, _CHOICE_LINE.replace('"a choice")', '"XXa choiceXX")')): _CHOICE_WHAT,
    (_CHOICE, _CHOICE_LINE, _CHOICE_LINE.replace('"a choice")', '"A CHOICE")')): _CHOICE_WHAT,
    (_CHOICE, _CHOICE_LINE, _CHOICE_LINE.replace("[-1]", "[+1]")): (
        "a choice's key path is (table, kind): its last part is also its second"
    ),
}


def signature(name: str, diff: str) -> tuple[str, str, str]:
    """(function, removed line, added line) of a mutant, as ``mutmut show`` prints its diff."""
    removed = [
        line[1:].strip() for line in diff.splitlines() if line[:1] == "-" and line[:3] != "---"
    ]
    added = [
        line[1:].strip() for line in diff.splitlines() if line[:1] == "+" and line[:3] != "+++"
    ]
    return name.split("__mutmut_")[0], " ".join(removed), " ".join(added)


def copy_tree(workdir: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".deckc.lock", "crashes")
    for name in COPIED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, workdir / name, ignore=ignore, symlinks=True)
    for name in COPIED_FILES:
        shutil.copy2(ROOT / name, workdir / name)
    with (workdir / "pyproject.toml").open("a", encoding="utf-8") as config:
        config.write(CONFIG)


def results(workdir: Path) -> dict[str, str]:
    """mutant name -> status, as ``mutmut results --all true`` prints them."""
    listing = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = {}
    for line in listing.splitlines():
        match = re.match(r"\s*(\S+): (\w[\w ]*)$", line)
        if match:
            found[match[1]] = match[2]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="where to copy the tree (default: a temp dir)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="deckc-mutation-"))
    if not (workdir / "pyproject.toml").is_file():
        workdir.mkdir(parents=True, exist_ok=True)
        copy_tree(workdir)
    print(f"mutation: working in {workdir}", flush=True)
    subprocess.run(
        [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.jobs)],
        cwd=workdir,
        check=False,
    )
    statuses = results(workdir)
    killed = sum(s in ("killed", "timeout", "caught by type check") for s in statuses.values())
    survived = sorted(n for n, s in statuses.items() if s == "survived")
    done = ("killed", "timeout", "caught by type check", "survived")
    other = {n: s for n, s in statuses.items() if s not in done}
    unexplained = []
    for name in survived:
        diff = subprocess.run(
            [sys.executable, "-m", "mutmut", "show", name],
            cwd=workdir,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        if signature(name, diff) not in EQUIVALENT:
            unexplained.append(name)
            print(diff)
    total = len(statuses) - len(other)
    print(
        f"mutation: {total} mutants of {', '.join(MUTATED)}: {killed} killed, "
        f"{len(survived)} survived ({len(survived) - len(unexplained)} equivalent, listed in "
        f"fuzz/mutation.py); score {killed / max(total, 1):.1%}, "
        f"{(killed + len(survived) - len(unexplained)) / max(total, 1):.1%} counting the "
        f"equivalent ones as killed" + (f"; not run: {other}" if other else "")
    )
    if other:  # e.g. every mutant "not checked" when the tests fail on the unmutated tree
        print("mutation: some mutants were not run: the run proves nothing about them")
    return 1 if unexplained or other else 0


if __name__ == "__main__":
    sys.exit(main())
