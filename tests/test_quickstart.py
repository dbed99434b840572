"""The README's quick start ("Use it in your project"), followed literally in a fresh directory:
its shell block with this checkout as `/path/to/deckc` (pip installs deckc and its dependencies
into a new virtualenv, from PyPI), then its Python block run by that virtualenv."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def blocks(language: str) -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use it in your project", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


@pytest.mark.network
def test_the_quick_start_works_as_written(tmp_path: Path) -> None:
    shell, *_ = blocks("sh")
    script = shell.replace("/path/to/deckc", str(ROOT))
    assert "deckc init" in script and "pip install" in script
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script + "\npython - <<'QUICKSTART'\n"
         + blocks("python")[0] + "print(r.backend, r.model_id, sorted(keys), p.temperature)\n"
         + "QUICKSTART\n"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "deckc: 0 error(s), 0 warning(s) in .pipelex/inference" in done.stdout
    last = done.stdout.strip().splitlines()[-1]
    backend, model_id, keys, temperature = last.split(" ", 3)
    assert float(temperature) >= 0
    assert backend in ("openai", "anthropic") and model_id
    assert keys == "['api_key']"
    assert (tmp_path / "generated" / "deck.lock.json").is_file()
