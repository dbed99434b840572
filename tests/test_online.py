"""``deckc validate --online``: planning, answers and secrets against fake transports, then the
real thing against a LiteLLM proxy started on 127.0.0.1 (``make litellm`` installs it)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from compiler.cli import cli
from compiler.core.errors import Severity
from compiler.core.ir import ModelType
from compiler.pipeline import compile_dir
from compiler.review.online import plan, probe_backends
from compiler.runtime.envvars import expand
from compiler.semantics.decisions import Resolved
from tests.conftest import EXAMPLE, ROOT, compile_texts

CANARY = "sk-canary-7f3e9a1c5d"  # a key value that must never show in a finding

GATEWAY = {
    "backends.toml": """\
[gateway]
endpoint = "${GATEWAY_BASE}"
api_key = "${GATEWAY_KEY}"
""",
    "backends/gateway.toml": """\
[models.gpt-4o-mini]
sdk = "openai"

[models.gpt-5]
sdk = "openai"
""",
    "routing_profiles.toml": """\
active = "main"

[profiles.main]
default = "gateway"
""",
}


def gateway_lock(**changes: str) -> Resolved:
    return compile_texts({**GATEWAY, **changes}).resolved


ENV = {"GATEWAY_BASE": "https://gw.example.test/v1", "GATEWAY_KEY": CANARY}
Handler = Callable[[httpx.Request], httpx.Response]


def probe(lock: Resolved, handler: Handler, env: dict[str, str] = ENV) -> list[str]:
    findings = probe_backends(lock, env, transport=httpx.MockTransport(handler))
    texts = [str(f) for f in findings]
    assert not any(CANARY in t for t in texts)
    return sorted(texts)


def models(*ids: str) -> httpx.Response:
    return httpx.Response(200, json={"object": "list", "data": [{"id": i} for i in ids]})


def refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected request to {request.url}")


# --- planning ----------------------------------------------------------------------------------


def test_expand_follows_the_runtime_rules() -> None:
    assert expand("${A}/${B:-b}", {"A": "a"}) == ("a/b", [])
    assert expand("${A:-d}", {"A": ""}) == ("d", [])
    assert expand("${A}", {"A": ""}) == ("", ["A"])  # an empty variable counts as unset
    assert expand("x${A}${B}", {}) == ("x", ["A", "B"])


def test_a_backend_without_endpoint_deckc_knows_no_listing_of_is_named() -> None:
    lock = gateway_lock(**{"backends.toml": '[gateway]\napi_key = "${GATEWAY_KEY}"\n'})
    findings = probe_backends(lock, ENV, transport=httpx.MockTransport(refuse))
    assert [str(f) for f in findings] == [
        "backends.toml:1:1: gateway: note: backend `gateway` not probed: it has no endpoint and "
        "deckc knows no models-listing URL for it\n"
        '  hint: add `endpoint = "${...}"` to [gateway] to have it checked'
    ]


def test_unset_credentials_are_named_and_nothing_is_called() -> None:
    findings = probe_backends(gateway_lock(), {}, transport=httpx.MockTransport(refuse))
    assert [str(f) for f in findings] == [
        "backends.toml:1:1: gateway: note: backend `gateway` not probed: environment "
        "variable(s) GATEWAY_BASE, GATEWAY_KEY not set\n"
        "  hint: export GATEWAY_BASE, GATEWAY_KEY before `deckc validate --online`"
    ]


def test_the_example_knows_each_providers_listing() -> None:
    build = compile_dir(EXAMPLE)
    env = {
        name: f"{CANARY}-{name}"
        for backend in build.lock.backends.values()
        for name in backend.env_vars
    } | {"AZURE_API_BASE": "https://res.openai.azure.com"}
    for defaulted in ("MISTRAL_API_BASE", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        env[defaulted] = ""  # empty: the endpoint's default applies
    env["PIPELEX_INFERENCE_BASE_URL"] = env["VERTEXAI_BASE_URL"] = ""
    probes, findings = plan(build.resolved, env)
    requests = {p.backend: (p.api.value, p.url, dict(p.headers), dict(p.params)) for p in probes}
    assert requests == {
        "pipelex_inference": (
            "openai",
            "https://inference.pipelex.com/v1/models",
            {"Authorization": f"Bearer {CANARY}-PIPELEX_INFERENCE_API_KEY"},
            {},
        ),
        "openai": (
            "openai",
            "https://api.openai.com/v1/models",
            {"Authorization": f"Bearer {CANARY}-OPENAI_API_KEY"},
            {},
        ),
        "anthropic": (
            "anthropic",
            "https://api.anthropic.com/v1/models",
            {"anthropic-version": "2023-06-01", "x-api-key": f"{CANARY}-ANTHROPIC_API_KEY"},
            {"limit": "1000"},
        ),
        "azure_openai": (
            "azure",
            "https://res.openai.azure.com/openai/deployments",
            {"api-key": f"{CANARY}-AZURE_API_KEY"},
            {"api-version": "2023-03-15-preview"},
        ),
        "mistral": (
            "openai",
            "https://api.mistral.ai/v1/models",
            {"Authorization": f"Bearer {CANARY}-MISTRAL_API_KEY"},
            {},
        ),
        "google": (
            "google",
            "https://generativelanguage.googleapis.com/v1beta/models",
            {"x-goog-api-key": f"{CANARY}-GOOGLE_API_KEY"},
            {"pageSize": "1000"},
        ),
    }
    assert [str(f) for f in findings] == [
        "backends.toml:46:1: vertexai: note: backend `vertexai` not probed: Vertex AI needs a "
        "Google Cloud service account",
    ]
    assert all(f.severity is Severity.INFO for f in findings)
    mistral = next(p for p in probes if p.backend == "mistral")
    assert {(m.name, m.model_id, m.profiles) for m in mistral.routed} == {
        ("mistral-large", "mistral-large-latest", ("azure_first", "direct", "mixed")),
        ("mistral-small", "mistral-small-latest", ("azure_first", "direct", "mixed")),
    }


# --- answers -----------------------------------------------------------------------------------


def test_listed_and_missing_models() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return models("gpt-4o-mini", "gpt-4o", "gpt-4.1")

    assert probe(gateway_lock(), handler) == [
        "backends.toml:1:1: gateway: note: backend `gateway` (gw.example.test) is reachable: it "
        "lists 3 model(s), including 1 of the 2 routed there",
        "backends/gateway.toml:4:1: models.gpt-5: warning: backend `gateway` (gw.example.test) "
        "does not list model_id `gpt-5` (model gpt-5, routed there by profile main)\n"
        "  hint: fix the model_id, or make the model available on gateway; it lists `gpt-4o` or "
        "`gpt-4.1`",
    ]
    assert [str(r.url) for r in seen] == ["https://gw.example.test/v1/models"]
    assert seen[0].headers["authorization"] == f"Bearer {CANARY}"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            httpx.Response(401, json={"error": {"message": f"Incorrect API key: {CANARY}"}}),
            "refused the credentials: HTTP 401: Incorrect API key: ***",
        ),
        (
            httpx.Response(403, text=f"forbidden for {CANARY}\n"),
            "refused the credentials: HTTP 403: forbidden for ***",
        ),
        (httpx.Response(503, text="upstream down"), "is unreachable: HTTP 503: upstream down"),
        (httpx.Response(404, text="not found"), "did not answer with its models list: HTTP 404"),
        (
            httpx.Response(200, text="<html>"),
            "did not answer with its models list: the answer is not a models list",
        ),
        (
            httpx.Response(200, json={"data": "x"}),
            "did not answer with its models list: the answer is not a models list",
        ),
    ],
)
def test_problems_are_warnings_without_secrets(answer: httpx.Response, expected: str) -> None:
    findings = probe_backends(gateway_lock(), ENV, transport=httpx.MockTransport(lambda r: answer))
    gateway = [f for f in findings if f.key_path == ("gateway",)]
    assert [f.message for f in gateway] == [f"backend `gateway` (gw.example.test) {expected}"]
    assert gateway[0].severity is Severity.WARNING
    assert all(CANARY not in str(f) for f in findings)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx.ConnectTimeout("slow"), "is unreachable: timed out after 0.5s"),
        (
            httpx.ConnectError(f"refused at {CANARY}"),
            "is unreachable: connection failed (refused at ***)",
        ),
    ],
)
def test_network_errors_are_unreachable(error: httpx.HTTPError, expected: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    findings = probe_backends(
        gateway_lock(), ENV, timeout=0.5, transport=httpx.MockTransport(handler)
    )
    gateway = [f.message for f in findings if f.key_path == ("gateway",)]
    assert gateway == [f"backend `gateway` (gw.example.test) {expected}"]


def test_secrets_in_the_endpoint_user_info_are_not_shown() -> None:
    env = {**ENV, "GATEWAY_KEY": "k", "GATEWAY_BASE": f"https://u:{CANARY}@gw.example.test:8443/v1"}
    texts = probe(gateway_lock(), lambda r: models("gpt-5", "gpt-4o-mini"), env)
    assert texts == [
        "backends.toml:1:1: gateway: note: backend `gateway` (gw.example.test:8443) is reachable: "
        "it lists 2 model(s), including 2 of the 2 routed there"
    ]

    def echo(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect to {request.url} as u:{CANARY}")

    (text,) = probe(gateway_lock(), echo, env)
    assert "backend `gateway` (gw.example.test:8443) is unreachable" in text
    assert "connection failed (cannot connect to ***/models as u:***)" in text
    assert CANARY not in text


@pytest.mark.parametrize("endpoint", ["gw.example.test/v1", "ftp://gw.example.test", "http://h:x/"])
def test_an_endpoint_that_is_no_url_is_not_called(endpoint: str) -> None:
    (text,) = probe(gateway_lock(), refuse, {**ENV, "GATEWAY_BASE": endpoint})
    assert text == (
        "backends.toml:1:1: gateway: warning: backend `gateway` not probed: its endpoint is not an "
        "http(s) URL\n"
        "  hint: set the endpoint of [gateway] to the API's base URL, e.g. https://host/v1"
    )


def test_anthropic_listing_is_followed_page_by_page() -> None:
    files = {
        "backends.toml": '[anthropic]\napi_key = "${ANTHROPIC_API_KEY}"\n',
        "backends/anthropic.toml": '[models.claude-a]\nsdk = "anthropic"\n'
        '[models.claude-b]\nsdk = "anthropic"\n',
        "routing_profiles.toml": 'active = "p"\n[profiles.p]\ndefault = "anthropic"\n',
    }
    pages = {
        None: {"data": [{"id": "claude-a"}], "has_more": True, "last_id": "claude-a"},
        "claude-a": {"data": [{"id": "claude-b"}], "has_more": False, "last_id": "claude-b"},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["x-api-key"] == CANARY
        return httpx.Response(200, json=pages[request.url.params.get("after_id")])

    findings = probe_backends(
        compile_texts(files).resolved,
        {"ANTHROPIC_API_KEY": CANARY},
        transport=httpx.MockTransport(handler),
    )
    assert [f.message for f in findings] == [
        "backend `anthropic` (api.anthropic.com) is reachable: it lists 2 model(s), including 2 "
        "of the 2 routed there"
    ]


def test_google_names_lose_their_models_prefix() -> None:
    files = {
        "backends.toml": '[google]\napi_key = "${GOOGLE_API_KEY}"\n',
        "backends/google.toml": '[models."gemini-2.5-pro"]\nsdk = "google"\n',
        "routing_profiles.toml": 'active = "p"\n[profiles.p]\ndefault = "google"\n',
    }
    body = {"models": [{"name": "models/gemini-2.5-pro"}, {"name": "models/gemini-2.5-flash"}]}
    findings = probe_backends(
        compile_texts(files).resolved,
        {"GOOGLE_API_KEY": CANARY},
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=body)),
    )
    assert [f.message for f in findings] == [
        "backend `google` (generativelanguage.googleapis.com) is reachable: it lists 2 model(s), "
        "including 1 of the 1 routed there"
    ]


def test_disabled_backends_are_not_probed() -> None:
    lock = gateway_lock(
        **{
            "backends.toml": GATEWAY["backends.toml"].replace(
                "[gateway]\n", "[gateway]\nenabled = false\n"
            )
        }
    )
    assert probe_backends(lock, ENV, transport=httpx.MockTransport(refuse)) == []


# --- a real OpenAI-compatible gateway: the LiteLLM proxy ---------------------------------------

LITELLM = ROOT / ".venv-litellm" / "bin" / "litellm"
MASTER_KEY = "sk-deckc-master-7c1d"
WRONG_KEY = "sk-deckc-wrong-0b4e"
SERVED = ("gpt-4o-mini", "gpt-4o", "gpt-4-turbo")  # model_ids of the example's openai.toml
READY_WITHIN = 120.0  # seconds; the proxy usually needs ~10 on a busy machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proxy_config() -> str:
    entries = [
        {
            "model_name": model_id,
            "litellm_params": {
                # never called: only /v1/models is asked, and this port is closed
                "model": f"openai/{model_id}",
                "api_base": "http://127.0.0.1:9/v1",
                "api_key": "unused",
            },
        }
        for model_id in SERVED
    ]
    return json.dumps({"model_list": entries, "general_settings": {"master_key": MASTER_KEY}})


def require_litellm() -> None:
    """Skip (fail, in CI) when `make litellm` has not installed the proxy."""
    if not LITELLM.is_file():
        reason = f"{LITELLM.relative_to(ROOT)} is missing: run `make litellm`"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@contextlib.contextmanager
def litellm_running(config: Path, env: Mapping[str, str] = {}) -> Iterator[str]:
    """The base URL (``http://127.0.0.1:PORT``) of a LiteLLM proxy loaded with ``config``, run
    in its directory with ``env`` and no way out of loopback; stopped on exit."""
    home = config.parent
    port = free_port()
    blackhole = f"http://127.0.0.1:{free_port()}"  # any outbound request fails here
    full_env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_TELEMETRY": "False",
        "HTTP_PROXY": blackhole,
        "HTTPS_PROXY": blackhole,
        "ALL_PROXY": blackhole,
        "NO_PROXY": "127.0.0.1,localhost",
        **env,
    }
    log = (home / "proxy.log").open("wb")
    command = [str(LITELLM), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        command,
        env=full_env,
        cwd=home,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(process, f"{base}/health/liveliness", home / "proxy.log")
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def litellm_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL (``http://127.0.0.1:PORT/v1``) of a LiteLLM proxy serving SERVED."""
    require_litellm()
    config = tmp_path_factory.mktemp("litellm") / "config.yaml"  # JSON is YAML
    config.write_text(proxy_config())
    with litellm_running(config) as base:
        yield f"{base}/v1"


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN
    with httpx.Client(trust_env=False, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the LiteLLM proxy exited:\n{log.read_text()[-3000:]}")
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.25)
    pytest.fail(
        f"the LiteLLM proxy was not ready within {READY_WITHIN:g}s:\n{log.read_text()[-3000:]}"
    )


GATEWAY_DIR = {
    "backends.toml": """\
# A LiteLLM proxy, three ways to call it, and a port nothing listens on.
[gateway]
endpoint = "${GATEWAY_BASE}"
api_key = "${GATEWAY_KEY}"

[wrong_key]
endpoint = "${GATEWAY_BASE}"
api_key = "${WRONG_KEY}"

[no_key]
endpoint = "${GATEWAY_BASE}"

[closed]
endpoint = "${CLOSED_BASE}"
api_key = "${GATEWAY_KEY}"
""",
    "backends/gateway.toml": """\
[models.gpt-4o-mini]
sdk = "openai"

[models.gpt-4o]
sdk = "openai"

[models.gpt-5]
sdk = "openai_responses"
""",
    "backends/wrong_key.toml": '[models.gpt-4o-mini]\nsdk = "openai"\n',
    "backends/no_key.toml": '[models.gpt-4o-mini]\nsdk = "openai"\n',
    "backends/closed.toml": '[models.gpt-4o-mini]\nsdk = "openai"\n',
    "routing_profiles.toml": """\
active = "main"

[profiles.main]
default = "gateway"

[profiles.wrong]
default = "wrong_key"

[profiles.anonymous]
default = "no_key"

[profiles.down]
default = "closed"
""",
    "deck/base_deck.toml": '[aliases]\nbest = "gpt-4o"\n',
}


@pytest.fixture
def gateway_dir(tmp_path: Path) -> Path:
    for rel, text in GATEWAY_DIR.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


class LoopbackOnly(httpx.BaseTransport):
    """The real transport, refusing any request that would leave 127.0.0.1."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host == "127.0.0.1", f"request to {request.url.host} refused"
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


@pytest.mark.network
def test_probes_a_real_litellm_proxy(litellm_proxy: str, gateway_dir: Path) -> None:
    port = litellm_proxy.split(":")[2].split("/")[0]
    closed_port = free_port()
    env = {
        "GATEWAY_BASE": litellm_proxy,
        "GATEWAY_KEY": MASTER_KEY,
        "WRONG_KEY": WRONG_KEY,
        "CLOSED_BASE": f"http://127.0.0.1:{closed_port}/v1",
    }
    findings = probe_backends(
        compile_dir(gateway_dir).resolved, env, timeout=10.0, transport=LoopbackOnly()
    )
    texts = {str(f.key_path[-1]): str(f) for f in findings}
    at = f"(127.0.0.1:{port})"
    assert texts["gateway"] == (
        f"backends.toml:2:1: gateway: note: backend `gateway` {at} is reachable: it lists 3 "
        "model(s), including 2 of the 3 routed there"
    )
    assert texts["gpt-5"] == (
        f"backends/gateway.toml:7:1: models.gpt-5: warning: backend `gateway` {at} does not list "
        "model_id `gpt-5` (model gpt-5, routed there by profiles anonymous, down, main, wrong)\n"
        "  hint: fix the model_id, or make the model available on gateway; it lists `gpt-4o`"
    )
    # LiteLLM without a database answers 400 to any key but the master key
    assert texts["wrong_key"] == (
        f"backends.toml:6:1: wrong_key: warning: backend `wrong_key` {at} refused the "
        "credentials: HTTP 400: No connected db.\n"
        "  hint: check the api_key of [wrong_key]: the value its variable holds is not accepted "
        "there"
    )
    assert texts["no_key"] == (
        f"backends.toml:10:1: no_key: warning: backend `no_key` {at} refused the credentials: "
        "HTTP 401: Authentication Error, No api key passed in.\n"
        '  hint: [no_key] sends no key: add `api_key = "${VAR}"` to it'
    )
    closed = texts["closed"].splitlines()
    assert closed[0].startswith(
        f"backends.toml:13:1: closed: warning: backend `closed` (127.0.0.1:{closed_port}) is "
        "unreachable: connection failed ("
    )  # then the system's words for "connection refused"
    assert closed[1:] == [
        "  hint: check the endpoint of [closed], and that the service is up and reachable here"
    ]
    assert len(findings) == 5
    assert not [t for t in texts.values() if MASTER_KEY in t or WRONG_KEY in t]


@pytest.mark.network
def test_validate_online_on_the_command_line(
    litellm_proxy: str, gateway_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(gateway_dir)
    for name, value in {
        "GATEWAY_BASE": litellm_proxy,
        "GATEWAY_KEY": MASTER_KEY,
        "WRONG_KEY": WRONG_KEY,
        "CLOSED_BASE": f"http://127.0.0.1:{free_port()}/v1",
    }.items():
        monkeypatch.setenv(name, value)
    command = ["validate", "inference", "--online", "--config-dir", "."]
    text = CliRunner().invoke(cli, command, catch_exceptions=False)
    assert text.exit_code == 1
    # 4 from the probe, 3 defaults serving few of their models; the note is no warning
    assert text.stdout == "deckc: 0 error(s), 7 warning(s) in .\n"
    assert "./backends.toml:2:1: gateway: note: backend `gateway` (127.0.0.1:" in text.stderr
    machine = CliRunner().invoke(cli, [*command, "--format", "json"], catch_exceptions=False)
    records = json.loads(machine.stdout)
    assert sorted((r["severity"], r["code"], r["key_path"]) for r in records) == [
        ("info", "BackendProbeError", "gateway"),
        ("warning", "BackendProbeError", "closed"),
        ("warning", "BackendProbeError", "no_key"),
        ("warning", "BackendProbeError", "wrong_key"),
        ("warning", "ModelNotListedError", "models.gpt-5"),
        ("warning", "default-serves-few", "profiles.anonymous.default"),
        ("warning", "default-serves-few", "profiles.down.default"),
        ("warning", "default-serves-few", "profiles.wrong.default"),
    ]
    for output in (text.stdout, text.stderr, machine.stdout):
        assert MASTER_KEY not in output and WRONG_KEY not in output


def test_only_the_model_types_a_listing_holds_are_compared() -> None:
    """Mistral lists its chat models, not its OCR engines: only the LLMs routed there are
    compared with the listing; OpenAI-compatible listings hold image models too."""
    from compiler.review.online import Api, routed_models
    from conformance.compare import compiled

    resolved = compiled(ROOT / "examples" / "pipelex-0.92" / "inference").resolved
    everything = {m.name for m in routed_models(resolved, "mistral")}
    listed = {m.name for m in routed_models(resolved, "mistral", Api.GOOGLE.listed_types)}
    assert "mistral-ocr" in everything and "mistral-ocr" not in listed
    assert listed and listed < everything
    assert ModelType.IMG_GEN in Api.OPENAI.listed_types
    assert ModelType.TEXT_EXTRACTOR not in Api.OPENAI.listed_types
