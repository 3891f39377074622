"""Comments of tasks: ids in the order written, reading, editing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pyrus_bots.server.store import comments
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.workflow.state import Comment
from store.task_samples import T0, new_task


async def test_comments_get_ids_in_order_and_are_read_back(seeded: Database) -> None:
    task = await new_task(seeded)
    first = Comment(task_id=task.id, author_id=1002, create_date=T0, body={"text": "one"})
    second = Comment(
        task_id=task.id,
        author_id=2001,
        create_date=T0 + timedelta(seconds=5),
        body={"approval_choice": "approved", "changed_step": 2},
    )
    async with seeded.session() as s, s.begin():
        await comments.add_comments(s, [first, second])
        await comments.add_comments(s, [])
    assert first.id is not None and second.id is not None and second.id > first.id
    async with seeded.session() as s, s.begin():
        stored = await comments.get_comments(s, task.id)
        assert stored == [first, second]
        assert stored[1].create_date == T0 + timedelta(seconds=5)
        assert await comments.get_comments(s, task.id, last_only=True) == [second]
        edited = stored[0]
        edited.body["text"] = "one (edited)"
        await comments.update_comment(s, edited)
    async with seeded.session() as s:
        again = await comments.get_comments(s, task.id)
        assert [c.body for c in again] == [{"text": "one (edited)"}, second.body]


async def test_an_unsaved_comment_cannot_be_edited(seeded: Database) -> None:
    async with seeded.session() as s:
        with pytest.raises(ValueError, match="no id"):
            await comments.update_comment(
                s, Comment(task_id=1, author_id=1002, create_date=T0, body={})
            )
