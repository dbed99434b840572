"""A configuration with one backend per LiteLLM provider deckc maps (tests of the export)."""

from __future__ import annotations

from pathlib import Path

BACKENDS = """\
[openai]
api_key = "${OPENAI_API_KEY}"

[anthropic]
api_key = "${env:ANTHROPIC_API_KEY}"

[azure_openai]
endpoint = "${AZURE_API_BASE}"
api_key = "${AZURE_API_KEY}"
api_version = "${AZURE_API_VERSION}"

[bedrock]
aws_region = "${AWS_REGION}"

[vertexai]
gcp_project_id = "${GCP_PROJECT_ID}"
gcp_location = "${GCP_LOCATION}"
gcp_credentials_file_path = "${GCP_CREDENTIALS_FILE_PATH}"

[google]
api_key = "${GOOGLE_API_KEY}"

[mistral]
endpoint = "${MISTRAL_API_BASE:-https://api.mistral.ai/v1}"
api_key = "${MISTRAL_API_KEY}"

[groq]
endpoint = "https://api.groq.com/openai/v1"
api_key = "${GROQ_API_KEY}"

[xai]
endpoint = "https://api.x.ai/v1"
api_key = "${XAI_API_KEY}"

[ollama]
endpoint = "http://localhost:11434/v1"

[openrouter]
api_key = "${OPENROUTER_API_KEY}"

[huggingface]
api_key = "${HF_TOKEN}"

[gateway]
endpoint = "${GATEWAY_BASE}"
api_key = "${GATEWAY_KEY}"
"""

# backend: (handle, sdk, model_id, input and output cost per million tokens)
MODELS = {
    "openai": [
        ("gpt-4o", "openai", "gpt-4o", "2.5", "10"),
        ("gpt-5", "openai_responses", "gpt-5", "1.25", "10"),
    ],
    "anthropic": [("claude", "anthropic", "claude-sonnet-4-20250514", "3", "15")],
    "azure_openai": [("azure-4o", "azure_openai", "my-gpt4o-deployment", "2.5", "10")],
    "bedrock": [("bedrock-claude", "bedrock_anthropic", "anthropic.claude-3-sonnet", "3", "15")],
    "vertexai": [
        ("vertex-gemini", "vertexai", "gemini-2.5-pro", "1.25", "10"),
        ("vertex-llama", "openai", "meta/llama-3.1-70b-instruct-maas", "0.72", "0.72"),
    ],
    "google": [("gemini-flash", "google", "gemini-2.5-flash", "0.3", "2.5")],
    "mistral": [("mistral-large", "mistral", "mistral-large-latest", "2", "6")],
    "groq": [("llama-groq", "openai", "llama-3.3-70b-versatile", "0.59", "0.79")],
    "xai": [("grok", "openai", "grok-4", "3", "15")],
    "ollama": [("llama-local", "openai", "llama3.2", "0", "0")],
    "openrouter": [("router-model", "openai", "meta-llama/llama-3-70b", "0.17", "0.66")],
    "huggingface": [("hf-model", "openai", "Qwen/Qwen2.5", "0.1", "0.1")],
    "gateway": [("gw-mini", "openai", "pipelex/gpt-4o-mini", "0.17", "0.66")],
}

PROFILES = f"""\
active = "all"

[profiles.all]
fallback_order = [{", ".join(f'"{b}"' for b in MODELS)}]
"""

DECK = """\
[aliases]
best = "claude"
smart = ["gpt-5", "claude"]

[llm_presets.cheap]
llm_handle = "gw-mini"
temperature = 0.5
max_tokens = 512
"""


def model_table(handle: str, sdk: str, model_id: str, input_cost: str, output_cost: str) -> str:
    return (
        f'[models.{handle}]\nsdk = "{sdk}"\nmodel_id = "{model_id}"\n'
        f"costs = {{ input = {input_cost}, output = {output_cost} }}\nmax_tokens = 4096\n"
        'inputs = ["text", "images"]\noutputs = ["text", "structured"]\n'
    )


def write_providers(root: Path) -> Path:
    (root / "backends").mkdir(parents=True)
    (root / "deck").mkdir()
    (root / "backends.toml").write_text(BACKENDS)
    for backend, models in MODELS.items():
        text = "\n".join(model_table(*model) for model in models)
        (root / "backends" / f"{backend}.toml").write_text(text)
    (root / "routing_profiles.toml").write_text(PROFILES)
    (root / "deck" / "base_deck.toml").write_text(DECK)
    return root
