"""Register filters (spec 4.3) and CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import parse_comment_request as comment_request
from pyrus_bots.protocol.models.requests import parse_create_task_request as task_request
from pyrus_bots.server.workflow import engine
from pyrus_bots.server.workflow.register import filter_register, register_csv, selected_field_ids
from pyrus_bots.server.workflow.state import Directory, TaskState

from .conftest import ALICE, BOB, BOT, FORM, T0


@pytest.fixture
def tasks(directory: Directory) -> list[TaskState]:
    """Tasks 1..4 of the purchase form, created a day apart, with different values."""
    values: list[list[dict[str, Any]]] = [
        [
            {"id": 1, "value": "Laptop"},
            {"id": 2, "value": 100},
            {"id": 17, "value": {"item_id": 1}},
            {"id": 4, "value": "2026-04-01"},
            {"id": 8, "value": {"choice_ids": [11]}},
        ],
        [
            {"id": 1, "value": "Lamp"},
            {"id": 2, "value": 250.5},
            {"id": 17, "value": {"item_id": 2}},
            {"id": 4, "value": "2026-04-10"},
            {"id": 20, "value": {"id": BOB}},
        ],
        [
            {"id": 1, "value": "Desk"},
            {"id": 2, "value": 900},
            {"id": 8, "value": {"choice_ids": [11, 12]}},
        ],
        [{"id": 2, "value": 5}],
    ]
    out = []
    for index, fields in enumerate(values, start=1):
        created = T0 + timedelta(days=index)
        task = engine.create_task(
            directory,
            directory.people[ALICE],
            task_request({"form_id": FORM, "fields": fields}),
            created,
            index,
        ).task
        out.append(task)
    # task 3 goes to step 2, task 4 is closed
    out[2] = engine.apply_comment(
        directory,
        out[2],
        directory.people[BOT],
        comment_request({"approval_choice": "approved"}),
        T0 + timedelta(days=10),
    ).task
    out[3] = engine.apply_comment(
        directory,
        out[3],
        directory.people[ALICE],
        comment_request({"action": "finished", "due_date": "2026-03-02"}),
        T0 + timedelta(days=11),
    ).task
    return out


def ids(directory: Directory, tasks: list[TaskState], **params: Any) -> list[int]:
    return [
        t.id
        for t in filter_register(
            directory, directory.forms[FORM], tasks, params, now=T0 + timedelta(days=20)
        )
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, [1, 2, 3]),
        ({"include_archived": True}, [1, 2, 3, 4]),
        ({"include_archived": "y"}, [1, 2, 3, 4]),
        ({"steps": [2]}, [3]),
        ({"steps": "1,2"}, [1, 2, 3]),
        ({"task_ids": "1,3,4"}, [1, 3]),
        ({"task_ids": [2]}, [2]),
        ({"fld2": "gt200"}, [2, 3]),
        ({"fld2": "lt250.5"}, [1]),
        ({"fld2": "gt99,lt300"}, [1, 2]),
        ({"fld2": 100}, [1]),
        ({"fld2": "100,900"}, [1, 3]),
        ({"fld2": "*", "include_archived": "y"}, [1, 2, 3, 4]),
        ({"fld1": "empty", "include_archived": "y"}, [4]),
        ({"fld1": "la"}, [1, 2]),
        ({"fld1": "laptop"}, [1]),
        ({"fld4": "gt2026-04-05"}, [2]),
        ({"fld4": "2026-04-01"}, [1]),
        ({"fld17": "2"}, [2]),
        ({"fld17": "1,2"}, [1, 2]),
        ({"fld8": "12"}, [3]),
        ({"fld8": "11"}, [1, 3]),
        ({"fld20": str(BOB)}, [2]),
        ({"fld13": "2"}, [3]),
        ({"fld14": "closed", "include_archived": True}, [4]),
        ({"fld21": str(ALICE)}, [1, 2, 3]),
        ({"fld15": "gt2026-03-02"}, [2, 3]),
        ({"fld15": "2026-03-02"}, [1]),
        ({"id": "gt1,lt3"}, [2]),
        ({"id": "lt3"}, [1, 2]),
        ({"created_after": "2026-03-02T09:00:00Z"}, [2, 3]),
        ({"created_before": "2026-03-03"}, [1]),
        ({"modified_after": "2026-03-10T00:00:00Z"}, [3]),
        ({"closed_after": "2026-03-01", "include_archived": "y"}, [4]),
        ({"item_count": 2}, [1, 2]),
        ({"include_text": "LAMP"}, [2]),
        ({"include_text": "a"}, [1, 2]),
        ({"item_count": "1", "include_archived": "y"}, [1]),
        ({"due_filter": "overdue", "include_archived": "y"}, []),
        ({"due_filter": "past_due", "include_archived": "y"}, [4]),
    ],
)
def test_filters(
    directory: Directory, tasks: list[TaskState], params: dict[str, Any], expected: list[int]
) -> None:
    assert ids(directory, tasks, **params) == expected


def test_overdue_open_task(directory: Directory, tasks: list[TaskState]) -> None:
    tasks[0] = engine.apply_comment(
        directory,
        tasks[0],
        directory.people[ALICE],
        comment_request({"due": "2026-03-05T10:00:00Z"}),
        T0 + timedelta(days=1),
    ).task
    assert ids(directory, tasks, due_filter="overdue") == [1]
    assert ids(directory, tasks, due_filter={"overdue_steps": [1]}) == [1]
    assert ids(directory, tasks, due_filter={"overdue_steps": [2]}) == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"fld999": "1"}, "invalid_field_id"),
        ({"fldx": "1"}, "invalid_field_id"),
        ({"fld22": "1"}, "filter_type_is_not_supported"),
        ({"fld23": "1"}, "filter_type_is_not_supported"),
        ({"fld19": "*"}, "filter_type_is_not_supported"),
        ({"fld2": "gtabc"}, "invalid_value_format"),
        ({"fld4": "lt01.02.2026"}, "invalid_value_format"),
        ({"fld17": "CC1"}, "invalid_value_format"),
        ({"steps": "one"}, "invalid_value_format"),
        ({"created_after": "yesterday"}, "invalid_value_format"),
        ({"item_count": 0}, "items_count_out_of_range"),
        ({"item_count": 20001}, "items_count_out_of_range"),
        ({"field_ids": [1, 999]}, "invalid_field_id"),
        ({"due_filter": "someday"}, "invalid_value_format"),
    ],
)
def test_filter_errors(
    directory: Directory, tasks: list[TaskState], params: dict[str, Any], code: str
) -> None:
    with pytest.raises(PyrusError) as caught:
        ids(directory, tasks, **params)
    assert caught.value.code == code


def test_field_ids(directory: Directory) -> None:
    form = directory.forms[FORM]
    assert selected_field_ids(form, {"field_ids": "1,2"}) == {1, 2}
    assert selected_field_ids(form, {}) is None


def test_csv(directory: Directory, tasks: list[TaskState]) -> None:
    text = register_csv(directory, directory.forms[FORM], tasks[:2], delimiter=";")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header = rows[0]
    assert header[:4] == ["id", "create_date", "last_modified_date", "current_step"]
    assert "Line item" not in header  # table cells are left out
    first = dict(zip(header, rows[1], strict=True))
    assert first["id"] == "1"
    assert first["Item"] == "Laptop"
    assert first["Amount"] == "100"
    assert first["Cost center"] == "CC1 Marketing"
    assert first["Tags"] == "Office"
    assert first["Requester"] == "Alice Smith"
    assert first["Step"] == "1.0" or first["Step"] == "1"
    second = dict(zip(header, rows[2], strict=True))
    assert second["Buyer"] == "Bob Jones"
    assert second["create_date"] == (T0 + timedelta(days=2)).astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert datetime.now(UTC) > T0  # sanity: fixtures are in the past
