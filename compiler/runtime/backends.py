"""Backends: their records, and their credentials read from the environment when asked for.

What only reading credentials needs (the expander, the errors of :mod:`.lookup`, which imports
this module) is imported when they are read: a deck that is only looked up never loads it.
"""

from __future__ import annotations

import os

from . import _index
from .frozen import thaw
from .records import Backend

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = ["BackendRecord", "backend"]


class BackendRecord(Backend):
    """A backend; :meth:`credentials` resolves its ``${VAR}`` references when called."""

    __slots__ = ()

    def _expanded(self, texts: dict[str, Any], secrets: Mapping[str, str] | None) -> dict[str, Any]:
        from .envvars import expand
        from .lookup import MissingCredentialError

        values: dict[str, Any] = {}
        missing: dict[str, str] = {}  # variable -> the first key that needs it
        for key, text in texts.items():
            if isinstance(text, str):
                text, unset = expand(text, os.environ, secrets)
                for var in unset:
                    missing.setdefault(var, key)
            values[key] = text
        if missing:
            needs = ", ".join(f"{var} (for {key})" for var, key in missing.items())
            noun = "variable" if len(missing) == 1 else "variables"
            verb = "it is" if len(missing) == 1 else "they are"
            raise MissingCredentialError(
                f"backend {self.name!r} needs environment {noun} {needs}, but {verb} not set"
            )
        return values

    def credentials(self, secrets: Mapping[str, str] | None = None) -> dict[str, str]:
        """Each credential with its ``${...}`` references read now: ``env:`` parts from the
        environment, ``secret:`` and bare parts from ``secrets`` (the environment when None), a
        chain ``${env:A|secret:B}`` part by part; raises :class:`MissingCredentialError` naming
        every unset variable."""
        return self._expanded(dict(self.credential_refs), secrets)

    def resolved_options(
        self, secrets: Mapping[str, str] | None = None
    ) -> dict[str, str | float | bool]:
        """The provider options, with ``${...}`` references in strings read now (as
        :meth:`credentials` reads them)."""
        return self._expanded(dict(self.options), secrets)


_backends: dict[str, BackendRecord] = {}


def backend(name: str) -> BackendRecord:
    """The backend record of ``name`` (credentials stay references until asked for)."""
    record = _backends.get(name) if type(name) is str else None
    if record is None:
        rows: dict[str, Any] = dict(
            __import__(_index.BACKENDS, globals(), None, ("__name__",), 1).BACKENDS
        )
        fields = rows.get(name) if type(name) is str else None
        if fields is None:
            from .lookup import BackendNotFoundError, _suggest

            raise BackendNotFoundError(f"unknown backend {name!r}{_suggest(name, rows)}")
        record = _backends[name] = BackendRecord(**thaw(fields))
    return record
