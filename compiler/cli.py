"""The ``deckc`` command line: a thin click layer over the library (which never imports click)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from compiler import __version__
from compiler.errors import CompileFailed, DeckError
from compiler.freshness import Freshness, State, freshness
from compiler.pipeline import Build, compile_dir
from compiler.render import PYTHON_OUTPUTS
from compiler.write import byte_compile, write_outputs

F = TypeVar("F", bound=Callable[..., Any])
EXIT_OK, EXIT_FINDINGS, EXIT_ERRORS = 0, 1, 2
DEFAULT_CONFIG_DIR = Path(".pipelex/inference")
DEFAULT_OUT = Path("generated")


def config_dir_option(func: F) -> F:
    return click.option(
        "--config-dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=DEFAULT_CONFIG_DIR,
        show_default=True,
        help="The inference configuration directory.",
    )(func)


def out_option(func: F) -> F:
    return click.option(
        "--out",
        type=click.Path(path_type=Path, file_okay=False),
        default=DEFAULT_OUT,
        show_default=True,
        help="The output directory (lockfile and generated modules).",
    )(func)


def display_prefix(config_dir: Path) -> str:
    """How to show files of ``config_dir``: relative to the working directory when inside it."""
    rel = os.path.relpath(config_dir.resolve())
    return str(config_dir.resolve()) if rel.startswith("..") else Path(rel).as_posix()


def _print_diagnostics(diagnostics: tuple[DeckError, ...], config_dir: Path) -> None:
    prefix = display_prefix(config_dir)
    for diag in diagnostics:
        click.echo(str(diag.relocated(prefix)), err=True)


def _build(config_dir: Path) -> Build:
    """Compile, or print every error and exit 2."""
    try:
        build = compile_dir(config_dir)
    except CompileFailed as failed:
        click.echo(failed.relocated(display_prefix(config_dir)).report(), err=True)
        sys.exit(EXIT_ERRORS)
    _print_diagnostics(build.warnings, config_dir)
    return build


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="deckc")
def cli() -> None:
    """deckc compiles .pipelex/inference TOML into a frozen lockfile and typed Python modules."""


@cli.command("compile")
@config_dir_option
@out_option
@click.option("--dry-run", is_flag=True, help="Report which files would change; write nothing.")
@click.option("--force", is_flag=True, help="Recompile even when the outputs are current.")
def compile_command(config_dir: Path, out: Path, dry_run: bool, force: bool) -> None:
    """Compile the sources into OUT (atomically; nothing is written on error)."""
    if not (dry_run or force) and freshness(config_dir, out).state is State.CURRENT:
        byte_compile(out, [m for m in PYTHON_OUTPUTS if not _has_bytecode(out / m)])
        click.echo(f"deckc: {out.as_posix()} is up to date")
        return
    build = _build(config_dir)
    if dry_run:
        changed = [
            rel
            for rel, text in sorted(build.files.items())
            if not (out / rel).is_file() or (out / rel).read_text(encoding="utf-8") != text
        ]
        for rel in changed:
            click.echo(f"would write {(out / rel).as_posix()}")
        if not changed:
            click.echo(f"deckc: {out.as_posix()} is up to date")
        return
    changed = write_outputs(out, build.files)
    click.echo(
        f"deckc: wrote {len(changed)} file(s) to {out.as_posix()} (lock {build.lock_sha256[:12]})"
        if changed
        else f"deckc: {out.as_posix()} is up to date"
    )


def _has_bytecode(module: Path) -> bool:
    import importlib.util

    return Path(importlib.util.cache_from_source(str(module))).is_file()


def describe(fresh: Freshness, config_dir: Path, out: Path) -> list[str]:
    """Lines saying why ``out`` is not current and how to fix it."""
    command = f"deckc compile --config-dir {config_dir.as_posix()} --out {out.as_posix()}"
    fix = f"run `make compile` ({command})"
    lines = []
    for rel in fresh.missing_outputs:
        lines.append(f"{(out / rel).as_posix()}: missing")
    for rel in fresh.edited_outputs:
        lines.append(f"{(out / rel).as_posix()}: edited by hand (differs from what deckc wrote)")
    for rel in fresh.changed_sources:
        lines.append(
            f"{(config_dir / rel).as_posix()}: changed since {out.as_posix()} was compiled"
        )
    if fresh.generator_changed:
        lines.append(f"deckc or its templates changed since {out.as_posix()} was compiled")
    lines.append(f"fix: {fix}")
    return lines


@cli.command("check")
@config_dir_option
@out_option
def check_command(config_dir: Path, out: Path) -> None:
    """Exit 0 if OUT is exactly what compiling the sources gives, 1 if stale or edited."""
    fresh = freshness(config_dir, out)
    if fresh.state is State.CURRENT:
        click.echo(f"deckc: {out.as_posix()} is current")
        return
    if fresh.state is State.STALE:
        _build(config_dir)  # a broken configuration is exit 2, not "stale"
    for line in describe(fresh, config_dir, out):
        click.echo(line, err=True)
    sys.exit(EXIT_FINDINGS)


def main() -> None:
    try:
        cli()
    except Exception as exc:  # never a traceback for the user; DECKC_DEBUG=1 shows it
        if os.environ.get("DECKC_DEBUG"):
            raise
        click.echo(f"deckc: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_ERRORS)
