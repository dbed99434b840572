"""The conformance harness's own decisions (``conformance/run.py``), without Pipelex: which
backends it disables, what it counts as stricter, not comparable or a failure, and how it reads a
migration's answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from compiler.core.errors import CompileFailed, DeckError, Location
from compiler.core.ir import Dialect
from conformance.run import (
    Case,
    Tally,
    _combinations,
    _comparable,
    _judge_refusal,
    _migration_differences,
)


def test_the_disabled_combinations_are_few_and_the_same_every_run() -> None:
    backends = ["a", "b", "c", "d", "e"]
    assert _combinations(backends) == [("a",), ("a", "b"), ("c",), ("a", "b", "c")]
    assert _combinations(["a", "b"]) == [("a",)]
    assert _combinations([]) == []


def test_answers_that_depend_on_what_is_installed_are_set_apart() -> None:
    tally = Tally()
    answer: dict[str, Any] = {
        "types": {
            "doc_gen": {
                "choices": {
                    "docx.layout": {"error": "DocGenEngineMissingError", "message": "m"},
                    "pdf.layout": {"model": "reportlab-pdf", "backend": "internal"},
                }
            }
        }
    }
    kept = _comparable(answer, tally)
    assert list(kept["types"]["doc_gen"]["choices"]) == ["pdf.layout"]
    assert "docx.layout" in answer["types"]["doc_gen"]["choices"]  # the original is untouched
    assert tally.environmental == {"doc-gen engine not installed beside Pipelex": 1}


def _refused(tmp_path: Path, *messages: str) -> tuple[Tally, Path]:
    config = tmp_path / "case" / "inference"
    config.mkdir(parents=True)
    (config / "backends.toml").write_text("")
    failed = CompileFailed(
        [DeckError(m, location=Location("deck/base_deck.toml")) for m in messages]
    )
    tally = Tally()
    profiles = {"p": {"boot": "ok"}}
    case = Case("case", Dialect.PIPELEX_0_92, config, "random")
    _judge_refusal(case, failed, profiles, "p", tally, tmp_path / "report")
    return tally, tmp_path / "report"


def test_a_refusal_a_rule_explains_is_stricter_and_any_other_is_a_failure(tmp_path: Path) -> None:
    tally, report = _refused(tmp_path / "a", "alias cycle: a -> b -> a")
    assert (tally.stricter, tally.failures) == ({"cycle": 1}, [])
    assert not report.exists()
    tally, report = _refused(tmp_path / "b", "something else entirely")
    (failure,) = tally.failures
    assert failure.startswith("case (random, pipelex-0.92): deckc refuses what Pipelex boots")
    assert "something else entirely" in failure
    assert (report / "case" / "inference" / "backends.toml").is_file()  # kept for a reader


def test_a_migration_is_compared_list_alias_against_its_waterfall() -> None:
    old = {
        "served": {"m": "a"},
        "aliases": {
            "chain": {"target": ["x", "m"], "model": "m", "backend": "a"},
            "one": {"target": "m", "model": "m", "backend": "a"},
        },
        "presets": {"p": {"model": "m", "backend": "a"}},
        "choices": {"for_text": {"model": "m", "backend": "a"}},
    }
    new = {
        "served": {"m": "a"},
        "aliases": {"one": {"model": "m", "backend": "a"}},
        "waterfalls": {"chain": {"model": "m", "backend": "a"}},
        "presets": {"p": {"model": "m", "backend": "a"}},
        "choices": {"for_text": {"error": "ModelNotFoundError"}},
    }
    assert _migration_differences(old, new) == [
        "choices for_text: 0.10 ('m', 'a'), migrated (None, None)"
    ]
