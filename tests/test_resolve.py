"""Resolution of handles, presets and choices (SPEC §3), and the errors it reports."""

from __future__ import annotations

import pytest

from compiler.core.errors import CompileFailed, Severity
from compiler.core.ir import Deck, ModelKey, ModelType
from compiler.pipeline import Build
from compiler.semantics.decisions import ChoiceTarget, DeckResolution, Resolved
from tests.conftest import compile_texts

BACKENDS = "[a]\n[b]\n"
ROUTING = (
    'active = "to_a"\n'
    '[profiles.to_a]\ndefault = "a"\n[profiles.to_a.routes]\n"*" = "a"\n'
    '[profiles.to_b]\ndefault = "b"\n[profiles.to_b.routes]\n"*" = "b"\n'
)
MODELS = {
    "backends/a.toml": (
        "[m1]\nmax_tokens = 1000\n[m2]\nvalued_constraints = { fixed_temperature = 1 }\n"
    ),
    "backends/b.toml": "[m2]\n[m3]\n",
}


def build(base: str, overrides: str | None = None) -> Build:
    files = {"backends.toml": BACKENDS, "routing_profiles.toml": ROUTING, **MODELS}
    files["deck/base_deck.toml"] = base
    if overrides is not None:
        files["deck/overrides.toml"] = overrides
    return compile_texts(files)


def answers(result: Resolved, profile: str) -> DeckResolution:
    return result.profiles[profile].decks[ModelType.LLM]


def llm_deck(b: Build) -> Deck:
    return b.resolved.config.decks[ModelType.LLM]


def errors_of(base: str, overrides: str | None = None) -> list[str]:
    with pytest.raises(CompileFailed) as info:
        build(base, overrides)
    return [str(e) for e in info.value.errors]


def test_alias_chain_follows_to_the_model() -> None:
    result = build('[aliases]\ntop = "mid"\nmid = "m1"\n').resolved
    top = answers(result, "to_a").aliases["top"]
    assert top.model is not None
    assert (top.path, top.model.name, top.backend) == (("top", "mid", "m1"), "m1", "a")
    assert [(h.name, h.chosen) for h in top.hops] == [("top", 0), ("mid", 0)]
    assert answers(result, "to_b").aliases["top"].backend is None


def test_fallback_list_picks_first_routable_entry_per_profile() -> None:
    result = build('[aliases]\npick = ["m1", "m3", "m2"]\n').resolved
    under_a = answers(result, "to_a").aliases["pick"]
    under_b = answers(result, "to_b").aliases["pick"]
    assert under_a.model is not None and under_b.model is not None
    assert under_a.model.name == "m1" and not under_a.skipped
    assert under_b.model.name == "m3"
    assert [(s.index, s.ref) for s in under_b.skipped] == [(0, "m1")]
    assert under_b.hops[0].chosen == 1
    assert under_b.skipped[0].reason == (
        "m1: route `*` of profile to_b sends it to backend b, which does not serve m1"
    )


def test_unavailable_handle_is_recorded_not_fatal() -> None:
    alias = answers(build('[aliases]\nonly_a = "m1"\n').resolved, "to_b").aliases["only_a"]
    assert alias.backend is None
    assert alias.path == ("only_a", "m1")


def test_alias_cycle_names_the_whole_path() -> None:
    assert errors_of('[aliases]\nx = "y"\ny = "z"\nz = "x"\n') == [
        "deck/base_deck.toml:2:1: aliases.x: error: alias cycle: x -> y -> z -> x\n"
        "  see also deck/base_deck.toml:3:1\n"
        "  see also deck/base_deck.toml:4:1\n"
        "  hint: make one of these aliases point at a model"
    ]


def test_dangling_reference_suggests_close_names() -> None:
    assert errors_of('[aliases]\nbest = "m11"\n') == [
        "deck/base_deck.toml:2:1: aliases.best: error: `m11` is not a declared model or alias "
        "(alias best -> m11)\n"
        "  hint: did you mean `m1`?"
    ]


def test_a_dangling_model_name_is_offered_no_model_of_another_family() -> None:
    """`o4-mini` looks like `gpt-4o-mini` to difflib, but is another family's model."""
    files = {
        "backends.toml": BACKENDS,
        "routing_profiles.toml": ROUTING,
        "backends/a.toml": "[gpt-4o-mini]\n[gpt-5]\n",
        "backends/b.toml": "[m3]\n",
        "deck/base_deck.toml": '[aliases]\nsmall = "o4-mini"\nnext = "gpt-6"\n',
    }
    with pytest.raises(CompileFailed) as info:
        compile_texts(files)
    assert [str(e) for e in info.value.errors] == [
        "deck/base_deck.toml:2:1: aliases.small: error: `o4-mini` is not a declared model or "
        "alias (alias small -> o4-mini)\n"
        "  hint: declare the model in a backends/<backend>.toml file, or the alias in [aliases]",
        "deck/base_deck.toml:3:1: aliases.next: error: `gpt-6` is not a declared model or alias "
        "(alias next -> gpt-6)\n"
        "  hint: did you mean `gpt-5`?",
    ]


def test_preset_override_merges_field_by_field() -> None:
    deck = llm_deck(
        build(
            '[llm_presets]\nfast = { llm_handle = "m1", temperature = 0.2, max_tokens = 500 }\n',
            "[llm_presets.fast]\ntemperature = 0.7\n",
        )
    )
    fast = deck.presets["fast"]
    assert dict(fast.values) == {"llm_handle": "m1", "temperature": 0.7, "max_tokens": 500}
    assert str(fast.field_spans["temperature"]) == "deck/overrides.toml:2:1"
    assert str(fast.field_spans["llm_handle"]) == "deck/base_deck.toml:2:10"
    assert fast.field_spans["temperature"].key_path == ("llm_presets", "fast", "temperature")


def test_alias_override_replaces_a_single_target_whole() -> None:
    deck = llm_deck(build('[aliases]\nx = ["m1", "m2"]\n', '[aliases]\nx = "m3"\n'))
    assert [t.text for t in deck.aliases["x"].targets] == ["m3"]
    assert [str(s) for s in deck.aliases["x"].replaced] == ["deck/base_deck.toml:2:1"]


def test_a_list_alias_set_again_as_a_list_is_refused() -> None:
    """Pipelex 0.10.2 appends the lists (``deep_update``): deckc refuses to answer otherwise."""
    assert errors_of('[aliases]\nx = ["m1", "m2"]\n', '[aliases]\nx = ["m3"]\n') == [
        "deck/overrides.toml:2:1: aliases.x: error: alias `x` is a fallback list in "
        "deck/base_deck.toml "
        "and again here: Pipelex 0.10 appends the two lists ([m1, m2, m3]), it does not replace "
        "the first\n"
        "  see also deck/base_deck.toml:2:1\n"
        "  hint: write the whole list in one deck file (or give the later alias another name)"
    ]


def test_preset_max_tokens_above_model_limit_is_an_error() -> None:
    assert errors_of('[llm_presets]\nbig = { llm_handle = "m1", max_tokens = 2000 }\n') == [
        "deck/base_deck.toml:2:28: llm_presets.big.max_tokens: error: preset `big` asks max_tokens "
        "= "
        "2000, but model m1 (backend a) allows at most 1000\n"
        "  see also backends/a.toml:1:1\n"
        '  hint: lower it to 1000 or less, or use "auto"'
    ]


def test_preset_against_fixed_temperature_is_a_warning() -> None:
    warnings = build('[llm_presets]\nr = { llm_handle = "m2", temperature = 0.3 }\n').warnings
    (warning,) = [w for w in warnings if "fixed temperature" in w.message]
    assert warning.severity is Severity.WARNING
    assert "has a fixed temperature of 1" in str(warning)


def test_choices_override_and_disabled() -> None:
    result = build(
        '[llm_presets]\np1 = { llm_handle = "m1" }\np2 = { llm_handle = "m2" }\n'
        '[llm_choice_defaults]\nfor_text = "p1"\nfor_object = "p1"\n',
        '[llm_choice_overrides]\nfor_text = "p2"\nfor_object = "disabled"\n',
    ).resolved
    choices = result.choices[ModelType.LLM]
    assert choices["for_text"].target == "p2"
    assert choices["for_object"].target == "p1"
    assert choices["for_object"].override == "disabled"


def test_choice_naming_a_handle_when_no_preset_has_that_name() -> None:
    result = build('[llm_choice_defaults]\nfor_text = "m1"\n').resolved
    choice = result.choices[ModelType.LLM]["for_text"]
    assert (choice.target_kind, choice.target) == (ChoiceTarget.HANDLE, "m1")


def test_alias_and_preset_may_share_a_name_and_explicit_forms_select() -> None:
    result = build(
        '[aliases]\nboth = "m1"\n[llm_presets]\nboth = { llm_handle = "@both" }\n'
        'other = { llm_handle = "alias:both" }\n'
        '[llm_choice_defaults]\nfor_text = "$both"\nfor_object = "@both"\n'
    ).resolved
    both = answers(result, "to_a").presets["both"]
    assert both.model is not None and both.model.name == "m1"
    assert result.choices[ModelType.LLM]["for_text"].target_kind is ChoiceTarget.PRESET
    assert result.choices[ModelType.LLM]["for_object"].target_kind is ChoiceTarget.HANDLE


def test_preset_pointing_at_a_preset_is_an_error() -> None:
    (error,) = errors_of('[llm_presets]\np = { llm_handle = "m1" }\nq = { llm_handle = "$p" }\n')
    assert "`$p` names a preset, but a preset must point at a model or alias" in error


def test_an_alias_named_as_a_model_warns() -> None:
    warnings = build('[aliases]\nm1 = "m2"\n').warnings
    assert any(
        "alias `m1` has the name of a model: a bare `m1` names the model wherever it is served"
        in str(w)
        for w in warnings
    )


def test_unknown_choice_target() -> None:
    (error,) = errors_of('[llm_choice_defaults]\nfor_text = "nothing"\n')
    assert "`nothing` is not a preset, alias or model" in error


def test_a_loop_through_a_model_name_is_no_cycle_where_the_model_is_served() -> None:
    """As Pipelex looks a bare name up (the served model first), `x -> m1` ends at the model m1
    under to_a; under to_b, which does not serve m1, the alias m1 leads back to itself."""
    result = build('[aliases]\nm1 = "x"\nx = "m1"\n').resolved
    on_a, on_b = answers(result, "to_a").aliases, answers(result, "to_b").aliases
    assert on_a["x"].model == ModelKey(ModelType.LLM, "m1")
    assert (on_b["x"].model, on_b["x"].why) == (
        None,
        "the alias `m1` leads back to itself",
    )
