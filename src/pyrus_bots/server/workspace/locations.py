"""Where problems are in the file: parsing YAML or JSON, and the line of each problem's path.

Parse errors name their line and column; schema errors from pydantic become ``(path, problem)``
pairs; ``locate_paths`` finds the line where a path starts, for the ``file:line:`` prefix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import yaml
from pydantic import ValidationError

from pyrus_bots.server.workspace.errors import WorkspaceError, format_path

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_text(text: str, source: str) -> object:
    """The content of a YAML or JSON file (JSON by extension, or by content without one)."""
    as_json = source.lower().endswith(".json") or (
        not source.lower().endswith((".yaml", ".yml")) and text.lstrip().startswith("{")
    )
    if as_json:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            raise WorkspaceError(source, [("", f"invalid JSON at {where}: {exc.msg}")]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise WorkspaceError(source, [("", f"invalid YAML{where}: {problem}")]) from None


def locate_paths(text: str, paths: Iterable[str]) -> dict[str, int]:
    """The 1-based line where each path (``forms[0].steps[1]``) starts in a YAML/JSON text."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    found: dict[str, int] = {}
    for path in paths:
        node = root
        for match in _PATH_PART.finditer(path):
            key, index = match.groups()
            node = _child(node, key, int(index) if index is not None else None)
            if node is None:
                break
        if node is not None and path:
            found[path] = node.start_mark.line + 1
    return found


def _child(node: yaml.Node | None, key: str | None, index: int | None) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and key is not None:
        for key_node, value_node in node.value:
            if key_node.value == key:
                found: yaml.Node = value_node
                return found
        return node  # a missing key: point at the mapping that lacks it
    if isinstance(node, yaml.SequenceNode) and index is not None and index < len(node.value):
        child: yaml.Node = node.value[index]
        return child
    return None


def with_lines(error: WorkspaceError, text: str) -> WorkspaceError:
    """The same problems with the line of each path in ``text`` (unchanged when none applies)."""
    if error.line_numbers or not any(path for path, _ in error.problems):
        return error
    lines = locate_paths(text, [path for path, _ in error.problems])
    return WorkspaceError(error.source, error.problems, lines)


def schema_problems(exc: ValidationError) -> list[tuple[str, str]]:
    """pydantic's errors as ``(path, problem)`` pairs worded for the author of the file."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = [part for part in error["loc"] if not _is_variant_tag(part)]
        kind = error["type"]
        if kind == "missing":
            text = "required but missing"
        elif kind == "extra_forbidden":
            text = "unknown key (see docs/workspace.md for the keys allowed here)"
        else:
            text = str(error["msg"]).removeprefix("Value error, ")
            text = text[:1].lower() + text[1:]
        problems.append((format_path(loc), text))
    return problems


def _is_variant_tag(part: int | str) -> bool:
    # pydantic names the member of a union or a function validator in the location
    return isinstance(part, str) and (
        part.startswith(("function-", "nullable[", "union[")) or part in {"int", "str", "list"}
    )
