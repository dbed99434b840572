"""The import-layers contract (pyproject.toml, run by `make lint`) fails on a layer violation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the compiler package and the contract, to break on purpose."""
    shutil.copytree(
        ROOT / "compiler", tmp_path / "compiler", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_the_contract_holds_and_breaks_on_a_stage_importing_a_later_one(tree: Path) -> None:
    assert lint_imports(tree).returncode == 0
    routing = tree / "compiler" / "semantics" / "routing.py"
    routing.write_text(routing.read_text() + "\nfrom compiler.emit import lockfile  # noqa\n")
    broken = lint_imports(tree)
    assert broken.returncode == 1
    assert "compiler.semantics is not allowed to import compiler.emit" in broken.stdout


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_a_tool_importing_the_orchestrator_or_the_runtime_a_library_breaks_it(tree: Path) -> None:
    diagnose = tree / "compiler" / "review" / "diagnose.py"
    diagnose.write_text(diagnose.read_text() + "\nfrom compiler import pipeline  # noqa\n")
    envvars = tree / "compiler" / "runtime" / "envvars.py"
    envvars.write_text(envvars.read_text() + "\nimport jinja2  # noqa\n")
    broken = lint_imports(tree)
    assert broken.returncode == 1
    assert "compiler.review is not allowed to import compiler.pipeline" in broken.stdout
    assert "compiler.runtime.envvars -> jinja2" in broken.stdout
