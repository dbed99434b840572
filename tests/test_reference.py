"""``deckc validate --reference``: the models cross-checked against a pinned LiteLLM price list
(tests/reference/: a few real entries of model_prices_and_context_window.json)."""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path

import pytest

from compiler.core.errors import CompileFailed, DeckError
from compiler.core.ir import Config
from compiler.pipeline import analyse
from compiler.review.reference import cross_check, parse_reference, read_reference
from compiler.sources.load import load_sources
from tests.conftest import EXAMPLE, ROOT, run

REFERENCE = ROOT / "tests" / "reference" / "model_prices_and_context_window.json"
SHA256 = hashlib.sha256(REFERENCE.read_bytes()).hexdigest()
SHOWN = "tests/reference/model_prices_and_context_window.json"


def config() -> Config:
    resolved, _ = analyse(load_sources(EXAMPLE))
    assert resolved is not None
    return resolved.config


def by_code(findings: tuple[DeckError, ...], code: str) -> list[str]:
    return [str(f) for f in findings if f.code == code]


def test_deprecated_past_the_date_given_only() -> None:
    reference = read_reference(REFERENCE)
    checked = cross_check(config(), reference, datetime.date(2025, 9, 1))
    assert by_code(checked.findings, "reference-deprecated") == [
        f"backends/anthropic.toml:10:1: claude-3-sonnet: warning: model_id "
        f"`claude-3-sonnet-20240229` is deprecated since 2025-07-21 (deprecation_date of "
        f"`claude-3-sonnet-20240229` in {REFERENCE.as_posix()})\n"
        "  hint: move to a current model"
    ]  # claude-3-5-haiku-20241022's date, 2025-10-22, is not past yet
    later = cross_check(config(), reference, datetime.date(2025, 10, 23))
    assert len(by_code(later.findings, "reference-deprecated")) == 2


def test_deprecated_names_the_successor_the_reference_gives() -> None:
    entries = json.loads(REFERENCE.read_text())
    entries["claude-3-sonnet-20240229"]["successor"] = "claude-sonnet-4-20250514"
    reference = parse_reference(json.dumps(entries).encode(), "ref.json")
    checked = cross_check(config(), reference, datetime.date(2025, 9, 1))
    [finding] = by_code(checked.findings, "reference-deprecated")
    assert finding.endswith("hint: the reference names its successor: `claude-sonnet-4-20250514`")


def test_summary_note_records_the_sha256() -> None:
    checked = cross_check(config(), read_reference(REFERENCE), datetime.date(2025, 9, 1))
    assert checked.summary.code == "reference-checked"
    assert str(checked.summary) == (
        f"{REFERENCE.as_posix()}: note: reference sha256 {SHA256}: 10 of 33 llm model specs matched"
    )


def validate(*extra: str) -> tuple[int, list[str], str]:
    result = run("validate", "inference", "--env", "skip", "--reference", SHOWN, *extra)
    return result.exit_code, result.stderr.splitlines(), result.stdout


@pytest.fixture
def reference_in(project: Path) -> Path:
    (project / "tests" / "reference").mkdir(parents=True)
    (project / SHOWN).write_bytes(REFERENCE.read_bytes())
    return project


def test_cli_max_tokens_absent_note_and_sha256(reference_in: Path) -> None:
    code, stderr, stdout = validate()
    assert code == 1
    assert (
        ".pipelex/inference/backends/openai.toml:13:1: models.gpt-4-turbo.max_tokens: warning: "
        "max_tokens = 128000 is above the provider's output limit, 4096 (max_output_tokens of "
        f"`gpt-4-turbo` in {SHOWN})"
    ) in stderr
    assert "  hint: set max_tokens = 4096" in stderr
    # a model the reference lacks: a note (no effect on the exit code), with the keys tried
    assert (
        ".pipelex/inference/backends/openai.toml:45:1: models.o4-mini: note: model_id `o4-mini` "
        f"(backend openai) is not in {SHOWN}: not cross-checked"
    ) in stderr
    assert "  hint: looked up: `openai/o4-mini`, `o4-mini`" in stderr
    assert f"{SHOWN}: note: reference sha256 {SHA256}: 10 of 33 llm model specs matched" in stderr
    assert stdout == "deckc: 0 error(s), 6 warning(s) in .pipelex/inference\n"


def test_cli_costs_that_differ_and_per_thousand(reference_in: Path) -> None:
    models = reference_in / ".pipelex" / "inference" / "backends" / "openai.toml"
    text = models.read_text()
    text = text.replace("costs = { input = 2.5, output = 10.0 }", "costs = { input = 0.0025 }")
    text = text.replace("costs = { input = 1.25, output = 10.0 }", "costs = { input = 1.5 }")
    models.write_text(text)
    code, stderr, _ = validate()
    assert code == 1
    assert (
        ".pipelex/inference/backends/openai.toml:23:1: models.gpt-4o.costs.input: warning: input "
        "= 0.0025 is 1000 times less than the reference's 2.5 USD per million tokens "
        f"(input_cost_per_token of `gpt-4o` in {SHOWN}): it looks written in USD per thousand "
        "tokens"
    ) in stderr
    assert "  hint: costs are USD per million tokens: input = 2.5" in stderr
    assert (
        ".pipelex/inference/backends/openai.toml:32:1: models.gpt-5.costs.input: warning: input "
        "= 1.5 USD per million tokens differs from the reference's 1.25 (input_cost_per_token "
        f"of `gpt-5` in {SHOWN})"
    ) in stderr
    assert "  hint: set input = 1.25, or keep yours if it is your price" in stderr


def test_cli_json_codes(reference_in: Path) -> None:
    code, _, stdout = validate("--format", "json")
    assert code == 1
    records = json.loads(stdout)
    codes = {r["code"] for r in records}
    assert {"reference-max-tokens", "reference-model-absent", "reference-checked"} <= codes
    [summary] = [r for r in records if r["code"] == "reference-checked"]
    assert summary["file"] == SHOWN and SHA256 in summary["message"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{\n  "gpt-4o": {\n    "input_cost_per_token": 2.5e-06,\n  }\n}\n',
            "{file}:4:3: error: not JSON: Expecting property name enclosed in double quotes",
        ),
        ("[1, 2]", "{file}: error: not LiteLLM's price list: the top level is not an object"),
        (
            '{\n  "gpt-4o": {"input_cost_per_token": "2.5e-06", "max_output_tokens": 0}\n}\n',
            '{file}:2:3: gpt-4o: error: input_cost_per_token of `gpt-4o` is "2.5e-06", not a '
            "number of USD per token",
        ),
    ],
)
def test_cli_malformed_reference_exits_2(project: Path, text: str, expected: str) -> None:
    (project / "ref.json").write_text(text)
    result = run("validate", "inference", "--env", "skip", "--reference", "ref.json")
    assert result.exit_code == 2
    assert expected.format(file="ref.json") in result.stderr.splitlines()
    assert "  hint: give a copy of LiteLLM's model_prices_and_context_window.json" in (
        result.stderr.splitlines()
    )


def test_malformed_reference_reports_every_problem() -> None:
    text = b'{"a": {"max_output_tokens": 0, "deprecation_date": "soon"}, "b": 3}'
    with pytest.raises(CompileFailed) as failed:
        parse_reference(text, "ref.json")
    assert [d.message for d in failed.value.diagnostics] == [
        'deprecation_date of `a` is "soon", not a date written YYYY-MM-DD',
        "max_output_tokens of `a` is 0, not a positive integer",
        "entry `b` is not an object",
    ]


def test_missing_reference_file(project: Path) -> None:
    result = run("validate", "inference", "--env", "skip", "--reference", "nowhere.json")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "nowhere.json: error: cannot read the reference: No such file or directory"
    )
