"""The ``deckc`` command line: a thin click layer over the library (which never imports click)."""

from __future__ import annotations

import functools
import json
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from . import __version__
from .core.errors import (
    CompileFailed,
    DeckError,
    Location,
    ModelsManagerError,
    Severity,
    errors_only,
    sort_diagnostics,
)
from .core.ir import Dialect, ModelType
from .emit.editor_schema import editor_schemas
from .emit.freshness import MANIFEST, Freshness, State, freshness
from .emit.origin import Origin
from .emit.render import LOCKFILE
from .emit.write import byte_compile, misplaced, plan, write_outputs
from .pipeline import Build, analyse, check_sources, compile_dir
from .review import diff, diff_render, litellm, litellm_render, lock_source
from .review.diagnose import EnvCheck, as_record, drift, recompile
from .review.explain import UnknownName, explain
from .review.explain_render import as_json, render_text
from .review.github import annotation
from .review.init import DEFAULT_LAYOUT, InitError, next_steps, scaffold, supported
from .review.migrate import MigrateError, migrate
from .semantics.decisions import Resolved
from .sources.load import load_sources

F = TypeVar("F", bound=Callable[..., Any])
EXIT_OK, EXIT_FINDINGS, EXIT_ERRORS = 0, 1, 2
DEFAULT_CONFIG_DIR = Path(".pipelex/inference")
DEFAULT_OUT = Path("generated")


def config_dir_option(func: F, *, required: bool = True) -> F:
    """``--config-dir``; left out, the project's ``.pipelex/inference``, found as git finds its
    repository: in the working directory or the nearest parent that has one (an error when
    none has one and the command ``required`` it)."""

    @functools.wraps(func)
    def located(*args: Any, **kwargs: Any) -> Any:
        given = kwargs["config_dir"]
        config_dir, root = locate(given)
        if given is None and root is None and required:
            _exit_on(
                [
                    ModelsManagerError(
                        f"no {DEFAULT_CONFIG_DIR.as_posix()} in the working directory or any "
                        "parent directory",
                        location=Location(DEFAULT_CONFIG_DIR.as_posix()),
                        hint="run `deckc init PROVIDER...` to create one, or pass --config-dir",
                    )
                ]
            )
        kwargs["config_dir"] = config_dir
        if kwargs.get("out", "") is None:  # --out left out: beside the configuration's project
            kwargs["out"] = shown(root / DEFAULT_OUT) if root is not None else DEFAULT_OUT
        return func(*args, **kwargs)

    return click.option(
        "--config-dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help=f"The inference configuration directory.  [default: {DEFAULT_CONFIG_DIR.as_posix()} "
        "in the working directory or the nearest parent that has one]",
    )(cast(F, located))


def optional_config_dir_option(func: F) -> F:
    return config_dir_option(func, required=False)


def out_option(func: F) -> F:
    return click.option(
        "--out",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="The output directory (lockfile and generated modules).  [default: "
        f"{DEFAULT_OUT.as_posix()} in the project that holds the configuration]",
    )(func)


def locate(config_dir: Path | None) -> tuple[Path, Path | None]:
    """The configuration directory to use and its project root (None when --config-dir names
    it, or when no parent has one: the default then stands, for its error to say so)."""
    if config_dir is not None:
        return config_dir, None
    here = Path.cwd()
    for root in (here, *here.parents):
        if (root / DEFAULT_CONFIG_DIR).is_dir():
            return shown(root / DEFAULT_CONFIG_DIR), root
    return DEFAULT_CONFIG_DIR, None


def shown(path: Path) -> Path:
    """``path`` relative to the working directory (``../..`` included), as people name it."""
    return Path(os.path.relpath(path))


def display_prefix(config_dir: Path) -> str:
    """How to show files of ``config_dir``: relative to the working directory when inside it."""
    rel = os.path.relpath(config_dir.resolve())
    return str(config_dir.resolve()) if rel.startswith("..") else Path(rel).as_posix()


def _print_diagnostics(diagnostics: tuple[DeckError, ...], config_dir: Path) -> None:
    prefix = display_prefix(config_dir)
    for diag in diagnostics:
        click.echo(str(diag.relocated(prefix)), err=True)


def _exit_on(errors: Sequence[DeckError]) -> None:
    """Print ``errors`` (about the output directory: located as the user named it) and exit 2,
    when there are any."""
    if errors:
        click.echo(CompileFailed(errors).report(), err=True)
        sys.exit(EXIT_ERRORS)


def _build(config_dir: Path, out: Path, strict: bool = False) -> Build:
    """Compile, or print every error and exit 2."""
    try:
        build = compile_dir(config_dir, Origin.of(config_dir, out), strict=strict)
    except CompileFailed as failed:
        click.echo(failed.relocated(display_prefix(config_dir)).report(), err=True)
        sys.exit(EXIT_ERRORS)
    _print_diagnostics(build.warnings, config_dir)
    return build


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="deckc")
def cli() -> None:
    """deckc compiles .pipelex/inference TOML into a frozen lockfile and typed Python modules."""


@cli.command(
    "compile", short_help="Compile the configuration into the lockfile and Python modules."
)
@config_dir_option
@out_option
@click.option("--dry-run", is_flag=True, help="Report which files would change; write nothing.")
@click.option("--force", is_flag=True, help="Recompile even when the outputs are current.")
@click.option(
    "--strict",
    is_flag=True,
    help="Make errors of the warnings: dangling handles, problems of profiles that are not "
    "active, and handles, presets and choices the active profile cannot serve.",
)
def compile_command(config_dir: Path, out: Path, dry_run: bool, force: bool, strict: bool) -> None:
    """Compile the sources into OUT (atomically; nothing is written on error)."""
    fresh = None if dry_run or force or strict else freshness(config_dir, out)
    if fresh is not None and fresh.state is State.CURRENT:
        modules = [m for m in fresh.outputs if m.endswith(".py")]
        shown = Origin.of(config_dir, out).out_dir
        byte_compile(out, [m for m in modules if not _has_bytecode(out / m)], shown)
        click.echo(f"deckc: {out.as_posix()} is up to date")
        return
    _exit_on(misplaced(config_dir, out))
    build = _build(config_dir, out, strict)
    if dry_run:
        todo = plan(out, build.files)
        for rel in todo.changed:
            click.echo(f"would write {(out / rel).as_posix()}")
        for rel in todo.deleted:
            click.echo(f"would delete {(out / rel).as_posix()} (no longer an output)")
        if not todo:
            click.echo(f"deckc: {out.as_posix()} is up to date")
        return
    try:
        done = write_outputs(out, build.files, Origin.of(config_dir, out).out_dir)
    except CompileFailed as failed:
        _exit_on(failed.diagnostics)
    if not done:
        what = "recompiled (--force)" if force else "compiled"
        click.echo(
            f"deckc: {what}: {out.as_posix()} is already exactly this output; nothing written"
        )
        return
    deleted = f", deleted {len(done.deleted)} no longer made" if done.deleted else ""
    click.echo(
        f"deckc: wrote {len(done.changed)} file(s) to {out.as_posix()}{deleted} "
        f"(lock {build.lock_sha256[:12]})"
    )


def _has_bytecode(module: Path) -> bool:
    import importlib.util

    return Path(importlib.util.cache_from_source(str(module))).is_file()


def describe(fresh: Freshness, config_dir: Path, out: Path) -> list[str]:
    """Lines saying why ``out`` is not current and how to fix it."""
    fix = f"run `{recompile(config_dir.as_posix(), out.as_posix())}`"
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
    if lines:
        lines.append(f"fix: {fix}")
    lines += [
        f"{(out / rel).as_posix()}: not an output of deckc (a leftover or a hand-added file): "
        "delete it"
        for rel in fresh.extra_outputs
    ]
    return lines


def _exit_if_broken(config_dir: Path, output_format: str = "text") -> None:
    """Exit 2 when the configuration has errors: loads, validates, resolves, renders nothing."""
    try:
        resolved, diagnostics = analyse(load_sources(config_dir))
    except CompileFailed as failed:
        resolved, diagnostics = None, list(failed.diagnostics)
    if resolved is None or errors_only(diagnostics):
        broken = CompileFailed(diagnostics).relocated(display_prefix(config_dir))
        if output_format == "github":
            for error in broken.errors:
                click.echo(annotation(error))
        else:
            click.echo(broken.report(), err=True)
        sys.exit(EXIT_ERRORS)


@cli.command("check", short_help="Check that the output is exactly what the sources compile to.")
@config_dir_option
@out_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "github"]),
    default="text",
    show_default=True,
    help="text for people, github for GitHub Actions annotations.",
)
def check_command(config_dir: Path, out: Path, output_format: str) -> None:
    """Exit 0 if OUT is exactly what compiling the sources gives, 1 if stale or edited."""
    fresh = freshness(config_dir, out)
    if fresh.state is State.CURRENT:
        click.echo(f"deckc: {out.as_posix()} is current")
        return
    if fresh.changed_sources or fresh.generator_changed or MANIFEST in fresh.missing_outputs:
        _exit_if_broken(config_dir, output_format)  # a broken configuration: exit 2, not stale
    if output_format == "github":  # each a failure of the check: an error annotation
        for finding in drift(fresh, display_prefix(config_dir), out.as_posix()):
            finding.severity = Severity.ERROR
            click.echo(annotation(finding))
    else:
        for line in describe(fresh, config_dir, out):
            click.echo(line, err=True)
    sys.exit(EXIT_FINDINGS)


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="text for people, json for machines.",
    )(func)


_STATE_WORDS = {
    State.CURRENT: "current",
    State.STALE: "stale",
    State.EDITED: "edited by hand",
    State.MISSING: "missing or incomplete",
}


def _online_findings(resolved: Resolved, timeout: float) -> list[DeckError]:
    from .review.online import probe_backends

    # compiler.review.online (and httpx) are imported only when --online asks for them
    return list(probe_backends(resolved, os.environ, timeout=timeout))


def _reference_findings(
    path: Path, resolved: Resolved | None
) -> tuple[list[DeckError], list[DeckError]]:
    """``validate --reference``: the findings in the configuration, and those located in the
    reference file (its errors, or the note recording its sha256)."""
    import datetime

    from .review.reference import cross_check, read_reference

    try:
        reference = read_reference(path)
    except CompileFailed as failed:
        return [], list(failed.diagnostics)
    if resolved is None:
        return [], []
    checked = cross_check(resolved.config, reference, datetime.date.today())
    return list(checked.findings), [checked.summary]


@cli.command("validate", short_help="Run every check of the configuration, writing nothing.")
@click.argument("scope", type=click.Choice(["all", "inference"]), default="all")
@config_dir_option
@out_option
@click.option(
    "--strict", is_flag=True, help="Handles unavailable in the active profile are errors."
)
@click.option(
    "--env",
    "env_check",
    type=click.Choice([e.value for e in EnvCheck]),
    default=EnvCheck.REPORT.value,
    show_default=True,
    help="What to say about unset ${VAR}s: `report` them as notes (no effect on the exit "
    "code: a CI job without secrets), `require` those of the backends the active profile uses "
    "(errors: a deploy job), or `skip` the environment.",
)
@click.option("--online", is_flag=True, help="Also probe each enabled backend's models endpoint.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=5.0,
    show_default=True,
    help="Seconds allowed to each --online probe.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people, json for machines, github for GitHub Actions annotations.",
)
@click.option(
    "--reference",
    "reference_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A pinned copy of LiteLLM's model_prices_and_context_window.json: cross-check costs, "
    "deprecation dates and output limits against it (read, never fetched).",
)
def validate_command(
    scope: str,
    config_dir: Path,
    out: Path,
    strict: bool,
    env_check: str,
    online: bool,
    timeout: float,
    output_format: str,
    reference_file: Path | None,
) -> None:
    """Run every check and write nothing (SCOPE: `inference` = the sources, `all` = also the
    freshness of OUT). Exit 0 when clean (notes allowed), 1 on warnings or drift, 2 on errors
    (with --env require, also a variable the active profile needs that is unset)."""
    prefix = display_prefix(config_dir)
    notes: list[str] = []
    env = EnvCheck(env_check)
    try:
        sources = load_sources(config_dir)
        resolved, found = check_sources(sources, os.environ, strict=strict, env=env)
    except CompileFailed as failed:
        resolved, found = None, list(failed.diagnostics)
    if online and resolved is not None and not errors_only(found):
        found += _online_findings(resolved, timeout)
    elif online:
        notes.append("deckc: --online skipped: fix the errors first")
    outside: list[DeckError] = []  # located in the reference file, not in the configuration
    if reference_file is not None:
        found_there, outside = _reference_findings(reference_file, resolved)
        found += found_there
    findings = [*(f.relocated(prefix) for f in sort_diagnostics(found)), *outside]
    drifted: list[DeckError] = []
    summary = ""
    if scope == "all":
        fresh = freshness(config_dir, out)
        drifted = drift(fresh, prefix, out.as_posix())
        summary = f"; {out.as_posix()} is {_STATE_WORDS[fresh.state]}"
    errors = len(errors_only(findings))
    warnings = sum(f.severity is Severity.WARNING for f in findings)  # notes are no findings
    if output_format == "json":
        click.echo(json.dumps([as_record(f) for f in [*findings, *drifted]], indent=2))
    elif output_format == "github":
        for finding in [*findings, *drifted]:
            click.echo(annotation(finding))
        for note in notes:
            click.echo(note, err=True)
        click.echo(f"deckc: {errors} error(s), {warnings} warning(s) in {prefix}{summary}")
    else:
        for finding in [*findings, *drifted]:
            click.echo(str(finding), err=True)
        for note in notes:
            click.echo(note, err=True)
        click.echo(f"deckc: {errors} error(s), {warnings} warning(s) in {prefix}{summary}")
    sys.exit(EXIT_ERRORS if errors else EXIT_FINDINGS if warnings or drifted else EXIT_OK)


@cli.command("explain", short_help="Show how a handle, preset or choice resolves, step by step.")
@click.argument("handle")
@click.option("--profile", default=None, help="The routing profile  [default: the active one]")
@click.option(
    "--model-type",
    type=click.Choice([t.value for t in ModelType]),
    default=ModelType.LLM.value,
    show_default=True,
    help="The model type HANDLE is looked up as.",
)
@config_dir_option
@format_option
def explain_command(
    handle: str,
    profile: str | None,
    model_type: str,
    config_dir: Path,
    output_format: str,
) -> None:
    """Show how HANDLE (a model, `@alias`, `~waterfall`, `$preset`, or a choice such as
    `for_text`) resolves, step by step, each step with the source file:line:col it comes from.
    Compiles in memory and writes nothing. Exit 0 when HANDLE resolves, 1 when it is unavailable
    under the profile, 2 when it or the configuration is wrong."""
    prefix = display_prefix(config_dir)
    as_json_output = output_format == "json"
    try:
        resolved, diagnostics = analyse(load_sources(config_dir))
    except CompileFailed as failed:
        resolved, diagnostics = None, list(failed.diagnostics)
    errors = [e.relocated(prefix) for e in sort_diagnostics(errors_only(diagnostics))]
    if resolved is None or errors:
        message = f"{len(errors)} error(s) in the configuration; fix them first"
        if as_json_output:
            records = [as_record(e) for e in errors]
            click.echo(json.dumps({"error": message, "diagnostics": records}, indent=2))
        else:
            for error in errors:
                click.echo(str(error), err=True)
            click.echo(f"deckc: {message}", err=True)
        sys.exit(EXIT_ERRORS)
    try:
        explanation = explain(resolved, handle, profile, ModelType(model_type))
    except UnknownName as unknown:
        if as_json_output:
            click.echo(json.dumps({"error": unknown.message, "hint": unknown.hint}, indent=2))
        else:
            click.echo(f"deckc: {unknown.message}", err=True)
            if unknown.hint:
                click.echo(f"  hint: {unknown.hint}", err=True)
        sys.exit(EXIT_ERRORS)
    if as_json_output:
        click.echo(json.dumps(as_json(explanation, prefix), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(explanation, prefix), nl=False)
    if explanation.model is None or explanation.backend is None:
        sys.exit(EXIT_FINDINGS)


@cli.command("costs", short_help="Tabulate what every alias, waterfall and preset costs.")
@click.option("--profile", default=None, help="The routing profile  [default: the active one]")
@config_dir_option
@format_option
def costs_command(profile: str | None, config_dir: Path, output_format: str) -> None:
    """Tabulate every alias, waterfall and preset of the profile, per model type: the backend
    and model it resolves to and that model's costs in USD per million tokens (input, output,
    cached input where the spec has it), or why it is unavailable. Compiles in memory and writes
    nothing. Exit 0, or 2 for an unknown profile or a broken configuration."""
    from .emit.lockfile import build_lock
    from .review import costs

    prefix = display_prefix(config_dir)
    try:
        resolved, diagnostics = analyse(load_sources(config_dir))
    except CompileFailed as failed:
        resolved, diagnostics = None, list(failed.diagnostics)
    errors = [e.relocated(prefix) for e in sort_diagnostics(errors_only(diagnostics))]
    try:
        if resolved is None or errors:
            raise CompileFailed(errors)
        table = costs.cost_table(build_lock(resolved), profile)
    except CompileFailed as failed:
        click.echo(failed.report(), err=True)
        sys.exit(EXIT_ERRORS)
    except UnknownName as unknown:
        click.echo(f"deckc: {unknown.message}", err=True)
        if unknown.hint:
            click.echo(f"  hint: {unknown.hint}", err=True)
        sys.exit(EXIT_ERRORS)
    if output_format == "json":
        click.echo(json.dumps(costs.as_json(table), indent=2))
    else:
        click.echo(costs.render_text(table), nl=False)


@cli.command("diff", short_help="Show what changed between two lockfiles, semantically.")
@click.argument("old", required=False)
@click.argument("new", required=False)
@optional_config_dir_option
@out_option
@format_option
def diff_command(
    old: str | None, new: str | None, config_dir: Path, out: Path, output_format: str
) -> None:
    """Show the semantic diff of two lockfiles, which a reviewer reads instead of raw JSON.

    OLD and NEW are lockfile paths or git revisions of OUT/deck.lock.json (an existing path, or
    one ending in .json, is a file). NEW defaults to OUT's lockfile in the working tree, OLD to
    HEAD; then a note says when the sources in --config-dir changed since that lockfile was
    written. Exit 0 equal, 1 different, 2 unreadable input."""
    try:
        before = lock_source.locate(old or "HEAD", out)
        after = lock_source.locate(new, out) if new else lock_source.from_file(out / LOCKFILE)
    except CompileFailed as failed:
        for problem in failed.diagnostics:
            click.echo(str(problem), err=True)
        sys.exit(EXIT_ERRORS)
    changes = diff.diff_locks(before.lock, after.lock)
    render = diff_render.render_json if output_format == "json" else diff_render.render_text
    click.echo(render(changes, before.label, after.label), nl=False)
    if not new and config_dir.is_dir():  # the working tree's lockfile may predate an edit
        fresh = freshness(config_dir, out)
        if fresh.changed_sources or fresh.generator_changed:
            edited = ", ".join(fresh.changed_sources) or "deckc itself"
            click.echo(
                f"note: {display_prefix(config_dir)} changed since {(out / LOCKFILE).as_posix()} "
                f"was written ({edited}): this diff does not show those changes; run "
                f"`{recompile(config_dir.as_posix(), out.as_posix())}` first",
                err=True,
            )
    sys.exit(EXIT_FINDINGS if changes else EXIT_OK)


@cli.command(
    "migrate", short_help="Rewrite a seed-layout configuration in Pipelex's current layout."
)
@config_dir_option
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="A new (or empty) directory for the configuration in the pipelex-0.92 layout.",
)
def migrate_command(config_dir: Path, out: Path) -> None:
    """Write the pipelex-0.10 configuration of CONFIG_DIR in the pipelex-0.92 layout into OUT,
    so that both compile to the same answers under every profile; print what is not carried
    over."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        click.echo(
            f"deckc: {out.as_posix()}: not an empty directory; not writing anything", err=True
        )
        sys.exit(EXIT_ERRORS)
    prefix = display_prefix(config_dir)
    try:
        sources = load_sources(config_dir)
        resolved, diagnostics = analyse(sources)
        if resolved is None or errors_only(diagnostics):
            raise CompileFailed(diagnostics)
        texts = {f.path: (config_dir / f.path).read_text("utf-8") for f in sources.files()}
        migration = migrate(sources, resolved.config, texts)
    except CompileFailed as failed:
        click.echo(failed.relocated(prefix).report(), err=True)
        sys.exit(EXIT_ERRORS)
    except MigrateError as error:
        click.echo(str(error.relocated(prefix)), err=True)
        sys.exit(EXIT_ERRORS)
    for rel, text in migration.files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")
    for note in migration.notes:
        click.echo(f"note: {prefix}/{note}")
    click.echo(f"deckc: wrote {len(migration.files)} file(s) to {out.as_posix()} (pipelex-0.92)")


@cli.command("schema", short_help="Write JSON Schemas of the source files for editors.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Where to write the editor schemas (draft-07) of the four source file kinds, in both "
    "layouts.",
)
def schema_command(out: Path) -> None:
    """Write JSON Schemas of the source files for editors (taplo, Even Better TOML): name one
    on a file's first line as `#:schema <path>` (`*-0.92` for Pipelex's current layout;
    backends_override.toml takes backends-0.92's)."""
    files = editor_schemas()
    try:
        changed = write_outputs(out, files).changed
    except CompileFailed as failed:
        _exit_on(failed.diagnostics)
    for name in sorted(files):
        click.echo(f"{'wrote' if name in changed else 'kept'} {(out / name).as_posix()}")


@cli.command(
    "init",
    short_help="Write a starter configuration for the providers you name.",
    help="Write a configuration for the PROVIDERs named into --config-dir (a new or empty "
    "directory): their backends with credentials as ${VAR} references, a few models each, a "
    "routing profile sending each model to its provider, and a deck; then say which variables "
    f"to set. PROVIDER is one or more of: {', '.join(supported(DEFAULT_LAYOUT))}.",
)
@click.argument("providers", metavar="PROVIDER...", nargs=-1)
@click.option(
    "--layout",
    type=click.Choice([d.value for d in Dialect]),
    default=DEFAULT_LAYOUT.value,
    show_default=True,
    help="pipelex-0.92: Pipelex's current layout; pipelex-0.10: the seed's.",
)
@click.option(
    "--config-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_CONFIG_DIR,
    show_default=True,
    help="Where to write the configuration: a new or empty directory.",
)
def init_command(providers: tuple[str, ...], layout: str, config_dir: Path) -> None:
    try:
        done = scaffold(providers, Dialect(layout))
    except InitError as error:
        raise click.UsageError(str(error)) from None
    shown_dir = config_dir.as_posix()
    if config_dir.exists() and (not config_dir.is_dir() or any(config_dir.iterdir())):
        click.echo(f"deckc: {shown_dir}: not an empty directory; not writing anything", err=True)
        click.echo(
            "  hint: deckc init starts a new configuration: pass --config-dir NEW_DIR, or move "
            "this one aside",
            err=True,
        )
        sys.exit(EXIT_ERRORS)
    try:
        for rel, text in done.files.items():
            (config_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (config_dir / rel).write_text(text, encoding="utf-8")
    except OSError as error:
        click.echo(f"deckc: {shown_dir}: cannot write the configuration: {error}", err=True)
        sys.exit(EXIT_ERRORS)
    click.echo(
        f"deckc: wrote {len(done.files)} file(s) to {shown_dir} "
        f"({done.layout.value}: {', '.join(done.providers)})"
    )
    for rel in done.files:
        click.echo(f"  {(config_dir / rel).as_posix()}")
    for note in done.notes:
        click.echo(f"note: {note}")
    option = "" if config_dir == DEFAULT_CONFIG_DIR else f"--config-dir {shlex.quote(shown_dir)}"
    click.echo("next steps:")
    for step in next_steps(done, option):
        click.echo(step)


@cli.group("export", short_help="Write the configuration of one profile for another tool.")
def export_group() -> None:
    """Write the compiled configuration of one routing profile in another tool's format."""


def _name_values(_: click.Context, __: click.Parameter, given: tuple[str, ...]) -> dict[str, str]:
    """``NAME=VALUE`` options as a mapping (a name given twice: the last value)."""
    pairs: dict[str, str] = {}
    for item in given:
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE")
        pairs[name] = value
    return pairs


@export_group.command(
    "litellm", short_help="Write a LiteLLM proxy config.yaml for one routing profile."
)
@click.option("--profile", default=None, help="The routing profile  [default: the active one]")
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The file to write (config.yaml).  [default: standard output]",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    callback=_name_values,
    help="Write the settings that read variable NAME with VALUE (an endpoint per deployment, "
    "say); never a credential.  Repeatable.",
)
@config_dir_option
def export_litellm_command(
    profile: str | None, out_file: Path | None, settings: dict[str, str], config_dir: Path
) -> None:
    """Write a LiteLLM proxy config.yaml for PROFILE from the compiled configuration: one
    deployment per handle the profile serves, aliases, fallback chains and presets as model
    groups, costs and limits, credentials as os.environ/ references.  Checked before it is
    written; the variables the proxy reads are listed at its top and on standard error.  Exit 2
    when the configuration has errors or holds what LiteLLM cannot express."""
    prefix = display_prefix(config_dir)
    try:
        build = compile_dir(config_dir)
    except CompileFailed as failed:
        click.echo(failed.relocated(prefix).report(), err=True)
        sys.exit(EXIT_ERRORS)
    try:
        exported = litellm.export(build.lock, profile, settings)
    except litellm.ExportRefused as refused:
        for refusal in refused.refusals:
            click.echo(f"{prefix}: {refusal}", err=True)
        click.echo(f"deckc: not exported: {len(refused.refusals)} problem(s)", err=True)
        sys.exit(EXIT_ERRORS)
    wrong = litellm_render.problems(exported)
    if wrong:  # a deckc bug, never the user's: say so plainly
        for problem in wrong:
            click.echo(f"deckc: internal error: the export breaks its checks: {problem}", err=True)
        sys.exit(EXIT_ERRORS)
    again = ["deckc export litellm", f"--config-dir {shlex.quote(prefix)}"]
    again += [f"--profile {shlex.quote(exported.profile)}"]
    again += [f"--set {shlex.quote(f'{name}={value}')}" for name, value in settings.items()]
    again += [f"--out {shlex.quote(out_file.as_posix())}"] if out_file is not None else []
    header = [
        f"LiteLLM proxy config of routing profile {exported.profile}, generated by deckc "
        f"{__version__} from {prefix} (lock {build.lock_sha256[:12]}); do not edit.",
        f"Regenerate: {' '.join(again)}",
    ]
    text = litellm_render.render(exported, header)
    for note in exported.notes:
        click.echo(f"note: {note}", err=True)
    needed = ", ".join(exported.variables) or "none"
    if out_file is None:
        click.echo(text, nl=False)
        click.echo(f"deckc: the proxy reads: {needed}", err=True)
        return
    try:
        out_file.write_text(text, encoding="utf-8")
    except OSError as error:
        click.echo(f"deckc: {out_file.as_posix()}: cannot write: {error.strerror}", err=True)
        sys.exit(EXIT_ERRORS)
    deployments = len(exported.config["model_list"])
    click.echo(
        f"deckc: wrote {out_file.as_posix()} ({deployments} deployment(s), profile "
        f"{exported.profile}); the proxy reads: {needed}"
    )


def main() -> None:
    try:
        cli()
    except Exception as exc:  # never a traceback for the user; DECKC_DEBUG=1 shows it
        if os.environ.get("DECKC_DEBUG"):
            raise
        click.echo(f"deckc: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_ERRORS)
