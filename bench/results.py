"""docs/benchmarks.md: each benchmark script (``--write``) replaces its own ``## ...`` section."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def replace_section(text: str, path: Path = RESULTS) -> Path:
    """Put ``text``, which starts with its ``## heading`` line, in place of the section with that
    heading (up to the next ``## ``), or append it when the file has none yet."""
    heading = text.split("\n", 1)[0]
    existing = path.read_text() if path.exists() else "# Benchmarks\n"
    start = existing.find(heading + "\n")
    if start == -1:
        updated = existing.rstrip() + "\n\n" + text.rstrip() + "\n"
    else:
        end = existing.find("\n## ", start + len(heading))
        tail = existing[end:] if end != -1 else ""
        updated = existing[:start] + text.rstrip() + "\n" + tail
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(updated)
    return path
