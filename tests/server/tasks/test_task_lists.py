"""Tasks in lists through the task-change layer, as bot replies use it: the index of a list's
tasks follows creation and comments; a reply naming an unknown list is refused alone."""

from __future__ import annotations

from datetime import UTC, datetime

from api.harness import ALICE, BOB, BOT_ID, make_api_workspace

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import parse_comment_request as comment_request
from pyrus_bots.protocol.models.requests import parse_create_task_request as task_request
from pyrus_bots.server.store import task_lists
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.directory import load_directory
from pyrus_bots.server.tasks import changes as service
from pyrus_bots.server.workflow.lists import TaskListDef
from pyrus_bots.server.workflow.state import Directory
from pyrus_bots.server.workspace import apply_workspace, parse_workspace

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


async def _loaded(database: Database) -> Directory:
    async with database.session() as session, session.begin():
        await apply_workspace(session, parse_workspace(make_api_workspace()))
    async with database.session() as session:
        return await load_directory(session)


async def test_list_membership_follows_every_change(database: Database) -> None:
    directory = await _loaded(database)
    bob, bot = directory.people[BOB["id"]], directory.people[BOT_ID]
    async with database.session() as session, session.begin():
        await task_lists.save_list(
            session, 1, TaskListDef(id=7, name="A", manager_ids=[ALICE["id"]])
        )
        await task_lists.save_list(
            session, 1, TaskListDef(id=8, name="B", manager_ids=[ALICE["id"]])
        )
        task, _ = await service.create_task(
            session,
            directory,
            bob,
            task_request({"text": "x", "list_ids": [7], "responsible": {"id": BOT_ID}}),
            NOW,
        )
    async with database.session() as session:
        assert await task_lists.task_ids_in_list(session, 7) == [task.id]
    # Two replies in one batch: the one naming an unknown list is refused, the other applies.
    async with database.session() as session, session.begin():
        results = await service.comment_tasks(
            session,
            directory,
            [
                service.CommentCall(task.id, bot, comment_request({"added_list_ids": [99]})),
                service.CommentCall(
                    task.id, bot, comment_request({"added_list_ids": [8], "removed_list_ids": [7]})
                ),
            ],
            NOW,
        )
    refused, applied = results
    assert isinstance(refused, PyrusError) and refused.code == "add_task_to_list_forbidden"
    assert not isinstance(applied, Exception) and applied[0].list_ids == [8]
    async with database.session() as session:
        assert await task_lists.task_ids_in_list(session, 7) == []
        assert await task_lists.task_ids_in_list(session, 8) == [task.id]
        stored = await service.load_visible_task(session, directory, task.id, bob)
    assert stored.list_ids == [8]
