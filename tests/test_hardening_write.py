"""Atomic writes: the output directory is only ever the complete previous or the complete new
output, whether the compile is killed at any step, runs beside another one, or falls back to
plain renames; files deckc does not own are kept."""

from __future__ import annotations

import hashlib
import json
import os
import py_compile
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compiler.emit import write
from compiler.emit.freshness import MANIFEST
from compiler.emit.render import LOCKFILE
from compiler.emit.write import write_outputs
from tests.conftest import ROOT, compile_texts

BACKENDS = "[a]\n"
ROUTING = 'active = "p"\n[profiles.p]\ndefault = "a"\n'


def build_files(alias: str) -> dict[str, str]:
    """The outputs of a small configuration; ``alias`` makes two of them differ everywhere."""
    return compile_texts(
        {
            "backends.toml": BACKENDS,
            "routing_profiles.toml": ROUTING,
            "backends/a.toml": "[m1]\n[m2]\n",
            "deck/base_deck.toml": f'[aliases]\nbest = "{alias}"\n',
        }
    ).files


OLD, NEW = build_files("m1"), build_files("m2")


def lock_of(files: dict[str, str]) -> str:
    return hashlib.sha256(files[LOCKFILE].encode()).hexdigest()


def state(out: Path) -> str:
    """The lock hash of ``out`` when it is one complete, consistent compile; else what is
    wrong with it."""
    if not out.exists():
        return "missing"
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    for rel, digest in manifest["outputs"].items():
        data = (out / rel).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            return f"mixed: {rel}"
    return hashlib.sha256((out / LOCKFILE).read_bytes()).hexdigest()


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".deckc-" in p.name)


# --- kills ---------------------------------------------------------------------------------------

STEPS = [
    (os, "rename"),
    (os, "replace"),
    (os, "link"),
    (os, "symlink"),
    (os, "mkdir"),
    (os, "chmod"),
    (os, "unlink"),
    (os, "rmdir"),
    (shutil, "rmtree"),
    (py_compile, "compile"),
    (write, "_write_file"),
    (write, "_exchange"),
]


def write_and_die(
    out: Path, files: dict[str, str], kill_at: int, no_exchange: bool, count: Path
) -> int:
    """In a forked child, write ``files`` into ``out`` and SIGKILL it just before its step
    number ``kill_at`` (a step: one call that changes the file system, not counting the calls
    it makes itself).  Returns the child's exit status; ``count`` receives the number of steps
    when it lives."""
    pid = os.fork()
    if pid:
        return os.waitpid(pid, 0)[1]
    try:  # the child
        steps, inside = 0, False

        def counted(owner: object, name: str) -> None:
            real = getattr(owner, name)

            def step(*args: object, **kwargs: object) -> object:
                nonlocal steps, inside
                if inside:
                    return real(*args, **kwargs)
                steps += 1
                if steps == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
                inside = True
                try:
                    return real(*args, **kwargs)
                finally:
                    inside = False

            setattr(owner, name, step)

        if no_exchange:
            write._exchange = lambda a, b: False
        for owner, name in STEPS:
            counted(owner, name)
        write_outputs(out, files)
        count.write_text(str(steps))
    finally:
        os._exit(0)


@pytest.mark.parametrize("no_exchange", [False, True], ids=["renameat2", "two-renames"])
def test_a_compile_killed_at_any_step_leaves_complete_outputs(
    tmp_path: Path, no_exchange: bool
) -> None:
    out = tmp_path / "project" / "generated"
    write_outputs(out, OLD)
    (out / "notes.md").write_text("not deckc's\n")
    dry = tmp_path / "dry" / "generated"
    write_outputs(dry, OLD)
    (dry / "notes.md").write_text("not deckc's\n")
    count = tmp_path / "steps"
    assert write_and_die(dry, NEW, 0, no_exchange, count) == 0
    total = int(count.read_text())  # the steps of a whole write
    assert total > 20
    seen = set()
    for kill_at in range(1, total + 1):
        status = write_and_die(out, NEW, kill_at, no_exchange, count)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        now = state(out)
        seen.add(now)
        if now == "missing":  # only between the two renames of the fallback
            assert no_exchange and [n for n in leftovers(out.parent) if "-old-" in n]
        else:
            assert now in (lock_of(OLD), lock_of(NEW)), (kill_at, now)
            assert (out / "notes.md").read_text() == "not deckc's\n"
        write_outputs(out, NEW if kill_at % 2 else OLD)  # the next compile recovers
        assert state(out) == lock_of(NEW if kill_at % 2 else OLD)
        assert (out / "notes.md").read_text() == "not deckc's\n"
        assert leftovers(out.parent) == []
        write_outputs(out, OLD)
    assert {lock_of(OLD), lock_of(NEW)} <= seen  # killed both before and after the swap


def test_a_compile_killed_by_the_clock_leaves_complete_outputs(tmp_path: Path) -> None:
    """The same with real timing: compiles in a loop, SIGKILLed mid-way.  The child reports each
    finished write, and is killed only once it has finished some: it is killed while writing,
    never before it started."""
    out = tmp_path / "generated"
    write_outputs(out, OLD)
    (tmp_path / "old.json").write_text(json.dumps(OLD))
    (tmp_path / "new.json").write_text(json.dumps(NEW))
    loop = (
        "import json, sys; from pathlib import Path\n"
        "from compiler.emit.write import write_outputs\n"
        "texts = [json.loads(Path(p).read_text()) for p in sys.argv[2:]]\n"
        "i = 0\n"
        "while True:\n"
        "    write_outputs(Path(sys.argv[1]), texts[i % 2]); i += 1\n"
        "    print(i, flush=True)\n"
    )
    for finished, delay in ((1, 0.0), (2, 0.004), (3, 0.011)):
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                loop,
                str(out),
                *(str(tmp_path / n) for n in ("old.json", "new.json")),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        reported = [child.stdout.readline() for _ in range(finished)]
        time.sleep(delay)  # the next write is under way
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert reported[-1].strip() == str(finished)  # it wrote, and was killed in its loop
        assert state(out) in (lock_of(OLD), lock_of(NEW))
        write_outputs(out, OLD)
        assert leftovers(tmp_path) == []


# --- concurrency ---------------------------------------------------------------------------------


def test_concurrent_compiles_never_mix_and_readers_see_whole_snapshots(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    write_outputs(out, OLD)
    for name, files in (("old", OLD), ("new", NEW)):
        (tmp_path / f"{name}.json").write_text(json.dumps(files))
    loop = (
        "import json, sys; from pathlib import Path\n"
        "from compiler.emit.write import write_outputs\n"
        "texts = [json.loads(Path(p).read_text()) for p in sys.argv[2:]]\n"
        "for i in range(12):\n"
        "    write_outputs(Path(sys.argv[1]), texts[i % 2])\n"
    )
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", loop, str(out), *(str(tmp_path / f"{n}.json") for n in order)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for order in (("old", "new"), ("new", "old"))
    ]
    snapshots = 0
    while any(w.poll() is None for w in writers):
        snapshot = read_snapshot(out)
        if snapshot is not None:
            assert snapshot in (lock_of(OLD), lock_of(NEW))
            snapshots += 1
    assert [w.returncode for w in writers] == [0, 0]
    assert state(out) in (lock_of(OLD), lock_of(NEW))
    assert leftovers(tmp_path) == []
    assert snapshots > 0


def read_snapshot(out: Path) -> str | None:
    """Read every output through one handle on the directory: a consistent snapshot (its lock
    hash), or None when the directory was swapped away and deleted meanwhile."""
    try:
        fd = os.open(out, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:

        def read(rel: str) -> bytes:
            handle = os.open(rel, os.O_RDONLY, dir_fd=fd)
            with os.fdopen(handle, "rb") as stream:
                return stream.read()

        manifest = json.loads(read(MANIFEST))
        for rel, digest in manifest["outputs"].items():
            assert hashlib.sha256(read(rel)).hexdigest() == digest, f"mixed: {rel}"
        return hashlib.sha256(read(LOCKFILE)).hexdigest()
    except FileNotFoundError:
        return None
    finally:
        os.close(fd)


# --- what is kept, where it works ----------------------------------------------------------------


def test_files_deckc_does_not_own_are_kept_and_unchanged_outputs_keep_their_inode(
    tmp_path: Path,
) -> None:
    out = tmp_path / "checkout" / "generated"
    write_outputs(out, {**OLD, "py.typed": ""})
    (out / "README.md").write_text("kept\n")
    (out / ".gitattributes").write_text("* -diff\n")
    (out / "sub" / "deeper").mkdir(parents=True)
    (out / "sub" / "deeper" / "data.txt").write_text("kept too\n")
    (out / "link").symlink_to("README.md")
    (out / "__pycache__" / "helper.cpython-311.pyc").write_bytes(b"not ours")
    os.chmod(out, 0o750)
    kept_inode = (out / "README.md").stat().st_ino
    unchanged = out / "py.typed"
    unchanged_stat = unchanged.stat()
    changed = sorted(rel for rel in NEW if OLD.get(rel) != NEW[rel])
    assert write_outputs(out, {**NEW, "py.typed": ""}).changed == tuple(changed)
    assert changed == [  # headers hold no lockfile hash: only what the edit changes is rewritten
        "_runtime/_handles_llm_0_p0.py",  # one profile's answers; the names are unchanged
        "_runtime/_index.py",
        "deck.lock.json",
        "deck.manifest.json",
    ]
    assert state(out) == lock_of(NEW)
    assert (out / "README.md").stat().st_ino == kept_inode
    assert (out / "sub" / "deeper" / "data.txt").read_text() == "kept too\n"
    assert os.readlink(out / "link") == "README.md"
    assert (out / ".gitattributes").read_text() == "* -diff\n"
    assert (out / "__pycache__" / "helper.cpython-311.pyc").read_bytes() == b"not ours"
    assert (unchanged.stat().st_ino, unchanged.stat().st_mtime_ns) == (
        unchanged_stat.st_ino,
        unchanged_stat.st_mtime_ns,
    )
    assert oct(out.stat().st_mode & 0o777) == oct(0o750)
    assert sorted(p.name for p in out.parent.iterdir()) == ["generated"]  # nothing stray


def test_outputs_of_an_earlier_compile_that_are_no_longer_made_are_dropped(
    tmp_path: Path,
) -> None:
    out = tmp_path / "generated"
    retired = dict(OLD)
    retired["retired.py"] = "X = 1\n"
    manifest = json.loads(retired[MANIFEST])
    manifest["outputs"]["retired.py"] = hashlib.sha256(b"X = 1\n").hexdigest()
    retired[MANIFEST] = json.dumps(manifest)
    write_outputs(out, retired)
    (out / write.LOCK_NAME).write_text("")  # the lock file of earlier deckc versions
    write_outputs(out, NEW)
    assert not (out / "retired.py").exists()
    assert not list((out / "__pycache__").glob("retired.*"))
    assert not (out / write.LOCK_NAME).exists()


def test_no_change_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    write_outputs(out, OLD)
    inode = out.stat().st_ino
    assert not write_outputs(out, OLD)
    assert out.stat().st_ino == inode


def test_fallback_without_an_atomic_exchange(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    out = tmp_path / "generated"
    write_outputs(out, OLD)
    (out / "notes.md").write_text("kept\n")
    write_outputs(out, NEW)
    assert state(out) == lock_of(NEW)
    assert (out / "notes.md").read_text() == "kept\n"
    assert leftovers(tmp_path) == []


def test_a_backup_left_by_a_kill_between_the_fallback_renames_is_restored(
    tmp_path: Path,
) -> None:
    out = tmp_path / "generated"
    write_outputs(out, OLD)
    out.rename(tmp_path / ".generated.deckc-old-x1")  # as a kill after the first rename leaves it
    (tmp_path / ".generated.deckc-new-x1").mkdir()  # and the staged outputs, here incomplete
    write_outputs(out, OLD)  # nothing to change once restored
    assert state(out) == lock_of(OLD)
    assert leftovers(tmp_path) == []


def test_writing_in_place_when_the_output_directory_is_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "generated"
    write_outputs(out, OLD)
    (out / "notes.md").write_text("kept\n")
    inode = out.stat().st_ino
    monkeypatch.chdir(out)
    write_outputs(Path("."), NEW)
    assert out.stat().st_ino == inode  # not swapped: the shell's directory stays valid
    assert state(out) == lock_of(NEW)
    assert (out / "notes.md").read_text() == "kept\n"
    assert sorted(p.name for p in out.iterdir() if p.name.endswith(".tmp")) == []


def test_a_symlinked_output_directory_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real" / "generated"
    write_outputs(real, OLD)
    (tmp_path / "generated").symlink_to(real)
    write_outputs(tmp_path / "generated", NEW)
    assert (tmp_path / "generated").is_symlink()
    assert state(real) == lock_of(NEW)


def test_the_generated_package_imports_from_its_final_place(tmp_path: Path) -> None:
    """Bytecode compiled in the staging directory names the output directory in tracebacks."""
    import importlib.util
    import marshal

    out = tmp_path / "generated"
    write_outputs(out, NEW)
    pyc = Path(importlib.util.cache_from_source(str(out / "deck.py")))
    code = marshal.loads(pyc.read_bytes()[16:])
    assert code.co_filename == str(out / "deck.py")
