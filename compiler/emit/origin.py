"""Which directories a compile read and wrote, named as the command that remakes its output.

Generated files say how to remake them; they must name the directories actually used, and stay
byte-identical whatever the working directory or machine.  So both directories are spelt relative
to their nearest common ancestor (the project root, in every real layout): the command reads
``deckc compile --config-dir .pipelex/inference --out generated``, run from that root.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Origin:
    config_dir: str = ".pipelex/inference"
    out_dir: str = "generated"
    package: str = "generated"  # the name the output directory is imported by

    @staticmethod
    def of(config_dir: Path, out_dir: Path) -> Origin:
        """The two directories, relative to their common ancestor (POSIX spelling)."""
        config, out = config_dir.resolve(), out_dir.resolve()
        root = Path(os.path.commonpath([config, out]))
        return Origin(_spelt(config, root), _spelt(out, root), out.name)

    @property
    def command(self) -> str:
        """The command that remakes the output, run from the directories' common ancestor."""
        config, out = shlex.quote(self.config_dir), shlex.quote(self.out_dir)
        return f"deckc compile --config-dir {config} --out {out}"


def _spelt(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() or "."


DEFAULT = Origin()  # the conventional layout: .pipelex/inference compiled into generated
