"""Tests that pin down routing, pattern and resolution details that mutation testing found loose
(``make mutation``, fuzz/mutation.py): exact error texts of every reference check, the typed
resolution records, and the boundaries of each rule."""

from __future__ import annotations

from dataclasses import replace

import pytest

from compiler.errors import CompileFailed, Location
from compiler.model import (
    Alias,
    Deck,
    ModelType,
    Namespace,
    Resolution,
    Routing,
    RuleKind,
    SelectedChoice,
    Skipped,
)
from compiler.pipeline import analyse
from compiler.resolve import _Resolver, resolve
from tests.conftest import compile_texts, sources_from_texts
from tests.test_resolve import BACKENDS, MODELS, ROUTING, build, errors_of
from tests.test_routing import configure, route

# --- exact error texts of the reference checks ---------------------------------------------------


@pytest.mark.parametrize(
    ("deck", "expected"),
    [
        (
            '[llm_presets]\np = { llm_handle = "m1" }\n[aliases]\nx = "$p"\n',
            "deck/base_deck.toml:4:1: aliases.x: `$p` names a preset, but an alias must point at "
            "a model or alias\n  hint: point it at the preset's llm_handle instead",
        ),
        (
            '[aliases]\nbest = "m1"\nx = "@bets"\n',
            "deck/base_deck.toml:3:1: aliases.x: no alias named `bets`\n"
            "  hint: did you mean `best`?",
        ),
        (
            '[aliases]\nx = ["m1", "qqqqqq"]\n',
            "deck/base_deck.toml:2:1: aliases.x[1]: `qqqqqq` is not a declared model or alias "
            "(alias x -> qqqqqq)\n"
            "  hint: declare the model in a backends/<backend>.toml file, or the alias in "
            "[aliases]",
        ),
        (
            '[llm_presets]\ncheap = { llm_handle = "m1" }\n[llm_choice_defaults]\n'
            'for_text = "$cheep"\n',
            "deck/base_deck.toml:4:1: llm_choice_defaults.for_text: no preset named `cheep`\n"
            "  hint: did you mean `cheap`?",
        ),
        (
            '[llm_presets]\np1 = { llm_handle = "m1" }\n[llm_choice_defaults]\nfor_text = "p11"\n',
            "deck/base_deck.toml:4:1: llm_choice_defaults.for_text: `p11` is not a preset, alias "
            "or model\n  hint: did you mean `p1`?",
        ),
        (
            '[aliases]\nbest = "m1"\n[llm_choice_defaults]\nfor_object = "@bset"\n',
            "deck/base_deck.toml:4:1: llm_choice_defaults.for_object: no alias named `bset`\n"
            "  hint: did you mean `best`?",
        ),
        (  # "disabled" means "none" in the overrides only
            '[llm_choice_defaults]\nfor_text = "disabled"\n',
            "deck/base_deck.toml:2:1: llm_choice_defaults.for_text: `disabled` is not a preset, "
            "alias or model",
        ),
    ],
)
def test_reference_errors_exactly(deck: str, expected: str) -> None:
    assert errors_of(deck) == [expected]


def test_a_disabled_override_does_not_stop_checking_the_next_choice() -> None:
    assert errors_of("", '[llm_choice_overrides]\nfor_text = "disabled"\nfor_object = "nah"\n') == [
        "deck/overrides.toml:3:1: llm_choice_overrides.for_object: `nah` is not a preset, alias "
        "or model"
    ]


def test_alias_cycles_away_from_the_first_alias_are_found() -> None:
    assert errors_of('[aliases]\na = "b"\nb = "c"\nc = "b"\n') == [
        "deck/base_deck.toml:3:1: aliases.b: alias cycle: b -> c -> b\n"
        "  see also deck/base_deck.toml:4:1\n"
        "  hint: make one of these aliases point at a model"
    ]
    assert errors_of('[aliases]\na = "b"\nb = "m1"\nc = "d"\nd = "c"\n') == [
        "deck/base_deck.toml:4:1: aliases.c: alias cycle: c -> d -> c\n"
        "  see also deck/base_deck.toml:5:1\n"
        "  hint: make one of these aliases point at a model"
    ]


def test_preset_max_tokens_equal_to_the_model_limit_is_fine() -> None:
    preset = build('[llm_presets]\nfit = { llm_handle = "m1", max_tokens = 1000 }\n')
    assert preset.resolved.profiles["to_a"].presets["fit"].model == "m1"


# --- the typed resolution records ---------------------------------------------------------------


def test_resolution_records() -> None:
    result = build(
        '[aliases]\ntop = "mid"\nmid = "m1"\npick = ["m1", "@mid", "m3"]\n'
        '[llm_presets]\np = { llm_handle = "m2" }\nq = { llm_handle = "@top" }\n'
    ).resolved
    to_a, to_b = result.profiles["to_a"], result.profiles["to_b"]
    not_b = "route `*` of profile to_b sends it to backend b, which does not serve m1"
    assert to_a.aliases["top"] == Resolution("top", ("top", "mid", "m1"), "m1", "a")
    assert to_b.aliases["top"] == Resolution("top", ("top", "mid", "m1"), "m1", None, (), not_b)
    assert to_b.aliases["pick"] == Resolution(
        "pick",
        ("pick", "m3"),
        "m3",
        "b",
        (Skipped("m1", f"m1: {not_b}"), Skipped("@mid", f"mid -> m1: {not_b}")),
    )
    assert to_a.presets["p"] == Resolution("m2", ("m2",), "m2", "a")
    assert to_b.presets["q"] == Resolution("top", ("top", "mid", "m1"), "m1", None, (), not_b)


def test_what_the_resolver_records_for_references_that_are_reported_broken() -> None:
    files = {"backends.toml": BACKENDS, "routing_profiles.toml": ROUTING, **MODELS}
    files["deck/base_deck.toml"] = (
        '[aliases]\nx = "y"\ny = "x"\n'
        '[llm_presets]\np = { llm_handle = "@nope" }\nq = { llm_handle = "nothing" }\n'
    )
    resolved, problems = analyse(sources_from_texts(files))
    assert resolved is not None and len(problems) == 3
    presets = resolved.profiles["to_a"].presets
    assert presets["p"] == Resolution("nope", ("nope",), None, None, reason="unresolvable alias")
    assert presets["q"] == Resolution(
        "nothing", ("nothing",), None, None, reason="not a declared model or alias"
    )
    assert resolved.profiles["to_a"].aliases["x"] == Resolution(
        "x", ("x", "y", "x"), None, None, reason="unresolvable alias"
    )


def test_a_fresh_resolver_follows_a_chain_from_any_handle() -> None:
    deck = build('[aliases]\ntop = "mid"\nmid = "m1"\n').resolved.config.deck
    routing = {"m1": Routing("m1", "a", RuleKind.DEFAULT)}
    assert _Resolver(deck, routing).handle("top") == Resolution(
        "top", ("top", "mid", "m1"), "m1", "a"
    )


def test_an_alias_with_no_targets_resolves_to_nothing() -> None:
    config = build("").resolved.config
    empty = Alias("empty", (), True, Location("deck/base_deck.toml", 1, 1))
    deck = Deck({"empty": empty}, {}, {}, {})
    resolved, _ = resolve(replace(config, decks={ModelType.LLM: deck}))
    assert resolved.profiles["to_a"].aliases["empty"] == Resolution(
        "empty", ("empty",), None, None, (), "no entry of its fallback list is available ()"
    )


@pytest.mark.parametrize(
    ("base", "overrides", "expected"),
    [
        ("", None, SelectedChoice("for_text", None, None, None, Namespace.ANY, None)),
        (
            "",
            '[llm_choice_overrides]\nfor_text = "disabled"\n',
            SelectedChoice("for_text", None, "disabled", None, Namespace.ANY, None),
        ),
        (
            '[llm_presets]\np = { llm_handle = "m1" }\n[llm_choice_defaults]\nfor_text = "p"\n',
            '[llm_choice_overrides]\nfor_text = "disabled"\n',
            SelectedChoice("for_text", "p", "disabled", "p", Namespace.PRESET, "p"),
        ),
        (
            '[llm_presets]\np = { llm_handle = "m1" }\n',
            '[llm_choice_overrides]\nfor_text = "m2"\n',
            SelectedChoice("for_text", None, "m2", "m2", Namespace.ANY, "m2"),
        ),
    ],
)
def test_selected_choice_records(
    base: str, overrides: str | None, expected: SelectedChoice
) -> None:
    assert build(base, overrides).resolved.choices["for_text"] == expected


# --- routing -----------------------------------------------------------------------------------


def test_exact_route_errors_exactly() -> None:
    files = configure(
        'default = "a"\n[profiles.p.optional_routes]\n"m" = "b"\n"ghost" = "a"\n',
        {"a": ["m"], "b": ["x"], "c": ["m"]},
    )
    with pytest.raises(CompileFailed) as info:
        compile_texts(files)
    assert [str(e) for e in info.value.errors] == [
        "routing_profiles.toml:5:1: profiles.p.optional_routes.m: exact route sends m to backend "
        "b, which does not serve it (served by: a, c)\n"
        "  hint: route it to a or c, or add a table for m to backends/b.toml",
        "routing_profiles.toml:6:1: profiles.p.optional_routes.ghost: exact route sends ghost to "
        "backend a, which does not serve it\n"
        "  hint: declare the model, or add a table for ghost to backends/a.toml",
    ]


def test_a_shadowed_exact_route_is_not_checked() -> None:
    routing = route(
        '[profiles.p.routes]\n"m" = "a"\n[profiles.p.optional_routes]\n"m" = "b"\n',
        {"a": ["m"], "b": ["x"]},
    )
    assert routing["m"].backend == "a"


def test_routing_records_when_nothing_serves() -> None:
    routing = route('fallback_order = ["b", "a"]\n', {"a": ["x"], "b": ["y"], "c": ["z"]}, ("c",))
    assert routing["x"] == Routing("x", "a", RuleKind.SEARCH)
    assert routing["z"] == Routing(
        "z",
        None,
        None,
        reason="backend b, first in fallback_order of profile p, does not serve z, nor does any "
        "other enabled backend",
    )
    nowhere = route('description = "none"\n', {"a": ["m"]})
    assert nowhere["m"] == Routing(
        "m",
        None,
        None,
        reason="profile p has no route for m and no enabled default or fallback_order backend",
    )
