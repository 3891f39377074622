"""The workflow engine: apply a comment request or a task creation to a task (pure, no I/O).

``apply_comment`` takes the comment request of ``POST /v4/tasks/{id}/comments`` (spec 2.2; a bot's
inline reply is the same request), parsed into :class:`CommentRequest` (which has checked the
types and Pyrus's own rules), and returns ``Applied``: the new task state, the comment to store
and the events the delivery layer turns into webhooks. The input task is never mutated; a request
that breaks a rule raises ``PyrusError`` with the Pyrus error code and changes nothing.

Step semantics (DESIGN.md 3.5):

- ``approved`` on the current step: when every approver of the step has approved, the task moves
  to the next step (``changed_step``) and a ``StepEntered`` event names that step's approvers.
  Entering a step re-requests its approvers that had not approved (rejected, acknowledged → back
  to waiting); those who approved in advance (``approval_steps``) keep their approval, so a step
  whose approvers all approved already is passed at once. A step without approvers is passed too.
  Leaving step S needs every field with ``required_step <= S`` filled (``required_field_missing``;
  ``required_table_field_missing`` for a table column, row by row); a sub-field of a
  multiple-choice option counts only while its option is chosen. Approval on the last step
  closes the task (``TaskClosed``); ``current_step`` stays on the last step.
- ``rejected`` on the current step S returns the task to step max(1, S-1), sets that step's
  approvals back to waiting, records ``reset_to_step`` and emits ``StepEntered`` for it.
- ``acknowledged`` records the choice and moves nothing; ``revoked`` withdraws the author's
  earlier choice on the step (back to waiting).
- The choice applies to ``approval_steps`` when given, else to the current step (step 1 of a
  simple task). The author must be an approver of each such step, directly or through a role;
  otherwise the comment is refused with ``access_denied`` (403) and nothing changes. The one
  exception: ``acknowledged`` from a subscriber marks the subscription acknowledged.
- ``action: finished`` closes the task, ``reopened`` reopens it; any other comment on a closed task
  (an edit of an earlier comment excepted) reopens it unless ``skip_auto_reopen``. A reopened
  form task whose current step was complete has that step's approvals re-requested and emits
  ``StepEntered``. Approval choices on a task that stays closed are recorded but move nothing.
- Every applied comment emits ``CommentAdded``; ``last_modified_date`` becomes ``now``.
- ``previous_note_id``: refused with ``conflict`` (nothing changes) unless it is still the task's
  ``last_note_id``.
- ``edit_comment_id`` (needs the ``comments`` argument): the comment must exist on this task and
  be the author's, else ``access_denied``. The new comment records ``edit_comment_id`` and the new
  text, and ``Applied.edited_comment`` is the original with its text replaced, for the store to
  save over the original.

``Comment.body`` (ids instead of persons; every key only when the request set it):

    text, formatted_text, subject: str
    approval_choice: "approved"|"rejected"|"acknowledged"|"revoked"
    approval_step: int            first step the choice applied to
    changed_step: int             step the task moved to (forward)
    reset_to_step: int            step a rejection sent the task back to
    action: "finished"|"reopened" only when the request asked for it
    reassigned_to: person id
    participants_added, participants_removed: [person id]
    subscribers_added, subscribers_removed, subscribers_rerequested: [person id]
    approvals_added, approvals_removed, approvals_rerequested:
        [[{"person_id": id, "step": n}, ...] per step]   (outer index 0 = step 1)
    field_updates: [{"id": field id, "value": stored value or None when cleared}]
        (``values`` module docstring; a table records the whole table after the write)
    attachments: [file id]
    due_date: "YYYY-MM-DD"; due: "YYYY-MM-DDThh:mm:ssZ"; duration: int; cancel_due: true
    scheduled_date: "YYYY-MM-DD"; scheduled_datetime_utc: "YYYY-MM-DDThh:mm:ssZ";
    cancel_schedule: true
    added_list_ids, removed_list_ids: [int]
    spent_minutes: int
    channel: dict as sent
    skip_auto_reopen, skip_notification, skip_satisfaction: true
    edit_comment_id: int

The first comment of a new task (author = creator) carries ``field_updates`` (initial values),
``approvals_added`` (every approver per step), and ``reassigned_to``, ``participants_added``,
``subscribers_added``, ``attachments``, ``due_date``/``due``/``duration``, ``added_list_ids`` when
the creation set them (:mod:`.creation`).

The parts: :mod:`.participants` (people), :mod:`.steps` (approvals, steps, closing),
:mod:`.schedule` (due dates, schedule), :mod:`.creation` (a new task); this module applies a
comment's keys in order and builds its comment.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.enums import Action
from pyrus_bots.protocol.models.requests import CommentRequest
from pyrus_bots.server.workflow import steps
from pyrus_bots.server.workflow.access import can_comment
from pyrus_bots.server.workflow.change import Applied, Change, unique
from pyrus_bots.server.workflow.creation import create_task
from pyrus_bots.server.workflow.participants import change_people
from pyrus_bots.server.workflow.schedule import set_due, set_schedule
from pyrus_bots.server.workflow.state import (
    Approval,
    Comment,
    CommentAdded,
    Directory,
    Person,
    TaskState,
)
from pyrus_bots.server.workflow.updates import EditRules, apply_field_updates

__all__ = ["Applied", "apply_comment", "create_task"]

_CONTENT_KEYS = (
    "text",
    "formatted_text",
    "subject",
    "approval_choice",
    "action",
    "reassign_to",
    "participants_added",
    "participants_removed",
    "subscribers_added",
    "subscribers_removed",
    "subscribers_rerequested",
    "approvals_added",
    "approvals_removed",
    "approvals_rerequested",
    "field_updates",
    "attachments",
    "due_date",
    "due",
    "duration",
    "cancel_due",
    "scheduled_date",
    "scheduled_datetime_utc",
    "cancel_schedule",
    "added_list_ids",
    "removed_list_ids",
    "spent_minutes",
    "edit_comment_id",
)
"""Keys that make a comment say something; flags such as ``skip_auto_reopen`` alone do not."""


def apply_comment(
    directory: Directory,
    task: TaskState,
    author: Person,
    request: CommentRequest,
    now: datetime,
    *,
    comments: list[Comment] | None = None,
    involved_ids: Collection[int] | None = None,
) -> Applied:
    """Apply a comment request (spec 2.2) by ``author`` to ``task``; see the module docstring.

    ``comments`` (the task's comments) is needed for ``edit_comment_id``; ``involved_ids`` (who
    ever took part) widens who may comment, as in ``access.can_comment``.
    """
    if not can_comment(directory, task, author, involved_ids):
        raise PyrusError("access_denied_task", f"no access to task {task.id}")
    if request.previous_note_id is not None and request.previous_note_id != task.last_note_id:
        raise PyrusError(
            "conflict", f"task {task.id} changed since comment {request.previous_note_id}"
        )
    if all(_blank(getattr(request, key)) for key in _CONTENT_KEYS):
        raise PyrusError("empty_body", "the comment changes nothing")
    change = Change(directory, _copy_task(task), author, now)
    _text(change, request)
    edited = _edit(change, request, comments)
    reopens = (
        request.action is not Action.FINISHED and edited is None and not request.skip_auto_reopen
    )
    if change.task.is_closed and reopens:
        steps.reopen(change)
    change_people(change, request)
    current_lost = False
    for key in (steps.APPROVALS_ADDED, steps.APPROVALS_REMOVED, steps.APPROVALS_REREQUESTED):
        current_lost |= steps.edit_approvers(change, key, getattr(request, key))
    _fields(change, request)
    change.attach(request.attachments)
    set_due(
        change, request.due_date, request.due, request.duration, cancel=bool(request.cancel_due)
    )
    set_schedule(
        change,
        request.scheduled_date,
        request.scheduled_datetime_utc,
        cancel=bool(request.cancel_schedule),
    )
    _misc(change, request)
    if request.approval_choice is not None:
        steps.choose(change, request.approval_choice, request.approval_steps)
    if current_lost:
        steps.advance(change)
    if request.action is not None:
        steps.act(change, request.action)
    change.task.last_modified_date = now
    change.events.insert(0, CommentAdded(task.id, author.id))
    comment = Comment(task_id=task.id, author_id=author.id, create_date=now, body=change.body)
    return Applied(change.task, comment, change.events, edited)


def _text(change: Change, request: CommentRequest) -> None:
    if request.text is not None:
        change.body["text"] = request.text
    if request.formatted_text is not None:
        change.body["formatted_text"] = request.formatted_text
    if request.subject is not None:
        change.task.subject = request.subject
        change.body["subject"] = request.subject


def _fields(change: Change, request: CommentRequest) -> None:
    # Sent at all (even empty) on a task without a form is an error, as in Pyrus.
    if "field_updates" not in request.model_fields_set:
        return
    if change.form is None:
        raise PyrusError("task_has_no_form", "field_updates need a form task")
    rules = EditRules(
        current_step=change.task.current_step,
        is_form_manager=change.author.id in change.form.manager_ids,
    )
    change.record_fields(
        apply_field_updates(
            change.directory, change.form, change.task.fields, request.field_updates, rules
        )
    )


def _misc(change: Change, request: CommentRequest) -> None:
    task = change.task
    added = unique(request.added_list_ids)
    removed = unique(request.removed_list_ids)
    task.list_ids = [i for i in task.list_ids if i not in removed]
    task.list_ids += [i for i in added if i not in task.list_ids]
    change.record("added_list_ids", added)
    change.record("removed_list_ids", removed)
    if request.spent_minutes is not None:
        task.spent_minutes += request.spent_minutes
        change.body["spent_minutes"] = request.spent_minutes
    if request.channel is not None:
        # As sent: every key the sender set, unknown ones included.
        change.body["channel"] = request.channel.model_dump(by_alias=True, exclude_unset=True)
    for key in ("skip_auto_reopen", "skip_notification", "skip_satisfaction"):
        if getattr(request, key):
            change.body[key] = True


def _edit(
    change: Change, request: CommentRequest, comments: list[Comment] | None
) -> Comment | None:
    edit_id = request.edit_comment_id
    if edit_id is None:
        return None
    original = next(
        (c for c in comments or [] if c.id == edit_id and c.task_id == change.task.id), None
    )
    if original is None:
        raise PyrusError("validation_error", f"edit_comment_id: no comment {edit_id} here")
    if original.author_id != change.author.id:
        raise PyrusError("access_denied", "only the author of a comment may edit it")
    edited = copy.deepcopy(original)
    for key in ("text", "formatted_text"):
        edited.body.pop(key, None)
        if key in change.body:
            edited.body[key] = change.body[key]
    change.body["edit_comment_id"] = edit_id
    return edited


def _blank(value: Any) -> bool:
    return value is None or value is False or (isinstance(value, str | list | dict) and not value)


_IMMUTABLE = frozenset({str, int, float, bool, type(None), datetime, date})


def _clone(value: Any) -> Any:
    """A deep copy of task data (JSON-like values, datetimes, small dataclasses); anything
    else goes through ``copy.deepcopy``. About ten times faster than deepcopy on a task."""
    kind = type(value)
    if kind in _IMMUTABLE:
        return value
    if kind is list:
        return [_clone(v) for v in value]
    if kind is dict:
        return {k: _clone(v) for k, v in value.items()}
    if kind is Approval:
        return Approval(value.person_id, value.choice)
    return copy.deepcopy(value)


def _copy_task(task: TaskState) -> TaskState:
    """A copy of ``task`` the change may mutate freely (the caller's task stays untouched)."""
    if type(task) is not TaskState:
        return copy.deepcopy(task)
    return TaskState(**{name: _clone(getattr(task, name)) for name in _TASK_FIELDS})


_TASK_FIELDS = tuple(f.name for f in dataclasses.fields(TaskState))
