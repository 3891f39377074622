"""FormField.typed_value: every field type turns into its Python value."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from pyrus_bots.protocol import (
    CatalogValue,
    DueDateValue,
    File,
    FormField,
    FormLinkValue,
    MultipleChoiceValue,
    Person,
    ProjectValue,
    TableRow,
    TitleValue,
    WebhookPayload,
    pyrus_json,
)
from pyrus_bots.protocol.field_values import READ_ONLY_TYPES, WRITE_RULES
from pyrus_bots.protocol.models.fields import written_value


@pytest.fixture
def payload(fixture_json: Callable[[str], Any]) -> WebhookPayload:
    return WebhookPayload.from_pyrus(fixture_json("webhook_form_task.json"))


def value_of(payload: WebhookPayload, key: int | str) -> Any:
    field = payload.task.field(key)
    assert field is not None, key
    return field.typed_value()


def test_scalar_types(payload: WebhookPayload) -> None:
    assert value_of(payload, "u_item") == "Laser printer"
    assert value_of(payload, "u_amount") == 1365.27
    quantity = value_of(payload, "u_qty")
    assert quantity == 3
    assert isinstance(quantity, int)
    assert value_of(payload, "u_needed") == date(2024, 2, 1)
    assert value_of(payload, "u_delivery_time") == time(14, 30)
    assert value_of(payload, "u_urgent") == "checked"
    assert value_of(payload, "u_due") == date(2024, 2, 10)
    assert value_of(payload, "u_vendor_email") == "sales@vendor.test"
    assert value_of(payload, "u_vendor_phone") == "+1 555 0100"
    assert value_of(payload, "u_budgeted") == "unchecked"
    assert value_of(payload, "Step") == 2
    assert value_of(payload, "Status") == "open"
    assert value_of(payload, "Created") == date(2024, 1, 10)
    assert value_of(payload, "Hint") == "Attach the vendor quote"
    deadline = value_of(payload, "u_deadline")
    assert deadline == datetime(2024, 2, 11, 17, 0, tzinfo=UTC)
    assert deadline.utcoffset().total_seconds() == 0


def test_composite_types(payload: WebhookPayload) -> None:
    kind = value_of(payload, "u_kind")
    assert isinstance(kind, MultipleChoiceValue)
    assert kind.choice_names == ["Hardware"]
    assert kind.selected_ids() == [2]
    assert [f.typed_value() for f in kind.fields] == ["SN-42"]

    cost_center = value_of(payload, "u_cc")
    assert isinstance(cost_center, CatalogValue)
    assert cost_center.selected_ids() == [7001]
    assert cost_center.row_dicts() == [{"Code": "CC1", "Name": "Marketing"}]

    files = value_of(payload, "u_quote")
    assert [type(f) for f in files] == [File, File]
    assert files[1].root_id == 8990
    assert files[0].version == 0

    manager = value_of(payload, "u_manager")
    assert isinstance(manager, Person)
    assert manager.email == "carol@acme.test"
    author = value_of(payload, "Requester")
    assert isinstance(author, Person)
    assert author.full_name == "Bob Stone"

    rows = value_of(payload, "u_lines")
    assert all(isinstance(row, TableRow) for row in rows)
    assert [row.row_id for row in rows] == [0, 1, 2]
    assert rows[2].deleted is True
    assert rows[1].cells[1].typed_value() == 65.27

    delivery = value_of(payload, "u_delivery")
    assert isinstance(delivery, TitleValue)
    assert delivery.checkmark == "checked"
    assert [f.code for f in delivery.fields] == ["u_address", "u_delivery_date"]

    project = value_of(payload, "Project")
    assert isinstance(project, ProjectValue)
    assert project.projects[0].parent is not None
    assert project.projects[0].parent.name == "Facilities"

    budget = value_of(payload, "u_budget")
    assert isinstance(budget, FormLinkValue)
    assert budget.task_ids == [5555]
    assert budget.subject == "Budget 2024"


def test_due_dates_carry_their_duration(payload: WebhookPayload) -> None:
    due = payload.task.field("u_due")
    assert due is not None
    assert due.due_value() == DueDateValue(due_date=date(2024, 2, 10), duration=140)
    deadline = payload.task.field("u_deadline")
    assert deadline is not None
    assert deadline.due_value() == DueDateValue(
        due=datetime(2024, 2, 11, 17, tzinfo=UTC), duration=60
    )


def test_empty_field_has_no_value(payload: WebhookPayload) -> None:
    field = payload.task.field("u_accounting_note")
    assert field is not None
    assert field.typed_value() is None
    assert field.due_value() is None


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ({"type": "creation_date", "value": "2024-01-10T23:30:00Z"}, date(2024, 1, 10)),
        ({"type": "creation_date", "value": "2024-01-10T23:30:00-02:00"}, date(2024, 1, 11)),
        ({"type": "number", "value": 0}, 0),
        ({"type": "number", "value": "12.5"}, 12.5),
        ({"type": "money", "value": -3}, -3),
        ({"type": "time", "value": "00:00"}, time(0, 0)),
        ({"type": "step", "value": 4}, 4),
        (
            {"type": "due_date_time", "value": "2024-01-10T12:00:00+03:00"},
            datetime(2024, 1, 10, 9, tzinfo=UTC),
        ),
        ({"value": "no type"}, "no type"),
    ],
)
def test_typed_value_edge_cases(field: dict[str, Any], expected: Any) -> None:
    assert FormField.from_pyrus({"id": 1, **field}).typed_value() == expected


@pytest.mark.parametrize(
    "field",
    [
        {"type": "date", "value": "10.01.2024"},
        {"type": "time", "value": "noon"},
        {"type": "number", "value": True},
        {"type": "number", "value": "many"},
        {"type": "text", "value": 5},
        {"type": "person", "value": "bob"},
        {"type": "table", "value": [{"row_id": "first"}]},
    ],
)
def test_typed_value_rejects_values_of_the_wrong_shape(field: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        FormField.from_pyrus({"id": 1, **field}).typed_value()


def test_values_already_typed_pass_through() -> None:
    moment = datetime(2024, 1, 10, 23, 30, tzinfo=UTC)
    assert FormField(type="date", value=date(2024, 1, 2)).typed_value() == date(2024, 1, 2)
    assert FormField(type="time", value=time(9, 5)).typed_value() == time(9, 5)
    assert FormField(type="due_date_time", value=moment).typed_value() is moment
    assert FormField(type="creation_date", value=moment).typed_value() == date(2024, 1, 10)
    person = Person(id=1)
    assert FormField(type="person", value=person).typed_value() is person
    due = FormField(type="due_date", value=date(2024, 1, 2), duration=15).due_value()
    assert due == DueDateValue(due_date=date(2024, 1, 2), duration=15)


def test_every_typed_value_has_a_write_form_the_wire_rules_accept(payload: WebhookPayload) -> None:
    """Reading (``typed_value``) and writing (``field_values``) describe the same values: what
    is read, turned into its write form (``written_value``), is a valid write of its type."""
    checked = set()
    for field in payload.task.fields_flat():
        kind = str(field.type)
        if field.value is None or kind in READ_ONLY_TYPES:
            continue
        written = written_value(field.typed_value())
        if kind in ("date", "due_date", "due_date_time", "time"):
            written = pyrus_json.to_jsonable(written)
        WRITE_RULES[kind](written)
        checked.add(kind)
    assert checked == set(WRITE_RULES)
