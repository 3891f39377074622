"""The pulled tasks (``--with-tasks``): the API's task objects as the workspace's ``tasks``.

Without ``--with-files`` attachments and file field values are left out (and said so); with it
the files the tasks hold become the workspace's ``files``. A task the twin could not load (a
person or field the pull did not bring) is left out with a warning that names it and the reason,
so that the written file always loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyrus_bots.protocol.models.task import Task
from pyrus_bots.server.twin.output import COMMENT_KEY
from pyrus_bots.server.workspace import WorkspaceError, parse_workspace
from pyrus_bots.server.workspace.schema import FileSpec
from pyrus_bots.server.workspace.tasks import refused_tasks

__all__ = ["add_tasks", "files_of", "without_files"]


def _field_files(fields: list[Any], found: dict[int, str]) -> None:
    for entry in fields:
        if not isinstance(entry, dict):
            continue
        value = entry.get("value")
        if entry.get("type") == "file" and isinstance(value, list):
            _attachments(value, found)
        elif isinstance(value, dict) and isinstance(value.get("fields"), list):
            _field_files(value["fields"], found)
        elif entry.get("type") == "table" and isinstance(value, list):
            for row in value:
                if isinstance(row, dict):
                    _field_files(row.get("cells", []), found)


def _attachments(files: list[Any], found: dict[int, str]) -> None:
    for file in files:
        if isinstance(file, dict) and isinstance(file.get("id"), int):
            found[file["id"]] = str(file.get("name") or file["id"])


def files_of(task: Task) -> dict[int, str]:
    """The files a task holds (attachments, file fields, in comments too): id -> name."""
    data = task.to_pyrus()
    found: dict[int, str] = {}
    _attachments(data.get("attachments", []), found)
    _field_files(data.get("fields", []), found)
    for comment in data.get("comments", []):
        _attachments(comment.get("attachments", []), found)
        _field_files(comment.get("field_updates", []), found)
    return found


def _drop_file_fields(fields: list[Any]) -> bool:
    """Remove file values from field entries, nested ones included; whether any was there."""
    dropped = False
    for entry in list(fields):
        if not isinstance(entry, dict):
            continue
        if entry.get("type") == "file":
            fields.remove(entry)
            dropped = dropped or "value" in entry
            continue
        value = entry.get("value")
        if isinstance(value, dict) and isinstance(value.get("fields"), list):
            dropped = _drop_file_fields(value["fields"]) or dropped
        if entry.get("type") == "table" and isinstance(value, list):
            for row in value:
                if isinstance(row, dict) and isinstance(row.get("cells"), list):
                    dropped = _drop_file_fields(row["cells"]) or dropped
    return dropped


def without_files(task: dict[str, Any]) -> bool:
    """Strip attachments and file values from an API task object in place; whether any was."""
    dropped = bool(task.pop("attachments", None))
    dropped = _drop_file_fields(task.get("fields", [])) or dropped
    for comment in task.get("comments", []):
        dropped = bool(comment.pop("attachments", None)) or dropped
        dropped = _drop_file_fields(comment.get("field_updates", [])) or dropped
    return dropped


def add_tasks(
    workspace: dict[str, Any],
    warnings: list[str],
    tasks: Sequence[Task],
    files: list[dict[str, Any]] | None = None,
) -> None:
    """Put ``tasks`` into the pulled ``workspace``, oldest first, leaving out the tasks it
    could not load (each with a warning). ``files``: the workspace's ``files`` entries of the
    files pulled; None: the tasks' files are left out."""
    specs = []
    with_files = []
    if files is not None:
        workspace["files"] = files
    for task in sorted(tasks, key=lambda t: t.id or 0):
        data = task.to_pyrus()
        if files is None and without_files(data):
            with_files.append(str(task.id))
        specs.append(data)
    if with_files:
        warnings.append(
            f"files are not pulled (--with-files): attachments and file fields left out of "
            f"task(s) {', '.join(with_files)}"
        )
    forms = [
        {**form, "steps": [_without_comment(s) for s in form.get("steps", [])]}
        for form in workspace["forms"]
    ]
    try:  # (the files' contents are checked when the file is written)
        checked = parse_workspace({**workspace, "forms": forms, "files": []})
    except WorkspaceError:
        return  # the file itself does not load: writing it reports why
    listed = [FileSpec.model_validate(f) for f in files or []]
    spec = checked.spec.model_copy(update={"files": listed})
    refused = refused_tasks(spec, checked.forms, checked.role_members, specs)
    for index, why in refused.items():
        warnings.append(f"task {specs[index].get('id')} left out: {why}")
    workspace["tasks"] = [t for n, t in enumerate(specs) if n not in refused]


def _without_comment(step: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in step.items() if k != COMMENT_KEY}
