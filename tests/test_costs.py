"""Costs that look written per thousand tokens (compiler/sources/costs.py): deckc's unit, as
Pipelex's, is USD per million tokens."""

from __future__ import annotations

import pytest

from compiler.core.errors import Severity
from compiler.sources.costs import PER_MILLION_FLOOR, per_thousand_costs
from compiler.sources.load import parse_source
from tests.conftest import compile_texts

SEED_MINI = "[models.gpt-4o-mini]\ncosts = { input = 0.00015, output = 0.0006 }\n"


def warnings_of(text: str) -> list[str]:
    found = per_thousand_costs(parse_source("backends/a.toml", text.encode()))
    assert all(f.severity is Severity.WARNING and f.code == "costs-per-thousand" for f in found)
    return [str(f) for f in found]


def test_the_seeds_per_thousand_figures_are_located_with_the_figures_meant() -> None:
    assert warnings_of(SEED_MINI) == [
        "backends/a.toml:2:1: models.gpt-4o-mini.costs: warning: every cost is below 0.01 USD "
        "per million tokens (input = 0.00015, output = 0.0006): these look like USD per "
        "thousand tokens: multiply by 1000\n"
        "  hint: costs are USD per million tokens, as in Pipelex: costs = { input = 0.15, "
        "output = 0.6 }"
    ]


@pytest.mark.parametrize(
    ("costs", "warned"),
    [
        ("{ input = 0.0099, output = 0.005 }", True),
        ("{ input = 0.005, output = 0.01 }", False),  # the floor itself is a plausible price
        ("{ input = 0, output = 0 }", False),  # free: a local model
        ("{ input = 0.0, output = 0.00002 }", True),
        ("{ input = 2.5, output = 10.0 }", False),
        ("{}", False),
    ],
)
def test_a_costs_table_is_judged_by_its_largest_figure(costs: str, warned: bool) -> None:
    assert PER_MILLION_FLOOR == 0.01
    assert bool(warnings_of(f"[models.m]\ncosts = {costs}\n")) is warned


def test_every_place_costs_are_written_in_either_layout_is_checked() -> None:
    text = (
        "default_costs = { input = 0.001 }\n"
        "[defaults]\ncosts = { input = 0.001 }\n"
        "[top]\ncosts = { input = 0.001 }\n"
        "[models.m.costs]\ninput = 0.001\n"
    )
    assert [w.splitlines()[0].split(": warning")[0] for w in warnings_of(text)] == [
        "backends/a.toml:1:1: default_costs",
        "backends/a.toml:3:1: defaults.costs",
        "backends/a.toml:5:1: top.costs",
        "backends/a.toml:6:1: models.m.costs",
    ]


def test_the_compile_warns_and_goes_on() -> None:
    build = compile_texts(
        {
            "backends.toml": "[a]\n",
            "routing_profiles.toml": 'active = "p"\n[profiles.p]\ndefault = "a"\n',
            "backends/a.toml": SEED_MINI,
        }
    )
    assert [str(w).splitlines()[0] for w in build.warnings] == [
        "backends/a.toml:2:1: models.gpt-4o-mini.costs: warning: every cost is below 0.01 USD "
        "per million tokens (input = 0.00015, output = 0.0006): these look like USD per "
        "thousand tokens: multiply by 1000"
    ]
