"""The cost of one call, by Pipelex's rule, in exact decimal arithmetic.

A model spec's ``costs`` are US dollars per million tokens: ``input``, ``output`` and, when the
provider prices reading from its prompt cache differently, ``input_cached``.  As in Pipelex
(``pipelex.cogt.usage.costs_per_token``), ``input_tokens`` is every input token, cached ones
included; the cached ones are priced at ``input_cached`` when the spec gives it (and it is not
zero), else at half the ``input`` price; a price the spec lacks counts as zero; a spec with no
costs at all is unrated (``None``, as Pipelex reports it).

The prices are written in the lockfile as decimal numbers: each is read through its shortest
``repr`` (``Decimal("2.5")``, never the binary float's expansion) and the sum is a
:class:`~decimal.Decimal`, so ``1234`` tokens at ``$0.15`` per million equal
``Decimal("0.0001851")`` exactly, with no float noise.  Imported only when a cost is asked for.
"""

from __future__ import annotations

from decimal import Decimal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["MILLION", "cached_input_price", "call_cost", "exact"]

MILLION = Decimal(1_000_000)
HALF = Decimal("0.5")


def exact(value: float) -> Decimal:
    """A number as written: read through its shortest ``repr`` (``0.15``, never the binary
    float's ``0.1499999999999999944...``).  The one reading of a price, deckc's tools' too."""
    return Decimal(repr(value))


def _price(costs: Mapping[str, float], key: str) -> Decimal:
    value = costs.get(key)
    return exact(value) if value else Decimal(0)


def cached_input_price(costs: Mapping[str, float]) -> Decimal:
    """The price per million of an input token read from the cache: ``input_cached``, else
    half the ``input`` price.  The one rule, shared with ``deckc export litellm``."""
    return _price(costs, "input_cached") or HALF * _price(costs, "input")


def call_cost(
    costs: Mapping[str, float] | None,
    input_tokens: int,
    output_tokens: int,
    cached_input_tokens: int = 0,
) -> Decimal | None:
    """The USD cost of a call that read ``input_tokens`` (``cached_input_tokens`` of them from
    the provider's cache) and wrote ``output_tokens``, with ``costs`` per million tokens; None
    when the model has no costs.  Raises ValueError for a negative count, or more cached tokens
    than input tokens."""
    counts = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cached_input_tokens": cached_input_tokens,
    }
    for name, count in counts.items():
        if type(count) is not int or count < 0:
            raise ValueError(f"{name} must be a whole number of tokens, 0 or more; got {count!r}")
    if cached_input_tokens > input_tokens:
        raise ValueError(
            f"cached_input_tokens ({cached_input_tokens}) counts part of input_tokens "
            f"({input_tokens}), so it cannot be larger"
        )
    if not costs:
        return None
    cached_price = cached_input_price(costs)
    total = (
        (input_tokens - cached_input_tokens) * _price(costs, "input")
        + cached_input_tokens * cached_price
        + output_tokens * _price(costs, "output")
    )
    return total / MILLION
