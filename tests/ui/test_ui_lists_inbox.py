"""The inbox and list pages over real HTTP, on SQLite and PostgreSQL: they show the tasks
``GET /v4/inbox`` and ``GET /v4/lists/{id}/tasks`` select, and list changes made in the UI are
the API's."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from directory_kit import api_call, api_get, api_headers, inbox_workspace
from ui_helpers import LiveServer, csrf_of, sign_in

Start = Callable[..., LiveServer]
MARK = {"login": "mark@demo.test", "password": "mark-demo-password"}
ERIN = {"login": "erin@demo.test", "password": "erin-demo-password"}
TASK_LINK = re.compile(r'href="/ui/tasks/(\d+)"')


def _task_ids(html: str) -> set[int]:
    return {int(found) for found in TASK_LINK.findall(html)}


def _new_task(server: LiveServer, headers: dict[str, str], body: dict[str, Any]) -> int:
    created = api_call(server, "POST", "/v4/tasks", headers, body)
    return int(created["task"]["id"])


def _location_id(answer: Any) -> int:
    return int(answer.headers["location"].split("?")[0].split("/")[-1])


def test_the_inbox_page_shows_what_the_api_inbox_selects(
    db_url: str, ui_server: Start, tmp_path: Path
) -> None:
    server = ui_server(db_url=db_url, workspace=inbox_workspace(tmp_path))
    erin = api_headers(server, "erin@demo.test", "erin-demo-key")
    mark = api_headers(server, "mark@demo.test", "mark-demo-key")
    call = _new_task(server, erin, {"text": "Call the supplier", "responsible": {"id": 1002}})
    leave = _new_task(server, erin, {"form_id": 323, "fields": [{"id": 1, "value": "3"}]})
    other = _new_task(server, erin, {"text": "Alice's errand", "responsible": {"id": 1001}})
    expected = {t["id"] for t in api_get(server, "/v4/inbox", mark)["tasks"]}
    assert expected == {call, leave}

    with server.client() as ui:
        assert sign_in(ui, **MARK).is_redirect
        page = ui.get("/ui/inbox")
        assert page.status_code == 200
        assert _task_ids(page.text) == expected and other not in _task_ids(page.text)
        assert "<h2>Leave request</h2>" in page.text and "<h2>Simple tasks</h2>" in page.text
        assert 'aria-current="page"' in page.text.split('href="/ui/inbox"')[1][:30]
    with server.client() as admin:  # the loopback administrator chooses whose inbox
        assert "Choose whose inbox" in admin.get("/ui/inbox").text
        assert _task_ids(admin.get("/ui/inbox?person=1002").text) == expected
        assert _task_ids(admin.get("/ui/inbox?person=1001").text) == {other}
        assert admin.get("/ui/inbox?person=2001").status_code == 200  # a bot: nobody chosen


def test_lists_are_made_and_filled_in_the_ui_as_through_the_api(
    db_url: str, ui_server: Start, tmp_path: Path
) -> None:
    server = ui_server(db_url=db_url, workspace=inbox_workspace(tmp_path))
    mark = api_headers(server, "mark@demo.test", "mark-demo-key")
    call = _new_task(server, mark, {"text": "Call the supplier", "responsible": {"id": 1003}})
    private = _new_task(server, mark, {"text": "Mark's own note"})
    with server.client() as ui:
        assert sign_in(ui, **MARK).is_redirect
        page = ui.get("/ui/lists")
        assert page.status_code == 200 and "No lists you can see yet" in page.text
        refused = ui.post("/ui/lists/new", data={"csrf": csrf_of(page.text), "name": " "})
        assert refused.status_code == 400 and "required_parameter_missing" in refused.text
        suppliers = _location_id(
            ui.post("/ui/lists/new", data={"csrf": csrf_of(page.text), "name": "Suppliers"})
        )
        urgent = _location_id(
            ui.post(
                "/ui/lists/new",
                data={"csrf": csrf_of(page.text), "name": "Urgent", "parent_id": str(suppliers)},
            )
        )
        tree = api_get(server, "/v4/lists", mark)["lists"]
        assert [(t["id"], t["name"]) for t in tree] == [(suppliers, "Suppliers")]
        assert [(c["id"], c["name"]) for c in tree[0]["children"]] == [(urgent, "Urgent")]
        assert tree[0]["manager_ids"] == [1002]
        listed = ui.get("/ui/lists").text
        assert f'href="/ui/lists/{suppliers}"' in listed and f'href="/ui/lists/{urgent}"' in listed

        page = ui.get(f"/ui/lists/{urgent}")
        for task_id in (call, private):
            added = ui.post(
                f"/ui/lists/{urgent}/tasks",
                data={"csrf": csrf_of(page.text), "task_id": f"#{task_id}"},
            )
            assert added.status_code == 303, added.text
        missing = ui.post(
            f"/ui/lists/{urgent}/tasks", data={"csrf": csrf_of(page.text), "task_id": "99999"}
        )
        assert missing.status_code == 400 and 'value="99999"' in missing.text
        assert 'id="l-task-hint"><strong class="error-text">' in missing.text
        in_api = {t["id"] for t in api_get(server, f"/v4/lists/{urgent}/tasks", mark)["tasks"]}
        assert in_api == {call, private}
        assert _task_ids(ui.get(f"/ui/lists/{urgent}").text) == in_api

        renamed = ui.post(
            f"/ui/lists/{urgent}", data={"csrf": csrf_of(page.text), "name": "Very urgent"}
        )
        assert renamed.status_code == 303
        removed = ui.post(
            f"/ui/lists/{urgent}/tasks/{private}/remove", data={"csrf": csrf_of(page.text)}
        )
        assert removed.status_code == 303
        child = api_get(server, "/v4/lists", mark)["lists"][0]["children"][0]
        assert child["name"] == "Very urgent"
        in_api = {t["id"] for t in api_get(server, f"/v4/lists/{urgent}/tasks", mark)["tasks"]}
        assert in_api == {call}

    with server.client() as ui:  # Erin sees the organisation's lists, does not manage them
        assert sign_in(ui, **ERIN).is_redirect
        page = ui.get(f"/ui/lists/{urgent}")
        assert page.status_code == 200 and "Rename the list" not in page.text
        assert _task_ids(page.text) == {call}  # she takes part in one task of the list only
        refused = ui.post(
            f"/ui/lists/{urgent}", data={"csrf": csrf_of(page.text), "name": "Mine now"}
        )
        assert refused.status_code == 400 and "access_denied_project" in refused.text

    with server.client() as ui:
        assert sign_in(ui, **MARK).is_redirect
        page = ui.get(f"/ui/lists/{urgent}")
        deleted = ui.post(f"/ui/lists/{urgent}/delete", data={"csrf": csrf_of(page.text)})
        assert deleted.status_code == 303
        assert api_get(server, "/v4/lists", mark)["lists"][0].get("children", []) == []
        assert ui.get(f"/ui/lists/{urgent}").status_code == 404
