"""A LiteLLM export checked, then written as YAML text (deterministically, without PyYAML).

:func:`problems` checks the configuration against ``schema/litellm-export.schema.json`` (the parts
deckc writes, which LiteLLM itself never validates: LiteLLM issues #34877, #23022) and what a
schema cannot say: one deployment per id, every fallback and alias target a model group, every
``os.environ/`` variable listed.  :func:`render` writes block-style YAML whose scalars are JSON
(double-quoted strings, plain numbers; costs as exact decimals, never in exponent form, which
YAML 1.1 loaders such as PyYAML would read as strings), so ``yaml.safe_load`` reads back exactly
the data, and the same input always gives the same bytes.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from ..core.resources import load_schema
from ..runtime.costs import exact
from .litellm import ENV_PREFIX, Export

__all__ = ["SCHEMA", "problems", "render"]

SCHEMA = "litellm-export"
INDENT = "  "
_FIRST = frozenset("abcdefghijklmnopqrstuvwxyz_")
_REST = _FIRST | frozenset("0123456789")
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def _plain(value: Any) -> Any:
    """``value`` with decimals as floats (for the JSON Schema validator only)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return float(value) if isinstance(value, Decimal) else value


def _env_names(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _env_names(v)]
    if isinstance(value, list):
        return [n for v in value for n in _env_names(v)]
    if isinstance(value, str) and value.startswith(ENV_PREFIX):
        return [value.removeprefix(ENV_PREFIX)]
    return []


def problems(exported: Export) -> list[str]:
    """What is wrong with ``exported`` (an internal error of deckc when not empty)."""
    import jsonschema

    config = exported.config
    validator = jsonschema.Draft202012Validator(load_schema(SCHEMA))
    found = [
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in sorted(validator.iter_errors(_plain(config)), key=lambda e: list(e.path))
    ]
    groups: dict[str, str] = {}
    ids: set[str] = set()
    for deployment in config.get("model_list", []):
        deployment_id = deployment["model_info"]["id"]
        if deployment_id in ids:
            found.append(f"deployment id `{deployment_id}` is used twice")
        ids.add(deployment_id)
        groups[deployment["model_name"]] = deployment_id
    router = config.get("router_settings", {})
    for alias, target in router.get("model_group_alias", {}).items():
        if alias in groups:
            found.append(f"alias `{alias}` is also a model group")
        if target not in groups:
            found.append(f"alias `{alias}` names `{target}`, which no deployment serves")
    for chain in router.get("fallbacks", []):
        for group, targets in chain.items():
            for target in [group, *targets]:
                if target not in groups:
                    found.append(f"fallback of `{group}`: no deployment serves `{target}`")
    listed = set(exported.variables)
    for name in sorted(set(_env_names(config)) - listed):
        found.append(f"os.environ/{name} is not in the list of variables")
    return found


def _scalar(value: Any) -> str:
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text if "." in text else f"{text}.0"
    if isinstance(value, float):
        return _scalar(exact(value))
    if value is None or isinstance(value, (bool, int, str)):
        return json.dumps(value, ensure_ascii=True)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _lines(value: Any, depth: int) -> list[str]:
    pad = INDENT * depth
    if isinstance(value, dict) and value:
        lines = []
        for key, item in value.items():
            head = f"{pad}{_key(str(key))}:"
            if isinstance(item, (dict, list)) and item:
                lines += [head, *_lines(item, depth + 1)]
            else:
                lines.append(f"{head} {_inline(item)}")
        return lines
    if isinstance(value, list) and value:
        lines = []
        for item in value:
            if isinstance(item, (dict, list)) and item:
                first, *rest = _lines(item, depth + 1)
                lines += [f"{pad}- {first.lstrip()}", *rest]
            else:
                lines.append(f"{pad}- {_inline(item)}")
        return lines
    return [pad + _inline(value)]


def _key(key: str) -> str:
    """A key plain when YAML 1.1 and 1.2 read it as that string, else double-quoted."""
    plain = key[:1] in _FIRST and all(c in _REST for c in key)
    return key if plain and key.lower() not in _RESERVED else json.dumps(key, ensure_ascii=True)


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def render(exported: Export, header: list[str]) -> str:
    """The YAML text: ``header`` and the variables as comments, then the configuration."""
    comments = [*header, ""]
    if exported.variables:
        comments.append("Environment variables the proxy reads (values are never written here):")
        comments += [f"  {name}" for name in exported.variables]
    else:
        comments.append("The proxy reads no environment variable.")
    text = [f"# {line}".rstrip() for line in comments]
    return "\n".join([*text, *_lines(exported.config, 0)]) + "\n"
