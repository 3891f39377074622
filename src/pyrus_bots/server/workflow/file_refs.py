"""Which files a task holds: its attachments (those of its comments too) and the values of its
file fields, also inside table rows. The task layer compares the set before and after a change
to find the files the change attaches, whose access it must check."""

from __future__ import annotations

from typing import Any

from pyrus_bots.server.workflow.state import Directory, FormDef, TaskState


def files_of_task(directory: Directory, task: TaskState) -> set[int]:
    held = set(task.attachment_ids)
    form = directory.forms.get(task.form_id) if task.form_id is not None else None
    if form is None:
        return held
    for field_id, value in task.fields.items():
        held.update(_files_in(form, field_id, value))
    return held


def _files_in(form: FormDef, field_id: int, value: Any) -> set[int]:
    fdef = form.field_by_id(int(field_id))
    if fdef is None or not isinstance(value, list):
        return set()
    if fdef.type == "file":
        return {int(i) for i in value if isinstance(i, int)}
    found: set[int] = set()
    if fdef.type == "table":
        for row in value:
            cells = row.get("cells") if isinstance(row, dict) else None
            for column_id, cell in (cells or {}).items():
                found |= _files_in(form, int(column_id), cell)
    return found
