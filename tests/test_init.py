"""``deckc init`` (issue 12, "Getting started"): a configuration for the providers named, in either
layout, that compiles and validates as written, with every credential a ``${VAR}`` reference.

Pipelex 0.92 requires an image generation and a web search default: where no provider named
serves one (only openai, google and azure_openai generate images, only linkup searches), the
scaffold names a stand-in and ``validate`` warns about exactly those choices, as ``init`` says;
every other finding is a failure here.  ``tests/init/pipelex_answers_*.json`` are what Pipelex
0.92.2 and 0.10.2 themselves answer for the scaffolds (each provider alone, and all of them),
made with::

    .venv/bin/python -c 'from tests.test_init import write_all; write_all("/tmp/init")'
    .venv-pipelex-0.92/bin/python tools/pipelex_answers.py --credentials dummy \\
        $(for d in /tmp/init/pipelex-0.92/*; do echo "${d##*/}=$d"; done) \\
        -o tests/init/pipelex_answers_092.json
    .venv-pipelex-0.10/bin/python tools/pipelex_answers_010.py --credentials dummy \\
        $(for d in /tmp/init/pipelex-0.10/*; do echo "${d##*/}=$d"; done) \\
        -o tests/init/pipelex_answers_010.json

(run them again whenever the providers' data in ``compiler/review/init_catalog.py`` changes).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from compiler.core.ir import Dialect, is_secret_key
from compiler.review.init import InitError, next_steps, scaffold, supported
from compiler.review.init_catalog import BY_NAME, PROVIDERS, Role
from compiler.review.init_render import toml_value
from compiler.runtime import envvars
from conformance.compare import compiled, differences, imported, recorded_profiles
from tests.conftest import run

OLD, NEW = Dialect.PIPELEX_0_10, Dialect.PIPELEX_0_92
ANSWERS = Path(__file__).parent / "init"
ALONE = [p.name for p in PROVIDERS if p.serves_llm]  # linkup serves web search only


def all_providers(layout: Dialect) -> list[str]:
    return list(supported(layout))


def scaffolds(layout: Dialect) -> dict[str, list[str]]:
    """The scaffolds checked against Pipelex, by label: each LLM provider alone, and all."""
    return {**{name: [name] for name in ALONE}, "all": all_providers(layout)}


def write(names: list[str], layout: Dialect, config: Path) -> None:
    for rel, text in scaffold(names, layout).files.items():
        (config / rel).parent.mkdir(parents=True, exist_ok=True)
        (config / rel).write_text(text)


def write_all(root: str) -> None:
    """Every scaffold of :func:`scaffolds`, as ``root/<layout>/<label>/``."""
    for layout in (NEW, OLD):
        for label, names in scaffolds(layout).items():
            write(names, layout, Path(root) / layout.value / label)


CASES = [
    *((layout, [name]) for layout in (NEW, OLD) for name in ALONE),
    *((layout, all_providers(layout)) for layout in (NEW, OLD)),
]


def case_id(case: tuple[Dialect, list[str]]) -> str:
    layout, names = case
    return f"{layout.value}-{'all' if len(names) > 1 else names[0]}"


def expected_notes(layout: Dialect, names: list[str]) -> set[tuple[str, str]]:
    """(code, key path) of the notes a scaffold has: the image and search defaults no
    provider named serves, each a dangling handle and a choice unavailable (pipelex-0.92)."""
    if layout is OLD:
        return set()
    found = set()
    for role, family in ((Role.IMAGE, "img_gen"), (Role.SEARCH, "search")):
        if not any(m.role is role for n in names for m in BY_NAME[n].models):
            path = f"{family}.choice_default"
            found |= {("LLMHandleNotFoundError", path), ("unavailable-in-active-profile", path)}
    return found


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- every scaffold compiles and validates as written -----------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_each_scaffold_compiles_and_validates_as_written(
    case: tuple[Dialect, list[str]], workdir: Path
) -> None:
    layout, names = case
    made = run("init", *names, "--layout", layout.value, "--config-dir", "conf")
    assert made.exit_code == 0, made.output
    compiled_out = run("compile", "--config-dir", "conf", "--out", "out")
    assert compiled_out.exit_code == 0, compiled_out.stderr
    lock = json.loads((workdir / "out" / "deck.lock.json").read_text())
    assert lock["dialect"] == layout.value
    result = run(
        "validate", "inference", "--env", "skip", "--format", "json", "--config-dir", "conf"
    )
    findings = {(f["severity"], f["code"], f["key_path"]) for f in json.loads(result.stdout)}
    wanted = expected_notes(layout, names)  # a family no provider serves: notes, as init says
    assert findings == {("info", code, path) for code, path in wanted}
    assert result.exit_code == 0


def test_all_providers_together_validate_with_no_finding(workdir: Path) -> None:
    for layout in (NEW, OLD):
        conf = f"conf-{layout.value}"
        assert run("init", *all_providers(layout), "--layout", layout.value, "--config-dir", conf)
        result = run("validate", "inference", "--env", "skip", "--config-dir", conf)
        assert (result.exit_code, result.stderr) == (0, ""), result.stderr
        assert result.stdout == f"deckc: 0 error(s), 0 warning(s) in {conf}\n"


@pytest.mark.parametrize("layout", [NEW, OLD], ids=lambda d: d.value)
def test_pipelex_answers_as_deckc_does_for_every_scaffold(layout: Dialect, tmp_path: Path) -> None:
    """Pipelex boots every scaffold (with dummy credentials) and answers every served model,
    alias, waterfall, preset and choice as the generated runtime does."""
    answers = ANSWERS / f"pipelex_answers_{'092' if layout is NEW else '010'}.json"
    labels = scaffolds(layout)
    assert set(json.loads(answers.read_text())["directories"]) == set(labels)
    for label, names in labels.items():
        write(names, layout, tmp_path / label / "inference")
        build = compiled(tmp_path / label / "inference")
        deck = imported(build, tmp_path / label / "out")
        for profile, recorded in recorded_profiles(answers, label).items():
            assert recorded["boot"] == "ok", (label, recorded)
            found = differences(build, deck, profile, recorded)
            assert not found, f"{label} {profile}:\n" + "\n".join(found)


# --- what it writes -------------------------------------------------------------------------


@pytest.mark.parametrize("layout", [NEW, OLD], ids=lambda d: d.value)
def test_credentials_are_references_and_every_file_is_toml(layout: Dialect) -> None:
    done = scaffold(all_providers(layout), layout)
    for text in done.files.values():
        tomllib.loads(text)  # a template mistake raises here
    backends = tomllib.loads(done.files["backends.toml"])
    read = []
    for name, table in backends.items():
        for key, value in table.items():
            if key in ("enabled", "display_name"):
                continue
            read += envvars.variables(value)
            if key == "endpoint" and value.startswith(("https://", "http://localhost")):
                continue  # a provider's public (or local) address
            assert envvars.literal_text(value) == "" and envvars.references(value), (name, key)
            assert is_secret_key(key) or key != "api_key"
    assert tuple(read) == done.variables
    assert "api_key" not in backends["ollama"]  # local and keyless
    assert backends["ollama"]["endpoint"] == "http://localhost:11434/v1"


def test_the_variables_have_their_conventional_names() -> None:
    names = set(scaffold(all_providers(NEW), NEW).variables)
    assert names == {
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "GOOGLE_API_KEY",
        "MISTRAL_API_KEY",
        "AZURE_API_BASE",
        "AZURE_API_KEY",
        "AZURE_API_VERSION",
        "AWS_REGION",
        "GCP_PROJECT_ID",
        "GCP_LOCATION",
        "GCP_CREDENTIALS_FILE_PATH",
        "XAI_API_KEY",
        "GROQ_API_KEY",
        "LINKUP_API_KEY",
    }


def test_the_files_of_each_layout() -> None:
    assert list(scaffold(["openai", "anthropic"], NEW).files) == [
        "backends.toml",
        "backends/openai.toml",
        "backends/anthropic.toml",
        "backends/internal.toml",
        "routing_profiles.toml",
        "deck/1_llm_deck.toml",
        "deck/2_img_gen_deck.toml",
        "deck/3_extract_deck.toml",
        "deck/4_search_deck.toml",
        "deck/5_doc_gen_deck.toml",
    ]
    assert list(scaffold(["mistral", "google"], OLD).files) == [
        "backends.toml",
        "backends/mistral.toml",
        "backends/google.toml",
        "routing_profiles.toml",
        "deck/base_deck.toml",
    ]


def test_models_carry_the_sdk_pipelex_names_and_costs_per_million() -> None:
    openai_new = tomllib.loads(scaffold(["openai"], NEW).files["backends/openai.toml"])
    assert openai_new["defaults"]["sdk"] == "openai_responses"
    assert openai_new["gpt-4o-mini"]["costs"] == {"input": 0.15, "output": 0.6}
    assert openai_new["gpt-4o-mini"]["max_tokens"] == 16384
    assert openai_new["gpt-image-1-mini"]["sdk"] == "openai_img_gen"
    openai_old = tomllib.loads(scaffold(["openai"], OLD).files["backends/openai.toml"])
    assert (openai_old["default_sdk"], openai_old["default_prompting_target"]) == (
        "openai",
        "openai",
    )
    assert "gpt-image-1-mini" not in openai_old  # pipelex-0.10's deck knows LLMs only
    google_old = tomllib.loads(scaffold(["google"], OLD).files["backends.toml"])["google"]
    assert google_old["endpoint"] == "https://generativelanguage.googleapis.com/v1beta/openai/"
    bedrock = tomllib.loads(scaffold(["bedrock"], NEW).files["backends/bedrock.toml"])
    assert bedrock["claude-4.5-sonnet"]["sdk"] == "bedrock_anthropic"


def test_one_provider_gets_its_all_profile_several_get_routes_to_who_declares_each() -> None:
    alone = tomllib.loads(scaffold(["anthropic"], NEW).files["routing_profiles.toml"])
    assert alone == {
        "active": "all_anthropic",
        "profiles": {
            "all_anthropic": {
                "description": "Use Anthropic for all its models",
                "default": "anthropic",
            }
        },
    }
    several = tomllib.loads(
        scaffold(["openai", "anthropic", "bedrock"], NEW).files["routing_profiles.toml"]
    )
    profile = several["profiles"]["custom_routing"]
    assert profile["default"] == "openai"
    assert profile["fallback_order"] == ["openai", "anthropic", "bedrock"]
    assert profile["routes"] == {
        "claude-4.5-haiku": "anthropic",
        "claude-4.5-sonnet": "anthropic",  # bedrock declares it too: the first named wins
        "claude-4.5-opus": "anthropic",
        "bedrock-nova-lite": "bedrock",
        "bedrock-nova-pro": "bedrock",
    }
    old = tomllib.loads(scaffold(["openai", "anthropic"], OLD).files["routing_profiles.toml"])
    assert "fallback_order" not in old["profiles"]["custom_routing"]  # Pipelex 0.10 refuses it


def test_the_deck_falls_back_across_the_providers_in_the_order_named() -> None:
    new = tomllib.loads(scaffold(["anthropic", "openai"], NEW).files["deck/1_llm_deck.toml"])
    assert new["llm"]["waterfalls"] == {
        "best-llm": ["claude-4.5-sonnet", "gpt-5.4"],
        "cheap-llm": ["claude-4.5-haiku", "gpt-4o-mini"],
    }
    assert new["llm"]["aliases"] == {"best": "~best-llm", "cheap": "~cheap-llm"}
    assert new["llm"]["choice_defaults"] == {
        "default_temperature": 0.7,
        "for_text": "$default",
        "for_object": "$structured",
    }
    old = tomllib.loads(scaffold(["anthropic", "openai"], OLD).files["deck/base_deck.toml"])
    assert old["aliases"] == {
        "best": ["claude-4.5-sonnet", "gpt-5.4"],
        "cheap": ["claude-4.5-haiku", "gpt-4o-mini"],
    }
    assert old["llm_presets"]["default"] == {"llm_handle": "cheap", "temperature": 0.7}
    assert old["llm_choice_defaults"] == {"for_text": "default", "for_object": "structured"}


def test_scaffold_is_pure_and_deterministic(workdir: Path) -> None:
    assert scaffold(["openai", "mistral"]) == scaffold(["openai", "mistral", "openai"])
    assert list(workdir.iterdir()) == []


def test_toml_values_are_quoted_literals() -> None:
    assert toml_value('a "b"\\\n\x7f') == '"a \\"b\\"\\\\\\n\\u007f"'
    assert toml_value({"x.y": [1, 0.5, True]}) == '{ "x.y" = [1, 0.5, true] }'
    assert toml_value({}) == "{}"
    with pytest.raises(ValueError, match="finite"):
        toml_value(float("nan"))


# --- the command ------------------------------------------------------------------------------


def test_init_prints_what_it_wrote_and_what_to_do_next(workdir: Path) -> None:
    result = run("init", "openai", "anthropic", "linkup")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "deckc: wrote 11 file(s) to .pipelex/inference (pipelex-0.92: openai, anthropic, linkup)\n"
        "  .pipelex/inference/backends.toml\n"
        "  .pipelex/inference/backends/openai.toml\n"
        "  .pipelex/inference/backends/anthropic.toml\n"
        "  .pipelex/inference/backends/linkup.toml\n"
        "  .pipelex/inference/backends/internal.toml\n"
        "  .pipelex/inference/routing_profiles.toml\n"
        "  .pipelex/inference/deck/1_llm_deck.toml\n"
        "  .pipelex/inference/deck/2_img_gen_deck.toml\n"
        "  .pipelex/inference/deck/3_extract_deck.toml\n"
        "  .pipelex/inference/deck/4_search_deck.toml\n"
        "  .pipelex/inference/deck/5_doc_gen_deck.toml\n"
        "next steps:\n"
        "  1. set OPENAI_API_KEY, ANTHROPIC_API_KEY, LINKUP_API_KEY in the environment (the files "
        "name them, never hold them)\n"
        "  2. run `deckc compile` to write the lockfile and the Python package\n"
        "  3. run `deckc validate` for every check (`--env require` checks the variables too)\n"
    )
    assert result.stderr == ""
    assert run("compile").exit_code == 0  # found where init wrote it
    assert run("validate", "--env", "skip").exit_code == 0


def test_init_says_which_families_no_provider_named_serves(workdir: Path) -> None:
    result = run("init", "ollama", "--config-dir", "my conf")
    assert result.exit_code == 0
    notes = [line for line in result.stdout.splitlines() if line.startswith("note: ")]
    assert notes == [
        "note: ollama: start Ollama and pull the models: ollama pull gemma3:4b qwen3:8b "
        "mistral-small3.1:24b",
        "note: none of the providers named generates images: deck/2_img_gen_deck.toml names "
        "gpt-image-1-mini, which stays unavailable (`deckc validate` notes it) until a backend "
        "serves it (openai, google or azure_openai has one: `deckc init ollama openai`)",
        "note: none of the providers named searches the web: deck/4_search_deck.toml names "
        "linkup-standard, which stays unavailable (`deckc validate` notes it) until a backend "
        "serves it (linkup has one: `deckc init ollama linkup`)",
    ]
    steps = result.stdout.split("next steps:\n", 1)[1]
    assert steps == (  # no variable to set; the commands name the directory
        "  1. run `deckc compile --config-dir 'my conf'` to write the lockfile and the Python "
        "package\n"
        "  2. run `deckc validate --config-dir 'my conf'` for every check (`--env require` checks "
        "the variables too)\n"
    )


def test_init_notes_a_provider_whose_models_an_earlier_one_declares(workdir: Path) -> None:
    done = scaffold(["openai", "azure_openai"])
    assert (
        "azure_openai: every model it declares is also declared by openai, named before it, so "
        "the profile sends them there: name azure_openai first to prefer it, or route them in "
        "routing_profiles.toml"
    ) in done.notes


def test_init_refuses_a_directory_that_is_not_empty(workdir: Path) -> None:
    (workdir / ".pipelex" / "inference").mkdir(parents=True)
    (workdir / ".pipelex" / "inference" / "backends.toml").write_text("[mine]\n")
    result = run("init", "openai")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "deckc: .pipelex/inference: not an empty directory; not writing anything\n"
        "  hint: deckc init starts a new configuration: pass --config-dir NEW_DIR, or move this "
        "one aside\n"
    )
    assert (workdir / ".pipelex" / "inference" / "backends.toml").read_text() == "[mine]\n"
    (workdir / "empty").mkdir()
    assert run("init", "openai", "--config-dir", "empty").exit_code == 0  # empty is fine


SUPPORTED_NEW = (
    "supported providers: openai, anthropic, google, mistral, azure_openai, bedrock, vertexai, "
    "xai, groq, ollama, linkup"
)


def usage_error(*args: str) -> str:
    result = run("init", *args, "--config-dir", "never")
    assert result.exit_code == 2
    assert not Path("never").exists()
    assert result.stderr.startswith(
        "Usage: cli init [OPTIONS] PROVIDER...\n"
    )  # the runner names it cli
    return result.stderr.split("Error: ", 1)[1]


def test_unknown_providers_are_a_usage_error_with_a_did_you_mean(workdir: Path) -> None:
    assert usage_error("openai", "azure", "antropic", "foo") == (
        "unknown provider `azure`: did you mean `azure_openai`?\n"
        "unknown provider `antropic`: did you mean `anthropic`?\n"
        "unknown provider `foo`\n"
        f"{SUPPORTED_NEW}\n"
    )
    assert usage_error("Gemini").startswith("unknown provider `Gemini`: did you mean `google`?\n")
    assert usage_error("vertx").startswith("unknown provider `vertx`: did you mean `vertexai`?\n")


def test_init_needs_an_llm_provider_in_a_layout_that_has_it(workdir: Path) -> None:
    assert (
        usage_error() == f"name at least one provider, e.g. `deckc init openai`\n{SUPPORTED_NEW}\n"
    )
    assert usage_error("linkup") == (
        "linkup serves no LLM: name an LLM provider too, e.g. `deckc init openai linkup`\n"
        f"{SUPPORTED_NEW}\n"
    )
    assert usage_error("openai", "linkup", "--layout", "pipelex-0.10") == (
        "provider `linkup` has no pipelex-0.10 form (it needs the pipelex-0.92 layout)\n"
        "supported providers: openai, anthropic, google, mistral, azure_openai, bedrock, "
        "vertexai, xai, groq, ollama\n"
    )


def test_init_error_lines_are_the_library_s() -> None:
    with pytest.raises(InitError) as raised:
        scaffold(["opnai"])
    assert raised.value.lines[0] == "unknown provider `opnai`: did you mean `openai`?"


def test_next_steps_without_variables_start_with_the_compile() -> None:
    done = scaffold(["ollama"])
    assert done.variables == ()
    assert next_steps(done)[0] == (
        "  1. run `deckc compile` to write the lockfile and the Python package"
    )


def test_help_lists_the_providers() -> None:
    result = run("init", "--help")
    assert "PROVIDER is one or more of: openai, anthropic," in " ".join(result.stdout.split())
