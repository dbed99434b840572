"""Pipelex's shipped inference configuration, from a published wheel, unmodified (tests, `make
bench`, `make conformance`).

``extract_kit(dest, version)`` downloads the wheel with ``pip download --no-deps`` (the package
index is needed once; pip caches it) and writes its configuration directory under
``dest/inference``: ``pipelex/kit/configs/inference/`` in 0.92.2 (the current layout),
``pipelex/config_template/inference/`` in 0.10.2 (the seed's).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

CURRENT, SEED = "0.92.2", "0.10.2"
KIT_PREFIXES = {
    CURRENT: "pipelex/kit/configs/inference/",
    SEED: "pipelex/config_template/inference/",
}


def extract_kit(dest: Path, version: str = CURRENT) -> Path:
    """The configuration directory Pipelex ``version`` ships, written under ``dest``."""
    prefix = KIT_PREFIXES[version]
    with tempfile.TemporaryDirectory(prefix="pipelex-wheel-") as wheels:
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "download", "--no-deps", "--quiet"),
                *(f"pipelex=={version}", "-d", wheels),
            ],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        (wheel,) = Path(wheels).glob(f"pipelex-{version}-*.whl")
        root = dest / "inference"
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                if name.startswith(prefix) and not name.endswith("/"):
                    target = root / name.removeprefix(prefix)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(archive.read(name))
    return root
