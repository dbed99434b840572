"""Compare deckc's answers with Pipelex's own (recorded by ``tools/pipelex_answers.py`` and
``tools/pipelex_answers_010.py``).

Every served (model type, handle), alias, waterfall, preset and choice of one profile is asked of
the generated runtime and compared with what Pipelex answered; a difference is one line saying
what was asked and both answers.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import uuid
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

from compiler.core.ir import Dialect, ModelType
from compiler.emit.origin import Origin
from compiler.pipeline import Build, compile_dir, compile_sources
from compiler.sources.load import SourceFile, load_sources


def import_generated(out_dir: Path) -> ModuleType:
    """Import ``out_dir`` as a fresh package (unique name) and return its ``deck`` module."""
    name = f"deckc_generated_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(
        name, out_dir / "__init__.py", submodule_search_locations=[str(out_dir)]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return importlib.import_module(f"{name}.deck")


def recorded_profiles(answers_file: Path, label: str) -> dict[str, Any]:
    """Pipelex's answers for the directory recorded as ``label``, by profile."""
    profiles: dict[str, Any] = json.loads(answers_file.read_text())["directories"][label][
        "profiles"
    ]
    return profiles


def compiled(config_dir: Path, active: str | None = None) -> Build:
    """The compile of ``config_dir``; with ``active``, as if its files made that profile active
    (as Pipelex is booted under each profile in turn)."""
    origin = Origin.of(config_dir, config_dir.parent / "out")
    if active is None:
        return compile_dir(config_dir, origin)
    sources = load_sources(config_dir)
    return compile_sources(replace(sources, routing=_with_active(sources.routing, active)), origin)


def _with_active(file: SourceFile, active: str) -> SourceFile:
    """``file`` (routing profiles, with its override) naming ``active`` the active profile."""
    overlay = file.overlay
    if overlay is not None and "active" in overlay.data:
        overlay = _with_active(overlay, active)
    return replace(file, data={**file.data, "active": active}, overlay=overlay)


def imported(build: Build, out: Path) -> ModuleType:
    """The generated runtime of ``build``, written under ``out`` and imported fresh."""
    for rel, text in build.files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    return import_generated(out)


def _outcome(call: Any, *args: str) -> tuple[str | None, str | None]:
    """(model, backend) of a runtime answer, (None, None) where the runtime refuses it."""
    try:
        record = call(*args)
    except KeyError:  # the runtime's look-up errors are KeyErrors
        return None, None
    return record.model, record.backend


def _expected(answer: dict[str, Any]) -> tuple[str | None, str | None]:
    if "error" in answer:
        return None, None
    return answer["model"], answer["backend"]


_TARGET_FIELDS = ("model", "llm_handle")
# Preset fields a Pipelex setting leaves unset (None) for the call to take from the model's spec:
# deckc's record holds the value the call uses (compiler/emit/views.py FROM_SPEC).
_FROM_SPEC = ("prompting_target",)


def differences(
    build: Build, deck: ModuleType, profile: str, recorded: dict[str, Any]
) -> list[str]:
    """Every answer of ``profile`` on which deckc and Pipelex (``recorded``) differ."""
    found: list[str] = []

    def same(what: str, ours: object, theirs: object) -> None:
        if isinstance(ours, dict) and isinstance(theirs, dict):  # one line per differing key
            for key in sorted(ours.keys() | theirs.keys()):
                same(f"{what} {key}", ours.get(key), theirs.get(key))
        elif ours != theirs:
            found.append(f"{what}: deckc {ours!r}, Pipelex {theirs!r}")

    def fields(what: str, record: Any, setting: dict[str, Any]) -> None:
        for field, value in setting.items():
            if field in _TARGET_FIELDS:  # the model reached is compared on its own
                continue
            ours = getattr(record, field, "(no such field)")
            if value is None and field in _FROM_SPEC and ours == getattr(record.spec, field, None):
                continue  # the setting leaves it to the model, whose value deckc records
            same(f"{what}.{field}", ours, value)

    for model_type, answers in recorded["types"].items():
        ours = build.lock.profiles[profile].answers.get(ModelType(model_type))
        routing = ours.routing if ours is not None else {}  # no model of that type declared
        served = {h: r.backend for h, r in routing.items() if r.backend is not None}
        same(f"{model_type} served", served, answers["served"])
        # Pipelex 0.10 has no explicit forms: its answer for an alias is the lookup of the bare
        # name (a served model of that name first); 0.92's tool asks the alias itself
        alias_sigil = "" if build.lock.dialect == Dialect.PIPELEX_0_10 else "@"
        for sigil, table in ((alias_sigil, "aliases"), ("~", "waterfalls")):
            for name, answer in answers.get(table, {}).items():
                got = _outcome(deck.resolve, f"{sigil}{name}", profile, model_type)
                same(f"{model_type} {table} {name}", got, _expected(answer))
        for name, answer in answers.get("presets", {}).items():
            got = _outcome(deck.preset, name, profile, model_type)
            same(f"{model_type} preset {name}", got, _expected(answer))
            if got[0] is not None:
                record = deck.preset(name, profile, model_type)
                fields(f"{model_type} preset {name}", record, answer["settings"])
        for kind, answer in answers.get("choices", {}).items():
            got = _outcome(deck.choice, kind, profile, model_type)
            same(f"{model_type} choice {kind}", got, _expected(answer))
            if got[0] is not None and "setting" in answer:
                record = deck.choice(kind, profile, model_type)
                fields(f"{model_type} choice {kind}", record, answer["setting"])
    return found
