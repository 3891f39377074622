"""A person's whole part of a task in the UI, over real HTTP, on SQLite and PostgreSQL: create a
form task with a table, multi-value choices, a title section, a form link and a due date-time;
create a simple task; then edit fields (table rows added, changed, removed), approve on a chosen
step, reassign, share, set the due date, close and reopen. Each step is checked through
``GET /v4/tasks/{id}``, which is what an integration or a bot would read."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from ui_helpers import LiveServer, csrf_of

Start = Callable[..., LiveServer]

WORKSPACE = """
organization: {id: 1, name: Table Co}
people:
  - {id: 1001, email: ann@table.test, first_name: Ann, last_name: Author, security_key: ann-key}
  - {id: 1002, email: max@table.test, first_name: Max, last_name: Manager, security_key: max-key}
  - {id: 1003, email: sue@table.test, first_name: Sue, last_name: Support, security_key: sue-key}
forms:
  - id: 500
    name: Order
    fields:
      - {id: 1, name: Title, type: text}
      - {id: 2, name: Tags, type: multiple_choice, multiple_choice: true,
         options: [{id: 1, value: Office}, {id: 2, value: IT}, {id: 3, value: Urgent}]}
      - id: 3
        name: Delivery
        type: title
        fields:
          - {id: 4, name: Deliver by, type: due_date_time}
          - {id: 5, name: Fragile, type: checkmark}
      - id: 6
        name: Lines
        type: table
        columns:
          - {id: 7, name: Article, type: text}
          - {id: 8, name: Quantity, type: number}
      - {id: 9, name: Related, type: form_link, form_id: 500}
      - {id: 10, name: Total, type: money, immutable_step: 2}
    steps:
      - {name: Review, approvers: [1002]}
      - {name: Order, approvers: [1003]}
"""


def _api_task(server: LiveServer, task_id: int) -> dict[str, Any]:
    """The task as ``GET /v4/tasks/{id}`` shows it to Max, who approves its first step."""
    with httpx.Client(base_url=server.base_url, timeout=10) as api:
        auth = api.post("/v4/auth", json={"login": "max@table.test", "security_key": "max-key"})
        token = auth.json()["access_token"]
        answer = api.get(f"/v4/tasks/{task_id}", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        task: dict[str, Any] = answer.json()["task"]
        return task


def _field(task: dict[str, Any], field_id: int) -> Any:
    for field in task.get("fields") or []:
        if field["id"] == field_id:
            return field.get("value")
        value = field.get("value")
        if field["type"] == "title" and isinstance(value, dict):
            for child in value.get("fields") or []:
                if child["id"] == field_id:
                    return child.get("value")
    return None


def _rows(task: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        (
            next(c.get("value") for c in row["cells"] if c["id"] == 7),
            next((c.get("value") for c in row["cells"] if c["id"] == 8), None),
        )
        for row in _field(task, 6) or []
    ]


def _post_comment(client: httpx.Client, task_id: int, **changes: Any) -> tuple[httpx.Response, str]:
    """Submit the task page's form as a browser does: every input as drawn, then ``changes``."""
    page = client.get(f"/ui/tasks/{task_id}")
    assert page.status_code == 200
    data: dict[str, Any] = dict(_drawn_inputs(page.text))
    data["csrf"] = csrf_of(page.text)
    data.update(changes)
    return client.post(f"/ui/tasks/{task_id}/comments", data=data), page.text


def _drawn_inputs(html: str) -> list[tuple[str, Any]]:
    """The ``was:`` inputs of the page, and the same values under the inputs' own names (what a
    browser sends for inputs nobody touched)."""
    pairs: dict[str, list[str]] = {}
    for name, value in re.findall(r'type="hidden" name="was:([^"]+)" value="([^"]*)"', html):
        pairs.setdefault(name, []).append(value)
    flat: list[tuple[str, Any]] = []
    for name, values in pairs.items():
        flat.append((f"was:{name}", values))
        flat.append((name, values))
    return flat


def _scenario(server: LiveServer) -> None:
    with server.client() as ui:  # loopback administrator, acting as the chosen person
        page = ui.get("/ui/tasks/new?form=500")
        assert page.status_code == 200
        for label in ('name="f7@n0"', 'name="f2" multiple', 'name="f4.duration"'):
            assert label in page.text
        bad = ui.post(
            "/ui/tasks/new",
            data={
                "csrf": csrf_of(page.text),
                "form": "500",
                "as_person": "1001",
                "f1": "Office chairs",
                "f7@n0": "Chair",
                "f8@n0": "four",
            },
        )
        # Refused next to the field, and nothing typed is lost.
        assert bad.status_code == 400 and "Quantity: “four” is not a number" in bad.text
        assert 'value="Office chairs"' in bad.text and 'value="four"' in bad.text
        created = ui.post(
            "/ui/tasks/new",
            data={
                "csrf": csrf_of(page.text),
                "form": "500",
                "as_person": "1001",
                "f1": "Office chairs",
                "f2": ["1", "3"],
                "f4": "2026-06-01T09:30",
                "f4.duration": "60",
                "f5": "checked",
                "f7@n0": "Chair",
                "f8@n0": "4",
                "f7@n1": "Desk",
                "f8@n1": "1",
                "f10": "500",
            },
        )
        assert created.status_code == 303, created.text
        task_id = int(created.headers["location"].split("?")[0].rsplit("/", 1)[1])
        task = _api_task(server, task_id)
        assert _field(task, 2)["choice_ids"] == [1, 3]
        assert _field(task, 4) == "2026-06-01T09:30:00Z" and _field(task, 5) == "checked"
        assert _rows(task) == [("Chair", 4), ("Desk", 1)]
        assert task["current_step"] == 1

        shown = ui.get(f"/ui/tasks/{task_id}").text
        assert 'data-testid="table-value"' in shown and "<td>Chair</td>" in shown

        # Max edits the table (a quantity, a row removed, a row added), the tags and a link,
        # and approves: one comment, as on Pyrus.
        rows = {row["cells"][0]["value"]: row["row_id"] for row in _field(task, 6)}
        answer, _ = _post_comment(
            ui,
            task_id,
            as_person="1002",
            text="Four chairs is right; no desk.",
            approval_choice="approved",
            **{
                f"f8@r{rows['Chair']}": "5",
                f"del6@r{rows['Desk']}": "1",
                "f7@n0": "Lamp",
                "f8@n0": "2",
                "f2": ["2"],
                "f9": str(task_id),
            },
        )
        assert answer.status_code == 303, answer.text
        task = _api_task(server, task_id)
        assert _rows(task) == [("Chair", 5), ("Lamp", 2)]
        assert _field(task, 2)["choice_ids"] == [2]
        assert _field(task, 9)["task_ids"] == [task_id]
        assert task["current_step"] == 2
        last = task["comments"][-1]
        assert last["text"] == "Four chairs is right; no desk." and last["author"]["id"] == 1002

        # The total is read-only from step 2: the page says so and the field is never sent.
        answer, drawn = _post_comment(ui, task_id, as_person="1003", f10="1")
        assert "(read-only on this step)" in drawn
        assert answer.status_code == 400  # nothing else was asked for
        assert _field(_api_task(server, task_id), 10) == 500

        # Sue reassigns, shares, sets the due date and closes; then reopens.
        answer, _ = _post_comment(
            ui,
            task_id,
            as_person="1003",
            reassign_to="1002",
            participants_added=["1001"],
            subscribers_added=["1003"],
            due_date="2026-07-01",
            action="finished",
        )
        assert answer.status_code == 303, answer.text
        task = _api_task(server, task_id)
        assert task["responsible"]["id"] == 1002 and task["is_closed"] is True
        assert {p["id"] for p in task.get("participants", [])} >= {1001}
        assert task["due_date"] == "2026-07-01"
        answer, _ = _post_comment(ui, task_id, as_person="1003", action="reopened")
        assert answer.status_code == 303
        assert _api_task(server, task_id).get("is_closed") is not True

        # A refused comment (an approval on a step Ann does not approve) says why, with a 4XX.
        answer, _ = _post_comment(
            ui, task_id, as_person="1001", approval_choice="approved", approval_step="2"
        )
        assert 400 <= answer.status_code < 500 and 'role="alert"' in answer.text

        # A simple task: text, responsible, participants, due date and time with a duration.
        page = ui.get("/ui/tasks/new?form=simple")
        simple = ui.post(
            "/ui/tasks/new",
            data={
                "csrf": csrf_of(page.text),
                "form": "simple",
                "as_person": "1001",
                "text": "Order toner",
                "responsible": "1002",
                "participants": ["1002", "1003"],
                "due": "2026-06-02T15:00",
                "duration": "30",
            },
        )
        assert simple.status_code == 303, simple.text
        simple_id = int(simple.headers["location"].split("?")[0].rsplit("/", 1)[1])
        task = _api_task(server, simple_id)
        assert task["text"] == "Order toner" and task["responsible"]["id"] == 1002
        assert task["due"] == "2026-06-02T15:00:00Z" and task["duration"] == 30


def test_a_person_does_their_part_of_a_task_on_sqlite(ui_server: Start, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(WORKSPACE)
    _scenario(ui_server(workspace=workspace))


@pytest.mark.postgres
def test_a_person_does_their_part_of_a_task_on_postgresql(
    postgres_url: str, ui_server: Start, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(WORKSPACE)
    _scenario(ui_server(workspace=workspace, db_url=postgres_url))
