"""Fuzz the loader and the whole compile (``make fuzz``).

    python -m fuzz.run atheris --runs 200000           # coverage-guided (libFuzzer via atheris)
    python -m fuzz.run hypothesis --examples 20000     # random and mutated configurations

Both feed configurations through the real loader and the whole compile; a run fails on the
first input that makes deckc raise anything but its own errors (atheris saves it under
``fuzz/crashes/``).  The seeds are the shipped example and every golden case.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.configs import (
    Files,
    configs,
    current_configs,
    mutate,
    mutations,
    pack,
    seed_configs,
    unpack,
)

CRASHES = Path(__file__).resolve().parent / "crashes"


def one_input(scratch: Path) -> Callable[[bytes], None]:
    from fuzz.targets import compile_config, load_bytes, scanner_agrees

    def run(data: bytes) -> None:
        if data[:1] == b"\n":  # an archive of files: the whole compile
            compile_config(unpack(data), scratch)
        else:  # any bytes: one source file
            load_bytes(data)
            scanner_agrees(data.decode("utf-8", "replace"))

    return run


def run_atheris(runs: int) -> None:
    """libFuzzer ends the process without Python's clean-up: its scratch directory is a fixed one,
    emptied at each start."""
    import atheris  # type: ignore[import-untyped, import-not-found, unused-ignore]

    work = Path(tempfile.gettempdir()) / f"deckc-fuzz-atheris-{os.getuid()}"
    shutil.rmtree(work, ignore_errors=True)
    corpus = work / "corpus"
    corpus.mkdir(parents=True)
    with atheris.instrument_imports(include=["compiler", "fuzz"]):
        target = one_input(work / "inference")
    for index, files in enumerate(seed_configs()):
        (corpus / f"seed-{index:03d}").write_bytes(pack(files))
    CRASHES.mkdir(exist_ok=True)
    atheris.Setup(
        [
            sys.argv[0],
            f"-runs={runs}",
            "-max_len=65536",
            "-rss_limit_mb=4096",
            f"-artifact_prefix={CRASHES}/",
            str(corpus),
        ],
        target,
    )
    atheris.Fuzz()  # exits the process when the runs are done


def run_hypothesis(examples: int, scratch: Path) -> collections.Counter[str]:
    from fuzz.targets import compile_config

    outcomes: collections.Counter[str] = collections.Counter()
    seeds = seed_configs()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(configs() | current_configs() | st.sampled_from(seeds), st.none() | mutations)
    def fuzz(files: Files, ops: list[tuple[int, int, int, int]] | None) -> None:
        if ops is not None:
            files = mutate(files, ops)
        result = compile_config(files, scratch)
        outcomes["compiled" if hasattr(result, "files") else "rejected"] += 1

    fuzz()
    return outcomes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engine", choices=["atheris", "hypothesis"])
    parser.add_argument("--runs", type=int, default=100_000, help="atheris: inputs to try")
    parser.add_argument("--examples", type=int, default=10_000, help="hypothesis: examples")
    args = parser.parse_args(argv)
    if args.engine == "atheris":
        run_atheris(args.runs)
        return
    with tempfile.TemporaryDirectory(prefix="deckc-fuzz-") as scratch:
        outcomes = run_hypothesis(args.examples, Path(scratch) / "inference")
    total = sum(outcomes.values())
    print(f"fuzz: {total} configurations: {dict(sorted(outcomes.items()))}, no crash")


if __name__ == "__main__":
    main()
