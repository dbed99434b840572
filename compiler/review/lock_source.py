"""Lockfiles to compare, read from a file or from the output directory at a git revision.

The only place deckc runs git (``git show REV:./<out>/deck.lock.json``); the core stages never
do.  A lockfile is checked before anything compares it: valid JSON, this deckc's schema version,
valid against ``schema/deck.lock.schema.json``.  Every failure is raised as :class:`CompileFailed`
holding located :class:`LockfileError` s.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from compiler.core.errors import CompileFailed, DeckError, Location
from compiler.core.resources import load_schema
from compiler.emit.lockfile import LOCK_SCHEMA, SCHEMA_VERSION, Lock
from compiler.emit.render import LOCKFILE


class LockfileError(DeckError):
    """A lockfile given to ``deckc diff`` cannot be read, parsed or understood."""


@dataclass(frozen=True)
class LoadedLock:
    label: str  # how to name it to the user: a path, or REV:path
    lock: Lock


def _fail(message: str, label: str, **where: Any) -> CompileFailed:
    return CompileFailed([LockfileError(message, location=Location(label), **where)])


@cache
def _validator() -> Any:
    import jsonschema  # only when a lockfile is read: ~0.1 s that compile does not need

    return jsonschema.Draft202012Validator(load_schema(LOCK_SCHEMA))


def parse_lock(text: str, label: str) -> Lock:
    """The lockfile in ``text``, shown as ``label`` in errors."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        located = Location(label, exc.lineno, exc.colno)
        raise CompileFailed(
            [LockfileError(f"not valid JSON: {exc.msg}", location=located)]
        ) from None
    if not isinstance(data, dict):
        raise _fail("not a deckc lockfile (not a JSON object)", label)
    header = data.get("_generated")
    version = header.get("schema_version") if isinstance(header, dict) else None
    if version != SCHEMA_VERSION:
        raise _fail(
            f"lockfile schema version {json.dumps(version)}; this deckc reads version "
            f"{SCHEMA_VERSION}",
            label,
            key_path=("_generated", "schema_version"),
            hint="compare lockfiles written by the same deckc version "
            "(recompile the older one with `deckc compile --force`)",
        )
    problems = [
        LockfileError(
            f"not a valid lockfile: {error.message}",
            location=Location(label),
            key_path=tuple(error.absolute_path),
        )
        for error in _validator().iter_errors(data)
    ]
    if problems:
        raise CompileFailed(problems)
    return data


def _decode(raw: bytes, label: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(f"not UTF-8: {exc.reason}", label) from None


def from_file(path: Path) -> LoadedLock:
    label = path.as_posix()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _fail("lockfile not found", label) from None
    except IsADirectoryError:
        raise _fail("a directory, not a lockfile", label) from None
    except OSError as exc:
        raise _fail(f"cannot read: {exc.strerror}", label) from None
    return LoadedLock(label, parse_lock(_decode(raw, label), label))


def from_revision(revision: str, out_dir: Path) -> LoadedLock:
    """``out_dir``'s lockfile as committed at ``revision`` (any name git understands)."""
    lockfile = (out_dir / LOCKFILE).as_posix()
    label = f"{revision}:{lockfile}"
    if not revision or revision.startswith("-"):
        raise _fail(f"`{revision}` is not a git revision", label)
    target = out_dir.resolve()
    command = ["git", "-C", str(target.parent), "show", f"{revision}:./{target.name}/{LOCKFILE}"]
    try:
        done = subprocess.run(command, capture_output=True, check=False)
    except FileNotFoundError:
        raise _fail("git is not installed; compare two lockfile paths instead", label) from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["failed"]
        raise _fail(
            f"no lockfile at revision `{revision}`: git: {said[0].removeprefix('fatal: ')}",
            label,
            hint=f"name a commit, branch or tag that has {lockfile} "
            f"(`git log --oneline -- {lockfile}` lists them), or give two lockfile paths",
        )
    return LoadedLock(label, parse_lock(_decode(done.stdout, label), label))


def locate(argument: str, out_dir: Path) -> LoadedLock:
    """An argument of ``deckc diff``: an existing path, or one ending in ``.json``, is a
    lockfile; anything else is a git revision of ``out_dir``'s lockfile."""
    path = Path(argument)
    if path.exists() or argument.endswith(".json"):
        return from_file(path)
    return from_revision(argument, out_dir)
