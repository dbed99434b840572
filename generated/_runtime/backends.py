# Copied by deckc 0.1.0 from its runtime (compiler/runtime/backends.py), unchanged.
# DO NOT EDIT: edit the TOML sources in .pipelex/inference, then run:
#   deckc compile --config-dir .pipelex/inference --out generated
# ruff: noqa: E501, RUF100
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

        values: dict[str, Any] = {}
        complete = True
        for key, text in texts.items():
            if isinstance(text, str):
                text, unset = expand(text, os.environ, secrets)
                complete = complete and not unset
            values[key] = text
        if not complete:
            raise self._missing(texts, secrets)
        return values

    def _missing(self, texts: dict[str, Any], secrets: Mapping[str, str] | None) -> Exception:
        """The error naming every reference of ``texts`` that reads nothing (a chain as its parts
        joined by "or"), each with every key that needs it."""
        from .envvars import references, value_of
        from .lookup import MissingCredentialError

        needs: dict[str, list[str]] = {}  # the reference, spelt -> the keys that need it
        for key, text in texts.items():
            for ref in references(text) if isinstance(text, str) else ():
                if value_of(ref, os.environ, secrets) is None:
                    keys = needs.setdefault(_spelt(ref.parts, secrets is not None), [])
                    if key not in keys:
                        keys.append(key)
        listed = ", ".join(f"{ref} (for {', '.join(keys)})" for ref, keys in needs.items())
        one = len(needs) == 1
        if secrets is None:  # every part is an environment variable: said once
            listed = f"environment {'variable' if one else 'variables'} {listed}"
        verb = "it is" if one else "they are"
        return MissingCredentialError(f"backend {self.name!r} needs {listed}, but {verb} not set")

    def credentials(self, secrets: Mapping[str, str] | None = None) -> dict[str, str]:
        """Each credential with its ``${...}`` references read now: ``env:`` parts from the
        environment, ``secret:`` and bare parts from ``secrets`` (the environment when None), a
        chain ``${env:A|secret:B}`` part by part; raises :class:`MissingCredentialError` naming
        every reference that reads nothing (a chain's parts joined by "or") and the keys that
        need it."""
        return self._expanded(dict(self.credential_refs), secrets)

    def resolved_options(
        self, secrets: Mapping[str, str] | None = None
    ) -> dict[str, str | float | bool]:
        """The provider options, with ``${...}`` references in strings read now (as
        :meth:`credentials` reads them)."""
        return self._expanded(dict(self.options), secrets)


def _spelt(parts: tuple[tuple[str, str], ...], sourced: bool) -> str:
    """A reference's parts joined by "or", each said with where it is read from when a secret
    source was given (``env:`` parts from the environment, the others from that source)."""
    if not sourced:
        return " or ".join(name for _, name in parts)
    where = {"env": "environment variable"}
    return " or ".join(f"{where.get(source, 'secret')} {name}" for source, name in parts)


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
            from .hints import close
            from .lookup import BackendNotFoundError

            raise BackendNotFoundError(f"unknown backend {name!r}{close(name, rows)}")
        record = _backends[name] = BackendRecord(**thaw(fields))
    return record
