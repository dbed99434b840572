"""``deckc export litellm``: a LiteLLM proxy configuration for one routing profile.

Presents the lockfile's recorded answers, never re-deriving them: the handles a profile serves are
its ``routing`` entries that name a backend, an alias or a preset goes where its ``Resolution``
says, and a fallback chain continues with its failover candidates, as the generated runtime's
``deck.candidates`` lists them (:func:`~deckc.emit.views.failover`).

- every served LLM handle is one deployment (``model_name`` = the handle, ``model_info.id`` =
  ``<backend>/<handle>``, never a LiteLLM wildcard), with the provider prefix of its backend and
  SDK (:data:`PREFIXES`), costs per token as exact decimals, limits and capabilities;
- an alias of one name is a ``router_settings.model_group_alias`` entry to the handle it resolves
  to; a fallback chain (a list alias, a waterfall) is a model group of its own, served by the
  handle its resolution chose, with ``router_settings.fallbacks`` keyed by its name (LiteLLM does
  not apply fallbacks keyed by a ``model_group_alias``: LiteLLM issue #10317): the rest of its
  failover candidates, those ``deck.candidates`` gives at run time;
- a preset is a model group of its own carrying its ``temperature``, ``max_tokens`` and
  ``reasoning_effort`` (named ``$preset`` when an alias or a handle already has its name).

Deployments other than a handle's own have the id ``<backend>/<handle>#<group>`` (LiteLLM keeps
one deployment per id).  Credentials are ``os.environ/VAR``, never values; what LiteLLM cannot
express is refused (:class:`ExportRefused`), with every reason at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..core.ir import ModelType, is_secret_key
from ..emit.lock import Answers, Backend, Deck, Lockfile, Resolution
from ..emit.views import failover
from ..runtime import envvars, reasoning, references
from ..runtime.costs import MILLION, cached_input_price, exact
from ..runtime.sdk import sent_temperature

__all__ = ["ENV_PREFIX", "Export", "ExportRefused", "export", "prefix_of"]

ENV_PREFIX = "os.environ/"

# The LiteLLM provider prefix of a backend, by backend name first (providers that Pipelex calls
# through its OpenAI SDK), then by SDK.  ``None``: ``openai/`` with an explicit ``api_base``.
BY_BACKEND: Mapping[str, str] = {
    "vertexai": "vertex_ai/",  # Gemini, Claude and Model Garden models alike
    "bedrock": "bedrock/",
    "groq": "groq/",
    "xai": "xai/",
    "ollama": "ollama_chat/",
    "openrouter": "openrouter/",
    "huggingface": "huggingface/",
}
BY_SDK: Mapping[str, str] = {
    "openai": "openai/",
    "openai_responses": "openai/",  # with model_info mode "responses" (see model_info)
    "anthropic": "anthropic/",
    "azure_openai": "azure/",
    "azure_openai_responses": "azure/responses/",
    "bedrock_anthropic": "bedrock/",
    "bedrock_aioboto": "bedrock/",
    "bedrock_aioboto3": "bedrock/",
    "vertexai": "vertex_ai/",
    "google": "gemini/",
    "mistral": "mistral/",
}
PREFIXES = frozenset({*BY_BACKEND.values(), *BY_SDK.values()})
# Backends whose SDK default URL is their own (an ``api_base`` is written only when they declare
# an endpoint); any other backend speaking an OpenAI-style SDK needs one.
OWN_URL = frozenset({"openai", "anthropic", "mistral", "google", "groq", "xai", "openrouter"})
OWN_URL |= {"huggingface", "azure_openai", "vertexai", "bedrock"}
# The endpoint to suggest when a backend of this name declares none (never assumed: Pipelex's
# own configuration writes it, and an OpenAI client without one goes to api.openai.com).
SUGGESTED_ENDPOINTS: Mapping[str, str] = {"pipelex_inference": "https://inference.pipelex.com/v1"}
# Backend options LiteLLM takes in litellm_params, under its own names.
OPTIONS: Mapping[str, str] = {
    "aws_region": "aws_region_name",
    "gcp_project_id": "vertex_project",
    "gcp_location": "vertex_location",
    "gcp_credentials_file_path": "vertex_credentials",
    "organization": "organization",
}
PRESET_PARAMS = ("temperature", "max_tokens", "reasoning_effort")


@dataclass(frozen=True)
class Refusal:
    where: str  # what is refused: a backend's setting, a preset, a name
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ExportRefused(Exception):
    def __init__(self, refusals: list[Refusal]) -> None:
        super().__init__("\n".join(map(str, refusals)))
        self.refusals = refusals


@dataclass
class Export:
    """The configuration (plain data, costs as :class:`~decimal.Decimal`), the variables the
    proxy reads, and notes for the person running it."""

    profile: str
    config: dict[str, Any]
    variables: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def prefix_of(backend: str, sdk: str | None) -> str | None:
    """The provider prefix of ``backend``'s models run with ``sdk``; None when unknown."""
    return BY_BACKEND.get(backend) or BY_SDK.get(sdk or "")


def per_token(per_million: float | int) -> Decimal:
    """An exact USD-per-token price from deckc's per-million one (0.17 -> 0.00000017)."""
    return (exact(per_million) / MILLION).normalize()


class _Exporter:
    def __init__(self, lock: Lockfile, profile: str, settings: Mapping[str, str]) -> None:
        self.lock = lock
        self.profile = profile
        self.settings = settings
        self.settings_used: set[str] = set()
        self.refusals: list[Refusal] = []
        self.variables: dict[str, None] = {}
        self.notes: list[str] = []

    # --- values ---------------------------------------------------------------------------

    def value(self, where: str, key: str, raw: Any) -> Any:
        """A setting as LiteLLM reads it: ``${VAR}`` -> ``os.environ/VAR``."""
        if not isinstance(raw, str) or "${" not in raw:
            return raw
        refs = envvars.references(raw)
        if len(refs) != 1 or envvars.literal_text(raw) or envvars.malformed(raw):
            self.refuse(where, f"`{raw}` mixes text and references; LiteLLM reads one variable")
            return None
        ref = refs[0]
        given = [name for name in ref.names if name in self.settings]
        if given:
            self.settings_used.add(given[0])
            if is_secret_key(key):
                self.refuse(where, f"`{raw}`: --set never writes a credential into the config")
                return None
            return self.settings[given[0]]
        if ref.default == "":
            return ""  # empty when unset: not a value to write, nor to note
        if ref.default is not None:
            if is_secret_key(key):
                self.refuse(where, f"`{raw}`: a default key would be written into the config")
                return None
            self.notes.append(
                f"{where}: `{raw}` is written as its default `{ref.default}` (LiteLLM's "
                "os.environ/ has no default, and an unset one becomes None: LiteLLM issue "
                f"#6332); the proxy does not read {ref.names[0]}: edit the default, or pass --set "
                f"{ref.names[0]}=VALUE, to change it"
            )
            return ref.default
        if len(ref.parts) != 1:
            self.refuse(
                where,
                f"`{raw}` tries several variables; LiteLLM reads one: write `${{{ref.names[0]}}}`",
            )
            return None
        self.variables[ref.names[0]] = None
        return ENV_PREFIX + ref.names[0]

    def refuse(self, where: str, message: str) -> None:
        self.refusals.append(Refusal(where, message))

    # --- deployments ----------------------------------------------------------------------

    def params(self, backend: Backend, handle: str) -> dict[str, Any] | None:
        spec = self.lock.spec(ModelType.LLM, backend.name, handle)
        sdk = spec.get("sdk")
        prefix = prefix_of(backend.name, sdk)
        where = f"[{backend.name}] {handle}"
        if prefix is None:
            self.refuse(where, f"sdk `{sdk}` has no LiteLLM provider deckc knows")
            return None
        params: dict[str, Any] = {"model": prefix + str(spec.get("model_id", handle))}
        refs = backend.credential_refs
        endpoint = refs.get("endpoint")
        where_endpoint = f"[{backend.name}] endpoint"
        base = None if endpoint is None else self.value(where_endpoint, "endpoint", endpoint)
        if endpoint is not None and base != "":  # an empty default: the provider's own URL
            if prefix == "ollama_chat/" and isinstance(base, str):
                base = base.removesuffix("/").removesuffix("/v1")  # LiteLLM adds /api/chat
            params["api_base"] = base
        elif backend.name not in OWN_URL and prefix == "openai/":
            suggested = SUGGESTED_ENDPOINTS.get(backend.name, "https://...")
            self.refuse(
                where,
                f"backend `{backend.name}` declares no endpoint: LiteLLM would send its "
                f'requests to api.openai.com; add endpoint = "{suggested}" to [{backend.name}]',
            )
        elif prefix == "ollama_chat/":
            self.refuse(where, "an Ollama backend needs an explicit endpoint")
        written: list[tuple[str, str, Any]]
        written = [(key, key, refs[key]) for key in ("api_key", "api_version") if key in refs]
        written += [
            (option, name, backend.options[option])
            for option, name in sorted(OPTIONS.items())
            if option in backend.options
        ]
        for key, name, raw in written:
            value = self.value(f"[{backend.name}] {key}", key, raw)
            if value != "":  # an empty default: not set
                params[name] = value
        return params

    def model_info(self, backend: str, handle: str, deployment_id: str) -> dict[str, Any]:
        spec = self.lock.spec(ModelType.LLM, backend, handle)
        # "responses": LiteLLM calls the Responses API for the model (its `openai/responses/`
        # prefix would too, but LiteLLM 1.108.7 then prices every answer at $0)
        mode = "responses" if str(spec.get("sdk", "")).endswith("_responses") else "chat"
        info: dict[str, Any] = {"id": deployment_id, "mode": mode}
        costs = spec.get("costs") or {}
        if "input" in costs:
            info["input_cost_per_token"] = per_token(costs["input"])
            # what deck.cost charges for an input token read from the cache (for a model it
            # does not know, LiteLLM otherwise counts those as free)
            info["cache_read_input_token_cost"] = (cached_input_price(costs) / MILLION).normalize()
        if "output" in costs:
            info["output_cost_per_token"] = per_token(costs["output"])
        if isinstance(spec.get("max_tokens"), int):
            info["max_tokens"] = info["max_output_tokens"] = spec["max_tokens"]
        inputs, outputs = spec.get("inputs") or (), spec.get("outputs") or ()
        info["supports_vision"] = "images" in inputs
        info["supports_pdf_input"] = "pdf" in inputs
        info["supports_response_schema"] = "structured" in outputs
        return info

    def deployment(
        self, name: str, backend: str, handle: str, group: str | None = None
    ) -> dict[str, Any] | None:
        params = self.params(self.lock.backends[backend], handle)
        if params is None:
            return None
        params.update(call_params({}, self.lock.spec(ModelType.LLM, backend, handle)))
        deployment_id = f"{backend}/{handle}" + (f"#{group}" if group else "")
        return {
            "model_name": name,
            "litellm_params": params,
            "model_info": self.model_info(backend, handle, deployment_id),
        }


def _answers(lock: Lockfile, profile: str) -> tuple[Answers, Deck]:
    answers = lock.profiles[profile].answers.get(ModelType.LLM)
    deck = lock.decks.get(ModelType.LLM, Deck(aliases={}))
    return answers or Answers(routing={}, aliases={}, waterfalls={}, presets={}), deck


def call_params(values: Mapping[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a deployment of the model ``spec`` carries, given a preset's ``values``
    (none for a handle's), by the runtime's rules: the temperature a call sends to this model
    (:func:`~deckc.runtime.sdk.sent_temperature`: a fixed one even without a preset, none when
    the call thinks), ``max_tokens``, and the reasoning settings as Pipelex sends them
    (:mod:`~deckc.runtime.reasoning`): an Anthropic or Gemini thinking budget as LiteLLM's
    ``thinking``, an effort as ``reasoning_effort``, which LiteLLM maps itself where the model
    thinks adaptively.  ``"auto"`` leaves the choice to the SDK: not sent.  Raises ValueError
    for a reasoning setting the model cannot take."""
    given = {
        key: value
        for key in (*PRESET_PARAMS, "reasoning_budget")
        if not isinstance(value := values.get(key), (bool, type(None))) and value != "auto"
    }
    effort, budget = given.pop("reasoning_effort", None), given.pop("reasoning_budget", None)
    sdk, model = spec.get("sdk") or "", str(spec.get("model_id"))
    valued = spec.get("valued_constraints") or {}
    asked = reasoning.Asked.of(effort, budget, spec.get("thinking_mode"), model)
    temperature = sent_temperature(
        given.pop("temperature", None), spec.get("listed_constraints") or (), valued
    )
    params: dict[str, Any] = given
    if sdk in reasoning.ANTHROPIC_SDKS:
        limit = params.get("max_tokens") or spec.get("max_tokens")
        sent, adaptive = reasoning.anthropic_thinking(asked, limit, valued)
        if sent is not None:
            temperature = None
            params.update({"reasoning_effort": effort} if adaptive else {"thinking": sent})
    elif sdk in reasoning.GOOGLE_SDKS:
        config = reasoning.google_thinking(asked, params.get("max_tokens"), valued)
        if (config is not None and "thinking_level" in config) or config == {"thinking_budget": 0}:
            params["reasoning_effort"] = effort
        elif config is not None:
            params["thinking"] = {"type": "enabled", "budget_tokens": config["thinking_budget"]}
    else:
        mistral = sdk == "mistral"
        sent_effort = (reasoning.mistral_effort if mistral else reasoning.openai_effort)(asked)
        if sent_effort is not None:
            params["reasoning_effort"] = sent_effort
            if not mistral:  # Mistral's worker keeps the temperature
                temperature = None
    return params if temperature is None else {"temperature": temperature, **params}


def export(
    lock: Lockfile, profile: str | None = None, settings: Mapping[str, str] | None = None
) -> Export:
    """The LiteLLM proxy configuration of ``profile`` (the active one when None); raises
    :class:`ExportRefused` with every reason when part of it cannot be expressed.

    ``settings`` (``--set NAME=VALUE``) gives variables their value now: a setting that reads one
    is written with it (an endpoint per deployment environment, say), never a credential."""
    name = lock.active_profile if profile is None else profile
    if name not in lock.profiles:
        known = ", ".join(lock.profiles) or "none"
        raise ExportRefused([Refusal(f"--profile {name}", f"no such profile (profiles: {known})")])
    out = _Exporter(lock, name, settings or {})
    answers, deck = _answers(lock, name)
    served = {h: r.backend for h, r in sorted(answers.routing.items()) if r.backend is not None}
    model_list = [d for h, b in served.items() if (d := out.deployment(h, b, h)) is not None]
    taken = set(served)
    group_alias: dict[str, str] = {}
    fallbacks: list[dict[str, list[str]]] = []
    chains: dict[str, tuple[str, Resolution]] = {}  # group -> its spelled handle, resolution
    for alias, resolution in sorted(answers.aliases.items()):
        if resolution.model is None or resolution.backend is None:
            out.notes.append(f"alias `{alias}` is not exported: {resolution.unavailable}")
        elif isinstance(deck.aliases.get(alias), tuple):
            chains[alias] = (references.spell(references.ALIAS, alias), resolution)
        else:
            group_alias[alias] = resolution.model
    for waterfall, resolution in sorted(answers.waterfalls.items()):
        if resolution.model is None or resolution.backend is None:
            out.notes.append(f"waterfall `{waterfall}` is not exported: {resolution.unavailable}")
        else:
            chains[waterfall] = (references.spell(references.WATERFALL, waterfall), resolution)
    taken |= set(group_alias)
    candidates = failover(lock, ModelType.LLM)[name]  # what deck.candidates gives at run time
    for group, (handle, resolution) in sorted(chains.items()):
        assert resolution.backend is not None and resolution.model is not None
        entry = out.deployment(group, resolution.backend, resolution.model, group)
        if entry is not None:
            model_list.append(entry)
        taken.add(group)
        targets = [m for _, m in candidates.get(handle, ()) if m != resolution.model]
        if targets:
            fallbacks.append({group: targets})
    for preset, resolution in sorted(answers.presets.items()):
        if resolution.model is None or resolution.backend is None:
            out.notes.append(f"preset `{preset}` is not exported: {resolution.unavailable}")
            continue
        group = preset if preset not in taken else references.spell(references.PRESET, preset)
        if group != preset:
            out.notes.append(f"preset `{preset}` is the model group `{group}` (its name is taken)")
        entry = out.deployment(group, resolution.backend, resolution.model, group)
        if entry is None:
            continue
        spec = lock.spec(ModelType.LLM, resolution.backend, resolution.model)
        try:
            entry["litellm_params"].update(call_params(deck.presets.get(preset, {}), spec))
        except ValueError as cannot:  # as the runtime's sdk_arguments refuses it
            out.refuse(f"preset `{preset}`", str(cannot))
            continue
        model_list.append(entry)
    for unused in sorted(set(settings or {}) - out.settings_used):
        out.refuse(f"--set {unused}", f"no exported setting of profile {name} reads {unused}")
    if out.refusals:
        raise ExportRefused(list(dict.fromkeys(out.refusals)))
    router: dict[str, Any] = {"model_group_alias": group_alias}
    if fallbacks:
        router["fallbacks"] = fallbacks
    config = {"model_list": model_list, "router_settings": router}
    return Export(name, config, sorted(out.variables), list(dict.fromkeys(out.notes)))
