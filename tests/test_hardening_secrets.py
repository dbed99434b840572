"""Secrets: the value of a ``${VAR}`` never reaches the lockfile, the generated code, the output
or an error message of any command, even when the variable is set (a canary in every one).

``backend(...).credentials()`` reading the environment only when called is tested in
test_runtime.py (test_credentials_are_read_only_when_asked).
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli import cli
from compiler.runtime import envvars as envrefs
from conformance.compare import import_generated
from tests.conftest import EXAMPLE

CANARY = "c4n4ry-7f3a9c"


class EchoServer(BaseHTTPRequestHandler):
    """A hostile models endpoint: refuses with every header it got echoed back, or lists the
    credentials it got as model ids."""

    def do_GET(self) -> None:
        echoed = json.dumps({"path": self.path, "headers": dict(self.headers)})
        if "refuse" in self.path:
            self.send_response(401)
            body = json.dumps({"error": {"message": f"bad key: {echoed}"}}).encode()
        else:
            self.send_response(200)
            ids = [{"id": value} for value in self.headers.values()] + [{"id": echoed}]
            body = json.dumps({"data": ids, "models": ids}).encode()
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), EchoServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def canary_config(root: Path, server: str) -> dict[str, str]:
    """The example, every backend given an endpoint (on the echo server) and its every
    ``${VAR}`` set to a canary; returns that environment."""
    shutil.copytree(EXAMPLE, root)
    backends = root / "backends.toml"
    text = re.sub(r'(?m)^endpoint = ".*"\n', "", backends.read_text())
    text = re.sub(
        r"(?m)^\[(\w+)\]\n",
        lambda m: f'[{m[1]}]\nendpoint = "${{{m[1].upper()}_ENDPOINT}}"\n',
        text,
    )
    backends.write_text(text)
    env = {var: f"{CANARY}-{var}" for var in envrefs.variables(text)}
    for index, var in enumerate(v for v in env if v.endswith("_ENDPOINT")):
        # the path holds the canary; what the endpoint says in messages is its host only
        env[var] = f"{server}/{'refuse' if index % 2 else 'v1'}/{CANARY}"
    assert len(env) > 10
    return env


def broken_copy(config: Path, dest: Path) -> Path:
    shutil.copytree(config, dest)
    (dest / "deck" / "team.toml").write_text(
        '[aliases]\nbroken = "no-such-model"\nloop = "loop2"\nloop2 = "loop"\n'
    )
    backends = dest / "backends.toml"
    backends.write_text(backends.read_text().replace("${OPENAI_API_KEY}", "${OPENAI_API_KEY"))
    return dest


RUNS = {
    "compile": [["compile"], ["compile", "--force"], ["compile", "--dry-run", "--force"]],
    "check": [["check"]],
    "validate": [
        ["validate"],
        ["validate", "inference", "--strict"],
        ["validate", "--format", "json"],
        ["validate", "inference", "--online", "--timeout", "5"],
        ["validate", "inference", "--online", "--format", "json"],
    ],
    "explain": [
        ["explain", "best-claude"],
        ["explain", "$llm_to_engineer", "--profile", "mixed", "--format", "json"],
        ["explain", "no-such-handle"],
    ],
    "costs": [["costs"], ["costs", "--profile", "mixed", "--format", "json"]],
    "diff": [["diff", "out/deck.lock.json", "out/deck.lock.json"]],
    "schema": [["schema", "--out", "schemas"]],
    "migrate": [["migrate", "--out", "migrated"]],
    "init": [["init", "openai", "anthropic", "bedrock", "--config-dir", "initialized"]],
    "export": [
        ["export", "litellm", "--out", "litellm.yaml"],
        ["export", "litellm", "--profile", "mixed", "--out", "mixed.yaml"],
    ],
}


def command_line(args: list[str], config: str) -> list[str]:
    if args[0] == "schema" or "--config-dir" in args:  # init: a directory of its own
        return args
    if args[0] == "costs":  # no --out
        return [*args, "--config-dir", config]
    return [*args, "--config-dir", config, *([] if "--out" in args else ["--out", "out"])]


def test_online_findings_never_echo_an_endpoint_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    env = canary_config(tmp_path / "config", server)
    env = {v: f"{server}/refuse/{CANARY}" if v.endswith("_ENDPOINT") else x for v, x in env.items()}
    monkeypatch.chdir(tmp_path)
    result = CliRunner(env=env).invoke(
        cli, ["validate", "inference", "--online", "--config-dir", "config"]
    )
    assert result.exit_code == 1
    assert CANARY not in result.stdout + result.stderr


def test_every_command_is_covered() -> None:
    assert sorted(RUNS) == sorted(cli.commands), "add the new command to RUNS"


def test_no_secret_value_in_any_output_or_artifact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    env = canary_config(tmp_path / "config", server)
    broken = broken_copy(tmp_path / "config", tmp_path / "broken")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner(env=env)
    exits: dict[tuple[str, ...], int] = {}
    for config in ("config", "broken"):
        for runs in RUNS.values():
            for args in runs:
                result = runner.invoke(cli, command_line(args, config), catch_exceptions=False)
                exits[(config, *args)] = result.exit_code
                for text in (result.stdout, result.stderr):
                    assert CANARY not in text, (config, args, text)
    assert exits[("config", "compile")] == 0
    assert exits[("broken", "compile")] == 2
    assert exits[("config", "validate", "inference", "--online", "--timeout", "5")] == 1
    assert broken.is_dir()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path

    deck = import_generated(tmp_path / "out")  # the runtime resolves them, on demand only
    lock = json.loads((tmp_path / "out" / "deck.lock.json").read_text(encoding="utf-8"))
    for name in lock["backends"]:
        assert CANARY not in repr(deck.backend(name))
    with monkeypatch.context() as patched:
        for var, value in env.items():
            patched.setenv(var, value)
        assert deck.backend("openai").credentials()["api_key"] == f"{CANARY}-OPENAI_API_KEY"


def test_a_credential_written_literally_reaches_no_output_and_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    """A key pasted into backends.toml (an api_key, and a credential option of a disabled
    backend): every command refuses or reports it, located, and none repeats it."""
    env = canary_config(tmp_path / "literal", server)
    backends = tmp_path / "literal" / "backends.toml"
    text = backends.read_text().replace("${OPENAI_API_KEY}", f"sk-live-{CANARY}")
    text = text.replace("[bedrock]\n", f'[bedrock]\naws_secret_access_key = "{CANARY}"\n')
    backends.write_text(text)
    lines = text.splitlines()
    openai = lines.index(f'api_key = "sk-live-{CANARY}"') + 1
    bedrock = lines.index(f'aws_secret_access_key = "{CANARY}"') + 1
    monkeypatch.chdir(tmp_path)
    runner = CliRunner(env=env)
    exits: dict[tuple[str, ...], int] = {}
    outputs: dict[tuple[str, ...], str] = {}
    for runs in RUNS.values():
        for args in runs:
            result = runner.invoke(cli, command_line(args, "literal"), catch_exceptions=False)
            exits[tuple(args)] = result.exit_code
            outputs[tuple(args)] = result.stdout + result.stderr
            assert CANARY not in outputs[tuple(args)], (args, outputs[tuple(args)])
    assert exits[("compile",)] == 2
    assert (
        f"literal/backends.toml:{openai}:1: openai.api_key: error: a credential must be a ${{...}} "
        "reference, not a literal value, which would be copied into the lockfile and the "
        "generated code\n"
        '  hint: write api_key = "${OPENAI_API_KEY}" and set the variable'
    ) in outputs[("compile",)]
    assert (
        f"literal/backends.toml:{bedrock}:1: bedrock.aws_secret_access_key: error: a credential "
        "must be a ${...} reference"
    ) in outputs[("compile",)]
    assert all(exits[tuple(args)] != 0 for args in RUNS["validate"] + RUNS["migrate"])
    for path in tmp_path.rglob("*"):
        if path.is_file() and not path.is_relative_to(tmp_path / "literal"):
            assert CANARY.encode() not in path.read_bytes(), path
