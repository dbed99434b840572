"""Configurations for fuzzing: seeds, random ones (hypothesis strategies), mutations, archives.

A configuration is a ``{relative path: bytes}`` map of one inference directory.  The fuzzers
feed these through the real loader (written to a scratch directory) and the whole compile.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

Files = dict[str, bytes]
ROOT = Path(__file__).resolve().parent.parent

# --- seeds ---------------------------------------------------------------------------------------


def read_config(directory: Path) -> Files:
    """Every TOML file of an inference directory."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*.toml"))
        if p.is_file()
    }


def seed_configs() -> list[Files]:
    """The shipped examples (both layouts) and every golden case's configuration."""
    dirs = [ROOT / ".pipelex" / "inference", ROOT / "examples" / "pipelex-0.92" / "inference"]
    dirs += sorted(p / "inference" for p in (ROOT / "tests" / "cases").iterdir())
    return [read_config(d) for d in dirs if d.is_dir()]


# --- archives: one byte string per configuration, for byte-level fuzzers -------------------------

_MARK = b"\n#%% "
_SAFE_PATH = re.compile(
    r"((backends|routing_profiles)(_override)?\.toml"
    r"|(backends|deck)/[A-Za-z0-9_][A-Za-z0-9_.-]{0,40}\.toml"
    r"|deck/[A-Za-z0-9_]{1,20}/[A-Za-z0-9_][A-Za-z0-9_.-]{0,40}\.toml)"
)


def pack(files: Mapping[str, bytes]) -> bytes:
    return b"".join(_MARK + path.encode() + b"\n" + data for path, data in sorted(files.items()))


def unpack(blob: bytes) -> Files:
    """The files of an archive; sections whose path is not a plausible source path are dropped
    (so nothing is ever written outside the scratch directory)."""
    files: Files = {}
    for section in blob.split(_MARK)[1:]:
        head, _, data = section.partition(b"\n")
        path = head.decode("utf-8", "replace")
        if _SAFE_PATH.fullmatch(path) and ".." not in path:
            files.setdefault(path, data)
    return files


# --- TOML text ----------------------------------------------------------------------------------

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def toml_key(key: str) -> str:
    return key if _BARE.fullmatch(key) else toml_string(key)


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but DEL must be escaped too."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value).replace("e+", "e")
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value).__name__)


def toml_document(data: Mapping[str, Any]) -> str:
    """``data`` as TOML: scalars and arrays inline, tables as ``[headers]``."""
    lines: list[str] = []
    _emit_table(data, (), lines)
    return "\n".join(lines) + "\n"


def _emit_table(table: Mapping[str, Any], path: tuple[str, ...], lines: list[str]) -> None:
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    for key, value in table.items():
        if key not in tables:
            lines.append(f"{toml_key(key)} = {toml_value(value)}")
    for key, value in tables.items():
        sub = (*path, key)
        lines.append(f"[{'.'.join(toml_key(k) for k in sub)}]")
        _emit_table(value, sub, lines)


# --- random configurations ----------------------------------------------------------------------

HOSTILE = [
    'quote"d',
    "back\\slash",
    "new\nline",
    "ünï-cödé",
    "class",
    "{{ x }}",
    "{% if %}",
    '"""',
    "tab\tand\x01ctl",
    "../x",
    "",
    " ",
    "*",
    "@",
    "$",
    "alias:",
    "preset:x",
]
backend_names = st.sampled_from(["a", "b", "openai", "c_2"]) | st.sampled_from(
    ["Bad-Name", "../x", "a/b", "", "a.b"]
)
model_names = st.sampled_from(["m1", "m2", "gpt-4o", "claude-4.1-opus", "org/m:v"]) | st.text(
    max_size=8
)
profile_names = st.sampled_from(["p", "q", "all"])
junk: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(HOSTILE),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def sometimes_junk(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``good``, one time in eight a value of any type."""
    return st.integers(0, 7).flatmap(lambda n: junk if n == 0 else good)


def _drop_none(value: Any) -> Any:
    """TOML has no null: None values (from junk) are left out."""
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value if v is not None]
    return value


def _backend_tables(
    draw: st.DrawFn, backends: list[str], options: dict[str, st.SearchStrategy[Any]]
) -> dict[str, Any]:
    """backends.toml: each backend with some of ``options`` (and `enabled`, now and then junk)."""
    optional = {"enabled": sometimes_junk(st.booleans()), **options}
    return {b: draw(st.fixed_dictionaries({}, optional=optional)) for b in dict.fromkeys(backends)}


@st.composite
def configs(draw: st.DrawFn) -> Files:
    """A random configuration: mostly well-formed, with wrong types, dangling references, bad
    names and hostile strings mixed in."""
    backends = draw(st.lists(backend_names, min_size=1, max_size=3, unique=True))
    models = draw(st.lists(model_names, min_size=1, max_size=5, unique=True))
    files: dict[str, Any] = {}
    files["backends.toml"] = _backend_tables(
        draw,
        backends,
        {
            "api_key": sometimes_junk(st.sampled_from(["${K}", "${K:-d}", "${", "x"])),
            "display_name": sometimes_junk(st.sampled_from(HOSTILE)),
            "region_opt": sometimes_junk(st.sampled_from(HOSTILE)),
            "enabeld": st.booleans(),
        },
    )
    spec = st.fixed_dictionaries(
        {},
        optional={
            "max_tokens": sometimes_junk(st.integers(1, 100_000)),
            "costs": sometimes_junk(
                st.fixed_dictionaries({"input": st.floats(0, 100), "output": st.floats(0, 100)})
            ),
            "sdk": sometimes_junk(st.sampled_from(["openai", "anthropic"])),
            "model_id": sometimes_junk(st.sampled_from(HOSTILE)),
            "x-note": junk,
            "valued_constraints": st.fixed_dictionaries(
                {"fixed_temperature": sometimes_junk(st.floats(0, 1))}
            ),
            "cost": st.integers(),
        },
    )
    for b in backends:
        served = draw(st.lists(st.sampled_from(models), max_size=len(models), unique=True))
        tables = {m: draw(spec) for m in served}
        if draw(st.booleans()):
            files[f"backends/{b}.toml"] = {"models": tables}
        else:
            files[f"backends/{b}.toml"] = tables
    names = [*models, *backends]
    patterns = st.sampled_from(models) | st.sampled_from(["*", "gpt-*", "*-4o", "*4*", "a*b", "**"])
    profile = st.fixed_dictionaries(
        {},
        optional={
            "default": sometimes_junk(st.sampled_from(backends)),
            "routes": st.dictionaries(patterns, sometimes_junk(st.sampled_from(backends))),
            "optional_routes": st.dictionaries(patterns, st.sampled_from(backends)),
            "fallback_order": st.lists(sometimes_junk(st.sampled_from(backends)), max_size=3),
        },
    )
    profiles = draw(st.dictionaries(profile_names, profile, min_size=1, max_size=2))
    files["routing_profiles.toml"] = {
        "active": draw(sometimes_junk(st.sampled_from(sorted(profiles)))),
        "profiles": profiles,
    }
    alias_names = draw(st.lists(st.sampled_from(["x", "y", "z", "best", *models]), unique=True))
    handles = st.sampled_from([*alias_names, *models, *names, "nothing"]).flatmap(
        lambda h: st.sampled_from([h, f"@{h}", f"${h}", f"alias:{h}"])
    )
    deck: dict[str, Any] = {
        "aliases": {
            a: draw(sometimes_junk(handles | st.lists(handles, min_size=1, max_size=3)))
            for a in alias_names
        },
        "llm_presets": draw(
            st.dictionaries(
                st.sampled_from(["p1", "p2", "x"]),
                st.fixed_dictionaries(
                    {"llm_handle": sometimes_junk(handles)},
                    optional={
                        "temperature": sometimes_junk(st.floats(0, 1)),
                        "max_tokens": sometimes_junk(st.integers(1, 200_000) | st.just("auto")),
                    },
                ),
                max_size=3,
            )
        ),
        "llm_choice_defaults": draw(
            st.fixed_dictionaries({}, optional={"for_text": handles, "for_object": handles})
        ),
    }
    files["deck/base_deck.toml"] = deck
    if draw(st.booleans()):
        files["deck/overrides.toml"] = {
            "aliases": draw(st.dictionaries(st.sampled_from(alias_names or ["x"]), handles)),
            "llm_choice_overrides": draw(
                st.fixed_dictionaries({}, optional={"for_text": st.just("disabled")})
            ),
        }
    for path in draw(st.lists(st.sampled_from(sorted(files)), max_size=1)):
        del files[path]  # now and then a file is missing
    return {path: toml_document(_drop_none(data)).encode() for path, data in files.items()}


MODEL_TYPES = ("llm", "text_extractor", "img_gen", "search", "doc_gen", "judgment")
FAMILY_TABLES = ("llm", "extract", "img_gen", "search", "doc_gen", "judgment")


@st.composite
def current_configs(draw: st.DrawFn) -> Files:
    """A random configuration of Pipelex's current layout: model types and the `handle` key,
    [defaults], headers, override files, waterfalls (nested), sigil references, presets and
    choices of every family, with junk, dangling references and hostile strings mixed in."""
    backends = draw(st.lists(backend_names, min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        backends.append("internal")
    models = draw(st.lists(model_names, min_size=1, max_size=5, unique=True))
    files: dict[str, Any] = {}
    files["backends.toml"] = _backend_tables(
        draw,
        backends,
        {
            "api_key": sometimes_junk(
                st.sampled_from(["${K}", "${env:K|secret:L|M}", "${vault:K}", "${", "x"])
            ),
            "listed_constraints": sometimes_junk(st.just(["temperature_unsupported"])),
        },
    )
    spec = st.fixed_dictionaries(
        {"sdk": sometimes_junk(st.sampled_from(["openai", "mistral"]))},
        optional={
            "model_type": sometimes_junk(st.sampled_from(MODEL_TYPES)),
            "max_tokens": sometimes_junk(st.integers(1, 100_000)),
            "thinking_mode": sometimes_junk(st.sampled_from(["none", "manual", "adaptive"])),
            "x-portkey-provider": sometimes_junk(st.sampled_from(["@openai", " x", ""])),
            "max-tokens": st.integers(),
        },
    )
    for b in dict.fromkeys(backends):
        served = draw(st.lists(st.sampled_from(models), max_size=len(models), unique=True))
        tables: dict[str, Any] = {m: draw(spec) for m in served}
        twice: bool = draw(st.booleans())
        if served and twice:  # the same handle as a second model type
            tables[f"{served[0]}-2"] = {"handle": served[0], "model_type": "img_gen", "sdk": "s"}
        if draw(st.booleans()):
            tables["defaults"] = {"sdk": "openai"}
        files[f"backends/{b}.toml"] = tables
    patterns = st.sampled_from(models) | st.sampled_from(["*", "gpt-*", "*-4o", "*4*", "a*b", "**"])
    profile = st.fixed_dictionaries(
        {"description": sometimes_junk(st.sampled_from(HOSTILE))},
        optional={
            "default": sometimes_junk(st.sampled_from(backends)),
            "routes": st.dictionaries(patterns, sometimes_junk(st.sampled_from(backends))),
            "optional_routes": st.dictionaries(patterns, st.sampled_from(backends)),
            "fallback_order": st.lists(st.sampled_from([*backends, "nope"]), max_size=3),
        },
    )
    profiles = draw(st.dictionaries(profile_names, profile, min_size=1, max_size=2))
    files["routing_profiles.toml"] = {
        "active": draw(sometimes_junk(st.sampled_from(sorted(profiles)))),
        "profiles": profiles,
    }
    if draw(st.booleans()):
        files["routing_profiles_override.toml"] = {
            "profiles": {draw(st.sampled_from(sorted(profiles))): {"fallback_order": backends}}
        }
    names = st.sampled_from(["x", "y", "w", *models, "nothing", "disabled"])
    refs = st.tuples(st.sampled_from(["", "@", "~", "$", "handle:", "alias:"]), names).map("".join)

    def family(table: str) -> dict[str, Any]:
        deck: dict[str, Any] = {
            "aliases": draw(st.dictionaries(st.sampled_from(["x", "y"]), sometimes_junk(refs))),
            "waterfalls": draw(
                st.dictionaries(st.sampled_from(["w", "v"]), st.lists(refs, min_size=1, max_size=3))
            ),
            "presets": draw(
                st.dictionaries(
                    st.sampled_from(["p", "q"]),
                    st.fixed_dictionaries(
                        {"model": sometimes_junk(refs)},
                        optional={
                            "temperature": sometimes_junk(st.floats(0, 1)),
                            "quality": st.sampled_from(["low", "high"]),
                            "reasoning_effort": st.sampled_from(["high", "none", "huge"]),
                        },
                    ),
                    max_size=2,
                )
            ),
        }
        if table == "llm":
            deck["choice_defaults"] = {"default_temperature": 0.5, "for_text": draw(refs)}
            deck["choice_defaults"]["for_object"] = draw(refs)
        elif table == "doc_gen":
            deck["choice_defaults"] = {draw(st.sampled_from(["pdf.layout", "pptx.x"])): draw(refs)}
        else:
            deck["choice_default"] = draw(refs)
        if table == "img_gen":
            deck["default_quality"] = draw(sometimes_junk(st.sampled_from(["low", "medium"])))
        return deck

    for number, table in enumerate(FAMILY_TABLES):
        files[f"deck/{number + 1}_{table}.toml"] = {table: family(table)}
    if draw(st.booleans()):
        files["deck/sub/x_custom.toml"] = {
            "llm": {"choice_overrides": {"for_text": draw(refs), "for_object": "disabled"}}
        }
    for path in draw(st.lists(st.sampled_from(sorted(files)), max_size=1)):
        del files[path]  # now and then a file is missing
    return {path: toml_document(_drop_none(data)).encode() for path, data in files.items()}


# --- mutations ----------------------------------------------------------------------------------

TOKENS = [
    '"', "'", "[", "]", "{", "}", "=", ".", ",", "\n", "*", "${", "-1", "1e999", "nan", "true",
    "\\", '"""', "'''", "#", "[[x]]\n", "[models]\n", 'x = 1\n', '"../x"', "1979-05-27",
    "\t", "\r\n", "é", "\x00", "\x7f", "@", "$", "alias:", "auto", "disabled", "[" * 40,
]  # fmt: skip
Mutation = tuple[int, int, int, int]  # (operation, file, position, argument)
mutations = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 99), st.integers(0, 10**6), st.integers(0, 10**6)),
    min_size=1,
    max_size=4,
)


def mutate(files: Mapping[str, bytes], ops: Iterable[Mutation]) -> Files:
    """``files`` with each mutation applied: insert a token, delete a span, duplicate or swap
    lines, splice in a piece of another file, insert a random byte."""
    result = dict(files)
    names = sorted(result)
    if not names:
        return result
    for op, which, position, argument in ops:
        name = names[which % len(names)]
        data = result[name]
        at = position % (len(data) + 1)
        if op == 0:
            data = data[:at] + TOKENS[argument % len(TOKENS)].encode() + data[at:]
        elif op == 1:
            data = data[:at] + data[at + 1 + argument % 40 :]
        elif op in (2, 3):
            lines = data.split(b"\n")
            i, j = at % len(lines), argument % len(lines)
            if op == 2:
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
        elif op == 4:
            other = result[names[argument % len(names)]]
            start = argument % (len(other) + 1)
            data = data[:at] + other[start : start + 1 + argument % 60] + data[at:]
        else:
            data = data[:at] + bytes([argument % 256]) + data[at:]
        result[name] = data
    return result
