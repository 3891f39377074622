"""The task page's one form as the API's comment request: text, an approval on a chosen step,
field changes, people (responsible, participants, subscribers), the due date, close or reopen.

A person on Pyrus does all of these in one comment; so does the form here, and the result goes
through :func:`pyrus_bots.server.tasks.changes.comment_task` like ``POST /v4/tasks/{id}/comments``.
Inputs: ``text``, ``approval_choice`` and ``approval_step``, ``action`` (``finished`` or
``reopened``), ``reassign_to``, ``participants_added``/``_removed``, ``subscribers_added``/
``_removed`` (person ids, repeated), ``due_date`` or ``due`` (+ ``duration``), ``cancel_due``,
and the field inputs of :mod:`.ui_fields`. The page also sends what each field input held when
it was drawn, as ``was:<input name>``: only fields the person changed are sent, so a field a bot
changed meanwhile is not written back.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from pyrus_bots.server.admin.ui_fields import (
    UTC_ZONE,
    FieldInputError,
    Submitted,
    field_values,
    utc_value,
)
from pyrus_bots.server.workflow.state import Directory, FormDef, TaskState

APPROVAL_CHOICES = frozenset({"approved", "rejected", "acknowledged", "revoked"})
ACTIONS = frozenset({"finished", "reopened"})
_PEOPLE_LISTS = (
    "participants_added",
    "participants_removed",
    "subscribers_added",
    "subscribers_removed",
)


class CommentInputError(ValueError):
    """The form asks for something no comment can carry; the message says what."""


def _one(submitted: Submitted, name: str) -> str:
    values = [v.strip() for v in submitted.get(name, []) if v.strip()]
    return values[0] if values else ""


def person_ids(submitted: Submitted, name: str) -> list[dict[str, int]]:
    ids = []
    for raw in submitted.get(name, []):
        if raw.strip():
            if not raw.strip().isdigit() or len(raw.strip()) > 18:
                raise CommentInputError(f"{name}: “{raw}” is not a person")
            ids.append({"id": int(raw)})
    return ids


def due_changes(submitted: Submitted, zone: ZoneInfo = UTC_ZONE) -> dict[str, Any]:
    if _one(submitted, "cancel_due"):
        return {"cancel_due": True}
    due_date, due, duration = (_one(submitted, k) for k in ("due_date", "due", "duration"))
    if due_date and due:
        raise CommentInputError("Give a due date or a due date and time, not both.")
    if duration and not due:
        raise CommentInputError("A duration needs a due date and time.")
    changes: dict[str, Any] = {}
    if due_date:
        changes["due_date"] = due_date
    if due:
        try:
            changes["due"] = utc_value(due, zone)
        except ValueError:
            raise CommentInputError(f"Due “{due}” is not a date and time.") from None
    if duration:
        if not duration.isdigit():
            raise CommentInputError(f"Duration “{duration}” is not a number of minutes.")
        changes["duration"] = int(duration)
    return changes


def comment_body(
    submitted: Submitted,
    directory: Directory,
    task: TaskState,
    form: FormDef | None,
    zone: ZoneInfo = UTC_ZONE,
) -> dict[str, Any]:
    """The comment request the form asks for (``{}`` when it asks for nothing).

    Raises :class:`CommentInputError` or :class:`~.ui_fields.FieldInputError` with a message
    for the person; whether the comment is allowed is the task-change layer's to say."""
    body: dict[str, Any] = {}
    text = _one(submitted, "text")
    if text:
        body["text"] = text
    choice = _one(submitted, "approval_choice")
    if choice:
        if choice not in APPROVAL_CHOICES:
            raise CommentInputError("Unknown approval choice.")
        body["approval_choice"] = choice
        step = _one(submitted, "approval_step")
        if step:
            if not step.isdigit() or len(step) > 4:
                raise CommentInputError(f"Step “{step}” is not a step number.")
            if int(step) != task.current_step:
                body["approval_steps"] = [int(step)]
    action = _one(submitted, "action")
    if action:
        if action not in ACTIONS:
            raise CommentInputError("Unknown action.")
        body["action"] = action
    reassign = person_ids(submitted, "reassign_to")
    if reassign:
        body["reassign_to"] = reassign[0]
    for name in _PEOPLE_LISTS:
        people = person_ids(submitted, name)
        if people:
            body[name] = people
    body.update(due_changes(submitted, zone))
    if form is not None:
        drawn = {k.removeprefix("was:"): v for k, v in submitted.items() if k.startswith("was:")}
        updates = field_values(
            form, directory, submitted, previous=drawn, step=task.current_step, zone=zone
        )
        if updates:
            body["field_updates"] = updates
    return body


__all__ = ["CommentInputError", "FieldInputError", "comment_body", "due_changes", "person_ids"]
