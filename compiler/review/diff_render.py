"""The semantic diff rendered for people (grouped text) and for machines (JSON); pure functions.

Text: a summary line, then one block per section, one line per change, prefixed ``+`` (added),
``-`` (removed), ``~`` (changed) or ``!`` (became unavailable).  Values print as TOML users write
them; names that are not plain words are quoted, so no name can break a line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from itertools import groupby
from typing import Any

from ..core.naming import format_key
from .changes import Change, FieldChange, Kind

Json = Any


def show(value: Json) -> str:
    """A value as one short line."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        plain = value and value.isprintable() and not any(c.isspace() or c in "`\"'" for c in value)
        return value if plain else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{format_key(str(k))}: {show(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def percent(relative: float) -> str:
    return f"{relative * 100:+.1f}%"


def _field(change: FieldChange) -> str:
    text = f"{change.field}: {show(change.old)} -> {show(change.new)}"
    return text if change.relative is None else f"{text} ({percent(change.relative)})"


def _fields(change: Change) -> str:
    return "; ".join(_field(f) for f in change.fields)


def _name(change: Change) -> str:
    return f"{show(change.subject)}{_typed(change)}"


def _under(change: Change) -> str:
    return "under " + ", ".join(show(p) for p in change.profiles)


def _profile(change: Change) -> str:
    return f"profile {show(change.profiles[0])}"


def _route(change: Change) -> str:
    kind = "optional route" if change.detail else "route"
    return f"{_profile(change)}: {kind} `{change.subject}`"


def _on(change: Change) -> str:
    return f"{show(change.subject)}{_typed(change)} on {show(change.backend)}"


def _typed(change: Change) -> str:
    """`` (img_gen)`` after a name of any model type but ``llm``."""
    return "" if change.model_type == "llm" else f" ({change.model_type})"


def _handle(change: Change) -> str:
    return f"{change.namespace} {show(change.subject)}{_typed(change)}"


def _available_again(c: Change) -> str:
    where = (
        f"on {show(c.backend)}" if c.namespace == "model" else f"{show(c.new)} on {show(c.backend)}"
    )
    return f"+ {_handle(c)}: available again {_under(c)} ({where})"


_LINES: dict[Kind, Callable[[Change], str]] = {
    Kind.BACKEND_ADDED: lambda c: f"+ {show(c.subject)}{'' if c.new else ' (disabled)'}",
    Kind.BACKEND_REMOVED: lambda c: f"- {show(c.subject)}",
    Kind.BACKEND_ENABLED: lambda c: f"~ {show(c.subject)}: enabled",
    Kind.BACKEND_DISABLED: lambda c: f"~ {show(c.subject)}: disabled",
    Kind.BACKEND_CHANGED: lambda c: f"~ {show(c.subject)}: {_fields(c)}",
    Kind.MODEL_ADDED: lambda c: f"+ {_on(c)}",
    Kind.MODEL_REMOVED: lambda c: f"- {_on(c)}",
    Kind.MODEL_CHANGED: lambda c: f"~ {_on(c)}: {_fields(c)}",
    Kind.COST_CHANGED: lambda c: f"~ {_on(c)}: {_fields(c)}",
    Kind.DIALECT_CHANGED: lambda c: f"~ dialect: {show(c.old)} -> {show(c.new)}",
    Kind.ALIAS_ADDED: lambda c: f"+ {_name(c)} -> {show(c.new)}",
    Kind.ALIAS_REMOVED: lambda c: f"- {_name(c)} (was -> {show(c.old)})",
    Kind.ALIAS_REPOINTED: lambda c: f"~ {_name(c)}: {show(c.old)} -> {show(c.new)}",
    Kind.WATERFALL_ADDED: lambda c: f"+ {_name(c)}: {show(c.new)}",
    Kind.WATERFALL_REMOVED: lambda c: f"- {_name(c)} (was {show(c.old)})",
    Kind.WATERFALL_CHANGED: lambda c: f"~ {_name(c)}: {show(c.old)} -> {show(c.new)}",
    Kind.PRESET_ADDED: lambda c: f"+ {_name(c)}: {show(c.new)}",
    Kind.PRESET_REMOVED: lambda c: f"- {_name(c)} (was {show(c.old)})",
    Kind.PRESET_CHANGED: lambda c: f"~ {_name(c)}: {_fields(c)}",
    Kind.CHOICE_ADDED: lambda c: f"+ {_name(c)}: {show(c.new)}",
    Kind.CHOICE_REMOVED: lambda c: f"- {_name(c)} (was {show(c.old)})",
    Kind.CHOICE_CHANGED: lambda c: f"~ {_name(c)}: {_fields(c)}",
    Kind.ACTIVE_PROFILE_CHANGED: lambda c: f"~ active profile: {show(c.old)} -> {show(c.new)}",
    Kind.PROFILE_ADDED: lambda c: f"+ {_profile(c)}",
    Kind.PROFILE_REMOVED: lambda c: f"- {_profile(c)}",
    Kind.PROFILE_CHANGED: lambda c: f"~ {_profile(c)}: {_fields(c)}",
    Kind.ROUTE_ADDED: lambda c: f"+ {_route(c)} -> {show(c.new)}",
    Kind.ROUTE_REMOVED: lambda c: f"- {_route(c)} (was -> {show(c.old)})",
    Kind.ROUTE_CHANGED: lambda c: f"~ {_route(c)}: {show(c.old)} -> {show(c.new)}",
    Kind.ROUTING_MOVED: lambda c: (
        f"~ {show(c.subject)}: {show(c.old)} -> {show(c.new)} {_under(c)} (by {c.detail})"
    ),
    Kind.RESOLUTION_CHANGED: lambda c: (
        f"~ {_handle(c)}: {show(c.old)} -> {show(c.new)} {_under(c)}"
    ),
    Kind.BECAME_UNAVAILABLE: lambda c: f"! {_handle(c)}: unavailable {_under(c)}: {c.detail}",
    Kind.AVAILABLE_AGAIN: _available_again,
    Kind.OTHER: lambda c: f"~ {c.subject}: {show(c.old)} -> {show(c.new)}",
}


def line(change: Change) -> str:
    return _LINES[change.kind](change)


def render_text(changes: Sequence[Change], old_label: str, new_label: str) -> str:
    """Grouped, stable text for a reviewer; ``changes`` as :func:`compiler.review.diff.diff_locks`
    sorts them."""
    if not changes:
        return f"{old_label} -> {new_label}: no semantic changes\n"
    count = f"{len(changes)} change{'s' if len(changes) != 1 else ''}"
    lines = [f"{old_label} -> {new_label}: {count}"]
    for section, group in groupby(changes, key=lambda c: c.section):
        items = list(group)
        lines += ["", f"{section.value} ({len(items)})"]
        lines += [f"  {line(c)}" for c in items]
    return "\n".join(lines) + "\n"


def change_record(change: Change) -> dict[str, Json]:
    return {
        "backend": change.backend,
        "detail": change.detail,
        "fields": [
            {"field": f.field, "new": f.new, "old": f.old, "relative": f.relative}
            for f in change.fields
        ],
        "kind": change.kind.value,
        "model_type": change.model_type,
        "namespace": change.namespace or None,
        "new": change.new,
        "old": change.old,
        "profiles": list(change.profiles),
        "section": change.section.name.lower(),
        "subject": change.subject,
    }


def render_json(changes: Sequence[Change], old_label: str, new_label: str) -> str:
    document = {
        "changes": [change_record(c) for c in changes],
        "equal": not changes,
        "new": new_label,
        "old": old_label,
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
