"""Ask Pipelex 0.92 itself how it turns a reasoning setting into what a call sends: its effort
maps (``pipelex.toml``) and ``fit_thinking_budget`` over a grid of budgets, limits and bounds.

Run it with the Python of the throwaway virtualenv that holds Pipelex (``make conformance``
installs it), never with deckc's own::

    .venv-pipelex-0.92/bin/python tools/pipelex_reasoning.py -o tests/reasoning/pipelex_092.json

``tests/test_reasoning.py`` checks deckc's runtime (``compiler/runtime/reasoning.py``) against
the JSON (sorted keys, indent 1), so the tests need no Pipelex.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import itertools
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

BUDGETS = (100, 512, 1024, 5000, 16384, 65536)
MAX_TOKENS = (None, 1, 4, 1000, 1366, 4096, 16000, 128000)
BOUNDS = ((None, None), (1024, None), (None, 24576), (1024, 24576))


def answers() -> dict[str, Any]:
    # imported by name: Pipelex is installed in its own virtualenv, not beside deckc's checks
    package = Path(importlib.import_module("pipelex").__file__ or "").parent
    refusal = importlib.import_module("pipelex.cogt.exceptions").LLMCapabilityError
    fit_thinking_budget = importlib.import_module(
        "pipelex.cogt.llm.thinking_budget"
    ).fit_thinking_budget
    config = tomllib.loads((package / "pipelex.toml").read_text())
    llm = config["inference"]["llm"]
    levels = {
        family: llm[family]["effort_to_level_map"]
        for family in ("openai", "anthropic", "google", "mistral")
    }
    fits: list[list[Any]] = []
    for budget, max_tokens, (least, most) in itertools.product(BUDGETS, MAX_TOKENS, BOUNDS):
        try:
            fitted: int | str = fit_thinking_budget(
                budget=budget,
                max_tokens=max_tokens,
                min_budget=least,
                max_budget=most,
                model_desc="m",
            )
        except refusal:
            fitted = "refused"
        fits.append([budget, max_tokens, least, most, fitted])
    return {
        "pipelex": importlib.metadata.version("pipelex"),
        "effort_to_level_maps": levels,
        "effort_to_budget_maps": llm["effort_to_budget_maps"],
        "fit_thinking_budget": fits,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--out", type=Path, help="the JSON file [default: stdout]")
    args = parser.parse_args(argv)
    text = json.dumps(answers(), indent=1, sort_keys=True) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
