"""The workspace's ``tasks``: loaded under their own task and comment ids, once; a newer copy
replaces a task nobody touched locally; a task changed locally is kept; the id counters move past
the loaded ids; problems name the place in the file."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from pyrus_bots.server.store.comments import add_comments, get_comments
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.directory import load_directory
from pyrus_bots.server.store.files import save_file
from pyrus_bots.server.store.task_writes import reserve_task_id
from pyrus_bots.server.store.tasks import get_task
from pyrus_bots.server.workflow.render import render_task
from pyrus_bots.server.workflow.state import Comment

from .samples import MINIMAL, problem
from .test_apply import apply_file


def a_task() -> dict[str, Any]:
    """Task 500 as another organisation's API shows it: item 77 there is CC2."""
    return {
        "id": 500,
        "text": "Purchase request",
        "create_date": "2026-03-01T10:00:00Z",
        "last_modified_date": "2026-03-01T11:00:00Z",
        "author": {"id": 1001, "first_name": "Alice"},
        "form_id": 321,
        "fields": [
            {"id": 1, "type": "text", "name": "Item", "value": "Desk"},
            {"id": 2, "type": "money", "name": "Amount", "value": 250.5},
            {"id": 3, "type": "multiple_choice", "value": {"choice_ids": [2], "choice_id": 2}},
            {
                "id": 4,
                "type": "catalog",
                "value": {"item_id": 77, "item_ids": [77], "values": ["CC2", "Sales"]},
            },
        ],
        "approvals": [
            [{"person": {"id": 2001}, "approval_choice": "approved", "step": 1}],
            [{"person": {"id": 1001}, "approval_choice": "waiting", "step": 2}],
        ],
        "current_step": 2,
        "steps": [
            {"step": 1, "name": "Automatic check", "elapsed_time": 60_001},
            {"step": 2, "name": "Manager", "elapsed_time": 3_539_999},
        ],
        "is_closed": False,
        "comments": [
            {
                "id": 900,
                "create_date": "2026-03-01T10:00:00Z",
                "author": {"id": 1001},
                "text": "New",
                "field_updates": [{"id": 1, "type": "text", "value": "Desk"}],
            },
            {
                "id": 901,
                "create_date": "2026-03-01T10:01:00Z",
                "author": {"id": 2001},
                "text": "fine",
                "approval_choice": "approved",
                "approval_step": 1,
                "changed_step": 2,
                "approvals_added": [[], [{"person": {"id": 3001}, "step": 2}]],
            },
        ],
    }


def write(tmp_path: Path, *tasks: dict[str, Any], files: Any = ()) -> Path:
    data = copy.deepcopy(MINIMAL)
    data["tasks"] = list(tasks)
    if files:
        data["files"] = list(files)
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


async def rendered(database: Database, task_id: int) -> dict[str, Any]:
    async with database.session() as s:
        directory = await load_directory(s)
        task = await get_task(s, task_id)
        assert task is not None
        return render_task(directory, task, await get_comments(s, task_id))


async def test_tasks_load_once_with_their_ids(database: Database, tmp_path: Path) -> None:
    path = write(tmp_path, a_task())
    assert await apply_file(database, path) != []
    shown = await rendered(database, 500)
    assert [c["id"] for c in shown["comments"]] == [900, 901] and shown["last_note_id"] == 901
    assert [s["elapsed_time"] for s in shown["steps"]] == [60_001, 3_539_999]
    assert shown["text"] == "Purchase request" and shown["current_step"] == 2
    values = {f["id"]: f.get("value") for f in shown["fields"]}
    assert values[1] == "Desk" and values[2] == 250.5
    assert values[3]["choice_names"] == ["Approved"]
    assert values[4]["values"] == ["CC2", "Sales"]  # matched by its first column, not by id 77
    assert shown["approvals"][1][0]["person"]["id"] == 1001
    assert shown["comments"][1]["approvals_added"][1][0]["person"]["id"] == 3001

    assert await apply_file(database, path) == []  # the same file again changes nothing
    async with database.session() as s, s.begin():
        assert await reserve_task_id(s) == 501  # the counter moved past the loaded ids
        local = Comment(500, 1001, datetime.now(UTC), {"text": "local"})
        await add_comments(s, [local])
        assert local.id == 902


async def test_a_newer_copy_replaces_only_an_untouched_task(
    database: Database, tmp_path: Path
) -> None:
    await apply_file(database, write(tmp_path, a_task()))
    newer = a_task()
    newer["last_modified_date"] = "2026-03-01T12:00:00Z"
    newer["fields"][0]["value"] = "Chair"
    newer["comments"].append(
        {
            "id": 905,
            "create_date": "2026-03-01T12:00:00Z",
            "author": {"id": 1001},
            "field_updates": [{"id": 1, "type": "text", "value": "Chair"}],
        }
    )
    assert await apply_file(database, write(tmp_path, newer)) == ["task 500 updated"]
    shown = await rendered(database, 500)
    assert [c["id"] for c in shown["comments"]] == [900, 901, 905]
    assert shown["fields"][0]["value"] == "Chair"

    async with database.session() as s, s.begin():  # a change on this platform
        await add_comments(s, [Comment(500, 1001, datetime.now(UTC), {"text": "mine"})])
    newest = copy.deepcopy(newer)
    newest["last_modified_date"] = "2026-03-01T13:00:00Z"
    newest["fields"][0]["value"] = "Lamp"
    assert await apply_file(database, write(tmp_path, newest)) == [
        "task 500 kept: changed on this platform since it was loaded"
    ]
    assert (await rendered(database, 500))["fields"][0]["value"] == "Chair"


def test_task_problems_name_the_place(tmp_path: Path) -> None:
    def stranger(data: dict[str, Any]) -> None:
        data["tasks"] = [{**a_task(), "author": {"id": 9999}}]

    assert "tasks[0].author: person 9999 is not in the workspace" in problem(tmp_path, stranger)

    def unknown_field(data: dict[str, Any]) -> None:
        task = a_task()
        task["comments"][0]["field_updates"][0]["id"] = 77
        data["tasks"] = [task]

    message = problem(tmp_path, unknown_field)
    assert "tasks[0].comments[0].field_updates[0].id: the form has no field 77" in message

    def with_files(data: dict[str, Any]) -> None:
        data["tasks"] = [{**a_task(), "attachments": [{"id": 1, "name": "a.pdf"}]}]

    message = problem(tmp_path, with_files)
    assert "tasks[0].attachments[0]: file 1 is not in the workspace's files" in message

    def missing_content(data: dict[str, Any]) -> None:
        data["files"] = [{"id": 1, "name": "a.pdf", "path": "nowhere/1"}]

    message = problem(tmp_path, missing_content)
    assert "files[0].path: no file 'nowhere/1' next to the workspace" in message

    def unknown_item(data: dict[str, Any]) -> None:
        task = a_task()
        task["fields"][3]["value"] = {"item_names": ["CC9"]}
        data["tasks"] = [task, a_task(), a_task()]

    message = problem(tmp_path, unknown_item)
    assert "tasks[0].fields[3].value: no item 'CC9' in catalog 4001" in message
    assert "tasks[2].id: duplicate task id 500 (already used at tasks[1].id)" in message


async def test_files_load_under_their_ids(database: Database, tmp_path: Path) -> None:
    (tmp_path / "acme.files").mkdir()
    (tmp_path / "acme.files" / "70").write_bytes(b"%PDF quote")
    task = a_task()
    task["comments"][0]["attachments"] = [{"id": 70, "name": "Quote.pdf", "size": 10}]
    task["attachments"] = [{"id": 70, "name": "Quote.pdf"}]
    path = write(tmp_path, task, files=[{"id": 70, "name": "Quote.pdf", "path": "acme.files/70"}])
    assert "file 70 created" in await apply_file(database, path)
    shown = await rendered(database, 500)
    assert shown["attachments"][0]["name"] == "Quote.pdf" and shown["attachments"][0]["size"] == 10
    assert shown["comments"][0]["attachments"][0]["id"] == 70
    assert await apply_file(database, path) == []
    async with database.session() as s, s.begin():
        assert (await save_file(s, "next.txt", b"x", 1001)).id == 71
