"""Task calls exactly as the official clients send them, answered in the shapes they declare.

Each request body (and each GET query) comes from ``tests/fixtures/clients/<client>/``, where
it is transcribed byte for byte from the client's serializer (see the README there). The bytes go
over real HTTP to the platform on SQLite and PostgreSQL; each answer is checked against the
TypeScript and C# declarations (``task_shapes``) and for what the call should have done.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.harness import ALICE, BOB, CATALOG_ID, FORM_ID, RunningServer, assert_error, person_client
from api.task_shapes import check_response

FIXTURES = Path(__file__).parents[2] / "fixtures" / "clients"
CLIENTS = ("csharp", "typescript", "python")
# What each client puts in Content-Type (C#: StringContent with UTF-8; TS and Python: plain).
CONTENT_TYPES = {
    "csharp": "application/json; charset=utf-8",
    "typescript": "application/json",
    "python": "application/json",
}
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def fixture(client: str, name: str, values: dict[str, Any] | None = None) -> str:
    """The fixture's text with its placeholders filled: ``"{name}"`` (a whole JSON string)
    becomes the value as JSON, ``{name}`` inside a string or query its text."""
    text = (FIXTURES / client / name).read_text(encoding="utf-8")
    for key, value in (values or {}).items():
        text = text.replace(f'"{{{key}}}"', json.dumps(value)).replace(f"{{{key}}}", str(value))
    assert not _PLACEHOLDER.search(text), f"{client}/{name}: unfilled {text}"
    return text


def send(http: httpx.Client, client: str, path: str, name: str, **values: Any) -> httpx.Response:
    body = fixture(client, name, values).encode("utf-8")
    return http.post(path, content=body, headers={"Content-Type": CONTENT_TYPES[client]})


def check_all(client: str, shape: str, value: Any) -> Any:
    """Check against every typed client that has this answer (Python's client is untyped)."""
    for typed in ("typescript", "csharp"):
        if shape != "MultipleTasksChangeResponse" or typed == "csharp":
            check_response(typed, shape, value)
    return value


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _field(task: dict[str, Any], field_id: int) -> Any:
    return next((f.get("value") for f in task.get("fields", []) if f["id"] == field_id), None)


@pytest.fixture(scope="module")
def setting(module_server: RunningServer) -> dict[str, Any]:
    """Objects every client's calls refer to: a list, an uploaded file, a catalog item."""
    alice = person_client(module_server, ALICE)
    catalog = ok(alice.get(f"/v4/catalogs/{CATALOG_ID}"))
    return {"alice": alice, "bob": person_client(module_server, BOB), "catalog": catalog}


@pytest.mark.parametrize("client", CLIENTS)
def test_task_calls_of_the_official_clients(
    module_server: RunningServer, setting: dict[str, Any], client: str
) -> None:
    alice: httpx.Client = setting["alice"]
    bob: httpx.Client = setting["bob"]
    list_id = ok(alice.put("/v4/lists", json={"name": f"{client} list"}))["id"]
    upload = alice.post("/v4/files/upload", files={"file": (f"{client}.txt", b"invoice")})
    guid = ok(upload)["guid"]
    sales = next(i for i in setting["catalog"]["items"] if i["values"][0] == "CC2")
    values: dict[str, Any] = {"list": list_id, "guid": guid, "catalog_item": sales["item_id"]}

    # Simple task: responsible, participants, a deadline, a list.
    simple = check_all(
        client,
        "TaskResponse",
        ok(send(alice, client, "/v4/tasks", "create_simple_task.json", **values)),
    )["task"]
    assert simple["responsible"]["id"] == BOB["id"] and list_id in simple["list_ids"]
    assert simple.get("due_date") == "2024-06-01" or simple.get("due") == "2024-06-01T09:30:00Z"

    # Form task: every field kind the clients write, a file, a list.
    answer = send(alice, client, "/v4/tasks", "create_form_task.json", **values)
    form_task = check_all(client, "TaskResponse", ok(answer))["task"]
    assert form_task["form_id"] == FORM_ID and list_id in form_task["list_ids"]
    assert _field(form_task, 1) == "Laptop" and _field(form_task, 2) == 1500.5
    assert _field(form_task, 4) == "2024-05-01" and _field(form_task, 6) == "checked"
    assert _field(form_task, 7)["choice_ids"] == [1]
    assert _field(form_task, 8)["item_ids"] == [sales["item_id"]]  # C#'s item_id 0 is no item
    assert _field(form_task, 9)["id"] == BOB["id"]
    assert [a["name"] for a in form_task["attachments"]] == [f"{client}.txt"]

    # A comment approving step 1 with field updates, a file and a list.
    other_list = ok(alice.put("/v4/lists", json={"name": f"{client} other"}))["id"]
    path = f"/v4/tasks/{form_task['id']}/comments"
    second = ok(alice.post("/v4/files/upload", files={"file": ("second.txt", b"2")}))["guid"]
    answer = send(
        alice,
        client,
        path,
        "comment_form_task.json",
        **{**values, "list": other_list, "guid": second},
    )
    commented = check_all(client, "TaskResponse", ok(answer))["task"]
    last = commented["comments"][-1]
    assert last["approval_choice"] == "approved" and commented["current_step"] == 2
    assert [a["name"] for a in last["attachments"]] == ["second.txt"]
    assert _field(commented, 2) == 1750.25 and _field(commented, 7)["choice_ids"] == [2]
    assert other_list in commented["list_ids"] and last["added_list_ids"] == [other_list]

    # The register: filters as each client spells them, then CSV in the asked encoding.
    ids = {"form_task": form_task["id"], "simple_task": simple["id"]}
    register = f"/v4/forms/{FORM_ID}/register"
    found = check_all(
        client, "FormRegisterResponse", ok(send(alice, client, register, "register.json", **ids))
    )
    assert [t["id"] for t in found["tasks"]] == [form_task["id"]]
    assert {f["id"] for f in found["tasks"][0]["fields"]} == {1, 2, 7}
    exported = send(alice, client, register, "register_csv.json")
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"] == "text/csv; charset=windows-1251"
    lines = exported.content.decode("cp1251").split("\r\n")
    assert lines[-1] == "" and '"' not in exported.text  # simple: nothing quoted
    rows = [line.split(";") for line in lines[:-1]]
    assert len({len(row) for row in rows}) == 1, "every line splits into the same cells"
    vendor = rows[0].index("Vendor")
    mine = next(row for row in rows if row[0] == str(form_task["id"]))
    assert mine[vendor] == "Ромашка  Berlin"  # the delimiter inside the value became a space

    # The list's tasks with date bounds (C#: Newtonsoft dates, item_count 0 = default).
    listed_path = f"/v4/lists/{list_id}/tasks"
    if (FIXTURES / client / "list_tasks.query").exists():
        listed = ok(alice.get(f"{listed_path}?{fixture(client, 'list_tasks.query')}"))
    else:
        listed = ok(send(alice, client, listed_path, "list_tasks.json"))
    check_all(client, "TaskListResponse", listed)
    assert {t["id"] for t in listed["tasks"]} == {simple["id"], form_task["id"]}

    # Inbox and calendar, as Bob (responsible of the simple task, due in the range).
    inbox = check_all(
        client, "InboxResponse", ok(bob.get(f"/v4/inbox?{fixture(client, 'inbox.query')}"))
    )
    assert simple["id"] in [t["id"] for t in inbox["tasks"]]
    calendar = ok(bob.get(f"/v4/calendar?{fixture(client, 'calendar.query')}"))
    check_all(client, "CalendarResponse", calendar)
    assert simple["id"] in [t["id"] for t in calendar["tasks"]]


def test_csharp_bulk_comments_at_the_double_slash(
    module_server: RunningServer, setting: dict[str, Any]
) -> None:
    """C# posts its nested shape to ``/v4/tasks//comments``; all or nothing; a stale
    ``previous_note_id`` is 400 ``conflict``; ``0`` means none."""
    alice: httpx.Client = setting["alice"]
    simple = ok(alice.post("/v4/tasks", json={"text": "Call the vendor"}))["task"]
    form_task = ok(
        alice.post("/v4/tasks", json={"form_id": FORM_ID, "fields": [{"id": 1, "value": "Laptop"}]})
    )["task"]
    ids = {
        "form_task": form_task["id"],
        "simple_task": simple["id"],
        "form_task_last_note": form_task["last_note_id"],
    }
    answer = send(alice, "csharp", "/v4/tasks//comments", "bulk_comments.json", **ids)
    changed = check_response("csharp", "MultipleTasksChangeResponse", ok(answer))["tasks"]
    assert [t["id"] for t in changed] == [form_task["id"], simple["id"]]
    assert _field(changed[0], 1) == "Laptop 15" and changed[1]["is_closed"] is True
    assert changed[0]["comments"][-1]["text"] == "Batch: invoice filed"

    # The same body again: the form task moved past the note C# saw, so nothing applies.
    before = ok(alice.get(f"/v4/tasks/{simple['id']}"))["task"]
    again = send(alice, "csharp", "/v4/tasks//comments", "bulk_comments.json", **ids)
    assert_error(again, 400, "conflict")
    assert ok(alice.get(f"/v4/tasks/{simple['id']}"))["task"] == before


def test_bulk_comment_shapes_are_read_alike(
    module_server: RunningServer, setting: dict[str, Any]
) -> None:
    alice: httpx.Client = setting["alice"]
    task = ok(alice.post("/v4/tasks", json={"text": "Shapes"}))["task"]
    flat = {"comments": [{"task_id": task["id"], "text": "flat", "previous_note_id": 0}]}
    nested = {"comments": [{"task_id": task["id"], "comment": {"text": "nested"}}]}
    for body in (flat, nested):
        ok(alice.post("/v4/tasks/comments", json=body))
    texts = [c.get("text") for c in ok(alice.get(f"/v4/tasks/{task['id']}"))["task"]["comments"]]
    assert texts[-2:] == ["flat", "nested"]
    # A comment key beside "comment" is ambiguous: refused, nothing changes.
    mixed = {"comments": [{"task_id": task["id"], "text": "x", "comment": {"text": "y"}}]}
    assert_error(alice.post("/v4/tasks/comments", json=mixed), 400, "invalid_value_format")
    not_object = {"comments": [{"task_id": task["id"], "comment": "text"}]}
    assert_error(alice.post("/v4/tasks/comments", json=not_object), 400, "invalid_value_format")
    after = ok(alice.get(f"/v4/tasks/{task['id']}"))["task"]["comments"]
    assert len(after) == len(texts)


def test_register_reads_newtonsoft_dates_and_encodings(
    module_server: RunningServer, setting: dict[str, Any]
) -> None:
    alice: httpx.Client = setting["alice"]
    body = {
        "form_id": FORM_ID,
        "fields": [{"id": 1, "value": "Кресло"}, {"id": 4, "value": "2024-05-01"}],
    }
    task = ok(alice.post("/v4/tasks", json=body))["task"]
    register = f"/v4/forms/{FORM_ID}/register"

    def ids(filters: dict[str, Any]) -> list[int]:
        found = ok(alice.post(register, json={"task_ids": [task["id"]], **filters}))
        return [t["id"] for t in found["tasks"]]

    # created_after/before as "\/Date(ms)\/" (with and without an offset).
    assert ids({"created_after": "/Date(1577836800000)/"}) == [task["id"]]
    assert ids({"created_before": "/Date(1577836800000+0300)/"}) == []
    # A date field filter: the sender's day (here 2024-05-01 00:30 at +0300 is 2024-04-30 UTC).
    assert ids({"fld4": "/Date(1714512600000+0300)/"}) == [task["id"]]
    assert ids({"fld4": "gt/Date(1714435200000)/,lt/Date(1714608000000)/"}) == [task["id"]]
    assert_error(
        alice.post(register, json={"created_after": "/Date(x)/"}), 400, "invalid_value_format"
    )

    for encoding, codec, charset in (
        ("utf-8", "utf-8", "utf-8"),
        ("Unicode (UTF-8)", "utf-8", "utf-8"),
        ("koi8-r", "koi8-r", "koi8-r"),
        ("Cyrillic (Windows)", "cp1251", "windows-1251"),
    ):
        exported = alice.post(
            register, json={"task_ids": [task["id"]], "format": "csv", "encoding": encoding}
        )
        assert exported.headers["content-type"] == f"text/csv; charset={charset}"
        rows = list(csv.reader(io.StringIO(exported.content.decode(codec))))
        assert rows[1][rows[0].index("Item")] == "Кресло"
    query = f"{register}?format=csv&simple_format=y&encoding=windows-1251&task_ids={task['id']}"
    exported = alice.get(query)
    assert exported.status_code == 200 and exported.content.decode("cp1251").count("Кресло") == 1
    for bad in ("klingon", "base64", "undefined", 1251):
        answer = alice.post(register, json={"format": "csv", "encoding": bad})
        assert_error(answer, 400, "invalid_value_format")
    assert_error(alice.post(register, json={"simple_format": "maybe"}), 400, "invalid_value_format")
