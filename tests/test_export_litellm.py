"""``deckc export litellm``: the mapping of compiled answers to a LiteLLM proxy config.yaml (one
provider prefix per backend and SDK, aliases, fallback chains, presets, exact costs, variables,
refusals), its checks, its YAML text, and the command.  The real proxy loads it in
test_export_litellm_proxy.py."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.emit.lock import Lockfile
from compiler.pipeline import compile_dir
from compiler.review.litellm import ExportRefused, export, per_token
from compiler.review.litellm_render import problems, render
from tests.conftest import EXAMPLE, run
from tests.export_fixtures import write_providers


@pytest.fixture(scope="module")
def providers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_providers(tmp_path_factory.mktemp("providers") / "inference")


@pytest.fixture(scope="module")
def lock(providers: Path) -> Lockfile:
    return compile_dir(providers).lock


def deployments(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["model_info"]["id"]: d for d in config["model_list"]}


@pytest.mark.parametrize(
    ("deployment_id", "model", "api_base"),
    [
        ("openai/gpt-4o", "openai/gpt-4o", None),
        ("openai/gpt-5", "openai/gpt-5", None),  # model_info mode "responses": see below
        ("anthropic/claude", "anthropic/claude-sonnet-4-20250514", None),
        ("azure_openai/azure-4o", "azure/my-gpt4o-deployment", "os.environ/AZURE_API_BASE"),
        ("bedrock/bedrock-claude", "bedrock/anthropic.claude-3-sonnet", None),
        ("vertexai/vertex-gemini", "vertex_ai/gemini-2.5-pro", None),
        # a Model Garden model Pipelex calls with its OpenAI SDK is LiteLLM's vertex_ai/ too
        ("vertexai/vertex-llama", "vertex_ai/meta/llama-3.1-70b-instruct-maas", None),
        ("google/gemini-flash", "gemini/gemini-2.5-flash", None),
        ("mistral/mistral-large", "mistral/mistral-large-latest", "https://api.mistral.ai/v1"),
        ("groq/llama-groq", "groq/llama-3.3-70b-versatile", "https://api.groq.com/openai/v1"),
        ("xai/grok", "xai/grok-4", "https://api.x.ai/v1"),
        ("ollama/llama-local", "ollama_chat/llama3.2", "http://localhost:11434"),
        ("openrouter/router-model", "openrouter/meta-llama/llama-3-70b", None),
        ("huggingface/hf-model", "huggingface/Qwen/Qwen2.5", None),
        ("gateway/gw-mini", "openai/pipelex/gpt-4o-mini", "os.environ/GATEWAY_BASE"),
    ],
)
def test_each_backend_gets_its_provider_prefix(
    lock: Lockfile, deployment_id: str, model: str, api_base: str | None
) -> None:
    deployment = deployments(export(lock).config)[deployment_id]
    params = deployment["litellm_params"]
    assert deployment["model_name"] == deployment_id.split("/", 1)[1]
    assert params["model"] == model
    assert params.get("api_base") == api_base


def test_settings_become_environment_references_never_values(lock: Lockfile) -> None:
    found = deployments(export(lock).config)
    assert found["azure_openai/azure-4o"]["litellm_params"] == {
        "model": "azure/my-gpt4o-deployment",
        "api_base": "os.environ/AZURE_API_BASE",
        "api_key": "os.environ/AZURE_API_KEY",
        "api_version": "os.environ/AZURE_API_VERSION",
    }
    assert found["vertexai/vertex-gemini"]["litellm_params"] == {
        "model": "vertex_ai/gemini-2.5-pro",
        "vertex_credentials": "os.environ/GCP_CREDENTIALS_FILE_PATH",
        "vertex_location": "os.environ/GCP_LOCATION",
        "vertex_project": "os.environ/GCP_PROJECT_ID",
    }
    assert found["bedrock/bedrock-claude"]["litellm_params"]["aws_region_name"] == (
        "os.environ/AWS_REGION"
    )
    # ${env:NAME} is the environment variable NAME
    assert found["anthropic/claude"]["litellm_params"]["api_key"] == (
        "os.environ/ANTHROPIC_API_KEY"
    )


def test_every_variable_is_listed_and_a_default_is_written_with_a_note(lock: Lockfile) -> None:
    exported = export(lock)
    assert "MISTRAL_API_BASE" not in exported.variables  # written as its default
    assert exported.variables == sorted(
        {
            "ANTHROPIC_API_KEY", "AWS_REGION", "AZURE_API_BASE", "AZURE_API_KEY",
            "AZURE_API_VERSION", "GATEWAY_BASE", "GATEWAY_KEY", "GCP_CREDENTIALS_FILE_PATH",
            "GCP_LOCATION", "GCP_PROJECT_ID", "GOOGLE_API_KEY", "GROQ_API_KEY", "HF_TOKEN",
            "MISTRAL_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY", "XAI_API_KEY",
        }
    )  # fmt: skip
    assert exported.notes == [
        "[mistral] endpoint: `${MISTRAL_API_BASE:-https://api.mistral.ai/v1}` is written as its "
        "default `https://api.mistral.ai/v1` (LiteLLM's os.environ/ has no default, and an unset "
        "one becomes None: LiteLLM issue #6332); the proxy does not read MISTRAL_API_BASE: edit "
        "the default, or pass --set MISTRAL_API_BASE=VALUE, to change it"
    ]


def test_set_gives_a_variable_its_value_now(lock: Lockfile) -> None:
    settings = {"MISTRAL_API_BASE": "http://127.0.0.1:9/mistral", "GATEWAY_BASE": "http://gw"}
    exported = export(lock, settings=settings)
    found = deployments(exported.config)
    assert (
        found["mistral/mistral-large"]["litellm_params"]["api_base"] == settings["MISTRAL_API_BASE"]
    )
    assert found["gateway/gw-mini"]["litellm_params"]["api_base"] == "http://gw"
    assert "GATEWAY_BASE" not in exported.variables and "GATEWAY_KEY" in exported.variables
    assert exported.notes == []  # the default is not written: no note about it


def test_set_never_writes_a_credential_and_an_unread_name_is_refused(lock: Lockfile) -> None:
    with pytest.raises(ExportRefused) as refused:
        export(lock, settings={"GROQ_API_KEY": "gsk-live-1", "GATEWAY_BASS": "http://gw"})
    assert [str(r) for r in refused.value.refusals] == [
        "[groq] api_key: `${GROQ_API_KEY}`: --set never writes a credential into the config",
        "--set GATEWAY_BASS: no exported setting of profile all reads GATEWAY_BASS",
    ]


def test_aliases_fallbacks_and_presets(lock: Lockfile) -> None:
    config = export(lock).config
    found = deployments(config)
    # a one-name alias is a model_group_alias to the handle it resolves to
    assert config["router_settings"]["model_group_alias"] == {"best": "claude"}
    # a chain is a group of its own (LiteLLM skips fallbacks keyed by an alias: #10317)
    smart = found["openai/gpt-5#smart"]
    assert smart["model_name"] == "smart"
    assert smart["litellm_params"]["model"] == "openai/gpt-5"
    assert config["router_settings"]["fallbacks"] == [{"smart": ["claude"]}]
    # a preset is a group carrying its parameters
    cheap = found["gateway/gw-mini#cheap"]
    assert cheap["model_name"] == "cheap"
    assert cheap["litellm_params"]["temperature"] == 0.5
    assert cheap["litellm_params"]["max_tokens"] == 512
    # one deployment per served handle, never a wildcard
    names = [d["model_name"] for d in config["model_list"]]
    assert len(names) == len(set(names)) == 15 + 2
    assert not any("*" in d["litellm_params"]["model"] for d in config["model_list"])


def test_costs_are_exact_decimals_per_token(lock: Lockfile) -> None:
    info = deployments(export(lock).config)["gateway/gw-mini"]["model_info"]
    assert info["input_cost_per_token"] == Decimal("0.00000017")
    assert info["output_cost_per_token"] == Decimal("0.00000066")
    assert per_token(0.17) == Decimal("1.7E-7") and per_token(2.5) == Decimal("0.0000025")
    assert per_token(0.1) * 1_000_000 == Decimal("0.1")  # no binary rounding on the way
    assert (info["max_tokens"], info["max_output_tokens"]) == (4096, 4096)
    assert info["supports_vision"] is True and info["supports_pdf_input"] is False
    text = render(export(lock), ["header"])
    assert "input_cost_per_token: 0.00000017\n" in text  # never 1.7e-07: a string to YAML 1.1
    loaded = yaml.safe_load(text)
    costs = [d["model_info"]["input_cost_per_token"] for d in loaded["model_list"]]
    assert all(isinstance(c, float) for c in costs)


def test_the_yaml_reads_back_as_the_data(lock: Lockfile) -> None:
    exported = export(lock)
    text = render(exported, ["made by a test"])
    assert text.startswith("# made by a test\n#\n# Environment variables the proxy reads")
    plain = yaml.safe_load(text)
    expected = copy.deepcopy(exported.config)
    for deployment in expected["model_list"]:
        info = deployment["model_info"]
        for key in ("input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost"):
            info[key] = float(info[key])
    assert plain == expected
    assert render(exported, ["made by a test"]) == text  # deterministic


def test_checks_catch_what_litellm_would_not(lock: Lockfile) -> None:
    exported = export(lock)
    assert problems(exported) == []
    broken = copy.deepcopy(exported)
    broken.config["router_settings"]["fallbacks"] = [{"smart": ["no-such-group"]}]
    broken.config["model_list"].append(copy.deepcopy(broken.config["model_list"][0]))
    broken.config["model_list"][0]["litellm_params"]["model"] = "openai/*"
    broken.variables.remove("GATEWAY_KEY")
    assert problems(broken) == [
        "model_list/0/litellm_params/model: 'openai/*' does not match "
        "'^(openai/|anthropic/|azure/responses/|azure/|bedrock/|vertex_ai/|"
        "gemini/|mistral/|groq/|xai/|ollama_chat/|openrouter/|huggingface/)[^*]+$'",
        "deployment id `azure_openai/azure-4o` is used twice",
        "fallback of `smart`: no deployment serves `no-such-group`",
        "os.environ/GATEWAY_KEY is not in the list of variables",
    ]


def refusals(tmp_path: Path, old: str, new: str) -> list[str]:
    root = write_providers(tmp_path / "inference")
    backends = root / "backends.toml"
    backends.write_text(backends.read_text().replace(old, new))
    with pytest.raises(ExportRefused) as refused:
        export(compile_dir(root).lock)
    return [str(r) for r in refused.value.refusals]


def test_a_chain_of_variables_is_refused(tmp_path: Path) -> None:
    assert refusals(tmp_path, '"${GROQ_API_KEY}"', '"${env:GROQ_API_KEY|GROQ_KEY}"') == [
        "[groq] api_key: `${env:GROQ_API_KEY|GROQ_KEY}` tries several variables; LiteLLM reads "
        "one: write `${GROQ_API_KEY}`"
    ]


def test_a_key_with_a_default_is_refused(tmp_path: Path) -> None:
    assert refusals(tmp_path, '"${GROQ_API_KEY}"', '"${GROQ_API_KEY:-none}"') == [
        "[groq] api_key: `${GROQ_API_KEY:-none}`: a default key would be written into the config"
    ]


def test_an_endpoint_mixing_text_and_a_variable_is_refused(tmp_path: Path) -> None:
    assert refusals(tmp_path, '"${GATEWAY_BASE}"', '"https://${GATEWAY_HOST}/v1"') == [
        "[gateway] endpoint: `https://${GATEWAY_HOST}/v1` mixes text and references; LiteLLM "
        "reads one variable"
    ]


def test_an_openai_compatible_backend_without_endpoint_is_refused(tmp_path: Path) -> None:
    found = refusals(tmp_path, 'endpoint = "${GATEWAY_BASE}"\n', "")
    assert found == [
        "[gateway] gw-mini: backend `gateway` declares no endpoint: LiteLLM would send its "
        'requests to api.openai.com; add endpoint = "https://..." to [gateway]'
    ]


CONSTRAINED = {  # pipelex-0.92, whose models may list constraints
    "backends.toml": '[gw]\nendpoint = "${GW_BASE}"\napi_key = "${GW_KEY}"\n',
    "backends/gw.toml": """\
[defaults]
sdk = "openai"
inputs = ["text"]
outputs = ["text"]

[plain]
model_id = "plain-1"

[fixed]
model_id = "fixed-1"
valued_constraints = { fixed_temperature = 1 }

[double]
model_id = "double-1"
listed_constraints = ["temperature_must_be_multiplied_by_2"]

[none]
model_id = "none-1"
listed_constraints = ["temperature_unsupported"]
""",
    "routing_profiles.toml": """\
active = "main"

[profiles.main]
description = "one gateway"
default = "gw"
""",
    "deck/1_llm_deck.toml": """\
[llm.choice_defaults]
default_temperature = 0.5
for_text = "plain"
for_object = "plain"

[extract]
choice_default = "plain"

[img_gen]
default_quality = "medium"
choice_default = "plain"

[search]
choice_default = "plain"

[llm.presets]
p-plain = { model = "plain", temperature = 0.3 }
p-fixed = { model = "fixed", temperature = 0.3 }
p-double = { model = "double", temperature = 0.3 }
p-none = { model = "none", temperature = 0.3 }
p-think = { model = "plain", temperature = 0.3, reasoning_effort = "high" }
""",
}


def constrained(root: Path, models: str = "", presets: str = "") -> Lockfile:
    """CONSTRAINED compiled, with more models and presets."""
    more = {"backends/gw.toml": models, "deck/1_llm_deck.toml": presets}
    for name, text in CONSTRAINED.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text + more.get(name, ""))
    return compile_dir(root).lock


def test_a_presets_temperature_follows_its_models_constraints(tmp_path: Path) -> None:
    """The runtime's rule, which sdk_arguments applies too: the presets all say 0.3."""
    found = deployments(export(constrained(tmp_path)).config)
    sent = {
        name: found[f"gw/{name}#p-{name}"]["litellm_params"].get("temperature")
        for name in ("plain", "fixed", "double", "none")
    }
    assert sent == {"plain": 0.3, "fixed": 1.0, "double": 0.6, "none": None}
    # a fixed temperature is sent by every call, without a preset too
    handles = {name: found[f"gw/{name}"]["litellm_params"].get("temperature") for name in sent}
    assert handles == {"plain": None, "fixed": 1.0, "double": None, "none": None}
    # a reasoning call sends no temperature
    assert found["gw/plain#p-think"]["litellm_params"] == {
        "model": "openai/plain-1",
        "api_base": "os.environ/GW_BASE",
        "api_key": "os.environ/GW_KEY",
        "reasoning_effort": "high",
    }


CLAUDES = """
[claude-m]
model_id = "claude-m-1"
sdk = "anthropic"
max_tokens = 8000
thinking_mode = "manual"

[claude-a]
model_id = "claude-a-1"
sdk = "anthropic"
max_tokens = 8000
thinking_mode = "adaptive"

[o-series]
model_id = "o-1"
thinking_mode = "manual"
"""


def test_reasoning_settings_are_sent_as_the_runtime_sends_them(tmp_path: Path) -> None:
    """A manual Claude thinks on the effort's budget, fitted (LiteLLM's ``thinking``); an
    adaptive one gets the effort, which LiteLLM maps; OpenAI's ``max`` is ``xhigh``."""
    lock = constrained(
        tmp_path,
        CLAUDES,
        'think-m = { model = "claude-m", temperature = 0.3, reasoning_effort = "high" }\n'
        'think-a = { model = "claude-a", temperature = 0.3, reasoning_effort = "low" }\n'
        'think-o = { model = "o-series", temperature = 1, reasoning_effort = "max" }\n',
    )
    found = deployments(export(lock).config)
    manual = found["gw/claude-m#think-m"]["litellm_params"]
    assert manual["thinking"] == {"type": "enabled", "budget_tokens": 6000}
    assert "temperature" not in manual and "reasoning_effort" not in manual
    adaptive = found["gw/claude-a#think-a"]["litellm_params"]
    assert (adaptive["reasoning_effort"], "temperature" in adaptive) == ("low", False)
    assert found["gw/o-series#think-o"]["litellm_params"]["reasoning_effort"] == "xhigh"


def test_a_reasoning_setting_the_model_cannot_take_refuses_the_export(tmp_path: Path) -> None:
    lock = constrained(
        tmp_path,
        CLAUDES,
        'budget-o = { model = "o-series", temperature = 1, reasoning_budget = 2048 }\n',
    )
    with pytest.raises(ExportRefused) as refused:
        export(lock)
    assert [str(r) for r in refused.value.refusals] == [
        "preset `budget-o`: model 'o-1' does not support reasoning_budget; OpenAI takes a "
        "reasoning_effort"
    ]


def test_a_responses_model_is_a_responses_mode_deployment(lock: Lockfile) -> None:
    """LiteLLM calls the Responses API for a model whose model_info mode is "responses" (with
    the ``openai/responses/`` prefix, LiteLLM 1.108.7 prices the answer at $0)."""
    found = deployments(export(lock).config)
    assert found["openai/gpt-5"]["model_info"]["mode"] == "responses"
    assert found["openai/gpt-4o"]["model_info"]["mode"] == "chat"


def test_an_empty_default_endpoint_is_the_providers_own(tmp_path: Path) -> None:
    root = write_providers(tmp_path / "inference")
    backends = root / "backends.toml"
    text = backends.read_text()
    text = text.replace("[vertexai]\n", '[vertexai]\nendpoint = "${VERTEX_BASE:-}"\n')
    backends.write_text(text.replace('"${GCP_LOCATION}"', '"${GCP_LOCATION:-}"'))
    lock = compile_dir(root).lock
    exported = export(lock)
    params = deployments(exported.config)["vertexai/vertex-llama"]["litellm_params"]
    assert "api_base" not in params and "vertex_location" not in params  # empty: not set
    assert not any("VERTEX_BASE" in note for note in exported.notes)
    found = deployments(export(lock, settings={"VERTEX_BASE": "http://vx"}).config)
    assert found["vertexai/vertex-llama"]["litellm_params"]["api_base"] == "http://vx"


def test_pipelex_inference_without_endpoint_is_refused_with_its_url(tmp_path: Path) -> None:
    root = write_providers(tmp_path / "inference")
    backends = root / "backends.toml"
    text = backends.read_text().replace('endpoint = "${GATEWAY_BASE}"\n', "")
    backends.write_text(text.replace("[gateway]", "[pipelex_inference]"))
    (root / "backends" / "gateway.toml").rename(root / "backends" / "pipelex_inference.toml")
    profiles = root / "routing_profiles.toml"
    profiles.write_text(profiles.read_text().replace('"gateway"', '"pipelex_inference"'))
    with pytest.raises(ExportRefused) as refused:
        export(compile_dir(root).lock)
    assert [str(r) for r in refused.value.refusals] == [
        "[pipelex_inference] gw-mini: backend `pipelex_inference` declares no endpoint: LiteLLM "
        'would send its requests to api.openai.com; add endpoint = "https://inference.pipelex.com'
        '/v1" to [pipelex_inference]'
    ]


def test_an_unknown_profile_is_refused(lock: Lockfile) -> None:
    with pytest.raises(ExportRefused, match=r"--profile nope: no such profile \(profiles: all\)"):
        export(lock, "nope")


# --- the command --------------------------------------------------------------------------


def test_the_command_writes_the_checked_config(providers: Path, tmp_path: Path) -> None:
    out = tmp_path / "config.yaml"
    result = run("export", "litellm", "--config-dir", str(providers), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"deckc: wrote {out.as_posix()} (17 deployment(s), profile all)"
    )
    assert "the proxy reads: ANTHROPIC_API_KEY, AWS_REGION," in result.stdout
    assert result.stderr.startswith("note: [mistral] endpoint:")
    text = out.read_text()
    assert text.splitlines()[1] == (
        f"# Regenerate: deckc export litellm --config-dir {providers} --profile all --out {out}"
    )
    assert "\n#   GATEWAY_KEY\n" in text
    assert yaml.safe_load(text)["router_settings"]["fallbacks"] == [{"smart": ["claude"]}]


def test_set_on_the_command_line(providers: Path, tmp_path: Path) -> None:
    out = tmp_path / "config.yaml"
    given = ["--set", "MISTRAL_API_BASE=http://127.0.0.1:9/m v1", "--set=GATEWAY_BASE=http://gw"]
    result = run("export", "litellm", "--config-dir", str(providers), "--out", str(out), *given)
    assert result.exit_code == 0, result.output
    assert "GATEWAY_BASE" not in result.stdout and result.stderr == ""  # no default noted
    text = out.read_text()
    assert text.splitlines()[1] == (
        f"# Regenerate: deckc export litellm --config-dir {providers} --profile all --set "
        f"'MISTRAL_API_BASE=http://127.0.0.1:9/m v1' --set GATEWAY_BASE=http://gw --out {out}"
    )
    assert 'api_base: "http://gw"' in text
    bad = run("export", "litellm", "--config-dir", str(providers), "--set", "GATEWAY_BASE")
    assert bad.exit_code == 2
    assert "Invalid value for '--set': 'GATEWAY_BASE' is not NAME=VALUE" in bad.stderr


def test_the_example_to_standard_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLE.parent.parent)
    result = run("export", "litellm", "--profile", "direct")
    assert result.exit_code == 0, result.output
    config = yaml.safe_load(result.stdout)
    assert config["router_settings"]["model_group_alias"]["best-claude"] == "claude-4.1-opus"
    assert {"llm_for_bulk": ["mistral-small"]} in config["router_settings"]["fallbacks"]
    groups = {d["model_name"] for d in config["model_list"]}
    assert {"$llm_to_engineer", "llm_to_engineer", "cheap_llm_for_text"} <= groups
    assert result.stderr.splitlines()[-1].startswith(
        "deckc: the proxy reads: ANTHROPIC_API_KEY, GCP_CREDENTIALS_FILE_PATH,"
    )


def test_the_command_refuses_with_every_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLE.parent.parent)
    result = run("export", "litellm", "--profile", "nope")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-2:] == [
        ".pipelex/inference: --profile nope: no such profile (profiles: all_pipelex, mixed, "
        "azure_first, direct)",
        "deckc: not exported: 1 problem(s)",
    ]
