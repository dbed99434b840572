"""Pipelex 0.92.2's own kit, unmodified, compiled by deckc and answered as Pipelex answers it.

The kit comes from the published wheel (``pip download --no-deps pipelex==0.92.2``), so the test
needs the package index (marked ``network``).  ``tests/kit92/pipelex_answers.json`` is what
Pipelex itself answers for that kit under every profile (made by ``tools/pipelex_answers.py``):
every served (model type, handle), alias, waterfall, preset and choice is compared with the
generated runtime's answer under the same profile.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from compiler.core.errors import Severity
from compiler.core.ir import Dialect
from compiler.emit.origin import Origin
from compiler.pipeline import Build, compile_dir
from tests.conftest import import_generated
from tools.pipelex_kit import extract_kit

ANSWERS = Path(__file__).parent / "kit92" / "pipelex_answers.json"
FAMILY_TABLE = {"text_extractor": "extract"}

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kit of the published wheel, extracted unmodified."""
    return extract_kit(tmp_path_factory.mktemp("kit"))


@pytest.fixture(scope="module")
def build(kit: Path) -> Build:
    return compile_dir(kit, Origin.of(kit, kit.parent / "out"))


@pytest.fixture(scope="module")
def deck(build: Build, tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    out = tmp_path_factory.mktemp("out")
    for rel, text in build.files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    return import_generated(out)


def pipelex_profiles() -> dict[str, Any]:
    profiles: dict[str, Any] = json.loads(ANSWERS.read_text())["directories"]["kit92"]["profiles"]
    return profiles


def booted() -> list[str]:
    return [name for name, answer in pipelex_profiles().items() if answer["boot"] == "ok"]


def test_the_kit_compiles_as_the_current_layout_with_warnings_only(build: Build) -> None:
    assert build.resolved.config.dialect is Dialect.PIPELEX_0_92
    assert build.lock.dialect == "pipelex-0.92"
    assert all(w.severity is not Severity.ERROR for w in build.warnings)
    assert set(build.resolved.profiles) == set(pipelex_profiles())


def test_profiles_pipelex_cannot_boot_are_reported_by_name(build: Build) -> None:
    """Pipelex refuses these profiles at boot (a disabled backend): deckc warns, naming them."""
    refused = [name for name, answer in pipelex_profiles().items() if answer["boot"] != "ok"]
    assert sorted(refused) == ["all_vertexai", "example_routing_using_specific_models"]
    for name in refused:
        assert any(
            f"profile {name} is not active" in w.message and "disabled" in w.message
            for w in build.warnings
        ), name


def _outcome(call: Any, *args: str) -> tuple[str | None, str | None]:
    """(model, backend) of a runtime answer, (None, None) where the runtime refuses it."""
    try:
        record = call(*args)
    except KeyError:  # the runtime's look-up errors are KeyErrors
        return None, None
    return record.model, record.backend


def _expected(answer: dict[str, Any]) -> tuple[str | None, str | None]:
    if "error" in answer:
        return None, None
    return answer["model"], answer["backend"]


@pytest.mark.parametrize("profile", booted())
def test_every_answer_agrees_with_pipelex(profile: str, build: Build, deck: ModuleType) -> None:
    differences: list[str] = []

    def same(what: str, ours: object, theirs: object) -> None:
        if ours != theirs:
            differences.append(f"{what}: deckc {ours!r}, Pipelex {theirs!r}")

    for model_type, answers in pipelex_profiles()[profile]["types"].items():
        ours = build.lock.profiles[profile].answers[_type(model_type)]
        served = {h: r.backend for h, r in ours.routing.items() if r.backend is not None}
        same(f"{model_type} served", served, answers["served"])
        for name, answer in answers["aliases"].items():
            found = _outcome(deck.resolve, f"@{name}", profile, model_type)
            same(f"{model_type} alias {name}", found, _expected(answer))
        for name, answer in answers["waterfalls"].items():
            found = _outcome(deck.resolve, f"~{name}", profile, model_type)
            same(f"{model_type} waterfall {name}", found, _expected(answer))
        for name, answer in answers["presets"].items():
            found = _outcome(deck.preset, name, profile, model_type)
            same(f"{model_type} preset {name}", found, _expected(answer))
            if found[0] is not None:
                record = deck.preset(name, profile, model_type)
                for field, value in answer["settings"].items():
                    if field != "model":
                        same(f"{model_type} preset {name}.{field}", getattr(record, field), value)
        for kind, answer in answers["choices"].items():
            found = _outcome(deck.choice, kind, profile, model_type)
            same(f"{model_type} choice {kind}", found, _expected(answer))
            if found[0] is not None and "setting" in answer:
                record = deck.choice(kind, profile, model_type)
                for field, value in answer["setting"].items():
                    if field != "model":
                        same(f"{model_type} choice {kind}.{field}", getattr(record, field), value)
    assert not differences, "\n".join(differences)


def test_a_handful_of_answers_read_plainly(deck: ModuleType) -> None:
    """What a reader of the kit expects, spelt out."""
    terra = deck.choice("for_text")
    assert (terra.model, terra.backend, terra.temperature) == ("gpt-5.6-terra", "openai", 1)
    extractor = deck.resolve("~document-extractor", model_type="text_extractor")
    assert (extractor.model, extractor.backend) == ("mistral-ocr", "mistral")
    mistral_less = deck.resolve("~document-extractor", "all_openai", "text_extractor")
    assert (mistral_less.model, mistral_less.backend) == ("pypdfium2-extract-pdf", "internal")
    image = deck.preset("gen-image", model_type="img_gen")
    assert (image.model, image.quality) == ("gpt-image-2", "medium")
    assert deck.choice("pdf.layout", model_type="doc_gen").model == "reportlab-pdf"
    with pytest.raises(KeyError, match="choice_default"):
        deck.choice("choice_default", model_type="judgment")


def _type(name: str) -> Any:
    from compiler.core.ir import ModelType

    return ModelType(name)
