"""Inbox (DESIGN 3.5) and task lists (none are managed; GET and POST accepted)."""

from __future__ import annotations

from api.harness import ALICE, BOB, CAROL, RunningServer, assert_error, new_form_task, person_client


def test_inbox_follows_the_current_step(shared_server: RunningServer) -> None:
    alice = person_client(shared_server, ALICE)
    bob = person_client(shared_server, BOB)
    task = new_form_task(bob)

    def inbox_ids(client: object, **params: int) -> list[int]:
        response = client.get("/v4/inbox", params=params)  # type: ignore[attr-defined]
        assert response.status_code == 200
        return [t["id"] for t in response.json().get("tasks", [])]

    assert task["id"] in inbox_ids(alice)
    assert task["id"] not in inbox_ids(bob)
    simple = bob.post("/v4/tasks", json={"text": "call", "responsible": {"id": CAROL["id"]}})
    carol = person_client(shared_server, CAROL)
    assert simple.json()["task"]["id"] in inbox_ids(carol)
    alice.post(f"/v4/tasks/{task['id']}/comments", json={"approval_choice": "approved"})
    assert task["id"] not in inbox_ids(alice)
    new_form_task(bob)
    new_form_task(bob)
    one = alice.get("/v4/inbox", params={"item_count": 1, "group_item_count": 5}).json()
    assert len(one["tasks"]) == 1 and one["has_more"] is True
    assert_error(alice.get("/v4/inbox", params={"item_count": 0}), 400, "invalid_value_format")
    assert_error(alice.get("/v4/inbox", params={"item_count": "x"}), 400, "invalid_value_format")


def test_lists(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    assert bob.get("/v4/lists").json() == {}
    in_list = bob.post("/v4/tasks", json={"text": "listed", "list_ids": [77]}).json()["task"]
    got = bob.get("/v4/lists/77/tasks").json()
    assert [t["id"] for t in got["tasks"]] == [in_list["id"]] and got["has_more"] is False
    posted = bob.post("/v4/lists/77/tasks", json={"item_count": 5, "include_archived": "y"})
    assert [t["id"] for t in posted.json()["tasks"]] == [in_list["id"]]
    assert bob.post("/v4/lists/78/tasks").json() == {"has_more": False}
    assert_error(
        bob.post("/v4/lists/77/tasks", json={"modified_after": "yesterday"}),
        400,
        "invalid_value_format",
    )
    assert_error(
        bob.get("/v4/lists/77/tasks", params={"item_count": "-1"}), 400, "invalid_value_format"
    )
