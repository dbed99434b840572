"""The providers ``deckc init`` knows: one table of data, read by :mod:`compiler.review.init`.

Each provider is a backend as Pipelex names it, its settings (credentials as the names of the
variables that hold them, never a value), the ``sdk`` Pipelex runs it with in each layout, and a
few real models with their ids, limits and prices (USD per million tokens, as Pipelex counts
them).  Handles, ids, sdks and model fields follow the kits Pipelex 0.92.2 and 0.10.2 ship
(``tools/pipelex_kit.py`` extracts them); a model's :class:`Role` says which deck entry it fills.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..core.ir import Dialect, ModelType

OLD, NEW = Dialect.PIPELEX_0_10, Dialect.PIPELEX_0_92
BOTH = frozenset({OLD, NEW})


class Role(enum.Enum):
    """What a model is in the scaffold's deck: a step of that role's waterfall (fallback list)."""

    PREMIUM = "premium"  # the LLM for careful work
    SMALL = "small"  # the cheap LLM the default choices use
    IMAGE = "image"
    SEARCH = "search"
    DOCUMENT = "document"  # text from documents (PDF, scans)
    WEB_PAGE = "web_page"  # text from a web page
    PDF = "pdf"  # prints a PDF from a layout


@dataclass(frozen=True)
class Var:
    """A setting read from the environment: written ``${NAME}``."""

    name: str


@dataclass(frozen=True)
class Model:
    handle: str
    model_id: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    costs: Mapping[str, float] | None  # None: not priced per token (see the provider's comment)
    max_tokens: int | None = None
    role: Role | None = None
    model_type: ModelType = ModelType.LLM
    sdk: str | None = None  # when not the provider's
    fields: Mapping[str, object] = field(default_factory=dict)  # written in both layouts
    fields_092: Mapping[str, object] = field(default_factory=dict)  # pipelex-0.92 fields only


@dataclass(frozen=True)
class Provider:
    name: str  # the backend's name, as Pipelex's kit names it
    title: str
    settings: tuple[tuple[str, str | Var], ...]  # backends.toml keys after `enabled`
    sdk: Mapping[Dialect, str]
    models: tuple[Model, ...]
    prompting_target: str  # pipelex-0.10's default_prompting_target
    defaults_092: Mapping[str, object] = field(default_factory=dict)  # [defaults] beyond sdk
    settings_010: tuple[tuple[str, str | Var], ...] = ()  # pipelex-0.10 only
    model_type: ModelType = ModelType.LLM  # its models' type unless they say otherwise
    layouts: frozenset[Dialect] = BOTH
    comments: tuple[str, ...] = ()  # atop its model file
    note: str = ""  # printed by `deckc init` among what to do next
    aka: tuple[str, ...] = ()  # names people call it by: suggested for a misspelt provider

    @property
    def serves_llm(self) -> bool:
        return any(m.model_type is ModelType.LLM for m in self.models)


TEXT, TEXT_IMAGES, TEXT_IMAGES_PDF = ("text",), ("text", "images"), ("text", "images", "pdf")
ANSWERS = ("text", "structured")
FREE = {"input": 0.0, "output": 0.0}


def _costs(input_usd: float, output_usd: float) -> dict[str, float]:
    return {"input": input_usd, "output": output_usd}


_GPT_IMAGE_RULES = {
    "prompt": "positive_only",
    "num_images": "gpt_image",
    "aspect_ratio": "gpt_image_legacy",
    "background": "available",
    "inference": "gpt_image",
    "output_format": "gpt_image_legacy",
    "output_compression": "gpt_image_legacy",
    "input_images": "gpt_image",
    "input_fidelity": "gpt_image_legacy",
}
_CLAUDE_THINKING = {"thinking_mode": "manual", "valued_constraints": {"min_thinking_budget": 1024}}

# fmt: off
PROVIDERS: tuple[Provider, ...] = (
    Provider(
        "openai", "OpenAI",
        settings=(("api_key", Var("OPENAI_API_KEY")),),
        sdk={OLD: "openai", NEW: "openai_responses"},
        defaults_092={"structure_method": "instructor/openai_responses_tools",
                      "thinking_mode": "none"},
        prompting_target="openai",
        models=(
            Model("gpt-4o-mini", "gpt-4o-mini", TEXT_IMAGES, ANSWERS, _costs(0.15, 0.6), 16384,
                  Role.SMALL),
            Model("gpt-4o", "gpt-4o", TEXT_IMAGES, ANSWERS, _costs(2.5, 10.0), 16384),
            Model("gpt-5.4", "gpt-5.4", TEXT_IMAGES, ANSWERS, _costs(2.5, 15.0), 128000,
                  Role.PREMIUM, fields_092={"thinking_mode": "manual"}),
            Model("gpt-image-1-mini", "gpt-image-1-mini", TEXT_IMAGES, ("image",),
                  _costs(2.5, 8.0), role=Role.IMAGE, model_type=ModelType.IMG_GEN,
                  sdk="openai_img_gen",
                  fields_092={"rules": {"model_choice": "model_id", **_GPT_IMAGE_RULES,
                                        "safety_checker": "openai_moderation"}}),
        ),
    ),
    Provider(
        "anthropic", "Anthropic",
        settings=(("api_key", Var("ANTHROPIC_API_KEY")),),
        sdk={OLD: "anthropic", NEW: "anthropic"},
        defaults_092={"structure_method": "instructor/anthropic_tools", **_CLAUDE_THINKING},
        prompting_target="anthropic",
        aka=("claude",),
        models=(
            Model("claude-4.5-haiku", "claude-haiku-4-5-20251001", TEXT_IMAGES_PDF, ANSWERS,
                  _costs(1.0, 5.0), 64000, Role.SMALL, fields={"max_prompt_images": 100}),
            Model("claude-4.5-sonnet", "claude-sonnet-4-5-20250929", TEXT_IMAGES_PDF, ANSWERS,
                  _costs(3.0, 15.0), 64000, Role.PREMIUM, fields={"max_prompt_images": 100}),
            Model("claude-4.5-opus", "claude-opus-4-5-20251101", TEXT_IMAGES_PDF, ANSWERS,
                  _costs(5.0, 25.0), 64000, fields={"max_prompt_images": 100}),
        ),
    ),
    Provider(
        "google", "Google AI (Gemini API)",
        settings=(("api_key", Var("GOOGLE_API_KEY")),),
        # Pipelex 0.10 has no Gemini SDK: it reaches Gemini through Google's OpenAI-compatible API
        settings_010=(("endpoint", "https://generativelanguage.googleapis.com/v1beta/openai/"),),
        sdk={OLD: "openai", NEW: "google"},
        defaults_092={"structure_method": "instructor/genai_structured_outputs",
                      "thinking_mode": "manual"},
        prompting_target="gemini",
        aka=("gemini",),
        models=(
            Model("gemini-2.5-flash", "gemini-2.5-flash", TEXT_IMAGES_PDF, ANSWERS,
                  _costs(0.3, 2.5), 65536, Role.SMALL, fields={"max_prompt_images": 3000},
                  fields_092={"valued_constraints": {"max_thinking_budget": 24576}}),
            Model("gemini-2.5-pro", "gemini-2.5-pro", TEXT_IMAGES_PDF, ANSWERS,
                  _costs(1.25, 10.0), 65536, Role.PREMIUM, fields={"max_prompt_images": 3000},
                  fields_092={"listed_constraints": ["thinking_cannot_be_disabled"],
                              "valued_constraints": {"min_thinking_budget": 128,
                                                     "max_thinking_budget": 32768}}),
            Model("gemini-2.5-flash-lite", "gemini-2.5-flash-lite", TEXT_IMAGES_PDF, ANSWERS,
                  _costs(0.1, 0.4), 65536, fields={"max_prompt_images": 3000},
                  fields_092={"valued_constraints": {"min_thinking_budget": 512,
                                                     "max_thinking_budget": 24576}}),
            Model("nano-banana", "gemini-2.5-flash-image", TEXT_IMAGES, ("image",),
                  _costs(0.3, 30.0), role=Role.IMAGE, model_type=ModelType.IMG_GEN,
                  fields_092={"thinking_mode": "none", "rules": {"aspect_ratio": "gemini_2_5"}}),
        ),
    ),
    Provider(
        "mistral", "Mistral AI",
        settings=(("api_key", Var("MISTRAL_API_KEY")),),
        sdk={OLD: "mistral", NEW: "mistral"},
        defaults_092={"structure_method": "instructor/mistral_tools", "thinking_mode": "none"},
        prompting_target="mistral",
        comments=("Mistral OCR is billed per page, not per token: it has no costs here.",),
        models=(
            Model("mistral-small", "mistral-small-latest", TEXT_IMAGES, ANSWERS,
                  _costs(0.15, 0.6), 256000, Role.SMALL),
            Model("mistral-medium", "mistral-medium-latest", TEXT_IMAGES_PDF, ANSWERS,
                  _costs(0.4, 2.0), 128000),
            Model("mistral-large", "mistral-large-latest", TEXT_IMAGES_PDF, ANSWERS,
                  _costs(0.5, 1.5), 256000, Role.PREMIUM),
            Model("mistral-ocr", "mistral-ocr-latest", ("pdf", "image"), ("pages",), None,
                  16384, Role.DOCUMENT, ModelType.TEXT_EXTRACTOR),
        ),
    ),
    Provider(
        "azure_openai", "Azure OpenAI",
        settings=(("endpoint", Var("AZURE_API_BASE")), ("api_key", Var("AZURE_API_KEY")),
                  ("api_version", Var("AZURE_API_VERSION"))),
        sdk={OLD: "azure_openai", NEW: "azure_openai_responses"},
        defaults_092={"structure_method": "instructor/openai_responses_tools",
                      "thinking_mode": "none"},
        prompting_target="openai",
        aka=("azure",),
        comments=("model_id is the name of the deployment in your Azure resource: use yours.",),
        note="azure_openai: each model_id in backends/azure_openai.toml is a deployment name; "
        "make it yours",
        models=(
            Model("gpt-4o-mini", "gpt-4o-mini-2024-07-18", TEXT_IMAGES, ANSWERS,
                  _costs(0.15, 0.6), 16384, Role.SMALL),
            Model("gpt-4o", "gpt-4o-2024-11-20", TEXT_IMAGES, ANSWERS, _costs(2.5, 10.0), 16384,
                  Role.PREMIUM),
            Model("gpt-image-1-mini", "gpt-image-1-mini-2025-10-06", TEXT_IMAGES, ("image",),
                  _costs(2.5, 8.0), role=Role.IMAGE, model_type=ModelType.IMG_GEN,
                  sdk="azure_rest_img_gen",
                  fields_092={"rules": {**_GPT_IMAGE_RULES, "safety_checker": "unavailable"}}),
        ),
    ),
    Provider(
        "bedrock", "Amazon Bedrock",
        settings=(("aws_region", Var("AWS_REGION")),),
        sdk={OLD: "bedrock_aioboto3", NEW: "bedrock_aioboto"},
        defaults_092={"thinking_mode": "none"},
        prompting_target="anthropic",
        aka=("aws", "amazon"),
        comments=("model_id values are Bedrock model or inference-profile ids.",),
        note="bedrock: the AWS credentials come from boto3's usual sources (AWS_ACCESS_KEY_ID "
        "and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or the instance's role)",
        models=(
            Model("bedrock-nova-lite", "us.amazon.nova-lite-v1:0", TEXT_IMAGES, TEXT,
                  _costs(0.06, 0.24), 5120, Role.SMALL),
            Model("bedrock-nova-pro", "us.amazon.nova-pro-v1:0", TEXT_IMAGES, TEXT,
                  _costs(0.8, 3.2), 5120),
            Model("claude-4.5-sonnet", "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                  TEXT_IMAGES_PDF, ANSWERS, _costs(3.0, 15.0), 64000, Role.PREMIUM,
                  sdk="bedrock_anthropic", fields={"max_prompt_images": 100},
                  fields_092=_CLAUDE_THINKING),
        ),
    ),
    Provider(
        "vertexai", "Google Vertex AI",
        settings=(("gcp_project_id", Var("GCP_PROJECT_ID")),
                  ("gcp_location", Var("GCP_LOCATION")),
                  ("gcp_credentials_file_path", Var("GCP_CREDENTIALS_FILE_PATH"))),
        sdk={OLD: "openai", NEW: "openai"},
        defaults_092={"structure_method": "instructor/vertexai_tools", "thinking_mode": "none"},
        prompting_target="gemini",
        aka=("vertex", "gcp"),
        note="vertexai: GCP_CREDENTIALS_FILE_PATH is the path of a service account's JSON key "
        "file",
        models=(
            Model("gemini-2.5-flash", "google/gemini-2.5-flash", TEXT_IMAGES, ANSWERS,
                  _costs(0.3, 2.5), 65536, Role.SMALL, fields={"max_prompt_images": 3000}),
            Model("gemini-2.5-pro", "google/gemini-2.5-pro", TEXT_IMAGES, ANSWERS,
                  _costs(1.25, 10.0), 65536, Role.PREMIUM, fields={"max_prompt_images": 3000}),
        ),
    ),
    Provider(
        "xai", "xAI",
        settings=(("endpoint", "https://api.x.ai/v1"), ("api_key", Var("XAI_API_KEY"))),
        sdk={OLD: "openai", NEW: "openai"},
        defaults_092={"structure_method": "instructor/openai_tools", "thinking_mode": "none"},
        prompting_target="anthropic",
        aka=("grok",),
        models=(
            Model("grok-3-mini", "grok-3-mini", TEXT, ANSWERS, _costs(0.3, 0.5), role=Role.SMALL),
            Model("grok-3", "grok-3", TEXT, ANSWERS, _costs(3.0, 15.0), role=Role.PREMIUM),
        ),
    ),
    Provider(
        "groq", "Groq",
        settings=(("endpoint", "https://api.groq.com/openai/v1"),
                  ("api_key", Var("GROQ_API_KEY"))),
        sdk={OLD: "openai", NEW: "openai"},
        defaults_092={"structure_method": "instructor/json", "thinking_mode": "none"},
        prompting_target="openai",
        models=(
            Model("llama-3.1-8b-instant", "llama-3.1-8b-instant", TEXT, ANSWERS,
                  _costs(0.05, 0.08), 131072, Role.SMALL),
            Model("llama-3.3-70b-versatile", "llama-3.3-70b-versatile", TEXT, ANSWERS,
                  _costs(0.59, 0.79), 32768, Role.PREMIUM),
            Model("gpt-oss-120b", "openai/gpt-oss-120b", TEXT, ANSWERS, _costs(0.15, 0.6),
                  65536),
        ),
    ),
    Provider(
        "ollama", "Ollama",
        settings=(("endpoint", "http://localhost:11434/v1"),),  # local: no key
        sdk={OLD: "openai", NEW: "openai"},
        defaults_092={"structure_method": "instructor/openai_tools", "thinking_mode": "none"},
        prompting_target="anthropic",
        comments=("Models served by your local Ollama (`ollama pull <model_id>`): no key, "
                  "no cost.",),
        note="ollama: start Ollama and pull the models: ollama pull gemma3:4b qwen3:8b "
        "mistral-small3.1:24b",
        models=(
            Model("gemma3-4b", "gemma3:4b", TEXT, TEXT, FREE, role=Role.SMALL),
            Model("qwen3-8b", "qwen3:8b", TEXT, TEXT, FREE, role=Role.PREMIUM),
            Model("mistral-small3.1-24b", "mistral-small3.1:24b", TEXT, TEXT, FREE),
        ),
    ),
    Provider(
        "linkup", "Linkup",
        settings=(("api_key", Var("LINKUP_API_KEY")),),
        sdk={NEW: "linkup"},
        defaults_092={"thinking_mode": "none"},
        prompting_target="",
        model_type=ModelType.SEARCH,
        layouts=frozenset({NEW}),
        comments=("Web search. Linkup bills per request, not per token: no costs here.",),
        models=(
            Model("linkup-standard", "standard", TEXT, ("sourced-answers", "structured"), None,
                  role=Role.SEARCH, model_type=ModelType.SEARCH),
            Model("linkup-deep", "deep", TEXT, ("sourced-answers", "structured"), None,
                  model_type=ModelType.SEARCH),
            Model("linkup-fetch", "fetch", ("web_page",), ("pages",), None, role=Role.WEB_PAGE,
                  model_type=ModelType.TEXT_EXTRACTOR, sdk="linkup_fetch"),
        ),
    ),
)

# Pipelex's software-only backend (pipelex-0.92), always written: keyless, it reads the text of a
# PDF and prints a PDF, so the extract and doc_gen decks have a model whatever the providers.
INTERNAL = Provider(
    "internal", "Pipelex (software only)",
    settings=(),
    sdk={},
    defaults_092={"thinking_mode": "none"},
    prompting_target="",
    layouts=frozenset({NEW}),
    comments=("Software-only models that run inside Pipelex: no key, no cost.",),
    models=(
        Model("pypdfium2-extract-pdf", "extract-text", ("pdf",), ("pages",), {},
              role=Role.DOCUMENT, model_type=ModelType.TEXT_EXTRACTOR, sdk="pypdfium2"),
        Model("reportlab-pdf", "print-pdf", ("layout",), ("pdf",), {}, role=Role.PDF,
              model_type=ModelType.DOC_GEN, sdk="reportlab"),
    ),
)
# fmt: on

BY_NAME = {provider.name: provider for provider in PROVIDERS}
