"""The fast canonical JSON encoder writes exactly what ``json.dumps`` writes."""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.core.canonical import dumps

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=30,
)


def reference(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_same_text_as_json_dumps(value: Any) -> None:
    assert dumps(value) == reference(value)


def test_tuples_and_enum_subclasses_are_encoded_as_json_does() -> None:
    class Kind(enum.StrEnum):
        LLM = "llm"

    class Count(enum.IntEnum):
        TWO = 2

    value = {"b": (1, [Kind.LLM, Count.TWO]), "a": {"z": None, "é\n": 1.5e-07}, "c": []}
    assert dumps(value) == reference(value)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), {"a": [float("-inf")]}, object()])
def test_refuses_what_json_cannot_hold(bad: object) -> None:
    with pytest.raises(ValueError, match="cannot encode"):
        dumps(bad)
