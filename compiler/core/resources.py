"""Where the schemas and templates live: inside the wheel, or at the repository root."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent.parent  # the compiler package


def _data_dir(name: str) -> Path:
    packaged = _PACKAGE / "_data" / name
    return packaged if packaged.is_dir() else _PACKAGE.parent / name


def schema_dir() -> Path:
    return _data_dir("schema")


def templates_dir() -> Path:
    return _data_dir("templates")


def package_dir() -> Path:
    """The compiler package itself (its code is part of what a compile depends on)."""
    return _PACKAGE


def runtime_dir() -> Path:
    """compiler/runtime: the static runtime that every output package gets a copy of."""
    return _PACKAGE / "runtime"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema ``schema/<name>.schema.json``."""
    with (schema_dir() / f"{name}.schema.json").open(encoding="utf-8") as f:
        schema: dict[str, Any] = json.load(f)
    return schema
