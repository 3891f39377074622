"""``GET /v4/tasks/{id}`` reads the task and its comments from one snapshot: a change committed
between the two reads shows in neither (never an approving comment beside the task still on the
step it approved)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.harness import ALICE, BOB, RunningServer, new_form_task, person_client
from pyrus_bots.protocol.models.requests import parse_comment_request
from pyrus_bots.server.store.directory import load_directory
from pyrus_bots.server.tasks import changes as task_changes
from pyrus_bots.server.workflow.state import Comment


def test_a_task_and_its_comments_come_from_one_snapshot(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob = person_client(server, BOB)
    task_id = new_form_task(bob)["id"]
    read_comments = task_changes.task_comments
    approved: list[int] = []

    async def approve_then_read(session: AsyncSession, wanted: int) -> list[Comment]:
        # Alice approves on another connection after the task was read, before its comments.
        if not approved:
            async with server.database.session() as other, other.begin():
                directory = await load_directory(other)
                await task_changes.comment_task(
                    other,
                    directory,
                    wanted,
                    directory.people[ALICE["id"]],
                    parse_comment_request({"approval_choice": "approved", "text": "ok"}),
                    datetime.now(UTC),
                )
            approved.append(wanted)
        return await read_comments(session, wanted)

    monkeypatch.setattr(task_changes, "task_comments", approve_then_read)
    first: dict[str, Any] = bob.get(f"/v4/tasks/{task_id}").json()["task"]
    assert approved == [task_id]
    assert first["current_step"] == 1
    assert [c.get("changed_step") for c in first["comments"]] == [None]

    second: dict[str, Any] = bob.get(f"/v4/tasks/{task_id}").json()["task"]
    assert second["current_step"] == 2
    assert [c.get("changed_step") for c in second["comments"]] == [None, 2]
