"""The emit stage's lockfile: typed, written as schema version 2, read back by the one reader
(versions 1 and 2) into the same values."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from compiler.core.errors import CompileFailed
from compiler.core.ir import ModelType
from compiler.emit.lock import Lockfile, Resolution, Skipped
from compiler.emit.lockfile import dumps, schema_violations, to_json
from compiler.emit.lockread import parse_lock, read_lock
from compiler.pipeline import compile_dir
from tests.conftest import EXAMPLE, ROOT, compile_texts, compiling_case_dirs

VALID_CASES = compiling_case_dirs()
V1_EXAMPLE = ROOT / "tests" / "lockfiles" / "example.v1.json"
# the configuration that lockfile was compiled from (the example of that commit)
V1_SOURCES = ROOT / "tests" / "lockfiles" / "example.v1.inference"


def semantic(lock: Lockfile) -> Lockfile:
    """A lockfile without what deckc diff ignores: how it was made and where entries are."""
    return replace(
        lock, header=replace(lock.header, by="", regenerate="", do_not_edit=""), provenance={}
    )


@pytest.mark.parametrize("case", VALID_CASES, ids=lambda p: p.name)
def test_the_reader_gives_back_what_was_written(case: Path) -> None:
    build = compile_dir(case / "inference")
    assert schema_violations(build.lock_json) == []
    assert read_lock(json.loads(dumps(build.lock_json)), "lock") == build.lock


def test_a_version_1_lockfile_reads_as_the_same_deck_compiled_now() -> None:
    old = parse_lock(V1_EXAMPLE.read_text(encoding="utf-8"), "example.v1.json")
    now = compile_dir(V1_SOURCES).lock
    assert old.header.schema_version == 1 and now.header.schema_version == 2
    assert semantic(replace(old, header=replace(old.header, schema_version=2))) == semantic(now)


def test_version_1_models_keep_the_type_their_spec_names() -> None:
    data = json.loads(V1_EXAMPLE.read_text(encoding="utf-8"))
    spec = data["models"]["openai"]["gpt-4o"]
    data["models"]["openai"]["dall-e"] = {**spec, "model_id": "dall-e-3", "model_type": "img_gen"}
    for profile in data["profiles"].values():
        profile["routing"]["dall-e"] = {"backend": "openai", "rule": "default"}
    lock = read_lock(data, "v1")
    assert lock.models[ModelType.IMG_GEN]["openai"]["dall-e"]["model_id"] == "dall-e-3"
    assert "dall-e" not in lock.models[ModelType.LLM]["openai"]
    answers = lock.profiles["mixed"].answers
    assert answers[ModelType.IMG_GEN].routing["dall-e"].backend == "openai"
    assert "dall-e" not in answers[ModelType.LLM].routing
    assert lock.model_types() == [ModelType.LLM, ModelType.IMG_GEN]


def test_every_map_is_keyed_by_model_type_first() -> None:
    lock = compile_texts(
        {
            "backends.toml": "[a]\n",
            "backends/a.toml": '[m]\n[pic]\nmodel_type = "img_gen"\n',
            "routing_profiles.toml": '[profiles.p]\ndefault = "a"\n',
            "deck/base_deck.toml": '[aliases]\nbest = "m"\n',
        }
    ).lock_json
    assert set(lock["models"]) == {"llm", "img_gen"}
    assert set(lock["profiles"]["p"]) == {
        "default",
        "description",
        "fallback_order",
        "routes",
        "llm",
        "img_gen",
    }
    assert lock["profiles"]["p"]["img_gen"]["routing"] == {
        "pic": {"backend": "a", "rule": "default"}
    }
    assert lock["deck"]["llm"]["waterfalls"] == {}


def test_resolutions_keep_the_chain_and_what_was_skipped() -> None:
    build = compile_texts(
        {
            "backends.toml": "[a]\n[b]\nenabled = false\n",
            "backends/a.toml": "[m]\n",
            "backends/b.toml": "[x]\n",
            "routing_profiles.toml": '[profiles.p]\ndefault = "a"\n',
            "deck/base_deck.toml": '[aliases]\nbest = ["x", "m"]\n',
        }
    )
    best = build.lock.profiles["p"].answers[ModelType.LLM].aliases["best"]
    reason = (
        "x: backend a, the default of profile p, does not serve x, nor does any other enabled "
        "backend"
    )
    assert best == Resolution("a", "m", ("best", "m"), (Skipped("x", reason),))
    assert build.lock_json["profiles"]["p"]["llm"]["aliases"]["best"] == {
        "backend": "a",
        "model": "m",
        "path": ["best", "m"],
        "skipped": [{"handle": "x", "reason": reason}],
    }


def test_a_lockfile_of_an_unknown_version_is_refused() -> None:
    data = json.loads(V1_EXAMPLE.read_text(encoding="utf-8"))
    data["_generated"]["schema_version"] = 3
    with pytest.raises(CompileFailed) as info:
        read_lock(data, "future.json")
    assert info.value.report().startswith(
        "future.json: _generated.schema_version: error: lockfile schema version 3; this deckc "
        "reads "
        "versions 1, 2\n"
    )


def test_a_version_1_lockfile_is_checked_against_the_version_1_schema() -> None:
    data = json.loads(V1_EXAMPLE.read_text(encoding="utf-8"))
    data["deck"]["llm"] = {}  # a version 2 key in a version 1 lockfile
    with pytest.raises(CompileFailed) as info:
        read_lock(data, "odd.json")
    assert "not a valid version 1 lockfile: Additional properties are not allowed" in str(
        info.value.diagnostics[0]
    )


def test_to_json_and_the_schema_agree_on_optional_parts() -> None:
    lock = compile_dir(EXAMPLE).lock
    unavailable = [
        r
        for p in lock.profiles.values()
        for r in p.answers[ModelType.LLM].aliases.values()
        if r.unavailable
    ]
    assert unavailable  # the example has unavailable aliases: `unavailable` is written then
    assert schema_violations(to_json(lock)) == []


@pytest.mark.parametrize("path", sorted((ROOT / "schema").glob("*.schema.json")), ids=str)
def test_every_schema_is_valid_and_the_fast_validator_takes_it(path: Path) -> None:
    """A schema its metaschema refuses would send every check down the slow path unnoticed."""
    import jsonschema
    import jsonschema_rs

    schema = json.loads(path.read_text())
    jsonschema.validators.validator_for(schema).check_schema(schema)
    jsonschema_rs.validator_for(schema)  # raises on a schema it refuses
