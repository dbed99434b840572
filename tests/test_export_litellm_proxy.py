"""The export of ``deckc export litellm`` loaded by a real LiteLLM proxy on 127.0.0.1, its
backends' endpoint variables (read by the proxy) pointing at a fake provider on loopback (two
OpenAI-compatible backends and an Azure OpenAI one, through its Responses API): the
proxy lists exactly the profile's handles, aliases and presets; each of them reaches the provider
as the lockfile's ``model_id`` with the preset's parameters; ``x-litellm-model-id`` names the
lockfile's backend and handle; a failing first entry of a fallback chain is answered by the next
one; the cost the proxy reports is deck.cost's.  (``make litellm``.)"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from compiler.core.ir import ModelType
from compiler.pipeline import compile_dir
from tests.conftest import run
from tests.fake_provider import (
    CACHED_TOKENS,
    COMPLETION_TOKENS,
    PROMPT_TOKENS,
    FakeProvider,
    serving,
)
from tests.gateway import PROXY_KEY, chat, client, runtime_of
from tests.test_online import litellm_running, require_litellm

FAILING = "vendor/flaky-0"  # the model_id the fake provider always fails
KEYS = {
    "PRIMARY_KEY": "sk-fake-primary-3e1",
    "SECONDARY_KEY": "sk-fake-secondary-9a0",
    "AZURE_KEY": "az-fake-7d2",
}

CONFIG = {
    "backends.toml": """\
[primary]
endpoint = "${PRIMARY_BASE}"
api_key = "${PRIMARY_KEY}"

[secondary]
endpoint = "${SECONDARY_BASE}"
api_key = "${SECONDARY_KEY}"

[azure_openai]
endpoint = "${AZURE_BASE}"
api_key = "${AZURE_KEY}"
api_version = "2025-03-01-preview"
""",
    "backends/azure_openai.toml": """\
[models.deep]
sdk = "azure_openai_responses"
model_id = "deep-deployment"
max_tokens = 4096
costs = { input = 1, output = 2 }
""",
    "backends/primary.toml": """\
[defaults]
sdk = "openai"
max_tokens = 8192
inputs = ["text", "images"]
outputs = ["text", "structured"]

[models.fast]
model_id = "vendor/fast-1"
costs = { input = 0.17, output = 0.66 }

[models.smart]
model_id = "vendor/smart-2"
costs = { input = 2.5, output = 10 }

[models.flaky]
model_id = "vendor/flaky-0"
costs = { input = 1, output = 1 }
""",
    "backends/secondary.toml": """\
[models.backup]
sdk = "openai"
model_id = "other/backup-3"
max_tokens = 4096
costs = { input = 0.3, output = 1.2 }
""",
    "routing_profiles.toml": """\
active = "main"

[profiles.main]
default = "primary"
fallback_order = ["secondary", "azure_openai"]
""",
    "deck/base_deck.toml": """\
[aliases]
best = "smart"
resilient = ["flaky", "backup"]

[llm_presets.precise]
llm_handle = "fast"
temperature = 0.2
max_tokens = 256

[llm_presets.careful]
llm_handle = "best"
temperature = 0.7
""",
}


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    with serving(FakeProvider(failing={FAILING})) as running:
        yield running


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gateway") / "inference"
    for rel, text in CONFIG.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


@pytest.fixture(scope="module")
def proxy(
    tmp_path_factory: pytest.TempPathFactory, config_dir: Path, provider: FakeProvider
) -> Iterator[str]:
    """The base URL of a LiteLLM proxy loaded with ``deckc export litellm``'s config.yaml."""
    require_litellm()
    config = tmp_path_factory.mktemp("litellm-export") / "config.yaml"
    result = run("export", "litellm", "--config-dir", str(config_dir), "--out", str(config))
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        "the proxy reads: AZURE_BASE, AZURE_KEY, PRIMARY_BASE, PRIMARY_KEY, SECONDARY_BASE, "
        "SECONDARY_KEY\n"
    )
    env = {
        "PRIMARY_BASE": f"{provider.base}/primary/v1",
        "SECONDARY_BASE": f"{provider.base}/secondary/v1",
        "AZURE_BASE": f"{provider.base}/azure_openai",
        "LITELLM_MASTER_KEY": PROXY_KEY,
        **KEYS,
    }
    with litellm_running(config, env) as base:
        yield base


@pytest.mark.network
def test_the_proxy_lists_exactly_the_profiles_names(proxy: str) -> None:
    with client() as http:
        listed = http.get(f"{proxy}/v1/models").json()
    names = sorted(entry["id"] for entry in listed["data"])
    handles = ["backup", "deep", "fast", "flaky", "smart"]
    assert names == sorted([*handles, "best", "resilient", "precise", "careful"])


# name asked -> (backend and handle of the lockfile, the deployment id, the preset's parameters)
EXPECTED = {
    "fast": ("primary", "fast", "primary/fast", {}),
    "smart": ("primary", "smart", "primary/smart", {}),
    "backup": ("secondary", "backup", "secondary/backup", {}),
    # Azure's Responses API: the deployment's model_info mode "responses"
    "deep": ("azure_openai", "deep", "azure_openai/deep", {}),
    "best": ("primary", "smart", "primary/smart", {}),
    "precise": ("primary", "fast", "primary/fast#precise", {"temperature": 0.2, "max_tokens": 256}),
    "careful": ("primary", "smart", "primary/smart#careful", {"temperature": 0.7}),
}


@pytest.mark.network
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_name_reaches_the_provider_as_the_lockfiles_model_id(
    proxy: str, provider: FakeProvider, config_dir: Path, name: str
) -> None:
    lock = compile_dir(config_dir).lock
    backend, handle, deployment_id, params = EXPECTED[name]
    answers = lock.profiles["main"].answers[ModelType.LLM]
    recorded = answers.presets.get(name) or answers.aliases.get(name)
    if recorded is not None:  # what the lockfile says it resolves to
        assert (recorded.backend, recorded.model) == (backend, handle)
    spec = lock.spec(ModelType.LLM, backend, handle)
    before = len(provider.calls)
    response = chat(proxy, name)
    assert response.status_code == 200, response.text
    assert response.headers["x-litellm-model-id"] == deployment_id
    assert response.headers["x-litellm-model-id"].split("#")[0] == f"{backend}/{handle}"
    call = provider.calls[before]
    assert len(provider.calls) == before + 1
    path = "/openai/responses" if backend == "azure_openai" else "/v1/chat/completions"
    assert (call.backend, call.path) == (backend, path)
    assert call.model == spec["model_id"]
    assert call.key == KEYS[f"{backend.split('_')[0].upper()}_KEY"]
    for key, value in params.items():
        assert call.body[key] == value, key
    assert "temperature" in call.body or "temperature" not in params
    # the cost the proxy reports is what the generated runtime's deck.cost says
    deck = runtime_of(config_dir, config_dir.parent / "out")
    ref = f"${name}" if name in answers.presets else name
    expected = deck.cost(
        ref, PROMPT_TOKENS, COMPLETION_TOKENS, cached_input_tokens=CACHED_TOKENS, profile="main"
    )
    assert expected is not None and expected > 0
    assert Decimal(response.headers["x-litellm-response-cost"]) == pytest.approx(expected)


@pytest.mark.network
def test_a_failing_first_entry_falls_back_to_the_next(
    proxy: str, provider: FakeProvider, config_dir: Path
) -> None:
    answers = compile_dir(config_dir).lock.profiles["main"].answers[ModelType.LLM]
    assert (answers.aliases["resilient"].backend, answers.aliases["resilient"].model) == (
        "primary",
        "flaky",
    )
    before = len(provider.calls)
    response = chat(proxy, "resilient")
    assert response.status_code == 200, response.text
    calls = provider.calls[before:]
    assert (calls[0].backend, calls[0].model) == ("primary", FAILING)
    assert (calls[-1].backend, calls[-1].model) == ("secondary", "other/backup-3")
    assert response.headers["x-litellm-model-id"] == "secondary/backup"
    assert response.json()["choices"][0]["message"]["content"] == (
        "secondary answers as other/backup-3"
    )
