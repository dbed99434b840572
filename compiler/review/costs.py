"""``deckc costs``: what every alias, waterfall and preset of a profile costs.

:func:`cost_table` reads the resolutions recorded in the lockfile's typed model
(:class:`~compiler.emit.lock.Lockfile`) — the backend and model each handle reaches under the
profile, or why it reaches none — and the costs of that model's spec on that backend; it decides
nothing again.  Costs are USD per million tokens, as in the sources and in Pipelex: ``input``,
``output`` and ``input_cached`` (the spec's figure, only when it has one).  :func:`render_text`
and :func:`as_json` present the table; neither reads a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.ir import ModelType
from ..core.naming import did_you_mean
from ..emit.lock import Lockfile, Resolution
from ..runtime.costs import exact
from .explain import UnknownName

UNIT = "USD per million tokens"
COLUMNS = ("input", "output", "input_cached")  # the cost categories shown, in this order
_KINDS = (("alias", "aliases"), ("waterfall", "waterfalls"), ("preset", "presets"))


@dataclass(frozen=True)
class CostRow:
    """One alias, waterfall or preset: what it resolves to and what that costs; ``unavailable``
    (the recorded reason) when it reaches no backend, and then no backend and no costs."""

    model_type: ModelType
    kind: str  # "alias" | "waterfall" | "preset"
    name: str
    backend: str | None
    model: str | None
    model_id: str | None
    costs: Mapping[str, float]  # the categories of COLUMNS the spec has
    unavailable: str | None


@dataclass(frozen=True)
class CostTable:
    profile: str
    active: bool
    rows: tuple[CostRow, ...]  # by model type, then aliases, waterfalls, presets, each by name


def cost_table(lock: Lockfile, profile: str | None = None) -> CostTable:
    """Every alias, waterfall and preset of ``profile`` (default: the active one) with its
    recorded resolution and the costs of the spec it reaches; :class:`UnknownName` for a
    profile the configuration does not declare."""
    name = lock.active_profile if profile is None else profile
    if name not in lock.profiles:
        hint = did_you_mean(name, lock.profiles) or f"profiles: {', '.join(lock.profiles)}"
        raise UnknownName(f"no routing profile named `{name}`", hint)
    answers = lock.profiles[name].answers
    rows: list[CostRow] = []
    for model_type in lock.model_types():
        if model_type not in answers:
            continue
        for kind, attribute in _KINDS:
            resolutions: Mapping[str, Resolution] = getattr(answers[model_type], attribute)
            rows += [
                _row(lock, model_type, kind, handle, resolutions[handle])
                for handle in sorted(resolutions)
            ]
    return CostTable(name, name == lock.active_profile, tuple(rows))


def _row(
    lock: Lockfile, model_type: ModelType, kind: str, name: str, resolution: Resolution
) -> CostRow:
    if resolution.unavailable is not None or resolution.backend is None or not resolution.model:
        reason = resolution.unavailable or "reaches no backend"
        return CostRow(model_type, kind, name, None, resolution.model, None, {}, reason)
    spec = lock.spec(model_type, resolution.backend, resolution.model)
    written = spec.get("costs") or {}
    costs = {c: float(written[c]) for c in COLUMNS if isinstance(written.get(c), int | float)}
    model_id = spec.get("model_id")
    return CostRow(
        model_type,
        kind,
        name,
        resolution.backend,
        resolution.model,
        str(model_id) if model_id is not None else None,
        costs,
        None,
    )


def figure(value: float) -> str:
    """A cost as written by hand: 15.0 -> 15, 0.165 -> 0.165."""
    return format(exact(value).normalize(), "f")


def render_text(table: CostTable) -> str:
    """One section per model type, one aligned line per handle; unavailable ones with why."""
    active = " (active)" if table.active else ""
    lines = [f"profile {table.profile}{active}: costs in {UNIT}"]
    header = ("kind", "name", "backend", "model", *COLUMNS)
    for model_type in dict.fromkeys(r.model_type for r in table.rows):
        rows = [r for r in table.rows if r.model_type is model_type]
        cells = [
            (
                r.kind,
                r.name,
                r.backend or "-",
                r.model or "-",
                *(figure(r.costs[c]) if c in r.costs else "-" for c in COLUMNS),
            )
            for r in rows
        ]
        widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
        lines.append("")
        lines.append(model_type.value)
        lines.append(_line(header, widths))
        for row, cell in zip(rows, cells, strict=True):
            if row.unavailable is not None:
                lead = "  " + "  ".join(c.ljust(w) for c, w in zip(cell[:2], widths, strict=False))
                lines.append(f"{lead}  unavailable: {row.unavailable}")
            else:
                lines.append(_line(cell, widths))
    if not table.rows:
        lines.append("no aliases, waterfalls or presets")
    return "\n".join(lines) + "\n"


def _line(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)).rstrip()


def as_json(table: CostTable) -> dict[str, Any]:
    return {
        "profile": table.profile,
        "active": table.active,
        "unit": UNIT,
        "rows": [
            {
                "model_type": r.model_type.value,
                "kind": r.kind,
                "name": r.name,
                "backend": r.backend,
                "model": r.model,
                "model_id": r.model_id,
                "costs": dict(r.costs),
                "unavailable": r.unavailable,
            }
            for r in table.rows
        ],
    }
