"""The shipped example through a real LiteLLM proxy: ``deckc export litellm`` of its active
profile, the backends' endpoint variables pointing at a fake provider on 127.0.0.1 (OpenAI chat
and responses, Anthropic messages, Vertex AI with a service account whose tokens the fake issues).
The proxy lists exactly the profile's handles, aliases and presets; each of them reaches the
provider as the lockfile's ``model_id`` with the backend's key and the parameters
``deck.sdk_arguments`` gives; ``x-litellm-model-id`` names the lockfile's backend and handle; the
reported cost is ``deck.cost``'s; a failing first entry of a fallback chain is answered by the
next.  The expectations come from the lockfile and the generated runtime, not from the export.
(``make litellm``.)"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from compiler.core.ir import ModelType
from compiler.emit.lock import Answers
from compiler.pipeline import compile_dir
from tests.conftest import EXAMPLE, run
from tests.fake_provider import (
    ACCESS_TOKEN,
    CACHED_TOKENS,
    COMPLETION_TOKENS,
    PROMPT_TOKENS,
    TOKEN_PATH,
    FakeProvider,
    serving,
)
from tests.gateway import PROXY_KEY, chat, client, runtime_of
from tests.test_online import LITELLM, litellm_running, require_litellm

LOCK = compile_dir(EXAMPLE).lock
PROFILE = LOCK.active_profile
ANSWERS: Answers = LOCK.profiles[PROFILE].answers[ModelType.LLM]
# where each backend's endpoint variable points: {fake}/{backend}, and the path its SDK adds
ENDPOINTS = {
    "PIPELEX_INFERENCE_BASE_URL": "pipelex_inference/v1",
    "OPENAI_BASE_URL": "openai/v1",
    "ANTHROPIC_BASE_URL": "anthropic",
    "VERTEXAI_BASE_URL": "vertexai",
}
KEYS = {name: f"sk-fake-{name.lower()}" for name in ("PIPELEX_INFERENCE", "OPENAI", "ANTHROPIC")}
VERTEX = {"GCP_PROJECT_ID": "deckc-test", "GCP_LOCATION": "europe-west4"}


@dataclass(frozen=True)
class Expected:
    """What a name asked of the proxy must reach, by the lockfile."""

    backend: str
    handle: str
    deployment_id: str
    ref: str  # how the generated runtime spells it (a preset: $name)


def expected_names() -> dict[str, Expected]:
    """Every name the proxy must serve: the profile's handles, its available aliases (a chain
    is a group of its own, ``#alias`` deployment), its available presets (``$name`` when a
    handle or an alias has the name)."""
    found: dict[str, Expected] = {}
    for handle, placement in ANSWERS.routing.items():
        if placement.backend is not None:
            found[handle] = Expected(
                placement.backend, handle, f"{placement.backend}/{handle}", handle
            )
    deck = LOCK.decks[ModelType.LLM]
    for alias, resolution in ANSWERS.aliases.items():
        if resolution.backend is None or resolution.model is None:
            continue
        chain = isinstance(deck.aliases.get(alias), tuple)
        at = f"{resolution.backend}/{resolution.model}"
        found[alias] = Expected(
            resolution.backend, resolution.model, at + f"#{alias}" * chain, alias
        )
    for preset, resolution in ANSWERS.presets.items():
        if resolution.backend is None or resolution.model is None:
            continue
        group = f"${preset}" if preset in found else preset
        at = f"{resolution.backend}/{resolution.model}#{group}"
        found[group] = Expected(resolution.backend, resolution.model, at, f"${preset}")
    return found


EXPECTED = expected_names()


def service_account(path: Path, provider: FakeProvider) -> Path:
    """A Vertex service-account file whose token endpoint is the fake provider's (its RSA key
    made by the proxy's own Python, which has ``cryptography``)."""
    make_key = (
        "from cryptography.hazmat.primitives import serialization as s\n"
        "from cryptography.hazmat.primitives.asymmetric import rsa\n"
        "key = rsa.generate_private_key(public_exponent=65537, key_size=2048)\n"
        "print(key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8,"
        " s.NoEncryption()).decode(), end='')\n"
    )
    python = LITELLM.parent / "python"
    pem = subprocess.run([python, "-c", make_key], capture_output=True, text=True, check=True)
    account = {
        "type": "service_account",
        "project_id": VERTEX["GCP_PROJECT_ID"],
        "private_key_id": "deckc-test-key",
        "private_key": pem.stdout,
        "client_email": "deckc@deckc-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": provider.base + TOKEN_PATH,
    }
    path.write_text(json.dumps(account))
    return path


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    with serving(FakeProvider()) as running:
        yield running


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory, provider: FakeProvider) -> Iterator[str]:
    """A LiteLLM proxy loaded with the example's export, endpoints set to the fake provider."""
    require_litellm()
    home = tmp_path_factory.mktemp("example-gateway")
    config = home / "config.yaml"
    sets = [f"--set={name}={provider.base}/{path}" for name, path in ENDPOINTS.items()]
    result = run("export", "litellm", "--config-dir", str(EXAMPLE), "--out", str(config), *sets)
    assert result.exit_code == 0, result.output
    env = {
        **{f"{name}_API_KEY": key for name, key in KEYS.items()},
        **VERTEX,
        "GCP_CREDENTIALS_FILE_PATH": str(service_account(home / "sa.json", provider)),
    }
    assert result.stdout.endswith(f"the proxy reads: {', '.join(sorted(env))}\n")
    assert provider.base in config.read_text()  # the --set endpoints, not the defaults
    with litellm_running(config, {**env, "LITELLM_MASTER_KEY": PROXY_KEY}) as base:
        yield base


@pytest.fixture(scope="module")
def deck(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return runtime_of(EXAMPLE, tmp_path_factory.mktemp("example-runtime"))


def secrets_for(provider: FakeProvider) -> dict[str, str]:
    """The variables as the proxy has them, for the runtime's sdk_arguments."""
    endpoints = {name: f"{provider.base}/{path}" for name, path in ENDPOINTS.items()}
    account = {"GCP_CREDENTIALS_FILE_PATH": "sa.json"}
    return {**{f"{n}_API_KEY": k for n, k in KEYS.items()}, **VERTEX, **account, **endpoints}


# the path each SDK call adds to its client's base URL
SDK_PATHS = {
    "chat.completions.create": "/chat/completions",
    "responses.create": "/responses",
    "messages.create": "/v1/messages",
}


def sent_max_tokens(body: dict[str, Any]) -> Any:
    for key in ("max_tokens", "max_completion_tokens", "max_output_tokens"):
        if key in body:
            return body[key]
    return None


def sent_effort(body: dict[str, Any]) -> Any:
    return body.get("reasoning_effort") or (body.get("reasoning") or {}).get("effort")


@pytest.mark.network
def test_the_proxy_lists_exactly_the_profiles_names(proxy: str) -> None:
    with client() as http:
        listed = http.get(f"{proxy}/v1/models").json()
    assert sorted(entry["id"] for entry in listed["data"]) == sorted(EXPECTED)
    # every kind is there: handles of four backends, aliases, chains, presets
    assert {e.backend for e in EXPECTED.values()} == {
        "pipelex_inference",
        "openai",
        "anthropic",
        "vertexai",
    }
    assert any("#" in e.deployment_id and not e.ref.startswith("$") for e in EXPECTED.values())


@pytest.mark.network
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_name_reaches_the_provider_as_the_lockfiles_model_id(
    proxy: str, provider: FakeProvider, deck: ModuleType, name: str
) -> None:
    expected = EXPECTED[name]
    spec = LOCK.spec(ModelType.LLM, expected.backend, expected.handle)
    before = len(provider.calls)
    response = chat(proxy, name)
    assert response.status_code == 200, response.text
    assert response.headers["x-litellm-model-id"] == expected.deployment_id
    assert len(provider.calls) == before + 1
    call = provider.calls[before]
    assert call.backend == expected.backend
    assert call.model == spec["model_id"]
    # the backend's own key; Vertex: the token its service account was given
    key = ACCESS_TOKEN if call.backend == "vertexai" else KEYS[expected.backend.upper()]
    assert call.key == key
    # what the runtime would send calling the SDK itself, the proxy sends too
    arguments = deck.sdk_arguments(expected.ref, secrets=secrets_for(provider), profile=PROFILE)
    sent = arguments.call_kwargs
    # ... at the URL the SDK would call
    url = arguments.client_kwargs["base_url"] + SDK_PATHS[arguments.call]
    assert f"{provider.base}/{call.backend}{call.path}" == url
    temperature = sent.get("temperature", (sent.get("extra_body") or {}).get("temperature"))
    assert call.body.get("temperature") == temperature
    if expected.ref.startswith("$"):
        preset = deck.preset(expected.ref[1:], profile=PROFILE)
        assert sent_max_tokens(call.body) == preset.max_tokens or preset.max_tokens is None
        assert sent_effort(call.body) == sent_effort(sent)  # the effort the runtime sends
        assert call.body.get("thinking") == sent.get("thinking")
    cost = deck.cost(
        expected.ref,
        PROMPT_TOKENS,
        COMPLETION_TOKENS,
        cached_input_tokens=CACHED_TOKENS,
        profile=PROFILE,
    )
    assert cost is not None and cost > 0
    assert Decimal(response.headers["x-litellm-response-cost"]) == pytest.approx(cost)


def fallback_chains() -> dict[str, tuple[str, str]]:
    """Each fallback chain of the profile: (the handle its resolution chose, the handle of the
    first later entry that resolves to another served one), as the lockfile records them."""
    found: dict[str, tuple[str, str]] = {}
    for alias, target in LOCK.decks[ModelType.LLM].aliases.items():
        chosen = ANSWERS.aliases[alias]
        if not isinstance(target, tuple) or chosen.model is None or len(chosen.path) < 2:
            continue
        for entry in target[target.index(chosen.path[1]) + 1 :]:
            recorded = ANSWERS.aliases.get(entry)
            model = recorded.model if recorded is not None else entry
            if model is None or model == chosen.model:
                continue
            placement = ANSWERS.routing.get(model)
            if placement is not None and placement.backend is not None:
                found[alias] = (chosen.model, model)
                break
    return found


CHAINS = fallback_chains()


@pytest.mark.network
@pytest.mark.parametrize("alias", sorted(CHAINS))
def test_a_failing_first_entry_falls_back_to_the_next(
    proxy: str, provider: FakeProvider, deck: ModuleType, alias: str
) -> None:
    first, then = CHAINS[alias]
    # what an application retrying with the runtime's candidates would try, the proxy tries
    tried = [record.model for record in deck.candidates(alias, profile=PROFILE)]
    assert tried[:2] == [first, then]
    failing = LOCK.spec(ModelType.LLM, ANSWERS.routing[first].backend or "", first)["model_id"]
    then_backend = ANSWERS.routing[then].backend or ""
    then_id = LOCK.spec(ModelType.LLM, then_backend, then)["model_id"]
    provider.failing = {failing}
    try:
        before = len(provider.calls)
        response = chat(proxy, alias)
    finally:
        provider.failing = set()
    assert response.status_code == 200, response.text
    calls = provider.calls[before:]
    assert calls[0].model == failing
    assert (calls[-1].backend, calls[-1].model) == (then_backend, then_id)
    assert response.headers["x-litellm-model-id"] == f"{then_backend}/{then}"
    assert response.json()["choices"][0]["message"]["content"] == (
        f"{then_backend} answers as {then_id}"
    )


def test_every_fallback_chain_of_the_example_is_tried() -> None:
    assert sorted(CHAINS) == [
        "llm_for_bulk",
        "llm_for_hard_reasoning",
        "llm_for_private_data",
        "llm_to_engineer",
    ]


def test_the_exported_config_names_the_example_profiles_four_backends(
    tmp_path: Path,
) -> None:
    """Offline: what the proxy test loads, as text: four provider prefixes, no default URL."""
    sets = [f"--set={name}=http://127.0.0.1:9/{path}" for name, path in ENDPOINTS.items()]
    result = run("export", "litellm", "--config-dir", str(EXAMPLE), *sets)
    assert result.exit_code == 0, result.output
    config = yaml.safe_load(result.stdout)
    prefixes = {d["litellm_params"]["model"].split("/")[0] for d in config["model_list"]}
    assert prefixes == {"openai", "anthropic", "vertex_ai"}
    bases = {d["litellm_params"].get("api_base") for d in config["model_list"]}
    assert all(base.startswith("http://127.0.0.1:9/") for base in bases)
