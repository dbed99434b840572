"""``deckc explain``: the resolution chain of a handle, step by step, with source locations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.core.errors import Location
from compiler.pipeline import Build
from compiler.review.explain import (
    AliasStep,
    BackendStep,
    Explanation,
    FallbackStep,
    HandleKind,
    ModelStep,
    PresetStep,
    RouteStep,
    SkippedEntry,
    SkippedRoute,
    SpecStep,
    UnknownName,
    explain,
)
from compiler.review.explain_render import as_json, render_text
from compiler.semantics.decisions import Resolved, RuleKind
from tests.conftest import compile_texts, run

BACKENDS = "[a]\n[b]\n[c]\n[off]\nenabled = false\n"
MODELS = {
    "backends/a.toml": '["x"]\n["gpt-4o"]\nmodel_id = "gpt-4o-2024"\nsdk = "openai"\n'
    "costs = { input = 2.5, output = 10.0 }\nmax_tokens = 16384\n",
    "backends/b.toml": '["gpt-4o"]\n["gpt-5"]\n["y"]\n',
    "backends/c.toml": '["z"]\n',
    "backends/off.toml": '["gpt-4o"]\n["gpt-5"]\n',
}
ROUTING = """active = "p"

[profiles.p]
default = "a"
fallback_order = ["b", "c"]

[profiles.p.routes]
"gpt-4o" = "a"
"gpt-*" = "b"
"y*" = "a"

[profiles.p.optional_routes]
"gpt-5" = "off"

[profiles.q]
fallback_order = ["off", "b"]

[profiles.r]
description = "routes nothing"
"""
DECK = """[aliases]
best = "top"
top = "gpt-5"
chain = ["y", "@top"]
dead = ["y"]

[llm_presets]
writer = { llm_handle = "chain", temperature = 0.5 }
"""
OVERRIDES = """[llm_presets.writer]
temperature = 0.7
"""


@pytest.fixture(scope="module")
def resolved() -> Resolved:
    build: Build = compile_texts(
        {
            "backends.toml": BACKENDS,
            "routing_profiles.toml": ROUTING,
            **MODELS,
            "deck/base_deck.toml": DECK,
            "deck/overrides.toml": OVERRIDES,
        }
    )
    return build.resolved


def route_step(resolved: Resolved, handle: str, profile: str | None = None) -> RouteStep:
    (step,) = [s for s in explain(resolved, handle, profile).steps if isinstance(s, RouteStep)]
    return step


# --- every routing step ---------------------------------------------------------------------


def test_exact_route(resolved: Resolved) -> None:
    step = route_step(resolved, "gpt-4o")
    assert (step.rule, step.backend, step.pattern, step.wildcard) == (
        RuleKind.EXACT,
        "a",
        "gpt-4o",
        False,
    )
    assert step.location == Location("routing_profiles.toml", 8, 1)


def test_wildcard_route_and_the_disabled_route_it_skipped(resolved: Resolved) -> None:
    step = route_step(resolved, "gpt-5")
    assert (step.rule, step.backend, step.pattern, step.wildcard) == (
        RuleKind.WILDCARD,
        "b",
        "gpt-*",
        True,
    )
    assert step.location == Location("routing_profiles.toml", 9, 1)
    assert step.disabled_routes == (
        SkippedRoute("gpt-5", "off", Location("routing_profiles.toml", 13, 1)),
    )


def test_wildcard_route_to_a_backend_lacking_the_model(resolved: Resolved) -> None:
    explanation = explain(resolved, "y")
    step = route_step(resolved, "y")
    assert (step.rule, step.backend, step.route_backend, step.pattern) == (None, None, "a", "y*")
    assert step.location == Location("routing_profiles.toml", 10, 1)
    assert explanation.unavailable == (
        "y: route `y*` of profile p sends it to backend a, which does not serve y"
    )
    assert not [s for s in explanation.steps if isinstance(s, BackendStep | SpecStep)]


def test_default(resolved: Resolved) -> None:
    step = route_step(resolved, "x")
    assert (step.rule, step.backend, step.start) == (RuleKind.DEFAULT, "a", "a")
    assert step.location == Location("routing_profiles.toml", 4, 1)


def test_search_found_along_fallback_order(resolved: Resolved) -> None:
    step = route_step(resolved, "z")
    assert (step.rule, step.backend, step.start) == (RuleKind.SEARCH, "c", "a")
    assert step.location == Location("routing_profiles.toml", 5, 24)  # "c" in fallback_order


def test_fallback_order_when_no_default_is_enabled(resolved: Resolved) -> None:
    step = route_step(resolved, "gpt-5", "q")
    assert (step.rule, step.backend, step.start) == (RuleKind.FALLBACK, "b", "b")
    assert step.location == Location("routing_profiles.toml", 16, 26)  # "b", the first enabled


def test_search_found_among_the_other_backends(resolved: Resolved) -> None:
    step = route_step(resolved, "x", "q")
    assert (step.rule, step.backend, step.start) == (RuleKind.SEARCH, "a", "b")
    assert step.location == Location("backends.toml", 1, 1)  # where backends.toml declares a


def test_no_rule_at_all(resolved: Resolved) -> None:
    step = route_step(resolved, "x", "r")
    assert (step.rule, step.backend, step.start) == (None, None, None)
    assert step.location == Location("routing_profiles.toml", 18, 1)  # the profile
    assert step.reason == (
        "profile r has no route for x and no enabled default or fallback_order backend"
    )


def test_route_texts(resolved: Resolved) -> None:
    def line(handle: str, profile: str | None = None) -> str:
        text = render_text(explain(resolved, handle, profile))
        return next(t for t in text.splitlines() if t.startswith("  route"))

    assert line("gpt-4o") == "  route    exact route `gpt-4o` -> a"
    assert line("gpt-5") == (
        "  route    wildcard route `gpt-*` -> b: the first wildcard matching gpt-5, no exact "
        "route for it"
    )
    assert line("y") == "  route    wildcard route `y*` -> a, which does not serve y: unavailable"
    assert line("x") == "  route    no route matches x: the default of profile p, a"
    assert line("z") == (
        "  route    no route matches z and a (the default) does not serve it: c, found along "
        "fallback_order"
    )
    assert line("x", "q") == (
        "  route    no route matches x and b (first in fallback_order) does not serve it: a, "
        "found among the other enabled backends, in backends.toml order"
    )
    assert line("gpt-5", "q") == (
        "  route    no route matches gpt-5 and no default is enabled: the first enabled backend "
        "of fallback_order, b"
    )
    assert line("x", "r") == (
        "  route    unavailable: profile r has no route for x and no enabled default or "
        "fallback_order backend"
    )


# --- aliases, fallback lists, presets ---------------------------------------------------------


def test_alias_chain(resolved: Resolved) -> None:
    e = explain(resolved, "best")
    assert (e.kind, e.model, e.backend, e.unavailable) == (HandleKind.ALIAS, "gpt-5", "b", None)
    assert [type(s) for s in e.steps] == [
        AliasStep,
        AliasStep,
        ModelStep,
        RouteStep,
        BackendStep,
        SpecStep,
    ]
    assert e.steps[0] == AliasStep("best", ("top",), False, Location("deck/base_deck.toml", 2, 1))
    assert e.steps[1] == AliasStep("top", ("gpt-5",), False, Location("deck/base_deck.toml", 3, 1))


def test_fallback_list_says_why_earlier_entries_were_skipped(resolved: Resolved) -> None:
    e = explain(resolved, "@chain")
    fallback = e.steps[1]
    assert fallback == FallbackStep(
        "chain",
        1,
        "@top",
        (
            SkippedEntry(
                0, "y", "y: route `y*` of profile p sends it to backend a, which does not serve y"
            ),
        ),
        Location("deck/base_deck.toml", 4, 1),
    )
    assert isinstance(e.steps[2], AliasStep) and e.steps[2].name == "top"
    assert (e.model, e.backend) == ("gpt-5", "b")


def test_fallback_list_with_no_available_entry(resolved: Resolved) -> None:
    e = explain(resolved, "dead")
    assert [type(s) for s in e.steps] == [AliasStep, FallbackStep]
    assert isinstance(e.steps[1], FallbackStep) and e.steps[1].chosen is None
    assert e.unavailable == (
        "dead: no entry of its fallback list is available (y: route `y*` of profile p sends it "
        "to backend a, which does not serve y)"
    )


def test_preset_with_a_field_from_the_overrides(resolved: Resolved) -> None:
    e = explain(resolved, "$writer")
    preset = e.steps[0]
    assert isinstance(preset, PresetStep)
    assert preset.values == {"llm_handle": "chain", "temperature": 0.7}
    assert preset.location == Location("deck/base_deck.toml", 8, 1)
    assert preset.field_locations["temperature"] == Location("deck/overrides.toml", 2, 1)
    assert [type(s).__name__ for s in e.steps[1:4]] == ["AliasStep", "FallbackStep", "AliasStep"]


def test_full_text(resolved: Resolved) -> None:
    assert render_text(explain(resolved, "preset:writer"), "inference") == (
        "preset:writer (preset) under profile p (active): gpt-5 on b\n"
        "  preset   $writer: llm_handle = chain, temperature = 0.7\n"
        "           at inference/deck/base_deck.toml:8:1\n"
        "           temperature set at inference/deck/overrides.toml:2:1\n"
        "  alias    @chain -> [y, @top]\n"
        "           at inference/deck/base_deck.toml:4:1\n"
        "  fallback chain[1] = @top, the first available entry\n"
        "           skipped [0] y: route `y*` of profile p sends it to backend a, which does "
        "not serve y\n"
        "           at inference/deck/base_deck.toml:4:1\n"
        "  alias    @top -> gpt-5\n"
        "           at inference/deck/base_deck.toml:3:1\n"
        "  model    gpt-5 (declared by b, off)\n"
        "           at inference/backends/b.toml:2:1\n"
        "  route    wildcard route `gpt-*` -> b: the first wildcard matching gpt-5, no exact "
        "route for it\n"
        "           skipped route `gpt-5` -> off (inference/routing_profiles.toml:13:1): backend "
        "off is disabled\n"
        "           at inference/routing_profiles.toml:9:1\n"
        "  backend  b\n"
        "           at inference/backends.toml:2:1\n"
        "  spec     model_id gpt-5, costs not set, max_tokens not set\n"
        "           at inference/backends/b.toml:2:1\n"
    )


def test_spec_step_and_json(resolved: Resolved) -> None:
    e = explain(resolved, "gpt-4o")
    spec = e.steps[-1]
    assert isinstance(spec, SpecStep)
    assert (spec.model_id, spec.sdk, spec.max_tokens) == ("gpt-4o-2024", "openai", 16384)
    assert render_text(e).splitlines()[-2] == (
        "  spec     model_id gpt-4o-2024, sdk openai, costs input 2.5, output 10 (USD per "
        "million tokens), max_tokens 16384"
    )
    record = as_json(e, "conf")
    assert json.loads(json.dumps(record)) == record
    assert {k: record[k] for k in ("handle", "kind", "profile", "active", "available")} == {
        "handle": "gpt-4o",
        "kind": "model",
        "profile": "p",
        "active": True,
        "available": True,
    }
    assert [s["step"] for s in record["steps"]] == ["model", "route", "backend", "spec"]
    assert record["steps"][1]["rule"] == "exact"
    assert record["steps"][1]["location"] == {
        "file": "conf/routing_profiles.toml",
        "line": 8,
        "column": 1,
    }


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handle", "kind"),
    [
        ("top", HandleKind.ALIAS),
        ("@top", HandleKind.ALIAS),
        ("alias:top", HandleKind.ALIAS),
        ("gpt-5", HandleKind.MODEL),
        ("$writer", HandleKind.PRESET),
        ("preset:writer", HandleKind.PRESET),
        ("writer", HandleKind.PRESET),  # a bare preset name, when nothing else has it
    ],
)
def test_handle_forms(resolved: Resolved, handle: str, kind: HandleKind) -> None:
    assert explain(resolved, handle).kind is kind


@pytest.mark.parametrize(
    ("handle", "profile", "message", "hint"),
    [
        ("bestt", None, "no model, alias, preset or choice named `bestt`", "did you mean `best`?"),
        ("@gpt-5", None, "no alias named `gpt-5`", None),
        ("$writter", None, "no preset named `writter`", "did you mean `writer`?"),
        ("best", "pp", "no routing profile named `pp`", "did you mean `p`?"),
    ],
)
def test_unknown_names_suggest_close_matches(
    resolved: Resolved, handle: str, profile: str | None, message: str, hint: str | None
) -> None:
    with pytest.raises(UnknownName) as info:
        explain(resolved, handle, profile)
    assert (info.value.message, info.value.hint) == (message, hint)


def test_example_locations_agree_with_the_lockfile_provenance(example_build: Build) -> None:
    provenance = example_build.lock.provenance
    deck = provenance["deck"]["llm"]
    e: Explanation = explain(example_build.resolved, "$llm_for_long_analysis", "azure_first")
    by_kind = {type(s).__name__: s for s in e.steps}
    preset, alias = by_kind["PresetStep"], e.steps[1]
    assert str(preset.location) == deck["presets"]["llm_for_long_analysis"]["preset"]
    assert isinstance(alias, AliasStep)
    assert str(alias.location) == deck["aliases"][alias.name]
    route = by_kind["RouteStep"]
    assert isinstance(route, RouteStep) and route.pattern == "claude-*"
    routes = example_build.lock.profiles["azure_first"].routes
    index = [r.pattern for r in routes].index("claude-*")
    assert str(route.location) == provenance["profiles"]["azure_first"]["routes"][index]
    assert str(by_kind["BackendStep"].location) == provenance["backends"]["anthropic"]
    spec = by_kind["SpecStep"]
    assert str(spec.location) == provenance["models"]["llm"]["anthropic"]["claude-4.1-opus"]


# --- the command --------------------------------------------------------------------------------


def test_explain_writes_nothing_and_shows_paths_from_the_working_directory(project: Path) -> None:
    result = run("explain", "best-llm", "--profile", "mixed")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:3] == [
        "best-llm (alias) under profile mixed: claude-4.1-opus on anthropic",
        "  alias    @best-llm -> best-claude",
        "           at .pipelex/inference/deck/base_deck.toml:15:1",
    ]
    assert not (project / "generated").exists()


def test_explain_json(project: Path) -> None:
    result = run("explain", "open-gpt", "--profile", "mixed", "--format", "json")
    record = json.loads(result.stdout)
    assert (record["available"], record["backend"]) == (False, None)
    assert record["unavailable"] == (
        "open-gpt -> gpt-oss-120b: route `gpt-*` of profile mixed sends it to backend openai, "
        "which does not serve gpt-oss-120b"
    )


def test_explain_unknown_handle_exits_2(project: Path) -> None:
    result = run("explain", "best-claud")
    assert result.exit_code == 2
    assert result.stderr == (
        "deckc: no model, alias, preset or choice named `best-claud`\n"
        "  hint: did you mean `best-claude` or `fast-claude` or `best-llm`?\n"
    )


def test_explain_on_a_broken_configuration_exits_2(project: Path) -> None:
    (project / ".pipelex" / "inference" / "deck" / "team.toml").write_text(
        '[aliases]\nbroken = "no-such-model"\n'
    )
    result = run("explain", "best-llm")
    assert result.exit_code == 2
    assert result.stderr.startswith(".pipelex/inference/deck/team.toml:2:1: aliases.broken: ")
    assert result.stderr.endswith("deckc: 1 error(s) in the configuration; fix them first\n")
