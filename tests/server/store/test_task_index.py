"""The ``task_people`` index: who a task concerns, past involvement, roles and form managers."""

from __future__ import annotations

from pyrus_bots.server.store import task_index, tasks
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.workflow.state import Approval, TaskState
from store.task_samples import change_task, form_task, new_task


def test_people_of_task_lists_involved_and_waiting_people() -> None:
    task = form_task(1, participant_ids=[1001], responsible_id=1003)
    assert task_index.people_of_task(task) == {
        task_index.INVOLVED: {1001, 1002, 1003, 2001, 2002, 3001},
        task_index.INBOX: {2001},
    }
    closed = form_task(2, is_closed=True)
    assert task_index.people_of_task(closed)[task_index.INBOX] == set()
    simple = form_task(3, form_id=None, current_step=None, approvals=[], responsible_id=1003)
    assert task_index.people_of_task(simple)[task_index.INBOX] == {1003}


def test_index_changes_keep_involvement_and_move_the_inbox() -> None:
    task = form_task(1)
    task.approvals[0][0].choice = "approved"
    task.current_step = 2
    existing = {(1002, "involved"), (2001, "involved"), (2001, "inbox"), (1001, "watcher")}
    stale, missing = task_index.index_changes(task, existing)
    assert stale == [2001]
    assert missing == {(3001, "involved"), (2002, "involved"), (1003, "involved"), (3001, "inbox")}


async def test_visibility_covers_past_involvement_roles_and_form_managers(
    seeded: Database,
) -> None:
    task = await new_task(seeded, participant_ids=[1003])

    def drop_people(current: TaskState) -> None:
        current.participant_ids = []  # 1003 was a participant: still sees it (also approver)
        current.approvals = [[Approval(2001, "approved")]]

    await change_task(seeded, task.id, drop_people)
    other_form = await new_task(seeded, form_id=322, approvals=[[Approval(1002)]], author_id=1002)

    async def visible(person_id: int) -> set[int]:
        async with seeded.session() as s:
            return {t.id for t in await tasks.list_tasks(s, person_id=person_id)}

    # 2002 was an approver of step 3 before the change: a bot keeps seeing such tasks
    assert task.id in await visible(2002)
    assert task.id in await visible(1003)
    # 1001 manages form 321 and is a member of role 3001
    assert await visible(1001) == {task.id}
    assert await visible(1002) == {task.id, other_form.id}
    assert other_form.id not in await visible(2001)
    async with seeded.session() as s:
        assert await task_index.task_people(s, task.id) >= {1002, 2001, 2002, 3001, 1003}
        assert await task_index.task_people(s, task.id, task_index.INBOX) == set()
