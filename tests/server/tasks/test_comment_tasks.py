"""``tasks.comment_tasks``: several comment requests (bot replies finished together) applied in
one transaction, each exactly as ``comment_task`` would apply it alone."""

from __future__ import annotations

from datetime import UTC, datetime

from api.harness import ALICE, BOB, BOT_ID, CAROL, FORM_ID, make_api_workspace
from sqlalchemy import select

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import parse_comment_request as comment_request
from pyrus_bots.protocol.models.requests import parse_create_task_request as task_request
from pyrus_bots.server.store import comments as comment_store
from pyrus_bots.server.store import tasks as task_store
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.directory import load_directory
from pyrus_bots.server.store.outbox import Delivery
from pyrus_bots.server.tasks import changes as service
from pyrus_bots.server.tasks.changes import CommentCall
from pyrus_bots.server.workflow.state import Directory
from pyrus_bots.server.workspace import apply_workspace, parse_workspace

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


async def _loaded(database: Database) -> Directory:
    async with database.session() as session, session.begin():
        await apply_workspace(session, parse_workspace(make_api_workspace()))
    async with database.session() as session:
        return await load_directory(session)


async def _task_at_bot_step(database: Database, directory: Directory, item: str) -> int:
    """A form task that Alice approved: it waits on step 2, the bot's."""
    bob, alice = directory.people[BOB["id"]], directory.people[ALICE["id"]]
    async with database.session() as session, session.begin():
        task, _ = await service.create_task(
            session,
            directory,
            bob,
            task_request({"form_id": FORM_ID, "fields": [{"id": 1, "value": item}]}),
            NOW,
        )
        approve = comment_request({"approval_choice": "approved"})
        await service.comment_task(session, directory, task.id, alice, approve, NOW)
    return task.id


async def test_a_batch_applies_each_request_as_alone(database: Database) -> None:
    directory = await _loaded(database)
    bot = directory.people[BOT_ID]
    approved, refused, twice = [await _task_at_bot_step(database, directory, i) for i in "abc"]
    calls = [
        CommentCall(
            approved, bot, comment_request({"text": "fine", "approval_choice": "approved"})
        ),
        CommentCall(refused, bot, comment_request({"field_updates": [{"id": 999, "value": "x"}]})),
        CommentCall(
            twice,
            bot,
            comment_request({"text": "first, a field", "field_updates": [{"id": 1, "value": "z"}]}),
        ),
        CommentCall(123456, bot, comment_request({"text": "no such task"})),
        CommentCall(
            twice, bot, comment_request({"text": "then approved", "approval_choice": "approved"})
        ),
    ]
    async with database.session() as session, session.begin():
        results = await service.comment_tasks(session, directory, calls, NOW)

    ok_first, bad_field, ok_twice_1, unknown, ok_twice_2 = results
    assert isinstance(bad_field, PyrusError) and bad_field.code == "invalid_field_id"
    assert isinstance(unknown, PyrusError) and unknown.code == "access_denied_task"
    assert not isinstance(ok_first, Exception) and ok_first[0].current_step == 3
    assert not isinstance(ok_twice_1, Exception) and ok_twice_1[0].current_step == 2
    assert not isinstance(ok_twice_2, Exception) and ok_twice_2[0].current_step == 3
    # The second request on a task saw what the first one did.
    assert ok_twice_2[0].fields[1] == "z"

    async with database.session() as session:
        stored = {t.id: t for t in await task_store.get_tasks(session, [approved, refused, twice])}
        comments = {
            task_id: await comment_store.get_comments(session, task_id)
            for task_id in (approved, refused, twice)
        }
        inbox_of_carol = {t.id for t in await task_store.inbox(session, CAROL["id"])}
        inbox_of_bot = {t.id for t in await task_store.inbox(session, BOT_ID)}
        deliveries = (await session.scalars(select(Delivery).order_by(Delivery.id))).all()

    assert stored[approved].current_step == 3 and stored[twice].current_step == 3
    assert stored[refused].current_step == 2 and len(comments[refused]) == 2  # untouched
    assert [c.body.get("text") for c in comments[twice][2:]] == ["first, a field", "then approved"]
    assert stored[twice].last_note_id == comments[twice][-1].id
    assert stored[approved].last_note_id == comments[approved][-1].id == ok_first[1].id
    # The people index moved with the tasks: step 3 is Carol's; the bot keeps only `refused`.
    assert {approved, twice} <= inbox_of_carol and refused not in inbox_of_carol
    assert refused in inbox_of_bot and not {approved, twice} & inbox_of_bot
    # A bot's own comment never triggers itself: only the webhooks of entering step 2 exist.
    assert sorted(d.task_id for d in deliveries) == sorted([approved, refused, twice])


async def test_a_refused_batch_writes_nothing(database: Database) -> None:
    directory = await _loaded(database)
    bot = directory.people[BOT_ID]
    task_id = await _task_at_bot_step(database, directory, "a")
    async with database.session() as session:
        before = await comment_store.get_comments(session, task_id)
    calls = [
        CommentCall(
            task_id, bot, comment_request({"approval_choice": "approved", "approval_steps": [9]})
        ),
        CommentCall(task_id, bot, comment_request({})),
    ]
    async with database.session() as session, session.begin():
        results = await service.comment_tasks(session, directory, calls, NOW)
    assert [type(r) for r in results] == [PyrusError, PyrusError]
    async with database.session() as session:
        assert await comment_store.get_comments(session, task_id) == before
        stored = await task_store.get_task(session, task_id)
    assert stored is not None and stored.current_step == 2
