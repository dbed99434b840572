"""The pipelex-0.92 example (``examples/pipelex-0.92/inference/``), compiled and answered.

The example is ours (not Pipelex's kit) and uses every feature of the current layout.
``tests/kit92/example_answers.json`` is what Pipelex 0.92.2 itself answers for it under every
profile, made with::

    .venv-pipelex-0.92/bin/python tools/pipelex_answers.py ex=examples/pipelex-0.92/inference \\
        -o tests/kit92/example_answers.json

Every served (model type, handle), alias, waterfall, preset and choice is compared with the
generated runtime's answer under the same profile (``tests/pipelex_answers.py``), as
``tests/test_kit92.py`` does for the kit.  The answers file is committed, so this test needs
neither the network nor Pipelex.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from compiler.core.errors import Severity
from compiler.core.ir import Dialect, ModelType
from compiler.pipeline import Build
from conformance.compare import compiled, differences, imported, recorded_profiles

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "pipelex-0.92" / "inference"
ANSWERS = Path(__file__).parent / "kit92" / "example_answers.json"


@pytest.fixture(scope="module")
def build() -> Build:
    return compiled(EXAMPLE)


@pytest.fixture(scope="module")
def deck(build: Build, tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return imported(build, tmp_path_factory.mktemp("out"))


def pipelex_answers() -> dict[str, Any]:
    answers: dict[str, Any] = json.loads(ANSWERS.read_text())["directories"]["ex"]
    return answers


def pipelex_profiles() -> dict[str, Any]:
    return recorded_profiles(ANSWERS, "ex")


def test_the_example_compiles_cleanly_as_the_current_layout(build: Build) -> None:
    assert build.resolved.config.dialect is Dialect.PIPELEX_0_92
    assert build.lock.dialect == "pipelex-0.92"
    assert not [w for w in build.warnings if w.severity is Severity.ERROR]
    assert set(build.resolved.profiles) == set(pipelex_profiles())


def test_pipelex_boots_every_profile_of_the_example() -> None:
    assert pipelex_answers()["active_in_files"] == "balanced"
    assert {name: p["boot"] for name, p in pipelex_profiles().items()} == {
        "balanced": "ok",
        "gateway": "ok",
        "openai_only": "ok",
    }


@pytest.mark.parametrize("profile", sorted(pipelex_profiles()))
def test_every_answer_agrees_with_pipelex(profile: str, build: Build, deck: ModuleType) -> None:
    found = differences(build, deck, profile, pipelex_profiles()[profile])
    assert not found, "\n".join(found)


def test_a_nested_waterfall_that_serves_nothing_is_skipped(deck: ModuleType) -> None:
    # Under `balanced`, mistral-ocr is found along fallback_order on mistral.
    ocr = deck.resolve("~document-extractor", model_type="text_extractor")
    assert (ocr.model, ocr.backend) == ("mistral-ocr", "mistral")
    # Under `openai_only` (a default, no fallback_order) only internal is searched: the nested
    # `~ocr-only` serves nothing and the waterfall goes on to its next step.
    pdf = deck.resolve("~document-extractor", "openai_only", "text_extractor")
    assert (pdf.model, pdf.backend) == ("pypdfium2-extract-pdf", "internal")
    with pytest.raises(KeyError):
        deck.resolve("~ocr-only", "openai_only", "text_extractor")


def test_a_header_is_kept_in_the_spec_extensions(build: Build) -> None:
    models = json.loads(build.files["deck.lock.json"])["models"]
    assert models["llm"]["portkey"]["gpt-a"]["extensions"] == {"x-portkey-provider": "@openai"}
    assert "extensions" not in models["llm"]["openai"]["gpt-a"]


def test_override_files_deep_merge(build: Build) -> None:
    lock = json.loads(build.files["deck.lock.json"])
    openai = lock["backends"]["openai"]
    # backends_override.toml adds an option to [openai]; its api_key stays.
    assert openai["options"] == {"organization": "org-example"}
    assert openai["credential_refs"] == {"api_key": "${OPENAI_API_KEY}"}
    # ... and replaces the backend's listed_constraints list whole.
    gpt_b = lock["models"]["llm"]["openai"]["gpt-b"]
    assert gpt_b["listed_constraints"] == ["max_tokens_must_be_high_enough"]
    # routing_profiles_override.toml makes `balanced` active and adds an exact route.
    assert lock["active_profile"] == "balanced"
    judge = build.lock.profiles["balanced"].answers[ModelType.JUDGMENT].routing["claude-judge"]
    assert judge.backend == "anthropic"


def test_choices_and_presets_read_plainly(deck: ModuleType) -> None:
    assert deck.choice("pdf.layout", model_type="doc_gen").model == "reportlab-pdf"
    html = deck.choice("pdf.html", model_type="doc_gen")
    assert (html.model, html.backend, html.description) == (
        "reportlab-pdf",
        "internal",
        "PDF from HTML",
    )
    poster = deck.preset("poster", model_type="img_gen")
    assert (poster.model, poster.backend, poster.quality) == ("gpt-img", "openai", "high")
    # A later deck file overrides one field of an earlier preset; the others stay.
    vision = deck.preset("vision")
    assert (vision.model, vision.temperature, vision.max_tokens) == ("gpt-a", 0.3, 4096)
    # for_text is overridden by `$deep`; the object override is "disabled" in the last file.
    text = deck.choice("for_text")
    assert (text.model, text.temperature, text.reasoning_effort) == ("claude-y", 1, "high")
    assert deck.choice("for_object").model == "claude-x"
    # An image choice naming an alias takes the family's default quality; disabled fal is skipped.
    image = deck.choice("choice_default", model_type="img_gen")
    assert (image.model, image.backend, image.quality) == ("gpt-img", "openai", "medium")


def test_compile_check_and_validate_work_on_the_current_layout(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from compiler.cli import cli

    config = tmp_path / "inference"
    shutil.copytree(EXAMPLE, config)
    out = tmp_path / "generated"
    args = ["--config-dir", str(config), "--out", str(out)]
    runner = CliRunner()
    compiled_now = runner.invoke(cli, ["compile", *args])
    assert compiled_now.exit_code == 0, compiled_now.stderr
    assert runner.invoke(cli, ["check", *args]).exit_code == 0
    override = config / "routing_profiles_override.toml"
    override.write_text(override.read_text() + "\n# an edit\n")
    assert runner.invoke(cli, ["check", *args]).exit_code == 1  # an override file is a source
    checked = runner.invoke(cli, ["validate", "inference", *args, "--format", "json"])
    assert checked.exit_code in (0, 1), checked.stderr
    assert all(finding["severity"] != "error" for finding in json.loads(checked.stdout))


@pytest.mark.parametrize("config_dir", [EXAMPLE, ROOT / ".pipelex" / "inference"], ids=str)
def test_check_hashes_exactly_the_files_the_compile_read(config_dir: Path) -> None:
    """Override files and nested deck files included: else `check` calls a fresh output stale."""
    from compiler.emit.freshness import source_hashes

    assert source_hashes(config_dir) == dict(compiled(config_dir).resolved.config.sources)
