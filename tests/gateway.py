"""What the LiteLLM proxy tests share: the proxy's master key, a client of the proxy, a chat
request, and the generated runtime whose answers the proxy's are checked against."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import httpx

from compiler.pipeline import compile_dir
from conformance.compare import imported

# The export sets no master key (it is the deployment's); the proxy reads it from
# LITELLM_MASTER_KEY, and refuses to start without one (1.74.0 started, open to any caller).
PROXY_KEY = "sk-deckc-proxy-52d8"

_RUNTIMES: dict[Path, ModuleType] = {}


def runtime_of(config_dir: Path, scratch: Path) -> ModuleType:
    """The generated runtime of ``config_dir``, compiled into ``scratch`` and imported once."""
    if config_dir not in _RUNTIMES:
        _RUNTIMES[config_dir] = imported(compile_dir(config_dir), scratch)
    return _RUNTIMES[config_dir]


def client() -> httpx.Client:
    """A client of the proxy, with its master key, that never goes through an HTTP proxy."""
    auth = {"Authorization": f"Bearer {PROXY_KEY}"}
    return httpx.Client(trust_env=False, timeout=60.0, headers=auth)


def chat(proxy: str, model: str, prompt: str = "hello") -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": prompt}]}
    with client() as http:
        return http.post(f"{proxy}/v1/chat/completions", json=body)
