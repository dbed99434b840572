"""The review workflow: small lockfile diffs, the pre-commit hook, the editor schemas."""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from compiler.cli import cli
from compiler.emit.editor_schema import DRAFT_07, SOURCE_SCHEMAS, UnsupportedKeyword, draft07
from compiler.emit.lockfile import build_lock, dumps, to_json
from compiler.emit.origin import Origin
from compiler.pipeline import analyse
from compiler.sources.load import load_sources
from tests.conftest import EXAMPLE, ROOT, sources_from_texts

BIN = Path(sys.executable).parent
BASE = ROOT / "tests" / "diff_cases" / "base"


# -- one changed line in the sources is a small, readable lockfile diff --------------------------


def lock_text(files: dict[str, str]) -> str:
    resolved, _ = analyse(sources_from_texts(files))
    assert resolved is not None
    return dumps(to_json(build_lock(resolved)))


def resolution_entries(lock: dict[str, Any]) -> dict[tuple[str, str, str], Any]:
    """Every per-profile record: where each model goes, what each alias and preset resolves to."""
    return {
        (profile, section, name): entry
        for profile, body in lock["profiles"].items()
        for section in ("routing", "aliases", "presets")
        for name, entry in body["llm"][section].items()
    }


@pytest.mark.parametrize(
    ("path", "before", "after", "resolutions"),
    [
        # alias `best` -> what `best` and preset `writer` resolve to, in both profiles
        ("deck/base_deck.toml", 'best = "claude-4-sonnet"', 'best = "claude-3.5-haiku"', 4),
        # route claude-* under `native` -> both claude models, alias `best` and preset `writer`
        ("routing_profiles.toml", '"claude-*" = "anthropic"', '"claude-*" = "gateway"', 4),
        ("deck/base_deck.toml", "temperature = 0.7", "temperature = 0.8", 0),
        ("backends/anthropic.toml", "costs = { input = 3.0", "costs = { input = 3.375", 0),
    ],
    ids=["alias", "route", "preset-temperature", "cost"],
)
def test_one_changed_line_is_a_small_lockfile_diff(
    path: str, before: str, after: str, resolutions: int
) -> None:
    files = {p.relative_to(BASE).as_posix(): p.read_text() for p in BASE.rglob("*.toml")}
    edited = {**files, path: files[path].replace(before, after, 1)}
    assert edited[path] != files[path]
    old, new = lock_text(files), lock_text(edited)
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0))
    removed = [line for line in lines[2:] if line.startswith("-")]
    added = [line for line in lines[2:] if line.startswith("+")]
    changed = {
        key
        for key, entry in resolution_entries(json.loads(new)).items()
        if resolution_entries(json.loads(old)).get(key) != entry
    }
    assert len(changed) == resolutions
    # The bound: the edited value's own line and its file's hash in `sources`, plus at most three
    # lines (backend, model, the path's last step) per per-profile record the edit re-resolves.
    # Provenance must not move: the edit keeps every line where it was.
    bound = 2 + 3 * resolutions
    assert 2 <= len(removed) <= bound
    assert 2 <= len(added) <= bound
    assert not any('"provenance"' in line for line in lines)
    assert sum(f'"{path}": ' in line for line in lines) == 2  # the source hash, old and new


@pytest.mark.parametrize(
    ("config", "out", "command"),
    [
        (
            ".pipelex/inference",
            "generated",
            "deckc compile --config-dir .pipelex/inference --out generated",
        ),
        ("conf/inference", "src/deck", "deckc compile --config-dir conf/inference --out src/deck"),
        ("inference", ".", "deckc compile --config-dir inference --out ."),
        ("my conf", "out", "deckc compile --config-dir 'my conf' --out out"),
    ],
)
def test_the_lockfile_names_the_directories_it_was_made_from(
    tmp_path: Path, config: str, out: str, command: str
) -> None:
    resolved, _ = analyse(load_sources(EXAMPLE))
    assert resolved is not None
    origin = Origin.of(tmp_path / "project" / config, tmp_path / "project" / out)
    header = build_lock(resolved, origin).header
    assert header.regenerate == command
    assert (
        header.do_not_edit == f"generated from {origin.config_dir}; edit the TOML sources instead"
    )


# -- deckc check ---------------------------------------------------------------------------------


@pytest.fixture
def project(project: Path) -> Path:
    """The example copy of conftest's ``project``, compiled."""
    assert CliRunner().invoke(cli, ["compile"]).exit_code == 0
    return project


def test_check_names_a_file_deckc_did_not_write(project: Path) -> None:
    assert (project / "generated" / "__pycache__").is_dir()  # bytecode and dotfiles are fine
    assert CliRunner().invoke(cli, ["check"]).exit_code == 0
    (project / "generated" / "helpers.py").write_text("x = 1\n")
    result = CliRunner().invoke(cli, ["check"])
    assert (result.exit_code, result.stderr) == (
        1,
        "generated/helpers.py: not an output of deckc (a leftover or a hand-added file): "
        "delete it\n",
    )


def test_check_never_renders(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_rendering(*_: object) -> None:
        raise AssertionError("deckc check rendered templates")

    monkeypatch.setattr("compiler.pipeline.render", no_rendering)
    assert CliRunner().invoke(cli, ["check"]).exit_code == 0
    deck = project / ".pipelex" / "inference" / "deck" / "base_deck.toml"
    deck.write_text(deck.read_text().replace('base-gpt = "gpt-5"', 'base-gpt = "gpt-4o"'))
    assert CliRunner().invoke(cli, ["check"], catch_exceptions=False).exit_code == 1
    deck.write_text(deck.read_text().replace('base-gpt = "gpt-4o"', 'base-gpt = "gpt-6"'))
    broken = CliRunner().invoke(cli, ["check"], catch_exceptions=False)
    assert broken.exit_code == 2
    assert "aliases.base-gpt: error: `gpt-6` is not a declared model or alias" in broken.stderr


def test_check_without_outputs_and_with_a_broken_configuration_exits_2(project: Path) -> None:
    shutil.rmtree(project / "generated")
    (project / ".pipelex" / "inference" / "deck" / "team.toml").write_text("[aliases]\nx = 3\n")
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        ".pipelex/inference/deck/team.toml:2:1: aliases.x: "
        "error: expected a handle or a non-empty list of handles, got 3"
    )


# -- the pre-commit hook -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hook() -> dict[str, Any]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (found,) = [h for h in hooks if h["id"] == "deckc-check"]
    return dict(found)


def test_the_hook_runs_on_sources_and_outputs_only(hook: dict[str, Any]) -> None:
    assert (hook["language"], hook["pass_filenames"]) == ("python", False)
    files = re.compile(hook["files"])
    for path in (
        ".pipelex/inference/backends.toml",
        ".pipelex/inference/backends/openai.toml",
        ".pipelex/inference/deck/overrides.toml",
        "generated/deck.lock.json",
        "generated/deck.py",
    ):
        assert files.search(path), path
    for path in ("README.md", "compiler/cli.py", ".pipelex/inference/notes.md"):
        assert not files.search(path), path


def run_hook(hook: dict[str, Any], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The hook's entry and args, run as pre-commit runs them: in the repository's root, with the
    hook's environment (where deckc is installed) first on PATH, no file names appended."""
    command = [*shlex.split(hook["entry"]), *hook.get("args", [])]
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_the_hook_entry_point_passes_then_fails_on_a_stale_output(
    hook: dict[str, Any], tmp_path: Path
) -> None:
    shutil.copytree(EXAMPLE, tmp_path / ".pipelex" / "inference")
    missing = run_hook(hook, tmp_path)
    assert missing.returncode == 1
    assert "generated/deck.manifest.json: missing" in missing.stderr

    subprocess.run([BIN / "deckc", "compile"], cwd=tmp_path, check=True, capture_output=True)
    current = run_hook(hook, tmp_path)
    assert (current.returncode, current.stdout) == (0, "deckc: generated is current\n")

    overrides = tmp_path / ".pipelex" / "inference" / "deck" / "overrides.toml"
    overrides.write_text(overrides.read_text().replace("temperature = 0.2", "temperature = 0.25"))
    stale = run_hook(hook, tmp_path)
    assert stale.returncode == 1
    lines = stale.stderr.splitlines()
    assert (
        lines[0] == ".pipelex/inference/deck/overrides.toml: changed since generated was compiled"
    )
    assert lines[-1] == ("fix: run `deckc compile --config-dir .pipelex/inference --out generated`")


# -- editor schemas ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("editor") / "schemas"
    result = CliRunner().invoke(cli, ["schema", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_editor_schemas_are_draft_07(schema_dir: Path) -> None:
    names = sorted(p.name for p in schema_dir.glob("*.json"))
    assert names == sorted(f"{name}.schema.json" for name in SOURCE_SCHEMAS)
    for path in schema_dir.glob("*.json"):
        text = path.read_text()
        schema = json.loads(text)
        assert schema["$schema"] == DRAFT_07
        assert schema["title"]
        assert "$defs" not in text and "$id" not in schema
        jsonschema.Draft7Validator.check_schema(schema)


def test_draft07_translation() -> None:
    source = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "properties": {
            "$defs": {"$ref": "#/$defs/a", "description": "a property named $defs"},
            "pair": {"prefixItems": [{"type": "string"}], "items": False},
        },
        "dependentRequired": {"x": ["y"]},
        "$defs": {"a": {"type": "integer"}},
    }
    assert draft07(source) == {
        "$schema": DRAFT_07,
        "properties": {
            "$defs": {
                "allOf": [{"$ref": "#/definitions/a"}],
                "description": "a property named $defs",
            },
            "pair": {"items": [{"type": "string"}], "additionalItems": False},
        },
        "dependencies": {"x": ["y"]},
        "definitions": {"a": {"type": "integer"}},
    }
    with pytest.raises(UnsupportedKeyword, match="#/properties/p: `unevaluatedProperties`"):
        draft07({"properties": {"p": {"unevaluatedProperties": False}}})


EXAMPLE_92 = ROOT / "examples" / "pipelex-0.92" / "inference"


def _files(root: Path, pattern: str) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.glob(pattern))


EXAMPLES = {kind: EXAMPLE for kind in ("backends", "backend_models", "routing_profiles", "deck")}
EXAMPLES |= {f"{kind}-0.92": EXAMPLE_92 for kind in EXAMPLES}
EXAMPLE_FILES = {
    "backends": ["backends.toml"],
    "backend_models": _files(EXAMPLE, "backends/*.toml"),
    "routing_profiles": ["routing_profiles.toml"],
    "deck": _files(EXAMPLE, "deck/*.toml"),
    # backends_override.toml takes its base's schema (routing_profiles_override.toml cannot: an
    # override of a profile need not repeat its required description)
    "backends-0.92": ["backends.toml", "backends_override.toml"],
    "backend_models-0.92": _files(EXAMPLE_92, "backends/*.toml"),
    "routing_profiles-0.92": ["routing_profiles.toml"],
    "deck-0.92": _files(EXAMPLE_92, "deck/**/*.toml"),
}
BROKEN = {  # kind -> (file, text replaced, replacement): one schema violation each
    "backends": ("backends.toml", "[openai]\n", '[openai]\nenabled = "yes"\n'),
    "backend_models": (
        "backends/openai.toml",
        "[models.gpt-4o]\n",
        "[models.gpt-4o]\nmax_token = 1\n",
    ),
    "routing_profiles": ("routing_profiles.toml", 'default = "openai"', 'default = "Open AI"'),
    "deck": ("deck/overrides.toml", "temperature = 0.2", "temperature = 2"),
    "backends-0.92": ("backends.toml", "[openai]\n", '[openai]\nenabled = "yes"\n'),
    "backend_models-0.92": ("backends/openai.toml", '["gpt-b"]\n', '["gpt-b"]\nmax-tokens = 1\n'),
    "routing_profiles-0.92": (
        "routing_profiles.toml",
        'description = "OpenAI by default',
        'descriptio = "OpenAI by default',
    ),
    "deck-0.92": ("deck/1_llm_deck.toml", "default_temperature = 0.7", "default_temperature = 7"),
}


def taplo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("taplo", path=str(BIN)) or shutil.which("taplo")
    assert executable, "taplo (a dev dependency: pip install -e '.[dev]') is not installed"
    return subprocess.run(
        [executable, "check", "--no-auto-config", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "RUST_LOG": "error", "NO_COLOR": "1"},
    )


@pytest.mark.parametrize("kind", SOURCE_SCHEMAS)
def test_taplo_accepts_the_example_and_rejects_a_broken_copy(
    kind: str, schema_dir: Path, tmp_path: Path
) -> None:
    assert set(EXAMPLE_FILES) == set(SOURCE_SCHEMAS)
    schema = f"file://{schema_dir / f'{kind}.schema.json'}"
    config = tmp_path / "inference"
    shutil.copytree(EXAMPLES[kind], config)
    good = taplo("--schema", schema, *EXAMPLE_FILES[kind], cwd=config)
    assert good.returncode == 0, good.stderr

    path, before, after = BROKEN[kind]
    target = config / path
    assert before in target.read_text()
    target.write_text(target.read_text().replace(before, after, 1))
    bad = taplo("--schema", schema, path, cwd=config)
    assert bad.returncode != 0
    assert f"{path}:" in bad.stderr


def test_taplo_follows_a_schema_line_at_the_top_of_the_file(
    schema_dir: Path, tmp_path: Path
) -> None:
    deck = tmp_path / "deck.toml"
    directive = f"#:schema {schema_dir / 'deck.schema.json'}\n"
    deck.write_text(directive + (EXAMPLE / "deck" / "base_deck.toml").read_text())
    assert taplo("deck.toml", cwd=tmp_path).returncode == 0
    deck.write_text(directive + "[aliases]\nbest = 3\n")
    bad = taplo("deck.toml", cwd=tmp_path)
    assert bad.returncode != 0
    assert "deck.toml:3:8" in bad.stderr


def test_the_editor_schema_asks_for_active_where_compile_does() -> None:
    """compile names the only profile active when `active` is left out, and refuses the file
    when there are several: the seed layout's editor schema says the same."""
    import jsonschema

    from compiler.emit.editor_schema import editor_schema

    validator = jsonschema.Draft7Validator(editor_schema("routing_profiles"))
    one = {"profiles": {"p": {"default": "a"}}}
    two = {"profiles": {"p": {"default": "a"}, "q": {"default": "a"}}}
    assert validator.is_valid(one)
    assert [e.message for e in validator.iter_errors(two)] == ["'active' is a required property"]
    assert validator.is_valid({"active": "q", **two})
