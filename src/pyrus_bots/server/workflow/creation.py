"""A new task (``POST /v4/tasks``) and its first comment, from a :class:`CreateTaskRequest`."""

from __future__ import annotations

from datetime import datetime

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import CreateTaskRequest
from pyrus_bots.server.workflow import steps
from pyrus_bots.server.workflow.change import Applied, Change, unique
from pyrus_bots.server.workflow.defaults import fill_defaults
from pyrus_bots.server.workflow.schedule import set_due, set_schedule
from pyrus_bots.server.workflow.state import (
    Approval,
    Comment,
    CommentAdded,
    Directory,
    Person,
    StepEntered,
    TaskState,
)
from pyrus_bots.server.workflow.updates import apply_field_updates


def create_task(
    directory: Directory,
    author: Person,
    request: CreateTaskRequest,
    now: datetime,
    task_id: int,
) -> Applied:
    """Create a simple or form task (``POST /v4/tasks``) with its first comment.

    Simple: ``text`` or ``formatted_text`` (the request checked it: ``text_missing``). Form:
    ``form_id`` of a live form the author may use (else ``form_id_missing`` /
    ``access_denied_form``), ``fields`` initial values (with ``fill_defaults``, the form's
    defaults in the fields left empty), ``approvals`` (PersonIdentity[][]) added to the form's
    step approvers.
    """
    task = TaskState(id=task_id, author_id=author.id, create_date=now, last_modified_date=now)
    change = Change(directory, task, author, now)
    task.text, task.formatted_text = request.text, request.formatted_text
    task.subject = request.subject
    if request.form_id is not None:
        _use_form(change, request.form_id)
    if request.responsible is not None:
        task.responsible_id = change.person_id(request.responsible)
        change.body["reassigned_to"] = task.responsible_id
    task.participant_ids = change.person_ids(request.participants)
    change.record("participants_added", task.participant_ids)
    subscribers = change.person_ids(request.subscribers)
    task.subscribers = [Approval(p) for p in subscribers]
    change.record("subscribers_added", subscribers)
    _add_initial_approvals(change, request)
    if change.form is not None:
        changes = apply_field_updates(directory, change.form, task.fields, request.fields)
        if request.fill_defaults:
            changes += fill_defaults(directory, change.form, task.fields)
        change.record_fields([c for c in changes if c.stored is not None])
    change.attach(request.attachments)
    set_due(change, request.due_date, request.due, request.duration)
    set_schedule(change, request.scheduled_date, request.scheduled_datetime_utc)
    task.list_ids = unique(request.list_ids)
    change.record("added_list_ids", task.list_ids)
    task.parent_task_id = request.parent_task_id
    change.events.append(CommentAdded(task.id, author.id))
    if change.form is not None and change.form.steps:
        steps.enter(change, 1, rerequest_all=True)
        steps.advance(change)
        if "changed_step" not in change.body and not task.is_closed:
            change.events.append(StepEntered(task.id, 1, steps.approvers(change, 1)))
    comment = Comment(task_id=task.id, author_id=author.id, create_date=now, body=change.body)
    return Applied(task, comment, change.events)


def _use_form(change: Change, form_id: int) -> None:
    form = change.directory.forms.get(form_id)
    if form is None or form.deleted:
        raise PyrusError("form_id_missing", f"there is no form {form_id!r}")
    allowed = set(form.manager_ids) | set(form.member_ids)
    if allowed and change.author.id not in allowed:
        raise PyrusError("access_denied_form", f"no access to form {form.id}")
    change.task.form_id = form.id
    change.form = form
    change.task.approvals = [[Approval(p) for p in s.approver_ids] for s in form.steps]


def _add_initial_approvals(change: Change, request: CreateTaskRequest) -> None:
    """The form's approvers plus ``approvals`` of the request, recorded as ``approvals_added``."""
    for index, people in enumerate(request.approvals):
        ids = change.person_ids(people, allow_roles=True)
        if ids:
            steps.ensure_step(change, index + 1, "approvals")
            steps.edit_step(change, steps.APPROVALS_ADDED, index + 1, ids)
    recorded = [
        [{"person_id": a.person_id, "step": n} for a in entries]
        for n, entries in enumerate(change.task.approvals, start=1)
    ]
    if any(recorded):
        change.body["approvals_added"] = recorded
