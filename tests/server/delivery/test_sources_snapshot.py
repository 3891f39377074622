"""A webhook carries the task with the comments it had when it was read: a comment committed
between the claim's read of the task and its read of the comments stays out of that webhook."""

from __future__ import annotations

from datetime import UTC, datetime

from pyrus_bots.server.delivery.sources import _as_of
from pyrus_bots.server.workflow.state import Comment, TaskState

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_comments_newer_than_the_task_row_are_left_out() -> None:
    task = TaskState(id=7, author_id=1, create_date=NOW, last_modified_date=NOW, last_note_id=11)
    comments = [Comment(7, 1, NOW, {}, 10), Comment(7, 1, NOW, {}, 11), Comment(7, 2, NOW, {}, 12)]
    assert [c.id for c in _as_of(task, comments)] == [10, 11]
    task.last_note_id = 12
    assert [c.id for c in _as_of(task, comments)] == [10, 11, 12]
