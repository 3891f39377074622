"""A task as API v4 shows it (``GET /v4/tasks/{id}``: ``protocol.models.task.TaskWithComments``)
-> the platform's task state and stored comments, ids kept; pure, no I/O.

The inverse of ``workflow.render``: person objects become ids, field values their stored form
(``workflow.values``; catalog items are matched by their first column, as the workspace matches
catalog items, since item ids differ between organisations), each step's entry time is worked
back from ``steps[].elapsed_time``. Files (attachments, file field values) are referred to by
id and must be in the directory (the workspace's ``files``).

Every problem raises :class:`TaskImportError` with the path inside the task.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.field_values import READ_ONLY_TYPES
from pyrus_bots.protocol.models.task import TaskWithComments
from pyrus_bots.protocol.pyrus_json import parse_date, parse_datetime
from pyrus_bots.server.workflow.state import (
    Approval,
    Comment,
    Directory,
    FieldDef,
    FormDef,
    TaskState,
)
from pyrus_bots.server.workflow.values import is_empty, store_title, store_value
from pyrus_bots.server.workspace.errors import format_path

__all__ = ["ImportedTask", "TaskImportError", "import_task"]

ImportedTask = tuple[TaskState, list[Comment]]

# Half a millisecond: the renderer truncates elapsed times to whole milliseconds.
_ROUNDING = timedelta(microseconds=500)

_PERSON_LIST_KEYS = (
    "participants_added",
    "participants_removed",
    "subscribers_added",
    "subscribers_removed",
    "subscribers_rerequested",
)
_APPROVAL_LIST_KEYS = ("approvals_added", "approvals_removed", "approvals_rerequested")


class TaskImportError(ValueError):
    """A task that cannot be imported: ``path`` inside the task and what is wrong."""

    def __init__(self, path: str, why: str) -> None:
        super().__init__(f"{path}: {why}" if path else why)
        self.path = path
        self.why = why


def import_task(directory: Directory, data: Mapping[str, Any]) -> ImportedTask:
    """The task and its comments (oldest first) from the API's task object."""
    try:
        task = TaskWithComments.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise TaskImportError(format_path(error["loc"]), error["msg"]) from None
    raw = task.model_dump(mode="json", by_alias=True, exclude_none=True)
    return _Import(directory, raw).run()


def _person_id(directory: Directory, value: Any, path: str) -> int:
    person_id = value.get("id") if isinstance(value, Mapping) else None
    if not isinstance(person_id, int):
        raise TaskImportError(path, "a person without an id")
    if person_id not in directory.people and person_id not in directory.roles:
        raise TaskImportError(path, f"person {person_id} is not in the workspace")
    return person_id


def _when(value: Any, path: str) -> datetime:
    if not isinstance(value, str):
        raise TaskImportError(path, "a date and time is required")
    return parse_datetime(value)


class _Import:
    def __init__(self, directory: Directory, raw: dict[str, Any]) -> None:
        self.directory = directory
        self.raw = raw
        self.form: FormDef | None = None

    def person(self, value: Any, path: str) -> int:
        return _person_id(self.directory, value, path)

    def run(self) -> ImportedTask:
        raw = self.raw
        task_id = raw.get("id")
        if not isinstance(task_id, int) or task_id <= 0:
            raise TaskImportError("id", "a task needs a positive id")
        form_id = raw.get("form_id")
        if form_id is not None:
            self.form = self.directory.forms.get(form_id)
            if self.form is None:
                raise TaskImportError("form_id", f"form {form_id} is not in the workspace")
        created = _when(raw.get("create_date"), "create_date")
        modified = _when(
            raw.get("last_modified_date", raw.get("create_date")), "last_modified_date"
        )
        close_date = _when(raw["close_date"], "close_date") if "close_date" in raw else None
        state = TaskState(
            id=task_id,
            author_id=self.person(raw.get("author"), "author"),
            create_date=created,
            last_modified_date=modified,
            text=raw.get("text"),
            formatted_text=raw.get("formatted_text"),
            subject=raw.get("subject"),
            close_date=close_date,
            responsible_id=(
                self.person(raw["responsible"], "responsible") if "responsible" in raw else None
            ),
            participant_ids=[
                self.person(p, f"participants[{n}]")
                for n, p in enumerate(raw.get("participants", []))
            ],
            subscribers=[
                Approval(
                    self.person(s.get("person"), f"subscribers[{n}].person"),
                    s.get("approval_choice", "waiting"),
                )
                for n, s in enumerate(raw.get("subscribers", []))
            ],
            form_id=form_id,
            current_step=raw.get("current_step") if form_id is not None else None,
            is_closed=bool(raw.get("is_closed")),
            approvals=[
                [
                    Approval(
                        self.person(a.get("person"), f"approvals[{s}][{n}].person"),
                        a.get("approval_choice", "waiting"),
                    )
                    for n, a in enumerate(entries)
                ]
                for s, entries in enumerate(raw.get("approvals", []))
            ],
            due_date=parse_date(raw["due_date"]) if "due_date" in raw else None,
            due=_when(raw["due"], "due") if "due" in raw else None,
            duration=raw.get("duration"),
            scheduled_date=parse_date(raw["scheduled_date"]) if "scheduled_date" in raw else None,
            scheduled_datetime_utc=(
                _when(raw["scheduled_datetime_utc"], "scheduled_datetime_utc")
                if "scheduled_datetime_utc" in raw
                else None
            ),
            list_ids=list(raw.get("list_ids", [])),
            parent_task_id=raw.get("parent_task_id"),
            linked_task_ids=list(raw.get("linked_task_ids", [])),
            attachment_ids=self.files(raw.get("attachments", []), "attachments"),
        )
        if state.text is not None and self.form is not None and state.text == self.form.name:
            state.text = None  # the renderer shows the form's name for a task without text
        state.step_entered_at = self.step_times(state)
        for n, entry in enumerate(raw.get("fields", [])):
            self.field_value(state.fields, entry, f"fields[{n}]")
        comments = [
            self.comment(task_id, c, f"comments[{n}]")
            for n, c in enumerate(raw.get("comments", []))
        ]
        ids = [c.id for c in comments if c.id is not None]
        if len(set(ids)) != len(ids):
            raise TaskImportError("comments", "comment ids repeat")
        state.last_note_id = ids[-1] if ids else raw.get("last_note_id")
        return state, comments

    def step_times(self, state: TaskState) -> list[datetime]:
        """When the task entered each step up to the current one, so that the rendered
        ``elapsed_time`` of each step is the one given (ending at the close or last change)."""
        current = state.current_step or 0
        if self.form is None or current <= 0:
            return []
        elapsed = {
            s.get("step"): s.get("elapsed_time") for s in self.raw.get("steps", []) if "step" in s
        }
        end = state.close_date if state.is_closed and state.close_date else state.last_modified_date
        times: list[datetime] = []
        for number in range(current, 0, -1):
            spent = elapsed.get(number)
            if not isinstance(spent, int):
                return [state.create_date] * current  # no times given: every step from creation
            end = end - timedelta(milliseconds=spent) - _ROUNDING
            times.append(end)
        return times[::-1]

    def files(self, files: list[Any], path: str) -> list[int]:
        ids = []
        for n, file in enumerate(files):
            file_id = file.get("id") if isinstance(file, Mapping) else None
            if file_id not in self.directory.files_by_id:
                raise TaskImportError(
                    f"{path}[{n}]", f"file {file_id!r} is not in the workspace's files"
                )
            ids.append(int(file_id))
        return ids

    # --- field values ------------------------------------------------------------------------

    def field_def(self, entry: Mapping[str, Any], path: str) -> FieldDef:
        field_id = entry.get("id")
        found = self.form.field_by_id(field_id) if self.form and isinstance(field_id, int) else None
        if found is None:
            raise TaskImportError(f"{path}.id", f"the form has no field {field_id!r}")
        return found

    def field_value(
        self, into: dict[Any, Any], entry: Mapping[str, Any], path: str, *, cell: bool = False
    ) -> None:
        """Store ``entry``'s value in ``into`` under the field id (a title's children too);
        table cells are keyed by the id as a string, as the store keeps them."""
        fdef = self.field_def(entry, path)
        if fdef.type in READ_ONLY_TYPES:
            return
        value = entry.get("value")
        if fdef.type == "title":
            children = value.get("fields", []) if isinstance(value, Mapping) else []
            for n, child in enumerate(children):
                self.field_value(into, child, f"{path}.value.fields[{n}]", cell=cell)
            stored = self.stored(fdef, {"value": value}, path)
        else:
            stored = self.stored(fdef, entry, path)
        if not is_empty(stored):
            into[str(fdef.id) if cell else fdef.id] = stored

    def stored(self, fdef: FieldDef, entry: Mapping[str, Any], path: str) -> Any:
        """The stored form of one field entry of the read format."""
        assert self.form is not None
        value = entry.get("value")
        if value is None:
            return None
        if fdef.type == "file":
            return self.files(value if isinstance(value, list) else [], f"{path}.value") or None
        if fdef.type == "title":
            return store_title(fdef, {"checkmark": value.get("checkmark")})
        if fdef.type == "table":
            return self.table(fdef, value, path)
        written: dict[str, Any] = dict(entry)
        if fdef.type == "catalog":
            written["value"] = {"item_names": _catalog_names(value)}
        elif fdef.type == "multiple_choice":
            written["value"] = {"choice_ids": list(value.get("choice_ids", []))}
        elif fdef.type == "person":
            written["value"] = {"id": self.person(value, f"{path}.value")}
        try:
            return store_value(self.directory, self.form, fdef, written)
        except PyrusError as exc:
            raise TaskImportError(f"{path}.value", exc.message) from None

    def table(self, fdef: FieldDef, rows: Any, path: str) -> Any:
        stored_rows = []
        for n, row in enumerate(rows if isinstance(rows, list) else []):
            cells: dict[str, Any] = {}
            for m, cell in enumerate(row.get("cells", [])):
                self.field_value(cells, cell, f"{path}.value[{n}].cells[{m}]", cell=True)
            stored_rows.append({"row_id": row.get("row_id", n), "cells": cells})
        return stored_rows or None

    # --- comments ----------------------------------------------------------------------------

    def comment(self, task_id: int, raw: Mapping[str, Any], path: str) -> Comment:
        comment_id = raw.get("id")
        if not isinstance(comment_id, int) or comment_id <= 0:
            raise TaskImportError(f"{path}.id", "a comment needs a positive id")
        special = {"id", "create_date", "author", "reassigned_to", "field_updates", "attachments"}
        special.update(_PERSON_LIST_KEYS, _APPROVAL_LIST_KEYS)
        body = {k: v for k, v in raw.items() if k not in special and v not in ([], None)}
        if "reassigned_to" in raw:
            body["reassigned_to"] = self.person(raw["reassigned_to"], f"{path}.reassigned_to")
        for key in _PERSON_LIST_KEYS:
            if raw.get(key):
                body[key] = [self.person(p, f"{path}.{key}[{n}]") for n, p in enumerate(raw[key])]
        for key in _APPROVAL_LIST_KEYS:
            if raw.get(key):
                body[key] = [
                    [
                        {
                            "person_id": self.person(a.get("person"), f"{path}.{key}[{s}][{n}]"),
                            "step": a.get("step", s + 1),
                        }
                        for n, a in enumerate(entries)
                    ]
                    for s, entries in enumerate(raw[key])
                ]
        if raw.get("attachments"):
            body["attachments"] = self.files(raw["attachments"], f"{path}.attachments")
        if raw.get("field_updates") and self.form is not None:
            body["field_updates"] = [
                self.field_update(update, f"{path}.field_updates[{n}]")
                for n, update in enumerate(raw["field_updates"])
            ]
        return Comment(
            task_id=task_id,
            author_id=self.person(raw.get("author"), f"{path}.author"),
            create_date=_when(raw.get("create_date"), f"{path}.create_date"),
            body=body,
            id=comment_id,
        )

    def field_update(self, update: Mapping[str, Any], path: str) -> dict[str, Any]:
        fdef = self.field_def(update, path)
        if fdef.type == "title":
            return {"id": fdef.id, "value": update.get("value")}
        if fdef.type in READ_ONLY_TYPES:
            return {"id": fdef.id, "value": None}
        return {"id": fdef.id, "value": self.stored(fdef, update, path)}


def _catalog_names(value: Mapping[str, Any]) -> list[str]:
    """The chosen items' keys (first columns): ``item_names``, else the rows' first values."""
    names = [n for n in value.get("item_names", []) if n]
    if names:
        return names
    rows = value.get("rows") or ([value["values"]] if value.get("values") else [])
    return [row[0] for row in rows if row]
