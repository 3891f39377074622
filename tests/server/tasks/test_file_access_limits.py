"""File access through holder kinds (a kind registered from outside the module), and the task
size limits: refused with Pyrus's codes, nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from api.harness import ALICE, BOB, make_api_workspace
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import parse_comment_request as comment_request
from pyrus_bots.protocol.models.requests import parse_create_task_request as task_request
from pyrus_bots.server.store import files as file_store
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.directory import load_directory
from pyrus_bots.server.store.models import CommentRow
from pyrus_bots.server.tasks import changes, file_access, limits
from pyrus_bots.server.workflow.state import Directory, Person
from pyrus_bots.server.workspace import apply_workspace, parse_workspace

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


async def _loaded(database: Database) -> Directory:
    async with database.session() as session, session.begin():
        await apply_workspace(session, parse_workspace(make_api_workspace()))
    async with database.session() as session:
        return await load_directory(session)


@pytest.fixture
def announcement_kind() -> Iterator[set[int]]:
    """A holder kind ``announcement`` whose holders everyone in the returned set may see."""
    readers: set[int] = set()

    async def can_see(session: AsyncSession, directory: Directory, person: Person, _: int) -> bool:
        return person.id in readers

    file_access.register_holder_kind("announcement", can_see)
    yield readers
    file_access.register_holder_kind("announcement", lambda *_: _never())


async def _never() -> bool:
    return False


async def test_a_registered_holder_kind_grants_reading(
    database: Database, announcement_kind: set[int]
) -> None:
    directory = await _loaded(database)
    alice, bob = directory.people[ALICE["id"]], directory.people[BOB["id"]]
    async with database.session() as session, session.begin():
        ref = await file_store.save_file(session, "notice.pdf", b"%PDF", alice.id, now=NOW)
        await file_access.record_holder(session, ("announcement", 7), [ref.id])
    announcement_kind.add(bob.id)
    async with database.session() as session:
        assert (await file_access.readable_file(session, directory, bob, ref.id)).id == ref.id
        # Once held, even the uploader reads it only through a holder.
        with pytest.raises(PyrusError) as denied:
            await file_access.readable_file(session, directory, alice, ref.id)
        assert denied.value.code == "access_denied_file" and denied.value.status == 403


async def test_task_size_limits(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = await _loaded(database)
    bob = directory.people[BOB["id"]]
    small = limits.TaskLimits(comment_text_chars=50, comments_per_task=3, task_bytes=4000)
    monkeypatch.setattr(limits, "TASK_LIMITS", small)
    async with database.session() as session, session.begin():
        with pytest.raises(PyrusError) as refused:
            await changes.create_task(
                session, directory, bob, task_request({"text": "x" * 51}), NOW
            )
        assert refused.value.code == "max_text_length_exceeded"
        task, _ = await changes.create_task(
            session, directory, bob, task_request({"text": "t"}), NOW
        )
    outcomes = []
    for text in ("one", "two", "three"):
        async with database.session() as session, session.begin():
            try:
                await changes.comment_task(
                    session, directory, task.id, bob, comment_request({"text": text}), NOW
                )
                outcomes.append("ok")
            except PyrusError as error:
                outcomes.append(error.code)
    assert outcomes == ["ok", "ok", "too_many_comments"]
    async with database.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(CommentRow).where(CommentRow.task_id == task.id)
        )
    assert count == 3
    async with database.session() as session, session.begin():
        with pytest.raises(PyrusError) as refused:
            await changes.create_task(
                session,
                directory,
                bob,
                task_request({"text": "t", "subject": "s" * 5000}),
                NOW,
            )
        assert refused.value.code == "too_large_request_length"
