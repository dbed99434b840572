"""Tests for compiler.sources.positions: exact positions on small documents, and a property test
that the paths found are exactly the paths tomli produces."""

import datetime
import random
import re
from pathlib import Path
from typing import Any

import pytest
import tomli
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.sources.positions import key_positions

PIPELEX_DIR = Path(__file__).resolve().parent.parent / ".pipelex"


def positions(text: str) -> dict[tuple[str | int, ...], tuple[int, int]]:
    tomli.loads(text)  # the inputs must be valid TOML
    return key_positions(text)


# --- keys and tables -------------------------------------------------------------------------


def test_top_level_keys() -> None:
    assert positions("a = 1\n  b = true\n") == {("a",): (1, 1), ("b",): (2, 3)}


def test_table_header_and_implicit_parents() -> None:
    text = 'x = 1\n\n[a.b."c.d"]\nk = "v"\n'
    assert positions(text) == {
        ("x",): (1, 1),
        ("a",): (3, 1),
        ("a", "b"): (3, 1),
        ("a", "b", "c.d"): (3, 1),
        ("a", "b", "c.d", "k"): (4, 1),
    }


def test_header_with_spaces_around_keys() -> None:
    assert positions('[ a . "b" ]\n  k = 1\n') == {
        ("a",): (1, 1),
        ("a", "b"): (1, 1),
        ("a", "b", "k"): (2, 3),
    }


def test_implicit_parent_keeps_first_position() -> None:
    text = "[a.b]\nx = 1\n[a]\ny = 2\n"
    assert positions(text) == {
        ("a",): (1, 1),
        ("a", "b"): (1, 1),
        ("a", "b", "x"): (2, 1),
        ("a", "y"): (4, 1),
    }


def test_dotted_keys() -> None:
    text = "[t]\na.b.c = 1\na.d = 2\n"
    assert positions(text) == {
        ("t",): (1, 1),
        ("t", "a"): (2, 1),
        ("t", "a", "b"): (2, 1),
        ("t", "a", "b", "c"): (2, 1),
        ("t", "a", "d"): (3, 1),
    }


def test_quoted_keys_are_decoded() -> None:
    text = '"caf\\u00e9" = 1\n"q\\"t" = 2\n"b\\\\s" = 3\n\'x.y\' = 4\n"\\U0001F600" = 5\n'
    assert positions(text) == {
        ("café",): (1, 1),
        ('q"t',): (2, 1),
        ("b\\s",): (3, 1),
        ("x.y",): (4, 1),
        ("\U0001f600",): (5, 1),
    }


def test_quoted_keys_match_tomli() -> None:
    text = '"a\\tb" = 1\n"\\e\\x41" = 2\n"" = 3\n\'\\t\' = 4\n"sp ace"."é" = 5\n'
    assert set(positions(text)) == set(_paths(tomli.loads(text)))


def test_unicode_columns_count_code_points() -> None:
    assert positions('"é" = "ü"\nkey = { "€" = 1, b = 2 }\n')[("key", "b")] == (2, 18)


# --- inline tables and arrays ----------------------------------------------------------------


def test_inline_tables() -> None:
    text = "[s]\nk = { x = 1, y = { z = 2 } }\n"
    assert positions(text) == {
        ("s",): (1, 1),
        ("s", "k"): (2, 1),
        ("s", "k", "x"): (2, 7),
        ("s", "k", "y"): (2, 14),
        ("s", "k", "y", "z"): (2, 20),
    }


def test_inline_table_over_many_lines() -> None:
    text = "k = {\n  x = 1, # one\n  y.z = 2,\n}\n"
    assert positions(text) == {
        ("k",): (1, 1),
        ("k", "x"): (2, 3),
        ("k", "y"): (3, 3),
        ("k", "y", "z"): (3, 3),
    }


def test_arrays() -> None:
    text = 'k = ["a", { x = 1 }, [1,2]]\n'
    assert positions(text) == {
        ("k",): (1, 1),
        ("k", 0): (1, 6),
        ("k", 1): (1, 11),
        ("k", 1, "x"): (1, 13),
        ("k", 2): (1, 22),
        ("k", 2, 0): (1, 23),
        ("k", 2, 1): (1, 25),
    }


def test_array_over_many_lines_with_comments_and_trailing_comma() -> None:
    text = 'k = [ # start\n  1, # one, ]\n\n  # "x"\n  "two",\n  [ ],\n]\nnext = 0\n'
    assert positions(text) == {
        ("k",): (1, 1),
        ("k", 0): (2, 3),
        ("k", 1): (5, 3),
        ("k", 2): (6, 3),
        ("next",): (8, 1),
    }


def test_empty_containers() -> None:
    assert positions("a = []\nb = {}\n[c]\n") == {("a",): (1, 1), ("b",): (2, 1), ("c",): (3, 1)}


def test_arrays_of_tables() -> None:
    text = '[[t]]\nk = 1\n[[t]]\n[t.sub]\nx = 2\n[[t.list]]\ny = "3"\n[[t]]\n'
    assert positions(text) == {
        ("t",): (1, 1),
        ("t", 0): (1, 1),
        ("t", 0, "k"): (2, 1),
        ("t", 1): (3, 1),
        ("t", 1, "sub"): (4, 1),
        ("t", 1, "sub", "x"): (5, 1),
        ("t", 1, "list"): (6, 1),
        ("t", 1, "list", 0): (6, 1),
        ("t", 1, "list", 0, "y"): (7, 1),
        ("t", 2): (8, 1),
    }


# --- strings, scalars, line endings ----------------------------------------------------------


def test_strings_with_quotes_and_hashes_are_skipped() -> None:
    text = (
        'a = "x \\" # ] , }"\n'
        "b = 'c:\\ # \"'\n"
        'c = """\nline " and "" # \\"""\nend \\\n   more""""\n'
        "d = '''\n' and '' # [\n'''''\n"
        "e = 1\n"
    )
    assert positions(text) == {
        ("a",): (1, 1),
        ("b",): (2, 1),
        ("c",): (3, 1),
        ("d",): (7, 1),
        ("e",): (10, 1),
    }


def test_strings_in_arrays_and_inline_tables() -> None:
    text = 'k = ["]", \'}\', """,\n]""", { s = "}", t = 1 }]\n'
    assert positions(text) == {
        ("k",): (1, 1),
        ("k", 0): (1, 6),
        ("k", 1): (1, 11),
        ("k", 2): (1, 16),
        ("k", 3): (2, 7),
        ("k", 3, "s"): (2, 9),
        ("k", 3, "t"): (2, 18),
    }


def test_scalars_are_skipped() -> None:
    text = (
        "d = 1979-05-27 07:32:00Z # comment\n"
        "l = [1979-05-27, 07:32:00, 1979-05-27T07:32:00.5-07:00, 1979-05-27 00:00]\n"
        "n = [+1_000, -0.5e3, inf, nan, 0xff, true, false]\n"
        "z = 0\n"
    )
    found = positions(text)
    assert found[("d",)] == (1, 1)
    assert [found[("l", i)] for i in range(4)] == [(2, 6), (2, 18), (2, 28), (2, 57)]
    assert [found[("n", i)][1] for i in range(7)] == [6, 14, 22, 27, 32, 38, 44]
    assert found[("z",)] == (4, 1)
    assert set(found) == set(_paths(tomli.loads(text)))


def test_windows_line_endings() -> None:
    text = "a = 1\r\n[t]\r\n  b = [\r\n  1,\r\n]\r\n"
    assert positions(text) == {
        ("a",): (1, 1),
        ("t",): (2, 1),
        ("t", "b"): (3, 3),
        ("t", "b", 0): (4, 3),
    }


def test_byte_order_mark_is_ignored() -> None:
    assert key_positions("\ufeffa = 1\nb = 2\n") == {("a",): (1, 1), ("b",): (2, 1)}


def test_empty_document() -> None:
    assert positions("") == {}
    assert positions("# only a comment\n\n") == {}


def test_large_document_positions_stay_exact() -> None:
    block = (
        '\n[models."claude-4.5-sonnet"]\n'
        'model_id = "claude-sonnet-4-5"  # pinned\n'
        'inputs = ["text", "images"]\n'
        "costs = { input = 3.0, output = 15.0 }\n"
        'description = """\nA model.\n"""\n'
    )
    text = "[models]\n" + "".join(block.replace("sonnet", f"sonnet-{i}") for i in range(8_000))
    assert len(text) > 1_000_000
    found = key_positions(text)
    assert found[("models", "claude-4.5-sonnet-7999", "description")] == (7_999 * 8 + 7, 1)
    assert len(found) == 1 + 8_000 * 9


# --- property test: the paths found are exactly tomli's paths -----------------------------------

KEYS = ["a", "b", "x-1", "a.b", "sp ace", 'q"t', "x'y", "back\\slash", "é", "€ ü", "", "#", "[t]"]
STRING_CHARS = st.sampled_from([*list("ab \"'\\#[]{},=.\n\té€"), "'''", '"""'])
SCALARS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=True),
    st.sampled_from(
        [
            datetime.datetime(1979, 5, 27, 7, 32, tzinfo=datetime.UTC),
            datetime.datetime(1979, 5, 27, 7, 32, 0, 500000),
            datetime.date(1979, 5, 27),
            datetime.time(7, 32),
        ]
    ),
    st.lists(STRING_CHARS, max_size=8).map("".join),
)


def _values(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=4),
    )


VALUES = st.recursive(SCALARS, _values, max_leaves=20)
DOCUMENTS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6)


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every nested dict key and list index of a parsed document, as paths."""
    items: list[tuple[str | int, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    found: list[tuple[str | int, ...]] = []
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


class _Writer:
    """A small TOML serializer that picks its layout at random: headers, arrays of tables,
    dotted keys, inline tables, all four string kinds, comments and multi-line arrays."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.lines: list[str] = []

    def key(self, key: str) -> str:
        if re.fullmatch(r"[A-Za-z0-9_-]+", key) and self.rnd.random() < 0.7:
            return key
        if "'" not in key and "\\" not in key and self.rnd.random() < 0.5:
            return f"'{key}'"
        return self.basic(key)

    def basic(self, text: str) -> str:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        escaped = escaped.replace("\n", "\\n").replace("\t", "\\t")
        return '"' + "".join(self.maybe_unicode_escape(char) for char in escaped) + '"'

    def maybe_unicode_escape(self, char: str) -> str:
        if char.isascii() or self.rnd.random() < 0.5:
            return char
        return f"\\u{ord(char):04x}"

    def string(self, text: str) -> str:
        kind = self.rnd.randrange(4)
        if kind == 1 and not re.search("['\n]", text):
            return f"'{text}'"
        if kind == 2:
            body = text.replace("\\", "\\\\").replace('"', '\\"')
            continuation = "\\\n   " if text and not text[0].isspace() else ""
            return '"""\n' + continuation + body + '"""'
        if kind == 3 and "'''" not in text and not text.endswith("'"):
            return "'''\n" + text + "'''"
        return self.basic(text)

    def scalar(self, value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return repr(value)  # also "inf", "-inf" and "nan", as TOML spells them
        if isinstance(value, datetime.datetime):
            return value.isoformat(sep=self.rnd.choice(" T")).replace("+00:00", "Z")
        if isinstance(value, (int, datetime.date, datetime.time)):
            return str(value)
        assert isinstance(value, str)
        return self.string(value)

    def value(self, value: Any) -> str:
        if isinstance(value, dict):
            items = [f"{self.key(k)} = {self.value(v)}" for k, v in value.items()]
            if self.rnd.random() < 0.3:
                return "{\n  " + ", # c\n  ".join(items) + ",\n}" if items else "{ }"
            return "{ " + ", ".join(items) + " }"
        if isinstance(value, list):
            items = [self.value(v) for v in value]
            if self.rnd.random() < 0.3:
                return "[ # start\n" + "".join(f"  {item}, # x\n\n" for item in items) + "]"
            return "[" + ", ".join(items) + "]"
        return self.scalar(value)

    def table(self, path: list[str], table: dict[str, Any]) -> None:
        later: list[tuple[str, Any]] = []
        for key, value in table.items():
            is_table_array = (
                isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
            )
            if (isinstance(value, dict) or is_table_array) and self.rnd.random() < 0.6:
                later.append((key, value))
            elif isinstance(value, dict) and value and self.rnd.random() < 0.5:
                self.dotted([self.key(key)], value)
            else:
                self.lines.append(f"{self.key(key)} = {self.value(value)}  # {key!r}")
        for key, value in later:
            name = ".".join([*path, self.key(key)])
            for element in value if isinstance(value, list) else [value]:
                brackets = ("[[", "]]") if isinstance(value, list) else ("[", "]")
                self.lines.append(f"\n{brackets[0]}{name}{brackets[1]}")
                self.table([*path, self.key(key)], element)

    def dotted(self, prefix: list[str], table: dict[str, Any]) -> None:
        for key, value in table.items():
            if isinstance(value, dict) and value and self.rnd.random() < 0.5:
                self.dotted([*prefix, self.key(key)], value)
            else:
                dotted = self.rnd.choice([".", " . "]).join([*prefix, self.key(key)])
                self.lines.append(f"{dotted} = {self.value(value)}")


def _dump(document: dict[str, Any], rnd: random.Random) -> str:
    writer = _Writer(rnd)
    writer.table([], document)
    text = "\n".join([*writer.lines, ""])
    return text.replace("\n", "\r\n") if rnd.random() < 0.3 else text


def _assert_positions_inside(
    text: str, found: dict[tuple[str | int, ...], tuple[int, int]]
) -> None:
    """Each position is on a character that can start a header, a key or a value."""
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
    for path, (line, column) in found.items():
        assert 1 <= line <= len(lines), path
        assert 1 <= column <= len(lines[line - 1]), path
        char = lines[line - 1][column - 1]
        if isinstance(path[-1], str):
            assert re.fullmatch(r"[\[\"'A-Za-z0-9_-]", char), path
        else:
            assert char not in " \t\r#,=]}", path


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS, st.randoms(use_true_random=False))
def test_paths_match_tomli(document: dict[str, Any], rnd: random.Random) -> None:
    text = _dump(document, rnd)
    parsed = tomli.loads(text)
    found = key_positions(text)
    assert set(found) == set(_paths(parsed))
    _assert_positions_inside(text, found)


# --- real configuration files ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    sorted(PIPELEX_DIR.rglob("*.toml")) or [pytest.param(None, marks=pytest.mark.skip("no files"))],
)
def test_pipelex_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = key_positions(text)
    assert set(found) == set(_paths(tomli.loads(text)))
    _assert_positions_inside(text, found)
