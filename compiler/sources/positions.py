"""Where every key, table and array element of a TOML document is written.

`key_positions` scans a document that tomli has already accepted and maps each key path (the
same keys and list indices tomli's result has) to the 1-based line and column where it first
appears. The scanner trusts the input: on invalid TOML the result is unspecified, and it may
raise, but it never loops forever.

Paths created implicitly share the position of the statement that created them: the `[` of a
header for `("a",)` in `[a.b]`, the first character of a dotted key for `("a",)` in `a.b = 1`.
"""

import re
from bisect import bisect_right
from functools import partial

__all__ = ["excess_position", "key_positions", "line_column"]

Path = tuple[str | int, ...]

# Every pattern below consumes one whole token and the blanks after it, so that the scanner makes
# about one regex call per key or value.
_BLANK = r"(?:[ \t\r\n]+|#[^\n]*)*"  # whitespace, newlines and comments
_BASIC = r'"(?:[^"\\\n]+|\\.)*"'
_LITERAL = r"'[^'\n]*'"
_ML_BASIC = r'"""(?:[^"\\]+|\\[\s\S]|"(?!""))*"{3,5}'  # up to two quotes may end the content
_ML_LITERAL = r"'''(?:[^']+|'(?!''))*'{3,5}"
_SCALAR = r"\d{4}-\d\d-\d\d[ ]\d\d:[^\s,\]}#]*|[^\s,\[\]{}#]+"  # a date-time may hold a space
_KEY = rf"(?P<bare>[A-Za-z0-9_-]+)|(?P<quoted>{_BASIC}|{_LITERAL})"
_SIMPLE = rf"(?:{_ML_BASIC}|{_BASIC}|{_ML_LITERAL}|{_LITERAL}|{_SCALAR}){_BLANK},?{_BLANK}"

_BLANKS = re.compile(_BLANK)
_KEY_PART = re.compile(rf"[ \t]*(?:{_KEY})[ \t]*(?P<dot>\.)?=?[ \t]*")  # and its "." or "="
_SIMPLE_VALUE = re.compile(_SIMPLE)
_SIMPLE_ENTRY = re.compile(rf"(?:{_KEY})[ \t]*=[ \t]*{_SIMPLE}")  # the common `key = 1`
_OPEN = re.compile(rf"[\[{{]{_BLANK}")
_CLOSE = re.compile(rf"[\]}}]{_BLANK},?{_BLANK}")
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|x[0-9A-Fa-f]{2}|.)")
_SIMPLE_ESCAPES = {
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    '"': '"',
    "\\": "\\",
}


def key_positions(text: str) -> dict[Path, tuple[int, int]]:
    """Map every key path of a valid TOML document to its 1-based (line, column)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    scanner = _Scanner(text)
    scanner.document()
    line_starts = [0] + [match.end() for match in re.finditer("\n", text)]
    offsets = list(scanner.found.values())
    lines = list(map(partial(bisect_right, line_starts), offsets))
    columns = [
        offset - line_starts[line - 1] + 1 for offset, line in zip(offsets, lines, strict=True)
    ]
    return dict(zip(scanner.found, zip(lines, columns, strict=True), strict=True))


def _key_name(match: re.Match[str]) -> str:
    """The decoded key of a match of `_KEY`."""
    bare: str | None = match.group("bare")
    if bare is not None:
        return bare
    quoted: str = match.group("quoted")
    if quoted.startswith("'"):
        return quoted[1:-1]
    return _ESCAPE.sub(_unescape, quoted[1:-1])


def _unescape(match: re.Match[str]) -> str:
    escape = match.group(1)
    if len(escape) > 1:
        return chr(int(escape[1:], 16))
    return _SIMPLE_ESCAPES[escape]


class _Scanner:
    """A cursor over the document that records the offset of each path it meets.

    `header`, `key_value` and `value` start on the first character of what they read and stop
    on the first character of what follows, past blanks, comments and a separating comma."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.found: dict[Path, int] = {}  # path -> offset of its first appearance
        self.table_arrays: dict[Path, int] = {}  # array of tables -> number of elements so far

    def consume(self, pattern: re.Pattern[str], what: str) -> re.Match[str]:
        match = pattern.match(self.text, self.pos)
        if match is None:
            raise ValueError(f"expected {what} at offset {self.pos}")
        self.pos = match.end()
        return match

    def document(self) -> None:
        table: Path = ()
        self.consume(_BLANKS, "blanks")
        while self.pos < len(self.text):
            if self.text[self.pos] == "[":
                table = self.header()
            else:
                self.key_value(table)

    def header(self) -> Path:
        """Read `[a.b]` or `[[a.b]]`; return the path of the table it opens."""
        start = self.pos
        is_array = self.text.startswith("[[", start)
        self.pos += 2 if is_array else 1
        keys = self.dotted_key()
        path: Path = ()
        for index, key in enumerate(keys):
            path += (key,)
            self.found.setdefault(path, start)
            is_last = index == len(keys) - 1
            if is_last and is_array:
                count = self.table_arrays.get(path, 0)
                self.table_arrays[path] = count + 1
                path += (count,)
                self.found.setdefault(path, start)
            elif not is_last and path in self.table_arrays:  # `[a.b]` after `[[a]]`
                path += (self.table_arrays[path] - 1,)
        self.pos += 2 if is_array else 1
        self.consume(_BLANKS, "blanks")
        return path

    def dotted_key(self) -> list[str]:
        """Read a key and the "=" after it, if any; return the decoded parts of the key."""
        keys: list[str] = []
        while True:
            match = self.consume(_KEY_PART, "a key")
            keys.append(_key_name(match))
            if match.group("dot") is None:
                return keys

    def key_value(self, table: Path) -> None:
        start = self.pos
        simple = _SIMPLE_ENTRY.match(self.text, start)
        if simple is not None:  # fast path: an undotted key and a scalar or string
            self.found.setdefault((*table, _key_name(simple)), start)
            self.pos = simple.end()
            return
        path = table
        for key in self.dotted_key():
            path += (key,)
            self.found.setdefault(path, start)
        self.value(path)

    def value(self, path: Path) -> None:
        char = self.text[self.pos]
        if char == "[":
            self.array(path)
        elif char == "{":
            self.inline_table(path)
        else:
            self.consume(_SIMPLE_VALUE, "a value")

    def array(self, path: Path) -> None:
        self.consume(_OPEN, "[")
        index = 0
        while self.text[self.pos] != "]":
            element = (*path, index)
            self.found.setdefault(element, self.pos)
            self.value(element)
            index += 1
        self.consume(_CLOSE, "]")

    def inline_table(self, path: Path) -> None:
        self.consume(_OPEN, "{")
        while self.text[self.pos] != "}":
            self.key_value(path)
        self.consume(_CLOSE, "}")


_NESTING_TOKEN = re.compile(
    rf"{_ML_BASIC}|{_BASIC}|{_ML_LITERAL}|{_LITERAL}|#[^\n]*|[\[\]{{}}.=,\n]"
)


def excess_position(text: str, limit: int) -> tuple[int, int] | None:
    """Where brackets and dotted-key parts first nest more than ``limit`` levels deep.

    A rough scan for error messages about documents too deep to scan: it skips strings and
    comments but checks no syntax, and it may also stop at the dot of a float. None when no
    place nests that deep."""
    depth = dots = 0
    for match in _NESTING_TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
        elif token in ("]", "}"):
            depth = max(depth - 1, 0)
        elif token == ".":
            dots += 1
        elif token in ("=", ",", "\n"):
            dots = 0
        if depth + dots > limit:
            return line_column(text, match.start())
    return None


def comment_lines(text: str) -> list[int]:
    """The 1-based lines of ``text`` that hold a ``#`` comment (strings are skipped whole)."""
    return [
        text.count("\n", 0, match.start()) + 1
        for match in _NESTING_TOKEN.finditer(text)
        if match.group().startswith("#")
    ]


def line_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based (line, column) of ``offset`` in ``text``."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1
