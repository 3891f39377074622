"""Reads see one snapshot (``Database.reading``): a task and its comments read in one block
agree even when a change is committed between the two reads (issue: a bot's approving comment
shown with the task still on step 1)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from api.harness import ALICE, BOB, FORM_ID, make_api_workspace
from sqlalchemy import text

from pyrus_bots.protocol.models.requests import parse_comment_request as comment_request
from pyrus_bots.protocol.models.requests import parse_create_task_request as task_request
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.directory import load_directory
from pyrus_bots.server.tasks import changes as task_changes
from pyrus_bots.server.workflow.state import Directory
from pyrus_bots.server.workspace import apply_workspace, parse_workspace

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


async def _task_on_step_one(database: Database) -> tuple[int, Directory]:
    async with database.session() as session, session.begin():
        await apply_workspace(session, parse_workspace(make_api_workspace()))
    async with database.session() as session:
        directory = await load_directory(session)
    async with database.session() as session, session.begin():
        task, _ = await task_changes.create_task(
            session,
            directory,
            directory.people[BOB["id"]],
            task_request({"form_id": FORM_ID, "fields": [{"id": 1, "value": "x"}]}),
            NOW,
        )
    return task.id, directory


async def _approve(database: Database, directory: Directory, task_id: int) -> None:
    async with database.session() as session, session.begin():
        await task_changes.comment_task(
            session,
            directory,
            task_id,
            directory.people[ALICE["id"]],
            comment_request({"approval_choice": "approved", "text": "fine"}),
            NOW,
        )


async def test_a_read_block_does_not_see_a_change_committed_meanwhile(database: Database) -> None:
    task_id, directory = await _task_on_step_one(database)
    async with database.reading() as session:
        before = await task_changes.load_visible_task(
            session,
            directory,
            task_id,
            directory.people[BOB["id"]],
        )
        # Another connection approves the task (a new comment, the task on step 2) and commits.
        await _approve(database, directory, task_id)
        comments = await task_changes.task_comments(session, task_id)
    assert before.current_step == 1
    assert len(comments) == 1, "the comments were read from a newer snapshot than the task"
    assert before.last_note_id == comments[-1].id
    # After the block, a new read sees the change whole.
    async with database.reading() as session:
        after = await task_changes.load_visible_task(
            session,
            directory,
            task_id,
            directory.people[BOB["id"]],
        )
        comments = await task_changes.task_comments(session, task_id)
    assert after.current_step == 2 and len(comments) == 2
    assert after.last_note_id == comments[-1].id


async def test_a_read_block_is_read_only_on_postgresql(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite has no read-only transactions; the block is rolled back")
    async with database.reading() as session:
        with pytest.raises(Exception, match="read-only"):
            await session.execute(text("UPDATE tasks SET current_step = 9"))
