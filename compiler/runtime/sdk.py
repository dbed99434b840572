"""From a resolved record to the arguments of a real SDK call: :func:`sdk_arguments`.

The record's ``sdk`` (Pipelex's names) picks the SDK family; the backend gives the client's
arguments (its ``${VAR}`` credentials and options read now, as ``credentials()`` reads them); the
model gives ``model`` (its ``model_id``) and the HTTP headers of its hyphenated keys; a preset
gives the generation parameters, with the model's constraints applied as Pipelex applies them
(``temperature_must_be_multiplied_by_2`` doubles it, then ``fixed_temperature`` replaces it;
``temperature_unsupported`` leaves it out, and so does a call that reasons: an OpenAI
``reasoning_effort``, Anthropic thinking, as Pipelex's workers omit it); its reasoning settings
go as Pipelex 0.92 sends them, by the model's ``thinking_mode`` (``reasoning``).

==========================================  ==========================  ==========================
``sdk`` (and backend)                       client                      call
==========================================  ==========================  ==========================
``openai``, and any other with an endpoint  ``openai.OpenAI``           ``chat.completions.create``
``openai_responses``                        ``openai.OpenAI``           ``responses.create``
``azure_openai`` (``_responses``)           ``openai.AzureOpenAI``      as ``openai`` (responses)
``anthropic``                               ``anthropic.Anthropic``     ``messages.create``
``anthropic`` on a backend with             ``anthropic.AnthropicVertex``  ``messages.create``
``gcp_project_id`` / ``gcp_location``
``bedrock_anthropic``                       ``anthropic.AnthropicBedrock``  ``messages.create``
``mistral``                                 ``mistralai.client.Mistral``  ``chat.complete``
``google``                                  ``google.genai.Client``     ``models.generate_content``
``vertexai``                                ``google.genai.Client``     ``models.generate_content``
                                            (``vertexai=True``)
``openai`` on a backend with                ``openai.OpenAI``, at       ``chat.completions.create``
``gcp_project_id`` / ``gcp_location``       Vertex AI's OpenAI-
(Model Garden models)                       compatible endpoint
==========================================  ==========================  ==========================

A Vertex AI backend's OpenAI client has no ``api_key``: pass a Google access token as one
(``google.auth.default()``'s credentials, refreshed: ``credentials.token``); the runtime, standard
library only, mints none.  Its ``endpoint``, when set, replaces the regional host.

An OpenAI-family call on a backend other than ``openai`` with no ``endpoint`` is refused rather
than sent to api.openai.com with another provider's key.  Imported only when asked for.
"""

from __future__ import annotations

from .records import HandleRecord, PresetRecord

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Container, Mapping
    from typing import Any

__all__ = ["SdkArguments", "sdk_arguments", "sent_temperature"]

OPENAI_CHAT = ("openai", "azure_openai")
OPENAI_RESPONSES = ("openai_responses", "azure_openai_responses")
# keys whose values are secrets: never in a repr
_SECRET_KEYS = frozenset({"api_key", "default_headers", "headers", "credentials"})


class SdkArguments:
    """What to build and what to send: ``client(**client_kwargs)``, then ``call(**call_kwargs)``
    (plus the messages) on it.  ``client`` and ``call`` are names (``"openai.OpenAI"``,
    ``"chat.completions.create"``): the runtime imports no SDK.  The kwargs are fresh dicts,
    yours to change; the repr hides the key and the headers."""

    __slots__ = ("call", "call_kwargs", "client", "client_kwargs", "sdk")

    def __init__(
        self,
        sdk: str,
        client: str,
        client_kwargs: dict[str, Any],
        call: str,
        call_kwargs: dict[str, Any],
    ) -> None:
        self.sdk = sdk
        self.client = client
        self.client_kwargs = client_kwargs
        self.call = call
        self.call_kwargs = call_kwargs

    def __repr__(self) -> str:
        shown = {k: "***" if k in _SECRET_KEYS else v for k, v in self.client_kwargs.items()}
        return (
            f"SdkArguments(sdk={self.sdk!r}, client={self.client!r}, client_kwargs={shown!r}, "
            f"call={self.call!r}, call_kwargs={self.call_kwargs!r})"
        )


def sent_temperature(
    temperature: float | None, listed: Container[str], valued: Mapping[str, Any]
) -> float | None:
    """The temperature a call sends for a model with these constraints: ``temperature``,
    doubled for a model listing ``temperature_must_be_multiplied_by_2``, replaced by its
    ``fixed_temperature``; None (not sent) when unset or for a model listing
    ``temperature_unsupported``.  The one rule, shared with ``deckc export litellm``."""
    if "temperature_unsupported" in listed:
        return None
    if temperature is not None and "temperature_must_be_multiplied_by_2" in listed:
        temperature = temperature * 2
    fixed = valued.get("fixed_temperature")
    return temperature if fixed is None else float(fixed)


def temperature_of(record: HandleRecord | PresetRecord) -> float | None:
    """The temperature a call with ``record`` sends (a handle's: its fixed one, if any)."""
    temperature = record.temperature if isinstance(record, PresetRecord) else None
    spec = record.spec
    return sent_temperature(
        temperature, spec.listed_constraints or (), spec.valued_constraints or {}
    )


def _headers(
    record: HandleRecord | PresetRecord, secrets: Mapping[str, str] | None
) -> dict[str, str]:
    """The model's HTTP headers (its hyphenated keys, pipelex-0.92), references read now."""
    import os

    from .backends import backend
    from .envvars import expand

    written = {
        key: value
        for key, value in (record.spec.extensions or {}).items()
        if "-" in key and isinstance(value, str)
    }
    headers: dict[str, str] = {}
    for key, value in written.items():
        headers[key], unset = expand(value, os.environ, secrets)
        if unset:
            raise backend(record.backend)._missing(written, secrets)
    return headers


def sdk_arguments(
    record: HandleRecord | PresetRecord, secrets: Mapping[str, str] | None = None
) -> SdkArguments:
    """The client and call arguments of ``record``'s SDK family (see the module's table);
    raises ValueError for a reasoning setting the model cannot take (see ``reasoning``)."""
    from . import reasoning
    from .backends import backend

    sdk = record.sdk or ""
    served_by = backend(record.backend)
    values: dict[str, Any] = {
        **served_by.resolved_options(secrets),
        **served_by.credentials(secrets),
    }
    endpoint = values.get("endpoint") or values.get("base_url")
    headers = _headers(record, secrets)
    temperature = temperature_of(record)
    preset = record if isinstance(record, PresetRecord) else None
    max_tokens = preset.max_tokens if preset is not None else None
    effort = preset.reasoning_effort if preset is not None else None
    budget = preset.reasoning_budget if preset is not None else None
    call: dict[str, Any] = {"model": record.model_id}
    client: dict[str, Any] = {}
    spec = record.spec
    asked = reasoning.Asked.of(effort, budget, spec.thinking_mode, record.model_id)
    valued = spec.valued_constraints or {}

    def some(target: dict[str, Any], **items: Any) -> None:
        target.update({k: v for k, v in items.items() if v is not None and v != {}})

    if sdk in reasoning.ANTHROPIC_SDKS:
        # Anthropic requires max_tokens: the preset's, else the model's limit
        # (temperature as extra_body: anthropic>=2 no longer has the keyword, the API takes it)
        some(call, max_tokens=max_tokens or spec.max_tokens)
        sent, output_config = reasoning.anthropic_thinking(asked, call.get("max_tokens"), valued)
        if sent is not None:  # thinking: no temperature (Pipelex suppresses it; the API too)
            call["thinking"] = sent
            some(call, extra_body={"output_config": output_config} if output_config else None)
        elif temperature is not None:
            call["extra_body"] = {"temperature": temperature}
        if sdk == "bedrock_anthropic":
            some(client, aws_region=values.get("aws_region"))
            name = "anthropic.AnthropicBedrock"
        elif "gcp_project_id" in values or "gcp_location" in values:
            some(client, project_id=values.get("gcp_project_id"), region=values.get("gcp_location"))
            name = "anthropic.AnthropicVertex"
        else:
            some(client, api_key=values.get("api_key"), base_url=endpoint)
            name = "anthropic.Anthropic"
        some(client, default_headers=headers)
        return SdkArguments(sdk, name, client, "messages.create", call)
    if sdk == "mistral":
        # the SDK adds /v1/...: an endpoint written as the API base (.../v1) loses it
        server = endpoint.removesuffix("/").removesuffix("/v1") if endpoint else None
        some(client, api_key=values.get("api_key"), server_url=server)
        effort = reasoning.mistral_effort(asked)
        some(call, temperature=temperature, max_tokens=max_tokens, reasoning_effort=effort)
        return SdkArguments(sdk, "mistralai.client.Mistral", client, "chat.complete", call)
    if sdk in reasoning.GOOGLE_SDKS:
        if sdk == "vertexai":
            client["vertexai"] = True
            some(client, project=values.get("gcp_project_id"), location=values.get("gcp_location"))
        else:
            some(client, api_key=values.get("api_key"))
        if endpoint:
            client["http_options"] = {"base_url": endpoint}
        config: dict[str, Any] = {}
        some(config, temperature=temperature, max_output_tokens=max_tokens)
        some(
            config,
            thinking_config=reasoning.google_thinking(asked, max_tokens, valued),
        )
        some(call, config=config)
        return SdkArguments(sdk, "google.genai.Client", client, "models.generate_content", call)
    # the OpenAI family, and any OpenAI-compatible endpoint
    if sdk.startswith("azure_openai"):
        some(
            client,
            azure_endpoint=endpoint,
            api_key=values.get("api_key"),
            api_version=values.get("api_version"),
        )
        name = "openai.AzureOpenAI"
    elif "gcp_project_id" in values or "gcp_location" in values:
        project, location = values.get("gcp_project_id"), values.get("gcp_location")
        host = endpoint or f"https://{location}-aiplatform.googleapis.com"
        base_url = f"{host}/v1/projects/{project}/locations/{location}/endpoints/openapi"
        client["base_url"] = base_url
        name = "openai.OpenAI"
    elif endpoint is None and (
        record.backend != "openai" or sdk not in (*OPENAI_CHAT, *OPENAI_RESPONSES)
    ):
        raise ValueError(
            f"backend {record.backend!r} has no endpoint, and sdk {sdk!r} has no client deckc "
            f'knows without one: add `endpoint = "https://..."` to the backend (an '
            f"OpenAI-compatible server), or call it yourself"
        )
    else:
        some(client, api_key=values.get("api_key"), base_url=endpoint)
        some(client, organization=values.get("organization"), project=values.get("project"))
        name = "openai.OpenAI"
    some(client, default_headers=headers)
    effort = reasoning.openai_effort(asked)
    if effort is not None:  # a reasoning call sends no temperature, as Pipelex's
        temperature = None
    if sdk in OPENAI_RESPONSES:
        some(call, temperature=temperature, max_output_tokens=max_tokens)
        if effort is not None:
            call["reasoning"] = {"effort": effort}
        return SdkArguments(sdk, name, client, "responses.create", call)
    some(call, temperature=temperature, max_tokens=max_tokens, reasoning_effort=effort)
    return SdkArguments(sdk, name, client, "chat.completions.create", call)
