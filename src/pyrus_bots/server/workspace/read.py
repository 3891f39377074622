"""Reading a workspace file: text -> schema -> whole-file checks -> a ``Workspace`` to apply.

Any problem raises ``WorkspaceError`` naming the file, the line and path inside it where known,
and what is wrong; each stage reports all of its problems at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from pyrus_bots.server.workflow.lists import TaskListDef
from pyrus_bots.server.workflow.state import FormDef
from pyrus_bots.server.workspace.checks import check_workspace
from pyrus_bots.server.workspace.errors import WorkspaceError
from pyrus_bots.server.workspace.files import check_files
from pyrus_bots.server.workspace.locations import parse_text, schema_problems, with_lines
from pyrus_bots.server.workspace.schema import WorkspaceSpec
from pyrus_bots.server.workspace.tasks import check_tasks


@dataclass(slots=True)
class Workspace:
    """A validated workspace: the file's content with every person reference resolved to an id."""

    source: str
    spec: WorkspaceSpec
    forms: list[FormDef] = field(default_factory=list)
    role_members: dict[int, list[int]] = field(default_factory=dict)
    lists: list[TaskListDef] = field(default_factory=list)


def load_workspace_file(path: str | Path) -> Workspace:
    """Read and validate a workspace file (YAML, or JSON by extension or content)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(source, [("", f"cannot read the file: {exc}")]) from None
    try:
        return parse_workspace(parse_text(text, source), source)
    except WorkspaceError as exc:
        located = with_lines(exc, text)
        if located is exc:
            raise
        raise located from None


def parse_workspace(data: object, source: str = "<workspace>") -> Workspace:
    """Validate already-parsed file content (a mapping); raises ``WorkspaceError``."""
    if not isinstance(data, dict):
        raise WorkspaceError(
            source,
            [
                (
                    "",
                    "the file must hold a mapping with organization, people, bots, roles, "
                    "catalogs and forms",
                )
            ],
        )
    try:
        spec = WorkspaceSpec.model_validate(data)
    except ValidationError as exc:
        raise WorkspaceError(source, schema_problems(exc)) from None
    checked = check_workspace(spec)
    if not checked.problems:
        check_files(spec, source, checked.problems)
        check_tasks(spec, checked.forms, checked.role_members, checked.problems)
    if checked.problems:
        raise WorkspaceError(source, checked.problems.found)
    return Workspace(
        source=source,
        spec=spec,
        forms=checked.forms,
        role_members=checked.role_members,
        lists=checked.lists,
    )
