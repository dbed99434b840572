"""``deckc validate --reference FILE``: the models cross-checked against LiteLLM's price list.

The reference is a pinned copy of LiteLLM's ``model_prices_and_context_window.json`` that the
user gives (a data input: deckc never fetches it), identified by its sha256, which the summary
note records.  :func:`read_reference` reads it, or raises :class:`CompileFailed` with every
malformed entry located (``file:line:col``); :func:`cross_check` compares every ``llm`` model
spec of the configuration with its entry and returns located warnings:

- ``reference-cost-differs``: a cost (``input``, ``output``, ``input_cached``; deckc's are USD
  per million tokens) differs from the entry's per-token figure times a million
  (``input_cost_per_token``, ``output_cost_per_token``, ``cache_read_input_token_cost``);
- ``reference-cost-per-thousand``: it differs by exactly 1000 times less: written in USD per
  thousand tokens;
- ``reference-deprecated``: the entry's ``deprecation_date`` is past (before ``today``, which
  the caller passes), naming the entry's ``successor`` when it has one;
- ``reference-max-tokens``: ``max_tokens`` is above the entry's ``max_output_tokens``;

and a note ``reference-model-absent`` for each spec no entry matches (not cross-checked; the
hint lists the keys looked up).

Matching: a spec's entry is the first of these keys that the reference has: ``model_id``
prefixed with LiteLLM's provider prefix for the spec's ``sdk``, then for its backend's name
(:data:`PROVIDER_PREFIXES`: ``anthropic/claude-...``, ``azure/<deployment>``,
``gemini/...``, ``vertex_ai/...``, ``bedrock/...``, ``mistral/...``, ``openai/...``), then
``model_id`` as written (LiteLLM's bare keys: ``gpt-4o``, ``claude-3-5-haiku-20241022``,
``anthropic.claude-3-sonnet-20240229-v1:0``, or a ``model_id`` already prefixed, such as
``gemini/gemini-2.5-pro``).  No other form is guessed: a gateway's ids (``pipelex/gpt-4o``)
match nothing, and are noted as absent.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..core.errors import CompileFailed, DeckError, Location, Severity
from ..core.ir import Config, ModelSpec, ModelType
from ..runtime.costs import MILLION, exact

# LiteLLM's provider prefixes, by deckc sdk and by the usual backend names
PROVIDER_PREFIXES: Mapping[str, str] = {
    "openai": "openai",
    "openai_responses": "openai",
    "azure_openai": "azure",
    "anthropic": "anthropic",
    "bedrock": "bedrock",
    "bedrock_anthropic": "bedrock",
    "bedrock_aioboto": "bedrock",
    "google": "gemini",
    "vertexai": "vertex_ai",
    "mistral": "mistral",
    "groq": "groq",
    "xai": "xai",
}
# deckc cost category -> the entry's field (USD per token)
COST_FIELDS: Mapping[str, str] = {
    "input": "input_cost_per_token",
    "output": "output_cost_per_token",
    "input_cached": "cache_read_input_token_cost",
}
_NUMBERS = (*COST_FIELDS.values(),)
_SKIPPED_ENTRIES = frozenset({"sample_spec"})  # LiteLLM's documentation entry, not a model


class ReferenceFileError(DeckError):
    """The reference file is not LiteLLM's price list format."""


@dataclass(frozen=True)
class Reference:
    file: str  # as the user named it
    sha256: str
    entries: Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Checked:
    findings: tuple[DeckError, ...]  # located in the configuration
    summary: DeckError  # a note located at the reference file: its sha256, how many matched


def read_reference(path: Path) -> Reference:
    """The reference at ``path``; :class:`CompileFailed` when unreadable or malformed."""
    try:
        data = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        problem = _error(path.as_posix(), f"cannot read the reference: {reason}")
        raise CompileFailed([problem]) from None
    return parse_reference(data, path.as_posix())


def parse_reference(data: bytes, file: str) -> Reference:
    """The reference read from ``data`` (named ``file`` in messages): a JSON object of entries,
    each an object whose fields used here have the right types; every problem is reported."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8")
        document = json.loads(text)
    except UnicodeDecodeError as error:
        raise CompileFailed([_error(file, f"not UTF-8 (byte {error.start})")]) from None
    except json.JSONDecodeError as error:
        where = Location(file, error.lineno, error.colno)
        raise CompileFailed([_error(file, f"not JSON: {error.msg}", where)]) from None
    if not isinstance(document, dict):
        raise CompileFailed(
            [_error(file, "not LiteLLM's price list: the top level is not an object")]
        )
    problems = [
        problem
        for key, entry in document.items()
        if key not in _SKIPPED_ENTRIES
        for problem in _entry_problems(file, text, key, entry)
    ]
    if problems:
        raise CompileFailed(problems)
    entries = {k: v for k, v in document.items() if k not in _SKIPPED_ENTRIES}
    return Reference(file, digest, entries)


def _entry_problems(file: str, text: str, key: str, entry: object) -> list[DeckError]:
    where = _key_location(file, text, key)
    if not isinstance(entry, dict):
        return [_error(file, f"entry `{key}` is not an object", where, (key,))]
    wrong: list[tuple[str, str]] = []
    for field in _NUMBERS:
        value = entry.get(field)
        if value is not None and (type(value) not in (int, float) or value < 0):
            wrong.append((field, "a number of USD per token"))
    limit = entry.get("max_output_tokens")
    if limit is not None and (type(limit) is not int or limit < 1):
        wrong.append(("max_output_tokens", "a positive integer"))
    date = entry.get("deprecation_date")
    if date is not None and _date(date) is None:
        wrong.append(("deprecation_date", "a date written YYYY-MM-DD"))
    successor = entry.get("successor")
    if successor is not None and not isinstance(successor, str):
        wrong.append(("successor", "a model name"))
    return [
        _error(file, f"{field} of `{key}` is {json.dumps(entry[field])}, not {what}", where, (key,))
        for field, what in wrong
    ]


def _key_location(file: str, text: str, key: str) -> Location:
    """Where the entry ``key`` is written (its first occurrence as a JSON string)."""
    at = text.find(json.dumps(key))
    if at < 0:
        return Location(file)
    line = text.count("\n", 0, at) + 1
    return Location(file, line, at - (text.rfind("\n", 0, at) + 1) + 1)


def _date(value: object) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _error(
    file: str, message: str, where: Location | None = None, key_path: tuple[str, ...] = ()
) -> DeckError:
    return ReferenceFileError(
        message,
        location=where or Location(file),
        key_path=key_path,
        hint="give a copy of LiteLLM's model_prices_and_context_window.json",
    )


def lookup_keys(spec: ModelSpec) -> tuple[str, ...]:
    """The reference keys tried for ``spec``, in order (see the module's docstring)."""
    sdk = spec.fields.get("sdk")
    prefixes = [PROVIDER_PREFIXES.get(str(sdk)), PROVIDER_PREFIXES.get(spec.backend)]
    keys = [f"{p}/{spec.model_id}" for p in prefixes if p is not None] + [spec.model_id]
    return tuple(dict.fromkeys(keys))


def cross_check(config: Config, reference: Reference, today: datetime.date) -> Checked:
    """Every ``llm`` model spec of ``config`` compared with its reference entry."""
    findings: list[DeckError] = []
    matched = total = 0
    for key, specs in config.models.items():
        if key.model_type is not ModelType.LLM:
            continue
        for spec in specs.values():
            total += 1
            keys = lookup_keys(spec)
            found = next((k for k in keys if k in reference.entries), None)
            if found is None:
                findings.append(_absent(spec, keys, reference.file))
                continue
            matched += 1
            entry = reference.entries[found]
            where = f"`{found}` in {reference.file}"
            findings += _costs(spec, entry, where)
            findings += _deprecation(spec, entry, where, today)
            findings += _max_tokens(spec, entry, where)
    summary = DeckError(
        f"reference sha256 {reference.sha256}: {matched} of {total} llm model specs matched",
        location=Location(reference.file),
        severity=Severity.INFO,
        code="reference-checked",
    )
    return Checked(tuple(findings), summary)


def _absent(spec: ModelSpec, keys: tuple[str, ...], file: str) -> DeckError:
    return DeckError(
        f"model_id `{spec.model_id}` (backend {spec.backend}) is not in {file}: not cross-checked",
        span=spec.span,
        hint=f"looked up: {', '.join(f'`{k}`' for k in keys)}",
        severity=Severity.INFO,
        code="reference-model-absent",
    )


def _costs(spec: ModelSpec, entry: Mapping[str, Any], where: str) -> list[DeckError]:
    costs = spec.fields.get("costs")
    if not isinstance(costs, Mapping):
        return []
    findings: list[DeckError] = []
    for category, field in COST_FIELDS.items():
        ours, per_token = costs.get(category), entry.get(field)
        if not isinstance(ours, (int, float)) or isinstance(ours, bool) or per_token is None:
            continue
        written = exact(ours)
        theirs = exact(per_token) * MILLION
        if written == theirs:
            continue
        path = (*spec.span.key_path, "costs", category)
        if written * 1000 == theirs:
            findings.append(
                DeckError(
                    f"{category} = {_plain(written)} is 1000 times less than the reference's "
                    f"{_plain(theirs)} USD per million tokens ({field} of {where}): it looks "
                    "written in USD per thousand tokens",
                    span=spec.span,
                    key_path=path,
                    hint=f"costs are USD per million tokens: {category} = {_plain(theirs)}",
                    severity=Severity.WARNING,
                    code="reference-cost-per-thousand",
                )
            )
            continue
        findings.append(
            DeckError(
                f"{category} = {_plain(written)} USD per million tokens differs from the "
                f"reference's {_plain(theirs)} ({field} of {where})",
                span=spec.span,
                key_path=path,
                hint=f"set {category} = {_plain(theirs)}, or keep yours if it is your price",
                severity=Severity.WARNING,
                code="reference-cost-differs",
            )
        )
    return findings


def _deprecation(
    spec: ModelSpec, entry: Mapping[str, Any], where: str, today: datetime.date
) -> list[DeckError]:
    date = _date(entry.get("deprecation_date"))
    if date is None or date >= today:
        return []
    successor = entry.get("successor")
    hint = (
        f"the reference names its successor: `{successor}`"
        if successor
        else "move to a current model"
    )
    return [
        DeckError(
            f"model_id `{spec.model_id}` is deprecated since {date.isoformat()} "
            f"(deprecation_date of {where})",
            span=spec.span,
            hint=hint,
            severity=Severity.WARNING,
            code="reference-deprecated",
        )
    ]


def _max_tokens(spec: ModelSpec, entry: Mapping[str, Any], where: str) -> list[DeckError]:
    limit = entry.get("max_output_tokens")
    if spec.max_tokens is None or limit is None or spec.max_tokens <= limit:
        return []
    return [
        DeckError(
            f"max_tokens = {spec.max_tokens} is above the provider's output limit, {limit} "
            f"(max_output_tokens of {where})",
            span=spec.span,
            key_path=(*spec.span.key_path, "max_tokens"),
            hint=f"set max_tokens = {limit}",
            severity=Severity.WARNING,
            code="reference-max-tokens",
        )
    ]


def _plain(value: Decimal) -> str:
    """A decimal as written by hand: 0.15, 15, never 1.5E-7."""
    return format(value.normalize(), "f")
