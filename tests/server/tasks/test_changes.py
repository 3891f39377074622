"""The task-change layer (``pyrus_bots.server.tasks``) called directly, as bot replies use it:
changes land with their webhook rows in the caller's transaction; a refused request changes
nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from api.harness import ALICE, BOB, BOT_ID, CAROL, FORM_ID, make_api_workspace
from sqlalchemy import func, select

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import parse_comment_request as comment_request
from pyrus_bots.protocol.models.requests import parse_create_task_request as task_request
from pyrus_bots.server.store import tasks as task_store
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.directory import load_directory
from pyrus_bots.server.store.models import CommentRow, TaskRow
from pyrus_bots.server.store.outbox import Delivery
from pyrus_bots.server.tasks import changes as service
from pyrus_bots.server.workflow.state import Directory
from pyrus_bots.server.workspace import apply_workspace, parse_workspace

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
BOTH_TEXTS = "both_text_and_formatted_text_specified"


async def _loaded(database: Database) -> Directory:
    async with database.session() as session, session.begin():
        await apply_workspace(session, parse_workspace(make_api_workspace()))
    async with database.session() as session:
        return await load_directory(session)


async def _counts(database: Database) -> tuple[int, int, int]:
    async with database.session() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(TaskRow)) or 0),
            int(await session.scalar(select(func.count()).select_from(CommentRow)) or 0),
            int(await session.scalar(select(func.count()).select_from(Delivery)) or 0),
        )


async def test_changes_and_their_webhooks_share_the_transaction(database: Database) -> None:
    directory = await _loaded(database)
    bob, alice = directory.people[BOB["id"]], directory.people[ALICE["id"]]
    async with database.session() as session, session.begin():
        task, first = await service.create_task(
            session,
            directory,
            bob,
            task_request({"form_id": FORM_ID, "fields": [{"id": 1, "value": "x"}]}),
            NOW,
        )
    assert first.id is not None and task.last_note_id == first.id
    async with database.session() as session, session.begin():
        approve = comment_request({"approval_choice": "approved"})
        moved, comment = await service.comment_task(
            session, directory, task.id, alice, approve, NOW
        )
    assert moved.current_step == 2 and comment.body.get("changed_step") == 2
    async with database.session() as session:
        deliveries = (await session.scalars(select(Delivery))).all()
        stored = await task_store.get_task(session, task.id)
    # Entering step 2 (the bot's) enqueued a webhook for the bot, with the change.
    assert [(d.bot_id, d.task_id, d.event) for d in deliveries] == [(BOT_ID, task.id, "comment")]
    assert stored is not None and stored.current_step == 2

    # A transaction rolled back after the service call leaves neither the change nor the row.
    before = await _counts(database)
    with pytest.raises(RuntimeError):
        async with database.session() as session, session.begin():
            await service.comment_task(
                session, directory, task.id, alice, comment_request({"text": "rolled back"}), NOW
            )
            raise RuntimeError("the caller fails after the service call")
    assert await _counts(database) == before


async def test_refused_requests_change_nothing(database: Database) -> None:
    directory = await _loaded(database)
    bob, carol = directory.people[BOB["id"]], directory.people[CAROL["id"]]
    async with database.session() as session, session.begin():
        task, _ = await service.create_task(
            session, directory, bob, task_request({"text": "mine"}), NOW
        )
    before = await _counts(database)
    cases = [
        (carol, task.id, {"text": "not mine"}, "access_denied_task"),
        (bob, 987654, {"text": "no such task"}, "access_denied_task"),
        (bob, task.id, {"field_updates": [{"id": 1, "value": "x"}]}, None),
        (
            bob,
            task.id,
            {"approval_choice": "approved", "approval_steps": [9]},
            "invalid_step_number",
        ),
    ]
    for author, task_id, request, code in cases:
        async with database.session() as session:
            with pytest.raises(PyrusError) as caught:
                await service.comment_task(
                    session, directory, task_id, author, comment_request(request), NOW
                )
            await session.rollback()
        if code is not None:
            assert caught.value.code == code
    with pytest.raises(PyrusError) as caught:
        async with database.session() as session, session.begin():
            await service.create_task(
                session, directory, carol, task_request({"form_id": FORM_ID}), NOW
            )
    assert caught.value.code == "access_denied_form"
    assert await _counts(database) == before
