"""The write step: the only place that writes files.

Each output is written to a temporary file beside its target, flushed to disk, then renamed over
it, so no reader ever sees a half-written file; a lock file serialises concurrent compiles into
the same directory.  Python outputs are byte-compiled with hash-checked ``.pyc`` files, which stay
valid across checkouts (no timestamps) and load even where bytecode writing is off.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import py_compile
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

LOCK_NAME = ".deckc.lock"


@contextlib.contextmanager
def exclusive(out_dir: Path) -> Iterator[None]:
    """Hold the output directory's lock (blocks while another compile writes)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / LOCK_NAME).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_temp(target: Path, text: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def write_outputs(out_dir: Path, files: Mapping[str, str]) -> list[str]:
    """Write ``files`` (relative path -> text) into ``out_dir``; the paths that changed."""
    changed = []
    with exclusive(out_dir):
        staged: list[tuple[Path, Path]] = []
        try:
            for rel, text in sorted(files.items()):
                target = out_dir / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.is_file() and target.read_text(encoding="utf-8") == text:
                    continue
                staged.append((_write_temp(target, text), target))
                changed.append(rel)
        except BaseException:
            for temp, _ in staged:
                temp.unlink(missing_ok=True)
            raise
        for temp, target in staged:
            os.replace(temp, target)
        _fsync_dir(out_dir)
        byte_compile(out_dir, [rel for rel in files if rel.endswith(".py")])
    return changed


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def byte_compile(out_dir: Path, modules: list[str]) -> None:
    """Hash-checked bytecode for each module, written atomically by py_compile."""
    for rel in sorted(modules):
        source = out_dir / rel
        cfile = importlib.util.cache_from_source(str(source))
        py_compile.compile(
            str(source),
            cfile=cfile,
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
        )
