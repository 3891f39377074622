"""The UI's task forms as API requests: field inputs of every type, a task's values as its edit
form, and a submitted form as ``fields`` / ``field_updates`` / a whole comment request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pyrus_bots.protocol.models.requests import parse_comment_request, parse_create_task_request
from pyrus_bots.server.admin.ui_comment_form import CommentInputError, comment_body
from pyrus_bots.server.admin.ui_fields import (
    NEW_TABLE_ROWS,
    FieldInputError,
    TableRow,
    field_inputs,
    field_values,
    task_inputs,
)
from pyrus_bots.server.workflow.state import (
    Approval,
    Catalog,
    CatalogItem,
    ChoiceOption,
    Directory,
    FieldDef,
    FormDef,
    Person,
    StepDef,
    TaskState,
)


def _directory() -> Directory:
    form = FormDef(
        id=400,
        name="Purchase",
        fields=[
            FieldDef(id=1, type="text", name="Item"),
            FieldDef(id=2, type="money", name="Amount", immutable_step=2),
            FieldDef(
                id=3,
                type="multiple_choice",
                name="Tags",
                multiple_choice=True,
                options=[
                    ChoiceOption(1, "Office"),
                    ChoiceOption(2, "IT"),
                    ChoiceOption(3, "Old", True),
                ],
            ),
            FieldDef(id=4, type="catalog", name="Cost center", catalog_id=9),
            FieldDef(id=5, type="title", name="Delivery"),
            FieldDef(id=6, type="due_date_time", name="Deliver by", parent_id=5),
            FieldDef(id=7, type="checkmark", name="Urgent", parent_id=5),
            FieldDef(id=8, type="table", name="Lines"),
            FieldDef(id=9, type="text", name="What", parent_id=8),
            FieldDef(id=10, type="number", name="Qty", parent_id=8),
            FieldDef(id=11, type="form_link", name="Related"),
            FieldDef(id=12, type="file", name="Quote"),
            FieldDef(id=13, type="step", name="Step"),
            FieldDef(id=14, type="person", name="Buyer", required_step=1),
        ],
        steps=[StepDef(1, "Check", [1002]), StepDef(2, "Approve", [1002])],
    )
    return Directory(
        organization_id=1,
        organization_name="Acme",
        people={
            1002: Person(1002, "mark@acme.test", "Mark", "Manager"),
            1003: Person(1003, "old@acme.test", "Old", "Timer", fired=True),
        },
        forms={400: form},
        catalogs={9: Catalog(9, "CC", ["Code"], items=[CatalogItem(70, ["C70"])])},
    )


def test_inputs_cover_every_writable_field_type() -> None:
    directory = _directory()
    inputs = field_inputs(directory.forms[400], directory, step=2)
    kinds = {i["name"]: i["input"] for i in inputs}
    assert kinds == {
        "Item": "text",
        "Amount": "number",
        "Tags": "select",
        "Cost center": "select",
        "Delivery": "title",
        "Deliver by": "datetime-local",
        "Urgent": "checkbox",
        "Lines": "table",
        "Related": "text",
        "Quote": "file",
        "Buyer": "select",
    }
    by_name = {i["name"]: i for i in inputs}
    assert by_name["Tags"]["multiple"] and by_name["Tags"]["options"] == [
        ("1", "Office"),
        ("2", "IT"),
    ]
    assert by_name["Amount"]["locked"] and not by_name["Item"]["locked"]
    assert by_name["Buyer"]["required"] and by_name["Buyer"]["options"] == [
        ("1002", "Mark Manager (mark@acme.test)")
    ]
    assert by_name["Deliver by"]["nested"]
    lines = by_name["Lines"]
    assert [c["name"] for c in lines["columns"]] == ["What", "Qty"]
    assert [r.key for r in lines["rows"]] == [f"n{k}" for k in range(NEW_TABLE_ROWS)]
    stored = field_inputs(directory.forms[400], directory, table_rows={8: [TableRow("r4", 4)]})
    assert [r.key for r in next(i for i in stored if i["id"] == 8)["rows"]] == ["r4", "n0", "n1"]


def test_a_new_task_form_becomes_the_api_fields() -> None:
    directory = _directory()
    submitted = {
        "f1": ["Chairs"],
        "f2": ["1 250.50"],
        "f3": ["1", "2"],
        "f4": ["70"],
        "f6": ["2026-03-01T10:30"],
        "f6.duration": ["90"],
        "f7": ["checked"],
        "f9@n0": ["Chair"],
        "f10@n0": ["4"],
        "f9@n1": [""],
        "f10@n1": [""],
        "f11": ["12, 13"],
        "f14": ["1002"],
    }
    fields = field_values(directory.forms[400], directory, submitted)
    assert fields == [
        {"id": 1, "value": "Chairs"},
        {"id": 2, "value": 1250.5},
        {"id": 3, "value": {"choice_ids": [1, 2]}},
        {"id": 4, "value": {"item_ids": [70]}},
        {"id": 6, "value": "2026-03-01T10:30:00Z", "duration": 90},
        {"id": 7, "value": "checked"},
        {"id": 8, "value": [{"cells": [{"id": 9, "value": "Chair"}, {"id": 10, "value": 4}]}]},
        {"id": 11, "value": {"task_ids": [12, 13]}},
        {"id": 14, "value": {"id": 1002}},
    ]
    # The API's own request model takes it as it is.
    assert parse_create_task_request({"form_id": 400, "fields": fields}).form_id == 400


@pytest.mark.parametrize(
    ("name", "value", "field_id"),
    [("f2", "lots", 2), ("f3", "x", 3), ("f11", "12,abc", 11), ("f6.duration", "1h", 6)],
)
def test_a_bad_value_names_its_field(name: str, value: str, field_id: int) -> None:
    directory = _directory()
    submitted = {name: [value]}
    if name == "f6.duration":
        submitted["f6"] = ["2026-03-01T10:30"]
    with pytest.raises(FieldInputError) as refused:
        field_values(directory.forms[400], directory, submitted)
    assert refused.value.field_id == field_id


RENDERED: dict[str, Any] = {
    "fields": [
        {"id": 1, "type": "text", "value": "Chairs"},
        {"id": 2, "type": "money", "value": 100.0},
        {"id": 3, "type": "multiple_choice", "value": {"choice_ids": [2], "choice_names": ["IT"]}},
        {
            "id": 5,
            "type": "title",
            "value": {
                "fields": [
                    {"id": 7, "type": "checkmark", "value": "checked"},
                    {"id": 6, "type": "due_date_time", "value": "2026-03-01T10:30:00Z"},
                ]
            },
        },
        {
            "id": 8,
            "type": "table",
            "value": [
                {
                    "row_id": 0,
                    "cells": [
                        {"id": 9, "type": "text", "value": "Desk"},
                        {"id": 10, "type": "number", "value": 1},
                    ],
                },
                {
                    "row_id": 1,
                    "cells": [
                        {"id": 9, "type": "text", "value": "Lamp"},
                        {"id": 10, "type": "number", "value": 2},
                    ],
                },
            ],
        },
        {"id": 11, "type": "form_link", "value": {"task_ids": [12]}},
        {"id": 14, "type": "person", "value": {"id": 1002, "first_name": "Mark"}},
    ]
}


def test_a_task_is_drawn_as_its_edit_form() -> None:
    values, rows = task_inputs(RENDERED)
    assert values == {
        "f1": ["Chairs"],
        "f2": ["100"],
        "f3": ["2"],
        "f7": ["checked"],
        "f6": ["2026-03-01T10:30"],
        "f9@r0": ["Desk"],
        "f10@r0": ["1"],
        "f9@r1": ["Lamp"],
        "f10@r1": ["2"],
        "f11": ["12"],
        "f14": ["1002"],
    }
    assert rows == {8: [TableRow("r0", 0), TableRow("r1", 1)]}


def test_an_edit_sends_only_what_changed() -> None:
    directory = _directory()
    drawn, _ = task_inputs(RENDERED)
    unchanged = field_values(directory.forms[400], directory, drawn, previous=drawn, step=1)
    assert unchanged == []
    edited = {
        **drawn,
        "f1": ["Chairs and desks"],
        "f3": [],  # all tags unticked: cleared
        "f7": [],  # the box unticked: "unchecked"
        "f10@r0": ["3"],
        "del8@r1": ["1"],
        "f9@n0": ["Shelf"],
    }
    updates = field_values(directory.forms[400], directory, edited, previous=drawn, step=1)
    assert updates == [
        {"id": 1, "value": "Chairs and desks"},
        {"id": 3, "value": None},
        {"id": 7, "value": "unchecked"},
        {
            "id": 8,
            "value": [
                {"cells": [{"id": 9, "value": "Shelf"}]},
                {"row_id": 0, "cells": [{"id": 10, "value": 3}]},
                {"row_id": 1, "delete": True},
            ],
        },
    ]
    # A field read-only on the task's step is never sent, whatever the form says.
    locked = field_values(
        directory.forms[400], directory, {**drawn, "f2": ["5"]}, previous=drawn, step=2
    )
    assert locked == []


def _task() -> TaskState:
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    return TaskState(
        id=77,
        create_date=moment,
        last_modified_date=moment,
        form_id=400,
        author_id=1002,
        current_step=2,
        approvals=[[Approval(1002, "approved")], [Approval(1002, "waiting")]],
    )


def test_the_task_form_is_one_comment_request() -> None:
    directory = _directory()
    drawn, _ = task_inputs(RENDERED)
    was = {f"was:{k}": v for k, v in drawn.items()}
    submitted = {
        **was,
        **drawn,
        "f1": ["Chairs and desks"],
        "text": ["  Looks fine "],
        "approval_choice": ["rejected"],
        "approval_step": ["1"],
        "reassign_to": ["1002"],
        "participants_added": ["1002"],
        "subscribers_removed": ["1003"],
        "due": ["2026-04-01T09:00"],
        "duration": ["30"],
        "action": ["finished"],
    }
    body = comment_body(submitted, directory, _task(), directory.forms[400])
    assert body == {
        "text": "Looks fine",
        "approval_choice": "rejected",
        "approval_steps": [1],
        "action": "finished",
        "reassign_to": {"id": 1002},
        "participants_added": [{"id": 1002}],
        "subscribers_removed": [{"id": 1003}],
        "due": "2026-04-01T09:00:00Z",
        "duration": 30,
        "field_updates": [{"id": 1, "value": "Chairs and desks"}],
    }
    assert parse_comment_request(body).approval_steps == [1]
    # An approval on the current step is a plain approval; nothing asked is an empty body.
    current = comment_body(
        {"approval_choice": ["approved"], "approval_step": ["2"]}, directory, _task(), None
    )
    assert current == {"approval_choice": "approved"}
    assert comment_body({**was, **drawn}, directory, _task(), directory.forms[400]) == {}


@pytest.mark.parametrize(
    "submitted",
    [
        {"approval_choice": ["maybe"]},
        {"action": ["deleted"]},
        {"reassign_to": ["Mark"]},
        {"due_date": ["2026-04-01"], "due": ["2026-04-01T09:00"]},
        {"duration": ["30"]},
    ],
)
def test_a_comment_form_asking_the_impossible_is_refused(submitted: dict[str, list[str]]) -> None:
    directory = _directory()
    with pytest.raises(CommentInputError):
        comment_body(submitted, directory, _task(), None)


def test_date_times_are_typed_and_shown_in_the_viewers_zone() -> None:
    directory = _directory()
    berlin = ZoneInfo("Europe/Berlin")
    fields = field_values(
        directory.forms[400], directory, {"f6": ["2026-07-01T10:30"]}, zone=berlin
    )
    assert fields == [{"id": 6, "value": "2026-07-01T08:30:00Z"}]  # summer time: UTC+2
    drawn, _ = task_inputs(
        {"fields": [{"id": 6, "type": "due_date_time", "value": "2026-01-10T08:30:00Z"}]}, berlin
    )
    assert drawn == {"f6": ["2026-01-10T09:30"]}  # winter time: UTC+1
    body = comment_body({"due": ["2026-01-10T09:30"]}, directory, _task(), None, berlin)
    assert body == {"due": "2026-01-10T08:30:00Z"}
    with pytest.raises(FieldInputError):
        field_values(directory.forms[400], directory, {"f6": ["soon"]}, zone=berlin)
