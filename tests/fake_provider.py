"""A fake LLM provider on 127.0.0.1 for the LiteLLM proxy tests: it speaks what the proxy sends
a deckc export's deployments with (OpenAI chat completions, OpenAI responses, Anthropic
messages, Vertex AI's OpenAI-compatible endpoint) and Google's OAuth token endpoint, which turns
a Vertex service account into a token.  Each backend's endpoint is ``{base}/{backend}``; every
request is recorded; a model listed in ``failing`` is answered 500."""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# the usage of every answer: input tokens (cached ones included, as deck.cost counts them)
PROMPT_TOKENS, CACHED_TOKENS, COMPLETION_TOKENS = 11, 4, 7
ACCESS_TOKEN = "ya29.deckc-fake-vertex-token"  # what the token endpoint hands out
TOKEN_PATH = "/oauth2/token"


@dataclass(frozen=True)
class Call:
    """One request: the backend (first path segment), the rest of the path, the headers (names
    in lower case) and the JSON body."""

    backend: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def model(self) -> Any:
        return self.body.get("model")

    @property
    def key(self) -> str:
        """The credential the request carries: Anthropic's or Azure's header, else the bearer
        token."""
        for header in ("x-api-key", "api-key"):
            if header in self.headers:
                return self.headers[header]
        return self.headers.get("authorization", "").removeprefix("Bearer ")


@dataclass
class FakeProvider:
    base: str = ""
    calls: list[Call] = field(default_factory=list)
    tokens_issued: int = 0
    failing: set[str] = field(default_factory=set)

    def answer(self, call: Call) -> tuple[int, dict[str, Any]]:
        text = f"{call.backend} answers as {call.model}"
        if call.path.endswith("/messages"):
            if call.model in self.failing:
                return 500, {"type": "error", "error": {"type": "api_error", "message": "down"}}
            return 200, {
                "id": "msg_fake", "type": "message", "role": "assistant", "model": call.model,
                "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {  # Anthropic counts the cache reads apart
                    "input_tokens": PROMPT_TOKENS - CACHED_TOKENS,
                    "cache_read_input_tokens": CACHED_TOKENS,
                    "output_tokens": COMPLETION_TOKENS,
                },
            }  # fmt: skip
        if call.model in self.failing:
            return 500, {"error": {"message": f"{call.model} is down", "type": "server_error"}}
        total = PROMPT_TOKENS + COMPLETION_TOKENS
        if call.path.endswith("/responses"):
            return 200, {
                "id": "resp_fake", "object": "response", "created_at": 1700000000,
                "model": call.model, "status": "completed", "parallel_tool_calls": False,
                "tool_choice": "auto", "tools": [],
                "output": [{
                    "type": "message", "id": "msg_fake", "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": text, "annotations": []}],
                }],
                "usage": {
                    "input_tokens": PROMPT_TOKENS, "output_tokens": COMPLETION_TOKENS,
                    "total_tokens": total,
                    "input_tokens_details": {"cached_tokens": CACHED_TOKENS},
                    "output_tokens_details": {"reasoning_tokens": 0},
                },
            }  # fmt: skip
        return 200, {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 1700000000,
            "model": call.model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS,
                      "total_tokens": total,
                      "prompt_tokens_details": {"cached_tokens": CACHED_TOKENS}},
        }  # fmt: skip


def reply_json(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def _handler(provider: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == TOKEN_PATH:  # a signed JWT, form-encoded: any is accepted
                assert urllib.parse.parse_qs(raw.decode())["assertion"]
                provider.tokens_issued += 1
                self.reply(200, {"access_token": ACCESS_TOKEN, "expires_in": 3600})
                return
            backend, _, path = self.path.lstrip("/").partition("/")
            path = path.partition("?")[0]  # Azure's ?api-version=
            headers = {name.lower(): value for name, value in self.headers.items()}
            call = Call(backend, "/" + path, headers, json.loads(raw or b"{}"))
            provider.calls.append(call)
            self.reply(*provider.answer(call))

        def reply(self, status: int, payload: dict[str, Any]) -> None:
            reply_json(self, status, payload)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextlib.contextmanager
def on_loopback(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """The base URL of ``handler`` served on a free port of 127.0.0.1, until exit."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def serving(provider: FakeProvider) -> Iterator[FakeProvider]:
    """``provider`` answering on 127.0.0.1 (its ``base`` set), until exit."""
    with on_loopback(_handler(provider)) as provider.base:
        yield provider
