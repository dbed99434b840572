"""Generate stage: the lockfile rendered, through Jinja2 templates, into the runtime package.

:func:`render` returns a map of relative path -> text and writes nothing; compiling, checking and
diffing differ only in what they do with that map.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from compiler import __version__
from compiler.core.naming import py_literal
from compiler.core.resources import templates_dir
from compiler.emit.lock import Lockfile
from compiler.emit.origin import Origin
from compiler.emit.views import runtime_view

if TYPE_CHECKING:
    import jinja2

LOCKFILE = "deck.lock.json"


@cache
def _environment() -> jinja2.Environment:
    import jinja2  # when rendering: commands that only check hashes need not pay its import

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["py"] = py_literal
    return env


def records_source() -> str:
    """The record types generated from the lockfile schema (see tools/gen_records.py)."""
    return (templates_dir() / "records.py").read_text(encoding="utf-8")


def render(lock: Lockfile, lock_text: str, lock_sha256: str, origin: Origin) -> dict[str, str]:
    """Every output file, by path relative to the output directory."""
    env = _environment()
    common = {"version": __version__, "lock_sha256": lock_sha256, "package": "generated"}
    view = runtime_view(lock, lock_sha256)
    files = {LOCKFILE: lock_text}
    files["__init__.py"] = env.get_template("__init__.py.j2").render(common)
    fields = {k: getattr(view, k) for k in view.__dataclass_fields__}
    files["deck.py"] = env.get_template("deck.py.j2").render(common, **fields)
    files[f"{view.data_module}.py"] = env.get_template("_deck_data.py.j2").render(common, **fields)
    files["_deck_types.pyi"] = env.get_template("_deck_types.pyi.j2").render(
        common, types=view.types
    )
    handles = env.get_template("_deck_handles.py.j2")
    for section in view.handle_sections:
        files[f"{section.module}.py"] = handles.render(common, section=section, rows=section.rows)
    specs = env.get_template("_deck_specs.py.j2")
    for spec_section in view.spec_sections:
        files[f"{spec_section.module}.py"] = specs.render(common, section=spec_section)
    files["records.py"] = env.get_template("records.py.j2").render(
        common, records_source=records_source().rstrip("\n")
    )
    return files
