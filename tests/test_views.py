"""The template views (compiler/emit/views.py), the flat tables made from the lockfile alone, and
the render step (compiler/emit/render.py) that fills the templates with them."""

from __future__ import annotations

from typing import Any

import pytest

from compiler import __version__
from compiler.core.ir import ModelType
from compiler.emit import views
from compiler.emit.origin import Origin
from compiler.emit.render import render, runtime_sources
from compiler.emit.views import DeckView, RuntimeView, frozen, literal_type, runtime_view
from compiler.pipeline import Build
from tests.conftest import ROOT, compile_texts

# Specs by index: 0 (a, m1), 1 (a, m2), 2 (b, m0), 3 (b, m2); profile to_a routes everything
# to a, to_b everything to b.
FILES = {
    "backends.toml": "[b]\n[a]\n",
    "routing_profiles.toml": (
        'active = "to_a"\n[profiles.to_a.routes]\n"*" = "a"\n[profiles.to_b.routes]\n"*" = "b"\n'
    ),
    "backends/a.toml": '[m1]\nprompting_target = "anthropic"\n[m2]\n',
    "backends/b.toml": "[m2]\n[m0]\n",
}
ALIASES = '[aliases]\nbest = "m1"\nchain = ["m1", "m2"]\n'
PRESETS = (
    "[llm_presets]\n"
    'fast = { llm_handle = "best", temperature = 0.5, max_tokens = "auto" }\n'
    'slow = { llm_handle = "m1", max_tokens = 100, reasoning_effort = "high" }\n'
    '[llm_choice_defaults]\nfor_text = "fast"\nfor_object = "best"\n'
)
NOT_SERVED = "route `*` of profile {} sends it to backend {}, which does not serve {}"


def compiled(deck: str = ALIASES, **extra: str) -> Build:
    return compile_texts({**FILES, "deck/base_deck.toml": deck, **extra})


def view_of(build: Build) -> RuntimeView:
    return runtime_view(build.lock, build.lock_sha256)


def llm(view: RuntimeView) -> DeckView:
    (deck,) = [d for d in view.decks if d.model_type is ModelType.LLM]
    return deck


def run(text: str) -> dict[str, Any]:
    """The names a rendered module defines."""
    namespace: dict[str, Any] = {}
    exec(compile(text, "<rendered>", "exec"), namespace)
    return namespace


def test_specs_are_indexed_in_backend_then_model_order() -> None:
    (section,) = view_of(compiled()).spec_sections
    assert section.module == "_specs_0"
    assert [(backend, model) for backend, model, _ in section.specs] == [
        ("a", "m1"),
        ("a", "m2"),
        ("b", "m0"),
        ("b", "m2"),
    ]
    assert section.specs[0][2] == (
        ...,
        "model_id",
        "m1",
        "model_type",
        "llm",
        "prompting_target",
        "anthropic",
    )


def test_handle_entries_index_models_follow_aliases_and_explain_the_unavailable() -> None:
    deck = llm(view_of(compiled()))
    (section,) = deck.handle_sections
    assert (section.module, section.names, deck.handle_bounds) == (
        "_handles_llm_0",
        ("best", "chain", "m0", "m1", "m2"),
        (),
    )
    assert section.rows == (
        (
            "to_a",
            (
                (0, ("best", "m1")),
                (0, ("chain", "m1")),
                "m0: " + NOT_SERVED.format("to_a", "a", "m0"),
                0,
                1,
            ),
        ),
        (
            "to_b",
            (
                "best -> m1: " + NOT_SERVED.format("to_b", "b", "m1"),
                (3, ("chain", "m2")),
                2,
                "m1: " + NOT_SERVED.format("to_b", "b", "m1"),
                3,
            ),
        ),
    )
    assert (deck.aliases, deck.waterfalls) == (("best", "chain"), ())


def test_a_bare_name_is_the_served_model_before_the_alias_of_that_name() -> None:
    """As Pipelex (both versions) looks it up: the model where it is served, else the alias."""
    deck = llm(view_of(compiled('[aliases]\nm2 = "m1"\nm0 = "m1"\n')))
    (section,) = deck.handle_sections
    assert section.names == ("m0", "m1", "m2")
    assert [row for _, row in section.rows] == [
        ((0, ("m0", "m1")), 0, 1),  # to_a does not serve m0: the alias m0 answers
        (2, "m1: " + NOT_SERVED.format("to_b", "b", "m1"), 3),
    ]
    assert deck.explicit_names == ("@m0", "@m2")  # the aliases, by their explicit form
    assert [row for _, row in deck.explicit_rows] == [
        ((0, ("m0", "m1")), (0, ("m2", "m1"))),
        tuple(f"{a} -> m1: " + NOT_SERVED.format("to_b", "b", "m1") for a in ("m0", "m2")),
    ]
    assert '"@m2"' in deck.names.handle and '"alias:m2"' in deck.names.handle


def test_sections_are_cut_at_their_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "HANDLES_PER_SECTION", 2)
    monkeypatch.setattr(views, "SPECS_PER_SECTION", 3)
    build = compiled()
    view = view_of(build)
    deck = llm(view)
    assert [(s.module, s.names) for s in deck.handle_sections] == [
        ("_handles_llm_0", ("best", "chain")),
        ("_handles_llm_1", ("m0", "m1")),
        ("_handles_llm_2", ("m2",)),
    ]
    assert deck.handle_bounds == ("m0", "m2")
    assert [row for _, row in deck.handle_sections[2].rows] == [(1,), (3,)]
    assert view.specs_per_section == 3
    assert [(s.module, len(s.specs)) for s in view.spec_sections] == [
        ("_specs_0", 3),
        ("_specs_1", 1),
    ]
    files = render(build.lock, build.files["deck.lock.json"], build.lock_sha256, Origin())
    assert {"_runtime/_handles_llm_2.py", "_runtime/_specs_1.py"} <= set(files)
    index = run(files["_runtime/_index.py"])
    assert index["HANDLE_SECTIONS"] == {
        "llm": (("_handles_llm_0", "_handles_llm_1", "_handles_llm_2"), ("m0", "m2"))
    }
    assert (index["SPECS_PER_SECTION"], index["SPEC_SECTIONS"]) == (3, ("_specs_0", "_specs_1"))
    assert run(files["_runtime/_handles_llm_1.py"])["NAMES"] == ("m0", "m1")


def test_preset_params_rows_and_choices() -> None:
    deck = llm(view_of(compiled(ALIASES + PRESETS)))
    assert deck.preset_names == ("fast", "slow")
    assert deck.preset_params == (
        ("best", (..., "description", None, "image_detail", None, "max_tokens", None,
                  "prompting_target", None, "reasoning_budget", None, "reasoning_effort", None,
                  "temperature", 0.5)),
        ("m1", (..., "description", None, "image_detail", None, "max_tokens", 100,
                "prompting_target", None, "reasoning_budget", None, "reasoning_effort", "high",
                "temperature", None)),
    )  # fmt: skip
    assert deck.from_spec == ("prompting_target",)
    assert deck.choice_settings is None  # the seed's layout: a choice naming a model is its handle
    assert deck.preset_rows == (
        ("to_a", ((0, ("best", "m1")), (0, ("m1",)))),
        ("to_b", ("best -> m1: " + NOT_SERVED.format("to_b", "b", "m1"),
                  "m1: " + NOT_SERVED.format("to_b", "b", "m1"))),
    )  # fmt: skip
    assert deck.choices == (("for_object", "handle", "best"), ("for_text", "preset", "fast"))


def test_a_choice_selecting_nothing_is_left_out_and_a_disabled_override_keeps_the_default() -> None:
    deck = ALIASES + '[llm_choice_defaults]\nfor_text = "best"\n'
    overrides = '[llm_choice_overrides]\nfor_text = "disabled"\n'
    assert llm(view_of(compiled(deck))).choices == (("for_text", "handle", "best"),)
    build = compiled(deck, **{"deck/overrides.toml": overrides})
    assert llm(view_of(build)).choices == (("for_text", "handle", "best"),)


def test_frozen_turns_lists_into_tuples_and_mappings_into_sorted_flat_tuples() -> None:
    value = {"b": [1, {"d": None, "c": True}], "a": "x", "e": {}}
    assert frozen(value) == (..., "a", "x", "b", (1, (..., "c", True, "d", None)), "e", (...,))
    assert (frozen([]), frozen(("x", [2.5])), frozen(3)) == ((), ("x", (2.5,)), 3)


def test_literal_type_is_sorted_unique_and_never_when_empty() -> None:
    assert literal_type(["b", "a", "b"]) == 'Literal[\n    "a",\n    "b",\n]'
    assert literal_type(['say "hi"']) == 'Literal[\n    "say \\"hi\\"",\n]'
    assert literal_type([]) == "Never"


TAIL = 'profile: ProfileName | None = None, model_type: Literal["llm"] = "llm"'
NOTHING = 'profile: ProfileName | None = None, model_type: ModelTypeName = "llm"'


def test_resolve_is_overloaded_for_handles_and_preset_references() -> None:
    view = view_of(compiled(ALIASES + PRESETS))
    assert {f.name: (f.signatures, f.overloaded) for f in view.functions} == {
        "resolve": (
            ((f"handle: LLMHandle, {TAIL}", "HandleRecord"),
             (f"handle: LLMPresetRef, {TAIL}", "PresetRecord")),
            True,
        ),
        "candidates": (
            ((f"handle: LLMHandle, {TAIL}", "tuple[HandleRecord, ...]"),
             (f"handle: LLMPresetRef, {TAIL}", "tuple[PresetRecord, ...]")),
            True,
        ),
        "preset": (((f"name: LLMPresetName, {TAIL}", "PresetRecord"),), False),
        "choice": (((f"kind: LLMChoiceKind, {TAIL}", "HandleRecord | PresetRecord"),), False),
    }  # fmt: skip
    assert view.typing_imports == "Literal, TypeAlias, overload"
    assert llm(view).names.preset_ref == 'Literal[\n    "$fast",\n    "$slow",\n' + (
        '    "preset:fast",\n    "preset:slow",\n]'
    )


def test_a_deck_without_presets_or_choices_has_never_signatures_for_them() -> None:
    view = view_of(compiled())
    signatures = {f.name: f.signatures for f in view.functions}
    assert signatures["resolve"] == ((f"handle: LLMHandle, {TAIL}", "HandleRecord"),)
    assert signatures["preset"] == ((f"name: Never, {NOTHING}", "PresetRecord"),)
    # a choice that selects nothing is no choice: deck.choice("for_text") is a type error too
    assert signatures["choice"] == ((f"kind: Never, {NOTHING}", "HandleRecord | PresetRecord"),)
    assert not any(f.overloaded for f in view.functions)
    assert view.typing_imports == "Literal, Never, TypeAlias"


def test_other_model_types_are_typed_by_keyword_only() -> None:
    view = view_of(compiled(**{"backends/a.toml": '[m1]\n[m2]\n[pic]\nmodel_type = "img_gen"\n'}))
    assert [(d.model_type, d.module, d.symbol) for d in view.decks] == [
        (ModelType.LLM, "_deck_llm", "LLM"),
        (ModelType.IMG_GEN, "_deck_img_gen", "ImgGen"),
    ]
    (resolve,) = [f for f in view.functions if f.name == "resolve"]
    assert resolve.signatures[1] == (
        "handle: ImgGenHandle, profile: ProfileName | None = None, "
        '*, model_type: Literal["img_gen"]',
        "HandleRecord",
    )
    assert view.model_type_type == 'Literal[\n    "img_gen",\n    "llm",\n]'


ORIGIN = Origin(config_dir="my conf/inference", out_dir="out/pkg", package="pkg")
HEADER = (
    f"# Generated by deckc {__version__} from deck.lock.json (its sha256: LOCK_SHA256 in "
    "_runtime/_index.py).\n"
    "# DO NOT EDIT: edit the TOML sources in my conf/inference, then run:\n"
    "#   deckc compile --config-dir 'my conf/inference' --out out/pkg\n"
)


def rendered() -> tuple[Build, dict[str, str]]:
    build = compiled(ALIASES + PRESETS)
    return build, render(build.lock, build.files["deck.lock.json"], build.lock_sha256, ORIGIN)


def test_render_writes_the_data_modules_beside_the_copied_runtime() -> None:
    build, files = rendered()
    copied = {f"_runtime/{name}" for name in runtime_sources()}
    assert set(files) == copied | {
        "deck.lock.json",
        "__init__.py",
        "deck.py",
        "deck.pyi",
        "_runtime/_index.py",
        "_runtime/_backends.py",
        "_runtime/_deck_llm.py",
        "_runtime/_deck_llm_candidates.py",
        "_runtime/_handles_llm_0.py",
        "_runtime/_handles_llm_0_p0.py",
        "_runtime/_handles_llm_0_p1.py",
        "_runtime/_specs_0.py",
    }
    assert files["deck.lock.json"] == build.files["deck.lock.json"]
    assert set(build.files) == set(files) | {"deck.manifest.json"}  # the compile adds only that


def test_the_runtime_is_copied_unchanged_under_a_header() -> None:
    _, files = rendered()
    runtime = sorted((ROOT / "compiler" / "runtime").glob("*.py"))
    assert runtime_sources() == {p.name: p.read_text(encoding="utf-8") for p in runtime}
    for name, source in runtime_sources().items():
        header, body = files[f"_runtime/{name}"].split("# ruff: noqa: E501, RUF100\n", 1)
        assert body == source
        assert header == (
            f"# Copied by deckc {__version__} from its runtime (compiler/runtime/{name}), "
            "unchanged.\n" + HEADER.split("\n", 1)[1]
        )


def test_generated_modules_name_the_origin_and_only_the_index_holds_the_hash() -> None:
    build, files = rendered()
    copied = {f"_runtime/{name}" for name in runtime_sources()}
    generated = sorted(set(files) - copied - {"deck.lock.json"})
    assert len(generated) == 11  # index, deck, its candidates, backends, specs, handles + rows
    for path in generated:
        assert files[path].startswith(HEADER), path
    assert [p for p, text in files.items() if build.lock_sha256 in text] == ["_runtime/_index.py"]
    assert run(files["_runtime/_index.py"])["LOCK_SHA256"] == build.lock_sha256


def test_every_rendered_python_file_compiles() -> None:
    _, files = rendered()
    python = sorted(p for p in files if p.endswith((".py", ".pyi")))
    assert set(files) - set(python) == {"deck.lock.json"}
    for path in python:
        compile(files[path], path, "exec")


def test_the_package_name_appears_in_the_docstrings() -> None:
    _, files = rendered()
    assert "    from pkg import deck\n" in files["deck.py"]
    assert '"""The compiled inference deck: ``from pkg import deck``."""' in files["__init__.py"]
    assert "from generated import deck" not in files["deck.py"]
