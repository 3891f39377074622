"""Tasks: read, create (simple and form), comment, bulk comments, access rules (DESIGN 3.5)."""

from __future__ import annotations

from typing import Any

from api.harness import (
    ALICE,
    BOB,
    BOT_ID,
    CAROL,
    FORM_ID,
    OPEN_FORM_ID,
    RunningServer,
    assert_error,
    bot_client,
    new_form_task,
    person_client,
)


def _field(task: dict[str, Any], field_id: int) -> dict[str, Any]:
    return next(f for f in task["fields"] if f["id"] == field_id)


def test_simple_task_create_read_comment(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    created = bob.post(
        "/v4/tasks",
        json={"text": "Order paper", "subject": "Paper", "responsible": {"id": CAROL["id"]}},
    )
    assert created.status_code == 200, created.text
    task = created.json()["task"]
    assert task["text"] == "Order paper" and task["subject"] == "Paper"
    assert task["author"]["id"] == BOB["id"] and task["responsible"]["id"] == CAROL["id"]
    assert len(task["comments"]) == 1 and "null" not in created.text
    read = bob.get(f"/api/v4/tasks/{task['id']}").json()["task"]
    assert read == task

    carol = person_client(shared_server, CAROL)
    commented = carol.post(
        f"/v4/tasks/{task['id']}/comments", json={"text": "On it", "action": "finished"}
    )
    assert commented.status_code == 200, commented.text
    after = commented.json()["task"]
    assert after["is_closed"] is True and after["close_date"]
    assert [c["text"] for c in after["comments"] if "text" in c] == ["On it"]
    assert after["comments"][-1]["author"]["id"] == CAROL["id"]
    assert after["last_note_id"] == after["comments"][-1]["id"]


def test_form_task_lists_every_field_and_moves_through_steps(
    shared_server: RunningServer,
) -> None:
    bob = person_client(shared_server, BOB)
    task = new_form_task(
        bob, fields=[{"id": 1, "value": "Chair"}, {"code": "u_amount", "value": 80}]
    )
    assert task["form_id"] == FORM_ID and task["current_step"] == 1
    ids = [f["id"] for f in task["fields"]]
    assert ids[:12] == list(range(1, 13))
    assert _field(task, 1)["value"] == "Chair" and _field(task, 2)["value"] == 80
    assert "value" not in _field(task, 3)  # empty fields are listed without a value

    alice = person_client(shared_server, ALICE)
    moved = alice.post(
        f"/v4/tasks/{task['id']}/comments",
        json={"approval_choice": "approved", "field_updates": [{"name": "Quantity", "value": 2}]},
    ).json()["task"]
    assert moved["current_step"] == 2 and moved["comments"][-1]["changed_step"] == 2
    assert _field(moved, 3)["value"] == 2

    bot = bot_client(shared_server)
    rejected = bot.post(
        f"/v4/tasks/{task['id']}/comments", json={"approval_choice": "rejected", "text": "No"}
    ).json()["task"]
    assert rejected["current_step"] == 1 and rejected["comments"][-1]["reset_to_step"] == 1
    assert rejected["comments"][-1]["author"]["id"] == BOT_ID


def test_comment_errors_change_nothing(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    task = new_form_task(bob)
    url = f"/v4/tasks/{task['id']}/comments"
    before = bob.get(f"/v4/tasks/{task['id']}").json()
    assert_error(
        bob.post(url, json={"text": "a", "formatted_text": "b"}),
        400,
        "both_text_and_formatted_text_specified",
    )
    assert_error(
        bob.post(url, json={"field_updates": [{"id": 999, "value": 1}]}), 400, "invalid_field_id"
    )
    assert_error(
        bob.post(url, json={"field_updates": [{"name": "Nope", "value": 1}]}),
        400,
        "invalid_field_name",
    )
    assert_error(bob.post(url, json={"approval_choice": "maybe"}), 400, "invalid_value_format")
    assert_error(bob.post(url, json={"text": 5}), 400, "invalid_value_format")
    assert_error(bob.post(url, content=b"{"), 400, "invalid_json")
    assert_error(bob.post(url, content=b""), 400, "empty_body")
    # Bob is not an approver of step 1: approving is refused.
    response = bob.post(url, json={"approval_choice": "approved"})
    assert 400 <= response.status_code < 500 and response.json()["error_code"]
    assert bob.get(f"/v4/tasks/{task['id']}").json() == before


def test_access_rules(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    carol = person_client(shared_server, CAROL)
    alice = person_client(shared_server, ALICE)
    bot = bot_client(shared_server)
    # A task of the open form: Bob is its only approver.
    created = carol.post(
        "/v4/tasks", json={"form_id": OPEN_FORM_ID, "fields": [{"id": 1, "value": "Hello"}]}
    )
    assert created.status_code == 200, created.text
    open_task = created.json()["task"]["id"]
    assert bob.get(f"/v4/tasks/{open_task}").status_code == 200
    # Alice takes no part and does not manage form 322; the bot takes no part either.
    assert_error(alice.get(f"/v4/tasks/{open_task}"), 403, "access_denied_task")
    assert_error(bot.get(f"/v4/tasks/{open_task}"), 403, "access_denied_task")
    assert_error(
        bot.post(f"/v4/tasks/{open_task}/comments", json={"text": "hi"}), 403, "access_denied_task"
    )
    # Unknown ids answer like invisible ones.
    assert_error(alice.get("/v4/tasks/987654321"), 403, "access_denied_task")
    # Carol may not use form 321 (neither manager nor member).
    assert_error(carol.post("/v4/tasks", json={"form_id": FORM_ID}), 403, "access_denied_form")
    # Alice manages form 321: she sees its tasks even where she is not involved... and the bot
    # sees a task of 321 because it is an approver of step 2.
    task = new_form_task(bob)
    assert alice.get(f"/v4/tasks/{task['id']}").status_code == 200
    assert bot.get(f"/v4/tasks/{task['id']}").status_code == 200
    # A simple task between Bob and Carol stays theirs.
    simple = bob.post("/v4/tasks", json={"text": "private", "participants": [{"id": CAROL["id"]}]})
    simple_id = simple.json()["task"]["id"]
    assert carol.get(f"/v4/tasks/{simple_id}").status_code == 200
    assert_error(alice.get(f"/v4/tasks/{simple_id}"), 403, "access_denied_task")


def test_create_errors(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    assert_error(bob.post("/v4/tasks", json={"subject": "no text"}), 400, "text_missing")
    assert_error(bob.post("/v4/tasks", json={"form_id": 99999}), 400, "form_id_missing")
    assert_error(bob.post("/v4/tasks", json={"form_id": "321"}), 400, "invalid_value_format")
    assert_error(
        bob.post("/v4/tasks", json={"text": "x", "participants": "all"}),
        400,
        "invalid_value_format",
    )


def test_bulk_comments_all_or_nothing(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    first = bob.post("/v4/tasks", json={"text": "one"}).json()["task"]["id"]
    second = bob.post("/v4/tasks", json={"text": "two"}).json()["task"]["id"]
    done = bob.post(
        "/v4/tasks/comments",
        json={"comments": [{"task_id": first, "text": "a"}, {"task_id": second, "text": "b"}]},
    )
    assert done.status_code == 200, done.text
    assert [t["id"] for t in done.json()["tasks"]] == [first, second]
    assert done.json()["tasks"][1]["comments"][-1]["text"] == "b"
    quiet = bob.post(
        "/v4/tasks/comments",
        json={"comments": [{"task_id": first, "text": "c"}], "no_tasks_in_response": True},
    )
    assert quiet.status_code == 200 and "tasks" not in quiet.json()
    # One bad entry: nothing of the batch is applied.
    before = bob.get(f"/v4/tasks/{first}").json()
    failed = bob.post(
        "/v4/tasks/comments",
        json={"comments": [{"task_id": first, "text": "d"}, {"task_id": 987654, "text": "e"}]},
    )
    assert_error(failed, 403, "access_denied_task")
    assert bob.get(f"/v4/tasks/{first}").json() == before
    assert_error(
        bob.post("/v4/tasks/comments", json={"comments": [{"text": "x"}]}),
        400,
        "required_parameter_missing",
    )


def test_attachments_and_download(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    upload = bob.post("/v4/files/upload", files={"file": ("notes.txt", b"hello", "text/plain")})
    assert upload.status_code == 200, upload.text
    guid = upload.json()["guid"]
    task = bob.post(
        "/v4/tasks", json={"text": "with file", "attachments": [{"guid": guid}]}
    ).json()["task"]
    attachment = task["attachments"][0]
    assert attachment["name"] == "notes.txt" and attachment["size"] == 5
    assert (
        attachment["url"] == f"{shared_server.base_url}/services/attachment?Id={attachment['id']}"
    )
    assert_error(
        bob.post("/v4/tasks", json={"text": "x", "attachments": ["no-such-guid"]}),
        400,
        "unrecognized_attachment_id",
    )


def test_edit_own_comment(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    task = bob.post("/v4/tasks", json={"text": "edit me"}).json()["task"]
    said = bob.post(f"/v4/tasks/{task['id']}/comments", json={"text": "typo"}).json()["task"]
    comment_id = said["comments"][-1]["id"]
    edited = bob.post(
        f"/v4/tasks/{task['id']}/comments", json={"text": "fixed", "edit_comment_id": comment_id}
    )
    assert edited.status_code == 200, edited.text
    comments = edited.json()["task"]["comments"]
    original = next(c for c in comments if c["id"] == comment_id)
    assert original["text"] == "fixed"
    assert comments[-1]["edit_comment_id"] == comment_id
    carol = person_client(shared_server, CAROL)
    bob.post(f"/v4/tasks/{task['id']}/comments", json={"participants_added": [{"id": CAROL["id"]}]})
    assert_error(
        carol.post(
            f"/v4/tasks/{task['id']}/comments", json={"text": "x", "edit_comment_id": comment_id}
        ),
        403,
        "access_denied",
    )


def test_served_task_bytes_are_what_the_protocol_model_writes(
    shared_server: RunningServer,
) -> None:
    """GET /v4/tasks/{id} and the register, as served: the protocol models parse the body and
    write the same bytes back (the renderer's keys and spellings are the model's)."""
    from pyrus_bots.protocol.models.responses import FormRegisterResponse, TaskResponse

    bob = person_client(shared_server, BOB)
    task = new_form_task(bob, fields=[{"id": 1, "value": "Desk"}, {"code": "u_amount", "value": 5}])
    bob.post(f"/v4/tasks/{task['id']}/comments", json={"text": "x", "spent_minutes": 3})
    served = bob.get(f"/v4/tasks/{task['id']}")
    assert TaskResponse.from_json(served.content).to_json() == served.content
    register = bob.get(f"/v4/forms/{FORM_ID}/register")
    assert register.status_code == 200, register.text
    assert FormRegisterResponse.from_json(register.content).to_json() == register.content
