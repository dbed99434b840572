"""Validate stage, per file: each source file against its JSON Schema (Draft 2020-12).

jsonschema-rs answers "is this file valid" fast; only when it says no does jsonschema (the
reference implementation, imported then) find the problems, which this module turns into located,
human messages with a did-you-mean where a close key exists.  jsonschema-rs is never the last
word: whenever it rejects a file, or cannot take its data, jsonschema decides.
"""

from __future__ import annotations

import copy
import datetime
import json
import math
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any

from ..core.errors import DeckError, KeyPath, SchemaError
from ..core.ir import Dialect
from ..core.naming import did_you_mean, format_key_path
from ..core.resources import load_schema
from .load import DECK_DIR, MODELS_DIR, ROUTING_FILE, SourceFile, SourceSet

if TYPE_CHECKING:
    import jsonschema

BACKENDS = "backends"
MODELS = "backend_models"
ROUTING = "routing_profiles"
DECK = "deck"


def schema_name(role: str, dialect: Dialect) -> str:
    """The schema of one kind of source file in one layout (``schema/<name>.schema.json``)."""
    return role if dialect is Dialect.PIPELEX_0_10 else f"{role}-0.92"


@cache
def fast_check(name: str) -> Callable[[Any], bool]:
    """A quick yes/no for ``schema/<name>.schema.json``: True only when the data is valid."""
    import jsonschema_rs  # when validating: commands that only check hashes need not pay it

    is_valid: Callable[[Any], bool] = jsonschema_rs.validator_for(load_schema(name)).is_valid
    return is_valid


def surely_valid(name: str, data: Any) -> bool:
    """True when jsonschema-rs accepts ``data``; False when it rejects it or cannot read it."""
    try:
        return fast_check(name)(data)
    except (ValueError, TypeError, OverflowError):
        return False


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    import jsonschema  # the reference validator, needed only to explain a rejection

    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_sources(sources: SourceSet) -> tuple[SourceSet | None, list[DeckError]]:
    """Every schema violation of every source file, and the sources with the offending values
    removed (so later stages can still report their own findings), or None when some file is
    unusable even so."""
    problems: list[DeckError] = []
    usable = True

    def check(file: SourceFile, schema_name: str) -> SourceFile:
        nonlocal usable
        found, pruned = validate_file(file, schema_name)
        problems.extend(found)
        if pruned is None:
            usable = False
            return file
        return pruned

    def schema(role: str) -> str:
        return schema_name(role, sources.dialect)

    result = replace(
        sources,
        backends=check(sources.backends, schema(BACKENDS)),
        routing=check(sources.routing, schema(ROUTING)),
        models={name: check(f, schema(MODELS)) for name, f in sources.models.items()},
        decks=tuple(check(f, schema(DECK)) for f in sources.decks),
    )
    return (result if usable else None), problems


def file_problems(files: Iterable[SourceFile], dialect: Dialect) -> list[DeckError]:
    """The schema violations of each of ``files``, each checked alone (for a configuration
    some file of which could not be read)."""
    return [p for file in files for p in validate_file(file, schema_name(_role(file), dialect))[0]]


def _role(file: SourceFile) -> str:
    """The kind of source ``file`` is, from its path."""
    if file.path.startswith(f"{MODELS_DIR}/"):
        return MODELS
    if file.path.startswith(f"{DECK_DIR}/"):
        return DECK
    return ROUTING if file.path == ROUTING_FILE else BACKENDS


def validate_file(file: SourceFile, schema_name: str) -> tuple[list[DeckError], SourceFile | None]:
    """The file's schema violations, and the file without the values at fault (None when
    removing them does not make it valid)."""
    if surely_valid(schema_name, file.data) and _plain_json(file.data):
        return [], file
    validator = _validator(schema_name)
    file, split = split_model_names(file, schema_name)
    errors = list(validator.iter_errors(file.data))
    problems = split + [p for error in errors for p in _explain(file, error, schema_name)]
    problems += _non_finite(file)
    if not problems:
        return problems, file
    data = copy.deepcopy(dict(file.data))
    for problem in _non_finite(file):  # values no schema rule rejects (a nan temperature...)
        _remove(data, problem.key_path[:-1], problem.key_path[-1])
    errors = list(validator.iter_errors(data))
    for _ in range(_PRUNE_ROUNDS):
        if not errors or not all(_prune(data, error) for error in errors):
            break
        errors = list(validator.iter_errors(data))
    usable = not errors and not _non_finite(replace(file, data=data))
    return problems, (replace(file, data=data) if usable else None)


_PRUNE_ROUNDS = 4


def split_model_names(file: SourceFile, schema_name: str) -> tuple[SourceFile, list[DeckError]]:
    """Model names a bare dotted key split: in ``[models.claude-4.1-opus]`` the dot separates
    keys, so TOML reads model ``claude-4`` holding a table ``1-opus``.  Each is an error with
    the hint to quote the name, and the file comes back with the model under the name meant (and
    its keys located where they are written), so later checks see what the user meant.

    A table inside a model table whose key is no model field is such a split when its key starts
    with a digit (a version number cut at its dot: no field does), or when it was written in the
    same key as the model's (the model table exists only through it) and is no near-miss of a
    field (``[models.gpt-4o.cost]`` means ``costs``)."""
    if schema_name not in (MODELS, f"{MODELS}-0.92"):
        return file, []
    known = load_schema(schema_name)["$defs"]["model"]["properties"]
    splits = [
        (prefix, name, key)
        for prefix, container in _model_containers(file.data, schema_name)
        for name, table in container.items()
        if isinstance(table, Mapping) and not _not_a_model(prefix, name)
        for key, value in table.items()
        if _is_split(file, (*prefix, name), key, value, known)
    ]
    if not splits:
        return file, []
    data = copy.deepcopy(dict(file.data))
    positions = dict(file.positions)
    problems: list[DeckError] = []
    for prefix, name, key in splits:
        split = (*prefix, name, key)
        meant = f"{name}.{key}"
        problems.append(
            SchemaError(
                f"the bare key `{meant}` is read as model `{name}` holding a table `{key}` (in a "
                "bare key, a dot separates keys)",
                location=file.locate(split),
                key_path=split,
                hint=f"quote the model name: [{format_key_path((*prefix, meant))}]",
            )
        )
        container = data["models"] if prefix else data
        moved = container[name].pop(key)
        if meant not in container:  # else the name meant is taken: the table is dropped
            container[meant] = moved
            positions.update(
                ((*prefix, meant, *where[len(split) :]), at)
                for where, at in file.positions.items()
                if where[: len(split)] == split
            )
    for prefix, name, key in splits:
        container = data["models"] if prefix else data
        implicit = file.positions.get((*prefix, name, key)) == file.positions.get((*prefix, name))
        if implicit and container.get(name) == {}:
            del container[name]  # the model table existed only through the dotted keys
    return replace(file, data=data, positions=positions), problems


def _is_split(
    file: SourceFile, path: KeyPath, key: str, value: object, known: Collection[str]
) -> bool:
    """True when ``key``, inside the model table at ``path``, is the end of a model name that a
    bare dotted key split (see :func:`split_model_names`)."""
    if not isinstance(value, dict) or key in known or key.startswith("x-"):
        return False
    same_key = file.positions.get((*path, key)) == file.positions.get(path)
    return key[:1].isdigit() or (same_key and did_you_mean(key, known) is None)


def _model_containers(
    data: Mapping[str, Any], schema_name: str
) -> Iterator[tuple[KeyPath, Mapping[str, Any]]]:
    """The tables of a model file that hold model tables, with their key paths: the file itself
    (the top-level form), and ``[models]`` in the seed's layout."""
    yield (), data
    if schema_name == MODELS and isinstance(data.get("models"), Mapping):
        yield ("models",), data["models"]


def _not_a_model(prefix: KeyPath, name: str) -> bool:
    """True for the top-level keys of a model file that are no model table."""
    return not prefix and (name in ("models", "defaults") or name.startswith("default_"))


def _prune(data: dict[str, Any], error: jsonschema.ValidationError) -> bool:
    """Remove what ``error`` is about from ``data``; False when that is the whole document."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        extras = [k for k in error.instance if k not in known and not str(k).startswith("x-")]
        path_and_keys = [(path, k) for k in extras]
    elif "propertyNames" in error.schema_path:
        path_and_keys = [(path, error.instance)]
    elif path:
        path_and_keys = [(path[:-1], path[-1])]
    else:
        return False
    for parent_path, key in path_and_keys:
        _remove(data, parent_path, key)
    return True


def _remove(data: dict[str, Any], parent_path: Sequence[str | int], key: str | int) -> None:
    """Delete ``key`` of the table or array at ``parent_path``, if it is still there (an earlier
    removal may have taken a parent)."""
    parent: Any = data
    for step in parent_path:
        in_list = isinstance(parent, list) and isinstance(step, int) and step < len(parent)
        if not (in_list or (isinstance(parent, dict) and step in parent)):
            return
        parent = parent[step]
    if isinstance(parent, dict):
        parent.pop(key, None)
    elif isinstance(parent, list) and isinstance(key, int) and key < len(parent):
        del parent[key]


def _plain_json(data: Any) -> bool:
    """True when ``data`` surely holds no inf, nan, date or time (see :func:`_non_finite`),
    checked at C speed by the JSON encoder."""
    try:
        json.dumps(data, allow_nan=False)
    except (ValueError, TypeError):
        return False
    return True


def _non_finite(file: SourceFile) -> list[DeckError]:
    """TOML allows inf, nan, dates and times; no field of ours means them (and JSON has none)."""
    found: list[DeckError] = []
    stack: list[tuple[KeyPath, object]] = [((), file.data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            found.append(
                SchemaError(
                    f"{value} is not a finite number",
                    location=file.locate(path),
                    key_path=path,
                )
            )
        elif isinstance(value, datetime.date | datetime.time):
            kind = type(value).__name__.replace("datetime", "date-time")
            found.append(
                SchemaError(
                    f"{value.isoformat()} is a TOML {kind}; deckc keeps only strings, numbers, "
                    "booleans, arrays and tables",
                    location=file.locate(path),
                    key_path=path,
                    hint=f'quote it: "{value.isoformat()}"',
                )
            )
        elif isinstance(value, Mapping):
            stack.extend(((*path, key), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend(((*path, index), item) for index, item in enumerate(value))
    return found


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


def _explain(
    file: SourceFile, error: jsonschema.ValidationError, schema_name: str
) -> Iterator[DeckError]:
    path: KeyPath = tuple(error.absolute_path)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    value = error.instance

    def at(key_path: KeyPath, message: str, hint: str | None = None) -> DeckError:
        return SchemaError(message, location=file.locate(key_path), key_path=key_path, hint=hint)

    if kind == "additionalProperties" and path == ("defaults",) and "handle" in value:
        yield at(
            (*path, "handle"),
            "`handle` in [defaults] would give every model of the file the same handle",
            "set it on the model table it renames",
        )
        value = {k: v for k, v in value.items() if k != "handle"}
    hyphenated = hyphenated_field(file, path, schema_name)
    if hyphenated is not None:
        yield hyphenated
    elif kind == "additionalProperties" and isinstance(value, dict):
        known = list(schema.get("properties", {}))
        patterns = schema.get("patternProperties", {})
        for key in value:
            if key in known or (key.startswith("x-") and "^x-" in patterns):
                continue
            hint = did_you_mean(key, known)
            if hint is None and "^x-" in patterns:
                hint = "vendor extensions must start with `x-`"
            yield at((*path, key), f"unknown key `{key}`", hint)
    elif (
        kind == "type"
        and isinstance(value, datetime.date | datetime.time | float)
        and (not isinstance(value, float) or not math.isfinite(value))
    ):
        return  # a TOML date or a non-finite number: reported, with its own message, below
    elif (
        kind == "type"
        and len(path) == 1
        and file.path.startswith("backends/")
        and str(path[0]).startswith("default_")
        and schema_name != MODELS
    ):
        field = str(path[0]).removeprefix("default_")
        yield at(
            path,
            f"top-level `{path[0]}` is the pipelex-0.10 form of a model default",
            f"set `{field}` in the file's [defaults] table instead",
        )
    elif (
        kind == "type"
        and len(path) == 1
        and file.path.startswith("backends/")
        and path[0] not in _validator(schema_name).schema["properties"]
    ):
        # A top-level scalar in a model file is neither a model table nor a known default_<field>.
        known = list(_validator(schema_name).schema["properties"])
        what = "a known default_*" if schema_name == MODELS else "[defaults]"
        yield at(
            path,
            f"unknown key `{path[0]}` (not a model table nor {what})",
            did_you_mean(str(path[0]), known),
        )
    elif kind == "type":
        yield at(path, f"expected {_expected(schema)}, got {_type_name(value)} {_short(value)}")
    elif "propertyNames" in error.schema_path and path[-1:] == ("choice_defaults",):
        keys = error.schema.get("enum", []) if isinstance(error.schema, Mapping) else []
        yield at(
            (*path, str(value)),
            f'`{value}` is not a document generation choice ("<format>.<source>")',
            f"the choices are {', '.join(keys)}" if keys else None,
        )
    elif "propertyNames" in error.schema_path:
        yield _explain_name(file, path, str(value))
    elif kind == "pattern" and path and path[-1] != "" and file.path.startswith("routing_profiles"):
        yield at(path, f"`{value}` is not a backend name ([a-z0-9_]+)")
    elif kind in ("minimum", "maximum") and len(path) >= 3 and "presets" in str(path[-3]):
        yield at(
            path,
            f"preset `{path[-2]}`: {path[-1]} = {_short(value)} is out of range "
            f"[{schema.get('minimum')}, {schema.get('maximum')}]",
            f"temperatures are normalized to [0, 1]; {path[-1]} = 1 is the hottest"
            if path[-1] == "temperature"
            else None,
        )
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
    elif kind == "oneOf" and len(path) == 2 and path[0] == "aliases" and schema_name == DECK:
        yield at(path, f"expected a handle or a non-empty list of handles, got {_short(value)}")
    elif kind == "required":
        missing = [k for k in error.validator_value if k not in value]
        yield at(
            path, f"missing required key{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
        )
    elif kind == "not" and isinstance(value, dict):
        clashing = " and ".join(f"`{k}`" for k in error.validator_value.get("required", []))
        yield at(path, f"{clashing} cannot both be set", "keep one of them")
    elif kind == "uniqueItems":
        yield at(path, "items must be unique")
    elif kind == "minItems" or kind == "minLength":
        yield at(path, "must not be empty")
    elif kind == "minProperties":
        yield at(path, "must declare at least one entry")
    else:
        yield at(path, error.message)


def hyphenated_field(file: SourceFile, path: KeyPath, schema_name: str) -> DeckError | None:
    """A model-file key that is a known field spelt with hyphens (``max-tokens``): in the current
    layout hyphenated keys are HTTP headers, so it would be sent as one."""
    if schema_name != f"{MODELS}-0.92" or not path or not isinstance(path[-1], str):
        return None
    known = load_schema(schema_name)["$defs"]["model"]["properties"]
    key = path[-1]
    field = key.replace("-", "_")
    if "-" not in key or field not in known:
        return None
    return SchemaError(
        f"`{key}` is the model field `{field}` spelt with hyphens (a key with a `-` is an HTTP "
        "header)",
        location=file.locate(path),
        key_path=path,
        hint=f"rename it `{field}`",
    )


def _explain_name(file: SourceFile, path: KeyPath, name: str) -> DeckError:
    key_path = (*path, name)
    location = file.locate(key_path)
    if file.path.startswith("backends"):
        message = f"backend name `{name}` is not an identifier ([a-z0-9_]+)"
        fixed = re.sub(r"[^a-z0-9_]", "_", name.lower())
        hint = (
            f"rename it `{fixed}` (and its model file to backends/{fixed}.toml): backend names "
            "name files, so only lowercase letters, digits and _ are allowed"
        )
    else:
        message = f"route pattern `{name}` is not valid"
        hint = "patterns are a model name, `*`, `prefix*`, `*suffix` or `*contains*`"
    return SchemaError(message, location=location, key_path=key_path, hint=hint)
