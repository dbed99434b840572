"""Presentation of an :class:`~compiler.review.explain.Explanation`: text for people, JSON for
machines."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

from ..core.errors import Location
from ..core.ir import JSONValue
from ..semantics.decisions import RuleKind
from .explain import (
    AliasStep,
    BackendStep,
    ChoiceStep,
    Explanation,
    FallbackStep,
    ModelStep,
    PresetStep,
    RouteStep,
    SpecStep,
    Step,
)


def _place(location: Location | None, prefix: str) -> str:
    """A location for display: its file joined under ``prefix`` (the configuration directory as
    the user sees it)."""
    if location is None:
        return ""
    if not prefix:
        return str(location)
    joined = Location(f"{prefix.rstrip('/')}/{location.file}", location.line, location.column)
    return str(joined)


def _value(value: JSONValue) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return str(value)


def _costs(costs: Mapping[str, JSONValue] | None) -> str:
    if not costs:
        return "costs not set"
    parts = ", ".join(f"{k} {_value(v)}" for k, v in sorted(costs.items()))
    return f"costs {parts} (USD per million tokens)"


def _route_summary(step: RouteStep, profile: str) -> str:
    if step.pattern is not None:
        kind = "wildcard route" if step.wildcard else "exact route"
        optional = " (optional_routes)" if step.optional else ""
        head = f"{kind} `{step.pattern}` -> {step.route_backend}{optional}"
        if step.backend is None:
            return f"{head}, which does not serve {step.model}: unavailable"
        if step.wildcard:
            return f"{head}: the first wildcard matching {step.model}, no exact route for it"
        return head
    match step.rule:
        case RuleKind.DEFAULT:
            return (
                f"no route matches {step.model}: the default of profile {profile}, {step.backend}"
            )
        case RuleKind.FALLBACK:
            return (
                f"no route matches {step.model} and no default is enabled: the first enabled "
                f"backend of fallback_order, {step.backend}"
            )
        case RuleKind.SEARCH if step.start is None:
            return (
                f"no route matches {step.model} and profile {profile} has no enabled default or "
                f"fallback_order: {step.backend}, the software-only backend, serves it"
            )
        case RuleKind.SEARCH:
            role = "the default" if step.start_is_default else "first in fallback_order"
            if step.internal_only:
                where = "the only backend searched when a profile has no fallback_order"
            elif step.found_in_fallback_order:
                where = "found along fallback_order"
            else:
                where = "found among the other enabled backends, in backends.toml order"
            return (
                f"no route matches {step.model} and {step.start} ({role}) does not serve it: "
                f"{step.backend}, {where}"
            )
    return f"unavailable: {step.reason}"


def _summary(step: Step, profile: str, prefix: str = "") -> tuple[str, str, list[str]]:
    """(label, one-line summary, extra lines) of a step."""
    match step:
        case ChoiceStep():
            if step.override is not None and step.override == step.selected:
                how = f"override {step.override} (default {step.default})"
            elif step.override is not None:
                how = f"default {step.default} (override {step.override})"
            else:
                how = f"default {step.default}"
            return "choice", f"{step.name} -> {step.selected}, by its {how}", []
        case PresetStep():
            fields = ", ".join(
                f"{k} = {_value(v)}" for k, v in step.values.items() if k != "description"
            )
            return "preset", f"${step.name}: {fields}", []
        case AliasStep():
            target = "[" + ", ".join(step.targets) + "]" if step.is_list else step.targets[0]
            if step.waterfall:
                return "waterfall", f"~{step.name} -> {target}", []
            return "alias", f"@{step.name} -> {target}", []
        case FallbackStep():
            extra = [f"skipped [{s.index}] {s.reason}" for s in step.skipped]
            if step.chosen is None:
                return "fallback", f"{step.alias}: no entry is available", extra
            why = "the first entry" if not step.skipped else "the first available entry"
            return "fallback", f"{step.alias}[{step.chosen_index}] = {step.chosen}, {why}", extra
        case ModelStep():
            by = ", ".join(step.declared_by) or "no backend"
            return "model", f"{step.name} (declared by {by})", []
        case RouteStep():
            extra = [
                f"skipped route `{r.pattern}` -> {r.backend} ({_place(r.location, prefix)}): "
                f"backend {r.backend} is disabled"
                for r in step.disabled_routes
            ]
            return "route", _route_summary(step, profile), extra
        case BackendStep():
            shown = f" ({step.display_name})" if step.display_name else ""
            return "backend", f"{step.name}{shown}", []
        case SpecStep():
            parts = [f"model_id {step.model_id}"]
            if step.sdk:
                parts.append(f"sdk {step.sdk}")
            parts.append(_costs(step.costs))
            parts.append(
                f"max_tokens {step.max_tokens}" if step.max_tokens else "max_tokens not set"
            )
            return "spec", ", ".join(parts), []
    raise TypeError(type(step).__name__)  # pragma: no cover


def _extra_locations(step: Step, prefix: str) -> list[str]:
    """Locations worth showing beyond the step's own: preset fields set in another file, alias
    definitions an override replaced, routes skipped."""
    match step:
        case PresetStep():
            return [
                f"{key} set at {_place(loc, prefix)}"
                for key, loc in step.field_locations.items()
                if loc.file != step.location.file
            ]
        case AliasStep():
            return [f"replaces the definition at {_place(loc, prefix)}" for loc in step.replaced]
    return []


def headline(explanation: Explanation) -> str:
    e = explanation
    where = f"profile {e.profile}" + (" (active)" if e.active else "")
    if e.backend is None or e.model is None:
        return f"{e.handle} ({e.kind.value}) under {where}: unavailable: {e.unavailable}"
    return f"{e.handle} ({e.kind.value}) under {where}: {e.model} on {e.backend}"


def render_text(explanation: Explanation, prefix: str = "") -> str:
    """The chain for people: one step per entry, its source location on the line below."""
    lines = [headline(explanation)]
    for step in explanation.steps:
        label, summary, extra = _summary(step, explanation.profile, prefix)
        lines.append(f"  {label + ' ':<9}{summary}")
        indent = " " * 11
        lines += [indent + line for line in extra]
        where = _place(step.location, prefix)
        if where:
            lines.append(f"{indent}at {where}")
        lines += [indent + line for line in _extra_locations(step, prefix)]
    lines += [f"note: {note}" for note in explanation.notes]
    return "\n".join(lines) + "\n"


def _record(value: Any, prefix: str) -> Any:
    """A step (or a part of one) as JSON: locations become {file, line, column}."""
    if isinstance(value, Location):
        file = f"{prefix.rstrip('/')}/{value.file}" if prefix else value.file
        return {"file": file, "line": value.line, "column": value.column}
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _record(getattr(value, f.name), prefix) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_record(v, prefix) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _record(v, prefix) for k, v in value.items()}
    return value


def _step_record(step: Step, prefix: str) -> dict[str, Any]:
    record: dict[str, Any] = {"step": _summary(step, "")[0]}
    record.update(_record(step, prefix))
    return record


def as_json(explanation: Explanation, prefix: str = "") -> dict[str, Any]:
    """The chain for machines (``deckc explain --format json``)."""
    e = explanation
    return {
        "handle": e.handle,
        "kind": e.kind.value,
        "profile": e.profile,
        "active": e.active,
        "available": e.backend is not None and e.model is not None,
        "model": e.model,
        "backend": e.backend,
        "unavailable": e.unavailable,
        "steps": [_step_record(step, prefix) for step in e.steps],
        "notes": list(e.notes),
    }
