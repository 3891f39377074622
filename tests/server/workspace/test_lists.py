"""The workspace file's ``lists`` section: checks that name the place, idempotent loads."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from pyrus_bots.server.store import task_lists
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.workspace import apply_workspace, load_workspace_file

from .samples import MINIMAL, problem

LISTS = [
    {"id": 5001, "name": "Branch offices", "managers": ["alice@acme.test"], "color": "#FF0000"},
    {"id": 5002, "name": "Moscow", "parent": 5001, "managers": [1001], "members": [3001]},
    {"id": 5003, "name": "Private", "private": True, "managers": [1001]},
]


def _write(tmp_path: Path, lists: list[dict[str, Any]]) -> Path:
    data = copy.deepcopy(MINIMAL)
    data["lists"] = lists
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


async def _apply(database: Database, path: Path) -> list[str]:
    async with database.session() as s, s.begin():
        return list(await apply_workspace(s, load_workspace_file(path)))


async def test_lists_load_once_and_follow_the_file(database: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, LISTS)
    assert [line for line in await _apply(database, path) if line.startswith("list")] == [
        "list 5001",
        "list 5002",
        "list 5003",
    ]
    assert await _apply(database, path) == []
    async with database.session() as s:
        stored = {t.id: t for t in await task_lists.all_lists(s)}
    assert stored[5001].manager_ids == [1001] and stored[5001].color == "#FF0000"
    assert (stored[5002].parent_id, stored[5002].member_ids) == (5001, [3001])
    assert (stored[5003].list_type, stored[5003].is_private) == ("private", True)
    changed = copy.deepcopy(LISTS)
    changed[0]["name"] = "Offices"
    assert await _apply(database, _write(tmp_path, changed)) == ["list 5001"]
    async with database.session() as s:
        renamed = await task_lists.get_list(s, 5001)
    assert renamed is not None and (renamed.name, renamed.version) == ("Offices", 2)
    # A list created through the API later gets an id above the file's.
    async with database.session() as s, s.begin():
        assert await task_lists.new_list_id(s) > 5003


def test_bad_lists_are_reported_with_their_place(tmp_path: Path) -> None:
    def with_lists(lists: list[dict[str, Any]]) -> Any:
        return lambda data: data.__setitem__("lists", lists)

    duplicate = [LISTS[0], {**LISTS[2], "id": 5001}]
    assert "lists[1].id: duplicate list id 5001" in problem(tmp_path, with_lists(duplicate))
    orphan = [{**LISTS[1], "parent": 9}]
    assert "lists[0].parent: 9 is not a list of this file" in problem(tmp_path, with_lists(orphan))
    cycle = [
        {"id": 1, "name": "a", "parent": 2, "managers": [1001]},
        {"id": 2, "name": "b", "parent": 1, "managers": [1001]},
    ]
    assert "lists[0].parent: lists must not be their own ancestors" in problem(
        tmp_path, with_lists(cycle)
    )
    nobody = [{"id": 1, "name": "a", "managers": ["ghost@acme.test"]}]
    assert "lists[0].managers[0]" in problem(tmp_path, with_lists(nobody))
    unmanaged = [{"id": 1, "name": "a"}]
    assert "lists[0].managers: a list needs at least one manager" in problem(
        tmp_path, with_lists(unmanaged)
    )
    assert "lists[0].name" in problem(
        tmp_path, with_lists([{"id": 1, "name": "", "managers": [1001]}])
    )
