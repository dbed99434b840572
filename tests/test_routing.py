"""Routing (SPEC §3 rules 1-5), one rule per test, on small in-memory configurations."""

from __future__ import annotations

import pytest

from compiler.core.errors import CompileFailed
from compiler.core.ir import ModelKey, ModelType
from compiler.semantics.decisions import Placement, RuleKind
from tests.conftest import compile_texts


def configure(
    profile: str, serves: dict[str, list[str]], disabled: tuple[str, ...] = ()
) -> dict[str, str]:
    backends = "".join(f"[{b}]\n" + ("enabled = false\n" if b in disabled else "") for b in serves)
    files = {
        "backends.toml": backends,
        "routing_profiles.toml": f'active = "p"\n[profiles.p]\n{profile}',
    }
    for backend, models in serves.items():
        files[f"backends/{backend}.toml"] = "".join(f'["{m}"]\n' for m in models)
    return files


def route(
    profile: str, serves: dict[str, list[str]], disabled: tuple[str, ...] = ()
) -> dict[str, Placement]:
    build = compile_texts(configure(profile, serves, disabled))
    placements = build.resolved.profiles["p"].placements
    return {key.name: p for key, p in placements.items() if key.model_type is ModelType.LLM}


def where(routing: Placement) -> tuple[str | None, RuleKind | None]:
    return routing.backend, routing.rule


def test_exact_route_pins_even_after_a_matching_wildcard() -> None:
    r = route(
        '[profiles.p.routes]\n"gpt-*" = "a"\n"gpt-4o" = "b"\n', {"a": ["gpt-4o"], "b": ["gpt-4o"]}
    )
    assert where(r["gpt-4o"]) == ("b", RuleKind.EXACT)


def test_exact_route_to_backend_lacking_the_model_is_an_error() -> None:
    with pytest.raises(CompileFailed) as info:
        route('[profiles.p.routes]\n"gpt-4o" = "b"\n', {"a": ["gpt-4o"], "b": ["x"]})
    assert str(info.value.errors[0]) == (
        "routing_profiles.toml:4:1: profiles.p.routes.gpt-4o: error: exact route sends gpt-4o to "
        "backend b, which does not serve it (served by: a)\n"
        "  hint: route it to a, or add a table for gpt-4o to backends/b.toml"
    )


def test_first_wildcard_in_declaration_order_wins() -> None:
    r = route(
        '[profiles.p.routes]\n"*-mini" = "a"\n"gpt-*" = "b"\n',
        {"a": ["gpt-4o-mini"], "b": ["gpt-4o-mini", "gpt-4o"]},
    )
    assert where(r["gpt-4o-mini"]) == ("a", RuleKind.WILDCARD)
    assert r["gpt-4o-mini"].route is not None and r["gpt-4o-mini"].route.pattern.text == "*-mini"
    assert where(r["gpt-4o"]) == ("b", RuleKind.WILDCARD)


def test_a_route_sending_a_model_to_a_disabled_backend_refuses_the_active_profile() -> None:
    """Pipelex 0.10.2: "Backend 'c', requested for model 'gpt-4o', could not be found"."""
    with pytest.raises(CompileFailed) as info:
        route(
            '[profiles.p.routes]\n"gpt-*" = "c"\n"*" = "a"\n',
            {"a": ["gpt-4o"], "c": ["gpt-4o"]},
            disabled=("c",),
        )
    assert [str(e) for e in info.value.errors] == [
        'routing_profiles.toml:4:1: profiles.p.routes."gpt-*": error: route `gpt-*` '
        "of profile p sends "
        "gpt-4o to backend c, which is disabled: Pipelex refuses to boot the profile\n"
        "  hint: enable c in backends.toml, or route the models elsewhere, or make it an "
        "optional route"
    ]


def test_a_route_to_a_disabled_backend_in_an_inactive_profile_is_a_warning() -> None:
    files = configure("", {"a": ["gpt-4o", "x"], "c": ["gpt-4o"]}, disabled=("c",))
    files["routing_profiles.toml"] += (
        '[profiles.q]\ndefault = "a"\n[profiles.q.routes]\n"gpt-*" = "c"\n"y*" = "c"\n'
    )
    files["routing_profiles.toml"] = files["routing_profiles.toml"].replace(
        "[profiles.p]\n", '[profiles.p]\ndefault = "a"\n'
    )
    build = compile_texts(files)
    q = build.resolved.profiles["q"].placements
    assert q[ModelKey(ModelType.LLM, "gpt-4o")].reason == (
        "route `gpt-*` of profile q sends it to backend c, which is disabled"
    )
    assert where(q[ModelKey(ModelType.LLM, "x")]) == ("a", RuleKind.DEFAULT)
    assert [str(w) for w in build.warnings if "disabled" in str(w)] == [
        'routing_profiles.toml:7:1: profiles.q.routes."gpt-*": warning: route `gpt-*` of profile q '
        "sends gpt-4o to backend c, which is disabled: Pipelex refuses to boot the profile "
        "(profile q is not active; --strict makes it an error)\n"
        "  hint: enable c in backends.toml, or route the models elsewhere, or make it an "
        "optional route"
    ]  # `y*` routes no model there: Pipelex 0.10 boots the profile all the same


def test_an_optional_route_to_a_disabled_backend_is_passed_over() -> None:
    r = route(
        '[profiles.p.optional_routes]\n"gpt-*" = "c"\n"*" = "a"\n',
        {"a": ["gpt-4o"], "c": ["gpt-4o"]},
        disabled=("c",),
    )
    assert where(r["gpt-4o"]) == ("a", RuleKind.WILDCARD)
    assert [route.pattern.text for route in r["gpt-4o"].passed] == ["gpt-*"]


@pytest.mark.parametrize(("disabled", "expected"), [((), "b"), (("b",), "a")])
def test_optional_route_applies_only_while_its_backend_is_enabled(
    disabled: tuple[str, ...], expected: str
) -> None:
    r = route(
        'default = "a"\n[profiles.p.optional_routes]\n"m" = "b"\n',
        {"a": ["m"], "b": ["m"]},
        disabled=disabled,
    )
    assert r["m"].backend == expected


def test_wildcard_to_backend_lacking_the_model_makes_it_unroutable() -> None:
    r = route(
        'default = "b"\n[profiles.p.routes]\n"gpt-*" = "a"\n"*" = "b"\n',
        {"a": ["gpt-4o"], "b": ["gpt-oss"]},
    )
    assert r["gpt-oss"].backend is None
    assert r["gpt-oss"].reason == (
        "route `gpt-*` of profile p sends it to backend a, which does not serve gpt-oss"
    )


def test_default_serves() -> None:
    r = route('default = "b"\nfallback_order = ["a"]\n', {"a": ["m"], "b": ["m"]})
    assert where(r["m"]) == ("b", RuleKind.DEFAULT)


def test_without_default_the_first_enabled_fallback_starts() -> None:
    r = route(
        'fallback_order = ["c", "b", "a"]\n',
        {"a": ["m"], "b": ["m"], "c": ["m"]},
        disabled=("c",),
    )
    assert where(r["m"]) == ("b", RuleKind.FALLBACK)


def test_a_disabled_default_that_models_go_to_refuses_the_profile() -> None:
    with pytest.raises(CompileFailed) as info:
        route('default = "c"\nfallback_order = ["b"]\n', {"b": ["m"], "c": ["m"]}, ("c",))
    assert [str(e) for e in info.value.errors] == [
        "routing_profiles.toml:3:1: profiles.p.default: error: profile p sends m to its default "
        "backend c, which is disabled: Pipelex refuses to boot the profile\n"
        "  hint: enable c in backends.toml, or choose another default"
    ]


def test_search_goes_along_fallback_order_then_backends_order() -> None:
    serves = {"a": ["x"], "b": ["y", "z"], "c": ["y"], "d": ["x"]}
    r = route('default = "a"\nfallback_order = ["c"]\n', serves)
    assert where(r["y"]) == ("c", RuleKind.SEARCH)  # fallback_order before backends.toml order
    assert where(r["z"]) == ("b", RuleKind.SEARCH)  # then backends.toml order
    assert where(r["x"]) == ("a", RuleKind.DEFAULT)


def test_search_skips_disabled_backends_and_explains_failure() -> None:
    r = route('default = "a"\n', {"a": ["x"], "b": ["y"]}, disabled=("b",))
    assert r["y"].backend is None
    assert r["y"].reason == (
        "backend a, the default of profile p, does not serve y, nor does any other enabled backend"
    )


def test_no_rule_no_default_no_fallback_is_unroutable() -> None:
    r = route('description = "empty"\n', {"a": ["m"]})
    assert r["m"].backend is None
    assert r["m"].reason == (
        "profile p has no route for m and no enabled default or fallback_order backend"
    )


def test_route_to_undeclared_backend_is_an_error_with_suggestion() -> None:
    with pytest.raises(CompileFailed) as info:
        route('default = "alpha"\n[profiles.p.routes]\n"m" = "alpah"\n', {"alpha": ["m"]})
    assert str(info.value.errors[0]) == (
        "routing_profiles.toml:5:1: profiles.p.routes.m: error: backend `alpah` is not declared in "
        "backends.toml\n  hint: did you mean `alpha`?"
    )


def test_placements_record_how_they_were_decided() -> None:
    serves = {"a": ["x"], "b": ["y"], "c": ["y", "z"], "off": ["z"]}
    build = compile_texts(
        configure(
            'default = "a"\nfallback_order = ["c"]\n[profiles.p.optional_routes]\n"z*" = "off"\n',
            serves,
            disabled=("off",),
        )
    )
    resolution = build.resolved.profiles["p"]
    assert resolution.plan.search_order == ("c", "a", "b")
    assert resolution.plan.start is not None
    assert (resolution.plan.start.backend, resolution.plan.start.rule) == ("a", RuleKind.DEFAULT)
    z = resolution.placements[ModelKey(ModelType.LLM, "z")]
    assert [r.pattern.text for r in z.passed] == ["z*"]  # its backend is disabled
    assert z.found is not None and (z.found.backend, z.found.in_fallback_order) == ("c", True)
    assert str(z.found.span) == "routing_profiles.toml:4:19"
    y = resolution.placements[ModelKey(ModelType.LLM, "y")]
    assert (y.backend, y.rule, y.passed) == ("c", RuleKind.SEARCH, ())
    x = resolution.placements[ModelKey(ModelType.LLM, "x")]
    assert (x.rule, x.start, x.found) == (RuleKind.DEFAULT, resolution.plan.start, None)
