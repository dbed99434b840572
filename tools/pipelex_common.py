"""What the two answer tools share (``pipelex_answers.py`` for Pipelex 0.92.2,
``pipelex_answers_010.py`` for 0.10.2): the directories asked about, the scrubbing of absolute
paths out of Pipelex's messages, and an error as an answer.  Standard library only: each tool
runs in its own Pipelex virtualenv.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Json = Any  # what json.dumps accepts


@dataclass(frozen=True)
class ConfigDir:
    """One directory to answer for, and the label it is reported under."""

    label: str
    path: Path


class Scrubber:
    """Writes the absolute paths of a boot's messages as `<LABEL>` and `<tmp>`."""

    def __init__(self, replacements: list[tuple[str, str]]) -> None:
        # Longest first, so a path inside another is replaced by the more specific name.
        self.replacements = sorted(replacements, key=lambda pair: -len(pair[0]))

    def __call__(self, text: str) -> str:
        for path, name in self.replacements:
            text = text.replace(path, name)
        return text


def error_answer(exc: BaseException, scrub: Scrubber) -> dict[str, Json]:
    return {"error": type(exc).__name__, "message": scrub(str(exc))}


def parse_directory(argument: str) -> ConfigDir:
    """`DIR` (labelled by the argument itself) or `LABEL=DIR`."""
    path = Path(argument)
    if not path.is_dir() and "=" in argument:
        label, _, rest = argument.partition("=")
        path = Path(rest)
    else:
        label = argument
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"not a directory: {argument}")
    return ConfigDir(label=label, path=path.resolve())


def argument_parser(version: str, layout: str) -> argparse.ArgumentParser:
    """The command line both tools take: directories, profiles, credentials, output."""
    parser = argparse.ArgumentParser(
        description=f"Print, as JSON, what Pipelex {version} resolves for inference config "
        "directories."
    )
    parser.add_argument(
        "directories",
        nargs="+",
        type=parse_directory,
        metavar="[LABEL=]DIR",
        help=f"a directory shaped like .pipelex/inference/{layout}",
    )
    parser.add_argument(
        "--profile",
        action="append",
        dest="profiles",
        metavar="P",
        help="routing profile to make active (repeatable; default: every declared profile)",
    )
    parser.add_argument(
        "--credentials",
        choices=("skip", "dummy"),
        default="skip",
        help="skip: keyless boot (default); dummy: resolve every ${VAR} to a dummy value",
    )
    parser.add_argument("-o", "--output", type=Path, help="write the JSON here (default: stdout)")
    return parser


def isolate_environment(scratch: Path, removed: Iterable[str], set_: Mapping[str, str]) -> Path:
    """Point all Pipelex reads from the machine into ``scratch``, before Pipelex is imported:
    ``HOME`` and ``PIPELEX_HOME`` there, the working directory its home (so no project
    ``.pipelex/``, ``.env`` or ``pipelex.toml`` is found), ``removed`` unset and ``set_`` set."""
    home = scratch / "home"
    home.mkdir()
    for name in removed:
        os.environ.pop(name, None)
    os.environ.update(set_)
    os.environ["HOME"] = str(home)
    os.environ["PIPELEX_HOME"] = str(scratch / "pipelex-home")
    os.chdir(home)
    return home


def write_report(
    report: Mapping[str, Any],
    output: Path | None,
    *,
    seconds: tuple[float, float, float],
    written_against: str,
) -> None:
    """Write ``report`` as JSON to ``output`` (stdout when None), then say on stderr what the
    run cost: ``seconds`` = (started, Pipelex imported, finished), and one boot per profile."""
    text = json.dumps(report, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    started, imported, finished = seconds
    boots = sum(len(directory["profiles"]) for directory in report["directories"].values())
    sys.stderr.write(
        f"pipelex {report['pipelex_version']}: import {imported - started:.2f} s, "
        f"{boots} boot(s) in {finished - imported:.2f} s\n"
    )
    if report["pipelex_version"] != written_against:
        sys.stderr.write(f"warning: this tool was written against pipelex {written_against}\n")
