"""Problems with a workspace file, each a path inside the file and what is wrong there.

A path reads as in the file: ``forms[0].steps[1].approvers[0]``. ``WorkspaceError`` prints one
``file:line: path: problem`` line per problem (``file: path: problem`` when the line is unknown).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

Key = TypeVar("Key", bound=Hashable)


class WorkspaceError(Exception):
    """A workspace file that cannot be used; the message lists every problem found."""

    def __init__(
        self,
        source: str,
        problems: Sequence[tuple[str, str]],
        line_numbers: Mapping[str, int] | None = None,
    ) -> None:
        self.source = source
        self.problems = list(problems)
        """``(path, text)`` pairs; the path is empty for problems with the whole file."""
        self.line_numbers = dict(line_numbers or {})
        """Line in the file of each path that could be located (YAML and JSON files)."""
        super().__init__("\n".join(self._line(path, text) for path, text in self.problems))

    def _line(self, path: str, text: str) -> str:
        where = (
            f"{self.source}:{self.line_numbers[path]}" if path in self.line_numbers else self.source
        )
        return f"{where}: {path}: {text}" if path else f"{where}: {text}"


class Problems:
    """The problems found so far, in the order found (which is the order of the message)."""

    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []

    def __bool__(self) -> bool:
        return bool(self.found)

    def add(self, path: str, text: str) -> None:
        self.found.append((path, text))

    def unique(self, seen: dict[Key, str], key: Key, path: str, what: str) -> None:
        """Record ``key`` as used at ``path``; a problem when it was used before."""
        if key in seen:
            self.add(path, f"duplicate {what} {key!r} (already used at {seen[key]})")
        else:
            seen[key] = path


def format_path(loc: Iterable[int | str]) -> str:
    """``("forms", 0, "steps", 1)`` -> ``forms[0].steps[1]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text
