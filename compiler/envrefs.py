"""``${VAR}`` and ``${VAR:-default}`` references in credentials: found, never resolved here."""

from __future__ import annotations

import re

REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def variables(text: str) -> list[str]:
    """Names of the variables ``text`` refers to, in order, without repeats."""
    return list(dict.fromkeys(m.group(1) for m in REFERENCE.finditer(text)))


def malformed(text: str) -> str | None:
    """A description of a broken ``${...}`` in ``text``, or None when every reference is sound."""
    rest = REFERENCE.sub("", text)
    if "${" in rest:
        start = rest.index("${")
        return f"malformed variable reference `{rest[start : start + 20]}`"
    return None
