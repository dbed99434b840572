"""Short bounded runs of the fuzzers of ``make fuzz`` (fuzz/run.py), and of their plumbing."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import pytest

from fuzz.configs import mutate, pack, seed_configs, toml_document, unpack
from tests.conftest import ROOT

ATHERIS_RUNS = 400
HYPOTHESIS_EXAMPLES = 40


def run_fuzzer(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fuzz.run", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.fuzz
@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris not installed")
def test_atheris_short_run() -> None:
    result = run_fuzzer("atheris", "--runs", str(ATHERIS_RUNS))
    assert result.returncode == 0, result.stderr[-3000:]
    # libFuzzer counts the seed corpus's inputs among its runs, beyond -runs=N ones
    done = re.search(r"^Done (\d+) runs", result.stderr, re.MULTILINE)
    assert done is not None and int(done.group(1)) >= ATHERIS_RUNS, result.stderr[-3000:]


@pytest.mark.fuzz
def test_hypothesis_short_run() -> None:
    result = run_fuzzer("hypothesis", "--examples", str(HYPOTHESIS_EXAMPLES))
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert result.stdout.startswith(f"fuzz: {HYPOTHESIS_EXAMPLES} configurations: ")


def test_archives_round_trip_and_never_name_a_path_outside() -> None:
    seeds = seed_configs()
    assert len(seeds) > 40 and all(unpack(pack(files)) == files for files in seeds)
    hostile = b"\n#%% ../../etc/x.toml\nA\n#%% /abs.toml\nB\n#%% deck/../../x.toml\nC\n"
    assert unpack(hostile + b"\n#%% deck/ok.toml\nD") == {"deck/ok.toml": b"D"}


def test_mutations_are_deterministic_and_change_the_text() -> None:
    files = {"a.toml": b'x = "1"\ny = 2\n', "b.toml": b"[t]\n"}
    ops = [(0, 0, 3, 1), (1, 1, 0, 0), (2, 0, 1, 1), (3, 0, 0, 1), (4, 1, 2, 30), (5, 0, 4, 65)]
    assert mutate(files, ops) == mutate(files, ops) != files


def test_toml_document_round_trips_hostile_strings() -> None:
    import tomli

    data = {"k": {'q"\\\n\x7f\x01\u2028': ["é", 1, 2.5, True, {"in": "line"}]}, "top": "v"}
    assert tomli.loads(toml_document(data)) == data
