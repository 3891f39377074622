"""Forms: templates, visibility, the register over GET and POST (filters, CSV), permissions."""

from __future__ import annotations

import csv
import io

from api.harness import (
    ALICE,
    BOB,
    CAROL,
    FORM_ID,
    OPEN_FORM_ID,
    RunningServer,
    assert_error,
    bot_client,
    new_form_task,
    person_client,
)


def test_templates_and_visibility(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    carol = person_client(shared_server, CAROL)
    bot = bot_client(shared_server)
    assert sorted(f["id"] for f in bob.get("/v4/forms").json()["forms"]) == [FORM_ID, OPEN_FORM_ID]
    assert [f["id"] for f in carol.get("/v4/forms").json()["forms"]] == [OPEN_FORM_ID]
    assert sorted(f["id"] for f in bot.get("/v4/forms").json()["forms"]) == [FORM_ID, OPEN_FORM_ID]
    form = bob.get(f"/v4/forms/{FORM_ID}").json()
    assert form["steps"] == {"1": "Manager", "2": "Automatic check", "3": "Accounting"}
    item = next(f for f in form["fields"] if f["id"] == 1)
    assert item["code"] == "u_item" and item["info"]["code"] == "u_item"
    assert_error(carol.get(f"/v4/forms/{FORM_ID}"), 403, "access_denied_form")
    assert_error(bob.get("/v4/forms/424242"), 403, "access_denied_form")


def test_register_filters_get_and_post(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    alice = person_client(shared_server, ALICE)
    cheap = new_form_task(bob, fields=[{"id": 1, "value": "Pencil"}, {"id": 2, "value": 3}])
    dear = new_form_task(bob, fields=[{"id": 1, "value": "Desk"}, {"id": 2, "value": 900}])
    alice.post(f"/v4/tasks/{dear['id']}/comments", json={"approval_choice": "approved"})
    mine = {cheap["id"], dear["id"]}

    def ids(response: object) -> set[int]:
        assert response.status_code == 200, response.text  # type: ignore[attr-defined]
        return {t["id"] for t in response.json()["tasks"]} & mine  # type: ignore[attr-defined]

    url = f"/v4/forms/{FORM_ID}/register"
    assert ids(alice.get(url)) == mine
    assert ids(alice.post(url, json={"steps": [2]})) == {dear["id"]}
    assert ids(alice.get(url, params={"steps": "1"})) == {cheap["id"]}
    assert ids(alice.post(url, json={"steps": "1,2"})) == mine
    assert ids(alice.post(url, json={"fld2": "gt100"})) == {dear["id"]}
    assert ids(alice.get(url, params={"fld2": "lt100"})) == {cheap["id"]}
    assert ids(alice.post(url, json={"fld1": "Pencil"})) == {cheap["id"]}
    assert ids(alice.post(url, json={"task_ids": [cheap["id"]]})) == {cheap["id"]}
    assert ids(alice.get(url, params={"task_ids": f"{cheap['id']},{dear['id']}"})) == mine
    assert ids(alice.post(url, json={"id": f"gt{cheap['id']}"})) == {dear["id"]}
    assert ids(alice.post(url, json={"include_archived": "y"})) == mine
    limited = alice.post(url, json={"item_count": 1}).json()["tasks"]
    assert len(limited) == 1
    projected = alice.post(url, json={"field_ids": [2, 1], "task_ids": [dear["id"]]}).json()
    assert [f["id"] for f in projected["tasks"][0]["fields"]] == [2, 1]
    assert "comments" not in projected["tasks"][0]
    assert_error(alice.post(url, json={"item_count": 0}), 400, "items_count_out_of_range")
    assert_error(alice.post(url, json={"field_ids": [999]}), 400, "invalid_field_id")
    assert_error(alice.post(url, json={"steps": "one"}), 400, "invalid_value_format")
    assert_error(alice.post(url, json={"format": "xml"}), 400, "invalid_value_format")


def test_register_visibility_for_members_and_bots(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    task = new_form_task(bob)
    url = f"/v4/forms/{FORM_ID}/register"
    # The bot is an approver of step 2 of every task of 321: it sees this one.
    assert task["id"] in {t["id"] for t in bot_client(shared_server).get(url).json()["tasks"]}
    # Carol cannot read the register of a form she may not use.
    assert_error(person_client(shared_server, CAROL).get(url), 403, "access_denied_form")


def test_register_closed_tasks_steps_and_ids_for_a_bot(shared_server: RunningServer) -> None:
    # Open-only, steps and task ids are applied by the database before the tasks are loaded;
    # the results must be exactly those of the full filter, for a caller that sees only some.
    bob = person_client(shared_server, BOB)
    alice = person_client(shared_server, ALICE)
    bot = bot_client(shared_server)
    waiting, closed = new_form_task(bob), new_form_task(bob)
    alice.post(f"/v4/tasks/{closed['id']}/comments", json={"action": "finished", "text": "done"})
    others = new_form_task(alice)  # the bot is an approver of every task of this form too
    mine = {waiting["id"], closed["id"], others["id"]}
    url = f"/v4/forms/{FORM_ID}/register"

    def ids(**params: object) -> set[int]:
        response = bot.post(url, json=params)
        assert response.status_code == 200, response.text
        return {t["id"] for t in response.json()["tasks"]} & mine

    assert ids() == {waiting["id"], others["id"]}
    assert ids(include_archived="true") == mine
    assert ids(include_archived="1", steps=[1]) == mine
    assert ids(include_archived="y", task_ids=[closed["id"]]) == {closed["id"]}
    assert ids(task_ids=f"{closed['id']},{waiting['id']}") == {waiting["id"]}
    assert ids(steps="2,3") == set()
    assert_error(bot.post(url, json={"task_ids": "x"}), 400, "invalid_value_format")


def test_register_csv(shared_server: RunningServer) -> None:
    alice = person_client(shared_server, ALICE)
    task = new_form_task(person_client(shared_server, BOB), fields=[{"id": 1, "value": "Lamp"}])
    response = alice.get(f"/v4/forms/{FORM_ID}/register", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:2] == ["id", "create_date"] and "Item" in rows[0]
    row = next(r for r in rows[1:] if r[0] == str(task["id"]))
    assert row[rows[0].index("Item")] == "Lamp"
    semicolon = alice.post(
        f"/v4/forms/{FORM_ID}/register", json={"format": "csv", "delimiter": ";"}
    )
    assert semicolon.text.splitlines()[0].startswith("id;create_date")
    assert_error(
        alice.post(f"/v4/forms/{FORM_ID}/register", json={"format": "csv", "delimiter": "ab"}),
        400,
        "invalid_value_format",
    )


def test_permissions(shared_server: RunningServer) -> None:
    permissions = person_client(shared_server, ALICE).get(f"/v4/forms/{FORM_ID}/permissions")
    assert permissions.json() == {
        "permissions": {str(ALICE["id"]): "manager", str(BOB["id"]): "member"}
    }


def test_change_permissions(shared_server: RunningServer) -> None:
    alice = person_client(shared_server, ALICE)
    carol = person_client(shared_server, CAROL)
    url = f"/v4/forms/{FORM_ID}/permissions"
    assert_error(carol.get(f"/v4/forms/{FORM_ID}"), 403, "access_denied_form")
    try:
        changed = alice.post(url, json={"permissions": {str(CAROL["id"]): "member"}})
        assert changed.status_code == 200, changed.text
        assert changed.json()["permissions"][str(CAROL["id"])] == "member"
        assert carol.get(f"/v4/forms/{FORM_ID}").status_code == 200
        assert alice.get(url).json() == changed.json()
        # Members may not change permissions; unknown people and levels are refused.
        assert_error(
            person_client(shared_server, BOB).post(url, json={"permissions": {"1003": "none"}}),
            403,
            "access_denied_form",
        )
        assert_error(
            alice.post(url, json={"permissions": {"424242": "member"}}), 400, "invalid_person_id"
        )
        assert_error(
            alice.post(url, json={"permissions": {"1003": "boss"}}), 400, "invalid_value_format"
        )
        assert_error(
            alice.post(url, json={"permissions": {str(ALICE["id"]): "none"}}),
            400,
            "invalid_value_format",
        )
    finally:
        alice.post(url, json={"permissions": {str(CAROL["id"]): "none"}})
    assert_error(carol.get(f"/v4/forms/{FORM_ID}"), 403, "access_denied_form")
    assert alice.get(url).json() == {
        "permissions": {str(ALICE["id"]): "manager", str(BOB["id"]): "member"}
    }
