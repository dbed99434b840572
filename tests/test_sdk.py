"""SDK arguments (issue 13): the real ``openai`` and ``anthropic`` clients, built from what
``deck.sdk_arguments`` gives, call a fake provider on 127.0.0.1, which records each request."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from types import ModuleType
from typing import Any

import pytest

from compiler.emit.write import write_outputs
from compiler.pipeline import compile_dir
from conformance.compare import import_generated
from tests.fake_provider import on_loopback, reply_json

anthropic = pytest.importorskip("anthropic")
openai = pytest.importorskip("openai")
genai = pytest.importorskip("google.genai")

BACKENDS = """
[compat]
enabled = true
endpoint = "${FAKE_BASE}/v1"
api_key = "${COMPAT_KEY}"

[claude]
enabled = true
endpoint = "${FAKE_BASE}"
api_key = "${CLAUDE_KEY}"

[azure]
enabled = true
endpoint = "${FAKE_BASE}"
api_key = "${AZURE_KEY}"
api_version = "2024-10-21"

[openai]
enabled = true
api_key = "${OPENAI_KEY}"

[nourl]
enabled = true
api_key = "${OPENAI_KEY}"

[mistral]
enabled = true
endpoint = "${FAKE_BASE}/v1"
api_key = "${MISTRAL_KEY}"

[gemini]
enabled = true
endpoint = "${FAKE_BASE}"
api_key = "${GEMINI_KEY}"

[bedrock]
enabled = true
aws_region = "eu-west-3"

[vclaude]
enabled = true
gcp_project_id = "deckc-test"
gcp_location = "${GCP_LOCATION}"

[garden]
enabled = true
endpoint = "${FAKE_BASE}"
gcp_project_id = "deckc-test"
gcp_location = "${GCP_LOCATION}"
gcp_credentials_file_path = "${GCP_CREDENTIALS_FILE_PATH}"
"""
MODELS = {
    "compat": """
[defaults]
sdk = "openai"
inputs = ["text"]
outputs = ["text"]

["chat-a"]
model_id = "chat-a-v1"
x-gateway-route = "team-${TEAM}"

["double"]
model_id = "double-v1"
listed_constraints = ["temperature_must_be_multiplied_by_2"]

["fixed"]
model_id = "fixed-v1"
valued_constraints = { fixed_temperature = 1.0 }

["no-temp"]
model_id = "no-temp-v1"
sdk = "openai_responses"
listed_constraints = ["temperature_unsupported"]
""",
    "claude": """
["claude-z"]
model_id = "claude-z-2026"
sdk = "anthropic"
max_tokens = 8000
inputs = ["text"]
outputs = ["text"]

["claude-m"]
model_id = "claude-m-2026"
sdk = "anthropic"
max_tokens = 8000
thinking_mode = "manual"
inputs = ["text"]
outputs = ["text"]

["claude-a"]
model_id = "claude-a-2026"
sdk = "anthropic"
max_tokens = 8000
thinking_mode = "adaptive"
inputs = ["text"]
outputs = ["text"]
""",
    "azure": """
["gpt-az"]
model_id = "my-deployment"
sdk = "azure_openai"
inputs = ["text"]
outputs = ["text"]
""",
    "nourl": """
["lost"]
model_id = "lost-1"
sdk = "openai"
inputs = ["text"]
outputs = ["text"]
""",
    "mistral": """
["mistral-m"]
model_id = "mistral-medium-latest"
sdk = "mistral"
inputs = ["text"]
outputs = ["text"]
""",
    "gemini": """
["gemini-g"]
model_id = "gemini-2.5-flash"
sdk = "google"
inputs = ["text"]
outputs = ["text"]
""",
    "bedrock": """
["claude-b"]
model_id = "anthropic.claude-sonnet-4-v1:0"
sdk = "bedrock_anthropic"
max_tokens = 4000
inputs = ["text"]
outputs = ["text"]
""",
    "vclaude": """
["claude-v"]
model_id = "claude-sonnet-4@20250514"
sdk = "anthropic"
max_tokens = 8000
inputs = ["text"]
outputs = ["text"]
""",
    "garden": """
["llama-g"]
model_id = "meta/llama-3.1-70b-instruct-maas"
sdk = "openai"
inputs = ["text"]
outputs = ["text"]
""",
    "openai": """
["gpt-o"]
model_id = "gpt-o-1"
sdk = "openai"
inputs = ["text"]
outputs = ["text"]
""",
}
ROUTING = """
active = "main"

[profiles.main]
description = "the fake provider"
default = "compat"

[profiles.main.routes]
"claude-*" = "claude"
"gpt-az" = "azure"
"gpt-o" = "openai"
"lost" = "nourl"
"llama-g" = "garden"
"claude-v" = "vclaude"
"claude-b" = "bedrock"
"mistral-m" = "mistral"
"gemini-g" = "gemini"
"""
DECK = """
[llm.choice_defaults]
default_temperature = 0.5
for_text = "$warm"
for_object = "$warm"

[extract]
choice_default = "chat-a"

[img_gen]
default_quality = "medium"
choice_default = "chat-a"

[search]
choice_default = "chat-a"

[llm.waterfalls]
chain = ["claude-z", "chat-a"]

[llm.presets]
m = { model = "mistral-m", temperature = 0.3, max_tokens = 99 }
g = { model = "gemini-g", temperature = 0.2, max_tokens = 77 }
b = { model = "claude-b", temperature = 0.5, max_tokens = 55 }
warm = { model = "chat-a", temperature = 0.4, max_tokens = 300 }
reason = { model = "chat-a", temperature = 0.4, reasoning_effort = "high" }
manual = { model = "claude-m", temperature = 0.4, reasoning_effort = "high" }
adaptive = { model = "claude-a", temperature = 0.4, reasoning_effort = "minimal" }
twice = { model = "double", temperature = 0.3, max_tokens = 50 }
pinned = { model = "fixed", temperature = 0.2 }
think = { model = "no-temp", temperature = 0.5, max_tokens = 2000, reasoning_effort = "low" }
careful = { model = "claude-z", temperature = 0.1, max_tokens = 1000, reasoning_budget = 2048 }
short = { model = "claude-z", temperature = 0.6 }
azure = { model = "gpt-az", temperature = 0.7, max_tokens = 64 }
"""


class Provider(BaseHTTPRequestHandler):
    """Answers chat completions, responses and messages; records every request."""

    seen: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        headers = {key.lower(): value for key, value in self.headers.items()}
        self.seen.append({"path": self.path, "headers": headers, "body": body})
        # Vertex and Bedrock: the model in the path
        if self.path.endswith(("/messages", ":rawPredict", "/invoke")):
            answer: dict[str, Any] = {
                "id": "msg_1", "type": "message", "role": "assistant", "model": body.get("model"),
                "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn",
                "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1},
            }  # fmt: skip
        elif self.path.endswith(":generateContent"):
            answer = {
                "candidates": [{"content": {"role": "model", "parts": [{"text": "hi"}]},
                                "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1,
                                  "totalTokenCount": 2},
            }  # fmt: skip
        elif self.path.endswith("/responses"):
            answer = {
                "id": "resp_1", "object": "response", "created_at": 0, "model": body["model"],
                "status": "completed", "output": [], "parallel_tool_calls": False,
                "tool_choice": "auto", "tools": [],
            }  # fmt: skip
        else:
            answer = {
                "id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": "hi"}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }  # fmt: skip
        reply_json(self, 200, answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    with on_loopback(type("Recording", (Provider,), {"seen": seen})) as base:
        yield base, seen


@pytest.fixture(scope="module")
def deck(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    root = tmp_path_factory.mktemp("sdk")
    config = root / "inference"
    files = {
        "backends.toml": BACKENDS,
        "routing_profiles.toml": ROUTING,
        "deck/1_llm_deck.toml": DECK,
        **{f"backends/{name}.toml": text for name, text in MODELS.items()},
    }
    for name, text in files.items():
        (config / name).parent.mkdir(parents=True, exist_ok=True)
        (config / name).write_text(text, encoding="utf-8")
    build = compile_dir(config)
    assert build.lock is not None
    write_outputs(root / "out", build.files)
    return import_generated(root / "out")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, server: tuple[str, list[dict[str, Any]]]) -> list[Any]:
    base, seen = server
    seen.clear()
    for name, value in {
        "FAKE_BASE": base, "COMPAT_KEY": "sk-compat", "CLAUDE_KEY": "sk-claude",
        "AZURE_KEY": "az-key", "OPENAI_KEY": "sk-openai", "TEAM": "blue",
        "GCP_LOCATION": "europe-west4", "GCP_CREDENTIALS_FILE_PATH": "sa.json",
        "MISTRAL_KEY": "mk-1", "GEMINI_KEY": "gk-1",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    return seen


def client_of(arguments: Any) -> Any:
    module, _, name = arguments.client.partition(".")
    return getattr({"openai": openai, "anthropic": anthropic}[module], name)(
        max_retries=0, **arguments.client_kwargs
    )


def call(arguments: Any, messages: list[dict[str, str]] | None = None) -> None:
    target = client_of(arguments)
    for part in arguments.call.split("."):
        target = getattr(target, part)
    if arguments.call == "responses.create":
        target(input="hello", **arguments.call_kwargs)
    else:
        target(messages=messages or [{"role": "user", "content": "hello"}], **arguments.call_kwargs)


def test_an_openai_compatible_endpoint_gets_model_key_headers_and_parameters(
    deck: ModuleType, env: list[dict[str, Any]]
) -> None:
    arguments = deck.sdk_arguments("$warm")
    assert (arguments.client, arguments.call) == ("openai.OpenAI", "chat.completions.create")
    assert "sk-compat" not in repr(arguments)
    call(arguments)
    (request,) = env
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == "Bearer sk-compat"
    assert request["headers"]["x-gateway-route"] == "team-blue"
    body = request["body"]
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("chat-a-v1", 0.4, 300)


def test_temperature_constraints_are_applied(deck: ModuleType, env: list[dict[str, Any]]) -> None:
    for handle in ("$twice", "$pinned", "$think", "$reason"):
        call(deck.sdk_arguments(handle))
    twice, pinned, think, reason = (r["body"] for r in env)
    # a reasoning call sends no temperature (Pipelex's workers omit it)
    assert (reason["reasoning_effort"], "temperature" in reason) == ("high", False)
    assert (twice["model"], twice["temperature"]) == ("double-v1", 0.6)
    assert (pinned["model"], pinned["temperature"]) == ("fixed-v1", 1.0)
    # openai_responses: max_output_tokens, reasoning; the model takes no temperature
    assert env[2]["path"] == "/v1/responses"
    assert "temperature" not in think
    assert (think["max_output_tokens"], think["reasoning"]) == (2000, {"effort": "low"})


def test_anthropic_gets_its_key_header_and_a_max_tokens(
    deck: ModuleType, env: list[dict[str, Any]]
) -> None:
    for handle in ("$careful", "$short", "chain"):
        arguments = deck.sdk_arguments(handle)
        assert (arguments.client, arguments.call) == ("anthropic.Anthropic", "messages.create")
        call(arguments)
    careful, short, chain = env
    assert careful["path"] == "/v1/messages"
    auth = careful["headers"]  # anthropic>=2 sends the key as a bearer token, older as x-api-key
    assert auth.get("x-api-key", auth.get("authorization")) in ("sk-claude", "Bearer sk-claude")
    assert careful["body"]["model"] == "claude-z-2026"
    assert careful["body"]["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    # thinking: no temperature (the API takes none but 1; Pipelex suppresses it)
    assert ("temperature" not in careful["body"], careful["body"]["max_tokens"]) == (True, 1000)
    assert careful["body"]["model"] == "claude-z-2026"
    # no max_tokens in the preset: the model's limit (Anthropic requires one)
    assert (short["body"]["max_tokens"], short["body"]["temperature"]) == (8000, 0.6)
    assert "temperature" not in chain["body"]  # a handle: no parameters of its own


def test_anthropic_thinking_follows_the_models_thinking_mode(
    deck: ModuleType, env: list[dict[str, Any]]
) -> None:
    """As Pipelex 0.92 sends it: a manual model thinks on the effort's budget, fitted to leave a
    quarter of max_tokens; an adaptive one adaptively at the effort's level; neither with a
    temperature."""
    for handle in ("$manual", "$adaptive"):
        call(deck.sdk_arguments(handle))
    manual, adaptive = (request["body"] for request in env)
    assert manual["thinking"] == {"type": "enabled", "budget_tokens": 6000}  # 16384 -> 8000 - 2000
    assert adaptive["thinking"] == {"type": "adaptive"}
    assert adaptive["output_config"] == {"effort": "low"}  # minimal -> low
    assert "temperature" not in manual and "temperature" not in adaptive


def test_failover_calls_the_next_candidate(deck: ModuleType, env: list[dict[str, Any]]) -> None:
    first, second = deck.candidates("chain")
    call(deck.sdk_arguments(second))
    assert (first.model, second.model) == ("claude-z", "chat-a")
    assert (env[0]["path"], env[0]["body"]["model"]) == ("/v1/chat/completions", "chat-a-v1")


def test_a_vertex_model_garden_model_is_called_at_vertex_ais_openai_endpoint(
    deck: ModuleType, env: list[dict[str, Any]]
) -> None:
    """Vertex AI's OpenAI-compatible endpoint, under the backend's endpoint when it has one (the
    regional host otherwise); the key is a Google access token the application gets itself."""
    arguments = deck.sdk_arguments("llama-g")
    assert (arguments.client, arguments.call) == ("openai.OpenAI", "chat.completions.create")
    assert "api_key" not in arguments.client_kwargs
    arguments.client_kwargs["api_key"] = "ya29.token"
    call(arguments)
    (request,) = env
    assert request["path"] == (
        "/v1/projects/deckc-test/locations/europe-west4/endpoints/openapi/chat/completions"
    )
    assert request["headers"]["authorization"] == "Bearer ya29.token"
    assert request["body"]["model"] == "meta/llama-3.1-70b-instruct-maas"


def test_claude_on_vertex_ai_is_anthropic_vertex(
    deck: ModuleType, env: list[dict[str, Any]], server: tuple[str, list[dict[str, Any]]]
) -> None:
    """The real AnthropicVertex client takes the arguments (a token given, as google-auth
    would; the base URL the fake's, in place of the regional host)."""
    arguments = deck.sdk_arguments("claude-v")
    assert arguments.client == "anthropic.AnthropicVertex"
    assert arguments.client_kwargs == {"project_id": "deckc-test", "region": "europe-west4"}
    client = anthropic.AnthropicVertex(
        **arguments.client_kwargs, access_token="ya29.token", base_url=server[0], max_retries=0
    )
    client.messages.create(messages=[{"role": "user", "content": "hi"}], **arguments.call_kwargs)
    (request,) = env
    assert request["path"] == (
        "/projects/deckc-test/locations/europe-west4/publishers/anthropic/models/"
        "claude-sonnet-4@20250514:rawPredict"
    )
    assert request["headers"]["authorization"] == "Bearer ya29.token"
    assert "anthropic_version" in request["body"]  # Vertex takes the version in the body
    assert request["body"]["max_tokens"] == 8000


def test_mistral(deck: ModuleType, env: list[dict[str, Any]]) -> None:
    """The Mistral SDK adds /v1 itself: an endpoint written as its API base (``.../v1``, as
    Pipelex's configurations and LiteLLM write it) is its server URL without it."""
    arguments = deck.sdk_arguments("$m")
    mistral = importlib.import_module(arguments.client.rpartition(".")[0])
    client = getattr(mistral, arguments.client.rpartition(".")[2])(**arguments.client_kwargs)
    client.chat.complete(messages=[{"role": "user", "content": "hi"}], **arguments.call_kwargs)
    (request,) = env
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == "Bearer mk-1"
    body = request["body"]
    assert (body["model"], body["temperature"], body["max_tokens"]) == (
        "mistral-medium-latest",
        0.3,
        99,
    )


def test_google_genai(deck: ModuleType, env: list[dict[str, Any]]) -> None:
    arguments = deck.sdk_arguments("$g")
    assert arguments.client == "google.genai.Client"
    client = genai.Client(**arguments.client_kwargs)
    client.models.generate_content(contents="hi", **arguments.call_kwargs)
    (request,) = env
    assert request["path"].endswith("/models/gemini-2.5-flash:generateContent")
    assert request["headers"]["x-goog-api-key"] == "gk-1"
    config = request["body"]["generationConfig"]
    assert (config["temperature"], config["maxOutputTokens"]) == (0.2, 77)


def test_anthropic_bedrock(
    deck: ModuleType,
    env: list[dict[str, Any]],
    server: tuple[str, list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real AnthropicBedrock client (AWS keys from the environment, as boto reads them;
    the fake's base URL in place of Bedrock's) signs a request for the model."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
    arguments = deck.sdk_arguments("$b")
    assert (arguments.client, arguments.client_kwargs) == (
        "anthropic.AnthropicBedrock",
        {"aws_region": "eu-west-3"},
    )
    client = anthropic.AnthropicBedrock(
        **arguments.client_kwargs, base_url=server[0], max_retries=0
    )
    client.messages.create(messages=[{"role": "user", "content": "hi"}], **arguments.call_kwargs)
    (request,) = env
    assert request["path"] == "/model/anthropic.claude-sonnet-4-v1:0/invoke"
    assert "Credential=AKIAFAKE/" in request["headers"]["authorization"]  # SigV4, eu-west-3
    assert "/eu-west-3/bedrock/" in request["headers"]["authorization"]
    assert (request["body"]["max_tokens"], request["body"]["temperature"]) == (55, 0.5)


def test_azure_openai(deck: ModuleType, env: list[dict[str, Any]]) -> None:
    arguments = deck.sdk_arguments("$azure")
    assert arguments.client == "openai.AzureOpenAI"
    assert arguments.client_kwargs["api_version"] == "2024-10-21"
    call(arguments)
    (request,) = env
    path = "/openai/deployments/my-deployment/chat/completions?api-version=2024-10-21"
    assert request["path"] == path
    assert request["headers"]["api-key"] == "az-key"
    assert (request["body"]["temperature"], request["body"]["max_tokens"]) == (0.7, 64)


def test_secrets_are_read_when_asked_and_missing_ones_named(
    deck: ModuleType, env: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    arguments = deck.sdk_arguments("gpt-o")  # the openai backend: no endpoint, OpenAI's own
    assert arguments.client_kwargs == {"api_key": "sk-openai"}
    vault = {"COMPAT_KEY": "from-vault", "FAKE_BASE": "http://x", "TEAM": "red"}
    found = deck.sdk_arguments("chat-a", secrets=vault)
    assert found.client_kwargs["api_key"] == "from-vault"
    assert found.client_kwargs["default_headers"] == {"x-gateway-route": "team-red"}
    monkeypatch.delenv("COMPAT_KEY")
    with pytest.raises(deck.MissingCredentialError, match="COMPAT_KEY"):
        deck.sdk_arguments("chat-a")
    monkeypatch.setenv("COMPAT_KEY", "k")
    monkeypatch.delenv("TEAM")
    with pytest.raises(deck.MissingCredentialError, match="TEAM"):
        deck.sdk_arguments("chat-a")


def test_an_openai_sdk_without_endpoint_on_another_backend_is_refused(
    deck: ModuleType, env: list[dict[str, Any]]
) -> None:
    # never sent to api.openai.com with another provider's key
    with pytest.raises(ValueError, match="backend 'nourl' has no endpoint"):
        deck.sdk_arguments("lost")
