"""Hostile names: model, alias, preset, profile names and option values with quotes, backslashes,
newlines, control characters, unicode, Python keywords or template syntax are data, never code:
the generated package imports, resolves them, runs nothing, and passes ruff and mypy --strict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from compiler.emit.write import write_outputs
from compiler.pipeline import compile_dir
from conformance.compare import import_generated
from fuzz.configs import toml_document
from tests.conftest import ROOT

HOSTILE = [
    'quote"d',
    "single'quote",
    "back\\slash\\",
    "new\nline",
    "carriage\rreturn",
    "tab\there",
    "ünï-cödé 日本語 🙂",
    "class",
    "None",
    "__import__('os').system('touch PWNED')",
    "'); import os; os.system('touch PWNED'); ('",
    '"); import os; os.system("touch PWNED"); ("',
    "{{ 7 * 7 }}",
    "{% for x in range(3) %}x{% endfor %}",
    "{# comment #}",
    '"""',
    "'''",
    "\x01\x1b[31mred\x7f",
    "\u2028\u2029\x85\x0b\x0c",
    "# type: ignore",
    "\\N{BULLET}\\u0041\\x41",
    "\ufeffbom",
    "\u0440\u0430\u0443\u0440\u0430l",  # Cyrillic look-alikes of "paypal"
    "\u202egnp.exe",  # a right-to-left override
    "zero\u200bwidth nb\xa0sp",
    "x" * 300,
]


QUOTED_PROFILE = HOSTILE[15] + "\n" + HOSTILE[16] + "\\"  # names a module of answers


def hostile_config() -> dict[str, dict[str, Any]]:
    models = {
        name: {"model_id": name, "description": name, "display_name": name, "x-note": [name]}
        for name in HOSTILE
    }
    profile = HOSTILE[0] + "\n" + HOSTILE[13]
    return {
        "backends.toml": {
            "x": {
                "api_key": "${K}",
                "display_name": HOSTILE[12],
                "region": HOSTILE[10],
                "note": "\n".join(HOSTILE),
            }
        },
        "backends/x.toml": {"models": models},
        "routing_profiles.toml": {
            "active": profile,
            "profiles": {
                profile: {"default": "x", "description": HOSTILE[13]},
                "plain": {},
                QUOTED_PROFILE: {"default": "x"},
            },
        },
        "deck/base_deck.toml": {
            "aliases": {f"alias {name}": name for name in HOSTILE}
            | {"chain": [f"alias {name}" for name in HOSTILE]},
            "llm_presets": {
                f"preset {name}": {"llm_handle": f"@alias {name}", "description": name}
                for name in HOSTILE
            },
            "llm_choice_defaults": {"for_text": f"preset {HOSTILE[13]}"},
        },
    }


def hostile_config_92() -> dict[str, dict[str, Any]]:
    """The same names in Pipelex's current layout: handles of two model types (the `handle`
    key), aliases, waterfalls and presets in typed namespaces."""
    models: dict[str, Any] = {"defaults": {"sdk": "s"}}
    for i, name in enumerate(HOSTILE):
        models[name] = {"model_id": name}
        models[f"img {i}"] = {"handle": name, "model_type": "img_gen", "model_id": name}
    profile = HOSTILE[0] + "\n" + HOSTILE[13]
    aliases = {f"alias {name}": name for name in HOSTILE}
    chain = [f"@alias {name}" for name in HOSTILE]
    return {
        "backends.toml": {"x": {"api_key": "${env:K|secret:" + "L}", "note": HOSTILE[10]}},
        "backends/x.toml": models,
        "routing_profiles.toml": {
            "active": profile,
            "profiles": {
                profile: {"default": "x", "description": HOSTILE[13]},
                "plain": {"description": HOSTILE[14]},
                QUOTED_PROFILE: {"description": HOSTILE[16], "default": "x"},
            },
        },
        "deck/1_deck.toml": {
            "llm": {
                "aliases": aliases,
                "waterfalls": {f"chain {HOSTILE[3]}": chain},
                "presets": {
                    f"preset {name}": {"model": f"@alias {name}", "temperature": 0.5}
                    for name in HOSTILE
                },
                "choice_defaults": {
                    "default_temperature": 0.5,
                    "for_text": f"$preset {HOSTILE[13]}",
                    "for_object": f"~chain {HOSTILE[3]}",
                },
            },
            "extract": {"choice_default": HOSTILE[0]},
            "img_gen": {
                "default_quality": "low",
                "choice_default": f"~chain {HOSTILE[3]}",
                "aliases": aliases,
                "waterfalls": {f"chain {HOSTILE[3]}": chain},
                "presets": {
                    f"preset {name}": {"model": f"@alias {name}", "quality": "high"}
                    for name in HOSTILE
                },
            },
            "search": {"choice_default": HOSTILE[0]},
        },
    }


LAYOUTS = {"pipelex-0.10": hostile_config, "pipelex-0.92": hostile_config_92}


@pytest.fixture(scope="module", params=sorted(LAYOUTS))
def layout(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def generated(layout: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    for rel, data in LAYOUTS[layout]().items():
        (root / "config" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "config" / rel).write_text(toml_document(data), encoding="utf-8")
    out = root / "generated"
    write_outputs(out, compile_dir(root / "config").files)
    return out


@pytest.fixture(scope="module")
def deck(generated: Path) -> ModuleType:
    cwd = Path.cwd()
    os.chdir(generated.parent)  # where a `touch PWNED` would land
    try:
        return import_generated(generated)
    finally:
        os.chdir(cwd)


def test_hostile_names_resolve_as_plain_data(
    deck: ModuleType, generated: Path, layout: str
) -> None:
    if layout == "pipelex-0.92":
        return _current_layout_resolves(deck, generated)
    profile = HOSTILE[0] + "\n" + HOSTILE[13]
    assert profile == deck.ACTIVE_PROFILE
    for name in HOSTILE:
        for handle in (name, f"alias {name}", f"@alias {name}"):
            record = deck.resolve(handle)
            assert (record.model, record.model_id, record.backend) == (name, name, "x")
            assert (record.spec.description, record.spec.extensions["x-note"]) == (name, (name,))
        record = deck.preset(f"preset {name}")
        assert record.model == name
        assert deck.resolve(f"$preset {name}") is record
    assert deck.resolve("chain").path == ("chain", f"alias {HOSTILE[0]}", HOSTILE[0])
    assert deck.choice("for_text").model == HOSTILE[13]
    assert deck.resolve(HOSTILE[3], QUOTED_PROFILE).profile == QUOTED_PROFILE
    backend = deck.backend("x")
    assert (backend.display_name, backend.options["region"]) == (HOSTILE[12], HOSTILE[10])
    assert backend.options["note"] == "\n".join(HOSTILE)
    assert not (generated.parent / "PWNED").exists()
    assert not (ROOT / "PWNED").exists()


def _current_layout_resolves(deck: ModuleType, generated: Path) -> None:
    assert HOSTILE[0] + "\n" + HOSTILE[13] == deck.ACTIVE_PROFILE
    chain = f"~chain {HOSTILE[3]}"
    for name in HOSTILE:
        for model_type in ("llm", "img_gen"):
            for handle in (name, f"@alias {name}", f"alias:alias {name}"):
                record = deck.resolve(handle, model_type=model_type)
                assert (record.model, record.model_id, record.model_type) == (
                    name,
                    name,
                    model_type,
                )
        image = deck.preset(f"preset {name}", model_type="img_gen")
        assert (image.model, image.quality, image.temperature) == (name, "high", None)
        assert deck.resolve(f"$preset {name}", model_type="img_gen") is image
    for model_type in ("llm", "img_gen"):
        assert deck.resolve(chain, model_type=model_type).path == (
            f"chain {HOSTILE[3]}",
            f"alias {HOSTILE[0]}",
            HOSTILE[0],
        )
    text = deck.choice("for_text")
    assert (text.model, text.temperature) == (HOSTILE[13], 0.5)
    assert deck.resolve(HOSTILE[3], QUOTED_PROFILE).profile == QUOTED_PROFILE
    assert deck.choice("choice_default", model_type="img_gen").quality == "low"
    assert not (generated.parent / "PWNED").exists()


def test_hostile_names_in_lookups_of_unknown_handles(deck: ModuleType) -> None:
    for name in HOSTILE:
        with pytest.raises(deck.LLMHandleNotFoundError):
            deck.resolve(name + "?")


def run_tool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_generated_code_with_hostile_names_passes_ruff(generated: Path) -> None:
    for module in [*generated.glob("*.py"), *generated.glob("*.pyi")]:
        assert module.read_text(encoding="utf-8").isascii(), module.name  # nothing invisible
    config = str(ROOT / "pyproject.toml")
    check = run_tool("ruff", "check", "--no-cache", "--config", config, ".", cwd=generated)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = run_tool(
        "ruff", "format", "--check", "--no-cache", "--config", config, ".", cwd=generated
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.mypy
def test_generated_code_with_hostile_names_passes_mypy_strict(generated: Path) -> None:
    (generated.parent / "use.py").write_text(
        "from generated import deck\n"
        f"deck.resolve({HOSTILE[3]!r})\n"
        f"deck.resolve({'alias ' + HOSTILE[13]!r})\n"
        f"deck.preset({'preset ' + HOSTILE[6]!r}, profile='plain')\n"
        "deck.resolve('not-a-handle')\n"
    )
    result = run_tool(
        "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null", "generated",
        "use.py", cwd=generated.parent,
    )  # fmt: skip
    lines = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(lines) == 1, result.stdout
    assert lines[0].startswith('use.py:5: error: No overload variant of "resolve" matches argument')
