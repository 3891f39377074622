"""Size rules of docs/architecture.md: no module in src/ over 500 lines, no class over 300.

Measured on the source text (lines of the file, lines from ``class`` to the class's last line),
so a large module is reported before anyone has to scroll through it. The import rules are
checked by ``lint-imports`` (``make lint``), not here.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "pyrus_bots"
MAX_MODULE_LINES = 500
MAX_CLASS_LINES = 300


def _offenders() -> dict[str, int]:
    """Every module and class over its limit, with its number of lines."""
    found: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        source = path.read_text(encoding="utf-8")
        lines = len(source.splitlines())
        if lines > MAX_MODULE_LINES:
            found[name] = lines
        for node in ast.walk(ast.parse(source, filename=str(path))):
            if isinstance(node, ast.ClassDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_CLASS_LINES:
                    found[f"{name}::{node.name}"] = size
    return found


def test_no_module_or_class_over_its_size_limit() -> None:
    offenders = _offenders()
    assert not offenders, (
        f"over {MAX_MODULE_LINES} lines per module or {MAX_CLASS_LINES} per class "
        f"(split by concept): {offenders}"
    )
