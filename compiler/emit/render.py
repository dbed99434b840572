"""Generate stage: the lockfile rendered, through Jinja2 templates, into the runtime package.

:func:`render` returns a map of relative path -> text and writes nothing; compiling, checking and
diffing differ only in what they do with that map.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from .. import __version__
from ..core.naming import py_literal
from ..core.resources import runtime_dir, templates_dir
from .lock import Lockfile
from .origin import Origin
from .views import runtime_view

if TYPE_CHECKING:
    import jinja2

LOCKFILE = "deck.lock.json"


def template_environment() -> jinja2.Environment:
    """A Jinja2 environment over templates/, as every deckc template is written: undefined
    names are errors, block tags leave no blank lines, nothing is escaped (the outputs are code
    and TOML, not HTML)."""
    import jinja2  # when rendering: commands that only check hashes need not pay its import

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


@cache
def _environment() -> jinja2.Environment:
    env = template_environment()
    env.filters["py"] = py_literal
    return env


RUNTIME_PACKAGE = "_runtime"  # the static runtime and the data it reads, inside the output


def runtime_sources() -> dict[str, str]:
    """The runtime's own modules (``compiler/runtime/*.py``), by file name, as they are copied."""
    return {
        path.name: path.read_text(encoding="utf-8") for path in sorted(runtime_dir().glob("*.py"))
    }


def render(lock: Lockfile, lock_text: str, lock_sha256: str, origin: Origin) -> dict[str, str]:
    """Every output file, by path relative to the output directory: the lockfile, the package's
    ``deck.py`` (its API) and ``deck.pyi`` (its types), and under ``_runtime/`` the static
    runtime, copied, beside the data modules the templates fill in."""
    env = _environment()
    view = runtime_view(lock, lock_sha256)
    common = {"version": __version__, "origin": origin, "package": origin.package}
    fields = {k: getattr(view, k) for k in view.__dataclass_fields__}
    fields["short_names"] = view.short_names
    fields["typing_imports"] = view.typing_imports

    def page(template: str, **values: object) -> str:
        return env.get_template(template).render(common, **values)

    data = f"{RUNTIME_PACKAGE}/"
    files = {
        LOCKFILE: lock_text,
        "__init__.py": page("__init__.py.j2"),
        "deck.py": page("deck.py.j2"),
        "deck.pyi": page("deck.pyi.j2", **fields),
        f"{data}_index.py": page("_index.py.j2", **fields),
        f"{data}{view.backends_module}.py": page("_backends.py.j2", backends=view.backends),
    }
    for name, source in runtime_sources().items():
        files[f"{data}{name}"] = page("_copied.j2", source=name) + source
    for deck in view.decks:
        files[f"{data}{deck.module}.py"] = page("_deck.py.j2", deck=deck)
        files[f"{data}{deck.module}_candidates.py"] = page("_candidates.py.j2", deck=deck)
        for section in deck.handle_sections:
            files[f"{data}{section.module}.py"] = page(
                "_handles.py.j2", section=section, model_type=deck.model_type
            )
            for number, (profile, row) in enumerate(section.rows):
                files[f"{data}{section.module}_p{number}.py"] = page(
                    "_handle_row.py.j2", profile=profile, row=row, model_type=deck.model_type
                )
    for spec_section in view.spec_sections:
        files[f"{data}{spec_section.module}.py"] = page("_specs.py.j2", section=spec_section)
    return files
