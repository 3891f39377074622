"""docs/quickstart.md's bot and its tests, run as a reader would: saved as files, run by pytest."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pyrus_bots

QUICKSTART = Path(__file__).resolve().parents[2] / "docs" / "quickstart.md"


def code_block(first_line: str) -> str:
    """The Python block of the quickstart that starts with ``first_line``."""
    for block in re.findall(r"```python\n(.*?)```", QUICKSTART.read_text(), re.DOTALL):
        if block.startswith(first_line):
            return str(block)
    raise AssertionError(f"docs/quickstart.md has no block starting {first_line!r}")


def test_the_quickstart_bot_passes_its_own_tests(tmp_path: Path) -> None:
    (tmp_path / "purchase_bot.py").write_text(code_block("# purchase_bot.py"))
    (tmp_path / "test_purchase_bot.py").write_text(code_block("# test_purchase_bot.py"))
    source = str(Path(pyrus_bots.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([source, str(tmp_path)])}
    env.pop("BOT_SECRET", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "2 passed" in run.stdout
