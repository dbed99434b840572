"""The write step: the only place that writes files.

A compile replaces the output directory as a whole, so that a reader, a concurrent compile or a
kill at any moment sees either the complete previous outputs or the complete new ones, never a
mix:

1. under an exclusive lock (``flock`` on the parent directory), the new outputs are written and
   byte-compiled into a staging directory beside the output directory; unchanged outputs and
   every file deckc does not own are hard-linked into it (same inode, same mtime: editors, make
   and git see them unchanged);
2. one ``renameat2(RENAME_EXCHANGE)`` swaps the staging and output directories atomically
   (Linux >= 3.15 with glibc >= 2.28, on ext4, xfs, btrfs, tmpfs...);
3. files that appeared in the old directory meanwhile are moved across, and it is deleted.

Fallback where no atomic exchange exists (other systems, some network file systems): two
renames, output -> ``.<out>.deckc-old-*`` then staging -> output.  A kill between them leaves no
output directory but the previous one complete in the backup, which the next compile puts back.
When the output directory is (or contains) the working directory or is a mount point, it cannot
be swapped: each file is then replaced by its own rename, the manifest last, and the outputs of
the previous compile that this one no longer makes are deleted after it.

:func:`plan` says what a write would do (``--dry-run`` prints it); a directory that cannot be
written, or that is not a directory, is a located :class:`OutputError`, never a traceback.

Python outputs are byte-compiled with hash-checked ``.pyc`` files, which stay valid across
checkouts (no timestamps) and load even where bytecode writing is off.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import importlib.util
import json
import marshal
import os
import py_compile
import shutil
import stat
import tempfile
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import CompileFailed, DeckError, Location
from .freshness import MANIFEST

LOCK_NAME = ".deckc.lock"  # the lock file of earlier deckc versions; dropped on the next compile
_STAGING, _BACKUP = "deckc-new-", "deckc-old-"


class OutputError(DeckError):
    """The output directory cannot be written (or is not a directory)."""


@dataclass(frozen=True)
class WritePlan:
    """What writing ``files`` into an output directory changes."""

    changed: tuple[str, ...]  # outputs written anew: new, or with other content
    deleted: tuple[str, ...]  # outputs of the previous compile this one no longer makes

    def __bool__(self) -> bool:
        return bool(self.changed or self.deleted)


def plan(out_dir: Path, files: Mapping[str, str]) -> WritePlan:
    """What :func:`write_outputs` would do (it reads the outputs; it writes nothing)."""
    previous = _manifest_outputs(out_dir)
    return WritePlan(
        changed=tuple(rel for rel, text in sorted(files.items()) if _differs(out_dir / rel, text)),
        deleted=tuple(
            sorted(rel for rel in previous - set(files) if os.path.lexists(out_dir / rel))
        ),
    )


def write_outputs(out_dir: Path, files: Mapping[str, str], shown: str | None = None) -> WritePlan:
    """Replace ``out_dir``'s outputs by ``files`` (relative path -> text), atomically.

    ``shown`` is how bytecode names the directory (``Origin.out_dir``: the same whatever the
    working directory; ``out_dir`` as given by default).  Returns what changed; when nothing
    did, nothing is replaced.  Raises :class:`CompileFailed` holding an :class:`OutputError`
    when the directory cannot be written."""
    try:
        return _write_outputs(out_dir, files, Path(shown) if shown is not None else out_dir)
    except OSError as exc:
        raise CompileFailed([_output_error(out_dir, exc)]) from None


def misplaced(config_dir: Path, out_dir: Path) -> list[DeckError]:
    """An output directory that is, or is inside, the configuration directory: outputs never
    mix with the sources they are made from."""
    config, out = config_dir.resolve(), out_dir.resolve()
    if out != config and config not in out.parents:
        return []
    return [
        OutputError(
            f"the output directory is inside the configuration directory {config_dir.as_posix()}",
            location=Location(out_dir.as_posix()),
            hint="pass --out a directory outside it (the default is `generated`)",
        )
    ]


def _output_error(out_dir: Path, exc: OSError) -> OutputError:
    where = Location(out_dir.as_posix())
    blocker = next((p for p in (out_dir, *out_dir.parents) if os.path.lexists(p)), out_dir)
    if os.path.lexists(blocker) and not blocker.is_dir():
        what = "it" if blocker == out_dir else blocker.as_posix()
        return OutputError(
            f"the output directory cannot be made: {what} exists and is not a directory",
            location=where,
            hint="pass --out a directory (it is created when missing), or move the file away",
        )
    problem = exc.strerror or type(exc).__name__
    on = f" ({Path(exc.filename).name})" if exc.filename else ""
    return OutputError(
        f"cannot write the output directory: {problem}{on}",
        location=where,
        hint="check the permissions of --out and its parent, and the free space there",
    )


def _write_outputs(out_dir: Path, files: Mapping[str, str], display: Path) -> WritePlan:
    target = out_dir.resolve()
    if os.path.lexists(target) and not target.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(out_dir))
    target.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(target):
        _recover(target)
        todo = plan(target, files)
        if not todo:
            _byte_compile(out_dir, display, [rel for rel in files if rel.endswith(".py")])
            return todo
        if _must_write_in_place(target):
            _write_in_place(target, display, files, todo.deleted)
        else:
            _swap_in(target, display, files, todo.deleted)
    return todo


def _manifest_outputs(directory: Path) -> set[str]:
    """The outputs the manifest in ``directory`` lists (none when there is no readable one)."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        return {str(rel) for rel in manifest["outputs"]}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


@contextlib.contextmanager
def exclusive(target: Path) -> Iterator[None]:
    """Hold the lock of output directory ``target`` (blocks while another compile writes it).

    The lock is taken on the parent directory, which the swap leaves in place."""
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _differs(path: Path, text: str) -> bool:
    try:
        return path.read_bytes() != text.encode("utf-8")
    except OSError:
        return True


def _must_write_in_place(target: Path) -> bool:
    if not target.is_dir():
        return False
    cwd = Path.cwd().resolve()
    return cwd == target or target in cwd.parents or os.path.ismount(target)


def _siblings(target: Path, kind: str) -> list[Path]:
    prefix = f".{target.name}.{kind}"
    return sorted(target.parent / n for n in os.listdir(target.parent) if n.startswith(prefix))


def _recover(target: Path) -> None:
    """Undo what a compile killed mid-way left: restore a backed-up output directory, delete
    staging directories (the lock is held: no other compile is using them)."""
    backups = _siblings(target, _BACKUP)
    if backups and not os.path.lexists(target):
        os.rename(backups[-1], target)
    for leftover in _siblings(target, _BACKUP) + _siblings(target, _STAGING):
        shutil.rmtree(leftover, ignore_errors=True)


def _swap_in(target: Path, shown: Path, files: Mapping[str, str], retired: tuple[str, ...]) -> None:
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.{_STAGING}", dir=target.parent))
    except PermissionError:  # the parent is not writable: the directory cannot be swapped
        _write_in_place(target, shown, files, retired)
        return
    try:
        _stage(staging, target, shown, files)
        if not os.path.lexists(target):
            os.rename(staging, target)
        elif not _exchange(staging, target):
            backup = staging.with_name(staging.name.replace(_STAGING, _BACKUP))
            os.rename(target, backup)
            try:
                os.rename(staging, target)
            except BaseException:
                os.rename(backup, target)
                raise
            staging = backup
        _fsync_dir(target.parent)
        if staging.exists():  # now the previous outputs
            _move_late_arrivals(staging, target, _owned(staging, files))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _stage(staging: Path, target: Path, shown: Path, files: Mapping[str, str]) -> None:
    """The complete new output directory: files deckc does not own (and unchanged outputs)
    linked from ``target``, new outputs written, Python outputs byte-compiled."""
    if target.is_dir():
        os.chmod(staging, stat.S_IMODE(target.stat().st_mode))
        owned = _owned(target, files)
        _link_tree(target, staging, lambda rel: rel not in owned)
        for rel, text in files.items():
            if not _differs(target / rel, text):
                _link_or_copy(target / rel, staging / rel)
    else:
        os.chmod(staging, 0o777 & ~_umask())
    for rel, text in sorted(files.items()):
        if not (staging / rel).exists():
            _write_file(staging / rel, text)
    _byte_compile(staging, shown, [rel for rel in files if rel.endswith(".py")])
    for directory in sorted({(staging / rel).parent for rel in files}, reverse=True):
        _fsync_dir(directory)


def _owned(directory: Path, files: Mapping[str, str]) -> set[str]:
    """Paths in ``directory`` that deckc writes: this compile's outputs and their bytecode,
    the outputs the previous manifest lists, the lock file of earlier versions."""
    owned = set(files) | {LOCK_NAME} | _manifest_outputs(directory)
    for rel in [r for r in owned if r.endswith(".py")]:
        cache = Path(rel).parent / "__pycache__"
        if (directory / cache).is_dir():
            stem = Path(rel).stem + "."
            owned.update(
                (cache / name).as_posix()
                for name in os.listdir(directory / cache)
                if name.startswith(stem) and name.endswith(".pyc")
            )
    return owned


def _link_tree(source: Path, dest: Path, keep: Callable[[str], bool]) -> None:
    """Recreate the entries of ``source`` that ``keep(rel)`` accepts under ``dest``: files as
    hard links (copies where linking fails), symbolic links as such, directories with their
    mode."""
    pending = [Path()]
    while pending:
        rel_dir = pending.pop()
        for entry in sorted(os.scandir(source / rel_dir), key=lambda e: e.name):
            rel = rel_dir / entry.name
            if not keep(rel.as_posix()):
                continue
            if entry.is_symlink():
                os.symlink(os.readlink(entry.path), dest / rel)
            elif entry.is_dir():
                (dest / rel).mkdir()
                os.chmod(dest / rel, stat.S_IMODE(entry.stat().st_mode))
                pending.append(rel)
            else:
                _link_or_copy(Path(entry.path), dest / rel)


def _link_or_copy(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, dest, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, dest, follow_symlinks=False)


def _move_late_arrivals(old: Path, new: Path, owned: set[str]) -> None:
    """Files someone created in the old directory while the new one was staged: move them."""
    pending = [Path()]
    while pending:
        rel_dir = pending.pop()
        for entry in os.scandir(old / rel_dir):
            rel = rel_dir / entry.name
            if rel.as_posix() in owned:
                continue
            if not os.path.lexists(new / rel):
                with contextlib.suppress(OSError):
                    os.rename(entry.path, new / rel)
            elif entry.is_dir(follow_symlinks=False) and (new / rel).is_dir():
                pending.append(rel)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_NO_EXCHANGE = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically; False where the system cannot (nothing changed then)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    status = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if status == 0:
        return True
    code = ctypes.get_errno()
    if code in _NO_EXCHANGE:
        return False
    raise OSError(code, os.strerror(code), str(b))


def _write_in_place(
    target: Path, shown: Path, files: Mapping[str, str], retired: tuple[str, ...]
) -> None:
    """Each changed output to a temporary file, then renamed over its target; the manifest
    last, so a kill before it leaves outputs that ``deckc check`` reports as not current; then
    the ``retired`` outputs (and their bytecode) are deleted."""
    staged: list[tuple[Path, Path]] = []
    try:
        for rel in sorted(files, key=lambda r: (r == MANIFEST, r)):
            dest = target / rel
            if _differs(dest, files[rel]):
                dest.parent.mkdir(parents=True, exist_ok=True)
                fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
                os.close(fd)
                staged.append((_write_file(Path(name), files[rel]), dest))
    except BaseException:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        raise
    for temp, dest in staged:
        os.replace(temp, dest)
    for rel in retired:
        (target / rel).unlink(missing_ok=True)
        if rel.endswith(".py"):
            Path(importlib.util.cache_from_source(str(target / rel))).unlink(missing_ok=True)
    _fsync_dir(target)
    _byte_compile(target, shown, [rel for rel in files if rel.endswith(".py")])


def _write_file(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            fd = -1
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        if fd != -1:
            os.close(fd)
        path.unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _bytecode_is_current(source: Path, shown: Path) -> bool:
    """Whether ``source``'s cached bytecode is what :func:`_byte_compile` would write: a
    hash-checked .pyc of these very bytes, naming ``shown`` as its file."""
    try:
        pyc = Path(importlib.util.cache_from_source(str(source))).read_bytes()
        data = source.read_bytes()
    except OSError:
        return False
    header = pyc[:16]
    if (
        header[:4] != importlib.util.MAGIC_NUMBER
        or int.from_bytes(header[4:8], "little") != _CHECKED_HASH
        or header[8:16] != importlib.util.source_hash(data)
    ):
        return False
    try:
        code = marshal.loads(pyc[16:])
    except (ValueError, EOFError, TypeError):
        return False
    return isinstance(code, types.CodeType) and code.co_filename == str(shown)


_CHECKED_HASH = 0b11  # the flags of a hash-based .pyc whose hash is checked (PEP 552)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def byte_compile(out_dir: Path, modules: list[str], shown: str | None = None) -> None:
    """Hash-checked bytecode for each module of ``out_dir``, written atomically by py_compile
    (``shown``: as in :func:`write_outputs`)."""
    _byte_compile(out_dir, Path(shown) if shown is not None else out_dir, modules)


def _byte_compile(directory: Path, shown: Path, modules: list[str]) -> None:
    """Byte-compile ``directory``'s modules as if they were in ``shown`` (the name tracebacks
    give them, whichever directory they are compiled in); a module whose bytecode is already
    exactly this (an unchanged output) is left as it is."""
    for rel in sorted(modules):
        source = directory / rel
        if _bytecode_is_current(source, shown / rel):
            continue
        py_compile.compile(
            str(source),
            cfile=importlib.util.cache_from_source(str(source)),
            dfile=str(shown / rel),
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
        )
