"""Is an output directory exactly what compiling the current sources gives?

Answered from hashes alone, without parsing or rendering: the manifest written beside the outputs
records the sha256 of every source, of every output, and a fingerprint of the generator: deckc's
version and every file it generates with (its own code, the runtime it copies, the templates and
the schemas), so a fix in deckc makes the outputs it wrote stale.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .. import __version__
from ..core.resources import package_dir, schema_dir, templates_dir

MANIFEST = "deck.manifest.json"
SOURCE_GLOBS = (
    "backends.toml",
    "routing_profiles.toml",
    "backends_override.toml",
    "routing_profiles_override.toml",
    "backends/*.toml",
    "deck/**/*.toml",
)


class State(enum.Enum):
    CURRENT = "current"
    STALE = "stale"  # sources (or deckc itself) changed since the outputs were made
    EDITED = "edited"  # an output differs from what deckc wrote, or deckc did not write it
    MISSING = "missing"  # no outputs, or some are missing


@dataclass(frozen=True)
class Freshness:
    state: State
    changed_sources: tuple[str, ...] = ()
    edited_outputs: tuple[str, ...] = ()
    missing_outputs: tuple[str, ...] = ()
    generator_changed: bool = False
    notes: tuple[str, ...] = field(default=())
    extra_outputs: tuple[str, ...] = ()  # files in the output directory deckc did not write
    outputs: tuple[str, ...] = ()  # every output the manifest lists


def unlisted_files(out_dir: Path, listed: set[str]) -> list[str]:
    """Files of ``out_dir`` the manifest does not list (dotfiles and bytecode caches aside)."""
    found = []
    for path in out_dir.rglob("*"):
        rel = path.relative_to(out_dir)
        hidden = any(part.startswith(".") or part == "__pycache__" for part in rel.parts)
        if not hidden and path.is_file() and rel.as_posix() not in listed:
            found.append(rel.as_posix())
    return sorted(found)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@cache
def generator_fingerprint() -> str:
    """sha256 over deckc's version, its code (``compiler/**/*.py``, the runtime included), its
    templates and its schemas: what a compile's outputs depend on besides the sources."""
    digest = hashlib.sha256(f"deckc {__version__}\n".encode())
    code = [
        p for p in package_dir().rglob("*.py") if "_data" not in p.relative_to(package_dir()).parts
    ]
    for root, paths in (
        (package_dir(), code),
        (templates_dir(), [p for p in templates_dir().rglob("*") if p.is_file()]),
        (schema_dir(), [p for p in schema_dir().rglob("*") if p.is_file()]),
    ):
        for path in sorted(p for p in paths if "__pycache__" not in p.parts):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def source_hashes(config_dir: Path) -> dict[str, str]:
    """sha256 of every TOML file deckc reads (or warns about) in ``config_dir``."""
    hashes = {}
    for pattern in SOURCE_GLOBS:
        for path in sorted(config_dir.glob(pattern)):
            if path.is_file():
                hashes[path.relative_to(config_dir).as_posix()] = _sha(path.read_bytes())
    return hashes


def manifest_text(sources: Mapping[str, str], outputs: Mapping[str, str]) -> str:
    manifest = {
        "generator": generator_fingerprint(),
        "outputs": {rel: _sha(text.encode("utf-8")) for rel, text in sorted(outputs.items())},
        "sources": dict(sorted(sources.items())),
    }
    return json.dumps(manifest, indent=2, sort_keys=True) + "\n"


def freshness(config_dir: Path, out_dir: Path) -> Freshness:
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        recorded_sources: dict[str, str] = manifest["sources"]
        recorded_outputs: dict[str, str] = manifest["outputs"]
        generator = manifest["generator"]
    except (OSError, ValueError, KeyError, TypeError):
        return Freshness(State.MISSING, missing_outputs=(MANIFEST,))
    current = source_hashes(config_dir)
    changed = sorted(
        rel
        for rel in set(current) | set(recorded_sources)
        if current.get(rel) != recorded_sources.get(rel)
    )
    missing, edited = [], []
    for rel, digest in sorted(recorded_outputs.items()):
        try:
            actual = _sha((out_dir / rel).read_bytes())
        except OSError:
            missing.append(rel)
            continue
        if actual != digest:
            edited.append(rel)
    generator_changed = generator != generator_fingerprint()
    extra = unlisted_files(out_dir, {*recorded_outputs, MANIFEST})
    if missing:
        state = State.MISSING
    elif edited or extra:
        state = State.EDITED
    elif changed or generator_changed:
        state = State.STALE
    else:
        state = State.CURRENT
    return Freshness(
        state,
        tuple(changed),
        tuple(edited),
        tuple(missing),
        generator_changed,
        extra_outputs=tuple(extra),
        outputs=tuple(sorted(recorded_outputs)),
    )
