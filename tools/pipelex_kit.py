"""Pipelex 0.92.2's shipped kit, from the published wheel, unmodified (tests and `make bench`).

``extract_kit(dest)`` downloads the wheel with ``pip download --no-deps`` (the package index is
needed once; pip caches it) and writes its ``pipelex/kit/configs/inference/`` under
``dest/inference``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PIPELEX = "pipelex==0.92.2"
KIT_PREFIX = "pipelex/kit/configs/inference/"


def extract_kit(dest: Path) -> Path:
    """The kit's configuration directory, written under ``dest``."""
    with tempfile.TemporaryDirectory(prefix="pipelex-wheel-") as wheels:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                PIPELEX,
                "-d",
                wheels,
            ],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        (wheel,) = Path(wheels).glob("pipelex-0.92.2-*.whl")
        root = dest / "inference"
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                if name.startswith(KIT_PREFIX) and not name.endswith("/"):
                    target = root / name.removeprefix(KIT_PREFIX)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(archive.read(name))
    return root
