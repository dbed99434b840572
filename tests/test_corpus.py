"""The conformance corpus (conformance/corpus.py) draws only configurations deckc compiles, in the
layout it was drawn for. (That Pipelex boots them is checked with tools/pipelex_answers*.py, out of
the test suite: it needs Pipelex's own virtualenvs.)"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

from compiler.core.errors import CompileFailed
from compiler.pipeline import compile_dir
from conformance.corpus import current_layout_configs, seed_layout_configs, write_config

EXAMPLES = 200


def compiled_dialect(files: dict[str, str]) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        root = write_config(files, Path(tmp))
        try:
            build = compile_dir(root)
        except CompileFailed as failed:
            errors = "\n".join(str(e) for e in failed.errors)
            raise AssertionError(
                f"deckc refused a drawn configuration:\n{errors}\n{files}"
            ) from None
        return str(build.lock_json["dialect"])


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@seed(92)
@given(current_layout_configs())
def test_current_layout_configs_compile(files: dict[str, str]) -> None:
    assert compiled_dialect(files) == "pipelex-0.92"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@seed(10)
@given(seed_layout_configs())
def test_seed_layout_configs_compile(files: dict[str, str]) -> None:
    assert compiled_dialect(files) == "pipelex-0.10"


def test_write_config_writes_every_file(tmp_path: Path) -> None:
    files = {"backends.toml": "[a]\n", "deck/sub/x.toml": "y = 1\n"}
    write_config(files, tmp_path / "cfg")
    assert (tmp_path / "cfg" / "deck" / "sub" / "x.toml").read_text() == "y = 1\n"
    assert (tmp_path / "cfg" / "backends.toml").read_text() == "[a]\n"
