"""``deckc migrate``: a pipelex-0.10 configuration and its migration answer alike everywhere."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from compiler.core.errors import Location, Span
from compiler.core.ir import ModelType, Ref
from compiler.emit.lock import Lockfile, Resolution
from compiler.pipeline import compile_dir
from compiler.review.migrate import Migration, migrate
from compiler.sources.build import build_config
from compiler.sources.load import load_sources
from compiler.sources.positions import comment_lines
from tests.conftest import EXAMPLE, compiling_case_dirs, run

SEED_CASES = [
    case / "inference"
    for case in compiling_case_dirs()
    if load_sources(case / "inference").dialect.value == "pipelex-0.10"
]


def _migrate(config_dir: Path) -> Migration:
    sources = load_sources(config_dir)
    config, _ = build_config(sources)
    texts = {f.path: (config_dir / f.path).read_text("utf-8") for f in sources.files()}
    return migrate(sources, config, texts)


def _write(migration: Migration, out: Path) -> None:
    for rel, text in migration.files.items():
        tomllib.loads(text)  # every file written parses back
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")


def _answer(resolution: Resolution) -> tuple[str | None, str | None]:
    return resolution.model, resolution.backend


def _chosen(lock: Lockfile) -> dict[str, tuple[str, str | None]]:
    choices = lock.decks[ModelType.LLM].choices
    return {
        kind: (
            choice.kind,
            Ref.parse(choice.target, _NOWHERE).name if choice.target is not None else None,
        )
        for kind, choice in choices.items()
    }


_NOWHERE = Span(Location("-"), ())


@pytest.mark.parametrize(
    "config_dir", [*SEED_CASES, EXAMPLE], ids=[*(c.parent.name for c in SEED_CASES), "example"]
)
def test_migration_answers_alike(config_dir: Path, tmp_path: Path) -> None:
    _write(_migrate(config_dir), tmp_path)
    old = compile_dir(config_dir).lock
    new = compile_dir(tmp_path).lock
    assert old.dialect == "pipelex-0.10"
    assert new.dialect == "pipelex-0.92"
    assert new.active_profile == old.active_profile
    assert set(new.profiles) == set(old.profiles)
    for name, profile in old.profiles.items():
        before = profile.answers[ModelType.LLM]
        after = new.profiles[name].answers[ModelType.LLM]
        routing = {m: r.backend for m, r in before.routing.items()}
        assert {m: r.backend for m, r in after.routing.items()} == routing, name
        for alias, resolution in before.aliases.items():
            migrated = after.aliases.get(alias) or after.waterfalls[alias]
            assert _answer(migrated) == _answer(resolution), (name, alias)
        assert set(after.aliases) | set(after.waterfalls) == set(before.aliases), name
        for preset, resolution in before.presets.items():
            assert _answer(after.presets[preset]) == _answer(resolution), (name, preset)
        assert set(after.presets) == set(before.presets)
    assert _chosen(new) == _chosen(old)


def test_comments_not_carried_over_are_listed() -> None:
    notes = [str(n) for n in _migrate(EXAMPLE).notes]
    assert "deck/base_deck.toml:1: comment not carried over" in notes
    assert not any(n.startswith("backends.toml:") for n in notes)  # copied with its comments


def test_comment_lines_skip_strings() -> None:
    text = 'a = "x # y" # real\nb = \'#\'\nc = """\n# in a string\n"""\n# last\n'
    assert comment_lines(text) == [1, 6]


def test_example_migration_keeps_bare_names_and_writes_sigils_for_presets() -> None:
    files = _migrate(EXAMPLE).files
    deck = tomllib.loads(files["deck/1_llm_deck.toml"])["llm"]
    assert deck["aliases"]["best-llm"] == "best-claude"  # both layouts: a model, then an alias
    assert deck["aliases"]["best-claude"] == "claude-4.1-opus"
    assert deck["waterfalls"]["llm_for_hard_reasoning"] == ["base-gpt", "o4-mini"]
    assert deck["presets"]["llm_to_engineer"]["model"] == "llm_to_engineer"  # now a waterfall
    assert deck["choice_defaults"]["for_text"] == "$cheap_llm_for_text"
    assert deck["choice_overrides"]["for_object"] == "disabled"
    routing = tomllib.loads(files["routing_profiles.toml"])
    assert routing["profiles"]["mixed"]["fallback_order"][0] == "pipelex_inference"
    assert all("description" in p for p in routing["profiles"].values())


def test_cli_migrate(project: Path) -> None:
    result = run("migrate", "--out", "new")
    assert result.exit_code == 0, result.stderr
    assert "note: .pipelex/inference/deck/base_deck.toml:1: comment not carried over" in (
        result.stdout
    )
    assert result.stdout.rstrip().endswith("to new (pipelex-0.92)")
    assert compile_dir(project / "new").lock.dialect == "pipelex-0.92"
    again = run("migrate", "--out", "new")
    assert again.exit_code == 2
    assert "not an empty directory" in again.stderr


def test_cli_migrate_refuses_a_092_configuration(project: Path) -> None:
    assert run("migrate", "--out", "new").exit_code == 0
    result = run("migrate", "--config-dir", "new", "--out", "newer")
    assert result.exit_code == 2
    assert result.stderr.startswith("new/deck/1_llm_deck.toml: ")
    assert "already pipelex-0.92" in result.stderr
    assert not (project / "newer").exists()


def test_cli_migrate_reports_bad_input(project: Path) -> None:
    (project / ".pipelex" / "inference" / "deck" / "base_deck.toml").write_text("[aliases\n")
    result = run("migrate", "--out", "new")
    assert result.exit_code == 2
    assert result.stderr.startswith(".pipelex/inference/deck/base_deck.toml:1:")
    assert not (project / "new").exists()


def test_disabled_default_shadowing_alias_and_missing_temperature(tmp_path: Path) -> None:
    """A disabled default or route that sends models there is kept (both layouts refuse the
    profile); one that sends none is dropped or made optional (0.10 boots the profile)."""
    old = tmp_path / "old"
    files = {
        "backends.toml": "[a]\nenabled = true\n[b]\nenabled = false\n",
        "backends/a.toml": '[models.m1]\nsdk = "openai"\n[models.m2]\nsdk = "openai"\n',
        "backends/b.toml": '[models.m1]\nsdk = "openai"\n[models.m3]\nsdk = "openai"\n',
        "routing_profiles.toml": 'active = "p"\n[profiles.p]\ndefault = "a"\n'
        '[profiles.p.routes]\n"m3" = "b"\n'
        '[profiles.q]\ndefault = "b"\nfallback_order = ["a"]\n[profiles.q.routes]\n"m1" = "b"\n'
        '[profiles.r]\ndefault = "b"\n[profiles.r.routes]\n"*" = "a"\n',
        "deck/base_deck.toml": '[aliases]\nm1 = "m2"\nchain = ["m1"]\n'
        '[llm_presets]\nbare = { llm_handle = "m1" }\n'
        '[llm_choice_defaults]\nfor_text = "m1"\nfor_object = "bare"\n',
    }
    for rel, text in files.items():
        (old / rel).parent.mkdir(parents=True, exist_ok=True)
        (old / rel).write_text(text)
    migration = _migrate(old)
    _write(migration, tmp_path / "new")
    deck = tomllib.loads(migration.files["deck/1_llm_deck.toml"])["llm"]
    assert deck["aliases"]["m1"] == "m2"  # a model stays bare
    assert deck["waterfalls"]["chain"] == ["m1"]  # the model m1 where served, else the alias
    assert deck["presets"]["bare"] == {"model": "m1", "temperature": 1}
    assert deck["choice_defaults"]["for_text"] == "m1"
    routing = tomllib.loads(migration.files["routing_profiles.toml"])["profiles"]
    assert routing["p"]["optional_routes"] == {"m3": "b"}  # m3: no enabled backend declares it
    assert (routing["q"]["default"], routing["q"]["routes"]) == ("b", {"m1": "b"})
    assert "default" not in routing["r"]  # every model goes by `*`
    notes = [str(n) for n in migration.notes]
    assert any("preset bare: temperature = 1 written" in n for n in notes)
    assert any(
        "profile r: default backend b is disabled and no model goes to it" in n for n in notes
    )
    before, after = compile_dir(old).lock, compile_dir(tmp_path / "new").lock
    for name in ("p", "q", "r"):
        llm_before = before.profiles[name].answers[ModelType.LLM]
        llm_after = after.profiles[name].answers[ModelType.LLM]
        assert {m: r.backend for m, r in llm_after.routing.items()} == {
            m: r.backend for m, r in llm_before.routing.items()
        }
        assert _answer(llm_after.presets["bare"]) == _answer(llm_before.presets["bare"])
        assert _answer(llm_after.waterfalls["chain"]) == _answer(llm_before.aliases["chain"])


def test_an_enabled_backend_serving_nothing_is_noted(tmp_path: Path) -> None:
    """The seed's layout warns about it; the current one refuses it: migrate says so."""
    config = tmp_path / "seed"
    shutil.copytree(EXAMPLE, config)
    backends = config / "backends.toml"
    backends.write_text(backends.read_text() + "\n[spare]\n")
    notes = [str(n) for n in _migrate(config).notes]
    assert any(
        n.startswith("backends.toml:") and "backend `spare` is enabled but serves no model" in n
        for n in notes
    ), notes
