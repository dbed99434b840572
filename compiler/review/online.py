"""``deckc validate --online``: ask every enabled backend which models it lists.

Planning is pure: from the resolved configuration and an environment, each enabled backend
becomes a :class:`Probe` (the models-listing URL, headers and the ``model_id``\\s the recorded
placements send there), or a finding saying why it is not probed (credential variables unset, no
endpoint, no listing API).  ``${VAR}``\\s are expanded by the runtime's own expander.
The network part is one bounded GET per backend (a few pages at most), all backends at once,
with timeouts and no retries; it never reads proxy settings from the process environment.

Secrets stay out of every message: findings name the backend and the URL host only, and any
text a server sends back is cut short with every credential value replaced by ``***``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..core.errors import DeckError, Severity, Span
from ..core.ir import Backend, ModelType
from ..core.naming import close_matches
from ..runtime.envvars import expand
from ..semantics.decisions import Resolved

MAX_PAGES = 10  # a listing longer than this many pages is taken as it is
_NOT_SECRET = frozenset({"endpoint", "api_version"})


class BackendProbeError(DeckError):
    """What probing a backend's models listing gave: reachable, refused, unreachable, unprobed."""


class ModelNotListedError(BackendProbeError):
    """A backend's models listing lacks a ``model_id`` that a routing profile sends there."""


class Api(enum.Enum):
    """The shape of a provider's models-listing API."""

    OPENAI = "openai"  # GET {endpoint}/models, Bearer key, {"data": [{"id": ...}]}
    ANTHROPIC = "anthropic"  # GET /v1/models, x-api-key, paginated by after_id
    GOOGLE = "google"  # GET /v1beta/models, x-goog-api-key, {"models": [{"name": "models/.."}]}
    AZURE = "azure"  # GET /openai/deployments, api-key: deployment names are the model_ids

    @property
    def listed_types(self) -> frozenset[ModelType]:
        """The model types the listing holds: chat models everywhere, and the image models of
        OpenAI-compatible APIs and Azure deployments.  Other types (extractors, search, document
        engines, judges) are served by APIs that list nothing, so they are not compared."""
        if self in (Api.OPENAI, Api.AZURE):
            return frozenset({ModelType.LLM, ModelType.IMG_GEN})
        return frozenset({ModelType.LLM})


@dataclass(frozen=True)
class Provider:
    api: Api
    base_url: str | None  # used when the backend declares no endpoint


PROVIDERS: Mapping[str, Provider] = {
    "openai": Provider(Api.OPENAI, "https://api.openai.com/v1"),
    "mistral": Provider(Api.OPENAI, "https://api.mistral.ai/v1"),
    "anthropic": Provider(Api.ANTHROPIC, "https://api.anthropic.com"),
    "google": Provider(Api.GOOGLE, "https://generativelanguage.googleapis.com"),
    "azure_openai": Provider(Api.AZURE, None),
}
# Cloud platforms whose listing needs their own signed authentication, not an API key.
UNPROBED = {
    "bedrock": "Amazon Bedrock needs AWS request signing",
    "vertexai": "Vertex AI needs a Google Cloud service account",
}
AZURE_LISTING_VERSION = "2023-03-15-preview"  # the api-version that lists deployments
ANTHROPIC_VERSION = "2023-06-01"


@dataclass(frozen=True)
class RoutedModel:
    """A model that at least one profile routes to the probed backend."""

    name: str
    model_id: str
    profiles: tuple[str, ...]
    span: Span


@dataclass(frozen=True)
class Probe:
    backend: str
    api: Api
    url: str
    headers: tuple[tuple[str, str], ...]
    params: tuple[tuple[str, str], ...]
    secrets: frozenset[str]
    span: Span
    routed: tuple[RoutedModel, ...]
    keyed: bool = True  # whether the request carries a key

    @property
    def host(self) -> str:
        parts = urlsplit(self.url)
        host = parts.hostname or "?"
        return f"{host}:{parts.port}" if parts.port else host


class Outcome(enum.Enum):
    LISTED = "listed"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    UNEXPECTED = "unexpected"


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    detail: str = ""  # redacted, one short line
    listed: frozenset[str] = frozenset()


# --- planning (pure) --------------------------------------------------------------------------


def routed_models(
    resolved: Resolved, backend: str, types: frozenset[ModelType] = frozenset(ModelType)
) -> tuple[RoutedModel, ...]:
    """The models of ``types`` the recorded placements send to ``backend``, with the profiles
    that do."""
    profiles_of: dict[str, list[str]] = {}
    for profile, resolution in sorted(resolved.profiles.items()):
        for key, placement in resolution.placements.items():
            if placement.backend == backend and key.model_type in types:
                profiles_of.setdefault(key.name, []).append(profile)
    specs = {
        key.name: specs[backend]
        for key, specs in resolved.config.models.items()
        if backend in specs and key.model_type in types
    }
    return tuple(
        RoutedModel(
            name=model,
            model_id=specs[model].model_id,
            profiles=tuple(dict.fromkeys(profiles)),
            span=specs[model].span,
        )
        for model, profiles in sorted(profiles_of.items())
    )


def _finding(span: Span, message: str, hint: str | None, severity: Severity) -> DeckError:
    return BackendProbeError(message, span=span, hint=hint, severity=severity)


def _request(
    api: Api, base: str, credentials: Mapping[str, str]
) -> tuple[str, dict[str, str], dict[str, str]]:
    """(url, headers, params) of the first page of a provider's models listing."""
    key = credentials.get("api_key")
    base = base.rstrip("/")
    match api:
        case Api.OPENAI:
            return f"{base}/models", ({"Authorization": f"Bearer {key}"} if key else {}), {}
        case Api.ANTHROPIC:
            headers = {
                "anthropic-version": ANTHROPIC_VERSION,
                **({"x-api-key": key} if key else {}),
            }
            root = base.removesuffix("/v1")
            return f"{root}/v1/models", headers, {"limit": "1000"}
        case Api.GOOGLE:
            root = re.sub(r"/v1(beta)?$", "", base)
            headers = {"x-goog-api-key": key} if key else {}
            return f"{root}/v1beta/models", headers, {"pageSize": "1000"}
        case Api.AZURE:
            headers = {"api-key": key} if key else {}
            root = base.removesuffix("/openai")
            return f"{root}/openai/deployments", headers, {"api-version": AZURE_LISTING_VERSION}


def plan(resolved: Resolved, environ: Mapping[str, str]) -> tuple[list[Probe], list[DeckError]]:
    """What to probe, and a finding for every enabled backend that is not probed (and why)."""
    probes: list[Probe] = []
    findings: list[DeckError] = []
    for backend in sorted(resolved.config.backends.values(), key=lambda b: b.order):
        if not backend.enabled:
            continue
        planned = _plan_backend(resolved, backend, environ)
        if isinstance(planned, Probe):
            probes.append(planned)
        else:
            findings.append(planned)
    return probes, findings


def _plan_backend(
    resolved: Resolved, backend: Backend, environ: Mapping[str, str]
) -> Probe | DeckError:
    name = backend.name
    refs = backend.credentials
    provider = PROVIDERS.get(name, Provider(Api.OPENAI, None))
    endpoint, _ = expand(refs["endpoint"], environ) if "endpoint" in refs else ("", [])
    if name in UNPROBED and not endpoint:  # ${VAR:-} unset: the provider's own
        return _finding(
            backend.span, f"backend `{name}` not probed: {UNPROBED[name]}", None, Severity.INFO
        )
    no_endpoint = _finding(
        backend.span,
        f"backend `{name}` not probed: it has no endpoint and deckc knows no models-listing URL "
        "for it",
        f'add `endpoint = "${{...}}"` to [{name}] to have it checked',
        Severity.INFO,
    )
    if "endpoint" not in refs and provider.base_url is None:
        return no_endpoint
    credentials: dict[str, str] = {}
    missing: list[str] = []
    for key, text in refs.items():
        credentials[key], unset = expand(text, environ)
        missing += [var for var in unset if var not in missing]
    if missing:
        names = ", ".join(sorted(missing))
        return _finding(
            backend.span,
            f"backend `{name}` not probed: environment variable(s) {names} not set",
            f"export {names} before `deckc validate --online`",
            Severity.INFO,  # validate's offline check already warns about unset variables
        )
    base = credentials.get("endpoint") or provider.base_url
    if not base:
        return no_endpoint
    secrets = {v for k, v in credentials.items() if v and k not in _NOT_SECRET}
    try:
        parts = urlsplit(base)
        _ = parts.port  # raises on a port that is not a number
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _finding(
            backend.span,
            f"backend `{name}` not probed: its endpoint is not an http(s) URL",
            f"set the endpoint of [{name}] to the API's base URL, e.g. https://host/v1",
            Severity.WARNING,
        )
    # The host is shown on purpose; anything else of an endpoint read from the environment is not.
    secrets |= {s for s in (parts.password, parts.query, base) if s}
    secrets |= {parts.path.rstrip("/")} if parts.path.strip("/") else set()
    url, headers, params = _request(provider.api, base, credentials)
    return Probe(
        backend=name,
        api=provider.api,
        url=url,
        headers=tuple(sorted(headers.items())),
        params=tuple(sorted(params.items())),
        secrets=frozenset(secrets),
        span=backend.span,
        routed=routed_models(resolved, name, provider.api.listed_types),
        keyed=bool(credentials.get("api_key")),
    )


# --- the network ------------------------------------------------------------------------------


def redact(text: str, secrets: frozenset[str], limit: int = 160) -> str:
    """One short line of ``text`` with every secret replaced by ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _server_message(response: httpx.Response) -> str:
    """The error text of a JSON error body (OpenAI, Anthropic and Google shapes), or the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    if isinstance(error, str):
        return error
    return response.text


def _page(api: Api, body: Any) -> tuple[list[str], dict[str, str]] | None:
    """The model ids of one page and the params of the next page ({} when last), or None."""
    if not isinstance(body, dict):
        return None
    items = body.get("models" if api is Api.GOOGLE else "data")
    if not isinstance(items, list):
        return None
    key = "name" if api is Api.GOOGLE else "id"
    ids = [str(item[key]) for item in items if isinstance(item, dict) and key in item]
    if api is Api.GOOGLE:
        ids = [i.removeprefix("models/") for i in ids]
        token = body.get("nextPageToken")
        return ids, ({"pageToken": str(token)} if token else {})
    if api is Api.ANTHROPIC and body.get("has_more") and body.get("last_id"):
        return ids, {"after_id": str(body["last_id"])}
    return ids, {}


def fetch(client: httpx.Client, probe: Probe) -> Answer:
    """GET the listing (at most MAX_PAGES pages); never raises for network or HTTP trouble."""
    listed: set[str] = set()
    extra: dict[str, str] = {}
    for _ in range(MAX_PAGES):
        try:
            response = client.get(
                probe.url, headers=dict(probe.headers), params={**dict(probe.params), **extra}
            )
        except httpx.TimeoutException:
            return Answer(Outcome.UNREACHABLE, "timed out")
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            reason = redact(str(exc) or type(exc).__name__, probe.secrets)
            return Answer(Outcome.UNREACHABLE, f"connection failed ({reason})")
        status = response.status_code
        if status != 200:
            said = redact(_server_message(response), probe.secrets)
            detail = f"HTTP {status}: {said}" if said else f"HTTP {status}"
            if status in (400, 401, 403):
                return Answer(Outcome.REFUSED, detail)
            if status >= 500:
                return Answer(Outcome.UNREACHABLE, detail)
            return Answer(Outcome.UNEXPECTED, f"HTTP {status}")
        try:
            page = _page(probe.api, response.json())
        except ValueError:
            page = None
        if page is None:
            return Answer(Outcome.UNEXPECTED, "the answer is not a models list")
        ids, extra = page
        listed.update(ids)
        if not extra:
            break
    return Answer(Outcome.LISTED, listed=frozenset(listed))


def _problem(probe: Probe, answer: Answer, timeout: float) -> tuple[str, str]:
    """(what went wrong, how to fix it) for an answer that is not a models list."""
    name = probe.backend
    match answer.outcome:
        case Outcome.REFUSED:
            fix = (
                f"check the api_key of [{name}]: the value its variable holds is not accepted there"
                if probe.keyed
                else f'[{name}] sends no key: add `api_key = "${{VAR}}"` to it'
            )
            return f"refused the credentials: {answer.detail}", fix
        case Outcome.UNREACHABLE:
            slow = answer.detail == "timed out"
            detail = f"timed out after {timeout:g}s" if slow else answer.detail
            return (
                f"is unreachable: {detail}",
                f"check the endpoint of [{name}], and that the service is up and reachable here",
            )
    return (
        f"did not answer with its models list: {answer.detail}",
        f"check that the endpoint of [{name}] is the API's base URL (for an OpenAI-compatible "
        "API, the one ending in /v1)",
    )


def report(probe: Probe, answer: Answer, timeout: float) -> Iterator[DeckError]:
    """The findings of one probe's answer."""
    who = f"backend `{probe.backend}` ({probe.host})"
    if answer.outcome is not Outcome.LISTED:
        what, fix = _problem(probe, answer, timeout)
        yield _finding(probe.span, f"{who} {what}", fix, Severity.WARNING)
        return
    missing = [m for m in probe.routed if m.model_id not in answer.listed]
    routed = (
        f"including {len(probe.routed) - len(missing)} of the {len(probe.routed)} routed there"
        if probe.routed
        else "no profile routes a model there"
    )
    yield _finding(
        probe.span,
        f"{who} is reachable: it lists {len(answer.listed)} model(s), {routed}",
        None,
        Severity.INFO,
    )
    for model in missing:
        near = close_matches(model.model_id, answer.listed)
        hint = f"fix the model_id, or make the model available on {probe.backend}"
        if near:
            hint += "; it lists " + " or ".join(f"`{n}`" for n in near)
        yield ModelNotListedError(
            f"{who} does not list model_id `{model.model_id}` (model {model.name}, routed there "
            f"by profile{'s' if len(model.profiles) > 1 else ''} {', '.join(model.profiles)})",
            span=model.span,
            hint=hint,
            severity=Severity.WARNING,
        )


def probe_backends(
    resolved: Resolved,
    environ: Mapping[str, str],
    *,
    timeout: float = 5.0,
    transport: httpx.BaseTransport | None = None,
) -> list[DeckError]:
    """Probe every enabled backend's models listing at once; a finding for each backend and for
    each routed ``model_id`` a reachable backend does not list.  ``transport`` is for tests."""
    probes, findings = plan(resolved, environ)
    if not probes:
        return findings
    with (
        httpx.Client(
            timeout=httpx.Timeout(timeout),
            trust_env=False,
            follow_redirects=False,
            transport=transport,
        ) as client,
        ThreadPoolExecutor(max_workers=min(len(probes), 16)) as pool,
    ):
        answers: Sequence[Answer] = list(pool.map(lambda p: fetch(client, p), probes))
    for probe, answer in zip(probes, answers, strict=True):
        findings += report(probe, answer, timeout)
    return findings
