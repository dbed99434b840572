"""The installed package is `deckc` (`import deckc`, `python -m deckc`), built from the source
folder compiler/: the wheel holds no top-level `compiler` to clash with a user's own module, and
carries the schemas and templates a compile needs."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("deckc-*.whl")
    return built


def test_the_wheel_installs_deckc_and_no_compiler_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"deckc"}
    assert "deckc/__main__.py" in names and "deckc/runtime/lookup.py" in names
    assert "deckc/_data/schema/deck.lock.schema.json" in names
    assert "deckc/_data/templates/deck.py.j2" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "deckc = deckc.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_python_dash_m_deckc_compiles_from_the_installed_files(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    project = tmp_path / "project"
    (project / ".pipelex").mkdir(parents=True)
    subprocess.run(
        ["cp", "-r", str(ROOT / ".pipelex" / "inference"), str(project / ".pipelex")], check=True
    )
    env = {**os.environ, "PYTHONPATH": str(site)}  # the wheel's files, not the source tree
    run = subprocess.run(
        [sys.executable, "-m", "deckc", "compile"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("deckc: wrote ")
    assert (project / "generated" / "deck.lock.json").is_file()
    probe = subprocess.run(
        [sys.executable, "-c", "import deckc, sys; print(deckc.__file__); import compiler"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.stdout.startswith(str(site))
    assert "No module named 'compiler'" in probe.stderr


def test_the_package_imports_itself_relatively() -> None:
    """Installed, the package is `deckc`: an absolute `compiler...` import would break there."""
    import ast

    absolute = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted((ROOT / "compiler").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom | ast.Import)
        and any(
            (name or "").split(".")[0] == "compiler"
            for name in (
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            )
            + ([a.name for a in node.names] if isinstance(node, ast.Import) else [])
        )
    ]
    assert absolute == []
