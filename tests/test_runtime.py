"""The generated runtime answers exactly what the lockfile says, for every handle and profile."""

from __future__ import annotations

import copy
import os
import pickle
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.core.ir import ModelType
from compiler.emit.lock import Lockfile, Resolution, Routing
from compiler.emit.lockread import parse_lock
from compiler.emit.write import write_outputs
from compiler.pipeline import compile_dir
from conformance.compare import import_generated
from tests.conftest import GENERATED, ROOT, compiling_case_dirs

VALID_CASES = compiling_case_dirs()


def compiled(config_dir: Path, out: Path) -> tuple[ModuleType, Lockfile]:
    build = compile_dir(config_dir)
    write_outputs(out, build.files)
    return import_generated(out), build.lock


def expected_answer(
    lock: Lockfile, model_type: ModelType, entry: Resolution
) -> tuple[str, str, str] | None:
    if entry.backend is None or entry.model is None:
        return None
    spec = lock.spec(model_type, entry.backend, entry.model)
    return entry.backend, entry.model, spec["model_id"]


def as_resolution(model: str, routing: Routing) -> Resolution:
    return Resolution(routing.backend, model, (model,), unavailable=routing.unavailable)


def check_against_lock(deck: ModuleType, lock: Lockfile) -> int:
    """Every handle, preset and choice under every profile; returns how many were compared."""
    compared = 0
    llm = ModelType.LLM
    for profile, body in lock.profiles.items():
        data = body.answers[llm]
        table: dict[str, Resolution] = dict(data.aliases)
        for model, routing in data.routing.items():  # a served model before an alias (Pipelex)
            if routing.backend is not None or model not in table:
                table[model] = as_resolution(model, routing)
        for handle, entry in table.items():
            expected = expected_answer(lock, llm, entry)
            if expected is None:
                with pytest.raises(deck.LLMHandleNotFoundError, match="unavailable"):
                    deck.resolve(handle, profile)
            else:
                record = deck.resolve(handle, profile)
                assert (record.backend, record.model, record.model_id) == expected
                assert (record.profile, record.path) == (profile, entry.path)
                assert record.spec.model_id == expected[2]
            compared += 1
        for name, entry in data.presets.items():
            params = lock.decks[llm].presets[name]
            expected = expected_answer(lock, llm, entry)
            if expected is None:
                with pytest.raises(deck.LLMHandleNotFoundError, match="unavailable"):
                    deck.preset(name, profile)
                continue
            record = deck.preset(name, profile)
            assert (record.backend, record.model, record.model_id) == expected
            assert record.path == entry.path
            assert record.temperature == params.get("temperature")
            max_tokens = params.get("max_tokens")
            assert record.max_tokens == (None if max_tokens == "auto" else max_tokens)
            assert deck.resolve(f"${name}", profile) is record
            compared += 1
        for kind, choice in lock.decks[llm].choices.items():
            if choice.target is None:
                continue
            source = data.presets if choice.kind == "preset" else table
            target = choice.target.removeprefix("@").removeprefix("alias:")
            answer = expected_answer(lock, llm, source[target])
            if answer is not None:
                record = deck.choice(kind, profile)
                assert (record.backend, record.model) == answer[:2]
    return compared


@pytest.mark.parametrize("case", VALID_CASES, ids=lambda p: p.name)
def test_runtime_matches_lockfile_for_every_handle_and_profile(case: Path, tmp_path: Path) -> None:
    deck, lock = compiled(case / "inference", tmp_path / "out")
    assert check_against_lock(deck, lock) > 0
    assert lock_sha(tmp_path / "out") == deck.LOCK_SHA256


def lock_sha(out: Path) -> str:
    import hashlib

    return hashlib.sha256((out / "deck.lock.json").read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def example() -> tuple[ModuleType, Lockfile]:
    deck = import_generated(GENERATED)
    lock = parse_lock((GENERATED / "deck.lock.json").read_text(encoding="utf-8"), "lock")
    return deck, lock


def test_committed_runtime_matches_its_lockfile(example: tuple[ModuleType, Lockfile]) -> None:
    deck, lock = example
    assert check_against_lock(deck, lock) > 50
    assert lock_sha(GENERATED) == deck.LOCK_SHA256
    assert lock.active_profile == deck.ACTIVE_PROFILE
    assert set(deck.PROFILES) == set(lock.profiles)


def test_lookups_are_cached_records(example: tuple[ModuleType, Lockfile]) -> None:
    deck, _ = example
    first = deck.resolve("best-claude")
    assert deck.resolve("best-claude") is first
    with pytest.raises(AttributeError, match="read-only"):
        first.model = "other"


def test_unknown_handle_suggests_close_matches(example: tuple[ModuleType, Lockfile]) -> None:
    deck, _ = example
    with pytest.raises(deck.LLMHandleNotFoundError) as info:
        deck.resolve("best-claud")
    assert str(info.value).startswith("unknown handle 'best-claud'; did you mean 'best-claude'")
    assert isinstance(info.value, KeyError)


def test_a_preset_asked_for_as_a_handle_gets_the_call_that_asks_for_it(
    example: tuple[ModuleType, Lockfile],
) -> None:
    deck, _ = example
    with pytest.raises(deck.LLMHandleNotFoundError) as handle:
        deck.resolve("cheap_llm_for_text")
    assert str(handle.value) == (
        "unknown handle 'cheap_llm_for_text'; a preset has that name: use "
        "'$cheap_llm_for_text' or deck.preset('cheap_llm_for_text')"
    )
    with pytest.raises(deck.LLMPresetNotFoundError) as preset:
        deck.preset("best-claude")
    assert str(preset.value) == (
        "unknown preset 'best-claude'; an alias has that name: use deck.resolve('best-claude')"
    )


def test_unavailable_handle_gives_the_compile_time_reason(
    example: tuple[ModuleType, Lockfile],
) -> None:
    deck, _ = example
    with pytest.raises(deck.LLMHandleNotFoundError) as info:
        deck.resolve("open-gpt", "mixed")
    assert str(info.value) == (
        "handle 'open-gpt' is unavailable under profile 'mixed': open-gpt -> gpt-oss-120b: "
        "route `gpt-*` of profile mixed sends it to backend openai, which does not serve "
        "gpt-oss-120b"
    )


def test_explicit_namespaces(example: tuple[ModuleType, Lockfile]) -> None:
    deck, _ = example
    assert isinstance(deck.resolve("@llm_to_engineer"), deck.HandleRecord)
    assert deck.resolve("alias:llm_to_engineer").path[0] == "llm_to_engineer"
    assert deck.resolve("$llm_to_engineer").preset == "llm_to_engineer"
    assert deck.resolve("preset:llm_to_engineer").temperature == 0.3
    assert deck.resolve("handle:gpt-4o").model == "gpt-4o"
    with pytest.raises(deck.LLMHandleNotFoundError, match="no alias named 'gpt-4o'"):
        deck.resolve("@gpt-4o")
    with pytest.raises(deck.LLMHandleNotFoundError, match="no waterfall named 'best-llm'"):
        deck.resolve("~best-llm")
    with pytest.raises(deck.LLMPresetNotFoundError, match="unknown preset 'nope'"):
        deck.preset("nope")
    with pytest.raises(deck.ProfileNotFoundError, match="'nowhere'"):
        deck.resolve("gpt-4o", "nowhere")


def test_a_handle_record_and_a_preset_record(example: tuple[ModuleType, Lockfile]) -> None:
    deck, _ = example
    handle = deck.resolve("best-llm", "mixed")
    assert isinstance(handle, deck.HandleRecord) and not isinstance(handle, deck.PresetRecord)
    assert (handle.handle, handle.model, handle.model_type) == (
        "best-llm",
        "claude-4.1-opus",
        "llm",
    )
    preset = deck.preset("llm_for_long_analysis", "mixed")
    assert isinstance(preset, deck.PresetRecord)
    assert (preset.preset, preset.target, preset.model) == (
        "llm_for_long_analysis",
        "best-llm",
        "claude-4.1-opus",
    )
    assert (preset.temperature, preset.max_tokens, preset.reasoning_effort) == (0.2, 16000, "high")
    assert preset.prompting_target == preset.spec.prompting_target == "anthropic"  # from the spec
    assert deck.preset("llm_to_reason").max_tokens is None  # "auto"


def test_choice_follows_overrides(example: tuple[ModuleType, Lockfile]) -> None:
    deck, lock = example
    for kind, choice in lock.decks[ModelType.LLM].choices.items():
        assert deck.choice(kind).preset == choice.target
    with pytest.raises(deck.LLMPresetNotFoundError, match="no choice 'for_txt' is configured"):
        deck.choice("for_txt")


def test_records_are_immutable_all_the_way_down(example: tuple[ModuleType, Lockfile]) -> None:
    deck, _ = example
    record = deck.resolve("claude-4.1-opus", "mixed")
    assert record.spec.costs == {"input": 15.0, "output": 75.0}
    with pytest.raises(TypeError, match="read-only"):
        record.spec.costs["input"] = 0
    with pytest.raises(TypeError, match="read-only"):
        record.spec.valued_constraints.update(x=1)
    with pytest.raises(AttributeError, match="read-only"):
        record.spec.max_tokens = 1
    with pytest.raises(AttributeError, match="read-only"):
        del record.model
    assert isinstance(record.spec.inputs, tuple) and isinstance(record.path, tuple)
    assert deck.resolve("claude-4.1-opus", "mixed").spec.costs["input"] == 15.0


def test_records_hash_copy_and_pickle_by_value(example: tuple[ModuleType, Lockfile]) -> None:
    deck, _ = example
    record = deck.preset("llm_for_long_analysis", "mixed")
    assert copy.copy(record) is record and copy.deepcopy(record) is record
    again = pickle.loads(pickle.dumps(record))
    assert again == record and again is not record and again.spec.costs == record.spec.costs
    assert hash(again) == hash(record) and len({record, again}) == 1  # equal values
    other = deck.preset("llm_for_long_analysis", "direct")  # the same model, another profile
    assert other.spec == record.spec and hash(other.spec) == hash(record.spec)
    assert other != record and len({record, again, other}) == 2
    backend = deck.backend("mistral")
    assert pickle.loads(pickle.dumps(backend)) == backend
    assert hash(backend.credential_refs) == hash(deck.backend("mistral").credential_refs)


def test_a_handle_read_at_run_time_needs_no_cast(example: tuple[ModuleType, Lockfile]) -> None:
    deck, _ = example
    name: str = "best-claude"
    assert deck.lookup(name) is deck.resolve("best-claude")
    assert deck.lookup("$llm_to_extract", "mixed") is deck.preset("llm_to_extract", "mixed")


def test_the_empty_profile_is_an_error_not_the_active_one(
    example: tuple[ModuleType, Lockfile],
) -> None:
    deck, _ = example
    calls: list[Callable[[], object]] = [
        lambda: deck.resolve("best-claude", ""),
        lambda: deck.preset("llm_to_extract", ""),
        lambda: deck.choice("for_text", ""),
    ]
    for call in calls:
        with pytest.raises(deck.ProfileNotFoundError, match="names routing profile ''"):
            call()
    with pytest.raises(deck.ProfileNotFoundError) as info:
        deck.resolve("best-claude", "mixd")
    assert str(info.value) == (
        "profile= names routing profile 'mixd', which does not exist; did you mean 'mixed'?"
    )


def test_model_types_are_a_keyword(example: tuple[ModuleType, Lockfile]) -> None:
    deck, _ = example
    assert deck.MODEL_TYPES == ("llm",)
    assert deck.resolve("best-claude", model_type="llm") is deck.resolve("best-claude")
    assert deck.preset("llm_to_extract", None, "llm") is deck.preset("llm_to_extract")
    calls: list[Callable[[], object]] = [
        lambda: deck.resolve("best-claude", model_type="img_gen"),
        lambda: deck.preset("x", model_type="img_gen"),
        lambda: deck.choice("choice_default", model_type="img_gen"),
        lambda: deck.handles("img_gen"),
    ]
    for call in calls:
        with pytest.raises(deck.ModelTypeNotFoundError, match="no model of type 'img_gen'"):
            call()


def test_the_deck_lists_its_names(example: tuple[ModuleType, Lockfile]) -> None:
    deck, lock = example
    llm = lock.decks[ModelType.LLM]
    models = {m for named in lock.models[ModelType.LLM].values() for m in named}
    assert deck.handles() == tuple(sorted(models | set(llm.aliases)))
    assert deck.aliases() == tuple(sorted(llm.aliases))
    assert deck.waterfalls() == ()
    assert deck.presets() == tuple(sorted(llm.presets))
    assert deck.choices() == ("for_object", "for_text")
    for name in deck.handles():
        try:
            deck.resolve(name)
        except deck.LLMHandleNotFoundError as unavailable:
            assert "is unavailable under profile" in str(unavailable)


def test_credentials_are_read_only_when_asked(
    example: tuple[ModuleType, Lockfile], monkeypatch: pytest.MonkeyPatch
) -> None:
    deck, lock = example
    name, backend = next(  # a backend of several variables, none with a default
        (n, b)
        for n, b in lock.backends.items()
        if len(b.env_vars) > 1 and not any(":-" in ref for ref in b.credential_refs.values())
    )
    record = deck.backend(name)
    assert record.credential_refs == backend.credential_refs
    for var in backend.env_vars:
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(deck.MissingCredentialError) as info:
        record.credentials()
    for var in backend.env_vars:  # every missing variable is named, not the first
        assert f"{var} (for " in str(info.value)
    assert str(info.value).startswith(f"backend '{name}' needs environment variables ")
    for var in backend.env_vars:  # set after the import: read when credentials() is called
        monkeypatch.setenv(var, f"value-of-{var}")
    values = record.credentials()
    assert all("${" not in v for v in values.values())
    for var in backend.env_vars:
        assert any(f"value-of-{var}" in value for value in values.values())
    monkeypatch.setenv(backend.env_vars[0], "changed")
    assert any("changed" in value for value in record.credentials().values())
    assert "value-of-" not in repr(record)


def test_credential_defaults(
    example: tuple[ModuleType, Lockfile], monkeypatch: pytest.MonkeyPatch
) -> None:
    deck, _ = example
    mistral = deck.backend("mistral")
    monkeypatch.setenv("MISTRAL_API_KEY", "k")
    monkeypatch.delenv("MISTRAL_API_BASE", raising=False)
    assert mistral.credentials()["endpoint"] == "https://api.mistral.ai/v1"
    monkeypatch.setenv("MISTRAL_API_BASE", "")  # empty, with a default: the default
    assert mistral.credentials()["endpoint"] == "https://api.mistral.ai/v1"
    monkeypatch.setenv("MISTRAL_API_BASE", "https://eu.example.test/v1")
    assert mistral.credentials()["endpoint"] == "https://eu.example.test/v1"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_string_resolves_or_raises_a_lookup_error(text: str) -> None:
    deck = import_generated_once()
    try:
        record = deck.resolve(text)
    except deck.DeckLookupError:
        return
    assert record.backend in deck.PROFILES or record.backend  # a real record


_DECK: list[ModuleType] = []


def import_generated_once() -> ModuleType:
    if not _DECK:
        _DECK.append(import_generated(GENERATED))
    return _DECK[0]


def run_isolated(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a Python without site-packages (-S -I), from the repository root."""
    return subprocess.run(
        [
            sys.executable,
            "-S",
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{code}",
        ],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), **env},
        check=False,
    )


def test_generated_module_runs_without_site_packages() -> None:
    result = run_isolated(
        "from generated import deck\n"
        "r = deck.resolve('best-claude')\n"
        "print(r.backend, r.model, deck.preset('llm_to_reason').max_tokens)\n"
        "print(sorted(m for m in sys.modules if m.startswith('compiler')))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["pipelex_inference claude-4.1-opus None", "[]"]


def test_routing_profile_environment_override() -> None:
    result = run_isolated(
        "from generated import deck\n"
        "print(deck.ACTIVE_PROFILE, deck.resolve('best-claude').backend)",
        DECK_ROUTING_PROFILE="mixed",
    )
    assert result.stdout.split() == ["mixed", "anthropic"], result.stderr
    imported = run_isolated(
        "from generated import deck\nprint(deck.ACTIVE_PROFILE)", DECK_ROUTING_PROFILE="nope"
    )  # an unknown profile does not break the import ...
    assert (imported.returncode, imported.stdout) == (0, "nope\n"), imported.stderr
    bad = run_isolated(
        "from generated import deck\ndeck.resolve('gpt-4o', 'mixed')\ndeck.resolve('gpt-4o')",
        DECK_ROUTING_PROFILE="nope",
    )  # ... nor a look-up naming its profile; the first that needs it says why
    assert bad.stderr.strip().splitlines()[-1] == (
        "generated._runtime.lookup.ProfileNotFoundError: DECK_ROUTING_PROFILE names routing "
        "profile 'nope', which does not exist; profiles: all_pipelex, azure_first, direct, mixed"
    )
    misspelt = run_isolated(
        "from generated import deck\ndeck.choice('for_text')", DECK_ROUTING_PROFILE="dirct"
    )
    assert misspelt.stderr.strip().splitlines()[-1] == (
        "generated._runtime.lookup.ProfileNotFoundError: DECK_ROUTING_PROFILE names routing "
        "profile 'dirct', which does not exist; did you mean 'direct'?"
    )


def test_import_parses_nothing() -> None:
    result = run_isolated(
        "from generated import deck\n"
        "heavy = {'json', 'tomllib', 'tomli', 're', 'typing', 'dataclasses', 'difflib'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    assert result.stdout.strip() == "[]", result.stderr


@pytest.mark.mypy
def test_literal_handles_catch_typos_under_mypy(tmp_path: Path) -> None:
    from mypy import api

    script = tmp_path / "use_deck.py"
    script.write_text(
        "from generated import deck\n"
        "deck.resolve('best-claude')\n"
        "deck.resolve('best-claud')\n"
        "deck.preset('llm_to_extract', profile='mixed')\n"
    )
    stdout, _, status = api.run(
        ["--strict", "--no-incremental", "--cache-dir=/dev/null", str(script)]
    )
    assert status == 1
    assert 'use_deck.py:3: error: No overload variant of "resolve" matches argument' in stdout
    assert "use_deck.py:2:" not in stdout and "use_deck.py:4:" not in stdout


def test_records_compare_and_print_by_value(example: tuple[ModuleType, Lockfile]) -> None:
    deck, _ = example
    openai, anthropic = deck.backend("openai"), deck.backend("anthropic")
    assert openai != anthropic
    assert openai == deck.backend("openai")
    assert repr(openai).startswith(
        "BackendRecord(credential_refs=FrozenDict({'api_key': '${OPENAI_API_KEY}', "
        "'endpoint': '${OPENAI_BASE_URL:-https://api.openai.com/v1}'})"
    )
    assert "name='openai'" in repr(openai)


def test_messages_name_deckc_commands_not_make_targets() -> None:
    """Users have deckc, not this repository's Makefile: no message, hint or header of the compiler,
    its templates or a generated package tells them to run a make target."""
    phony = next(
        line for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith(".PHONY:")
    )
    target = re.compile(rf"\bmake ({'|'.join(map(re.escape, phony.split()[1:]))})\b")
    sources = [
        path
        for folder in ("compiler", "templates", "generated")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.suffix in (".py", ".pyi", ".j2", ".json") and "__pycache__" not in path.parts
    ]
    assert len(sources) > 20
    found = [
        f"{path.relative_to(ROOT)}: {match.group()}"
        for path in sources
        for match in target.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def check_candidates(deck: ModuleType, lock: Lockfile) -> None:
    """Every alias, waterfall and preset: the first candidate is resolve's answer, no model twice,
    and every later one is what the chain entry it went through resolves to."""
    llm = ModelType.LLM
    for profile, body in lock.profiles.items():
        data = body.answers[llm]
        handles = [*data.aliases, *data.waterfalls, *(f"${name}" for name in data.presets)]
        for handle in handles:
            try:
                first = deck.resolve(handle, profile)
            except deck.DeckLookupError:
                with pytest.raises(deck.DeckLookupError):
                    deck.candidates(handle, profile)
                continue
            found = deck.candidates(handle, profile)
            assert found[0] == first
            assert all(type(r) is type(first) for r in found)
            assert len({(r.backend, r.model) for r in found}) == len(found)
            for record in found[1:]:
                assert record.path[0] == first.path[0]
                entry = deck.resolve(f"handle:{record.path[1]}", profile)
                assert record.path[-1] == record.model
                assert (entry.backend, entry.model) != (None, None)


@pytest.mark.parametrize("case", VALID_CASES, ids=lambda p: p.name)
def test_candidates_start_with_the_answer_for_every_chain_and_profile(
    case: Path, tmp_path: Path
) -> None:
    deck, lock = compiled(case / "inference", tmp_path / "out")
    check_candidates(deck, lock)


def test_candidates_list_a_chain_available_entries_in_order(
    example: tuple[ModuleType, Lockfile],
) -> None:
    deck, lock = example
    check_candidates(deck, lock)

    def answers(handle: str, profile: str) -> list[tuple[str, str, tuple[str, ...]]]:
        return [(r.backend, r.model, r.path) for r in deck.candidates(handle, profile)]

    assert answers("llm_to_engineer", "direct") == [
        ("anthropic", "claude-4.1-opus", ("llm_to_engineer", "claude-4.1-opus")),
        ("google", "gemini-2.5-pro", ("llm_to_engineer", "gemini-2.5-pro")),
    ]
    # open-gpt is skipped under azure_first (the lockfile says why): one candidate is left
    assert answers("llm_for_bulk", "azure_first") == [
        ("mistral", "mistral-small", ("llm_for_bulk", "mistral-small"))
    ]
    # a nested alias is followed: its path goes through it
    assert answers("@llm_for_private_data", "direct")[1] == (
        "anthropic",
        "claude-4.1-opus",
        ("llm_for_private_data", "best-claude", "claude-4.1-opus"),
    )
    # a plain handle: its record alone; a preset: one PresetRecord per candidate, its parameters
    assert deck.candidates("gpt-5", "direct") == (deck.resolve("gpt-5", "direct"),)
    presets = deck.candidates("$llm_for_private_data", "direct")
    assert [(p.preset, p.model, p.temperature) for p in presets] == [
        ("llm_for_private_data", "meta/llama-3.1-70b", 0.2),
        ("llm_for_private_data", "claude-4.1-opus", 0.2),
    ]
    assert presets[0] == deck.preset("llm_for_private_data", "direct")
    with pytest.raises(deck.LLMHandleNotFoundError, match="unknown handle"):
        deck.candidates("no-such-handle")


def test_cost_of_a_call_follows_the_handle_to_its_spec(
    example: tuple[ModuleType, Lockfile],
) -> None:
    from decimal import Decimal

    deck, _ = example
    # gpt-4o under direct: $2.5 in, $10 out per million, no cached price: half the input's
    assert deck.resolve("gpt-4o", "direct").spec.costs == {"input": 2.5, "output": 10.0}
    found = deck.cost("gpt-4o", 1234, 567, cached_input_tokens=200, profile="direct")
    assert found == Decimal("0.008505") and isinstance(found, Decimal)
    # a preset and an alias price the model they resolve to, under the profile asked
    preset = deck.preset("llm_for_long_analysis", "direct")
    assert deck.cost("$llm_for_long_analysis", 10, 10, profile="direct") == deck.cost(
        preset.model, 10, 10, profile="direct"
    )
    with pytest.raises(deck.LLMHandleNotFoundError):
        deck.cost("no-such-handle", 1, 1)
    with pytest.raises(ValueError, match="cannot be larger"):
        deck.cost("gpt-4o", 1, 1, cached_input_tokens=2)
