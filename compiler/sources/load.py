"""Load stage: the only place that reads source files.

Each file is read as bytes (for its hash), decoded as strict UTF-8, parsed with tomli and scanned
for the position of every key, so later stages can point at ``file:line:col`` for any key path.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli

from ..core.errors import (
    CompileFailed,
    ConfigSyntaxError,
    DeckError,
    KeyPath,
    Location,
    ModelDeckNotFoundError,
    ModelsManagerError,
    Severity,
    Span,
)
from ..core.ir import Dialect
from ..core.naming import BACKEND_NAME
from .positions import excess_position, key_positions, line_column

BACKENDS_FILE = "backends.toml"
ROUTING_FILE = "routing_profiles.toml"
MODELS_DIR = "backends"
DECK_DIR = "deck"
BASE_DECK = "deck/base_deck.toml"
OVERRIDES = "deck/overrides.toml"
OVERRIDE_FILES = {  # pipelex-0.92: deep-merged over their base file
    BACKENDS_FILE: "backends_override.toml",
    ROUTING_FILE: "routing_profiles_override.toml",
}

# The top-level deck tables of each layout (PIPELEX-DIALECTS.md, "Which dialect").
DECK_TABLES = {
    Dialect.PIPELEX_0_10: ("aliases", "llm_presets", "llm_choice_defaults", "llm_choice_overrides"),
    Dialect.PIPELEX_0_92: ("llm", "extract", "img_gen", "search", "doc_gen", "judgment"),
}


@dataclass(frozen=True)
class SourceFile:
    """One parsed TOML file: path (relative to the configuration directory), data, positions."""

    path: str
    data: Mapping[str, Any]
    positions: Mapping[KeyPath, tuple[int, int]]
    sha256: str
    overlay: SourceFile | None = None  # an override file deep-merged over this one

    def locate(self, key_path: KeyPath) -> Location:
        """The position of ``key_path``, or of its nearest ancestor that has one (in the override
        file when it sets that key, else in this file)."""
        for end in range(len(key_path), 0, -1):
            if self.overlay is not None:
                pos = self.overlay.positions.get(key_path[:end])
                if pos is not None:
                    return Location(self.overlay.path, *pos)
            pos = self.positions.get(key_path[:end])
            if pos is not None:
                return Location(self.path, *pos)
        return Location(self.path, 1, 1)  # the file exists: point at its start

    def span(self, key_path: KeyPath) -> Span:
        """Where ``key_path`` is written (see :meth:`locate`), with the key path itself."""
        return Span(self.locate(key_path), key_path)


@dataclass(frozen=True)
class SourceSet:
    """Every source file of one configuration directory, in the order they apply."""

    backends: SourceFile
    routing: SourceFile
    models: Mapping[str, SourceFile]
    decks: tuple[SourceFile, ...]
    warnings: tuple[DeckError, ...] = field(default=())
    ignored: Mapping[str, str] = field(default_factory=dict)  # path -> sha256 of unused files
    dialect: Dialect = Dialect.PIPELEX_0_10

    def files(self) -> tuple[SourceFile, ...]:
        overlays = [f.overlay for f in (self.backends, self.routing) if f.overlay is not None]
        return (self.backends, self.routing, *overlays, *self.models.values(), *self.decks)

    def hashes(self) -> dict[str, str]:
        """sha256 of every TOML file of the directory, used or ignored, by path."""
        hashes = {f.path: f.sha256 for f in self.files()}
        hashes.update(self.ignored)
        return dict(sorted(hashes.items()))


_SYNTAX_HINTS = (
    ("Invalid value", 'strings must be quoted: name = "value"'),
    ("Unclosed array", "close the array with ]"),
    ("Unclosed inline table", "an inline table must close with } on the same line"),
    ("Cannot declare", "a table may be declared only once: merge the two into one"),
    ("Cannot overwrite a value", "a key may be set only once per table"),
)


def _syntax_hint(message: str) -> str | None:
    return next((hint for prefix, hint in _SYNTAX_HINTS if message.startswith(prefix)), None)


def parse_source(path: str, raw: bytes) -> SourceFile:
    """Parse one file's bytes; raises a located :class:`ConfigSyntaxError`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigSyntaxError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
            location=Location(path, line, column),
            hint="TOML files must be UTF-8 encoded",
        ) from None
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        message = getattr(exc, "msg", str(exc))
        raise ConfigSyntaxError(
            f"invalid TOML: {message}",
            location=Location(path, getattr(exc, "lineno", 0), getattr(exc, "colno", 0)),
            hint=_syntax_hint(message),
        ) from None
    except (ValueError, RecursionError) as exc:  # tomli's limits: digits, nesting, key parts
        digits = _LONG_NUMBER.search(text)
        where = line_column(text, digits.start()) if digits else excess_position(text, MAX_DEPTH)
        message = "a number of more than 4300 digits" if digits else str(exc)
        raise ConfigSyntaxError(
            f"invalid TOML: {message}", location=Location(path, *(where or (1, 1)))
        ) from None
    too_deep = _too_deep(data)
    if too_deep is not None:
        deepest = excess_position(text, MAX_DEPTH)
        raise ConfigSyntaxError(
            f"values nested more than {MAX_DEPTH} levels deep",
            location=Location(path, *deepest)
            if deepest
            else SourceFile(path, data, _positions(text), "").locate(too_deep),
            key_path=too_deep[:2],
        )
    return SourceFile(path, data, _positions(text), hashlib.sha256(raw).hexdigest())


MAX_DEPTH = 32  # tables, arrays and inline tables; real configurations use fewer than 8
_LONG_NUMBER = re.compile(r"[0-9][0-9_]{4300,}")  # beyond Python's int-from-text digit limit


def _too_deep(data: Mapping[str, Any]) -> KeyPath | None:
    """The key path of a value nested deeper than MAX_DEPTH, if any (walked without recursion)."""
    if _depth(data) <= MAX_DEPTH:  # the common case, found without building key paths
        return None
    stack: list[tuple[KeyPath, object]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if len(path) > MAX_DEPTH:
            return path
        if isinstance(value, dict):
            stack.extend(reversed([((*path, k), v) for k, v in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([((*path, i), v) for i, v in enumerate(value)]))
    return None


def _depth(data: Mapping[str, Any]) -> int:
    """How deep tables and arrays nest in ``data`` (a key path of that many parts reaches a
    scalar): only containers are visited."""
    deepest = 0
    stack: list[tuple[int, object]] = [(0, data)]
    while stack:
        depth, value = stack.pop()
        items = value.values() if isinstance(value, dict) else value
        assert isinstance(items, Iterable)
        for item in items:
            if isinstance(item, dict | list):
                stack.append((depth + 1, item))
            elif depth + 1 > deepest:
                deepest = depth + 1
        if not items and depth > deepest:
            deepest = depth
    return deepest


def _positions(text: str) -> dict[KeyPath, tuple[int, int]]:
    """Key positions; should the scanner ever fail on TOML tomli accepted, every key is
    placed at 1:1 rather than crashing the compile."""
    try:
        return key_positions(text)
    except (ValueError, IndexError, RecursionError):
        return {(): (1, 1)}


def _read(root: Path, rel: str, missing: type[DeckError], what: str) -> SourceFile:
    file = root / rel
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise missing(f"{what} not found", location=Location(rel)) from None
    except OSError as exc:
        raise missing(f"cannot read {what}: {exc.strerror}", location=Location(rel)) from None
    return parse_source(rel, raw)


def _all_deck_files(root: Path) -> list[str]:
    """Every ``deck/**/*.toml``, in plain byte order of the full path: the order both Pipelex
    0.10.2 and 0.92.2 merge them in (``base_deck.toml`` before ``overrides.toml``)."""
    deck_dir = root / DECK_DIR
    found = [p.relative_to(root).as_posix() for p in deck_dir.rglob("*.toml") if p.is_file()]
    return sorted(found, key=os.fsencode)


def detect_dialect(decks: Iterable[SourceFile]) -> tuple[Dialect | None, list[DeckError]]:
    """The layout the deck files are written in, from their top-level tables: None when no table
    says; an error naming a table of each kind when they mix."""
    first: dict[Dialect, tuple[SourceFile, str]] = {}
    for file in decks:
        for key in file.data:
            for dialect, tables in DECK_TABLES.items():
                if key in tables:
                    first.setdefault(dialect, (file, key))
    if len(first) < 2:
        return next(iter(first), None), []
    (old_file, old_key), (new_file, new_key) = (first[d] for d in DECK_TABLES)
    return None, [
        ModelDeckNotFoundError(
            f"the deck mixes two layouts: [{old_key}] ({old_file.path}) is the pipelex-0.10 "
            f"layout, [{new_key}] ({new_file.path}) the pipelex-0.92 one",
            span=new_file.span((new_key,)),
            related=[old_file.locate((old_key,))],
            hint="write the whole deck in one layout; `deckc migrate` writes a pipelex-0.10 "
            "configuration in the current layout",
        )
    ]


def load_sources(root: Path) -> SourceSet:
    """Read every source of the configuration directory ``root``.

    All problems found are raised together as :class:`CompileFailed`.
    """
    if not root.is_dir():
        raise CompileFailed(
            [
                ModelDeckNotFoundError(
                    "configuration directory not found",
                    location=Location("."),
                    hint="pass --config-dir the directory that holds backends.toml and "
                    "routing_profiles.toml",
                )
            ]
        )
    problems: list[DeckError] = []
    loaded: dict[str, SourceFile] = {}
    required = [
        (BACKENDS_FILE, ModelsManagerError, "backends file"),
        (ROUTING_FILE, ModelsManagerError, "routing profiles file"),
    ]
    candidates = _all_deck_files(root)
    problems += [_bad_file_name(p) for p in candidates if not _is_utf8(p)]
    candidates = [p for p in candidates if _is_utf8(p)]
    for rel, missing, what in [
        *required,
        *((p, ModelDeckNotFoundError, "deck") for p in candidates),
    ]:
        try:
            loaded[rel] = _read(root, rel, missing, what)
        except DeckError as exc:
            problems.append(exc)
    dialect, mixed = detect_dialect(loaded[p] for p in candidates if p in loaded)
    problems += mixed
    if dialect is None:  # no deck table says: the seed's file names do, else the current layout
        seed_names = {BASE_DECK, OVERRIDES}
        seed = not candidates or any(p in seed_names for p in candidates)
        dialect = Dialect.PIPELEX_0_10 if seed else Dialect.PIPELEX_0_92
    warnings: list[DeckError] = []
    ignored: dict[str, str] = {}
    deck_paths = [p for p in candidates if p in loaded]
    if dialect is Dialect.PIPELEX_0_10 and not (root / BASE_DECK).is_file():
        problems.append(
            ModelDeckNotFoundError(
                "model deck not found",
                location=Location(BASE_DECK),
                hint="create deck/base_deck.toml with your [aliases] and [llm_presets] (the "
                "seed's layout), or deck/*.toml files with [llm.aliases]... tables (Pipelex's "
                "current layout)",
            )
        )
    unmerged: set[str] = set()  # a base file whose override is unreadable: never checked alone
    for base, override in OVERRIDE_FILES.items():
        if base in loaded and (root / override).is_file():
            try:
                over = _read(root, override, ModelsManagerError, "override file")
            except DeckError as exc:
                problems.append(exc)
                unmerged.add(base)
                continue
            if dialect is Dialect.PIPELEX_0_10:
                ignored[override] = over.sha256
                warnings.append(_ignored(override, "override files are Pipelex's current layout"))
            elif over.data:  # an empty override is skipped, as Pipelex does
                loaded[base] = merge_override(loaded[base], over)
            else:
                ignored[override] = over.sha256

    models, model_warnings, unused = _load_model_files(
        root, loaded.get(BACKENDS_FILE), problems, required=dialect is Dialect.PIPELEX_0_92
    )
    if problems:
        readable = [f for p, f in loaded.items() if p not in unmerged]
        if BACKENDS_FILE in loaded:
            readable += models.values()
        else:  # which model files it names is unknown: check them all
            readable += _every_model_file(root, problems)
        checked = [] if mixed else _schema_problems(readable, dialect)  # mixed: no schema fits
        raise CompileFailed([*problems, *checked])
    return SourceSet(
        backends=loaded[BACKENDS_FILE],
        routing=loaded[ROUTING_FILE],
        models=models,
        decks=tuple(loaded[p] for p in deck_paths),
        warnings=tuple(warnings + model_warnings),
        ignored={**ignored, **unused},
        dialect=dialect,
    )


def _schema_problems(files: Iterable[SourceFile], dialect: Dialect) -> list[DeckError]:
    """The schema errors of the files that parsed, when some other file could not be read: a
    syntax error in one file hides no mistake of the others.  Only the checks of each file alone
    run; no later stage sees sources with a file missing."""
    from .validate import file_problems  # validate imports this module

    return file_problems(files, dialect)


def _every_model_file(root: Path, problems: list[DeckError]) -> list[SourceFile]:
    """Every ``backends/<name>.toml`` of a safe name, read when backends.toml could not be (so
    which of them a backend uses is unknown); their own syntax errors join ``problems``."""
    models_dir = root / MODELS_DIR
    names = sorted(p.name for p in models_dir.glob("*.toml") if p.is_file())
    found: list[SourceFile] = []
    for name in names:
        if not BACKEND_NAME.match(name[: -len(".toml")]):
            continue
        try:
            found.append(_read(root, f"{MODELS_DIR}/{name}", ModelsManagerError, "model file"))
        except DeckError as exc:
            problems.append(exc)
    return found


def _ignored(rel: str, why: str) -> DeckError:
    return ModelsManagerError(
        f"file ignored: {why}",
        location=Location(rel),
        severity=Severity.WARNING,
    )


def merge_override(base: SourceFile, override: SourceFile) -> SourceFile:
    """``base`` with ``override`` deep-merged over it: tables merge key by key, scalars and
    arrays replace whole (Pipelex's rule); each key is located where it was set last."""
    return replace(base, data=deep_merge(base.data, override.data), overlay=override)


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        below = merged.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            merged[key] = deep_merge(below, value)
        else:
            merged[key] = value
    return merged


def _load_model_files(
    root: Path, backends: SourceFile | None, problems: list[DeckError], *, required: bool
) -> tuple[dict[str, SourceFile], list[DeckError], dict[str, str]]:
    """Read ``backends/<name>.toml`` for every declared backend whose name is safe; hash the
    files no declared backend uses.  An enabled backend without its file is a warning, or an
    error when ``required`` (Pipelex's current layout refuses to boot then)."""
    models: dict[str, SourceFile] = {}
    warnings: list[DeckError] = []
    ignored: dict[str, str] = {}
    if backends is None:
        return models, warnings, ignored
    declared = [n for n, v in backends.data.items() if isinstance(v, dict)]
    for name in declared:
        if not BACKEND_NAME.match(name):
            continue  # schema validation reports the bad name; it never reaches the file system
        rel = f"{MODELS_DIR}/{name}.toml"
        if not (root / rel).is_file():
            table = backends.data[name]
            if table.get("enabled", True) is not False:
                missing = ModelsManagerError(
                    f"backend `{name}` serves no models: {rel} not found",
                    location=backends.locate((name,)),
                    key_path=(name,),
                    hint=f"create {rel} with one table per model"
                    + (", or set `enabled = false`" if required else ""),
                    severity=Severity.ERROR if required else Severity.WARNING,
                )
                (problems if required else warnings).append(missing)
            continue
        try:
            models[name] = _read(root, rel, ModelsManagerError, "model file")
        except DeckError as exc:
            problems.append(exc)
    models_dir = root / MODELS_DIR
    if models_dir.is_dir():
        for extra in sorted(p.name for p in models_dir.glob("*.toml") if p.is_file()):
            if extra[: -len(".toml")] not in declared:
                rel = f"{MODELS_DIR}/{extra}"
                if not _is_utf8(rel):
                    problems.append(_bad_file_name(rel))
                    continue
                try:
                    ignored[rel] = hashlib.sha256((root / rel).read_bytes()).hexdigest()
                except OSError as exc:
                    problems.append(
                        ModelsManagerError(f"cannot read: {exc.strerror}", location=Location(rel))
                    )
                    continue
                warnings.append(
                    ModelsManagerError(
                        f"no backend `{extra[: -len('.toml')]}` in backends.toml; file ignored",
                        location=Location(rel),
                        hint="declare the backend in backends.toml or remove the file",
                        severity=Severity.WARNING,
                    )
                )
    return models, warnings, ignored


def _is_utf8(name: str) -> bool:
    """False for a file name whose bytes are not UTF-8 (Python decodes them to surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _bad_file_name(rel: str) -> DeckError:
    shown = os.fsencode(rel).decode("utf-8", "backslashreplace")
    return ConfigSyntaxError(
        "file name is not valid UTF-8",
        location=Location(shown),
        hint="rename the file (deckc records every source's name in the lockfile)",
    )
