"""``GET /v4/tasks/{id}`` answers a task rendered once per change: the rendering is kept in the
task's row, cleared by the next change in the change's own statement, and not used once the
directory (names, forms, files) has moved on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from api.harness import ALICE, BOB, RunningServer, assert_error, new_form_task, person_client
from pyrus_bots.server.store import people as people_store
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.models import TaskRow


def _stored(server: RunningServer, task_id: int) -> bytes | None:
    async def read(database: Database) -> bytes | None:
        async with database.session() as session:
            query = select(TaskRow.rendering).where(TaskRow.id == task_id)
            value = (await session.execute(query)).scalar_one()
            return bytes(value) if value is not None else None

    return server.call(read)


def test_a_read_keeps_the_rendering_until_the_task_changes(server: RunningServer) -> None:
    bob = person_client(server, BOB)
    task_id = new_form_task(bob)["id"]
    assert _stored(server, task_id) is None  # nothing rendered for a read yet

    first = bob.get(f"/v4/tasks/{task_id}")
    assert first.status_code == 200
    kept = _stored(server, task_id)
    assert kept is not None
    assert first.content == b'{"task":' + kept + b"}"
    second = bob.get(f"/v4/tasks/{task_id}")
    assert second.content == first.content
    assert second.headers["content-type"] == "application/json"

    commented = bob.post(f"/v4/tasks/{task_id}/comments", json={"text": "one more thing"})
    assert commented.status_code == 200
    assert _stored(server, task_id) is None  # the change cleared it
    after: dict[str, Any] = bob.get(f"/v4/tasks/{task_id}").json()["task"]
    assert [c.get("text") for c in after["comments"]][-1] == "one more thing"
    assert after == commented.json()["task"]
    assert _stored(server, task_id) is not None


def test_a_directory_change_renders_the_task_again(server: RunningServer) -> None:
    bob = person_client(server, BOB)
    task_id = new_form_task(bob)["id"]
    before: dict[str, Any] = bob.get(f"/v4/tasks/{task_id}").json()["task"]
    assert before["author"]["first_name"] != "Robert"

    async def rename(database: Database) -> None:
        async with database.session() as session, session.begin():
            await people_store.update_person(session, BOB["id"], first_name="Robert")

    server.call(rename)
    after: dict[str, Any] = bob.get(f"/v4/tasks/{task_id}").json()["task"]
    assert after["author"]["first_name"] == "Robert"
    assert after["comments"] == [
        {**c, "author": {**c["author"], "first_name": "Robert"}} for c in before["comments"]
    ]


def test_the_access_check_runs_on_every_read(server: RunningServer) -> None:
    bob = person_client(server, BOB)
    task_id = bob.post("/v4/tasks", json={"text": "private note"}).json()["task"]["id"]
    assert bob.get(f"/v4/tasks/{task_id}").status_code == 200
    assert _stored(server, task_id) is not None
    alice = person_client(server, ALICE)
    assert_error(alice.get(f"/v4/tasks/{task_id}"), 403, "access_denied_task")
