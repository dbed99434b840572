"""Generate the runtime record types from the lockfile schema with datamodel-code-generator.

Usage: python tools/gen_records.py [OUT.py]   (default: compiler/runtime/records.py; make records)

The runtime's records (``HandleRecord``, ``PresetRecord``, ``ModelSpec``, ``Backend``) are cut
out of ``schema/deck.lock.schema.json`` with what they refer to, and the pinned
datamodel-code-generator renders each as a ``__slots__`` subclass of
``compiler/runtime/frozen.Record`` (template in ``templates/datamodel/``): fields and annotations
only, the behaviour is the base class's.  Imports that only annotations use are then moved under
``if TYPE_CHECKING:`` (a local constant, so ``typing`` is never imported at runtime): the
generated runtime must import in a millisecond, and ``typing``/``dataclasses`` cost tens.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FLAGS = [
    "--input-file-type",
    "jsonschema",
    "--output-model-type",
    "dataclasses.dataclass",
    "--custom-template-dir",
    str(ROOT / "templates" / "datamodel"),
    "--target-python-version",
    "3.11",
    "--use-standard-collections",
    "--use-generic-container-types",
    "--use-union-operator",
    "--use-schema-description",
    "--use-field-description",
    "--disable-timestamp",
    "--collapse-root-models",
    "--enum-field-as-literal",
    "all",
    "--formatters",
    "ruff-format",
]
GUARD = "TYPE_CHECKING = False\nif TYPE_CHECKING:\n"
BASE = "from .frozen import Record"  # the one base class: construction, immutability, equality
# The record types the runtime returns; the schema's other definitions describe the lockfile
# only (the runtime never holds them), so they are left out.
RUNTIME_RECORDS = ("Backend", "ModelSpec", "HandleRecord", "PresetRecord")


def runtime_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The lockfile schema cut down to the runtime's records and what they refer to."""
    defs = schema["$defs"]
    wanted: list[str] = []
    pending = list(RUNTIME_RECORDS)
    while pending:
        name = pending.pop(0)
        if name in wanted:
            continue
        wanted.append(name)
        pending += re.findall(r'"#/\$defs/([A-Za-z_]+)"', json.dumps(defs[name]))
    return {
        "$schema": schema["$schema"],
        "title": "Records",
        "description": "The records the generated runtime returns.",
        "$defs": {name: defs[name] for name in wanted},
    }


def guard_typing_imports(code: str) -> str:
    """Move ``typing`` / ``collections.abc`` imports under a TYPE_CHECKING guard."""
    lines = code.splitlines()
    typing_only = [
        line
        for line in lines
        if line.startswith(("from typing import", "from collections.abc import"))
    ]
    unused = "from dataclasses import dataclass"  # the slots template does not decorate
    kept = [line for line in lines if line not in typing_only and line != unused]
    if not typing_only:
        return code
    at = next(i for i, line in enumerate(kept) if line.startswith("from __future__")) + 1
    block = ["", BASE, "", *GUARD.splitlines(), *(f"    {line}" for line in typing_only)]
    return "\n".join([*kept[:at], *block, *kept[at:]]) + "\n"


def generate(schema: Path) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "records.py"
        cut = Path(tmp) / schema.name
        cut.write_text(json.dumps(runtime_schema(json.loads(schema.read_text("utf-8")))), "utf-8")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "datamodel_code_generator",
                "--input",
                str(cut),
                "--output",
                str(out),
                *FLAGS,
            ],
            check=True,
            cwd=ROOT,
        )
        code = out.read_text(encoding="utf-8")
    code = code.replace(
        f"#   filename:  {schema.name}", "#   filename:  schema/deck.lock.schema.json"
    )
    # the cut-down schema's root has no type of its own: drop the alias made for it
    code = re.sub(r'\nRecords: TypeAlias = Any\n"""\n.*?\n"""\n', "", code, flags=re.S)
    return guard_typing_imports(code)


def main() -> None:
    target = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "compiler" / "runtime" / "records.py"
    )
    target.write_text(generate(ROOT / "schema" / "deck.lock.schema.json"), encoding="utf-8")
    ruff = [sys.executable, "-m", "ruff"]
    subprocess.run(
        [*ruff, "check", "--quiet", "--fix", "--select", "I,F401", str(target)], check=True
    )
    subprocess.run([*ruff, "format", "--quiet", str(target)], check=True)


if __name__ == "__main__":
    main()
