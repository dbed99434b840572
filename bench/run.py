"""The benchmark suite (``make bench``): every figure of the performance issue, each beside the
baseline it is judged against, measured in the same run, and its target.

    python bench/run.py [--no-readme] [--quick]

1. runtime look-ups of the generated module against a bare ``dict[str]`` look-up, same process;
2. cold start: a fresh interpreter that imports the generated module and resolves one handle,
   against a bare interpreter, both in a fresh virtualenv with nothing installed, as in a deploy
   (``PYTHONDONTWRITEBYTECODE=1``, interleaved runs, medians);
3. the same against runtime loaders that parse the TOML sources at start-up;
4. ``deckc compile`` wall time and peak memory (the child's ``ru_maxrss``) for the example and
   for generated decks of ~5,000 and 100,000 models (bench/gen_config.py, fixed seed), and
   ``deckc compile`` with unchanged inputs.

The table is printed and written into README.md between ``<!-- bench:start -->`` and
``<!-- bench:end -->``.  Ratios are robust to a busy machine; absolute times are not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_config import SHAPES, generate  # noqa: E402
from compiler.core.ir import ModelType  # noqa: E402
from compiler.emit.lock import Lockfile  # noqa: E402
from compiler.emit.lockread import parse_lock  # noqa: E402
from tools.pipelex_kit import extract_kit  # noqa: E402

PYTHON = sys.executable


def deploy_python(work: Path) -> str:
    """A fresh virtualenv's interpreter, with nothing installed: where a deploy runs the
    generated package (standard library only).  The development venv's site imports an
    editable-install finder (~13 ms at every start) that no deploy has."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(work / "deploy")], check=True)
    return str(work / "deploy" / "bin" / "python")


DECKC = str(Path(PYTHON).with_name("deckc"))
EXAMPLE = ROOT / ".pipelex" / "inference"
README = ROOT / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
MIB = 1024 * 1024
# deckc runs as installed: its own modules byte-compiled once (see warm_up), then cached.
NORMAL_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
NORMAL_ENV.pop("DECK_ROUTING_PROFILE", None)
COLD_ENV = {**NORMAL_ENV, "PYTHONDONTWRITEBYTECODE": "1"}


@dataclass(frozen=True)
class Figure:
    what: str
    value: str
    baseline: str  # what it is compared with, measured in the same run ("" when absolute)
    ratio: float | None
    target: str
    met: bool | None  # None: no target, shown for information


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child
    max_rss: int  # bytes
    stdout: str


def run(argv: Sequence[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> Run:
    """Run a child process; its wall time, CPU time and peak resident memory."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            message = err.read().decode(errors="replace")
            raise SystemExit(f"bench: {' '.join(argv)} failed ({child.returncode}):\n{message}")
        text = out.read().decode(errors="replace")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, text)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


# --- 1. runtime look-ups --------------------------------------------------------------------


def runtime_figures(repeats: int) -> list[Figure]:
    from conformance.compare import import_generated  # the committed example, as a fresh package

    deck = import_generated(ROOT / "generated")
    lock = _lock(ROOT / "generated")
    active = deck.ACTIVE_PROFILE
    other = next(p for p in deck.PROFILES if p != active)
    alias = _available(lock, active, "aliases")
    also = _available(lock, other, "aliases")
    preset = _available(lock, active, "presets")
    answers = lock.profiles[active].answers[ModelType.LLM]
    handles = {name: name for name in answers.routing}
    handles.update((name, name) for name in answers.aliases)
    cases: dict[str, tuple[str, dict[str, Any]]] = {
        "dict": ("table[key]", {"table": handles, "key": alias}),
        "resolve": ("deck.resolve(key)", {"deck": deck, "key": alias}),
        "preset": ("deck.preset(key)", {"deck": deck, "key": preset}),
        "other": ("deck.resolve(key, profile=other)", {"deck": deck, "key": also, "other": other}),
        "call": ("noop(key, profile=other)", {"noop": _noop, "key": also, "other": other}),
    }
    ratios, samples = _interleaved(cases, repeats)
    base = median(samples["dict"])
    dict_text = f"dict lookup {base * 1e9:.0f} ns"
    floor = Figure(
        "runtime, for reference: an empty Python function called as `f(key, profile=other)`",
        f"{median(samples['call']) * 1e9:.0f} ns",
        dict_text,
        ratios["call"],
        "— (the call alone)",
        None,
    )
    return [
        Figure(
            f"runtime: `deck.{label}`",
            f"{median(samples[name]) * 1e9:.0f} ns",
            dict_text,
            ratios[name],
            "≤ 3x",
            ratios[name] <= 3,
        )
        for name, label in (
            ("resolve", f"resolve({alias!r})"),
            ("preset", f"preset({preset!r})"),
            ("other", f"resolve({also!r}, profile={other!r})"),
        )
    ] + [floor]


def _noop(handle: str, profile: str | None = None) -> str:
    return handle


def _lock(out_dir: Path) -> Lockfile:
    return parse_lock((out_dir / "deck.lock.json").read_text(encoding="utf-8"), "deck.lock.json")


def _available(lock: Lockfile, profile: str, section: str) -> str:
    """The first LLM alias or preset (``section``) available under ``profile``, an alias chain
    if possible."""
    answers = lock.profiles[profile].answers[ModelType.LLM]
    table = answers.aliases if section == "aliases" else answers.presets
    ready = [name for name, r in sorted(table.items()) if r.backend is not None]
    chained = [name for name in ready if len(table[name].path) > 2]
    return (chained or ready)[0]


# --- 2-3. cold start ------------------------------------------------------------------------


@dataclass(frozen=True)
class Deck:
    label: str
    config_dir: Path
    out_dir: Path  # a compiled package
    handle: str  # available under the active profile
    target: float | None  # the cold-start ratio to meet
    loader_runs: int  # runs of each runtime-loader baseline (they take up to seconds)


def kit_runtime_figures(out_dir: Path, repeats: int) -> list[Figure]:
    """Look-ups of other model types in Pipelex 0.92.2's kit, beside a bare dict look-up."""
    from conformance.compare import import_generated

    deck = import_generated(out_dir)
    lock = _lock(out_dir)
    routing = lock.profiles[lock.active_profile].answers[ModelType.TEXT_EXTRACTOR].routing
    handles = {name: name for name in routing}
    handle, kind = "~document-extractor", "text_extractor"
    cases: dict[str, tuple[str, dict[str, Any]]] = {
        "dict": ("table[key]", {"table": handles, "key": next(iter(handles))}),
        "resolve": ("deck.resolve(key, model_type=t)", {"deck": deck, "key": handle, "t": kind}),
        "preset": (
            "deck.preset(key, model_type=t)",
            {"deck": deck, "key": "gen-image", "t": "img_gen"},
        ),
    }
    ratios, samples = _interleaved(cases, repeats)
    dict_text = f"dict lookup {median(samples['dict']) * 1e9:.0f} ns"
    return [
        Figure(
            f"runtime, Pipelex 0.92.2 kit: `deck.{label}`",
            f"{median(samples[name]) * 1e9:.0f} ns",
            dict_text,
            ratios[name],
            "≤ 3x",
            ratios[name] <= 3,
        )
        for name, label in (
            ("resolve", f"resolve({handle!r}, model_type={kind!r})"),
            ("preset", "preset('gen-image', model_type='img_gen')"),
        )
    ]


def _interleaved(
    cases: dict[str, tuple[str, dict[str, Any]]], repeats: int
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Median ratio of each case to ``cases["dict"]``, and the samples (seconds per call)."""
    for statement, names in cases.values():  # warm: records are built on the first look-up
        eval(statement, names)
    number = 200_000
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):  # interleaved, so that load changes hit every case alike
        for name, (statement, names) in cases.items():
            timer = timeit.Timer(statement, globals=names)
            samples[name].append(min(timer.repeat(5, number)) / number)
    ratios = {
        name: median([s / d for s, d in zip(samples[name], samples["dict"], strict=True)])
        for name in cases
    }
    return ratios, samples


def cold_start_figures(decks: Sequence[Deck], repeats: int, deploy: str) -> list[Figure]:
    figures: list[Figure] = []
    for deck in decks:
        code = f"from {deck.out_dir.name} import deck; deck.resolve({deck.handle!r})"
        commands = {"bare": [deploy, "-c", "pass"], "deck": [deploy, "-c", code]}
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(repeats):  # interleaved, so that load changes hit both alike
            for name, argv in commands.items():
                samples[name].append(run(argv, cwd=deck.out_dir.parent, env=COLD_ENV).wall)
        loader = [PYTHON, str(ROOT / "bench" / "toml_loader.py")]
        loaders = {
            "parse TOML + resolve (tomllib)": [*loader, str(deck.config_dir), deck.handle],
            "load + validate + resolve (deckc's stages)": [
                *loader,
                "--validate",
                str(deck.config_dir),
                deck.handle,
            ],
        }
        ratio = median([d / b for d, b in zip(samples["deck"], samples["bare"], strict=True)])
        figures.append(
            Figure(
                f"cold start, {deck.label}: import + `resolve({deck.handle!r})`",
                ms(median(samples["deck"])),
                f"bare interpreter {ms(median(samples['bare']))}",
                ratio,
                f"≤ {deck.target}x" if deck.target else "—",
                ratio <= deck.target if deck.target else None,
            )
        )
        # the loaders need site (their dependencies): against the generated module with site too
        with_site = [PYTHON, "-c", code]
        deck_time = median(
            [run(with_site, cwd=deck.out_dir.parent, env=COLD_ENV).wall for _ in range(repeats)]
        )
        for label, argv in loaders.items():
            runs = max(1, deck.loader_runs // (3 if "--validate" in argv else 1))
            loaded = median([run(argv, env=COLD_ENV).wall for _ in range(runs)])
            figures.append(
                Figure(
                    f"cold start, {deck.label}: runtime loader, {label}",
                    ms(loaded),
                    f"generated module {ms(deck_time)}",
                    loaded / deck_time,
                    "— (shows the gap)",
                    None,
                )
            )
    return figures


# --- 4. compile -----------------------------------------------------------------------------


def compile_figures(
    configs: Sequence[tuple[str, Path, Path, int, float, float | None]],
) -> list[Figure]:
    """(label, config dir, out dir, runs, target seconds, target bytes) for each deck."""
    figures: list[Figure] = []
    for label, config_dir, out_dir, runs, seconds, memory in configs:
        argv = [DECKC, "compile", "--config-dir", str(config_dir), "--out", str(out_dir)]
        forced = [run([*argv, "--force"], env=NORMAL_ENV) for _ in range(runs)]
        wall = median([r.wall for r in forced])
        rss = max(r.max_rss for r in forced)
        figures.append(
            Figure(
                f"compile, {label} (whole process)",
                f"{wall:.2f} s",
                "",
                None,
                f"≤ {seconds:g} s",
                wall <= seconds,
            )
        )
        figures.append(
            Figure(
                f"compile, {label}: peak memory",
                f"{rss / MIB:.0f} MiB",
                "",
                None,
                f"≤ {memory / MIB / 1024:g} GiB" if memory else "—",
                rss <= memory if memory else None,
            )
        )
        unchanged = median([run(argv, env=NORMAL_ENV).wall for _ in range(3)])
        figures.append(
            Figure(
                f"`deckc compile`, {label}, unchanged inputs",
                f"{unchanged:.2f} s",
                "",
                None,
                "well under 1 s",
                unchanged < 0.5,
            )
        )
    return figures


def schema_figures(locks: Sequence[tuple[str, Path, bool]]) -> list[Figure]:
    """The lockfile's schema check: jsonschema-rs (what deckc runs) against jsonschema (the
    reference, which deckc runs only to explain a rejection) on the same lockfile."""
    import jsonschema

    from compiler.core.resources import load_schema
    from compiler.emit.lockfile import LOCK_SCHEMA
    from compiler.sources.validate import surely_valid

    figures = []
    for label, out_dir, with_reference in locks:
        lock = json.loads((out_dir / "deck.lock.json").read_text(encoding="utf-8"))
        assert surely_valid(LOCK_SCHEMA, lock)
        fast = min(_timed(surely_valid, LOCK_SCHEMA, lock) for _ in range(3))
        baseline, ratio = "", None
        if with_reference:
            validator = jsonschema.Draft202012Validator(load_schema(LOCK_SCHEMA))
            slow = _timed(list, validator.iter_errors(lock))
            baseline, ratio = f"jsonschema {slow:.2f} s", fast / slow
        figures.append(
            Figure(
                f"lockfile schema check, {label} (jsonschema-rs)",
                ms(fast),
                baseline,
                ratio,
                "must not dominate compile",
                None,
            )
        )
    return figures


def _timed(action: Callable[..., object], *args: Any) -> float:
    start = time.perf_counter()
    action(*args)
    return time.perf_counter() - start


# --- the table ------------------------------------------------------------------------------


def table(figures: Sequence[Figure], note: str) -> str:
    lines = [
        "| figure | measured | baseline (same run) | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in figures:
        ratio = "" if f.ratio is None else _ratio(f.ratio)
        met = {True: "yes", False: "**no**", None: ""}[f.met]
        lines.append(f"| {f.what} | {f.value} | {f.baseline} | {ratio} | {f.target} | {met} |")
    return "\n".join([*lines, "", note])


def _ratio(ratio: float) -> str:
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"1/{1 / ratio:.0f}"


def write_readme(text: str) -> None:
    readme = README.read_text(encoding="utf-8")
    if START not in readme or END not in readme:
        raise SystemExit(f"bench: README.md has no {START} ... {END} markers")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def _compiled(config_dir: Path, out_dir: Path) -> Path:
    argv = [DECKC, "compile", "--config-dir", str(config_dir), "--out", str(out_dir), "--force"]
    run(argv, env=NORMAL_ENV)
    return out_dir


def warm_up() -> None:
    """Byte-compile deckc's own modules once, as installing it does (and as a loader's would
    be), so that no figure includes compiling deckc itself."""
    run([PYTHON, "-c", "import compiler.cli, compiler.pipeline, bench.toml_loader"], env=NORMAL_ENV)


def _handle(out_dir: Path) -> str:
    lock = _lock(out_dir)
    return _available(lock, lock.active_profile, "aliases")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="deckc's benchmark suite")
    parser.add_argument("--no-readme", action="store_true", help="print the table only")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, no 100k deck")
    args = parser.parse_args(argv)
    repeats = 5 if args.quick else 15
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="deckc-bench-"))
    say: Callable[[str], None] = lambda text: print(f"bench: {text}", file=sys.stderr, flush=True)  # noqa: E731
    try:
        say("generating the 5,000- and 100,000-model decks; fetching Pipelex 0.92.2's kit")
        medium = generate(work / "medium", SHAPES["medium"])
        kit = extract_kit(work / "kit")
        kit_out = _compiled(kit, work / "deck_kit")
        large = None if args.quick else generate(work / "large", SHAPES["large"])

        warm_up()
        say("runtime look-ups")
        figures = runtime_figures(repeats=7 if args.quick else 15)
        figures += kit_runtime_figures(kit_out, repeats=7 if args.quick else 15)

        say("cold start")
        generated = ROOT / "generated"
        decks = [Deck("example", EXAMPLE, generated, _handle(generated), 1.2, repeats)]
        medium_out = _compiled(medium, work / "deck_medium")
        decks.append(Deck("5,000 models", medium, medium_out, _handle(medium_out), 1.5, 5))
        decks.append(Deck("Pipelex 0.92.2 kit", kit, kit_out, _handle(kit_out), 1.1, repeats))
        figures += cold_start_figures(decks, 4 * repeats, deploy_python(work))

        say("compile")
        configs: list[tuple[str, Path, Path, int, float, float | None]] = [
            ("example", EXAMPLE, work / "out_example", 5, 0.5, None),
            (
                "Pipelex 0.92.2 kit (23 profiles, 6 model types)",
                kit,
                work / "out_kit",
                5,
                0.5,
                None,
            ),
            ("5,000 models / 100 backends / 500 aliases", medium, work / "out_medium", 3, 5, None),
        ]
        if large is not None:
            configs.append(
                (
                    "100,000 models / 100 backends / 1,000 rules / 5,000 aliases / 2,000 presets",
                    large,
                    work / "out_large",
                    1,
                    60,
                    2 * 1024 * MIB,
                )
            )
        figures += compile_figures(configs)
        locks = [("5,000 models", work / "out_medium", True)]
        if large is not None:
            locks.append(("100,000 models", work / "out_large", False))
        figures += schema_figures(locks)
        if large is not None:
            large_out = work / "out_large"
            huge = Deck("100,000 models", large, large_out, _handle(large_out), None, 1)
            figures += cold_start_figures([huge], repeats, deploy_python(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    note = (
        f"Measured by `make bench` ({time.perf_counter() - started:.0f} s) with Python "
        f"{platform.python_version()} on {os.cpu_count()} CPUs"
        + (" (quick run)" if args.quick else "")
        + ". Look-ups: `timeit`, best of 5 per sample, median ratio over interleaved samples. "
        "Cold starts: wall time of a fresh `python -c` in a new virtualenv with nothing "
        "installed (as in a deploy) with `PYTHONDONTWRITEBYTECODE=1`, median over interleaved "
        "runs; the runtime loaders, which need deckc's dependencies, against the generated "
        "module in the development virtualenv. Compile: wall time and peak RSS of "
        "`deckc compile --force`."
    )
    text = table(figures, note)
    print(text)
    if not args.no_readme:
        write_readme(text)
        say("README.md table updated")


if __name__ == "__main__":
    main()
