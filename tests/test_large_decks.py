"""Generated large decks (bench/gen_config.py): deterministic, valid, and the runtime built from
them (data cut into sections imported on demand) answers exactly what the lockfile says."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bench import toml_loader
from bench.gen_config import SHAPES, Shape, generate, render_files
from compiler.core.ir import ModelType
from compiler.emit.lock import Lockfile
from compiler.emit.views import HANDLES_PER_SECTION, SPECS_PER_SECTION
from compiler.emit.write import write_outputs
from compiler.pipeline import compile_dir
from conformance.compare import import_generated
from tests.test_runtime import check_against_lock

MEDIUM = SHAPES["medium"]


def test_same_seed_same_files(tmp_path: Path) -> None:
    small = Shape(models=300, backends=7, aliases=40, rules=30, presets=20)
    first, second = generate(tmp_path / "a", small), generate(tmp_path / "b", small)
    files = sorted(p.relative_to(first).as_posix() for p in first.rglob("*.toml"))
    assert files == sorted(p.relative_to(second).as_posix() for p in second.rglob("*.toml"))
    assert len(files) == 7 + 4  # a model file per backend, backends, routing, two deck files
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes()
    assert render_files(replace(small, seed=small.seed + 1)) != render_files(small)


LLM = ModelType.LLM


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, Lockfile, Path]:
    root = tmp_path_factory.mktemp("medium")
    build = compile_dir(generate(root / "inference", MEDIUM))
    write_outputs(root / "out", build.files)
    return import_generated(root / "out"), build.lock, root / "out"


def test_medium_deck_has_the_shape_asked(medium: tuple[ModuleType, Lockfile, Path]) -> None:
    _, lock, _ = medium
    assert sum(len(specs) for specs in lock.models[LLM].values()) == MEDIUM.models
    assert len(lock.backends) == MEDIUM.backends
    assert len(lock.decks[LLM].aliases) == MEDIUM.aliases
    assert len(lock.decks[LLM].presets) == MEDIUM.presets
    routes = lock.profiles["routed"].routes
    assert len(routes) == MEDIUM.rules + 3  # and three optional routes (the disabled ones too)


def test_medium_deck_runtime_matches_its_lockfile(
    medium: tuple[ModuleType, Lockfile, Path],
) -> None:
    deck, lock, out = medium
    handles = len(
        {m for specs in lock.models[LLM].values() for m in specs} | set(lock.decks[LLM].aliases)
    )
    sections = -(-handles // HANDLES_PER_SECTION)
    assert len(list(out.glob("_runtime/_handles_llm_[0-9].py"))) == sections > 1
    rows = list(out.glob("_runtime/_handles_llm_*_p*.py"))  # one module per section and profile
    assert len(rows) == sections * len(lock.profiles)
    assert len(list(out.glob("_runtime/_specs_*.py"))) == -(-MEDIUM.models // SPECS_PER_SECTION)
    assert check_against_lock(deck, lock) > 10_000


def test_every_spec_record_holds_the_lockfile_fields(
    medium: tuple[ModuleType, Lockfile, Path],
) -> None:
    deck, lock, _ = medium
    seen = 0
    for profile, data in lock.profiles.items():
        for model, routing in data.answers[LLM].routing.items():
            if routing.backend is None:
                continue
            spec = deck.resolve(model, profile).spec
            for field, value in lock.spec(LLM, routing.backend, model).items():
                assert getattr(spec, field) == _tuples(value)
            seen += 1
    assert seen > MEDIUM.models


def _tuples(value: Any) -> Any:
    """A lockfile value as the runtime holds it: arrays as tuples."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


def test_names_outside_or_between_sections_are_unknown(
    medium: tuple[ModuleType, Lockfile, Path],
) -> None:
    deck, _, out = medium
    data = json.loads((out / "deck.lock.json").read_text(encoding="utf-8"))
    models = data["models"]["llm"]
    names = sorted({m for s in models.values() for m in s} | set(data["deck"]["llm"]["aliases"]))
    for probe in ("", "!", names[0] + "\0", names[-1] + "~", "\U0010ffff"):
        with pytest.raises(deck.LLMHandleNotFoundError, match="unknown handle"):
            deck.resolve(probe)
    for name in (names[0], names[HANDLES_PER_SECTION - 1], names[HANDLES_PER_SECTION], names[-1]):
        try:
            assert deck.resolve(name).handle == name
        except deck.LLMHandleNotFoundError as unavailable:
            assert "unavailable" in str(unavailable)


def test_toml_loader_baseline_resolves_as_the_lockfile_says(
    medium: tuple[ModuleType, Lockfile, Path],
) -> None:
    """The cold-start baseline of `make bench` does the real work: its answers are deckc's."""
    _, lock, out = medium
    config = toml_loader.load(out.parent / "inference")
    active = lock.profiles[lock.active_profile].answers[LLM]
    for alias, resolution in sorted(active.aliases.items())[:100]:
        expected = (resolution.backend, resolution.model) if resolution.backend else None
        assert toml_loader.resolve(config, alias) == expected, alias
