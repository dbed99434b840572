"""``deckc validate``: the environment checked apart from the configuration (``--env``), the
default backend that serves few of its models, and the stable codes of ``--format json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run

FILES = {
    "backends.toml": (
        '[used]\napi_key = "${USED_KEY}"\n'
        '[idle]\napi_key = "${IDLE_KEY}"\n'
        '[gateway]\napi_key = "${GATEWAY_KEY:-none}"\n'
    ),
    "backends/used.toml": '[m]\nsdk = "openai"\n',
    "backends/idle.toml": '[m]\nsdk = "openai"\n',  # the active profile sends idle nothing
    "backends/gateway.toml": '[g]\nsdk = "openai"\n',
    "routing_profiles.toml": (
        'active = "p"\n[profiles.p]\ndescription = "d"\ndefault = "used"\n'
        '[profiles.p.routes]\n"g" = "gateway"\n'
    ),
    "deck/base_deck.toml": '[llm_presets]\nx = { llm_handle = "m", temperature = 0.5 }\n'
    '[llm_choice_defaults]\nfor_text = "x"\nfor_object = "x"\n',
}


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for rel, text in FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    for var in ("USED_KEY", "IDLE_KEY", "GATEWAY_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


UNSET_USED = (
    "backends.toml:2:1: used.api_key: {label}backend `used` needs environment variable USED_KEY "
    "(for api_key), which is not set\n"
    "  hint: export USED_KEY where deck runs, write ${{USED_KEY:-<default>}}, or set "
    "`enabled = false` for used"
)


def test_unset_variables_are_notes_by_default_and_change_no_exit_code(config: Path) -> None:
    result = run("validate", "inference", "--config-dir", ".")
    assert result.exit_code == 0, result.stderr  # a CI job without secrets passes
    assert "./" + UNSET_USED.format(label="note: ") in result.stderr
    assert "IDLE_KEY" in result.stderr
    assert result.stdout == "deckc: 0 error(s), 0 warning(s) in .\n"


def test_require_makes_the_active_profiles_variables_errors(config: Path) -> None:
    result = run("validate", "inference", "--config-dir", ".", "--env", "require")
    assert result.exit_code == 2  # a deploy job without USED_KEY stops here
    assert "./" + UNSET_USED.format(label="error: ") in result.stderr
    assert "backend `idle` needs environment variable IDLE_KEY" in result.stderr
    assert "idle.api_key: note: " in result.stderr  # the active profile sends idle nothing
    assert result.stdout == "deckc: 1 error(s), 0 warning(s) in .\n"


def test_skip_leaves_the_environment_out(config: Path) -> None:
    result = run("validate", "inference", "--config-dir", ".", "--env", "skip")
    assert (result.exit_code, result.stderr) == (0, "")


def test_a_default_backend_serving_none_of_its_models_is_a_warning(config: Path) -> None:
    text = FILES["routing_profiles.toml"] + (
        '[profiles.q]\ndescription = "all through the gateway"\ndefault = "gateway"\n'
        '[profiles.q.routes]\n"g" = "gateway"\n'
    )
    (config / "routing_profiles.toml").write_text(text)
    result = run("validate", "inference", "--config-dir", ".", "--env", "skip")
    assert result.exit_code == 1
    assert result.stderr == (
        "./routing_profiles.toml:9:1: profiles.q.default: warning: the default backend of "
        "profile q, gateway, serves none of the 1 model(s) no route matches: they are placed "
        "by the search on used\n"
        "  hint: declare the models in backends/gateway.toml, add routes, or choose a default "
        "that serves them\n"
    )


def test_findings_carry_stable_codes_in_json(config: Path) -> None:
    result = run("validate", "all", "--config-dir", ".", "--format", "json")
    codes = {record["code"] for record in json.loads(result.stdout)}
    assert codes == {"env-variable-unset", "generated-missing"}
    assert all(
        record["severity"] == "info"
        for record in json.loads(result.stdout)
        if record["code"] == "env-variable-unset"
    )
