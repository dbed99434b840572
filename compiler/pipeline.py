"""The stages composed: load -> validate -> build -> resolve -> emit -> generate.

Everything but :func:`compile_dir`'s loading is pure: the result is a :class:`Build` holding the
text of every output file, which callers write, compare or diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .core.errors import CompileFailed, DeckError, Location, ModelsManagerError, errors_only
from .emit.freshness import MANIFEST, manifest_text
from .emit.lock import Lockfile
from .emit.lockfile import build_lock, dumps, schema_violations, sha256, to_json
from .emit.origin import DEFAULT as DEFAULT_ORIGIN
from .emit.origin import Origin
from .emit.render import render
from .review.diagnose import EnvCheck, diagnose, unavailable_handles
from .semantics.decisions import Resolved
from .semantics.resolve import resolve
from .sources.build import build_config
from .sources.load import SourceSet, load_sources
from .sources.validate import validate_sources


@dataclass(frozen=True)
class Build:
    resolved: Resolved
    lock: Lockfile
    lock_json: dict[str, Any]
    lock_sha256: str
    files: dict[str, str]
    warnings: tuple[DeckError, ...]


def analyse(sources: SourceSet, *, strict: bool = False) -> tuple[Resolved | None, list[DeckError]]:
    """Validate and resolve; every diagnostic found (errors and warnings; with ``strict``, the
    lenient warnings of the layout are errors)."""
    valid, problems = validate_sources(sources)
    if valid is None:
        return None, problems + list(sources.warnings)
    config, build_problems = build_config(valid)
    problems += build_problems
    resolved, resolve_problems = resolve(config)
    found = problems + resolve_problems
    return resolved, [d.strictly() for d in found] if strict else found


def compile_sources(
    sources: SourceSet, origin: Origin = DEFAULT_ORIGIN, *, strict: bool = False
) -> Build:
    """The whole compile of loaded sources; raises CompileFailed with every error found
    (``strict``: the warnings the layout allows, such as dangling handles, and handles, presets
    and choices unavailable in the active profile, are errors too)."""
    resolved, diagnostics = analyse(sources, strict=strict)
    if resolved is None or errors_only(diagnostics):
        raise CompileFailed(diagnostics)
    diagnostics += unavailable_handles(resolved, strict=strict)  # what the app will meet
    if errors_only(diagnostics):
        raise CompileFailed(diagnostics)
    lock = build_lock(resolved, origin)
    lock_json = to_json(lock)
    violations = schema_violations(lock_json)
    if violations:  # a compiler bug, never the user's: say so plainly
        raise CompileFailed(
            ModelsManagerError(
                f"internal error: the lockfile breaks its schema: {v}",
                location=Location("deck.lock.json"),
            )
            for v in violations
        )
    text = dumps(lock_json)
    digest = sha256(text)
    files = render(lock, text, digest, origin)
    files[MANIFEST] = manifest_text(sources.hashes(), files)
    warnings = CompileFailed(diagnostics).diagnostics
    return Build(resolved, lock, lock_json, digest, files, warnings)


def compile_dir(
    config_dir: Path, origin: Origin = DEFAULT_ORIGIN, *, strict: bool = False
) -> Build:
    return compile_sources(load_sources(config_dir), origin, strict=strict)


def check_sources(
    sources: SourceSet,
    environ: Mapping[str, str],
    *,
    strict: bool = False,
    env: EnvCheck = EnvCheck.REPORT,
) -> tuple[Resolved | None, list[DeckError]]:
    """Everything ``deckc validate`` checks in the sources: the compile's diagnostics and the
    review checks (``env``: what to say about unset variables); the resolved deck is None when
    it could not be built."""
    resolved, diagnostics = analyse(sources, strict=strict)
    if resolved is None:
        return None, diagnostics
    clean = not errors_only(diagnostics)
    diagnostics += diagnose(resolved, environ, strict=strict, availability=clean, env=env)
    return resolved, diagnostics
