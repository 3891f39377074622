"""Approval steps: who approves which step, approval choices, moving between steps, closing
and reopening (the step semantics of :mod:`.engine`, DESIGN.md 3.5)."""

from __future__ import annotations

from collections.abc import Sequence

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.enums import Action, ApprovalChoice
from pyrus_bots.protocol.models.person import PersonIdentity
from pyrus_bots.server.workflow.access import acts_for
from pyrus_bots.server.workflow.addressing import enclosing_table
from pyrus_bots.server.workflow.change import Change
from pyrus_bots.server.workflow.option_fields import is_shown
from pyrus_bots.server.workflow.state import Approval, StepEntered, TaskClosed
from pyrus_bots.server.workflow.state import ApprovalChoice as StoredChoice
from pyrus_bots.server.workflow.values import READ_ONLY_TYPES, is_empty

MAX_STEPS = 20
"""Pyrus's limit on steps per task (spec 5); bounds approval lists of simple tasks."""

_STORED_CHOICE: dict[ApprovalChoice, StoredChoice] = {
    ApprovalChoice.APPROVED: "approved",
    ApprovalChoice.REJECTED: "rejected",
    ApprovalChoice.ACKNOWLEDGED: "acknowledged",
    ApprovalChoice.REVOKED: "waiting",
}

APPROVALS_ADDED = "approvals_added"
APPROVALS_REMOVED = "approvals_removed"
APPROVALS_REREQUESTED = "approvals_rerequested"


# --- the shape of the steps ------------------------------------------------------------------


def step_count(change: Change) -> int:
    return len(change.form.steps) if change.form is not None else len(change.task.approvals)


def _entries(change: Change, step: int) -> list[Approval]:
    approvals = change.task.approvals
    return approvals[step - 1] if step <= len(approvals) else []


def _step_complete(change: Change, step: int) -> bool:
    return all(a.choice == "approved" for a in _entries(change, step))


def approvers(change: Change, step: int) -> tuple[int, ...]:
    return tuple(a.person_id for a in _entries(change, step))


def ensure_step(change: Change, step: int, key: str, *, grow: bool = True) -> None:
    """Refuse a step the task cannot have; with ``grow``, make room for it."""
    limit = len(change.form.steps) if change.form is not None else MAX_STEPS
    if step > limit:
        raise PyrusError("invalid_step_number", f"{key}: there is no step {step}")
    while grow and len(change.task.approvals) < step:
        change.task.approvals.append([])


def edit_step(change: Change, key: str, step: int, ids: list[int]) -> list[int]:
    """Add, remove or re-request ``ids`` on one step; the ids it actually changed."""
    if step > len(change.task.approvals):
        return []
    entries = change.task.approvals[step - 1]
    present = {a.person_id for a in entries}
    if key == APPROVALS_ADDED:
        done = [p for p in ids if p not in present]
        entries.extend(Approval(p) for p in done)
    elif key == APPROVALS_REMOVED:
        done = [p for p in ids if p in present]
        entries[:] = [a for a in entries if a.person_id not in done]
    else:
        done = [p for p in ids if p in present]
        for a in entries:
            if a.person_id in done:
                a.choice = "waiting"
    return done


def edit_approvers(change: Change, key: str, per_step: Sequence[Sequence[PersonIdentity]]) -> bool:
    """One of ``approvals_added/removed/rerequested`` (outer index 0 = step 1); True when the
    current step lost approvers."""
    current_lost = False
    recorded: list[list[dict[str, int]]] = []
    for index, people in enumerate(per_step):
        step = index + 1
        ids = change.person_ids(people, allow_roles=True)
        if ids:
            ensure_step(change, step, key, grow=key == APPROVALS_ADDED)
        done = edit_step(change, key, step, ids)
        if key == APPROVALS_REMOVED and done and step == change.task.current_step:
            current_lost = True
        recorded.append([{"person_id": p, "step": step} for p in done])
    if any(recorded):
        change.body[key] = recorded
    return current_lost


# --- moving between steps --------------------------------------------------------------------


def enter(change: Change, step: int, *, rerequest_all: bool) -> None:
    task = change.task
    while len(task.approvals) < step:
        task.approvals.append([])
    for a in task.approvals[step - 1]:
        if rerequest_all or a.choice != "approved":
            a.choice = "waiting"
    task.current_step = step
    task.step_entered_at = [*task.step_entered_at[: step - 1], change.now]


def close(change: Change) -> None:
    task = change.task
    if not task.is_closed:
        task.is_closed = True
        task.close_date = change.now
        change.events.append(TaskClosed(task.id, change.author.id))


def reopen(change: Change) -> None:
    task = change.task
    if not task.is_closed:
        return
    task.is_closed = False
    task.close_date = None
    step = task.current_step
    if change.form is not None and step is not None and _step_complete(change, step):
        enter(change, step, rerequest_all=True)
        change.events.append(StepEntered(task.id, step, approvers(change, step)))


def advance(change: Change) -> None:
    """Pass every complete step from the current one; close after the last."""
    task = change.task
    if change.form is None or task.current_step is None or task.is_closed:
        return
    start = step = task.current_step
    while _step_complete(change, step):
        _check_required(change, step)
        if step >= step_count(change):
            close(change)
            return
        step += 1
        enter(change, step, rerequest_all=False)
    if step != start:
        change.body["changed_step"] = step
        change.events.append(StepEntered(task.id, step, approvers(change, step)))


def _check_required(change: Change, step: int) -> None:
    form = change.form
    assert form is not None
    fields = change.task.fields
    for fdef in form.fields:
        if fdef.required_step is None or fdef.required_step > step:
            continue
        if not is_shown(form, fields, fdef):
            continue  # a sub-field of an option not chosen
        table = enclosing_table(form, fdef)
        if table is None:
            computed = fdef.type == "title" or fdef.type in READ_ONLY_TYPES
            if not computed and is_empty(fields.get(fdef.id)):
                raise PyrusError(
                    "required_field_missing", f"field {fdef.id} ({fdef.name}) is required"
                )
            continue
        for row in fields.get(table.id) or []:
            if is_empty(row["cells"].get(str(fdef.id))):
                raise PyrusError(
                    "required_table_field_missing",
                    f"field {fdef.id} ({fdef.name}) is required in row {row['row_id']}",
                )


# --- choices and actions ---------------------------------------------------------------------


def choose(change: Change, choice: ApprovalChoice, steps: Sequence[int]) -> None:
    """An approval choice on ``steps`` (the current step when empty), and what it moves."""
    task = change.task
    steps = list(dict.fromkeys(steps)) or [task.current_step or 1]
    for step in steps:
        if not 1 <= step <= max(step_count(change), 1):
            raise PyrusError("invalid_step_number", f"there is no step {step}")
        _choose_on(change, step, choice)
    change.body["approval_choice"] = choice.value
    change.body["approval_step"] = steps[0]
    if task.is_closed or change.form is None or task.current_step not in steps:
        return
    if choice is ApprovalChoice.APPROVED:
        advance(change)
    elif choice is ApprovalChoice.REJECTED:
        _reject(change, task.current_step)


def _choose_on(change: Change, step: int, choice: ApprovalChoice) -> None:
    author_id = change.author.id
    mine = [a for a in _entries(change, step) if acts_for(change.directory, author_id, a.person_id)]
    if not mine:
        subs = [s for s in change.task.subscribers if s.person_id == author_id]
        if choice is ApprovalChoice.ACKNOWLEDGED and subs:
            for s in subs:
                s.choice = "acknowledged"
            return
        raise PyrusError("access_denied", f"you are not an approver of step {step}")
    for a in mine:
        a.choice = _STORED_CHOICE[choice]


def _reject(change: Change, step: int) -> None:
    target = max(1, step - 1)
    enter(change, target, rerequest_all=True)
    change.body["reset_to_step"] = target
    change.events.append(StepEntered(change.task.id, target, approvers(change, target)))


def act(change: Change, action: Action) -> None:
    """``action``: ``finished`` closes the task, ``reopened`` reopens it."""
    change.body["action"] = action.value
    if action is Action.FINISHED:
        close(change)
    else:
        reopen(change)
