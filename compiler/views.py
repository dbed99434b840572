"""Template views: the lockfile turned into the flat tables the runtime templates loop over.

Views are computed from the lockfile alone (never from the sources), so the generated runtime
can always be re-made from a committed lockfile.  Every decision is made here; templates only loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from compiler.naming import py_literal

Lock = Mapping[str, Any]
Entry = tuple[int, tuple[str, ...]] | str


@dataclass(frozen=True)
class TypeViews:
    """Type expressions (already Python source) for the runtime's Literal handles."""

    handle: str
    preset: str
    profile: str
    backend: str

    @property
    def imports(self) -> str:
        """The names the type expressions need from ``typing``."""
        names = {"Any", "Literal", "TypeAlias"}
        if "Never" in (self.handle, self.preset, self.profile, self.backend):
            names.add("Never")
        return ", ".join(sorted(names))


@dataclass(frozen=True)
class RuntimeView:
    lock_sha256: str
    active_profile: str
    profiles: tuple[str, ...]
    aliases: tuple[str, ...]
    backends: list[tuple[str, dict[str, Any]]]
    specs: list[tuple[str, str, dict[str, Any]]]
    handles: list[tuple[str, list[tuple[str, Entry]]]]
    presets: list[tuple[str, tuple[Any, ...]]]
    preset_handles: list[tuple[str, list[tuple[str, Entry]]]]
    choices: list[tuple[str, tuple[str, str]]]
    types: TypeViews


def literal_type(names: Iterable[str]) -> str:
    """``Literal[...]`` over ``names``, one per line; ``Never`` when there are none."""
    items = sorted(set(names))
    if not items:
        return "Never"
    body = "".join(f"        {py_literal(n)},\n" for n in items)
    return f"Literal[\n{body}    ]"


def runtime_view(lock: Lock, lock_sha256: str) -> RuntimeView:
    specs: list[tuple[str, str, dict[str, Any]]] = []
    index: dict[tuple[str, str], int] = {}
    for backend in sorted(lock["models"]):
        for model in sorted(lock["models"][backend]):
            index[(backend, model)] = len(specs)
            specs.append((backend, model, lock["models"][backend][model]))

    def entry(resolution: Mapping[str, Any]) -> Entry:
        if resolution["backend"] is None:
            return str(resolution["unavailable"])
        key = (resolution["backend"], resolution["model"])
        return index[key], tuple(resolution["path"])

    handles = []
    preset_handles = []
    for profile in sorted(lock["profiles"]):
        data = lock["profiles"][profile]
        table: dict[str, Entry] = {}
        for model, routing in data["routing"].items():
            table[model] = (
                f"{model}: {routing['unavailable']}"
                if routing["backend"] is None
                else (index[(routing["backend"], model)], (model,))
            )
        for alias, resolution in data["aliases"].items():
            table[alias] = entry(resolution)  # an alias shadows a model of the same name
        handles.append((profile, sorted(table.items())))
        preset_handles.append(
            (profile, sorted((name, entry(r)) for name, r in data["presets"].items()))
        )

    presets = [
        (
            name,
            (
                p["llm_handle"],
                p.get("temperature"),
                None if p.get("max_tokens", "auto") == "auto" else p["max_tokens"],
                p.get("prompting_target"),
                p.get("reasoning_effort"),
            ),
        )
        for name, p in sorted(lock["deck"]["presets"].items())
    ]
    choices = [
        (kind, (c["kind"], c["target"]))
        for kind, c in sorted(lock["choices"].items())
        if c["target"] is not None
    ]
    aliases = tuple(sorted(lock["deck"]["aliases"]))
    presets_names = [name for name, _ in presets]
    models = {m for _, m, _ in specs}
    types = TypeViews(
        handle=literal_type(
            [
                *models,
                *aliases,
                *(f"@{a}" for a in aliases),
                *(f"alias:{a}" for a in aliases),
                *(f"${p}" for p in presets_names),
                *(f"preset:{p}" for p in presets_names),
            ]
        ),
        preset=literal_type(presets_names),
        profile=literal_type(lock["profiles"]),
        backend=literal_type(lock["backends"]),
    )
    return RuntimeView(
        lock_sha256=lock_sha256,
        active_profile=lock["active_profile"],
        profiles=tuple(sorted(lock["profiles"])),
        aliases=aliases,
        backends=[(name, dict(b)) for name, b in sorted(lock["backends"].items())],
        specs=specs,
        handles=handles,
        presets=presets,
        preset_handles=preset_handles,
        choices=choices,
        types=types,
    )
