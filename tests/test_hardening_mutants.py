"""Tests that pin down routing, pattern and resolution details that mutation testing found loose
(``make mutation``, fuzz/mutation.py): exact error texts of every reference check, the typed
resolution records, and the boundaries of each rule."""

from __future__ import annotations

from dataclasses import replace

import pytest

from compiler.core.errors import CompileFailed, Location, Span
from compiler.core.ir import Alias, Deck, Dialect, ModelKey, ModelType, Ref, RefKind
from compiler.pipeline import analyse
from compiler.semantics.decisions import (
    ChoiceTarget,
    Hop,
    Placement,
    Resolution,
    RuleKind,
    SearchEnd,
    SelectedChoice,
)
from compiler.semantics.resolve import _Resolver, resolve
from tests.conftest import compile_texts, sources_from_texts
from tests.test_resolve import BACKENDS, MODELS, ROUTING, answers, build, errors_of, llm_deck
from tests.test_routing import configure, route


def m(name: str) -> ModelKey:
    return ModelKey(ModelType.LLM, name)


def summary(r: Resolution) -> tuple[object, ...]:
    """What a resolution decided, without the placement records it points at."""
    hops = tuple(
        (h.name, h.chosen, tuple((s.index, s.ref, s.reason) for s in h.skipped)) for h in r.hops
    )
    return (r.ref, hops, r.model.name if r.model else None, r.backend, r.reason)


# --- exact error texts of the reference checks ---------------------------------------------------


@pytest.mark.parametrize(
    ("deck", "expected"),
    [
        (
            '[llm_presets]\np = { llm_handle = "m1" }\n[aliases]\nx = "$p"\n',
            "deck/base_deck.toml:4:1: aliases.x: error: `$p` names a preset, but an alias must "
            "point at "
            "a model or alias\n  hint: point it at the preset's llm_handle instead",
        ),
        (
            '[aliases]\nbest = "m1"\nx = "@bets"\n',
            "deck/base_deck.toml:3:1: aliases.x: error: no alias named `bets`\n"
            "  hint: did you mean `best`?",
        ),
        (
            '[aliases]\nx = ["m1", "qqqqqq"]\n',
            "deck/base_deck.toml:2:1: aliases.x[1]: error: `qqqqqq` is not a declared model or "
            "alias "
            "(alias x -> qqqqqq)\n"
            "  hint: declare the model in a backends/<backend>.toml file, or the alias in "
            "[aliases]",
        ),
        (
            '[llm_presets]\ncheap = { llm_handle = "m1" }\n[llm_choice_defaults]\n'
            'for_text = "$cheep"\n',
            "deck/base_deck.toml:4:1: llm_choice_defaults.for_text: error: no preset named "
            "`cheep`\n"
            "  hint: did you mean `cheap`?",
        ),
        (
            '[llm_presets]\np1 = { llm_handle = "m1" }\n[llm_choice_defaults]\nfor_text = "p11"\n',
            "deck/base_deck.toml:4:1: llm_choice_defaults.for_text: error: `p11` is not a preset, "
            "alias "
            "or model\n  hint: did you mean `p1`?",
        ),
        (
            '[aliases]\nbest = "m1"\n[llm_choice_defaults]\nfor_object = "@bset"\n',
            "deck/base_deck.toml:4:1: llm_choice_defaults.for_object: error: no alias named "
            "`bset`\n"
            "  hint: did you mean `best`?",
        ),
        (  # "disabled" means "none" in the overrides only
            '[llm_choice_defaults]\nfor_text = "disabled"\n',
            "deck/base_deck.toml:2:1: llm_choice_defaults.for_text: error: `disabled` is not a "
            "preset, "
            "alias or model",
        ),
        (  # the seed's layout has no waterfalls: its fallback chains are list aliases
            '[aliases]\nx = "~m1"\n',
            "deck/base_deck.toml:2:1: aliases.x: error: no waterfall named `m1`\n"
            "  hint: in this layout a fallback chain is an alias whose value is a list",
        ),
        (  # handle: reads as a bare name, and names its owner when nothing has that name
            '[llm_choice_defaults]\nfor_object = "handle:m11"\n',
            "deck/base_deck.toml:2:1: llm_choice_defaults.for_object: error: `handle:m11` is not a "
            "declared model or alias (choice for_object -> handle:m11)\n"
            "  hint: did you mean `m1`?",
        ),
    ],
)
def test_reference_errors_exactly(deck: str, expected: str) -> None:
    assert errors_of(deck) == [expected]


def test_a_disabled_override_does_not_stop_checking_the_next_choice() -> None:
    assert errors_of("", '[llm_choice_overrides]\nfor_text = "disabled"\nfor_object = "nah"\n') == [
        "deck/overrides.toml:3:1: llm_choice_overrides.for_object: error: `nah` is not a preset, "
        "alias "
        "or model"
    ]


def test_alias_cycles_away_from_the_first_alias_are_found() -> None:
    assert errors_of('[aliases]\na = "b"\nb = "c"\nc = "b"\n') == [
        "deck/base_deck.toml:3:1: aliases.b: error: alias cycle: b -> c -> b\n"
        "  see also deck/base_deck.toml:4:1\n"
        "  hint: make one of these aliases point at a model"
    ]
    assert errors_of('[aliases]\na = "b"\nb = "m1"\nc = "d"\nd = "c"\n') == [
        "deck/base_deck.toml:4:1: aliases.c: error: alias cycle: c -> d -> c\n"
        "  see also deck/base_deck.toml:5:1\n"
        "  hint: make one of these aliases point at a model"
    ]


def test_preset_max_tokens_equal_to_the_model_limit_is_fine() -> None:
    preset = build('[llm_presets]\nfit = { llm_handle = "m1", max_tokens = 1000 }\n')
    assert answers(preset.resolved, "to_a").presets["fit"].model == m("m1")


# --- the typed resolution records ---------------------------------------------------------------


def test_resolution_records() -> None:
    result = build(
        '[aliases]\ntop = "mid"\nmid = "m1"\npick = ["m1", "@mid", "m3"]\n'
        '[llm_presets]\np = { llm_handle = "m2" }\nq = { llm_handle = "@top" }\n'
    ).resolved
    to_a, to_b = answers(result, "to_a"), answers(result, "to_b")
    not_b = "route `*` of profile to_b sends it to backend b, which does not serve m1"
    chain = (("top", 0, ()), ("mid", 0, ()))
    assert summary(to_a.aliases["top"]) == ("top", chain, "m1", "a", None)
    assert summary(to_b.aliases["top"]) == ("top", chain, "m1", None, f"top -> mid -> m1: {not_b}")
    skipped = ((0, "m1", f"m1: {not_b}"), (1, "@mid", f"mid -> m1: {not_b}"))
    assert summary(to_b.aliases["pick"]) == ("pick", (("pick", 2, skipped),), "m3", "b", None)
    assert summary(to_a.presets["p"]) == ("m2", (), "m2", "a", None)
    assert summary(to_b.presets["q"]) == ("top", chain, "m1", None, f"top -> mid -> m1: {not_b}")
    placement = to_b.presets["q"].placement
    assert placement is not None and placement.route is not None
    assert placement.route.pattern.text == "*"


def test_what_the_resolver_records_for_references_that_are_reported_broken() -> None:
    files = {"backends.toml": BACKENDS, "routing_profiles.toml": ROUTING, **MODELS}
    files["deck/base_deck.toml"] = (
        '[aliases]\nx = "y"\ny = "x"\n'
        '[llm_presets]\np = { llm_handle = "@nope" }\nq = { llm_handle = "nothing" }\n'
        'r = { llm_handle = "$m1" }\nw = { llm_handle = "~m1" }\n'
    )
    resolved, problems = analyse(sources_from_texts(files))
    assert resolved is not None and len(problems) == 5
    presets = answers(resolved, "to_a").presets
    # a preset is never a model, and a waterfall reference never names a model
    assert summary(presets["r"]) == ("$m1", (), None, None, "$m1: not a declared model or alias")
    assert summary(presets["w"]) == ("~m1", (), None, None, "~m1: not a declared waterfall")
    assert summary(presets["p"]) == ("nope", (), None, None, "nope: unresolvable alias")
    assert summary(presets["q"]) == (
        "nothing",
        (),
        None,
        None,
        "nothing: not a declared model or alias",
    )
    hops = (("x", 0, ()), ("y", 0, ()))
    assert summary(answers(resolved, "to_a").aliases["x"]) == (
        "x",
        hops,
        None,
        None,
        "x -> y: the alias `x` leads back to itself",
    )


def test_an_exhausted_fallback_list_records_its_alias_and_every_entry() -> None:
    dead = answers(build('[aliases]\ndead = ["m1", "m1"]\n').resolved, "to_b").aliases["dead"]
    assert (dead.ref, dead.model, dead.placement) == ("dead", None, None)
    (hop,) = dead.hops
    assert (hop.name, hop.kind, hop.chosen, [s.index for s in hop.skipped]) == (
        "dead",
        RefKind.ALIAS,
        None,
        [0, 1],
    )


def test_a_fresh_resolver_follows_a_chain_from_any_handle() -> None:
    deck = llm_deck(build('[aliases]\ntop = "mid"\nmid = "m1"\n'))
    placement = Placement(m("m1"), "a", RuleKind.DEFAULT)
    found = _Resolver(deck, {m("m1"): placement}, Dialect.PIPELEX_0_10).ref(
        Ref.parse("top", Span(Location("x")))
    )
    assert found == Resolution(
        "top",
        (Hop("top", RefKind.ALIAS, 0), Hop("mid", RefKind.ALIAS, 0)),
        m("m1"),
        placement,
    )


def test_an_alias_with_no_targets_resolves_to_nothing() -> None:
    config = build("").resolved.config
    empty = Alias("empty", (), True, Span(Location("deck/base_deck.toml", 1, 1)))
    deck = Deck(ModelType.LLM, aliases={"empty": empty})
    resolved, _ = resolve(replace(config, decks={ModelType.LLM: deck}))
    assert summary(answers(resolved, "to_a").aliases["empty"]) == (
        "empty",
        (),
        None,
        None,
        "empty: an empty fallback list",
    )


@pytest.mark.parametrize(
    ("base", "overrides", "expected"),
    [
        ("", None, SelectedChoice("for_text", None, None, None, ChoiceTarget.HANDLE, None)),
        (
            "",
            '[llm_choice_overrides]\nfor_text = "disabled"\n',
            SelectedChoice("for_text", None, "disabled", None, ChoiceTarget.HANDLE, None),
        ),
        (
            '[llm_presets]\np = { llm_handle = "m1" }\n[llm_choice_defaults]\nfor_text = "p"\n',
            '[llm_choice_overrides]\nfor_text = "disabled"\n',
            SelectedChoice("for_text", "p", "disabled", "p", ChoiceTarget.PRESET, "p"),
        ),
        (
            '[llm_presets]\np = { llm_handle = "m1" }\n',
            '[llm_choice_overrides]\nfor_text = "m2"\n',
            SelectedChoice("for_text", None, "m2", "m2", ChoiceTarget.HANDLE, "m2"),
        ),
    ],
)
def test_selected_choice_records(
    base: str, overrides: str | None, expected: SelectedChoice
) -> None:
    assert build(base, overrides).resolved.choices[ModelType.LLM]["for_text"] == expected


# --- routing -----------------------------------------------------------------------------------


def test_exact_route_errors_exactly() -> None:
    files = configure(
        'default = "a"\n[profiles.p.optional_routes]\n"m" = "b"\n"ghost" = "a"\n',
        {"a": ["m"], "b": ["x"], "c": ["m"]},
    )
    with pytest.raises(CompileFailed) as info:
        compile_texts(files)
    assert [str(e) for e in info.value.errors] == [
        "routing_profiles.toml:5:1: profiles.p.optional_routes.m: error: exact route sends m to "
        "backend "
        "b, which does not serve it (served by: a, c)\n"
        "  hint: route it to a or c, or add a table for m to backends/b.toml",
        "routing_profiles.toml:6:1: profiles.p.optional_routes.ghost: error: exact route sends "
        "ghost to "
        "backend a, which does not serve it\n"
        "  hint: declare the model, or add a table for ghost to backends/a.toml",
    ]


def test_a_shadowed_exact_route_is_not_checked() -> None:
    routing = route(
        '[profiles.p.routes]\n"m" = "a"\n[profiles.p.optional_routes]\n"m" = "b"\n',
        {"a": ["m"], "b": ["x"]},
    )
    assert routing["m"].backend == "a"


def test_every_placement_records_how_it_was_decided() -> None:
    """The records explain presents, field by field, for each way a model can be placed."""
    serves = {"a": ["x", "gx"], "b": ["y", "z", "gy"], "c": ["y"], "off": ["x", "gx"]}
    files = configure(
        'fallback_order = ["off", "c", "a"]\n[profiles.p.routes]\n"g*" = "a"\n"gy" = "b"\n'
        '[profiles.p.optional_routes]\n"*x" = "off"\n"x" = "off"\n',
        serves,
        disabled=("off",),
    )
    resolution = compile_texts(files).resolved.profiles["p"]
    plan, placed = resolution.plan, resolution.placements
    assert plan.start is not None  # off (disabled) is passed over: c is the first enabled
    assert (plan.start.backend, plan.start.rule, str(plan.start.span)) == (
        "c",
        RuleKind.FALLBACK,
        "routing_profiles.toml:3:26",
    )
    assert plan.search_order == ("c", "a", "b")
    routes = {r.pattern.text: r for r in plan.profile.routes}
    # the exact and the wildcard optional routes to the disabled backend are both passed over
    assert placed[m("x")] == Placement(
        m("x"), "a", RuleKind.SEARCH, None, (routes["*x"], routes["x"]), plan.start,
        SearchEnd("a", True, plan.profile.fallback_order[2].span),
    )  # fmt: skip
    assert placed[m("gx")] == Placement(
        m("gx"), "a", RuleKind.WILDCARD, routes["g*"], (routes["*x"],)
    )
    assert placed[m("gy")] == Placement(m("gy"), "b", RuleKind.EXACT, routes["gy"])
    assert placed[m("y")] == Placement(m("y"), "c", RuleKind.FALLBACK, start=plan.start)
    config = compile_texts(files).resolved.config
    assert placed[m("z")] == Placement(
        m("z"), "b", RuleKind.SEARCH, start=plan.start,
        found=SearchEnd("b", False, config.backends["b"].span),
    )  # fmt: skip
    unserved = configure(
        'default = "a"\n[profiles.p.routes]\n"*z" = "a"\n', {"a": ["x"], "b": ["z", "w"]}
    )
    placed = compile_texts(unserved).resolved.profiles["p"].placements
    assert placed[m("z")].key == m("z") and placed[m("z")].route is not None
    assert placed[m("w")] == Placement(m("w"), "b", RuleKind.SEARCH, start=placed[m("w")].start,
                                       found=placed[m("w")].found)  # fmt: skip
    lonely = configure('default = "a"\n', {"a": ["x"], "off": ["q"]}, disabled=("off",))
    q = compile_texts(lonely).resolved.profiles["p"].placements[m("q")]
    assert (q.key, q.backend, q.start is not None, q.passed) == (m("q"), None, True, ())


def test_routes_to_a_disabled_backend_are_recorded_whatever_decides() -> None:
    """`passed` holds the optional routes matching a model that were passed over (backend
    disabled), on
    every path: served by the start backend, unroutable by a route, with no start backend, or
    when the search finds nothing; an exact route alone counts too."""
    serves = {"a": ["u", "x"], "b": ["y"], "off": ["u", "nv", "kv", "sv"]}
    routes = (
        '[profiles.p.routes]\n"n*" = "b"\n[profiles.p.optional_routes]\n"u" = "off"\n"*v" = "off"\n'
    )
    files = configure('default = "a"\n' + routes, serves, disabled=("off",))
    files["routing_profiles.toml"] += '[profiles.q]\n[profiles.q.optional_routes]\n"*v" = "off"\n'
    resolved = compile_texts(files).resolved
    placed = resolved.profiles["p"].placements
    patterns = {
        name: [r.pattern.text for r in placed[m(name)].passed] for name in ("u", "nv", "sv")
    }
    assert patterns == {"u": ["u"], "nv": ["*v"], "sv": ["*v"]}
    assert (placed[m("u")].backend, placed[m("u")].rule) == ("a", RuleKind.DEFAULT)
    assert placed[m("nv")].backend is None and placed[m("nv")].route is not None
    assert placed[m("sv")].backend is None and placed[m("sv")].start is not None
    nowhere = resolved.profiles["q"].placements[m("kv")]
    assert (nowhere.backend, nowhere.start, [r.pattern.text for r in nowhere.passed]) == (
        None,
        None,
        ["*v"],
    )
    assert resolved.profiles["p"].placements[m("x")].passed == ()


def test_routing_records_when_nothing_serves() -> None:
    routing = route('fallback_order = ["b", "a"]\n', {"a": ["x"], "b": ["y"], "c": ["z"]}, ("c",))
    x = routing["x"]
    assert (x.backend, x.rule, x.reason) == ("a", RuleKind.SEARCH, None)
    assert x.start is not None and (x.start.backend, x.start.rule) == ("b", RuleKind.FALLBACK)
    assert x.found is not None and (x.found.backend, x.found.in_fallback_order) == ("a", True)
    z = routing["z"]
    assert (z.backend, z.rule, z.found) == (None, None, None)
    assert z.reason == (
        "backend b, first in fallback_order of profile p, does not serve z, nor does any "
        "other enabled backend"
    )
    nowhere = route('description = "none"\n', {"a": ["m"]})
    assert nowhere["m"] == Placement(
        m("m"),
        None,
        None,
        reason="profile p has no route for m and no enabled default or fallback_order backend",
    )
