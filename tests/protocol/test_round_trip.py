"""Fixtures survive from_pyrus -> to_pyrus unchanged (modulo empty keys)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
import pytest

from pyrus_bots.protocol import (
    Catalog,
    CommentRequest,
    FieldType,
    FormField,
    FormTemplate,
    Person,
    PyrusModel,
    TaskResponse,
    TitleValue,
    WebhookPayload,
    pyrus_json,
)

CASES: list[tuple[str, type[PyrusModel]]] = [
    ("webhook_form_task.json", WebhookPayload),
    ("form_template.json", FormTemplate),
    ("catalog.json", Catalog),
    ("comment_request.json", CommentRequest),
]


@pytest.mark.parametrize(("name", "model"), CASES)
def test_round_trip(name: str, model: type[PyrusModel], fixture_json: Callable[[str], Any]) -> None:
    data = fixture_json(name)
    built = model.from_pyrus(data)
    assert built.to_pyrus() == pyrus_json.omit_empty(data)
    # Through bytes as well: what goes on the wire is what came in.
    assert orjson.loads(pyrus_json.dumps(built)) == pyrus_json.omit_empty(data)


def test_fixture_covers_every_field_type(fixture_json: Callable[[str], Any]) -> None:
    payload = WebhookPayload.from_pyrus(fixture_json("webhook_form_task.json"))
    types = {field.type for field in payload.task.fields_flat() if field.value is not None}
    assert types >= set(FieldType)
    assert len(FieldType) == 24


def test_unknown_keys_are_kept(fixture_json: Callable[[str], Any]) -> None:
    data = fixture_json("webhook_form_task.json")
    data["task"]["brand_new_key"] = {"nested": [1, 2]}
    data["task"]["fields"][0]["visibility_condition"] = {"rule": "x"}
    data["task"]["fields"].append({"id": 99, "type": "hologram", "name": "Future", "value": [1]})
    payload = WebhookPayload.from_pyrus(data)
    assert payload.to_pyrus() == pyrus_json.omit_empty(data)
    future = payload.task.field(99)
    assert future is not None
    assert future.type == "hologram"
    assert future.field_type is None
    assert future.typed_value() == [1]


def test_empty_values_from_the_wire_are_dropped_on_the_way_out() -> None:
    response = TaskResponse.from_pyrus(
        {"task": {"id": 1, "text": "", "close_date": None, "fields": [], "author": None}}
    )
    assert response.to_pyrus() == {"task": {"id": 1}}


def test_datetimes_with_offsets_are_written_in_utc() -> None:
    response = TaskResponse.from_pyrus(
        {"task": {"id": 1, "create_date": "2024-01-10T12:00:00.5+03:00", "due_date": "2024-01-11"}}
    )
    assert response.to_pyrus()["task"] == {
        "id": 1,
        "create_date": "2024-01-10T09:00:00Z",
        "due_date": "2024-01-11",
    }


@pytest.mark.parametrize(("name", "model"), CASES)
def test_from_json_equals_from_pyrus(
    name: str, model: type[PyrusModel], fixture_json: Callable[[str], Any]
) -> None:
    data = fixture_json(name)
    from_bytes = model.from_json(orjson.dumps(data))
    assert from_bytes == model.from_pyrus(data)
    assert orjson.loads(from_bytes.to_json()) == pyrus_json.omit_empty(data)


def test_from_json_keeps_enum_members(fixture_json: Callable[[str], Any]) -> None:
    payload = WebhookPayload.from_json(orjson.dumps(fixture_json("webhook_form_task.json")))
    assert payload.task.fields[0].type is FieldType.TEXT


def test_python_values_in_raw_slots_are_written_the_pyrus_way() -> None:
    moscow = timezone(timedelta(hours=3))
    fields = [
        FormField(id=1, type=FieldType.TIME, value=time(10, 5, 59)),
        FormField(
            id=2, type=FieldType.DUE_DATE_TIME, value=datetime(2024, 1, 1, 13, tzinfo=moscow)
        ),
        FormField(id=3, type=FieldType.DATE, value=date(2024, 1, 2)),
        FormField(id=4, type=FieldType.PERSON, value=Person(id=5, first_name="")),
        FormField(id=5, type=FieldType.MONEY, value=Decimal("10.50")),
        FormField(id=6, type=FieldType.TITLE, value=TitleValue(fields=[FormField(id=7, value="")])),
    ]
    expected = [
        {"id": 1, "type": "time", "value": "10:05"},
        {"id": 2, "type": "due_date_time", "value": "2024-01-01T10:00:00Z"},
        {"id": 3, "type": "date", "value": "2024-01-02"},
        {"id": 4, "type": "person", "value": {"id": 5}},
        {"id": 5, "type": "money", "value": 10.5},
        {"id": 6, "type": "title", "value": {"fields": [{"id": 7}]}},
    ]
    assert [field.to_pyrus() for field in fields] == expected
    # pydantic's own JSON mode (what FastAPI uses) spells them the same way, empties aside.
    dumped = [f.model_dump(mode="json", exclude_none=True) for f in fields]
    assert [pyrus_json.omit_empty(d) for d in dumped] == expected
