"""The workflow engine: apply a comment request or a task creation to a task (pure, no I/O).

``apply_comment`` takes the raw JSON object of ``POST /v4/tasks/{id}/comments`` (spec 2.2; a bot's
inline reply is the same object) and returns ``Applied``: the new task state, the comment to store
and the events the delivery layer turns into webhooks. The input task is never mutated; a request
that breaks a rule raises ``PyrusError`` with the Pyrus error code and changes nothing.

Step semantics (DESIGN.md 3.5):

- ``approved`` on the current step: when every approver of the step has approved, the task moves
  to the next step (``changed_step``) and a ``StepEntered`` event names that step's approvers.
  Entering a step re-requests its approvers that had not approved (rejected, acknowledged → back
  to waiting); those who approved in advance (``approval_steps``) keep their approval, so a step
  whose approvers all approved already is passed at once. A step without approvers is passed too.
  Leaving step S needs every field with ``required_step <= S`` filled (``required_field_missing``;
  ``required_table_field_missing`` for a table column, row by row). Approval on the last step
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
the creation set them.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.pyrus_json import format_date, format_datetime, parse_datetime
from pyrus_bots.server.workflow.access import acts_for, can_comment
from pyrus_bots.server.workflow.addressing import enclosing_table
from pyrus_bots.server.workflow.state import (
    Approval,
    ApprovalChoice,
    Comment,
    CommentAdded,
    Directory,
    Event,
    FormDef,
    Person,
    StepEntered,
    TaskClosed,
    TaskState,
)
from pyrus_bots.server.workflow.updates import EditRules, FieldChange, apply_field_updates
from pyrus_bots.server.workflow.values import (
    READ_ONLY_TYPES,
    is_empty,
    resolve_file_id,
    resolve_person_id,
)

APPROVAL_CHOICES = ("approved", "rejected", "acknowledged", "revoked")
ACTIONS = ("finished", "reopened")
_STORED_CHOICE: dict[str, ApprovalChoice] = {
    "approved": "approved",
    "rejected": "rejected",
    "acknowledged": "acknowledged",
    "revoked": "waiting",
}
MAX_STEPS = 20
"""Pyrus's limit on steps per task (spec 5); bounds approval lists of simple tasks."""

_CONTENT_KEYS = frozenset(
    {
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
    }
)
"""Keys that make a comment say something; flags such as ``skip_auto_reopen`` alone do not."""


@dataclass(slots=True)
class Applied:
    """The outcome of an accepted request: new task state, the comment to store, the events."""

    task: TaskState
    comment: Comment
    events: list[Event]
    edited_comment: Comment | None = None
    """With ``edit_comment_id``: the original comment with its new text, to save over it."""


# --- small request readers -------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _invalid(key: str, why: str) -> PyrusError:
    return PyrusError("validation_error", f"{key}: {why}")


def _str(request: Mapping[str, Any], key: str) -> str | None:
    value = request.get(key)
    if value is not None and not isinstance(value, str):
        raise _invalid(key, "expected a string")
    return value


def _flag(request: Mapping[str, Any], key: str) -> bool:
    value = request.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _invalid(key, "expected true or false")
    return value


def _list(request: Mapping[str, Any], key: str) -> list[Any]:
    value = request.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid(key, "expected a list")
    return value


def _int_list(request: Mapping[str, Any], key: str) -> list[int]:
    values = _list(request, key)
    if not all(_is_int(v) for v in values):
        raise _invalid(key, "expected a list of integers")
    return list(dict.fromkeys(values))


def _parse_date_key(request: Mapping[str, Any], key: str) -> date | None:
    value = _str(request, key)
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise PyrusError("invalid_value_format", f"{key}: expected YYYY-MM-DD") from None


def _parse_datetime_key(request: Mapping[str, Any], key: str) -> datetime | None:
    value = _str(request, key)
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        raise PyrusError("invalid_value_format", f"{key}: expected YYYY-MM-DDThh:mm:ssZ") from None


def _persons(directory: Directory, request: Mapping[str, Any], key: str) -> list[int]:
    return list(dict.fromkeys(resolve_person_id(directory, p) for p in _list(request, key)))


# --- the engine ------------------------------------------------------------------------------


class _Change:
    """One request being applied to a private copy of the task."""

    def __init__(self, directory: Directory, task: TaskState, author: Person, now: datetime):
        self.directory = directory
        self.task = task
        self.author = author
        self.now = now
        self.body: dict[str, Any] = {}
        self.events: list[Event] = []
        self.form: FormDef | None = None
        if task.form_id is not None:
            self.form = directory.forms.get(task.form_id)

    # text and simple attributes

    def text(self, request: Mapping[str, Any]) -> None:
        text = _str(request, "text")
        formatted = _str(request, "formatted_text")
        if text is not None and formatted is not None:
            raise PyrusError(
                "both_text_and_formatted_text_specified", "send text or formatted_text, not both"
            )
        if text is not None:
            self.body["text"] = text
        if formatted is not None:
            self.body["formatted_text"] = formatted
        subject = _str(request, "subject")
        if subject is not None:
            self.task.subject = subject
            self.body["subject"] = subject

    def people(self, request: Mapping[str, Any]) -> None:
        task, directory = self.task, self.directory
        if request.get("reassign_to") is not None:
            task.responsible_id = resolve_person_id(directory, request["reassign_to"])
            self.body["reassigned_to"] = task.responsible_id
        added = _persons(directory, request, "participants_added")
        removed = _persons(directory, request, "participants_removed")
        task.participant_ids = [p for p in task.participant_ids if p not in removed]
        task.participant_ids += [p for p in added if p not in task.participant_ids]
        self.record("participants_added", added)
        self.record("participants_removed", removed)

        sub_added = _persons(directory, request, "subscribers_added")
        sub_removed = _persons(directory, request, "subscribers_removed")
        sub_again = _persons(directory, request, "subscribers_rerequested")
        task.subscribers = [s for s in task.subscribers if s.person_id not in sub_removed]
        present = {s.person_id for s in task.subscribers}
        task.subscribers += [Approval(p) for p in sub_added if p not in present]
        for sub in task.subscribers:
            if sub.person_id in sub_again:
                sub.choice = "waiting"
        self.record("subscribers_added", sub_added)
        self.record("subscribers_removed", sub_removed)
        self.record("subscribers_rerequested", sub_again)

    def record(self, key: str, value: Any) -> None:
        if value:
            self.body[key] = value

    def approval_lists(self, request: Mapping[str, Any]) -> bool:
        """``approvals_added/removed/rerequested``; True when the current step lost approvers."""
        current_lost = False
        for key in ("approvals_added", "approvals_removed", "approvals_rerequested"):
            per_step = _list(request, key)
            if not per_step:
                continue
            recorded: list[list[dict[str, int]]] = []
            for index, people in enumerate(per_step):
                if not isinstance(people, list):
                    raise _invalid(key, "expected a list of person lists, one per step")
                step = index + 1
                ids = [resolve_person_id(self.directory, p, allow_roles=True) for p in people]
                if ids:
                    self.ensure_step(step, key, grow=key == "approvals_added")
                done = self.edit_step(key, step, list(dict.fromkeys(ids)))
                if key == "approvals_removed" and done and step == self.task.current_step:
                    current_lost = True
                recorded.append([{"person_id": p, "step": step} for p in done])
            if any(recorded):
                self.body[key] = recorded
        return current_lost

    def ensure_step(self, step: int, key: str, *, grow: bool = True) -> None:
        limit = len(self.form.steps) if self.form is not None else MAX_STEPS
        if step > limit:
            raise PyrusError("invalid_step_number", f"{key}: there is no step {step}")
        while grow and len(self.task.approvals) < step:
            self.task.approvals.append([])

    def edit_step(self, key: str, step: int, ids: list[int]) -> list[int]:
        if step > len(self.task.approvals):
            return []
        entries = self.task.approvals[step - 1]
        present = {a.person_id for a in entries}
        if key == "approvals_added":
            done = [p for p in ids if p not in present]
            entries.extend(Approval(p) for p in done)
        elif key == "approvals_removed":
            done = [p for p in ids if p in present]
            entries[:] = [a for a in entries if a.person_id not in done]
        else:
            done = [p for p in ids if p in present]
            for a in entries:
                if a.person_id in done:
                    a.choice = "waiting"
        return done

    def fields(self, request: Mapping[str, Any]) -> None:
        if request.get("field_updates") is None:
            return
        if self.form is None:
            raise PyrusError("task_has_no_form", "field_updates need a form task")
        rules = EditRules(
            current_step=self.task.current_step,
            is_form_manager=self.author.id in self.form.manager_ids,
        )
        changes = apply_field_updates(
            self.directory, self.form, self.task.fields, request["field_updates"], rules
        )
        self.record_fields(changes)

    def record_fields(self, changes: list[FieldChange]) -> None:
        if changes:
            self.body["field_updates"] = [{"id": c.field_id, "value": c.stored} for c in changes]

    def attachments(self, request: Mapping[str, Any]) -> None:
        ids = [resolve_file_id(self.directory, ref) for ref in _list(request, "attachments")]
        ids = list(dict.fromkeys(ids))
        self.task.attachment_ids += [i for i in ids if i not in self.task.attachment_ids]
        self.record("attachments", ids)

    def dates(self, request: Mapping[str, Any]) -> None:
        task = self.task
        if request.get("due_date") is not None and request.get("due") is not None:
            raise PyrusError("either_due_date_or_due_can_be_set", "send due_date or due, not both")
        if _flag(request, "cancel_due"):
            task.due_date, task.due, task.duration = None, None, None
            self.body["cancel_due"] = True
        due_date = _parse_date_key(request, "due_date")
        due = _parse_datetime_key(request, "due")
        duration = request.get("duration")
        if duration is not None:
            if not _is_int(duration):
                raise _invalid("duration", "expected minutes as an integer")
            if duration < 0:
                raise PyrusError("negative_duration", "duration is negative")
            if due is None and task.due is None:
                raise PyrusError("due_missing", "duration needs due")
        if due_date is not None:
            task.due_date, task.due, task.duration = due_date, None, None
            self.body["due_date"] = format_date(due_date)
        if due is not None:
            task.due_date, task.due, task.duration = None, due, None
            self.body["due"] = format_datetime(due)
        if duration is not None:
            task.duration = duration
            self.body["duration"] = duration

        if _flag(request, "cancel_schedule"):
            task.scheduled_date, task.scheduled_datetime_utc = None, None
            self.body["cancel_schedule"] = True
        scheduled_date = _parse_date_key(request, "scheduled_date")
        scheduled_at = _parse_datetime_key(request, "scheduled_datetime_utc")
        if scheduled_date is not None:
            task.scheduled_date, task.scheduled_datetime_utc = scheduled_date, None
            self.body["scheduled_date"] = format_date(scheduled_date)
        if scheduled_at is not None:
            task.scheduled_date, task.scheduled_datetime_utc = None, scheduled_at
            self.body["scheduled_datetime_utc"] = format_datetime(scheduled_at)

    def misc(self, request: Mapping[str, Any]) -> None:
        task = self.task
        added = _int_list(request, "added_list_ids")
        removed = _int_list(request, "removed_list_ids")
        task.list_ids = [i for i in task.list_ids if i not in removed]
        task.list_ids += [i for i in added if i not in task.list_ids]
        self.record("added_list_ids", added)
        self.record("removed_list_ids", removed)
        spent = request.get("spent_minutes")
        if spent is not None:
            if not _is_int(spent) or spent < 0:
                raise _invalid("spent_minutes", "expected a non-negative integer")
            task.spent_minutes += spent
            self.body["spent_minutes"] = spent
        channel = request.get("channel")
        if channel is not None:
            if not isinstance(channel, dict):
                raise _invalid("channel", "expected an object")
            self.body["channel"] = copy.deepcopy(channel)
        for key in ("skip_auto_reopen", "skip_notification", "skip_satisfaction"):
            if _flag(request, key):
                self.body[key] = True

    # steps

    def _step_count(self) -> int:
        return len(self.form.steps) if self.form is not None else len(self.task.approvals)

    def _step_complete(self, step: int) -> bool:
        entries = self.task.approvals[step - 1] if step <= len(self.task.approvals) else []
        return all(a.choice == "approved" for a in entries)

    def approvers(self, step: int) -> tuple[int, ...]:
        entries = self.task.approvals[step - 1] if step <= len(self.task.approvals) else []
        return tuple(a.person_id for a in entries)

    def enter(self, step: int, *, rerequest_all: bool) -> None:
        task = self.task
        while len(task.approvals) < step:
            task.approvals.append([])
        for a in task.approvals[step - 1]:
            if rerequest_all or a.choice != "approved":
                a.choice = "waiting"
        task.current_step = step
        task.step_entered_at = [*task.step_entered_at[: step - 1], self.now]

    def close(self) -> None:
        if not self.task.is_closed:
            self.task.is_closed = True
            self.task.close_date = self.now
            self.events.append(TaskClosed(self.task.id, self.author.id))

    def reopen(self) -> None:
        task = self.task
        if not task.is_closed:
            return
        task.is_closed = False
        task.close_date = None
        step = task.current_step
        if self.form is not None and step is not None and self._step_complete(step):
            self.enter(step, rerequest_all=True)
            self.events.append(StepEntered(task.id, step, self.approvers(step)))

    def advance(self) -> None:
        """Pass every complete step from the current one; close after the last."""
        task = self.task
        if self.form is None or task.current_step is None or task.is_closed:
            return
        start = step = task.current_step
        while self._step_complete(step):
            self._check_required(step)
            if step >= self._step_count():
                self.close()
                return
            step += 1
            self.enter(step, rerequest_all=False)
        if step != start:
            self.body["changed_step"] = step
            self.events.append(StepEntered(task.id, step, self.approvers(step)))

    def _check_required(self, step: int) -> None:
        assert self.form is not None
        for fdef in self.form.fields:
            if fdef.required_step is None or fdef.required_step > step:
                continue
            table = enclosing_table(self.form, fdef)
            if table is None:
                computed = fdef.type == "title" or fdef.type in READ_ONLY_TYPES
                if not computed and is_empty(self.task.fields.get(fdef.id)):
                    raise PyrusError(
                        "required_field_missing", f"field {fdef.id} ({fdef.name}) is required"
                    )
                continue
            for row in self.task.fields.get(table.id) or []:
                if is_empty(row["cells"].get(str(fdef.id))):
                    raise PyrusError(
                        "required_table_field_missing",
                        f"field {fdef.id} ({fdef.name}) is required in row {row['row_id']}",
                    )

    def approval(self, request: Mapping[str, Any]) -> None:
        choice = request.get("approval_choice")
        if choice is None:
            return
        if choice not in APPROVAL_CHOICES:
            raise _invalid("approval_choice", f"expected one of {', '.join(APPROVAL_CHOICES)}")
        task = self.task
        steps = _int_list(request, "approval_steps") or [task.current_step or 1]
        for step in steps:
            if not 1 <= step <= max(self._step_count(), 1):
                raise PyrusError("invalid_step_number", f"there is no step {step}")
            self._choose(step, choice)
        self.body["approval_choice"] = choice
        self.body["approval_step"] = steps[0]
        if task.is_closed or self.form is None or task.current_step not in steps:
            return
        if choice == "approved":
            self.advance()
        elif choice == "rejected":
            self._reject(task.current_step)

    def _choose(self, step: int, choice: str) -> None:
        entries = self.task.approvals[step - 1] if step <= len(self.task.approvals) else []
        mine = [a for a in entries if acts_for(self.directory, self.author.id, a.person_id)]
        if not mine:
            subs = [s for s in self.task.subscribers if s.person_id == self.author.id]
            if choice == "acknowledged" and subs:
                for s in subs:
                    s.choice = "acknowledged"
                return
            raise PyrusError("access_denied", f"you are not an approver of step {step}")
        for a in mine:
            a.choice = _STORED_CHOICE[choice]

    def _reject(self, step: int) -> None:
        target = max(1, step - 1)
        self.enter(target, rerequest_all=True)
        self.body["reset_to_step"] = target
        self.events.append(StepEntered(self.task.id, target, self.approvers(target)))

    def action(self, request: Mapping[str, Any]) -> None:
        action = request.get("action")
        if action is None:
            return
        if action not in ACTIONS:
            raise _invalid("action", "expected finished or reopened")
        self.body["action"] = action
        if action == "finished":
            self.close()
        else:
            self.reopen()


def _edit(
    change: _Change, request: Mapping[str, Any], comments: list[Comment] | None
) -> Comment | None:
    edit_id = request.get("edit_comment_id")
    if edit_id is None:
        return None
    if not _is_int(edit_id):
        raise _invalid("edit_comment_id", "expected a comment id")
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


def apply_comment(
    directory: Directory,
    task: TaskState,
    author: Person,
    request: dict[str, Any],
    now: datetime,
    *,
    comments: list[Comment] | None = None,
    involved_ids: Collection[int] | None = None,
) -> Applied:
    """Apply a comment request (spec 2.2) by ``author`` to ``task``; see the module docstring.

    ``comments`` (the task's comments) is needed for ``edit_comment_id``; ``involved_ids`` (who
    ever took part) widens who may comment, as in ``access.can_comment``.
    """
    if not isinstance(request, dict):
        raise PyrusError("invalid_json", "a comment is a JSON object")
    if not can_comment(directory, task, author, involved_ids):
        raise PyrusError("access_denied_task", f"no access to task {task.id}")
    if not any(not _blank(request.get(k)) for k in _CONTENT_KEYS):
        raise PyrusError("empty_body", "the comment changes nothing")
    change = _Change(directory, _copy_task(task), author, now)
    change.text(request)
    edited = _edit(change, request, comments)
    action = request.get("action")
    reopens = action != "finished" and edited is None and not _flag(request, "skip_auto_reopen")
    if change.task.is_closed and reopens:
        change.reopen()
    change.people(request)
    current_lost = change.approval_lists(request)
    change.fields(request)
    change.attachments(request)
    change.dates(request)
    change.misc(request)
    change.approval(request)
    if current_lost:
        change.advance()
    change.action(request)
    change.task.last_modified_date = now
    change.events.insert(0, CommentAdded(task.id, author.id))
    comment = Comment(task_id=task.id, author_id=author.id, create_date=now, body=change.body)
    return Applied(change.task, comment, change.events, edited)


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


def _blank(value: Any) -> bool:
    return value is None or value is False or (isinstance(value, str | list | dict) and not value)


def create_task(
    directory: Directory,
    author: Person,
    request: dict[str, Any],
    now: datetime,
    task_id: int,
) -> Applied:
    """Create a simple or form task (``POST /v4/tasks``) with its first comment.

    Simple: ``text`` or ``formatted_text`` required (``text_missing``). Form: ``form_id`` of a
    live form the author may use (else ``form_id_missing`` / ``access_denied_form``), ``fields``
    initial values, ``approvals`` (PersonIdentity[][]) added to the form's step approvers.
    """
    if not isinstance(request, dict):
        raise PyrusError("invalid_json", "a task is a JSON object")
    task = TaskState(id=task_id, author_id=author.id, create_date=now, last_modified_date=now)
    change = _Change(directory, task, author, now)
    text = _str(request, "text")
    formatted = _str(request, "formatted_text")
    if text is not None and formatted is not None:
        raise PyrusError(
            "both_text_and_formatted_text_specified", "send text or formatted_text, not both"
        )
    task.text, task.formatted_text = text, formatted
    task.subject = _str(request, "subject")
    form_id = request.get("form_id")
    if form_id is None and not text and not formatted:
        raise PyrusError("text_missing", "a simple task needs text or formatted_text")
    if form_id is not None:
        form = directory.forms.get(form_id) if _is_int(form_id) else None
        if form is None or form.deleted:
            raise PyrusError("form_id_missing", f"there is no form {form_id!r}")
        allowed = set(form.manager_ids) | set(form.member_ids)
        if allowed and author.id not in allowed:
            raise PyrusError("access_denied_form", f"no access to form {form.id}")
        task.form_id = form.id
        change.form = form
        task.approvals = [[Approval(p) for p in s.approver_ids] for s in form.steps]
    if request.get("responsible") is not None:
        task.responsible_id = resolve_person_id(directory, request["responsible"])
        change.body["reassigned_to"] = task.responsible_id
    task.participant_ids = _persons(directory, request, "participants")
    change.record("participants_added", task.participant_ids)
    subscribers = _persons(directory, request, "subscribers")
    task.subscribers = [Approval(p) for p in subscribers]
    change.record("subscribers_added", subscribers)
    _add_initial_approvals(change, request)
    if change.form is not None and request.get("fields") is not None:
        fields = request["fields"]
        changes = apply_field_updates(directory, change.form, task.fields, fields)
        change.record_fields([c for c in changes if c.stored is not None])
    change.attachments(request)
    change.dates(request)
    task.list_ids = _int_list(request, "list_ids")
    change.record("added_list_ids", task.list_ids)
    parent = request.get("parent_task_id")
    if parent is not None:
        if not _is_int(parent):
            raise _invalid("parent_task_id", "expected a task id")
        task.parent_task_id = parent
    change.events.append(CommentAdded(task.id, author.id))
    if change.form is not None and change.form.steps:
        change.enter(1, rerequest_all=True)
        change.advance()
        if "changed_step" not in change.body and not task.is_closed:
            change.events.append(StepEntered(task.id, 1, change.approvers(1)))
    comment = Comment(task_id=task.id, author_id=author.id, create_date=now, body=change.body)
    return Applied(task, comment, change.events)


def _add_initial_approvals(change: _Change, request: Mapping[str, Any]) -> None:
    """The form's approvers plus ``approvals`` of the request, recorded as ``approvals_added``."""
    for index, people in enumerate(_list(request, "approvals")):
        if not isinstance(people, list):
            raise _invalid("approvals", "expected a list of person lists, one per step")
        ids = [resolve_person_id(change.directory, p, allow_roles=True) for p in people]
        if ids:
            change.ensure_step(index + 1, "approvals")
            change.edit_step("approvals_added", index + 1, list(dict.fromkeys(ids)))
    recorded = [
        [{"person_id": a.person_id, "step": n} for a in entries]
        for n, entries in enumerate(change.task.approvals, start=1)
    ]
    if any(recorded):
        change.body["approvals_added"] = recorded
