"""Pipelex 0.92.2's own kit, unmodified, compiled by deckc and answered as Pipelex answers it.

The kit comes from the published wheel (``pip download --no-deps pipelex==0.92.2``), so the test
needs the package index (marked ``network``).  ``tests/kit92/pipelex_answers.json`` is what
Pipelex itself answers for that kit under every profile (made by ``tools/pipelex_answers.py``):
every served (model type, handle), alias, waterfall, preset and choice is compared with the
generated runtime's answer under the same profile.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from compiler.core.errors import Severity
from compiler.core.ir import Dialect
from compiler.pipeline import Build
from conformance.compare import compiled, differences, imported, recorded_profiles
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
    return compiled(kit)


@pytest.fixture(scope="module")
def deck(build: Build, tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return imported(build, tmp_path_factory.mktemp("out"))


def pipelex_profiles() -> dict[str, Any]:
    return recorded_profiles(ANSWERS, "kit92")


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


@pytest.mark.parametrize("profile", booted())
def test_every_answer_agrees_with_pipelex(profile: str, build: Build, deck: ModuleType) -> None:
    found = differences(build, deck, profile, pipelex_profiles()[profile])
    assert not found, "\n".join(found)


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
