"""Lockfiles to compare, read from a file or from the output directory at a git revision.

The only place deckc runs git (``git show REV:./<out>/deck.lock.json``); the core stages never
do.  What it finds is read by the one lockfile reader (:mod:`compiler.emit.lockread`), which
checks it against the schema of its version and reads versions 1 and 2.  Every failure is raised
as :class:`CompileFailed` holding located :class:`LockfileError` s.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import CompileFailed, Location
from ..emit.lock import Lockfile
from ..emit.lockread import LockfileError, parse_lock
from ..emit.render import LOCKFILE

__all__ = ["LoadedLock", "LockfileError", "from_file", "from_revision", "locate"]


@dataclass(frozen=True)
class LoadedLock:
    label: str  # how to name it to the user: a path, or REV:path
    lock: Lockfile


def _fail(message: str, label: str, **where: Any) -> CompileFailed:
    return CompileFailed([LockfileError(message, location=Location(label), **where)])


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
