"""The checks ``deckc validate`` adds (compiler/diagnose.py), on small in-memory configurations,
and the ``validate`` command's exit codes, output formats and ``--online`` hand-off."""

from __future__ import annotations

import json
import os
import sys
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from compiler.core.errors import DeckError, Location, Severity, Span, errors_only
from compiler.core.ir import Backend, Config, Dialect, Profile, Route
from compiler.core.patterns import parse_pattern
from compiler.emit.freshness import Freshness, State
from compiler.pipeline import Build, check_sources
from compiler.review.diagnose import (
    _shadowing,
    as_record,
    covers,
    dead_routes,
    diagnose,
    drift,
    shadowed_routes,
    unavailable_handles,
    unservable_models,
    unset_variables,
)
from compiler.semantics.decisions import Resolved
from tests.conftest import run, sources_from_texts


def configure(
    profiles: str,
    serves: Mapping[str, list[str]],
    disabled: tuple[str, ...] = (),
    deck: str = "",
    backend_extra: str = "",
) -> dict[str, str]:
    backends = "".join(f"[{b}]\n" + ("enabled = false\n" if b in disabled else "") for b in serves)
    files = {
        "backends.toml": backends + backend_extra,
        "routing_profiles.toml": f'active = "p"\n{profiles}',
        "deck/base_deck.toml": deck,
    }
    for backend, models in serves.items():
        files[f"backends/{backend}.toml"] = "".join(f'["{m}"]\n' for m in models)
    return files


def analysed(files: dict[str, str]) -> Resolved:
    resolved, diagnostics = check_sources(sources_from_texts(files), {})
    assert resolved is not None
    assert errors_only(diagnostics) == []
    return resolved


def texts(findings: list[DeckError]) -> list[str]:
    return [str(f) for f in findings]


# --- shadowed and dead routes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("earlier", "later", "expected"),
    [
        ("*", "gpt-*", True),
        ("*", "*-mini", True),
        ("*", "*o*", True),
        ("gpt-*", "gpt-4*", True),
        ("gpt-*", "gpt-*", True),
        ("gpt-4*", "gpt-*", False),
        ("*-mini", "*o-mini", True),
        ("*o-mini", "*-mini", False),
        ("*o*", "*4o*", True),
        ("*4o*", "*o*", False),
        ("*4o*", "gpt-4o*", True),  # contains / prefix
        ("*4o*", "*4o-mini", True),  # contains / suffix
        ("*4o*", "gpt-*", False),
        ("gpt-*", "*gpt-*", False),  # prefix never covers contains
        ("gpt-*", "*-mini", False),
        ("*-mini", "gpt-*", False),
        ("gpt-*", "*", False),
        ("*o*", "*", False),
        ("gpt-*", "gpt-4o", False),  # exact routes are never shadowed
        ("*", "gpt-4o", False),
    ],
)
def test_covers(earlier: str, later: str, expected: bool) -> None:
    assert covers(parse_pattern(earlier), parse_pattern(later)) is expected


_PATTERNS = st.builds(
    lambda kind, core: {"any": "*", "prefix": f"{core}*", "suffix": f"*{core}"}.get(
        kind, f"*{core}*" if kind == "contains" else core
    ),
    st.sampled_from(["any", "prefix", "suffix", "contains", "exact"]),
    st.text(alphabet="ab", min_size=1, max_size=3),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(_PATTERNS, st.sampled_from(["a", "a", "off"]), st.booleans()), max_size=10)
)
@example(
    [
        ("*a*", "a", False),
        ("a*", "a", True),
        ("ab*", "a", False),
        ("*b", "off", True),
        ("*ab", "a", False),
    ]
)
def test_shadowing_index_agrees_with_covers(rules: list[tuple[str, str, bool]]) -> None:
    """An earlier wildcard shadows a rule when it covers it and applies: a plain route always
    (to a disabled backend, it refuses the models), an optional one while its backend is on."""
    unique = {text: (backend, optional) for text, backend, optional in rules}
    routes = tuple(
        Route(parse_pattern(text), backend, optional, Span(Location("r.toml", i + 1, 1)))
        for i, (text, (backend, optional)) in enumerate(unique.items())
    )
    backends = {
        name: Backend(name, name == "a", None, {}, {}, i, Span(Location("b.toml")), {})
        for i, name in enumerate(("a", "off"))
    }
    profile = Profile("p", None, None, routes, (), Span(Location("r.toml")))
    config = Config(
        Dialect.PIPELEX_0_10, backends, {}, {"p": profile}, "p", Span(Location("r.toml")), {}, {}
    )
    expected = []
    for i, route in enumerate(routes):
        applies = [r for r in routes[:i] if r.backend == "a" or not r.optional]
        earlier = [r for r in applies if covers(r.pattern, route.pattern)]
        if earlier:
            expected.append((route.pattern.text, earlier[0].pattern.text))
    found = [(r.pattern.text, e.pattern.text) for r, e in _shadowing(config, profile)]
    assert found == expected


def test_shadowed_wildcard_names_the_earlier_rule() -> None:
    resolved = analysed(
        configure(
            '[profiles.p]\n[profiles.p.routes]\n"gpt-*" = "a"\n"gpt-4o" = "b"\n"gpt-4*" = "b"\n',
            {"a": ["gpt-4o", "gpt-5"], "b": ["gpt-4o"]},
        )
    )
    assert texts(shadowed_routes(resolved.config)) == [
        'routing_profiles.toml:6:1: profiles.p.routes."gpt-4*": warning: route `gpt-4*` never '
        "applies: the earlier route `gpt-*` (to a) matches every model it matches\n"
        "  see also routing_profiles.toml:4:1\n"
        "  hint: move `gpt-4*` above `gpt-*`, or remove it"
    ]


def test_earlier_optional_route_to_a_disabled_backend_shadows_nothing() -> None:
    resolved = analysed(
        configure(
            '[profiles.p]\n[profiles.p.optional_routes]\n"*" = "c"\n"gpt-*" = "a"\n',
            {"a": ["gpt-4o"], "c": ["gpt-4o"]},
            disabled=("c",),
        )
    )
    assert shadowed_routes(resolved.config) == []


def test_optional_routes_come_after_routes() -> None:
    resolved = analysed(
        configure(
            '[profiles.p]\n[profiles.p.routes]\n"claude-*" = "a"\n'
            '[profiles.p.optional_routes]\n"claude-3*" = "b"\n',
            {"a": ["claude-3"], "b": ["claude-3"]},
        )
    )
    (finding,) = shadowed_routes(resolved.config)
    assert finding.key_path == ("profiles", "p", "optional_routes", "claude-3*")


def test_wildcard_matching_no_declared_model() -> None:
    resolved = analysed(
        configure(
            '[profiles.p]\ndefault = "a"\n[profiles.p.routes]\n"gemini-*" = "a"\n'
            '"*-mini" = "a"\n"*turbo*" = "a"\n"gpt-*" = "a"\n"gpt-9*" = "a"\n',
            {"a": ["gpt-4o-mini"]},
        )
    )
    assert texts(dead_routes(resolved.config)) == [
        'routing_profiles.toml:5:1: profiles.p.routes."gemini-*": warning: route `gemini-*` '
        "matches no declared model\n"
        "  hint: no declared model name starts with `gemini-`: fix the pattern, declare the "
        "model in backends/a.toml, or remove the route",
        'routing_profiles.toml:7:1: profiles.p.routes."*turbo*": warning: route `*turbo*` '
        "matches no declared model\n"
        "  hint: no declared model name contains `turbo`: fix the pattern, declare the model "
        "in backends/a.toml, or remove the route",
    ]  # gpt-9* is shadowed by gpt-* and reported as such, not twice


@pytest.mark.parametrize(
    ("pattern", "core", "dead"),
    [
        ("*4o*", "4o", False),
        ("*x\\u0000y*", "x\0y", True),
        ("*-mini", "-mini", False),
        ("*-maxi", "-maxi", True),
        ("o*", "o", False),
        ("p*", "p", True),
    ],
)
def test_dead_route_lookup_agrees_with_trying_every_name(
    pattern: str, core: str, dead: bool
) -> None:
    resolved = analysed(
        configure(
            f'[profiles.p]\n[profiles.p.routes]\n"{pattern}" = "a"\n', {"a": ["gpt-4o-mini", "o"]}
        )
    )
    (route,) = resolved.config.profiles["p"].routes
    assert route.pattern.core == core
    names = [key.name for key in resolved.config.models]
    assert any(route.pattern.matches(n) for n in names) is not dead
    assert (len(dead_routes(resolved.config)) == 1) is dead


# --- availability ---------------------------------------------------------------------------

AVAILABILITY = configure(
    '[profiles.p]\n[profiles.p.routes]\n"gpt-*" = "a"\n"*" = "b"\n[profiles.q]\ndefault = "b"\n',
    {"a": ["gpt-4o"], "b": ["gpt-oss", "claude"], "off": ["llama"]},
    disabled=("off",),
    deck=(
        '[aliases]\nopen = "gpt-oss"\nsafe = ["gpt-oss", "claude"]\nnone = ["gpt-oss"]\n'
        '[llm_presets]\nbulk = { llm_handle = "open", temperature = 0.5 }\n'
    ),
)


def test_models_no_profile_can_serve() -> None:
    resolved = analysed(AVAILABILITY)
    assert texts(unservable_models(resolved)) == [
        "backends/off.toml:1:1: llama: warning: no profile can serve model `llama` (declared by "
        "off)\n  hint: it is declared only by disabled backend(s) off: enable one, or remove "
        "the model"
    ]


def test_model_unroutable_everywhere_says_why_and_how() -> None:
    files = configure(
        '[profiles.p]\n[profiles.p.routes]\n"gpt-*" = "a"\n',
        {"a": ["gpt-4o"], "b": ["gpt-oss"]},
    )
    resolved = analysed(files)
    (finding,) = unservable_models(resolved)
    assert finding.hint == (
        "in profile p: route `gpt-*` of profile p sends it to backend a, which does not serve "
        'gpt-oss; add a route `"gpt-oss" = "b"` to a profile'
    )


@pytest.mark.parametrize("strict", [False, True])
def test_handles_unavailable_in_the_active_profile(strict: bool) -> None:
    resolved = analysed(AVAILABILITY)
    found = unavailable_handles(resolved, strict=strict)
    assert {f.severity for f in found} == {Severity.ERROR if strict else Severity.WARNING}
    reason = (
        "gpt-oss: route `gpt-*` of profile p sends it to backend a, which does not serve gpt-oss"
    )
    assert [f.message for f in found] == [
        f"alias `open` is unavailable in the active profile p: open -> {reason}",
        "alias `none` is unavailable in the active profile p: none: no entry of its fallback "
        f"list is available ({reason})",
        f"preset `bulk` is unavailable in the active profile p: open -> {reason}",
        "model `gpt-oss` is unavailable in the active profile p: route `gpt-*` of profile p "
        "sends it to backend a, which does not serve gpt-oss",
    ]
    assert [str(f.location) for f in found] == [
        "deck/base_deck.toml:2:1",
        "deck/base_deck.toml:4:1",
        "deck/base_deck.toml:6:10",
        "backends/b.toml:1:1",
    ]  # `safe` falls back to claude; `llama` is left to unservable_models


def test_availability_checks_are_left_out_when_asked() -> None:
    resolved = analysed(AVAILABILITY)
    found = diagnose(resolved, {}, availability=False)
    assert not [f for f in found if "unavailable" in f.message or "no profile" in f.message]


# --- environment ----------------------------------------------------------------------------

ENV_BACKENDS = (
    '[gw]\napi_key = "${GW_KEY}"\nendpoint = "${GW_BASE:-https://gw.example/v1}"\n'
    'gcp_project_id = "${GW_PROJECT}"\n'
    '[off]\nenabled = false\napi_key = "${OFF_KEY}"\n'
)


def test_unset_variables_of_enabled_backends_names_only() -> None:
    files = configure('[profiles.p]\ndefault = "gw"\n', {}, backend_extra=ENV_BACKENDS)
    files["backends/gw.toml"] = "[m]\n"
    resolved = analysed(files)
    environ = {"GW_PROJECT": "sk-very-secret-value"}
    found = unset_variables(resolved.config, environ)
    assert texts(found) == [
        "backends.toml:2:1: gw.api_key: note: backend `gw` needs environment variable "
        "GW_KEY (for api_key), which is not set\n"
        "  hint: export GW_KEY where deck runs, write ${GW_KEY:-<default>}, or set "
        "`enabled = false` for gw"
    ]  # GW_BASE has a default, GW_PROJECT is set, OFF_KEY belongs to a disabled backend
    everything = diagnose(resolved, environ)
    assert all("sk-very-secret-value" not in str(f) for f in everything)


# --- drift and records ----------------------------------------------------------------------


def test_drift_findings() -> None:
    fresh = Freshness(
        State.EDITED,
        changed_sources=("deck/overrides.toml",),
        edited_outputs=("deck.py",),
        missing_outputs=("_deck_data.py",),
        generator_changed=True,
        extra_outputs=("notes.txt",),
    )
    found = drift(fresh, "conf", "gen")
    assert [str(f).splitlines()[0] for f in found] == [
        "gen/_deck_data.py: warning: missing",
        "gen/deck.py: warning: edited by hand (differs from what deckc wrote)",
        "conf/deck/overrides.toml: warning: changed since gen was compiled",
        "gen: warning: deckc or its templates changed since gen was compiled",
        "gen/notes.txt: warning: not written by deckc",
    ]
    assert found[-1].hint == "delete it, or keep it outside gen"
    assert found[0].hint == "run `deckc compile --config-dir conf --out gen`"
    assert drift(Freshness(State.CURRENT), "conf", "gen") == []


def test_as_record() -> None:
    resolved = analysed(
        configure('[profiles.p]\n[profiles.p.routes]\n"*" = "a"\n"x*" = "a"\n', {"a": ["xy"]})
    )
    (finding,) = shadowed_routes(resolved.config)
    assert as_record(finding.relocated("inference")) == {
        "severity": "warning",
        "code": "route-shadowed",
        "file": "inference/routing_profiles.toml",
        "line": 5,
        "column": 1,
        "key_path": 'profiles.p.routes."x*"',
        "message": "route `x*` never applies: the earlier route `*` (to a) matches every model "
        "it matches",
        "hint": "move `x*` above `*`, or remove it",
        "related": ["inference/routing_profiles.toml:4:1"],
    }


# --- the command ----------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_validate_writes_nothing_and_reports_missing_outputs(project: Path) -> None:
    before = snapshot(project)
    result = run("validate")
    assert snapshot(project) == before
    assert result.exit_code == 1
    assert "generated/deck.manifest.json: warning: missing" in result.stderr
    assert result.stdout.endswith("; generated is missing or incomplete\n")
    assert (
        ".pipelex/inference/backends.toml:20:1: openai.api_key: note: backend `openai` "
        "needs environment variable OPENAI_API_KEY (for api_key), which is not set"
    ) in result.stderr


def test_validate_inference_is_clean_when_every_variable_is_set(
    project: Path, monkeypatch: pytest.MonkeyPatch, example_build: Build
) -> None:
    for backend in example_build.lock.backends.values():
        for var in backend.env_vars:
            monkeypatch.setenv(var, "x")
    result = run("validate", "inference")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "deckc: 0 error(s), 0 warning(s) in .pipelex/inference\n"
    assert run("compile").exit_code == 0
    assert run("validate").stdout.endswith("; generated is current\n")


def test_validate_errors_exit_2_and_json_goes_to_stdout(project: Path) -> None:
    deck = project / ".pipelex" / "inference" / "deck" / "team.toml"
    deck.write_text('[aliases]\nbroken = "no-such-model"\n')
    result = run("validate", "inference", "--format", "json")
    assert result.exit_code == 2
    assert result.stderr == ""
    records = json.loads(result.stdout)
    (error,) = [r for r in records if r["severity"] == "error"]
    assert error["file"] == ".pipelex/inference/deck/team.toml"
    assert (error["line"], error["column"], error["key_path"]) == (2, 1, "aliases.broken")
    assert error["code"] == "LLMHandleNotFoundError"
    assert set(error) == {
        "severity",
        "code",
        "file",
        "line",
        "column",
        "key_path",
        "message",
        "hint",
        "related",
    }


def test_validate_on_a_missing_directory_exits_2(project: Path) -> None:
    result = run("validate", "--config-dir", "nowhere")
    assert result.exit_code == 2
    assert "nowhere: error: configuration directory not found" in result.stderr


def test_validate_online_hands_the_resolved_configuration_to_the_probe(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Mapping[str, Any], Mapping[str, str], float]] = []

    def probe_backends(
        lock: Mapping[str, Any], environ: Mapping[str, str], *, timeout: float
    ) -> list[DeckError]:
        calls.append((lock, environ, timeout))
        from compiler.core.errors import Location, ModelsManagerError

        return [
            ModelsManagerError(
                "backend `openai` is unreachable",
                location=Location("backends.toml", 13, 1),
                key_path=("openai",),
                severity=Severity.WARNING,
            )
        ]

    fake = types.ModuleType("compiler.review.online")
    fake.probe_backends = probe_backends  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "compiler.review.online", fake)
    result = run("validate", "inference", "--online", "--timeout", "2.5")
    ((resolved, environ, timeout),) = calls
    assert timeout == 2.5
    assert isinstance(resolved, Resolved) and "openai" in resolved.config.backends
    assert environ is os.environ
    assert (
        ".pipelex/inference/backends.toml:13:1: openai: warning: backend `openai` is unreachable"
        in result.stderr
    )


def test_validate_online_is_skipped_when_the_configuration_has_errors(project: Path) -> None:
    (project / ".pipelex" / "inference" / "deck" / "team.toml").write_text(
        '[aliases]\nbroken = "no-such-model"\n'
    )
    result = run("validate", "inference", "--online")
    assert result.exit_code == 2
    assert "deckc: --online skipped: fix the errors first" in result.stderr
