"""Who may see and comment on a task, and whose inbox it is in (DESIGN.md 3.5).

- A bot sees the tasks it is or was an approver, responsible, participant or author of. "Was"
  needs history, which the caller passes as ``involved_ids`` (the store's index of everyone who
  ever took part, see ``involved_person_ids``).
- A person sees the tasks they take part in (author, responsible, participant, approver,
  subscriber; also through a role they belong to), the tasks of forms they manage, and every
  task when they hold the ``can_see_all_tasks`` right.
- Whoever may see a task may comment on it.
- Inbox: open tasks where the person is waiting on the current step (any step of a simple task
  with approvals), or where they are the responsible of a simple task.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyrus_bots.server.workflow.state import Approval, Directory, FormDef, Person, TaskState

SEE_ALL_TASKS_RIGHT = "can_see_all_tasks"


def can_use_form(form: FormDef, person: Person) -> bool:
    """Whether ``person`` may read ``form`` and its register (else 403 ``access_denied_form``):
    a form without members is open to everyone; bots use every form they are routed."""
    if form.deleted:
        return False
    if person.type == "bot":
        return True
    members = set(form.manager_ids) | set(form.member_ids)
    return not members or person.id in members or SEE_ALL_TASKS_RIGHT in person.rights


def sees_all_form_tasks(form: FormDef, person: Person) -> bool:
    """Whether ``person`` sees every task of ``form`` (its managers and holders of the
    ``can_see_all_tasks`` right), not only the ones they take part in."""
    return person.type != "bot" and (
        person.id in form.manager_ids or SEE_ALL_TASKS_RIGHT in person.rights
    )


def involved_person_ids(task: TaskState) -> set[int]:
    """Ids (people, bots, roles) that take part in the task now."""
    ids = {task.author_id, *task.participant_ids}
    if task.responsible_id is not None:
        ids.add(task.responsible_id)
    ids.update(s.person_id for s in task.subscribers)
    for step in task.approvals:
        ids.update(a.person_id for a in step)
    return ids


def acts_for(directory: Directory | None, person_id: int, approver_id: int) -> bool:
    """Whether ``person_id`` is ``approver_id`` or a member of the role ``approver_id``."""
    if person_id == approver_id:
        return True
    if directory is None:
        return False
    role = directory.roles.get(approver_id)
    return role is not None and not role.banned and person_id in role.member_ids


def _roles_of(directory: Directory, person_id: int) -> set[int]:
    return {r.id for r in directory.roles.values() if person_id in r.member_ids}


def can_view_task(
    directory: Directory,
    task: TaskState,
    person: Person,
    involved_ids: Iterable[int] | None = None,
) -> bool:
    """Whether ``person`` may read ``task`` (else the API answers 403 ``access_denied_task``)."""
    if person.banned or person.fired:
        return False
    mine = {person.id} | _roles_of(directory, person.id)
    if mine & involved_person_ids(task):
        return True
    if involved_ids is not None and mine & set(involved_ids):
        return True
    if person.type == "bot":
        return False
    if SEE_ALL_TASKS_RIGHT in person.rights:
        return True
    form = directory.forms.get(task.form_id) if task.form_id is not None else None
    return form is not None and person.id in form.manager_ids


def can_comment(
    directory: Directory,
    task: TaskState,
    person: Person,
    involved_ids: Iterable[int] | None = None,
) -> bool:
    """Whether ``person`` may comment on ``task``: whoever may read it."""
    return can_view_task(directory, task, person, involved_ids)


def _open_approvals(task: TaskState) -> list[Approval]:
    if task.is_closed:
        return []
    if task.current_step is None:
        return [a for step in task.approvals for a in step]
    if 1 <= task.current_step <= len(task.approvals):
        return list(task.approvals[task.current_step - 1])
    return []


def is_waiting_on(task: TaskState, person_id: int, directory: Directory | None = None) -> bool:
    """Whether the open task waits for ``person_id``'s decision on its current step.

    With ``directory``, a waiting role approver counts for each of its members.
    """
    return any(
        a.choice == "waiting" and acts_for(directory, person_id, a.person_id)
        for a in _open_approvals(task)
    )


def in_inbox(task: TaskState, person_id: int, directory: Directory | None = None) -> bool:
    """Whether the task is in the person's inbox (DESIGN.md 3.5)."""
    if task.is_closed:
        return False
    if task.form_id is None and task.responsible_id == person_id:
        return True
    return is_waiting_on(task, person_id, directory)
