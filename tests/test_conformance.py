"""The conformance harness's own decisions (``conformance/run.py``), without Pipelex: which
backends it disables, what it counts as stricter, not comparable or a failure, and how it reads a
migration's answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compiler.core.errors import CompileFailed, DeckError, Location
from compiler.core.ir import Dialect
from compiler.pipeline import compile_dir
from conformance.corpus import (
    MISTAKES,
    current_layout_configs,
    seed_layout_configs,
    with_mistake,
    write_config,
)
from conformance.run import (
    DELIBERATE,
    Case,
    Tally,
    _combinations,
    _comparable,
    _draw,
    _judge_refusal,
    _migration_differences,
    judge,
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


RULE_OF = {
    "cycle": "cycle",
    "dangling": "dangling-reference",
    "over-limits": "preset-over-limits",
    "list-override": "list-override",
}


@pytest.mark.parametrize("current", [False, True], ids=["pipelex-0.10", "pipelex-0.92"])
@pytest.mark.parametrize("kind", MISTAKES)
def test_each_deliberate_mistake_is_refused_by_its_rule(
    kind: str, current: bool, tmp_path: Path
) -> None:
    strategy = current_layout_configs() if current else seed_layout_configs()
    refused = 0
    for number, files in enumerate(_draw(strategy, 6)):
        changed = with_mistake(files, kind, current)
        if changed == files:  # nothing to hang it on (no LLM with max_tokens), or 0.92 lists
            continue
        try:
            compile_dir(write_config(changed, tmp_path / str(number)))
        except CompileFailed as failed:
            rule = next(r for r in DELIBERATE if r.name == RULE_OF[kind])
            assert all(rule.matches(e) for e in failed.errors), failed.errors
            refused += 1
        else:  # the greedy preset's model may be served, under each profile, by no limited spec
            assert kind == "over-limits"
    assert refused > 0 or (kind == "list-override" and current)


SEED_REFUSED_WHEN_ACTIVE = {
    "backends.toml": "[a]\n[b]\nenabled = false\n",
    "backends/a.toml": '[m]\nsdk = "openai"\n',
    "routing_profiles.toml": 'active = "p"\n[profiles.p]\ndefault = "b"\n'
    '[profiles.q]\ndefault = "a"\n',
    "deck/base_deck.toml": '[llm_presets]\nx = { llm_handle = "m", temperature = 0.5 }\n'
    '[llm_choice_defaults]\nfor_text = "x"\nfor_object = "x"\n',
}


def _pipelex_answers(served_by: str) -> dict[str, Any]:
    refused = {"boot": {"error": "ModelsManagerError", "message": "Backend 'b' ..."}}
    found = {"model": "m", "backend": served_by}
    return {
        "active_in_files": "p",
        "profiles": {
            "p": refused,
            "q": {
                "boot": "ok",
                "types": {
                    "llm": {
                        "served": {"m": served_by},
                        "aliases": {},
                        "presets": {"x": {**found, "settings": {"temperature": 0.5}}},
                        "choices": {"for_text": found, "for_object": found},
                    }
                },
            },
        },
    }


def test_when_both_refuse_the_active_profile_each_other_is_judged_as_the_active_one(
    tmp_path: Path,
) -> None:
    config = write_config(SEED_REFUSED_WHEN_ACTIVE, tmp_path / "case" / "inference")
    case = Case("case", Dialect.PIPELEX_0_10, config, "random")
    tally = Tally()
    judge(case, _pipelex_answers("a"), tally, tmp_path / "report")
    assert (tally.stricter, tally.profiles, tally.failures) == ({"both refuse": 1}, 1, [])
    tally = Tally()
    judge(case, _pipelex_answers("z"), tally, tmp_path / "report")
    (failure,) = tally.failures
    assert failure.startswith("case (random, pipelex-0.10): profile q")
    assert "llm served m: deckc 'a', Pipelex 'z'" in failure
