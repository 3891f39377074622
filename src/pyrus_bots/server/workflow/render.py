"""Domain state as Pyrus JSON dicts, exactly as the API returns them (spec 3.3-3.6, 3.10).

Every result went through ``omit_empty``: no key holds ``null`` or an empty value (the official
Python client crashes on nulls). Date-times are ``YYYY-MM-DDThh:mm:ssZ``, dates ``YYYY-MM-DD``.

This is the fast writer of what ``protocol.models`` describe (``TaskWithComments``,
``TaskComment``, ``FormField``, ``Person``, ``File``): the same keys, in the models' order, so
that a model parsing a rendered task writes the same bytes back; ``test_render_model`` checks it
for every field type and comment kind.

Choices for what Pyrus leaves open:

- A form task's ``text`` is the text given at creation, else the form's name.
- ``fields`` lists every top-level field of the form (DESIGN.md 3.5), ``value`` omitted while
  empty. Title children appear only inside their title's ``value.fields`` (spec 3.8), each with
  its ``parent_id``; table rows list every column as a cell with ``parent_id`` and ``row_id``.
  Sub-fields of a multiple-choice option appear inside the choice's ``value.fields`` while the
  option is chosen, and in the template inside ``info.options[].fields``.
- ``steps`` lists every step of the form; ``elapsed_time`` (ms) is given for the steps the task
  has reached: until the next step was entered, or until the close date or ``now`` for the
  current step. ``now`` defaults to the task's ``last_modified_date`` (the renderer reads no
  clock).
- ``approvals`` has one inner list per step; every entry carries ``approval_choice`` (``waiting``
  included) and its 1-based ``step``.
- ``last_note_id`` is the newest comment's id.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.comment import TaskComment
from pyrus_bots.protocol.pyrus_json import format_date, format_datetime, omit_empty
from pyrus_bots.server.workflow.entities import (
    render_file,
    render_person,
    render_person_ref,
    render_role,
)
from pyrus_bots.server.workflow.state import (
    Approval,
    Catalog,
    Comment,
    Directory,
    FormDef,
    TaskState,
)
from pyrus_bots.server.workflow.templates import render_field_template, render_form
from pyrus_bots.server.workflow.values import read_field

__all__ = [
    "render_catalog",
    "render_catalog_info",
    "render_comment",
    "render_field_template",
    "render_file",
    "render_form",
    "render_person",
    "render_person_ref",
    "render_role",
    "render_task",
]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ms_between(start: datetime, end: datetime) -> int:
    return max(0, int((_utc(end) - _utc(start)).total_seconds() * 1000))


# --- forms and catalogs ----------------------------------------------------------------------


def _matches(value: str, wanted: str, use_wildcard: bool) -> bool:
    if use_wildcard:
        return fnmatch.fnmatchcase(value.casefold(), wanted.casefold())
    return value.casefold() == wanted.casefold()


def render_catalog(
    catalog: Catalog,
    include_deleted: bool = False,
    filters: Sequence[tuple[str, str]] = (),
    *,
    use_wildcard: bool = False,
) -> dict[str, Any]:
    """``GET /v4/catalogs/{id}``; ``filters`` are ``(column name, value)`` pairs, all must match.

    An unknown column is ``catalog_column_not_found``. With ``use_wildcard`` a value may hold
    ``*`` (any text) and ``?``; matching ignores case.
    """
    columns: list[tuple[int, str]] = []
    for name, wanted in filters:
        index = next(
            (i for i, h in enumerate(catalog.headers) if h.casefold() == name.casefold()), None
        )
        if index is None:
            raise PyrusError("catalog_column_not_found", f"catalog has no column {name!r}")
        columns.append((index, wanted))
    items = []
    for item in catalog.items:
        if item.deleted and not include_deleted:
            continue
        if all(
            index < len(item.values) and _matches(item.values[index], wanted, use_wildcard)
            for index, wanted in columns
        ):
            items.append(
                {"item_id": item.item_id, "values": list(item.values), "deleted": item.deleted}
            )
    out: dict[str, Any] = omit_empty(
        {
            "catalog_id": catalog.id,
            "name": catalog.name,
            "version": catalog.version,
            "deleted": catalog.deleted,
            "catalog_headers": [{"name": h, "type": "text"} for h in catalog.headers],
            "items": items,
            "source_type": "default",
        }
    )
    return out


def render_catalog_info(catalog: Catalog) -> dict[str, Any]:
    """An entry of ``GET /v4/catalogs`` (no items)."""
    out: dict[str, Any] = omit_empty(
        {
            "catalog_id": catalog.id,
            "name": catalog.name,
            "version": catalog.version,
            "deleted": catalog.deleted,
            "source_type": "default",
        }
    )
    return out


# --- tasks and comments ----------------------------------------------------------------------


def _approval(directory: Directory, a: Approval, step: int) -> dict[str, Any]:
    return {
        "person": render_person_ref(directory, a.person_id),
        "approval_choice": a.choice,
        "step": step,
    }


def _approval_lists(directory: Directory, per_step: list[list[dict[str, int]]]) -> list[Any]:
    return [
        [
            {"person": render_person_ref(directory, e["person_id"]), "step": e["step"]}
            for e in entries
        ]
        for entries in per_step
    ]


_PERSON_LIST_KEYS = (
    "participants_added",
    "participants_removed",
    "subscribers_added",
    "subscribers_removed",
    "subscribers_rerequested",
)
_APPROVAL_LIST_KEYS = ("approvals_added", "approvals_removed", "approvals_rerequested")


def render_comment(
    directory: Directory,
    task: TaskState,
    comment: Comment,
    *,
    files_url: str | None = None,
) -> dict[str, Any]:
    """A TaskComment (spec 3.4) from a stored comment (body shape: ``engine`` docstring)."""
    body = comment.body
    out: dict[str, Any] = {
        key: value
        for key, value in body.items()
        if key
        not in {
            "reassigned_to",
            "field_updates",
            "attachments",
            *_PERSON_LIST_KEYS,
            *_APPROVAL_LIST_KEYS,
        }
    }
    out["id"] = comment.id
    out["create_date"] = format_datetime(comment.create_date)
    out["author"] = render_person_ref(directory, comment.author_id)
    if body.get("reassigned_to") is not None:
        out["reassigned_to"] = render_person_ref(directory, body["reassigned_to"])
    for key in _PERSON_LIST_KEYS:
        if body.get(key):
            out[key] = [render_person_ref(directory, p) for p in body[key]]
    for key in _APPROVAL_LIST_KEYS:
        if body.get(key):
            out[key] = _approval_lists(directory, body[key])
    if body.get("attachments"):
        out["attachments"] = [
            render_file(directory.files_by_id[i], files_url)
            for i in body["attachments"]
            if i in directory.files_by_id
        ]
    form = directory.forms.get(task.form_id) if task.form_id is not None else None
    if body.get("field_updates") and form is not None:
        updates = []
        for update in body["field_updates"]:
            fdef = form.field_by_id(update["id"])
            if fdef is None:
                continue
            if fdef.type == "title":
                # a title update shows its checkmark only; its children are updates of their own
                updates.append(
                    {
                        "id": fdef.id,
                        "type": fdef.type,
                        "name": fdef.name,
                        "code": fdef.code,
                        "value": update.get("value"),
                        "parent_id": fdef.parent_id,
                    }
                )
                continue
            updates.append(
                read_field(
                    directory, form, fdef, update.get("value"), task=task, files_url=files_url
                )
            )
        out["field_updates"] = updates
    # stored bodies keep request order; Pyrus JSON follows the protocol model's key order
    ordered = dict(sorted(out.items(), key=_comment_key_rank))
    cleaned: dict[str, Any] = omit_empty(ordered)
    return cleaned


_COMMENT_KEY_RANK = {name: rank for rank, name in enumerate(TaskComment.model_fields)}


def _comment_key_rank(item: tuple[str, Any]) -> int:
    return _COMMENT_KEY_RANK.get(item[0], len(_COMMENT_KEY_RANK))


def _steps(form: FormDef, task: TaskState, now: datetime) -> list[dict[str, Any]]:
    entered = task.step_entered_at
    current = task.current_step or 0
    steps = []
    for position, step in enumerate(form.steps, start=1):
        elapsed = None
        if position <= min(current, len(entered)):
            start = entered[position - 1]
            if position < current and position < len(entered):
                end = entered[position]
            elif task.is_closed and task.close_date is not None:
                end = task.close_date
            else:
                end = now
            elapsed = _ms_between(start, end)
        steps.append({"step": step.number, "name": step.name, "elapsed_time": elapsed})
    return steps


def render_task(
    directory: Directory,
    task: TaskState,
    comments: list[Comment],
    *,
    only_last_comment: bool = False,
    with_comments: bool = True,
    now: datetime | None = None,
    files_url: str | None = None,
) -> dict[str, Any]:
    """The task as ``GET /v4/tasks/{id}`` returns it inside ``{"task": ...}`` (spec 3.3).

    ``with_comments=False`` gives the register's Task (no ``comments``); ``only_last_comment``
    the webhook body of a bot with ``send_only_last_comment``. ``comments`` oldest first.
    """
    form = directory.forms.get(task.form_id) if task.form_id is not None else None
    text = task.text
    if form is not None and not text and not task.formatted_text:
        text = form.name
    fields = None
    steps = None
    if form is not None:
        steps = _steps(form, task, now or task.last_modified_date)
        fields = [
            read_field(
                directory,
                form,
                f,
                task.fields.get(f.id),
                task=task,
                children=task.fields,
                files_url=files_url,
            )
            for f in form.fields
            if f.parent_id is None
        ]
    ids = [c.id for c in comments if c.id is not None]
    # keys in the order of the protocol model (TaskWithComments), so that the model writes the
    # same bytes (test_render_model)
    out: dict[str, Any] = {
        "id": task.id,
        "text": text,
        "subject": task.subject,
        "create_date": format_datetime(task.create_date),
        "last_modified_date": format_datetime(task.last_modified_date),
        "close_date": format_datetime(task.close_date) if task.close_date else None,
        "author": render_person_ref(directory, task.author_id),
        "responsible": (
            render_person_ref(directory, task.responsible_id)
            if task.responsible_id is not None
            else None
        ),
        "due_date": format_date(task.due_date) if task.due_date else None,
        "due": format_datetime(task.due) if task.due else None,
        "duration": task.duration,
        "formatted_text": task.formatted_text,
        "participants": [render_person_ref(directory, p) for p in task.participant_ids],
        "scheduled_date": format_date(task.scheduled_date) if task.scheduled_date else None,
        "scheduled_datetime_utc": (
            format_datetime(task.scheduled_datetime_utc) if task.scheduled_datetime_utc else None
        ),
        "form_id": task.form_id,
        "fields": fields,
        "approvals": [
            [_approval(directory, a, step) for a in entries]
            for step, entries in enumerate(task.approvals, start=1)
        ],
        "subscribers": [
            {"person": render_person_ref(directory, s.person_id), "approval_choice": s.choice}
            for s in task.subscribers
        ],
        "current_step": task.current_step if task.form_id is not None else None,
        "steps": steps,
        "is_closed": task.is_closed,
        "list_ids": list(task.list_ids),
        "linked_task_ids": list(task.linked_task_ids),
        "parent_task_id": task.parent_task_id,
        "last_note_id": ids[-1] if ids else task.last_note_id,
        "attachments": [
            render_file(directory.files_by_id[i], files_url)
            for i in task.attachment_ids
            if i in directory.files_by_id
        ],
    }
    if with_comments:
        shown = comments[-1:] if only_last_comment else comments
        out["comments"] = [render_comment(directory, task, c, files_url=files_url) for c in shown]
    cleaned: dict[str, Any] = omit_empty(out)
    return cleaned
