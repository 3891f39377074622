"""Option sub-fields, defaults and due durations, with the exact JSON the official clients send.

The bodies are in ``tests/fixtures/clients/{python,csharp,typescript}/fields_*.json``; each goes
over real HTTP to a platform on SQLite and on PostgreSQL. Form 501 (the workspace below): field 2
is a choice whose option Invoice holds fields 3 (required from step 1) and 4, option Cash field
5; most fields have a ``default``. The bot approves step 1; its hook records what it receives.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from api.harness import (
    ALICE,
    BOT_ID,
    BOT_KEY,
    BOT_LOGIN,
    POSTGRES_ENV,
    RunningServer,
    assert_error,
    create_postgres_database,
    person_client,
    serve_in_thread,
)
from pyrus_bots.server.settings import Settings

CLIENTS = ("python", "csharp", "typescript")
FIXTURES = Path(__file__).parents[2] / "fixtures" / "clients"
FORM = 501


def client_bodies(client: str, name: str) -> dict[str, Any]:
    bodies: dict[str, Any] = json.loads((FIXTURES / client / f"fields_{name}.json").read_text())
    return bodies


def workspace(hook_url: str) -> dict[str, Any]:
    text = lambda i, code, name, **kw: {"id": i, "code": code, "name": name, "type": "text", **kw}  # noqa: E731
    return {
        "organization": {"id": 1, "name": "Acme"},
        "people": [
            {"id": ALICE["id"], "email": ALICE["email"], "security_key": ALICE["key"]},
        ],
        "bots": [
            {
                "id": BOT_ID,
                "name": "Checker",
                "login": BOT_LOGIN,
                "security_key": BOT_KEY,
                "hook_url": hook_url,
            },
        ],
        "catalogs": [
            {
                "id": 4001,
                "name": "Cost centers",
                "headers": ["Code", "Name"],
                "items": [["CC1", "Marketing"], ["CC2", "Sales"]],
            }
        ],
        "forms": [
            {
                "id": FORM,
                "name": "Payment",
                "fields": [
                    text(1, "u_title", "Title"),
                    {
                        "id": 2,
                        "code": "u_method",
                        "name": "Method",
                        "type": "multiple_choice",
                        "default": {"choice_names": ["Invoice"]},
                        "options": [
                            {"id": 1, "value": "Card"},
                            {
                                "id": 2,
                                "value": "Invoice",
                                "fields": [
                                    text(3, "u_inn", "Tax number", required_step=1),
                                    text(4, "u_currency", "Currency", default="EUR"),
                                ],
                            },
                            {
                                "id": 3,
                                "value": "Cash",
                                "fields": [
                                    text(5, "u_desk", "Cash desk", default="Front desk"),
                                ],
                            },
                        ],
                    },
                    {
                        "id": 6,
                        "code": "u_amount",
                        "name": "Amount",
                        "type": "money",
                        "default": 100,
                    },
                    {
                        "id": 7,
                        "code": "u_owner",
                        "name": "Owner",
                        "type": "person",
                        "default": {"email": ALICE["email"]},
                    },
                    {
                        "id": 8,
                        "code": "u_cc",
                        "name": "Cost center",
                        "type": "catalog",
                        "catalog_id": 4001,
                        "default": {"item_names": ["CC2"]},
                    },
                    {"id": 9, "code": "u_meeting", "name": "Meeting", "type": "due_date_time"},
                ],
                "steps": [
                    {"name": "Check", "approvers": [BOT_ID]},
                    {"name": "Pay", "approvers": [ALICE["id"]]},
                ],
            }
        ],
    }


class Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Hook.received.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    directory = tmp_path_factory.mktemp("option-fields")
    path = directory / "workspace.json"
    path.write_text(json.dumps(workspace(f"http://127.0.0.1:{hook.server_address[1]}/")))
    drop = None
    if request.param == "sqlite":
        db = f"sqlite:///{directory / 'platform.db'}"
    else:
        url = os.environ.get(POSTGRES_ENV)
        if not url:
            pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}")
        db, drop = create_postgres_database(url)
    running = serve_in_thread(
        Settings(
            host="127.0.0.1",
            port=0,
            db=db,
            workspace=str(path),
            retry_schedule=(0.0, 0.5, 1.0),
            bot_timeout=5.0,
        )
    )
    try:
        yield running
    finally:
        running.stop()
        hook.shutdown()
        if drop is not None:
            drop()


def field(task: dict[str, Any], field_id: int) -> dict[str, Any]:
    return next(f for f in task["fields"] if f["id"] == field_id)


def create(server: RunningServer, body: dict[str, Any]) -> dict[str, Any]:
    response = person_client(server, ALICE).post("/v4/tasks", json=body)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()["task"]
    return task


def test_form_template_shows_option_fields_and_defaults(server: RunningServer) -> None:
    template = person_client(server, ALICE).get(f"/v4/forms/{FORM}").json()
    method = next(f for f in template["fields"] if f["id"] == 2)
    invoice = method["info"]["options"][1]
    assert invoice["choice_value"] == "Invoice"
    assert [(f["id"], f["code"], f["parent_id"]) for f in invoice["fields"]] == [
        (3, "u_inn", 2),
        (4, "u_currency", 2),
    ]
    assert invoice["fields"][0]["info"]["required_step"] == 1
    assert "fields" not in method["info"]["options"][0]  # Card holds none
    assert [f["id"] for f in template["fields"]] == [1, 2, 6, 7, 8, 9]  # sub-fields nest only
    assert method["value"]["choice_names"] == ["Invoice"]
    assert invoice["fields"][1]["value"] == "EUR"
    amount = next(f for f in template["fields"] if f["id"] == 6)
    assert amount["value"] == 100
    owner = next(f for f in template["fields"] if f["id"] == 7)
    assert owner["value"]["email"] == ALICE["email"]


@pytest.mark.parametrize("client", CLIENTS)
def test_sub_fields_set_nested_or_flat_show_in_the_choice(
    server: RunningServer, client: str
) -> None:
    bodies = client_bodies(client, "option_subfields")
    nested = create(server, bodies["create_nested"])
    value = field(nested, 2)["value"]
    assert value["choice_ids"] == [2] and value["choice_names"] == ["Invoice"]
    assert [(f["id"], f.get("value")) for f in value["fields"]] == [(3, "7701234567"), (4, None)]
    assert all(f["parent_id"] == 2 for f in value["fields"])
    assert {f["id"] for f in nested["fields"]}.isdisjoint({3, 4, 5})

    flat = create(server, bodies["create_flat"])
    value = field(flat, 2)["value"]
    assert value["choice_names"] == ["Cash"]
    assert [(f["id"], f.get("value")) for f in value["fields"]] == [(5, "Back office")]


@pytest.mark.parametrize("client", CLIENTS)
def test_sub_field_of_an_option_not_chosen_is_refused(server: RunningServer, client: str) -> None:
    bodies = client_bodies(client, "option_subfields")
    task = create(server, bodies["create_nested"])  # Invoice chosen
    alice = person_client(server, ALICE)
    refused = alice.post(f"/v4/tasks/{task['id']}/comments", json=bodies["comment_hidden"])
    assert_error(refused, 400, "unable_to_edit_field")
    after = alice.get(f"/v4/tasks/{task['id']}").json()["task"]
    assert after["comments"] == task["comments"]  # nothing changed


@pytest.mark.parametrize("client", CLIENTS)
def test_switching_options_hides_and_brings_back_values(server: RunningServer, client: str) -> None:
    bodies = client_bodies(client, "option_subfields")
    task = create(server, bodies["create_flat"])  # Cash, desk "Back office"
    alice = person_client(server, ALICE)
    url = f"/v4/tasks/{task['id']}/comments"
    switched = alice.post(url, json=bodies["comment_switch"]).json()["task"]
    value = field(switched, 2)["value"]
    assert [(f["id"], f["value"]) for f in value["fields"]] == [(3, "7709999999"), (4, "USD")]
    back = alice.post(url, json={"field_updates": [{"id": 2, "value": {"choice_ids": [3]}}]})
    value = field(back.json()["task"], 2)["value"]
    assert [(f["id"], f["value"]) for f in value["fields"]] == [(5, "Back office")]
    if "comment_fields_only" in bodies:  # a value with fields and no choice keeps the choice
        kept = alice.post(url, json={"field_updates": [{"id": 2, "value": {"choice_ids": [2]}}]})
        assert kept.status_code == 200
        only = alice.post(url, json=bodies["comment_fields_only"]).json()["task"]
        value = field(only, 2)["value"]
        assert value["choice_ids"] == [2]
        assert [(f["id"], f["value"]) for f in value["fields"]][1] == (4, "EUR")


def test_required_sub_field_counts_only_when_its_option_is_chosen(server: RunningServer) -> None:
    bot = server.client(server.token(BOT_LOGIN, BOT_KEY))
    invoice = create(server, {"form_id": FORM, "fields": [{"id": 2, "value": {"choice_ids": [2]}}]})
    refused = bot.post(f"/v4/tasks/{invoice['id']}/comments", json={"approval_choice": "approved"})
    assert_error(refused, 400, "required_field_missing")
    card = create(server, {"form_id": FORM, "fields": [{"id": 2, "value": {"choice_ids": [1]}}]})
    moved = bot.post(f"/v4/tasks/{card['id']}/comments", json={"approval_choice": "approved"})
    assert moved.status_code == 200 and moved.json()["task"]["current_step"] == 2


@pytest.mark.parametrize("client", CLIENTS)
def test_fill_defaults(server: RunningServer, client: str) -> None:
    bodies = client_bodies(client, "defaults")
    filled = create(server, bodies["create_fill_defaults"])
    method = field(filled, 2)["value"]
    assert method["choice_names"] == ["Invoice"]
    assert [(f["id"], f.get("value")) for f in method["fields"]] == [(3, None), (4, "EUR")]
    assert field(filled, 6)["value"] == 100
    assert field(filled, 7)["value"]["id"] == ALICE["id"]
    assert field(filled, 8)["value"]["item_names"] == ["CC2"]
    assert "value" not in field(filled, 9)  # no default
    written = {u["id"] for u in filled["comments"][0]["field_updates"]}
    assert {1, 2, 4, 6, 7, 8} <= written

    kept = create(server, bodies["create_fill_defaults_keeps_given"])
    assert field(kept, 6)["value"] == 250
    method = field(kept, 2)["value"]  # Cash given: Cash's sub-field default, not Invoice's
    assert method["choice_names"] == ["Cash"]
    assert [(f["id"], f["value"]) for f in method["fields"]] == [(5, "Front desk")]

    plain = create(server, bodies["create_without_defaults"])
    assert [f["id"] for f in plain["fields"] if "value" in f] == [1]


def test_webhook_shows_sub_fields_nested(server: RunningServer) -> None:
    Hook.received.clear()
    task = create(server, client_bodies("python", "option_subfields")["create_nested"])
    received = _wait_for(lambda: [b for b in Hook.received if b["task_id"] == task["id"]])
    delivered = received[0]["task"]
    assert field(delivered, 2) == field(task, 2)
    assert field(delivered, 2)["value"]["fields"][0] == {
        "id": 3,
        "type": "text",
        "name": "Tax number",
        "code": "u_inn",
        "value": "7701234567",
        "parent_id": 2,
    }


def _wait_for(found: Any) -> Any:
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        result = found()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("no webhook arrived")


@pytest.mark.parametrize("client", CLIENTS)
def test_due_and_duration_checked_as_one_request(server: RunningServer, client: str) -> None:
    bodies = client_bodies(client, "due_duration")
    alice = person_client(server, ALICE)
    task = create(server, {"form_id": FORM, "fields": [{"id": 2, "value": {"choice_ids": [1]}}]})
    url = f"/v4/tasks/{task['id']}/comments"
    with_due = alice.post(url, json=bodies["comment_due_and_duration"]).json()["task"]
    assert with_due["due"] == "2027-03-01T09:00:00Z" and with_due["duration"] == 90
    if "comment_due_date_and_duration" in bodies:
        # the task has a due time, but this request replaces it with a date: refused as a whole
        refused = alice.post(url, json=bodies["comment_due_date_and_duration"])
        assert_error(refused, 400, "due_missing")
        only = alice.post(url, json=bodies["comment_duration_only"]).json()["task"]
        assert only["due"] == "2027-03-01T09:00:00Z" and only["duration"] == 45
        alice.post(url, json={"due_date": "2027-04-01"})
        refused = alice.post(url, json=bodies["comment_duration_only"])  # a date, no due time
        assert_error(refused, 400, "due_missing")
    if "field_due_and_duration" in bodies:
        meeting = alice.post(url, json=bodies["field_due_and_duration"]).json()["task"]
        assert field(meeting, 9)["value"] == "2027-03-01T09:00:00Z"
        assert field(meeting, 9)["duration"] == 60
        # a duration alone changes the duration of the date the field holds (it used to clear
        # the field)
        shorter = alice.post(url, json=bodies["field_duration_only"]).json()["task"]
        assert field(shorter, 9)["value"] == "2027-03-01T09:00:00Z"
        assert field(shorter, 9)["duration"] == 30
        other = create(
            server, {"form_id": FORM, "fields": [{"id": 2, "value": {"choice_ids": [1]}}]}
        )
        empty = alice.post(f"/v4/tasks/{other['id']}/comments", json=bodies["field_duration_only"])
        assert_error(empty, 400, "due_missing")
    else:
        echoed = alice.post(url, json=bodies["field_due_without_duration"]).json()["task"]
        assert field(echoed, 9)["value"] == "2027-03-01T09:00:00Z"
