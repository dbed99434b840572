"""Validate stage, per file: each source file against its JSON Schema (Draft 2020-12).

jsonschema finds the problems; this module turns each one into a located, human message with a
did-you-mean where a close key exists.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import jsonschema

from compiler.errors import DeckError, KeyPath, SchemaError
from compiler.load import SourceFile, SourceSet
from compiler.naming import did_you_mean
from compiler.resources import load_schema

BACKENDS = "backends"
MODELS = "backend_models"
ROUTING = "routing_profiles"
DECK = "deck"


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_sources(sources: SourceSet) -> list[DeckError]:
    """Every schema violation of every source file."""
    problems = validate_file(sources.backends, BACKENDS)
    problems += validate_file(sources.routing, ROUTING)
    for file in sources.models.values():
        problems += validate_file(file, MODELS)
    for file in sources.decks:
        problems += validate_file(file, DECK)
    return problems


def validate_file(file: SourceFile, schema_name: str) -> list[DeckError]:
    validator = _validator(schema_name)
    problems: list[DeckError] = []
    for error in validator.iter_errors(file.data):
        problems.extend(_explain(file, error))
    return problems


def _type_name(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    for kind, name in names.items():
        if type(value) is kind:
            return name
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def _expected(schema: Mapping[str, Any]) -> str:
    kinds = schema.get("type")
    words = {
        "object": "a table",
        "array": "an array",
        "string": "a string",
        "integer": "an integer",
        "number": "a number",
        "boolean": "a boolean",
    }
    if isinstance(kinds, list):
        return " or ".join(words.get(str(k), str(k)) for k in kinds)
    return words.get(str(kinds), str(kinds))


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _explain(file: SourceFile, error: jsonschema.ValidationError) -> Iterator[DeckError]:
    path: KeyPath = tuple(error.absolute_path)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    value = error.instance

    def at(key_path: KeyPath, message: str, hint: str | None = None) -> DeckError:
        return SchemaError(message, location=file.locate(key_path), key_path=key_path, hint=hint)

    if kind == "additionalProperties" and isinstance(value, dict):
        known = list(schema.get("properties", {}))
        patterns = schema.get("patternProperties", {})
        for key in value:
            if key in known or (key.startswith("x-") and "^x-" in patterns):
                continue
            hint = did_you_mean(key, known)
            if hint is None and "^x-" in patterns:
                hint = "vendor extensions must start with `x-`"
            yield at((*path, key), f"unknown key `{key}`", hint)
    elif kind == "type" and path and len(path) == 1 and file.path.startswith("backends/"):
        # A top-level scalar in a model file is neither a model table nor a known default_<field>.
        hint = did_you_mean(str(path[0]), [k for k in _validator(MODELS).schema["properties"]])
        yield at(path, f"unknown key `{path[0]}` (not a model table nor a known default_*)", hint)
    elif kind == "type":
        yield at(path, f"expected {_expected(schema)}, got {_type_name(value)} {_short(value)}")
    elif kind == "propertyNames":
        yield from _explain_name(file, path, str(value), error)
    elif kind == "pattern" and path and path[-1] != "" and file.path == "routing_profiles.toml":
        yield at(path, f"`{value}` is not a backend name ([a-z0-9_]+)")
    elif kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = error.validator_value
        word = "at least" if "inimum" in kind else "at most"
        yield at(path, f"{_short(value)} is out of range: must be {word} {bound}")
    elif kind == "enum":
        options = [str(o) for o in error.validator_value]
        yield at(
            path,
            f"{_short(value)} is not one of: {', '.join(options)}",
            did_you_mean(str(value), options),
        )
    elif kind == "oneOf" and path and path[-1] == "max_tokens":
        yield at(path, f'expected a positive integer or "auto", got {_short(value)}')
    elif kind == "oneOf" and len(path) == 2 and path[0] == "aliases":
        yield at(path, f"expected a handle or a non-empty list of handles, got {_short(value)}")
    elif kind == "required":
        missing = [k for k in error.validator_value if k not in value]
        yield at(
            path, f"missing required key{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
        )
    elif kind == "uniqueItems":
        yield at(path, "items must be unique")
    elif kind == "minItems" or kind == "minLength":
        yield at(path, "must not be empty")
    elif kind == "minProperties":
        yield at(path, "must declare at least one entry")
    else:
        yield at(path, error.message)


def _explain_name(
    file: SourceFile, path: KeyPath, name: str, error: jsonschema.ValidationError
) -> Iterator[DeckError]:
    key_path = (*path, name)
    location = file.locate(key_path)
    if file.path == "backends.toml":
        message = f"backend name `{name}` is not an identifier ([a-z0-9_]+)"
        hint = "backend names name files under backends/; use lowercase letters, digits and _"
    else:
        message = f"route pattern `{name}` is not valid"
        hint = "patterns are a model name, `*`, `prefix*`, `*suffix` or `*contains*`"
    yield SchemaError(message, location=location, key_path=key_path, hint=hint)
