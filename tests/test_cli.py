"""The command line through click's runner: exit codes, messages, what is (not) written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler.cli import main
from compiler.core.errors import CompileFailed
from compiler.core.resources import package_dir
from compiler.emit import freshness, views
from compiler.emit.write import write_outputs
from tests.conftest import run


def test_compile_then_up_to_date(project: Path) -> None:
    first = run("compile")
    assert first.exit_code == 0
    assert first.stdout.startswith("deckc: wrote 26 file(s) to generated (lock ")
    assert (project / "generated" / "deck.lock.json").is_file()
    again = run("compile")
    assert again.stdout == "deckc: generated is up to date\n"


def test_dry_run_writes_nothing(project: Path) -> None:
    result = run("compile", "--dry-run")
    assert result.exit_code == 0
    assert "would write generated/deck.lock.json" in result.stdout
    assert not (project / "generated").exists()


def test_errors_exit_2_and_leave_outputs_untouched(project: Path) -> None:
    run("compile")
    before = (project / "generated" / "deck.lock.json").read_bytes()
    extra = project / ".pipelex" / "inference" / "deck" / "team.toml"
    extra.write_text('[aliases]\nbroken = "no-such-model"\n')
    result = run("compile")
    assert result.exit_code == 2
    assert "no-such-model" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.rstrip().endswith("not writing anything")
    assert (project / "generated" / "deck.lock.json").read_bytes() == before


def test_error_locations_are_relative_to_the_working_directory(project: Path) -> None:
    routing = project / ".pipelex" / "inference" / "routing_profiles.toml"
    routing.write_text(routing.read_text().replace('active = "all_pipelex"', 'active = "al"'))
    result = run("compile")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        ".pipelex/inference/routing_profiles.toml:7:1: active: error: active profile `al` is not "
        "declared"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("source", ".pipelex/inference/deck/overrides.toml: changed since generated was compiled"),
        ("edit", "generated/deck.py: edited by hand (differs from what deckc wrote)"),
        ("delete", "generated/_runtime/_deck_llm.py: missing"),
    ],
)
def test_check_reports_stale_outputs(project: Path, change: str, expected: str) -> None:
    run("compile")
    assert run("check").exit_code == 0
    if change == "source":
        overrides = project / ".pipelex" / "inference" / "deck" / "overrides.toml"
        overrides.write_text(overrides.read_text() + "\n# a comment\n")
    elif change == "edit":
        (project / "generated" / "deck.py").write_text("# hand edit\n")
    else:
        (project / "generated" / "_runtime" / "_deck_llm.py").unlink()
    result = run("check")
    assert result.exit_code == 1
    assert expected in result.stderr
    assert (
        "fix: run `deckc compile --config-dir .pipelex/inference --out generated`" in result.stderr
    )


def test_check_on_a_broken_configuration_exits_2(project: Path) -> None:
    run("compile")
    backends = project / ".pipelex" / "inference" / "backends.toml"
    backends.write_text(backends.read_text() + "\n[Bad-Name]\n")
    assert run("check").exit_code == 2


def test_missing_config_dir_exits_2(project: Path) -> None:
    result = run("compile", "--config-dir", "nowhere")
    assert result.exit_code == 2
    assert "nowhere: error: configuration directory not found" in result.stderr


def test_internal_errors_never_show_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    def explode(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("compiler.cli.compile_dir", explode)
    monkeypatch.setattr("sys.argv", ["deckc", "compile", "--force"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    assert capsys.readouterr().err == "deckc: internal error: RuntimeError: boom\n"


def test_version() -> None:
    assert run("--version").stdout.startswith("deckc, version ")


# --- the build-step contract ---------------------------------------------------------------------


def test_a_change_in_deckc_itself_makes_its_outputs_stale(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fingerprint covers deckc's own code, so a fix in resolve.py is a reason to recompile."""
    assert run("compile").exit_code == 0
    assert run("check").exit_code == 0
    fixed = project / "deckc-copy"
    shutil.copytree(package_dir(), fixed, ignore=shutil.ignore_patterns("__pycache__"))
    resolve = fixed / "semantics" / "resolve.py"
    resolve.write_text(resolve.read_text() + "\n# a fix\n")
    monkeypatch.setattr(freshness, "package_dir", lambda: fixed)
    freshness.generator_fingerprint.cache_clear()
    try:
        result = run("check")
    finally:
        freshness.generator_fingerprint.cache_clear()
    assert result.exit_code == 1
    assert "deckc or its templates changed since generated was compiled" in result.stderr


def test_outputs_no_longer_made_are_deleted_and_dry_run_says_so(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as bigger:  # as a bigger deck makes them: four handle sections
        bigger.setattr(views, "HANDLES_PER_SECTION", 8)
        assert run("compile").exit_code == 0
    runtime = project / "generated" / "_runtime"
    sections = sorted(p.name for p in runtime.glob("_handles_llm_[0-9].py"))
    assert sections == [f"_handles_llm_{i}.py" for i in range(4)]
    profiles = len(list(runtime.glob("_handles_llm_0_p*.py")))  # a row module per profile
    # one section now: three sections and their rows are no longer made
    dry = run("compile", "--dry-run")
    retired = sorted(
        f"generated/_runtime/_handles_llm_{i}{row}.py"
        for i in (1, 2, 3)
        for row in ("", *(f"_p{p}" for p in range(profiles)))
    )
    assert (
        sorted(
            line.removeprefix("would delete ").removesuffix(" (no longer an output)")
            for line in dry.stdout.splitlines()
            if "would delete" in line
        )
        == retired
    )
    assert (project / "generated" / "_runtime" / "_handles_llm_3.py").exists()
    done = run("compile", "--force")
    assert f", deleted {len(retired)} no longer made (lock " in done.stdout
    assert not (project / "generated" / "_runtime" / "_handles_llm_3.py").exists()
    assert not list((project / "generated" / "_runtime" / "__pycache__").glob("_handles_llm_3.*"))
    assert run("check").exit_code == 0


def test_outputs_no_longer_made_are_deleted_when_writing_in_place(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--out the working directory: files are replaced one by one, and retired ones deleted."""
    out = project / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    config = "../.pipelex/inference"
    with monkeypatch.context() as bigger:
        bigger.setattr(views, "HANDLES_PER_SECTION", 8)
        assert run("compile", "--config-dir", config, "--out", ".").exit_code == 0
    assert (out / "_runtime" / "_handles_llm_3.py").exists()
    assert run("compile", "--config-dir", config, "--out", ".", "--force").exit_code == 0
    assert not (out / "_runtime" / "_handles_llm_3.py").exists()
    assert run("check", "--config-dir", config, "--out", ".").exit_code == 0


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        (
            "a-file/below",
            "a-file/below: error: the output directory cannot be made: a-file exists and is not a "
            "directory\n"
            "  hint: pass --out a directory (it is created when missing), or move the file away\n",
        ),
        (
            ".pipelex/inference/gen",
            ".pipelex/inference/gen: error: the output directory is inside the configuration "
            "directory "
            ".pipelex/inference\n  hint: pass --out a directory outside it (the default is "
            "`generated`)\n",
        ),
    ],
)
def test_an_odd_out_is_a_located_error(project: Path, out: str, expected: str) -> None:
    (project / "a-file").write_text("not a directory\n")
    result = run("compile", "--out", out)
    assert result.exit_code == 2
    assert result.stderr == expected + "deckc: 1 error(s), not writing anything\n"
    assert (project / "a-file").read_text() == "not a directory\n"


def test_an_out_that_is_a_file_is_a_usage_error(project: Path) -> None:
    (project / "a-file").write_text("not a directory\n")
    result = run("compile", "--out", "a-file")
    assert result.exit_code == 2
    assert "Invalid value for '--out': Directory 'a-file' is a file." in result.stderr
    assert write_outputs_error(project / "a-file") == (
        f"{(project / 'a-file').as_posix()}: error: the output directory cannot be made: it exists "
        f"and "
        "is not a directory"
    )


def write_outputs_error(out: Path) -> str:
    with pytest.raises(CompileFailed) as info:
        write_outputs(out, {"deck.py": ""})
    (error,) = info.value.diagnostics
    return str(error).splitlines()[0]


def test_an_unwritable_out_is_a_located_error(project: Path) -> None:
    result = run("compile", "--out", "/proc/deckc-cannot-write-here")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "/proc/deckc-cannot-write-here: error: cannot write the output directory: "
    )
    assert "internal error" not in result.stderr


def test_nothing_to_write_says_what_was_done(project: Path) -> None:
    assert run("compile").exit_code == 0
    forced = run("compile", "--force")
    assert forced.stdout == (
        "deckc: recompiled (--force): generated is already exactly this output; nothing written\n"
    )
