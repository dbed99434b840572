"""Costs that look written in the wrong unit.

deckc's costs are USD per million tokens, as Pipelex's; the seed's snippet priced a model in USD
per thousand (``costs = { input = 0.00015, output = 0.0006 }``), which deckc would take for a
model 1000 times cheaper than it is.  A costs table every figure of which is below
:data:`PER_MILLION_FLOOR` while one is above zero is such a table: no paid model costs less than
a cent per million tokens in every category, while the per-thousand figures of cheap models all
do.  (The per-thousand figures of dearer models, a few cents, are plausible per-million prices
of cheap models: they cannot be told apart, and are left alone.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..core.errors import DeckError, KeyPath, SchemaError, Severity
from ..runtime.costs import exact
from .load import SourceFile

PER_MILLION_FLOOR = 0.01  # USD per million tokens: a cent


def per_thousand_costs(file: SourceFile) -> list[DeckError]:
    """A warning at each costs table of the model file ``file`` that looks written in USD per
    thousand tokens (see the module's docstring), with the figures it means in the hint."""
    findings: list[DeckError] = []
    for path, costs in _cost_tables(file.data):
        figures = {k: v for k, v in costs.items() if type(v) in (int, float)}
        if not 0 < max(figures.values(), default=0) < PER_MILLION_FLOOR:
            continue  # plausible, free, or no figure to judge
        written = ", ".join(f"{k} = {v}" for k, v in figures.items())
        meant = ", ".join(f"{k} = {_times_1000(v)}" for k, v in figures.items())
        findings.append(
            SchemaError(
                f"every cost is below {PER_MILLION_FLOOR} USD per million tokens ({written}): "
                "these look like USD per thousand tokens: multiply by 1000",
                span=file.span(path),
                hint=f"costs are USD per million tokens, as in Pipelex: {path[-1]} = {{ {meant} }}",
                severity=Severity.WARNING,
                code="costs-per-thousand",
            )
        )
    return findings


def _cost_tables(data: Mapping[str, Any]) -> Iterator[tuple[KeyPath, Mapping[str, Any]]]:
    """Every costs table written in a model file of either layout, with its key path: a model's
    (``[models.<name>]`` or top-level ``[<name>]``) and the file's defaults."""
    candidates: list[tuple[KeyPath, object]] = [(("default_costs",), data.get("default_costs"))]
    for name, table in data.items():
        if isinstance(table, Mapping) and name != "models":
            candidates.append(((name, "costs"), table.get("costs")))
    models = data.get("models")
    if isinstance(models, Mapping):
        for name, table in models.items():
            if isinstance(table, Mapping):
                candidates.append((("models", name, "costs"), table.get("costs")))
    for path, costs in candidates:
        if isinstance(costs, Mapping):
            yield path, costs


def _times_1000(value: float) -> str:
    """``value`` * 1000 as written by hand (0.00015 -> 0.15, not 0.15000000000000002)."""
    return format((exact(value) * 1000).normalize(), "f")
