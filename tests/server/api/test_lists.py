"""Task lists kept in the database, as the Python, C# and TypeScript clients call them.

Bodies and query strings are transcribed from the clients: C# (Newtonsoft, nulls and empty
arrays left out, dates as ``\\/Date(ms)\\/``, booleans in queries as ``True``/``False``), the
TypeScript client (``JSON.stringify``; filters in ``URLSearchParams``), Python (``jsonpickle``,
``include_archived: "y"``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from api.harness import ALICE, BOB, CAROL, RunningServer, assert_error, person_client
from pyrus_bots.protocol.models.directory import TaskList, TaskListsResponse
from pyrus_bots.protocol.models.list_requests import PlainListsResponse
from pyrus_bots.protocol.models.responses import TaskHeadersResponse


def _create(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.put("/v4/lists", json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    TaskList.from_pyrus(created)
    return created


def _ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    body = response.json()
    TaskHeadersResponse.from_pyrus(body)
    assert set(body) == {"tasks", "has_more"}  # both always present (TS types require them)
    return [task["id"] for task in body["tasks"]]


def _ms(moment: str) -> str:
    """A Pyrus date-time as Newtonsoft's MicrosoftDateFormat writes it (decoded JSON)."""
    parsed = datetime.strptime(moment, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return f"/Date({int(parsed.timestamp() * 1000)})/"


def test_lists_are_created_read_changed_and_deleted(module_server: RunningServer) -> None:
    alice = person_client(module_server, ALICE)
    bob = person_client(module_server, BOB)
    carol = person_client(module_server, CAROL)
    # An empty collection is still written (the TS client declares `lists` required).
    assert alice.get("/v4/lists").json() == {"lists": []}
    # C# CreateList: PUT /lists, nulls and empty arrays left out.
    branches = _create(
        alice,
        {
            "name": "Branch offices",
            "color": "#FF0000",
            "list_type": "org_wide",
            "added_members": [BOB["id"]],
            "is_private": False,
        },
    )
    assert branches["manager_ids"] == [ALICE["id"]] and branches["member_ids"] == [BOB["id"]]
    assert (branches["version"], branches["deleted"], branches["list_type"]) == (
        1,
        False,
        "org_wide",
    )
    # TS create with a parent; C# bulk create (PUT /lists/bulk, an array).
    moscow = _create(alice, {"name": "Moscow", "parent_id": branches["id"]})
    bulk = alice.put("/v4/lists/bulk", json=[{"name": "Personal", "list_type": "private"}])
    assert bulk.status_code == 200, bulk.text
    personal = PlainListsResponse.from_pyrus(bulk.json()).lists[0]
    assert personal.is_private is True and personal.manager_ids == [ALICE["id"]]
    # Python get_lists (no query) and C# GetLists (with_forms/with_deleted as True/False).
    tree = alice.get("/v4/lists").json()
    assert tree == alice.get("/v4/lists?with_forms=False&with_deleted=False").json()
    top = {entry["name"]: entry for entry in TaskListsResponse.from_pyrus(tree).to_pyrus()["lists"]}
    assert set(top) == {"Branch offices", "Personal"}
    assert [child["id"] for child in top["Branch offices"]["children"]] == [moscow["id"]]
    # Carol is neither manager nor member: she sees the org-wide lists, not the private one.
    assert [entry["name"] for entry in carol.get("/v4/lists").json()["lists"]] == ["Branch offices"]
    assert_error(carol.get(f"/v4/lists/{personal.id}"), 400, "invalid_value_format")
    # C# GetList: the list itself with its children.
    one = alice.get(f"/v4/lists/{branches['id']}?with_forms=False&with_deleted=False").json()
    assert one["name"] == "Branch offices" and one["children"][0]["id"] == moscow["id"]
    # C# UpdateList (POST /lists/{id}) and TS update carry the id in the body too.
    changed = alice.post(
        f"/v4/lists/{branches['id']}",
        json={"id": branches["id"], "name": "Offices", "removed_members": [BOB["id"]]},
    ).json()
    # An empty nested value stays omitted (TS declares member_ids optional).
    assert (changed["name"], changed.get("member_ids"), changed["version"]) == ("Offices", None, 2)
    assert_error(
        bob.post(f"/v4/lists/{branches['id']}", json={"name": "Mine"}), 403, "access_denied_project"
    )
    bulk_changed = alice.post("/v4/lists/bulk", json=[{"id": moscow["id"], "color": "#00FF00"}])
    assert bulk_changed.json()["lists"][0]["color"] == "#00FF00"
    # C# DeleteList (no body), TS delete (body {id}), C# DeleteLists (an array of {id}).
    assert alice.delete(f"/v4/lists/{moscow['id']}").json() == {}
    extra = _create(alice, {"name": "Spare"})
    deleted = alice.request("DELETE", f"/v4/lists/{extra['id']}", json={"id": extra["id"]})
    assert deleted.status_code == 200
    again = _create(alice, {"name": "Spare again"})
    bulk_deleted = alice.request("DELETE", "/v4/lists/bulk", json=[{"id": again["id"]}])
    assert bulk_deleted.status_code == 200, bulk_deleted.text
    names = [entry["name"] for entry in alice.get("/v4/lists").json()["lists"]]
    assert names == ["Offices", "Personal"]
    with_deleted = alice.get("/v4/lists?with_forms=False&with_deleted=True").json()["lists"]
    assert {entry["name"]: entry.get("deleted") for entry in with_deleted} == {
        "Offices": False,
        "Personal": False,
        "Spare": True,
        "Spare again": True,
    }
    offices = next(entry for entry in with_deleted if entry["name"] == "Offices")
    assert offices["children"][0]["deleted"] is True
    assert_error(alice.get(f"/v4/lists/{moscow['id']}"), 400, "invalid_value_format")
    assert alice.get(f"/v4/lists/{moscow['id']}?with_deleted=True").json()["deleted"] is True


def test_bad_list_requests_are_refused(module_server: RunningServer) -> None:
    alice = person_client(module_server, ALICE)
    before = alice.get("/v4/lists?with_deleted=True").json()
    assert_error(alice.put("/v4/lists", json={"color": "red"}), 400, "required_parameter_missing")
    assert_error(alice.put("/v4/lists", json={"name": 5}), 400, "invalid_value_format")
    assert_error(
        alice.put("/v4/lists", json={"name": "x", "list_type": "x"}), 400, "invalid_value_format"
    )
    assert_error(
        alice.put("/v4/lists", json={"name": "x", "added_members": [987654]}),
        400,
        "invalid_person_id",
    )
    assert_error(
        alice.put("/v4/lists", json={"name": "x", "parent_id": 987654}), 400, "invalid_value_format"
    )
    assert_error(alice.put("/v4/lists/bulk", json={"name": "x"}), 400, "invalid_json")
    assert_error(alice.put("/v4/lists/bulk", json=[]), 400, "items_count_out_of_range")
    assert_error(
        alice.post("/v4/lists/bulk", json=[{"name": "x"}]), 400, "required_parameter_missing"
    )
    assert_error(
        alice.request("DELETE", "/v4/lists/bulk", json=[{}]), 400, "required_parameter_missing"
    )
    assert_error(alice.delete("/v4/lists/987654"), 400, "invalid_value_format")
    assert_error(alice.post("/v4/lists/987654", json={"name": "y"}), 400, "invalid_value_format")
    assert_error(alice.get("/v4/lists?with_deleted=maybe"), 400, "invalid_value_format")
    # Nothing of the refused requests was written.
    assert alice.get("/v4/lists?with_deleted=True").json() == before


def test_tasks_join_and_leave_lists(module_server: RunningServer) -> None:
    alice = person_client(module_server, ALICE)
    bob = person_client(module_server, BOB)
    shared = _create(alice, {"name": "Shared", "added_members": [BOB["id"]]})
    private = _create(alice, {"name": "Alice only", "list_type": "private"})
    list_id = shared["id"]
    # Python CreateTaskRequest(list_ids=[...]).
    first = bob.post("/v4/tasks", json={"text": "first", "list_ids": [list_id]}).json()["task"]
    assert first["list_ids"] == [list_id]
    second = bob.post("/v4/tasks", json={"text": "second"}).json()["task"]
    # A comment adds to and removes from lists (TaskCommentRequest added_/removed_list_ids).
    commented = bob.post(f"/v4/tasks/{second['id']}/comments", json={"added_list_ids": [list_id]})
    assert commented.json()["task"]["list_ids"] == [list_id]
    comment = commented.json()["task"]["comments"][-1]
    assert comment["added_list_ids"] == [list_id]
    assert _ids(bob.get(f"/v4/lists/{list_id}/tasks")) == [first["id"], second["id"]]
    removed = bob.post(f"/v4/tasks/{first['id']}/comments", json={"removed_list_ids": [list_id]})
    assert "list_ids" not in removed.json()["task"]
    assert _ids(bob.get(f"/v4/lists/{list_id}/tasks")) == [second["id"]]
    # An unknown, deleted or invisible list is refused everywhere and nothing is written.
    for bad in (987654, private["id"]):
        assert_error(
            bob.post("/v4/tasks", json={"text": "x", "list_ids": [bad]}),
            400,
            "add_task_to_list_forbidden",
        )
        assert_error(
            bob.post(f"/v4/tasks/{first['id']}/comments", json={"added_list_ids": [bad]}),
            400,
            "add_task_to_list_forbidden",
        )
        assert_error(
            bob.post(f"/v4/tasks/{first['id']}/comments", json={"removed_list_ids": [bad]}),
            400,
            "add_task_to_list_forbidden",
        )
        assert_error(bob.get(f"/v4/lists/{bad}/tasks"), 400, "invalid_value_format")
        assert_error(bob.post(f"/v4/lists/{bad}/tasks", json={}), 400, "invalid_value_format")
    bulk = bob.post(
        "/v4/tasks/comments",
        json={"comments": [{"task_id": first["id"], "added_list_ids": [987654]}]},
    )
    assert_error(bulk, 400, "add_task_to_list_forbidden")
    after = bob.get(f"/v4/tasks/{first['id']}").json()["task"]
    assert len(after["comments"]) == 2 and "list_ids" not in after


def test_list_task_filters_in_every_client_spelling(module_server: RunningServer) -> None:
    alice = person_client(module_server, ALICE)
    list_id = _create(alice, {"name": "Filtered"})["id"]
    old = alice.post("/v4/tasks", json={"text": "old", "list_ids": [list_id]}).json()["task"]
    module_server.clock.advance(3600)
    new = alice.post("/v4/tasks", json={"text": "new", "list_ids": [list_id]}).json()["task"]
    closed = alice.post("/v4/tasks", json={"text": "done", "list_ids": [list_id]}).json()["task"]
    alice.post(f"/v4/tasks/{closed['id']}/comments", json={"action": "finished"})
    path = f"/v4/lists/{list_id}/tasks"
    between = (
        datetime.strptime(old["create_date"], "%Y-%m-%dT%H:%M:%SZ") + timedelta(minutes=30)
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    # Python: GET without filters; POST with a body.
    assert _ids(alice.get(path)) == [old["id"], new["id"]]
    python_body = {"include_archived": "y", "created_after": between, "item_count": 100}
    assert _ids(alice.post(path, json=python_body)) == [new["id"], closed["id"]]
    # Bounds are inclusive.
    assert _ids(alice.post(path, json={"created_before": old["create_date"]})) == [old["id"]]
    # C#: GetTaskList(listId, itemCount, includeArchived) and the builder's dates.
    assert _ids(alice.post(path, json={"item_count": 200})) == [old["id"], new["id"]]
    assert _ids(alice.post(path, json={"include_archived": "", "item_count": 200})) == [
        old["id"],
        new["id"],
    ]
    csharp_body = {"include_archived": "y", "created_before": _ms(between), "item_count": 200}
    assert _ids(alice.post(path, json=csharp_body)) == [old["id"]]
    assert _ids(
        alice.post(path, json={"closed_after": "/Date(0+0100)/", "include_archived": "y"})
    ) == [closed["id"]]
    # TS: the same keys in the query string (URLSearchParams encodes the colons).
    query = httpx.QueryParams({"include_archived": "y", "modified_after": between, "item_count": 1})
    page = alice.get(f"{path}?{query}").json()
    assert [t["id"] for t in page["tasks"]] == [new["id"]] and page["has_more"] is True
    assert alice.post(path, json={"created_after": "2999-01-01T00:00:00Z"}).json() == {
        "tasks": [],
        "has_more": False,
    }
    # C# sends item_count 0 when its caller set none: the default count applies.
    assert _ids(alice.post(path, json={"include_archived": "y", "item_count": 0})) == [
        old["id"],
        new["id"],
        closed["id"],
    ]
    for bad in ({"modified_after": "yesterday"}, {"item_count": -1}, {"item_count": "x"}):
        assert_error(alice.post(path, json=bad), 400, "invalid_value_format")
    assert_error(alice.get(f"{path}?item_count=-1"), 400, "invalid_value_format")
