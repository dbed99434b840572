"""``make conformance``: deckc against Pipelex itself, on Pipelex's configurations and random ones.

    python -m conformance.run [--examples N] [--report DIR]

For each dialect, Pipelex (0.10.2 for the seed's layout, 0.92.2 for the current one, each in its
own virtualenv: ``make conformance`` installs them) is booted once, in one child process, on
every configuration of the corpus, each of its profiles made active in turn, and records every
answer (``tools/pipelex_answers*.py``).  deckc compiles the same configurations and its generated
runtime is asked the same questions (:mod:`conformance.compare`).  The corpus:

- each version's shipped configuration, unmodified, and copies with backends disabled in a few
  combinations;
- random configurations of each layout (:mod:`conformance.corpus`, fixed seed; ``--examples`` or
  ``CONFORMANCE_EXAMPLES`` per dialect);
- every seed-layout configuration above migrated by ``deckc migrate``, booted in Pipelex 0.92.2,
  whose answers must be those Pipelex 0.10.2 gave for the original.

A difference is a failure unless a rule of :data:`DELIBERATE` explains it (deckc refuses, with a
located error, what Pipelex accepts and fails on at use); each failure prints the question and
both answers, and its configuration is kept under ``--report``.  Exit 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tomli  # noqa: E402
import tomli_w  # noqa: E402

from compiler.core.errors import CompileFailed, DeckError, Severity  # noqa: E402
from compiler.core.ir import Dialect  # noqa: E402
from compiler.pipeline import Build  # noqa: E402
from conformance.compare import compiled, differences, imported  # noqa: E402
from tools.pipelex_kit import CURRENT, SEED, extract_kit  # noqa: E402


@dataclass(frozen=True)
class Pipelex:
    """One Pipelex version, in its own virtualenv, and the tool that asks it."""

    version: str
    venv: Path
    tool: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


PIPELEX = {
    Dialect.PIPELEX_0_10: Pipelex(
        SEED, ROOT / ".venv-pipelex-0.10", ROOT / "tools/pipelex_answers_010.py"
    ),
    Dialect.PIPELEX_0_92: Pipelex(
        CURRENT, ROOT / ".venv-pipelex-0.92", ROOT / "tools/pipelex_answers.py"
    ),
}


MISTAKE_EVERY = 10  # one random configuration in this many carries a deliberate mistake


@dataclass(frozen=True)
class Rule:
    """A deliberate difference: deckc refuses (a located error) what Pipelex accepts."""

    name: str
    matches: Callable[[DeckError], bool]
    why: str


def _says(*parts: str) -> Callable[[DeckError], bool]:
    return lambda error: any(part in error.message for part in parts)


DELIBERATE = (
    Rule(
        "cycle",
        _says("cycle: "),
        "a cycle of aliases or waterfalls is never meant (Pipelex 0.10 recurses until "
        "RecursionError), even one that a served model of the same name breaks in some profile",
    ),
    Rule(
        "preset-as-model",
        _says("names a preset, but"),
        "a preset is not a model: an alias, waterfall step or preset naming one resolves to none",
    ),
    Rule(
        "dangling-reference",
        _says("is not a declared model or alias", "no alias named", "no waterfall named"),
        "the seed's layout has no plugins to declare a model later: a name nothing declares is "
        "a mistake",
    ),
    Rule(
        "list-override",
        _says("Pipelex 0.10 appends the two lists"),
        "Pipelex 0.10.2 appends a fallback list set again by a later deck file to the earlier "
        "one (its deep merge concatenates lists); the seed's layout replaces it whole: deckc "
        "refuses rather than answer otherwise than Pipelex",
    ),
    Rule(
        "preset-over-limits",
        _says("asks max_tokens", 'has thinking_mode = "none"'),
        "Pipelex refuses the call at use; deckc finds it at compile time, every preset, located",
    ),
    Rule(
        "doc-gen-engine-capability",
        _says("which does not make a "),
        "Pipelex refuses a document step whose engine does not print that format from that "
        "source, at use; deckc finds it at compile time",
    ),
)


@dataclass
class Case:
    label: str
    dialect: Dialect
    directory: Path
    corpus: str  # "shipped", "disabled", "random", "migrated"
    original: str | None = None  # for a migrated case: the label of its seed-layout original


@dataclass
class Tally:
    configurations: int = 0
    profiles: int = 0
    refused_by_pipelex: int = 0
    stricter: Counter[str] = field(default_factory=Counter)
    environmental: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


# --- the corpus ---------------------------------------------------------------------------------


def shipped_cases(work: Path, dialects: Iterable[Dialect]) -> list[Case]:
    """Each version's shipped configuration, and copies with backends disabled."""
    cases: list[Case] = []
    for dialect in dialects:
        pipelex = PIPELEX[dialect]
        kit = extract_kit(work / f"kit-{pipelex.version}", pipelex.version)
        label = f"kit-{pipelex.version}"
        cases.append(Case(label, dialect, kit, "shipped"))
        enabled = _enabled_backends(kit)
        for number, off in enumerate(_combinations(enabled)):
            copy = work / f"{label}-off{number}" / "inference"
            shutil.copytree(kit, copy)
            _disable(copy, dialect, off)
            cases.append(Case(f"{label}-off{number}", dialect, copy, "disabled"))
    return cases


def _enabled_backends(directory: Path) -> list[str]:
    data = tomli.loads((directory / "backends.toml").read_text())
    return [name for name, table in data.items() if table.get("enabled", True) is not False]


def _combinations(enabled: Sequence[str]) -> list[tuple[str, ...]]:
    """A few deterministic sets of backends to disable: the first, the two first, one from the
    middle, and every one but the last two."""
    if len(enabled) < 3:
        return [(enabled[0],)] if enabled else []
    middle = enabled[len(enabled) // 2]
    return [(enabled[0],), tuple(enabled[:2]), (middle,), tuple(enabled[:-2])]


def _disable(directory: Path, dialect: Dialect, backends: Iterable[str]) -> None:
    if dialect is Dialect.PIPELEX_0_92:  # through the override file, as a user would
        override = {name: {"enabled": False} for name in backends}
        (directory / "backends_override.toml").write_text(tomli_w.dumps(override))
        return
    path = directory / "backends.toml"
    data = tomli.loads(path.read_text())
    for name in backends:
        data[name]["enabled"] = False
    path.write_text(tomli_w.dumps(data))


def random_cases(work: Path, examples: int, dialects: Iterable[Dialect]) -> list[Case]:
    """``examples`` random configurations of each of ``dialects`` (fixed seed); one in
    ``MISTAKE_EVERY`` carries a mistake deckc refuses on purpose (rotating over ``MISTAKES``)."""
    from conformance.corpus import (
        MISTAKES,
        current_layout_configs,
        seed_layout_configs,
        with_mistake,
        write_config,
    )

    cases: list[Case] = []
    strategies = {
        Dialect.PIPELEX_0_10: seed_layout_configs(),
        Dialect.PIPELEX_0_92: current_layout_configs(),
    }
    for dialect in dialects:
        for number, files in enumerate(_draw(strategies[dialect], examples)):
            label = f"random-{dialect.value}-{number:04d}"
            if number % MISTAKE_EVERY == MISTAKE_EVERY - 1:  # one in ten: a deliberate mistake
                kind = MISTAKES[number // MISTAKE_EVERY % len(MISTAKES)]
                files = with_mistake(files, kind, dialect is Dialect.PIPELEX_0_92)
            directory = work / label / "inference"
            write_config(files, directory)
            cases.append(Case(label, dialect, directory, "random"))
    return cases


def _draw(strategy: Any, examples: int) -> list[dict[str, str]]:
    """``examples`` draws of ``strategy``, the same ones on every run (derandomized)."""
    from hypothesis import HealthCheck, Phase, given, settings

    drawn: list[dict[str, str]] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(files: dict[str, str]) -> None:
        drawn.append(files)

    collect()
    return drawn


def migrated_cases(work: Path, originals: Sequence[Case]) -> list[Case]:
    """Every seed-layout case that deckc compiles, written in the current layout."""
    from compiler.review.migrate import migrate
    from compiler.sources.build import build_config
    from compiler.sources.load import load_sources

    cases: list[Case] = []
    for case in originals:
        if case.dialect is not Dialect.PIPELEX_0_10:
            continue
        try:
            sources = load_sources(case.directory)
        except CompileFailed:
            continue
        config, problems = build_config(sources)
        if any(p.severity is Severity.ERROR for p in problems):
            continue
        texts = {f.path: (case.directory / f.path).read_text("utf-8") for f in sources.files()}
        migration = migrate(sources, config, texts)
        target = work / f"{case.label}-migrated" / "inference"
        for rel, text in migration.files.items():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            (target / rel).write_text(text)
        cases.append(
            Case(f"{case.label}-migrated", Dialect.PIPELEX_0_92, target, "migrated", case.label)
        )
    return cases


# --- asking Pipelex -----------------------------------------------------------------------------


def ask_pipelex(pipelex: Pipelex, cases: Sequence[Case], work: Path) -> dict[str, Any]:
    """Pipelex's answers for every case, by label (one child process for all)."""
    if not cases:
        return {}
    out = work / f"answers-{pipelex.version}.json"
    arguments = [f"{case.label}={case.directory}" for case in cases]
    subprocess.run(
        [str(pipelex.python), str(pipelex.tool), *arguments, "-o", str(out)],
        check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
    )
    directories: dict[str, Any] = json.loads(out.read_text())["directories"]
    return directories


# --- judging ------------------------------------------------------------------------------------


def judge(case: Case, answers: Mapping[str, Any], tally: Tally, report: Path) -> None:
    """Compare deckc with Pipelex on one configuration, every profile."""
    tally.configurations += 1
    profiles: Mapping[str, Any] = answers["profiles"]
    active = answers.get("active_in_files")
    try:
        build = compiled(case.directory)
    except CompileFailed as failed:
        if _judge_refusal(case, failed, profiles, active, tally, report):
            _judge_each_active(case, profiles, active, tally, report)
        return
    deck = imported(build, Path(tempfile.mkdtemp(prefix="deckc-conformance-")))
    for profile, answer in profiles.items():
        tally.profiles += 1
        if answer["boot"] != "ok":
            tally.refused_by_pipelex += 1
            _judge_pipelex_refusal(case, build, profile, profile == active, answer, tally, report)
            continue
        _judge_profile(case, build, deck, profile, answer, tally, report)


def _judge_profile(
    case: Case,
    build: Build,
    deck: ModuleType,
    profile: str,
    answer: Mapping[str, Any],
    tally: Tally,
    report: Path,
) -> None:
    """Every answer of ``profile``, which Pipelex boots, against the generated runtime's."""
    found = differences(build, deck, profile, _comparable(answer, tally))
    explained = [line for line in found if _warned(build, profile, line)]
    for _ in explained:
        tally.stricter["doc-gen-engine-capability"] += 1
    found = [line for line in found if line not in explained]
    if found:
        _fail(case, f"profile {profile}", found, tally, report)


def _judge_each_active(
    case: Case, profiles: Mapping[str, Any], active: str | None, tally: Tally, report: Path
) -> None:
    """Both refuse the active profile of the files: every other profile is compiled as the
    active one, as Pipelex was booted under it, and judged alone."""
    for profile, answer in profiles.items():
        if profile == active:
            continue
        tally.profiles += 1
        try:
            build = compiled(case.directory, active=profile)
        except CompileFailed as failed:
            _judge_refusal(case, failed, {profile: answer}, profile, tally, report)
            if answer["boot"] != "ok":
                tally.refused_by_pipelex += 1
            continue
        if answer["boot"] != "ok":
            tally.refused_by_pipelex += 1
            _judge_pipelex_refusal(case, build, profile, True, answer, tally, report)
            continue
        deck = imported(build, Path(tempfile.mkdtemp(prefix="deckc-conformance-")))
        _judge_profile(case, build, deck, profile, answer, tally, report)


# Answers that depend on what is installed beside Pipelex, not on the configuration: a document
# engine that comes with a plugin (pipelex-doc-gen) is refused when the plugin is not installed.
ENVIRONMENTAL = {"DocGenEngineMissingError": "doc-gen engine not installed beside Pipelex"}


def _comparable(answer: Mapping[str, Any], tally: Tally) -> dict[str, Any]:
    """``answer`` without the answers that depend on Pipelex's environment (counted apart)."""
    kept: dict[str, Any] = json.loads(json.dumps(answer))
    for per_type in kept.get("types", {}).values():
        choices = per_type.get("choices", {})
        if not isinstance(choices, dict):
            continue
        for kind in [k for k, c in choices.items() if c.get("error") in ENVIRONMENTAL]:
            tally.environmental[ENVIRONMENTAL[choices[kind]["error"]]] += 1
            del choices[kind]
    return kept


def _warned(build: Build, profile: str, difference: str) -> bool:
    """A doc_gen choice whose engine cannot make that document: Pipelex refuses the step at use,
    deckc warned at compile time, naming the choice and the profile (rule
    doc-gen-engine-capability)."""
    if not difference.startswith("doc_gen choice "):
        return False
    kind = difference.removeprefix("doc_gen choice ").split(":", 1)[0].split(".", 2)
    choice = ".".join(kind[:2])
    return any(
        f"doc_gen choice `{choice}`" in w.message and f"under profile {profile}," in w.message
        for w in build.warnings
    )


def _judge_refusal(
    case: Case,
    failed: CompileFailed,
    profiles: Mapping[str, Any],
    active: str | None,
    tally: Tally,
    report: Path,
) -> bool:
    """deckc refuses the configuration: fine where Pipelex refuses its active profile too
    (returns True then), or where a deliberate rule explains every error."""
    errors = list(failed.errors)
    if active is not None and profiles.get(active, {}).get("boot") != "ok":
        tally.stricter["both refuse"] += 1
        return True
    unexplained = [e for e in errors if not any(rule.matches(e) for rule in DELIBERATE)]
    if unexplained:
        _fail(
            case, "deckc refuses what Pipelex boots", [str(e) for e in unexplained], tally, report
        )
        return False
    for rule in DELIBERATE:
        if any(rule.matches(e) for e in errors):
            tally.stricter[rule.name] += 1
    return False


def _judge_pipelex_refusal(
    case: Case,
    build: Build,
    profile: str,
    is_active: bool,
    answer: Mapping[str, Any],
    tally: Tally,
    report: Path,
) -> None:
    """Pipelex refuses to boot ``profile``: deckc must have said why (a warning naming it, as
    it is not the active one; had it been, the compile would have failed)."""
    named = [w for w in build.warnings if f"profile {profile}" in w.message]
    if is_active or not named:
        boot = answer["boot"]
        _fail(
            case,
            f"profile {profile}",
            [f"Pipelex refuses it ({boot.get('error')}: {boot.get('message')}); deckc compiles it"]
            + [str(w) for w in named],
            tally,
            report,
        )


def judge_migration(
    case: Case, original: Mapping[str, Any], migrated: Mapping[str, Any], tally: Tally, report: Path
) -> None:
    """The migrated configuration, booted in Pipelex 0.92.2, answers as the original does in
    Pipelex 0.10.2: every served LLM, alias (a list alias as its waterfall), preset, choice."""
    tally.configurations += 1
    for profile, old in original["profiles"].items():
        tally.profiles += 1
        new = migrated["profiles"].get(profile)
        if old["boot"] != "ok" or new is None or new["boot"] != "ok":
            if (old["boot"] == "ok") != (new is not None and new["boot"] == "ok"):
                _fail(case, f"profile {profile} boots in only one version", [], tally, report)
            else:
                tally.refused_by_pipelex += 1  # by both versions
            continue
        found = _migration_differences(old["types"]["llm"], new["types"]["llm"])
        if found:
            _fail(case, f"profile {profile} (migrated)", found, tally, report)


def _migration_differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    found: list[str] = []

    def outcome(answer: Mapping[str, Any] | None) -> tuple[Any, Any]:
        if answer is None or "error" in answer:
            return None, None
        return answer.get("model"), answer.get("backend")

    if old["served"] != new["served"]:
        found.append(f"served: 0.10 {old['served']!r}, migrated {new['served']!r}")
    for name, answer in old.get("aliases", {}).items():
        # 0.10's answer is the look-up of the bare name: the model where one is served
        waterfall = isinstance(answer.get("target"), list)
        moved = outcome(new.get("waterfalls" if waterfall else "aliases", {}).get(name))
        if name in new["served"]:
            moved = (name, new["served"][name])
        if outcome(answer) != moved:
            found.append(f"alias {name}: 0.10 {outcome(answer)}, migrated {moved}")
    for table in ("presets", "choices"):
        for name, answer in old.get(table, {}).items():
            moved = new.get(table, {}).get(name)
            if outcome(answer) != outcome(moved):
                found.append(f"{table} {name}: 0.10 {outcome(answer)}, migrated {outcome(moved)}")
    return found


def _fail(case: Case, question: str, lines: Sequence[str], tally: Tally, report: Path) -> None:
    kept = report / case.label
    if not kept.exists():
        shutil.copytree(case.directory, kept / "inference")
    text = f"{case.label} ({case.corpus}, {case.dialect.value}): {question}"
    text += "".join(f"\n    {line}" for line in lines[:20])
    if len(lines) > 20:
        text += f"\n    ... and {len(lines) - 20} more"
    text += f"\n    configuration kept in {kept}"
    tally.failures.append(text)


# --- the run ------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--examples",
        type=int,
        default=int(os.environ.get("CONFORMANCE_EXAMPLES", "500")),
        help="random configurations per dialect (CONFORMANCE_EXAMPLES; default 500)",
    )
    parser.add_argument("--report", type=Path, default=ROOT / "conformance-report")
    parser.add_argument(
        "--dialect",
        dest="dialects",
        action="append",
        choices=[d.value for d in Dialect],
        help="a layout to check (repeatable; CONFORMANCE_DIALECTS, comma-separated; default: "
        "both, and the migration from one to the other)",
    )
    args = parser.parse_args(argv)
    chosen = args.dialects or [
        d for d in os.environ.get("CONFORMANCE_DIALECTS", "").split(",") if d
    ]
    dialects = tuple(d for d in Dialect if not chosen or d.value in chosen)  # in a fixed order
    started = time.perf_counter()
    shutil.rmtree(args.report, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix="deckc-conformance-"))
    try:
        say("corpus: shipped configurations and random ones")
        cases = shipped_cases(work, dialects) + random_cases(work, args.examples, dialects)
        if dialects == tuple(Dialect):  # the migration is checked by both Pipelexes
            cases += migrated_cases(work, cases)
        answers: dict[str, Any] = {}
        for dialect in dialects:
            pipelex = PIPELEX[dialect]
            mine = [c for c in cases if c.dialect is dialect]
            say(f"asking Pipelex {pipelex.version} about {len(mine)} configurations")
            answers.update(ask_pipelex(pipelex, mine, work))
        tallies: dict[str, Tally] = {}
        say("asking deckc the same questions")
        for case in cases:
            tally = tallies.setdefault(f"{case.corpus} {case.dialect.value}", Tally())
            if case.corpus == "migrated" and case.original is not None:
                judge_migration(
                    case, answers[case.original], answers[case.label], tally, args.report
                )
            else:
                judge(case, answers[case.label], tally, args.report)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    failures = [f for t in tallies.values() for f in t.failures]
    for failure in failures:
        print(failure)
    print(_summary(tallies, time.perf_counter() - started))
    return 1 if failures else 0


def say(text: str) -> None:
    print(f"conformance: {text}", file=sys.stderr, flush=True)


def _summary(tallies: Mapping[str, Tally], seconds: float) -> str:
    lines = [f"conformance ({seconds:.0f} s):"]
    for name, t in sorted(tallies.items()):
        stricter = ", ".join(f"{rule} {n}" for rule, n in sorted(t.stricter.items())) or "none"
        apart = ", ".join(f"{why} {n}" for why, n in sorted(t.environmental.items()))
        lines.append(
            f"  {name}: {t.configurations} configurations, {t.profiles} profiles "
            f"({t.refused_by_pipelex} refused by Pipelex), stricter: {stricter}, "
            + (f"not comparable: {apart}, " if apart else "")
            + f"unexplained differences: {len(t.failures)}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
