"""The acceptance test: the official ``pyrus-api`` client, unchanged, against the platform.

The client is pointed at the server with spec 8.1 recipe A (``_protocol``, ``_host``,
``_files_host``) and nothing else. Every call must succeed (no ``error_code`` in the answer) and
what is read back must be what was written.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from api.harness import (
    ALICE,
    BOB,
    BOT_ID,
    BOT_KEY,
    BOT_LOGIN,
    CAROL,
    CATALOG_ID,
    FORM_ID,
    RunningServer,
)
from pyrus.client import PyrusAPI
from pyrus.models import entities, requests

pytestmark = pytest.mark.timeout(120)


def client_for(server: RunningServer, login: str | None, key: str | None, **kw: Any) -> PyrusAPI:
    api = PyrusAPI(login=login, security_key=key, **kw)
    host = urlparse(server.base_url).netloc
    api._protocol = "http"
    api._host = host
    api._files_host = host
    return api


def ok(response: Any) -> Any:
    """The answer, after checking the client saw no error."""
    assert getattr(response, "error_code", None) is None, (response.error_code, response.error)
    return response


def field(task: Any, field_id: int) -> Any:
    found = [f for f in task.fields if f.id == field_id]
    assert found, f"field {field_id} missing"
    return found[0]


def test_official_client_end_to_end(shared_server: RunningServer, tmp_path: Path) -> None:
    server = shared_server
    item = f"Laptop {uuid.uuid4().hex[:8]}"  # unique: the server is shared with other tests
    alice = client_for(server, ALICE["email"], ALICE["key"])
    bob = client_for(server, BOB["email"], BOB["key"])
    bot = client_for(server, BOT_LOGIN, BOT_KEY)

    # --- auth as a person and as a bot: the answer points the client at this server
    auth = ok(alice.auth())
    assert auth.success and auth.access_token
    assert auth.api_url == f"{server.base_url}/v4/"
    assert auth.files_url == f"{server.base_url}/"
    assert ok(bot.auth()).success
    wrong = client_for(server, ALICE["email"], "not-the-key").auth()
    assert not wrong.success and wrong.error_code == "invalid_credentials"

    # --- forms: list and one template with steps and codes
    forms = ok(bob.get_forms())
    assert FORM_ID in [f.id for f in forms.forms]
    form = ok(bob.get_form(FORM_ID))
    assert form.name == "Purchase request"
    assert form.steps == {"1": "Manager", "2": "Automatic check", "3": "Accounting"}
    by_id = {f.id: f for f in form.flat_fields}
    assert by_id[1].code == "u_item" and by_id[8].info.catalog_id == CATALOG_ID
    assert [o.choice_value for o in by_id[7].info.options] == ["New", "Approved"]
    assert ok(bot.get_form(FORM_ID)).id == FORM_ID  # bots read templates

    # --- files: upload, to attach below
    path = tmp_path / "receipt.txt"
    path.write_bytes(b"receipt body \xe2\x82\xac")
    upload = ok(bob.upload_file(str(path)))
    assert upload.guid and len(upload.md5_hash) == 32

    # --- create a form task with values of several types
    created = ok(
        bob.create_task(
            requests.CreateTaskRequest(
                form_id=FORM_ID,
                fields=[
                    entities.FormField(id=1, value=item),
                    entities.FormField(id=2, value=1234.5),
                    entities.FormField(id=4, type="date", value=datetime(2026, 12, 24)),
                    {"id": 5, "value": "09:30"},
                    {"id": 6, "value": "checked"},
                    {"id": 7, "value": {"choice_ids": [1]}},
                    {"id": 8, "value": {"item_ids": [1]}},
                    {"id": 9, "value": {"email": CAROL["email"]}},
                    {"name": "Contact e-mail", "value": "bob@example.test"},
                    {"id": 15, "value": [{"row_id": 0, "cells": [{"id": 16, "value": "Mouse"}]}]},
                ],
                attachments=[upload.guid],
            )
        )
    )
    task_id = created.task.id
    assert created.task.form_id == FORM_ID and created.task.current_step == 1

    # --- read it back (as Bob, the author)
    task = ok(bob.get_task(task_id)).task
    assert field(task, 1).value == item
    assert field(task, 2).value == 1234.5
    assert field(task, 4).value == datetime(2026, 12, 24, tzinfo=UTC)
    assert field(task, 5).value.strftime("%H:%M") == "09:30"
    assert field(task, 6).value == "checked"
    assert field(task, 7).value.choice_ids == [1]
    assert field(task, 8).value.item_ids == [1]
    assert field(task, 8).value.values == ["CC1", "Marketing"]
    assert field(task, 9).value.id == CAROL["id"]
    assert field(task, 10).value == "bob@example.test"
    table = field(task, 15).value
    assert [c.value for c in table[0].cells if c.id == 16] == ["Mouse"]
    assert [a.name for a in task.attachments] == ["receipt.txt"]
    assert task.comments and task.comments[0].author.id == BOB["id"]
    assert [a.person.id for a in task.approvals[0]] == [ALICE["id"]]

    # --- download the attachment by the files host path
    download = ok(bob.download_file(task.attachments[0].id))
    assert download.raw_file == path.read_bytes()
    assert download.filename == "receipt.txt"

    # --- comment with field updates of several types and an approval (Alice, step 1)
    commented = ok(
        alice.comment_task(
            task_id,
            requests.TaskCommentRequest(
                text="Looks fine",
                approval_choice="approved",
                field_updates=[
                    {"id": 3, "value": 2.25},
                    {"id": 7, "value": {"choice_ids": [2]}},
                    {"id": 8, "value": {"item_name": "CC2"}},
                    {"id": 11, "value": "+1 555 0100"},
                    entities.FormField(id=12, type="due_date", value=datetime(2027, 1, 15)),
                    {"id": 13, "value": {"fields": [{"id": 14, "value": "Initech"}]}},
                ],
            ),
        )
    )
    after = commented.task
    newest = after.comments[-1]
    assert newest.text == "Looks fine" and newest.approval_choice == "approved"
    assert newest.author.id == ALICE["id"]
    assert after.current_step == 2 and newest.changed_step == 2
    assert field(after, 3).value == 2.25
    assert field(after, 7).value.choice_ids == [2]
    assert field(after, 8).value.values == ["CC2", "Sales"]
    assert field(after, 11).value == "+1 555 0100"
    assert field(after, 12).value == datetime(2027, 1, 15, tzinfo=UTC)
    assert [f.value for f in field(after, 13).value.fields if f.id == 14] == ["Initech"]

    # --- the bot (approver of step 2) sees the task and approves it
    seen_by_bot = ok(bot.get_task(task_id)).task
    assert seen_by_bot.id == task_id and seen_by_bot.current_step == 2
    approved = ok(
        bot.comment_task(
            task_id,
            requests.TaskCommentRequest(
                text="Checked", approval_choice="approved", field_updates=[{"id": 20, "value": 99}]
            ),
        )
    ).task
    assert approved.current_step == 3 and approved.comments[-1].author.id == BOT_ID
    assert field(approved, 20).value == 99

    # --- the register with filters, JSON and CSV
    register = ok(
        alice.get_registry(
            FORM_ID,
            requests.FormRegisterRequest(
                steps=[3],
                filters=[entities.EqualsFilter(1, item)],
                field_ids=[1, 2],
                include_archived=True,
            ),
        )
    )
    assert [t.id for t in register.tasks] == [task_id]
    assert sorted(f.id for f in register.tasks[0].fields) == [1, 2]
    nothing = ok(
        alice.get_registry(
            FORM_ID, requests.FormRegisterRequest(filters=[entities.EqualsFilter(1, item + "x")])
        )
    )
    assert not nothing.tasks
    everything = ok(alice.get_registry(FORM_ID))
    assert task_id in [t.id for t in everything.tasks]
    csv = ok(alice.get_registry(FORM_ID, requests.FormRegisterRequest(format="csv")))
    assert str(task_id) in csv.csv

    # --- catalogs: create, sync, diff, read with filters
    catalog = ok(
        alice.create_catalog(
            requests.CreateCatalogRequest(
                name=f"Vendors {item}",
                catalog_headers=["Vendor", "Country"],
                items=[["Initech", "US"], ["Globex", "US"]],
            )
        )
    )
    assert [h.name for h in catalog.catalog_headers] == ["Vendor", "Country"]
    assert sorted(i.values[0] for i in catalog.items) == ["Globex", "Initech"]
    synced = ok(
        alice.sync_catalog(
            catalog.catalog_id,
            requests.SyncCatalogRequest(
                apply=True,
                catalog_headers=["Vendor", "Country"],
                items=[["Initech", "DE"], ["Umbrella", "UK"]],
            ),
        )
    )
    assert [i.values for i in synced.added] == [["Umbrella", "UK"]]
    assert [i.values for i in synced.updated] == [["Initech", "DE"]]
    assert [i.values[0] for i in synced.deleted] == ["Globex"]
    diffed = ok(
        alice.update_catalog_items(
            catalog.catalog_id,
            requests.UpdateCatalogItemsRequest(upsert=[["Hooli", "US"]], delete=["Umbrella"]),
        )
    )
    assert [i.values for i in diffed.added] == [["Hooli", "US"]]
    read = ok(alice.get_catalog(catalog.catalog_id))
    assert sorted(i.values for i in read.items) == [["Hooli", "US"], ["Initech", "DE"]]
    from pyrus.models.catalog_item_filters import CatalogItemFilter, CatalogItemFilters

    filtered = ok(
        alice.get_catalog(
            catalog.catalog_id, CatalogItemFilters([CatalogItemFilter("Country", "US")])
        )
    )
    assert [i.values for i in filtered.items] == [["Hooli", "US"]]
    assert ok(bot.get_catalog(CATALOG_ID)).catalog_id == CATALOG_ID

    # --- people
    contacts = ok(bob.get_contacts())
    people = {p.id: p for p in contacts.organizations[0].persons}
    assert people[ALICE["id"]].email == ALICE["email"]
    assert people[BOT_ID].type == "bot"
    members = ok(bob.get_members())
    assert {m.id for m in members.members} >= {ALICE["id"], BOB["id"], CAROL["id"]}
    assert ok(bob.get_member(CAROL["id"])).email == CAROL["email"]
    roles = ok(bob.get_roles())
    assert [r.name for r in roles.roles] == ["Managers"]

    # --- profile: a person, and a bot token describes the bot
    profile = ok(bob.get_profile())
    assert profile.person_id == BOB["id"] and profile.email == BOB["email"]
    assert profile.organization.name == "Acme"
    bot_profile = ok(bot.get_profile())
    assert bot_profile.person_id == BOT_ID and bot_profile.email == BOT_LOGIN

    # --- inbox: the task waits on Carol now, not on Alice
    carol = client_for(server, CAROL["email"], CAROL["key"])
    assert task_id in [t.id for t in ok(carol.get_inbox()).tasks]
    assert task_id not in [t.id for t in ok(alice.get_inbox()).tasks or []]

    # --- lists: the collection is present even when Alice sees none
    assert ok(alice.get_lists()).lists is not None


def test_bot_with_webhook_token_only(shared_server: RunningServer) -> None:
    server = shared_server
    """A bot that only has the webhook's access_token (no login) uses it directly."""
    token = server.token(BOT_LOGIN, BOT_KEY)
    bot = client_for(server, None, None, access_token=token)
    assert ok(bot.get_profile()).person_id == BOT_ID
    assert FORM_ID in [f.id for f in ok(bot.get_forms()).forms]


def test_expired_token_makes_the_client_log_in_again(shared_server: RunningServer) -> None:
    alice = client_for(shared_server, ALICE["email"], ALICE["key"])
    ok(alice.auth())
    first = alice.access_token
    shift = shared_server.settings.token_ttl + 60
    shared_server.clock.advance(shift)
    try:
        assert ok(alice.get_profile()).person_id == ALICE["id"]
        assert alice.access_token != first
    finally:
        shared_server.clock.advance(-shift)
