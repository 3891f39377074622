"""Inbox (DESIGN 3.5): the tasks waiting for the caller, also grouped by form."""

from __future__ import annotations

from api.harness import (
    ALICE,
    BOB,
    CAROL,
    FORM_ID,
    RunningServer,
    assert_error,
    new_form_task,
    person_client,
)
from pyrus_bots.protocol.models.responses import InboxResponse


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
    # Python, C# and TS all send both counts in the query.
    grouped = InboxResponse.from_pyrus(
        alice.get("/v4/inbox?item_count=50&group_item_count=1").json()
    )
    group = next(g for g in grouped.task_groups if g.id == FORM_ID)
    assert group.name == "Purchase request" and len(group.tasks) == 1 and group.has_more is True
    assert {t.id for g in grouped.task_groups for t in g.tasks} <= {t.id for t in grouped.tasks}
    # C# writes `item_count=` for a null count: the default applies.
    assert alice.get("/v4/inbox?item_count=&group_item_count=").status_code == 200
    assert_error(alice.get("/v4/inbox", params={"item_count": 0}), 400, "invalid_value_format")
    assert_error(alice.get("/v4/inbox", params={"item_count": "x"}), 400, "invalid_value_format")


def test_an_empty_inbox_still_writes_its_collections(module_server: RunningServer) -> None:
    carol = person_client(module_server, CAROL)
    assert carol.get("/v4/inbox").json() == {"tasks": [], "has_more": False, "task_groups": []}
