"""One error hierarchy for the whole compiler.

Every diagnostic knows where it comes from (file, line, column, key path) and prints as
``file:line:col: key.path: message`` followed by a hint when a fix is known.  A compile collects
all of them and raises :class:`CompileFailed` once, so a user sees every mistake in one run.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from .naming import format_key_path

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Location:
    """A place in a source file; ``line`` and ``column`` are 1-based, 0 when unknown."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


@dataclass(frozen=True)
class Span:
    """Where an entity of the sources is written: its position and its key path in that file.

    Every IR entity carries one, so no later stage spells a TOML table name or re-reads a file."""

    location: Location
    key_path: KeyPath = ()

    @property
    def file(self) -> str:
        return self.location.file

    def __str__(self) -> str:
        return str(self.location)


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"  # no problem: what a check found (e.g. a backend reachable online)


_LABELS = {Severity.ERROR: "error: ", Severity.WARNING: "warning: ", Severity.INFO: "note: "}


class DeckError(Exception):
    """Base class of every deckc diagnostic (errors and warnings alike)."""

    def __init__(
        self,
        message: str,
        *,
        span: Span | None = None,
        location: Location | None = None,
        key_path: KeyPath = (),
        hint: str | None = None,
        related: Sequence[Location | Span] = (),
        severity: Severity = Severity.ERROR,
        lenient: bool = False,
        code: str | None = None,
    ) -> None:
        """Located by ``span`` (its position and key path), or by ``location`` and ``key_path``.
        ``lenient``: a warning only because the layout allows it (``--strict`` makes it an
        error).  ``code``: the finding's stable name in ``--format json`` (README, "Finding
        codes"); the class name when not given."""
        super().__init__(message)
        if span is not None:
            location, key_path = span.location, key_path or span.key_path
        if location is None:
            raise TypeError("a diagnostic needs a span or a location")
        self.message = message
        self.location = location
        self.key_path = key_path
        self.hint = hint
        self.related = tuple(r.location if isinstance(r, Span) else r for r in related)
        self.severity = severity
        self.lenient = lenient
        self._code = code

    @property
    def code(self) -> str:
        return self._code or type(self).__name__

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.file, loc.line, loc.column, format_key_path(self.key_path), self.message)

    def as_warning(self, note: str) -> DeckError:
        """The same finding as a lenient warning, ``note`` saying why it is one."""
        warning = self.relocated("")
        warning.message = f"{self.message} ({note})"
        warning.severity = Severity.WARNING
        warning.lenient = True
        return warning

    def strictly(self) -> DeckError:
        """A lenient warning as the error ``--strict`` makes it."""
        if not self.lenient:
            return self
        error = self.relocated("")
        error.severity = Severity.ERROR
        return error

    def relocated(self, prefix: str) -> DeckError:
        """The same diagnostic with every file name joined under ``prefix`` (for display)."""

        def move(loc: Location) -> Location:
            if not prefix:
                return loc
            if loc.file in ("", "."):
                return replace(loc, file=prefix)
            return replace(loc, file=f"{prefix.rstrip('/')}/{loc.file}")

        return type(self)(
            self.message,
            location=move(self.location),
            key_path=self.key_path,
            hint=self.hint,
            related=[move(r) for r in self.related],
            severity=self.severity,
            lenient=self.lenient,
            code=self._code,
        )

    def __str__(self) -> str:
        head = str(self.location)
        path = format_key_path(self.key_path)
        label = _LABELS[self.severity]
        text = (
            f"{head}: {path}: {label}{self.message}" if path else f"{head}: {label}{self.message}"
        )
        for loc in self.related:
            text += f"\n  see also {loc}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ConfigSyntaxError(DeckError):
    """A source file is not valid TOML or not valid UTF-8."""


class SchemaError(DeckError):
    """A value has the wrong type, is out of range, or a key is unknown."""


class ModelDeckNotFoundError(DeckError):
    """The configuration directory or one of its required files is missing."""


class ModelsManagerError(DeckError):
    """Backends, model specs or routing are inconsistent."""


class LLMHandleNotFoundError(DeckError):
    """A referenced model or alias is not declared, or aliases form a cycle."""


class LLMPresetNotFoundError(DeckError):
    """A referenced preset is not declared, or a preset's values do not fit its model."""


class CompileFailed(Exception):
    """Raised once per run with every error found (sorted); warnings ride along."""

    def __init__(self, diagnostics: Iterable[DeckError]) -> None:
        self.diagnostics = sort_diagnostics(diagnostics)
        self.errors = tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)
        super().__init__(f"{len(self.errors)} error(s) in the inference configuration")

    def relocated(self, prefix: str) -> CompileFailed:
        return CompileFailed(d.relocated(prefix) for d in self.diagnostics)

    def report(self) -> str:
        lines = [str(d) for d in self.diagnostics]
        lines.append(f"deckc: {len(self.errors)} error(s), not writing anything")
        return "\n".join(lines)


def sort_diagnostics(diagnostics: Iterable[DeckError]) -> tuple[DeckError, ...]:
    unique: dict[str, DeckError] = {}
    for diag in diagnostics:
        unique.setdefault(str(diag), diag)
    return tuple(sorted(unique.values(), key=DeckError.sort_key))


def errors_only(diagnostics: Iterable[DeckError]) -> list[DeckError]:
    return [d for d in diagnostics if d.severity is Severity.ERROR]


class PresetValueError(DeckError):
    """A preset's parameters do not fit the model it resolves to."""
