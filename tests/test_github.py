"""``--format github``: findings as GitHub Actions workflow commands, properly escaped; and the
composite action (action.yml) that runs validate and check with it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from compiler.core.errors import DeckError, Location, Severity
from compiler.review.github import annotation, escape_data, escape_property
from tests.conftest import run

ROOT = Path(__file__).resolve().parent.parent


def test_messages_and_properties_are_escaped() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def test_a_finding_is_one_workflow_command_with_its_location_code_and_hint() -> None:
    finding = DeckError(
        "route `a,b*` never applies: 100%",
        location=Location("conf/routing, old.toml", 9, 1),
        key_path=("profiles", "p", "routes", "a,b*"),
        hint="move it\nup",
        severity=Severity.WARNING,
        code="route-shadowed",
    )
    assert annotation(finding) == (
        "::warning file=conf/routing%2C old.toml,line=9,col=1,title=deckc route-shadowed::"
        'profiles.p.routes."a,b*": route `a,b*` never applies: 100%25%0Ahint: move it%0Aup'
    )
    unlocated = DeckError("missing", location=Location("out"), severity=Severity.INFO)
    assert annotation(unlocated) == "::notice file=out,title=deckc DeckError::missing"


def test_validate_and_check_annotate(project: Path) -> None:
    team = project / ".pipelex" / "inference" / "deck" / "team.toml"
    team.write_text('[aliases]\nbest-llm = "gpt-6"\n')
    result = run("validate", "inference", "--format", "github", "--env", "skip")
    assert result.exit_code == 2
    (line,) = result.stdout.splitlines()[:-1]
    assert re.match(
        r"::error file=\.pipelex/inference/deck/team\.toml,line=2,col=1,"
        r"title=deckc LLMHandleNotFoundError::aliases\.best-llm: `gpt-6` is not a declared",
        line,
    ), line
    team.write_text('[aliases]\nx = "gpt-5"\n')
    checked = run("check", "--format", "github")
    assert checked.exit_code == 1
    assert checked.stdout.splitlines()[0] == (
        "::error file=generated/deck.manifest.json,title=deckc generated-missing::missing%0A"
        "hint: run `deckc compile --config-dir .pipelex/inference --out generated`"
    )


def test_the_action_runs_validate_and_check_with_annotations(project: Path) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    defaults = {name: spec["default"] for name, spec in action["inputs"].items()}
    commands = [step["run"] for step in action["runs"]["steps"] if "deckc " in step.get("run", "")]
    assert [c.split()[1] for c in commands] == ["validate", "check"]
    assert run("compile").exit_code == 0
    for command in commands:  # as the runner would run them, with the inputs' defaults
        text = re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: defaults[m.group(1)], command)
        argv = shlex.split(text)
        assert "--format" in argv and argv[argv.index("--format") + 1] == "github"
        result = run(*argv[1:])
        assert result.exit_code == 0, (text, result.output)
