"""Rendering: Pyrus JSON shapes, checked against the official ``pyrus-api`` client's parser."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from pyrus import PyrusAPI
from pyrus.models import entities, requests, responses

from pyrus_bots.protocol import pyrus_json
from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.workflow.render import (
    render_catalog,
    render_catalog_info,
    render_file,
    render_form,
    render_person,
    render_role,
    render_task,
)
from pyrus_bots.server.workflow.state import Directory

from .conftest import ALICE, BOB, BOT, CATALOG, FORM, ROLE, T0, Flow

EVERY_VALUE: list[dict[str, Any]] = [
    {"id": 1, "value": "Laptop"},
    {"id": 2, "value": 1365.27},
    {"id": 3, "value": 2},
    {"id": 4, "value": "2026-04-01"},
    {"id": 5, "value": "09:30"},
    {"id": 6, "value": "checked"},
    {"id": 7, "value": {"choice_id": 1}},
    {"id": 8, "value": {"choice_ids": [11, 12]}},
    {"id": 9, "value": "2026-04-02", "duration": 60},
    {"id": 10, "value": "buyer@acme.test"},
    {"id": 11, "value": "+1 555"},
    {"id": 12, "value": "checked"},
    {"id": 17, "value": {"item_id": 1}},
    {"id": 18, "value": {"item_ids": [1, 2]}},
    {"id": 19, "value": ["G-1"]},
    {"id": 20, "value": {"id": BOB}},
    {"id": 22, "value": [{"cells": [{"id": 23, "value": "Mouse"}, {"id": 24, "value": 20}]}]},
    {"id": 25, "value": {"checkmark": "checked", "fields": [{"id": 26, "value": "Main"}]}},
    {"id": 27, "value": "2026-05-01"},
    {"id": 29, "value": {"task_ids": [3]}},
    {"id": 30, "value": "2026-04-01T10:00:00Z"},
    {"id": 31, "value": "ok"},
]


def no_nulls(obj: Any) -> None:
    if isinstance(obj, dict):
        for key, value in obj.items():
            assert value is not None and value != [] and value != {} and value != "", key
            no_nulls(value)
    elif isinstance(obj, list):
        for item in obj:
            no_nulls(item)


def test_task_with_every_value_parses_with_the_official_client(flow: Flow) -> None:
    flow.comment(BOT, text="filled", field_updates=EVERY_VALUE, attachments=["G-2"])
    flow.comment(BOT, approval_choice="approved")
    rendered = render_task(flow.directory, flow.task, flow.comments, files_url="http://f/")
    no_nulls(rendered)
    # Webhooks write the rendered task without a second cleaning walk: the same bytes.
    assert pyrus_json.dumps_clean(rendered) == pyrus_json.dumps(rendered)
    task = responses.TaskResponse(task=rendered).task
    assert task.id == 7 and task.form_id == FORM and task.current_step == 2
    by_id = {f.id: f for f in task.flat_fields}
    assert by_id[1].value == "Laptop"
    assert by_id[2].value == 1365.27
    assert by_id[9].value.date().isoformat() == "2026-04-02"
    assert by_id[17].value.item_ids == [1]
    assert by_id[20].value.email == "bob@acme.test"
    assert by_id[22].value[0].cells[0].value == "Mouse"
    assert by_id[26].value == "Main"
    assert by_id[15].value.date() == T0.date()
    assert task.comments[-1].approval_choice == "approved"
    assert task.comments[-1].changed_step == 2
    assert task.attachments[0].url == "http://f/services/attachment?Id=502"
    assert [s.name for s in task.steps] == ["Automatic check", "Manager", "Finance"]


def test_task_header_keys(flow: Flow) -> None:
    rendered = render_task(flow.directory, flow.task, flow.comments)
    assert rendered["text"] == "Purchase request"
    assert rendered["create_date"] == "2026-03-01T09:00:00Z"
    assert rendered["is_closed"] is False
    assert rendered["approvals"][0] == [
        {
            "person": render_person(flow.directory.people[BOT]),
            "approval_choice": "waiting",
            "step": 1,
        }
    ]
    assert "close_date" not in rendered and "responsible" not in rendered
    assert rendered["comments"][0]["author"]["id"] == ALICE


def test_steps_elapsed_time(flow: Flow) -> None:
    flow.comment(BOT, approval_choice="approved")  # at T0 + 5 min
    later = flow.clock + timedelta(seconds=90)
    steps = render_task(flow.directory, flow.task, [], now=later)["steps"]
    assert steps[0] == {"step": 1, "name": "Automatic check", "elapsed_time": 300_000}
    assert steps[1]["elapsed_time"] == 90_000
    assert "elapsed_time" not in steps[2]


def test_render_form(directory: Directory) -> None:
    form = render_form(directory, directory.forms[FORM])
    assert form["steps"] == {"1": "Automatic check", "2": "Manager", "3": "Finance"}
    fields = {f["id"]: f for f in form["fields"]}
    assert 23 not in fields and 26 not in fields  # nested fields sit in their parent's info
    assert fields[1]["code"] == "u_item" and fields[1]["info"]["code"] == "u_item"
    assert fields[1]["info"]["required_step"] == 2
    assert fields[7]["info"]["options"][0] == {"choice_id": 1, "choice_value": "New"}
    assert fields[7]["info"]["options"][2]["deleted"] is True
    assert fields[17]["info"]["catalog_id"] == CATALOG
    assert fields[18]["info"]["multiple_choice"] is True
    assert [c["id"] for c in fields[22]["info"]["columns"]] == [23, 24]
    assert [c["id"] for c in fields[25]["info"]["fields"]] == [26, 27]
    assert fields[3]["info"]["decimal_places"] == 2
    parsed = responses.FormResponse(**form)
    assert parsed.id == FORM and len(parsed.fields) == len(form["fields"])


def test_render_catalog_and_filters(directory: Directory) -> None:
    catalog = directory.catalogs[CATALOG]
    full = render_catalog(catalog)
    assert full["catalog_headers"] == [
        {"name": "Code", "type": "text"},
        {"name": "Name", "type": "text"},
    ]
    assert [i["item_id"] for i in full["items"]] == [1, 2]
    assert full["source_type"] == "default" and full["version"] == 1
    assert [i["item_id"] for i in render_catalog(catalog, include_deleted=True)["items"]] == [
        1,
        2,
        3,
    ]
    assert [
        i["item_id"] for i in render_catalog(catalog, filters=[("name", "sales")])["items"]
    ] == [2]
    wild = render_catalog(catalog, filters=[("Code", "CC*")], use_wildcard=True)
    assert len(wild["items"]) == 2
    with pytest.raises(PyrusError) as caught:
        render_catalog(catalog, filters=[("Nope", "x")])
    assert caught.value.code == "catalog_column_not_found"
    assert render_catalog_info(catalog) == {
        "catalog_id": CATALOG,
        "name": "Cost centers",
        "version": 1,
        "deleted": False,
        "source_type": "default",
    }
    parsed = responses.CatalogResponse(**full)
    assert [i.item_id for i in parsed.items] == [1, 2]


def test_render_person_role_file(directory: Directory) -> None:
    bot = render_person(directory.people[BOT])
    assert bot == {
        "id": BOT,
        "first_name": "Approver",
        "email": "bot@892ccfa1c8360e2e8309",
        "type": "bot",
    }
    assert entities.Person(**bot).type == "bot"
    assert render_role(directory.roles[ROLE]) == {
        "id": ROLE,
        "name": "Managers",
        "banned": False,
        "member_ids": [1003],
    }
    assert render_file(directory.files_by_id[501]) == {
        "id": 501,
        "name": "quote.pdf",
        "size": 10,
        "md5": "aa",
        "version": 1,
    }


def test_official_client_echo_changes_nothing(flow: Flow) -> None:
    """A bot reads the task with the official client and sends every field back unchanged."""
    flow.comment(BOT, field_updates=EVERY_VALUE)
    before = dict(flow.task.fields)
    task = responses.TaskResponse(task=render_task(flow.directory, flow.task, [])).task
    request = requests.TaskCommentRequest(text="echo", field_updates=task.fields)
    body = json.loads(PyrusAPI().serialize_request(request))
    assert {"id": 13, "name": "Step"} in body["field_updates"]  # read-only: sent without value
    flow.comment(ALICE, **body)
    assert flow.task.fields == before
