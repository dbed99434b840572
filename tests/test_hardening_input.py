"""Bad input never crashes: any configuration compiles or fails with located deckc errors.

The invalid corpus is golden (``tests/cases/invalid_*``, run by test_golden.py); here: the
property that random and randomly mutated configurations only ever give a build or
CompileFailed, the limits that keep pathological input from reaching Python's own limits, and
that a failed compile leaves the previous output untouched.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.cli import cli
from compiler.core.errors import CompileFailed, errors_only
from compiler.core.ir import ModelType
from compiler.pipeline import analyse, compile_dir
from compiler.sources.load import MAX_DEPTH, load_sources
from fuzz.configs import Files, configs, mutate, mutations, seed_configs
from fuzz.targets import compile_config, load_bytes, write_config
from tests.conftest import CASES, EXAMPLE, case_dirs
from tests.test_golden import DEFAULT_ARGS

EXAMPLES = 60  # per property below; `make fuzz` runs them at volume
SEEDS = seed_configs()
FAST = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("config") / "inference"


@FAST
@given(files=configs())
def test_random_configurations_compile_or_fail_located(scratch: Path, files: Files) -> None:
    compile_config(files, scratch)  # asserts: a sound build, or located errors only


@FAST
@given(files=st.sampled_from(SEEDS), ops=mutations)
def test_mutated_configurations_compile_or_fail_located(
    scratch: Path, files: Files, ops: list[tuple[int, int, int, int]]
) -> None:
    compile_config(mutate(files, ops), scratch)


@settings(max_examples=300, deadline=None, database=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_load_or_fail_located(data: bytes) -> None:
    load_bytes(data)


def test_seed_mutations_compile_through_the_cli_without_internal_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commands on broken configurations exit 2 with located errors: never an uncaught
    exception (CliRunner re-raises it), never `internal error`."""
    monkeypatch.chdir(tmp_path)
    example = SEEDS[0]
    seen = set()
    for ops in ([(0, 0, 77, 0)], [(1, 3, 10, 5)], [(4, 1, 300, 9000)], [(5, 2, 50, 255)]):
        write_config(mutate(example, ops), tmp_path / "inference")
        broken = _has_errors(tmp_path / "inference")
        seen.add(broken)
        for args, when_broken, when_sound in (
            (["compile", "--out", "out"], 2, {0}),
            (["check", "--out", "out"], 2, {0}),  # just compiled: current
            (["validate", "inference", "--out", "out"], 2, {0, 1}),  # 1 when it warns
            (["explain", "best-claude"], 2, {0, 1, 2}),  # 1 unavailable, 2 handle removed
        ):
            result = CliRunner().invoke(
                cli, [*args, "--config-dir", "inference"], catch_exceptions=False
            )
            expected = {when_broken} if broken else when_sound
            assert result.exit_code in expected, (args, broken, result.output)
            assert "internal error" not in result.output + result.stderr
            assert "Traceback" not in result.stderr
            if broken:  # every error located: file:line:col first
                assert re.match(r"^inference/[^:]+(:\d+:\d+)?: ", result.stderr), result.stderr
        shutil.rmtree(tmp_path / "out", ignore_errors=True)
    assert seen == {True, False}  # the mutations break some configurations and not others


def _has_errors(config: Path) -> bool:
    try:
        resolved, diagnostics = analyse(load_sources(config))
    except CompileFailed:
        return True
    return resolved is None or bool(errors_only(diagnostics))


# --- limits ---------------------------------------------------------------------------------------


def small_config(deck: str, models: str = "[m]\n") -> Files:
    return {
        "backends.toml": b"[x]\n",
        "routing_profiles.toml": b'active = "p"\n[profiles.p]\ndefault = "x"\n',
        "backends/x.toml": models.encode(),
        "deck/base_deck.toml": deck.encode(),
    }


def test_alias_chains_longer_than_the_recursion_limit_resolve(tmp_path: Path) -> None:
    chain = 1500  # the recursive walks gave up near 330 (three frames per alias)
    deck = "[aliases]\n" + "".join(f'a{i} = "a{i + 1}"\n' for i in range(chain))
    write_config(small_config(deck + f'a{chain} = "m"\n'), tmp_path)
    profile = compile_dir(tmp_path).resolved.profiles["p"]
    resolution = profile.decks[ModelType.LLM].aliases["a0"]
    assert resolution.model is not None
    assert (resolution.model.name, len(resolution.path)) == ("m", chain + 2)


def test_explain_follows_alias_chains_longer_than_the_recursion_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain = 1500  # the recursive walks gave up near 330 (three frames per alias)
    deck = "[aliases]\n" + "".join(f'a{i} = "a{i + 1}"\n' for i in range(chain))
    write_config(small_config(deck + f'a{chain} = "m"\n'), tmp_path / "inference")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["explain", "a0", "--config-dir", "inference"])
    if result.exception is not None:
        raise result.exception
    assert result.exit_code == 0


def test_alias_cycles_longer_than_the_recursion_limit_are_reported(tmp_path: Path) -> None:
    chain = 1500  # the recursive walks gave up near 330 (three frames per alias)
    deck = "[aliases]\n" + "".join(f'a{i} = "a{(i + 1) % chain}"\n' for i in range(chain))
    write_config(small_config(deck), tmp_path)
    with pytest.raises(CompileFailed) as info:
        compile_dir(tmp_path)
    (error,) = info.value.errors
    assert str(error).startswith(
        "deck/base_deck.toml:2:1: aliases.a0: error: alias cycle: a0 -> a1 -> "
    )
    assert error.message.endswith(f"a{chain - 1} -> a0")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "[" * 500 + "]" * 500,
            "backends/x.toml:2:39: error: invalid TOML: TOML inline arrays/tables",
        ),
        (
            "{a=" * 33 + "1" + "}" * 33,
            "backends/x.toml:2:103: m.x-y: error: values nested more than",
        ),
        (
            "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
            "backends/x.toml:2:39: m.x-y: error: values",
        ),
        ("9" * 4400, "backends/x.toml:2:7: error: invalid TOML: a number of more than 4300 digits"),
    ],
)
def test_pathological_values_are_located_errors(tmp_path: Path, value: str, expected: str) -> None:
    write_config(small_config("", f"[m]\nx-y = {value}\n"), tmp_path)
    with pytest.raises(CompileFailed) as info:
        compile_dir(tmp_path)
    (error,) = info.value.errors
    assert str(error).startswith(expected)


def test_deepest_allowed_nesting_compiles_to_importable_python(tmp_path: Path) -> None:
    depth = MAX_DEPTH - 2  # the model table and the x-y key are two of the levels
    write_config(small_config("", f"[m]\nx-y = {'[' * depth}1{']' * depth}\n"), tmp_path / "c")
    build = compile_dir(tmp_path / "c")
    compile(build.files["_runtime/_deck_llm.py"], "_deck_llm.py", "exec")


def test_keys_with_more_parts_than_tomli_allows(tmp_path: Path) -> None:
    write_config(small_config("", ".".join(["k"] * 1001) + " = 1\n"), tmp_path)
    with pytest.raises(CompileFailed) as info:
        compile_dir(tmp_path)
    assert str(info.value.errors[0]).startswith(
        "backends/x.toml:1:66: error: invalid TOML: TOML key has more than the allowed 1000 parts"
    )


@pytest.mark.skipif(os.name != "posix", reason="byte file names")
def test_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    write_config(small_config(""), tmp_path)
    (Path(os.fsdecode(bytes(tmp_path) + b"/deck/team\xff.toml"))).write_text("")
    (Path(os.fsdecode(bytes(tmp_path) + b"/backends/\xfe.toml"))).write_text("")
    with pytest.raises(CompileFailed) as info:
        load_sources(tmp_path)
    assert [str(e).splitlines()[0] for e in info.value.errors] == [
        "backends/\\xfe.toml: error: file name is not valid UTF-8",
        "deck/team\\xff.toml: error: file name is not valid UTF-8",
    ]


def test_directories_where_files_belong(tmp_path: Path) -> None:
    write_config(small_config(""), tmp_path)
    (tmp_path / "backends" / "x.toml").unlink()
    (tmp_path / "backends" / "x.toml").mkdir()  # a declared backend's model file
    (tmp_path / "backends" / "other.toml").mkdir()  # an undeclared one's
    (tmp_path / "deck" / "team.toml").mkdir()
    build = compile_dir(tmp_path)
    assert [str(w).splitlines()[0] for w in build.warnings] == [
        "backends.toml:1:1: x: warning: backend `x` serves no models: backends/x.toml not found"
    ]


def test_backend_names_never_reach_the_file_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hostile backend name is rejected, and no path built from it is ever read."""
    (tmp_path / "secrets.toml").write_text("this would be a syntax error if it were read\n")
    files = small_config("")
    files["backends.toml"] = b'[x]\n["../secrets"]\n["..\\\\secrets"]\n["/etc/passwd"]\n'
    write_config(files, tmp_path / "inference")
    read: list[Path] = []
    real_read_bytes = Path.read_bytes

    def spy(path: Path) -> bytes:
        read.append(path)
        return real_read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", spy)
    with pytest.raises(CompileFailed) as info:
        compile_dir(tmp_path / "inference")
    assert [e.message.split(" is not")[0] for e in info.value.errors] == [
        "backend name `../secrets`",
        "backend name `..\\secrets`",
        "backend name `/etc/passwd`",
    ]
    inference = (tmp_path / "inference").resolve()
    assert read and all(inference in p.resolve().parents for p in read)


# --- a failed compile leaves the previous output untouched ---------------------------------------

INVALID = [c for c in case_dirs() if c.name.startswith("invalid_")]


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def compiled_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example") / "out"
    result = CliRunner().invoke(cli, ["compile", "--config-dir", str(EXAMPLE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid_input_exits_2_and_leaves_the_output_untouched(
    case: Path, compiled_example: Path, in_tmp: Path
) -> None:
    shutil.copytree(case / "inference", in_tmp / "inference")
    shutil.copytree(compiled_example, in_tmp / "out")
    before = snapshot(in_tmp / "out")
    args_file = case / "args.txt"
    args = shlex.split(args_file.read_text() if args_file.is_file() else DEFAULT_ARGS)
    assert args[-2:] == ["--out", "out"]
    result = CliRunner().invoke(cli, [*args, "--force"], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.endswith("not writing anything\n")
    assert "Traceback" not in result.stderr
    assert snapshot(in_tmp / "out") == before
    assert sorted(p.name for p in in_tmp.iterdir()) == ["inference", "out"]


def test_the_invalid_corpus_covers_every_kind_of_bad_input() -> None:
    kinds = {
        "malformed TOML": "invalid_toml_syntax",
        "invalid UTF-8": "invalid_utf8",
        "wrong type": "invalid_wrong_type",
        "out-of-range value": "invalid_temperature_out_of_range",
        "unknown key": "invalid_unknown_model_key",
        "missing file": "invalid_missing_backends_file",
        "missing directory": "invalid_missing_config_dir",
        "dangling reference": "invalid_dangling_alias",
        "cycle": "invalid_alias_cycle",
        "bad backend name": "invalid_backend_name_path_traversal",
    }
    assert all((CASES / name / "expected" / "stderr.txt").is_file() for name in kinds.values())
