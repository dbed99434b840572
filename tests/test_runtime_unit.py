"""The static runtime (compiler/runtime/), tested directly: its look-ups over hand-written data
modules (no compiler involved), its records, and the grammar and expander it shares with the
compiler, run side by side with the copies a compile puts in a generated package."""

from __future__ import annotations

import functools
import importlib
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.emit.render import runtime_sources
from compiler.runtime import envvars, hints, references
from compiler.runtime.frozen import FrozenDict, Record, thaw
from conformance.compare import import_generated
from tests.conftest import GENERATED

# A deck written by hand: two profiles; models m1 (backend a) and x (backend b, unavailable
# under q); alias best -> m1; alias x (shadowed by the model x: reached as @x only); waterfall w;
# preset fast on best; choice for_text -> fast, for_object -> the handle @best.
DATA = {
    "_index.py": """
LOCK_SHA256 = "0" * 64
PROFILES = ("p", "q")
DEFAULT_PROFILE = "p"
MODEL_TYPES = ("llm",)
HANDLE_SECTIONS = {"llm": (("_handles_llm_0", "_handles_llm_1"), ("m1",))}
DECKS = {"llm": "_deck_llm"}
SPECS_PER_SECTION = 1
SPEC_SECTIONS = ("_specs_0", "_specs_1")
BACKENDS = "_backends"
""",
    "_handles_llm_0.py": 'NAMES = ("best",)\n',
    "_handles_llm_0_p0.py": 'ENTRIES = ((0, ("best", "m1")),)\n',
    "_handles_llm_0_p1.py": 'ENTRIES = ("best -> m1: not served",)\n',
    "_handles_llm_1.py": 'NAMES = ("m1", "w", "x")\n',
    "_handles_llm_1_p0.py": 'ENTRIES = (0, (1, ("w", "x")), 1)\n',
    "_handles_llm_1_p1.py": """
ENTRIES = (0, (0, ("w", "m1")), "x: route `x` of profile q sends it nowhere")
""",
    "_specs_0.py": """
SPECS = (
    ("a", "m1", (..., "costs", (..., "input", 1.0), "model_id", "m1-id", "model_type", "llm",
                 "prompting_target", "anthropic", "sdk", "anthropic")),
)
""",
    "_specs_1.py": """
SPECS = (("b", "x", (..., "inputs", ("text",), "model_id", "x-id", "model_type", "llm")),)
""",
    "_deck_llm.py": """
ALIASES = ("best", "x")
WATERFALLS = ("w",)
PRESET_NAMES = ("fast",)
PRESET_PARAMS = (
    ("best", (..., "max_tokens", None, "prompting_target", None, "reasoning_effort", "low",
              "temperature", 0.5)),
)
FROM_SPEC = ("prompting_target",)
PRESET_ENTRIES = (((0, ("best", "m1")),), ("best -> m1: not served",))
EXPLICIT_NAMES = ("@x",)
EXPLICIT_ENTRIES = (((0, ("x", "m1")),), ((0, ("x", "m1")),))
CHOICES = (("for_object", "handle", "@best"), ("for_text", "preset", "fast"))
CHOICE_SETTINGS = None
""",
    "_backends.py": """
BACKENDS = (
    ("a", (..., "credential_refs", (..., "api_key", "${A_KEY}", "endpoint",
                                    "${A_BASE:-https://a.test}"),
           "display_name", None, "enabled", True, "env_vars", ("A_BASE", "A_KEY"), "name", "a",
           "options", (...,), "order", 0)),
    ("c", (..., "credential_refs", (..., "api_key", "${env:C_KEY|secret:C_VAULT}",
                                    "endpoint", "${C_HOST}/v1${C_PATH:-/chat}", "org", "${C_ORG}",
                                    "project", "${C_ORG}"),
           "display_name", None, "enabled", True,
           "env_vars", ("C_HOST", "C_KEY", "C_ORG", "C_PATH", "C_REGION", "C_VAULT"),
           "name", "c", "options", (..., "region", "${C_REGION}", "retries", 2, "tenant",
                                    "${C_ORG}"), "order", 1)),
)
""",
}


def make_package(root: Path, data: dict[str, str]) -> ModuleType:
    """A fresh package holding the runtime's modules and ``data``; its ``lookup`` module."""
    name = f"deckc_unit_{uuid.uuid4().hex}"
    runtime = root / name / "_runtime"
    runtime.mkdir(parents=True)
    (root / name / "__init__.py").write_text("")
    for file, source in {**runtime_sources(), **data}.items():
        (runtime / file).write_text(source, encoding="utf-8")
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(f"{name}._runtime.lookup")
    finally:
        sys.path.remove(str(root))


@pytest.fixture
def deck(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.delenv("DECK_ROUTING_PROFILE", raising=False)
    yield make_package(tmp_path, DATA)


def test_handles_are_looked_up_across_sections(deck: Any) -> None:
    best = deck.resolve("best")
    assert (best.model, best.backend, best.model_id, best.path) == (
        "m1",
        "a",
        "m1-id",
        ("best", "m1"),
    )
    assert (best.profile, best.model_type, best.handle, best.sdk) == (
        "p",
        "llm",
        "best",
        "anthropic",
    )
    assert deck.resolve("m1").path == ("m1",)  # a model routed directly
    assert deck.resolve("w").model == "x" and deck.resolve("w", "q").model == "m1"
    assert deck.resolve("x").model == "x"  # the bare name is the model ...
    assert deck.resolve("@x").path == ("x", "m1")  # ... the explicit alias is the alias
    assert deck.resolve("~w").path == ("w", "x")
    by_kind = deck.resolve("handle:m1")
    assert (by_kind.handle, by_kind.model, by_kind.path) == ("handle:m1", "m1", ("m1",))


def test_answers_are_cached_per_profile(deck: Any) -> None:
    assert deck.resolve("best") is deck.resolve("best", "p") is deck.resolve("best")
    assert deck.preset("fast") is deck.resolve("$fast") is deck.choice("for_text")
    assert deck.choice("for_object") is deck.resolve("@best")


def test_errors(deck: Any) -> None:
    with pytest.raises(
        deck.LLMHandleNotFoundError,
        match=r"^'?handle 'best' is unavailable under profile 'q': best -> m1: not served",
    ):
        deck.resolve("best", "q")
    with pytest.raises(deck.LLMHandleNotFoundError, match="unavailable under profile 'q'"):
        deck.preset("fast", "q")
    with pytest.raises(
        deck.LLMHandleNotFoundError, match="unknown handle 'bestt'; did you mean 'best'"
    ):
        deck.resolve("bestt")
    with pytest.raises(deck.LLMHandleNotFoundError, match="no alias named 'm1'"):
        deck.resolve("@m1")
    with pytest.raises(deck.LLMHandleNotFoundError, match="no waterfall named 'best'"):
        deck.resolve("~best")
    with pytest.raises(deck.LLMPresetNotFoundError, match="unknown preset 'slow'"):
        deck.preset("slow")
    with pytest.raises(deck.LLMPresetNotFoundError, match="no choice 'for_json'"):
        deck.choice("for_json")
    with pytest.raises(deck.ProfileNotFoundError) as profile:
        deck.resolve("best", "r")
    assert str(profile.value) == (
        "profile= names routing profile 'r', which does not exist; profiles: p, q"
    )
    with pytest.raises(deck.ProfileNotFoundError) as profile:
        deck.choice("for_text", "qq")
    assert str(profile.value) == (
        "profile= names routing profile 'qq', which does not exist; did you mean 'q'?"
    )
    with pytest.raises(deck.ModelTypeNotFoundError, match="no model of type 'search'"):
        deck.resolve("best", model_type="search")
    with pytest.raises(deck.BackendNotFoundError, match="unknown backend 'b'"):
        deck.backend("b")
    for error in (deck.LLMHandleNotFoundError, deck.ProfileNotFoundError):
        assert issubclass(error, KeyError) and issubclass(error, deck.DeckLookupError)


@pytest.mark.parametrize(
    ("call", "args", "message"),
    [
        (
            "resolve",
            ("fast",),
            "unknown handle 'fast'; a preset has that name: use '$fast' or deck.preset('fast')",
        ),
        (
            "resolve",
            ("handle:fast",),
            "unknown handle 'handle:fast'; a preset has that name: use '$fast' or "
            "deck.preset('fast')",
        ),
        (
            "resolve",
            ("for_text",),
            "unknown handle 'for_text'; a choice has that name: use deck.choice('for_text')",
        ),
        ("resolve", ("@w",), "no alias named 'w'; a waterfall has that name: use '~w'"),
        ("resolve", ("@m1",), "no alias named 'm1'; a model has that name: use 'm1'"),
        ("resolve", ("~best",), "no waterfall named 'best'; an alias has that name: use '@best'"),
        (
            "resolve",
            ("@fast",),
            "no alias named 'fast'; a preset has that name: use '$fast' or deck.preset('fast')",
        ),
        (
            "preset",
            ("best",),
            "unknown preset 'best'; an alias has that name: use deck.resolve('best')",
        ),
        (
            "resolve",
            ("$w",),
            "unknown preset 'w'; a waterfall has that name: use deck.resolve('w')",
        ),
        ("preset", ("m1",), "unknown preset 'm1'; a model has that name: use deck.resolve('m1')"),
        (
            "preset",
            ("for_object",),
            "unknown preset 'for_object'; a choice has that name: use deck.choice('for_object')",
        ),
        (
            "choice",
            ("fast",),
            "no choice 'fast' is configured; configured: 'for_object', 'for_text'; a preset has "
            "that name: use '$fast' or deck.preset('fast')",
        ),
        (
            "choice",
            ("best",),
            "no choice 'best' is configured; configured: 'for_object', 'for_text'; an alias has "
            "that name: use deck.resolve('best')",
        ),
        # a name of no kind: close names, as before
        ("preset", ("fats",), "unknown preset 'fats'; did you mean 'fast'?"),
    ],
)
def test_a_name_of_another_kind_gets_the_call_that_asks_for_it(
    deck: Any, call: str, args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(deck.DeckLookupError) as info:
        getattr(deck, call)(*args)
    assert str(info.value) == message


def test_the_hint_names_the_model_type_when_not_llm() -> None:
    assert hints.elsewhere("gen", "bare", ["preset"], "img_gen") == (
        "; a preset has that name: use '$gen' or deck.preset('gen', model_type='img_gen')"
    )
    assert hints.elsewhere("fast", "preset", ["model", "choice"], "img_gen") == (
        "; a model has that name: use deck.resolve('fast', model_type='img_gen')"
    )
    assert hints.elsewhere("x", "alias", ["alias"], "llm") == ""


def test_presets_take_unset_fields_from_the_spec(deck: Any) -> None:
    fast = deck.preset("fast")
    assert (fast.preset, fast.target, fast.model, fast.path) == (
        "fast",
        "best",
        "m1",
        ("best", "m1"),
    )
    assert (fast.temperature, fast.max_tokens, fast.reasoning_effort) == (0.5, None, "low")
    assert fast.prompting_target == "anthropic"  # unset in the preset: the spec's


def test_listings(deck: Any) -> None:
    assert deck.handles() == ("best", "m1", "w", "x")
    assert (deck.aliases(), deck.waterfalls(), deck.presets()) == (("best", "x"), ("w",), ("fast",))
    assert deck.choices() == ("for_object", "for_text")
    assert deck.MODEL_TYPES == ("llm",) and deck.PROFILES == ("p", "q")


def test_an_unknown_active_profile_is_reported_by_the_first_look_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DECK_ROUTING_PROFILE", "nope")
    deck: Any = make_package(tmp_path, DATA)  # the import itself succeeds
    assert deck.ACTIVE_PROFILE == "nope"
    assert deck.resolve("best", "p").model == "m1"
    with pytest.raises(deck.ProfileNotFoundError) as info:
        deck.resolve("best")
    assert str(info.value) == (
        "DECK_ROUTING_PROFILE names routing profile 'nope', which does not exist; profiles: p, q"
    )


def test_a_misspelt_active_profile_gets_a_did_you_mean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DECK_ROUTING_PROFILE", "pp")
    deck: Any = make_package(tmp_path, DATA)
    with pytest.raises(deck.ProfileNotFoundError) as info:
        deck.preset("fast")
    assert str(info.value) == (
        "DECK_ROUTING_PROFILE names routing profile 'pp', which does not exist; did you mean 'p'?"
    )


def test_credentials_name_every_missing_variable(
    deck: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = deck.backend("a")
    monkeypatch.delenv("A_KEY", raising=False)
    monkeypatch.delenv("A_BASE", raising=False)
    with pytest.raises(deck.MissingCredentialError) as info:
        a.credentials()
    assert (
        str(info.value)
        == "backend 'a' needs environment variable A_KEY (for api_key), but it is not set"
    )
    monkeypatch.setenv("A_KEY", "k")
    assert a.credentials() == {"api_key": "k", "endpoint": "https://a.test"}


C_VARS = ("C_HOST", "C_KEY", "C_ORG", "C_PATH", "C_REGION", "C_VAULT")


def test_credentials_name_every_missing_reference_of_every_field(
    deck: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not the first: every field, a chain as its parts joined by "or", a variable with every key
    that needs it; a reference with a default is never missing; options the same."""
    for var in C_VARS:
        monkeypatch.delenv(var, raising=False)
    c = deck.backend("c")
    with pytest.raises(deck.MissingCredentialError) as info:
        c.credentials()
    assert str(info.value) == (
        "backend 'c' needs environment variables C_KEY or C_VAULT (for api_key), C_HOST (for "
        "endpoint), C_ORG (for org, project), but they are not set"
    )
    with pytest.raises(deck.MissingCredentialError) as info:
        c.resolved_options()
    assert str(info.value) == (
        "backend 'c' needs environment variables C_REGION (for region), C_ORG (for tenant), but "
        "they are not set"
    )
    monkeypatch.setenv("C_VAULT", "v")  # one part of the chain is enough
    monkeypatch.setenv("C_HOST", "https://c.test")
    with pytest.raises(deck.MissingCredentialError) as info:
        c.credentials()
    assert str(info.value) == (
        "backend 'c' needs environment variable C_ORG (for org, project), but it is not set"
    )
    monkeypatch.setenv("C_ORG", "o")
    assert c.credentials() == {
        "api_key": "v",
        "endpoint": "https://c.test/v1/chat",
        "org": "o",
        "project": "o",
    }


def test_credentials_from_a_secret_source_say_where_each_part_is_read(
    deck: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in C_VARS:
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(deck.MissingCredentialError) as info:
        deck.backend("c").credentials({"C_HOST": "https://c.test"})
    assert str(info.value) == (
        "backend 'c' needs environment variable C_KEY or secret C_VAULT (for api_key), secret "
        "C_ORG (for org, project), but they are not set"
    )


def test_credentials_read_secrets_from_the_source_given(
    deck: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bare `${A_KEY}` is a secret (Pipelex's rule): the environment unless a source is given."""
    monkeypatch.setenv("A_KEY", "from-env")
    a = deck.backend("a")
    assert a.credentials({"A_KEY": "from-vault"})["api_key"] == "from-vault"
    with pytest.raises(deck.MissingCredentialError) as info:
        a.credentials({})
    assert str(info.value) == "backend 'a' needs secret A_KEY (for api_key), but it is not set"


# --- records ----------------------------------------------------------------------------------


class Point(Record):
    __slots__ = ("x", "y")
    _required = ("x",)


def test_a_record_is_built_by_keyword_and_checks_its_fields() -> None:
    assert Point(x=1) == Point(x=1, y=None) and Point(x=1) != Point(x=2)
    with pytest.raises(TypeError, match="Point: missing x; unknown z"):
        Point(z=1)
    assert repr(Point(x=1, y=(1, 2))) == "Point(x=1, y=(1, 2))"
    assert Point(x=1).__eq__(object()) is NotImplemented


def test_thaw_makes_read_only_mappings_all_the_way_down() -> None:
    value = thaw((..., "a", (..., "b", (1, (..., "c", 2))), "d", ()))
    assert value == {"a": {"b": (1, {"c": 2})}, "d": ()}
    assert isinstance(value, FrozenDict) and isinstance(value["a"]["b"][1], FrozenDict)
    mutates: list[Callable[[], object]] = [
        lambda: value.__setitem__("x", 1),
        lambda: value.pop("a"),
        lambda: value.update(x=1),
        lambda: value.setdefault("x", 1),
        lambda: value.clear(),
    ]
    for mutate in mutates:
        with pytest.raises(TypeError, match="read-only"):
            mutate()
    assert hash(value) == hash(thaw((..., "d", (), "a", (..., "b", (1, (..., "c", 2))))))


# --- one grammar, one expander: the compiler's and the generated package's ---------------------


@functools.cache
def generated_module(name: str) -> Any:
    """A module of the committed generated package's runtime copy (imported once)."""
    package = import_generated(GENERATED).__name__.rsplit(".", 1)[0]
    return importlib.import_module(f"{package}._runtime.{name}")


_PIECES = st.sampled_from(
    ["${", "}", ":-", "A", "B_1", "1", "$", "{", "x", "-", "é", "", "|", "env:", "secret:"]
)
_ENVIRONMENT = st.dictionaries(
    st.sampled_from(["A", "B_1", "C"]), st.sampled_from(["", "v", "${A}"])
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join), _ENVIRONMENT)
def test_the_compiler_and_the_runtime_expand_alike(text: str, environ: dict[str, str]) -> None:
    copied = generated_module("envvars")
    assert copied is not envvars
    assert copied.expand(text, environ) == envvars.expand(text, environ)
    assert copied.malformed(text) == envvars.malformed(text)
    value, missing = envvars.expand(text, environ)
    # what validate calls unset is exactly what the runtime finds missing
    unset = list(
        dict.fromkeys(
            name
            for ref in envvars.references(text)
            if envvars.value_of(ref, environ) is None
            for name in ref.names
        )
    )
    assert missing == unset
    if envvars.malformed(text) is None:
        assert "${" not in value or "${" in "".join(environ.values())


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["$", "@", "~", "preset:", "alias:", "waterfall:", "handle:", "x", ":", ""]
        ),
        max_size=5,
    ).map("".join)
)
def test_the_compiler_and_the_runtime_read_references_alike(text: str) -> None:
    copied = generated_module("references")
    assert copied.parse(text) == references.parse(text)
    kind, name = references.parse(text)
    if kind != references.BARE:
        assert references.spell(kind, name) in (text, references.SIGILS[kind] + name)


# --- costs ------------------------------------------------------------------------------------


def test_call_cost_is_per_million_tokens_in_exact_decimals() -> None:
    from decimal import Decimal

    from compiler.runtime.costs import call_cost

    costs = {"input": 0.15, "output": 0.6}
    assert call_cost(costs, 1234, 0) == Decimal("0.0001851")  # as floats: 0.00018509999...
    assert call_cost(costs, 1_000_000, 1_000_000) == Decimal("0.75")
    # cached input tokens are part of the input: half the input price unless the spec says
    half = 600 * Decimal("0.15") + 400 * Decimal("0.075")
    assert call_cost(costs, 1000, 0, 400) == half / 10**6
    own = {"input": 2.5, "output": 10.0, "input_cached": 1.25}
    assert call_cost(own, 1000, 10, 1000) == Decimal("0.00135")
    # as Pipelex: a zero cached price is "not given"; a missing price is zero; no costs: unrated
    assert call_cost({"input": 2.0, "input_cached": 0.0}, 0, 0, 0) == 0
    assert call_cost({"input": 2.0, "input_cached": 0.0}, 10, 0, 10) == Decimal("0.00001")
    assert call_cost({"output": 1.0}, 10, 1) == Decimal("0.000001")
    assert call_cost(None, 10, 1) is None
    assert call_cost({}, 10, 1) is None


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ((-1, 0, 0), "input_tokens must be a whole number"),
        ((1, 2.5, 0), "output_tokens must be a whole number"),
        ((1, 0, True), "cached_input_tokens must be a whole number"),
        ((1, 0, 2), r"cached_input_tokens \(2\) counts part of input_tokens \(1\)"),
    ],
)
def test_call_cost_refuses_impossible_counts(counts: tuple[Any, Any, Any], message: str) -> None:
    from compiler.runtime.costs import call_cost

    with pytest.raises(ValueError, match=message):
        call_cost({"input": 1.0}, *counts)
