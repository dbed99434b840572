"""Baseline for the cold-start benchmark: what a runtime loader does at every process start.

    python bench/toml_loader.py CONFIG_DIR HANDLE

Parses every TOML source with the standard library's ``tomllib``, merges the deck, follows the
handle through aliases (fallback lists: the first routable entry) and routes the model under the
active profile by trying the rules one by one, then prints the backend and model.  It validates
nothing and builds no typed model, so it is a lower bound of what a loader such as Pipelex's
does; the validating baseline (``--validate``) runs deckc's own load, schema checks and
resolution, as a loader that checks its input would.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any


def _read(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def load(root: Path) -> dict[str, Any]:
    backends = _read(root / "backends.toml")
    models: dict[str, set[str]] = {}
    for name in backends:
        path = root / "backends" / f"{name}.toml"
        if path.is_file():
            data = _read(path)
            tables = {k for k, v in data.items() if isinstance(v, dict) and k != "defaults"}
            tables.discard("models")
            models[name] = tables | set(data.get("models", {}))
    deck: dict[str, Any] = {"aliases": {}, "llm_presets": {}}
    decks = sorted((root / "deck").glob("*.toml"), key=lambda p: p.name == "overrides.toml")
    for path in sorted(decks, key=lambda p: p.name != "base_deck.toml"):
        data = _read(path)
        deck["aliases"].update(data.get("aliases", {}))
        for name, preset in data.get("llm_presets", {}).items():
            deck["llm_presets"].setdefault(name, {}).update(preset)
    return {
        "backends": backends,
        "models": models,
        "routing": _read(root / "routing_profiles.toml"),
        "deck": deck,
    }


def _matches(pattern: str, name: str) -> bool:
    if pattern == "*":
        return True
    starts, ends = pattern.startswith("*"), pattern.endswith("*")
    core = pattern.strip("*")
    if starts and ends:
        return core in name
    if starts:
        return name.endswith(core)
    if ends:
        return name.startswith(core)
    return name == pattern


def route(config: dict[str, Any], profile_name: str, model: str) -> str | None:
    enabled: list[str] = [n for n, b in config["backends"].items() if b.get("enabled", True)]
    profile = config["routing"]["profiles"][profile_name]
    routes: list[tuple[str, str]] = [
        (pattern, backend)
        for section in ("routes", "optional_routes")
        for pattern, backend in profile.get(section, {}).items()
        if section == "routes" or backend in enabled
    ]
    for pattern, backend in routes:
        if "*" not in pattern and pattern == model:
            return backend if model in config["models"].get(backend, ()) else None
    for pattern, backend in routes:
        if "*" in pattern and _matches(pattern, model):
            return backend if model in config["models"].get(backend, ()) else None
    order: list[str] = [b for b in profile.get("fallback_order", []) if b in enabled]
    default: str | None = profile.get("default")
    if default is not None and default not in enabled:
        return None  # Pipelex refuses the profile
    start = default or next(iter(order), None)
    for candidate in [start, *order, *enabled]:
        if candidate is not None and model in config["models"].get(candidate, ()):
            return candidate
    return None


def resolve(config: dict[str, Any], handle: str) -> tuple[str, str] | None:
    profile = config["routing"]["active"]
    targets = config["deck"]["aliases"].get(handle, handle)
    for target in [targets] if isinstance(targets, str) else targets:
        if target in config["deck"]["aliases"]:
            found = resolve(config, target)
        else:
            backend = route(config, profile, target)
            found = (backend, target) if backend else None
        if found:
            return found
    return None


def main() -> None:
    if sys.argv[1] == "--validate":
        from compiler.core.ir import ModelKey, ModelType
        from compiler.pipeline import analyse
        from compiler.sources.load import load_sources

        resolved, _ = analyse(load_sources(Path(sys.argv[2])))
        assert resolved is not None
        active = resolved.profiles[resolved.config.active]
        handle = sys.argv[3]
        alias = active.decks[ModelType.LLM].aliases.get(handle)
        found = (
            alias.backend if alias else active.placements[ModelKey(ModelType.LLM, handle)].backend
        )
        print(found)
        return
    print(resolve(load(Path(sys.argv[1])), sys.argv[2]))


if __name__ == "__main__":
    main()
