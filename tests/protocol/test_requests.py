"""Write side: CommentRequest / CreateTaskRequest rules, error codes and serialization."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
import pytest

from pyrus_bots.protocol import (
    ApprovalChoice,
    CatalogValue,
    CommentRequest,
    CreateTaskRequest,
    FieldUpdate,
    NewFile,
    PersonIdentity,
    PyrusError,
    parse_comment_request,
    parse_create_task_request,
    pyrus_json,
)


def error_code(data: Any, parse: Callable[[Any], Any] = parse_comment_request) -> str:
    with pytest.raises(PyrusError) as caught:
        parse(data)
    assert caught.value.status == 400
    return caught.value.code


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"text": "a", "formatted_text": "<b>a</b>"}, "both_text_and_formatted_text_specified"),
        (
            {"due_date": "2024-01-10", "due": "2024-01-10T10:00:00Z"},
            "either_due_date_or_due_can_be_set",
        ),
        ({"due_date": "2024-01-10", "duration": 30}, "due_missing"),
        ({"due": "2024-01-10T10:00:00Z", "duration": -1}, "negative_duration"),
        ({"approval_choice": "waiting"}, "invalid_value_format"),
        ({"approval_choice": "maybe"}, "invalid_value_format"),
        ({"action": "deleted"}, "invalid_value_format"),
        ({"text": 5}, "invalid_value_format"),
        ({"due": "tomorrow"}, "invalid_value_format"),
        ({"due_date": "10.01.2024"}, "invalid_value_format"),
        ({"approval_steps": ["two"]}, "invalid_value_format"),
        ({"approval_steps": [0]}, "invalid_step_number"),
        ({"approvals_added": [{"id": 1}]}, "invalid_value_format"),
        ({"field_updates": {"id": 1}}, "invalid_value_format"),
        ({"spent_minutes": "a lot"}, "invalid_value_format"),
        ({"reassign_to": {}}, "person_identity_missing"),
        ({"participants_added": [{"id": 1}, {"name": "Bob"}]}, "person_identity_missing"),
        ({"approvals_added": [[], [{}]]}, "person_identity_missing"),
        ({"field_updates": [{"value": "x"}]}, "field_identity_missing"),
        ({"field_updates": [{"id": None, "name": "", "value": "x"}]}, "field_identity_missing"),
        ({"attachments": [{"name": "a.txt"}]}, "unrecognized_attachment_id"),
        (b"{not json", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        ("null", "invalid_json"),
        ([{"text": "a"}], "invalid_json"),
        (b"", "empty_body"),
        ("  \n", "empty_body"),
    ],
)
def test_comment_request_rules_and_codes(data: Any, code: str) -> None:
    assert error_code(data) == code


def test_rules_apply_at_construction_too() -> None:
    with pytest.raises(PyrusError) as caught:
        CommentRequest(text="a", formatted_text="b")
    assert caught.value.code == "both_text_and_formatted_text_specified"
    with pytest.raises(PyrusError) as caught:
        CreateTaskRequest(text="a", duration=5)
    assert caught.value.code == "due_missing"


def test_previous_note_id_is_an_integer() -> None:
    assert parse_comment_request({"text": "a", "previous_note_id": 7}).previous_note_id == 7
    assert error_code({"text": "a", "previous_note_id": "7"}) == "invalid_value_format"


def test_a_comment_may_change_the_duration_alone() -> None:
    """The task's current ``due`` may be the one the duration belongs to: the server checks."""
    assert parse_comment_request({"duration": 30}).duration == 30


def test_error_text_does_not_echo_the_input() -> None:
    with pytest.raises(PyrusError) as caught:
        parse_comment_request({"spent_minutes": "secret-token-value"})
    assert "secret-token-value" not in caught.value.message
    assert "spent_minutes" in caught.value.message


def test_every_field_parses(fixture_json: Callable[[str], Any]) -> None:
    data = fixture_json("comment_request.json")
    request = parse_comment_request(orjson.dumps(data))
    assert request.approval_choice is ApprovalChoice.APPROVED
    assert request.approval_steps == [2, 3]
    assert request.reassign_to == PersonIdentity(id=1002)
    assert request.approvals_added[0] == []
    assert request.approvals_added[2][0].email == "carol@acme.test"
    assert request.attachments[0] == "6b0e1f2a-upload"
    assert request.attachments[1] == NewFile(guid="7c1f-new-version", root_id=9001)
    assert request.due == datetime(2024, 3, 5, 18, tzinfo=UTC)
    assert request.scheduled_date == date(2024, 2, 20)
    assert request.edit_comment_id == 9876543210
    assert request.channel is not None
    assert request.channel.type == "email"
    read_only = request.field_updates[-1]
    assert (read_only.id, read_only.has_value) == (13, False)
    zero = request.field_updates[-2]
    assert (zero.value, zero.has_value) == (0, True)
    # Every key of the fixture is a declared field: nothing lands in the extras.
    assert not request.model_extra
    assert set(data) <= set(CommentRequest.model_fields)


def test_empty_reply_changes_nothing() -> None:
    assert parse_comment_request({}).is_empty
    assert parse_comment_request(b"{}").to_pyrus() == {}
    assert parse_comment_request({"text": "", "field_updates": []}).is_empty
    assert not parse_comment_request({"skip_notification": False}).is_empty


def test_unknown_reply_keys_are_tolerated() -> None:
    request = parse_comment_request({"text": "hi", "bot_mood": "happy"})
    assert request.text == "hi"


def test_python_values_are_written_the_pyrus_way() -> None:
    moscow = timezone(timedelta(hours=3))
    request = CommentRequest(
        formatted_text="<p>done</p>",
        approval_choice=ApprovalChoice.REJECTED,
        due=datetime(2024, 3, 5, 21, 0, 30, 999, tzinfo=moscow),
        duration=0,
        scheduled_date=date(2024, 3, 1),
        reassign_to=PersonIdentity.of("carol@acme.test"),
        attachments=[NewFile.from_url("https://x.test/a.pdf", "a.pdf"), "guid-1"],
        field_updates=[
            FieldUpdate.by(4, date(2024, 3, 1)),
            FieldUpdate.by("u_delivery_time", time(9, 15, 42)),
            FieldUpdate.by_name("Deadline", datetime(2024, 3, 2, 10, tzinfo=UTC)),
            FieldUpdate.by_code("u_amount", Decimal("1400.50")),
            FieldUpdate.by_id(18, PersonIdentity(id=1002)),
            FieldUpdate.by_id(16, CatalogValue(item_ids=[7002])),
            FieldUpdate.by_id(29, None),
            FieldUpdate.by_id(1, ""),
        ],
    )
    expected = {
        "formatted_text": "<p>done</p>",
        "approval_choice": "rejected",
        "due": "2024-03-05T18:00:30Z",
        "duration": 0,
        "scheduled_date": "2024-03-01",
        "reassign_to": {"email": "carol@acme.test"},
        "attachments": [{"url": "https://x.test/a.pdf", "name": "a.pdf"}, "guid-1"],
        "field_updates": [
            {"id": 4, "value": "2024-03-01"},
            {"code": "u_delivery_time", "value": "09:15"},
            {"name": "Deadline", "value": "2024-03-02T10:00:00Z"},
            {"code": "u_amount", "value": 1400.5},
            {"id": 18, "value": {"id": 1002}},
            {"id": 16, "value": {"item_ids": [7002]}},
            # An explicit empty value clears the field, so it stays on the wire.
            {"id": 29, "value": None},
            {"id": 1, "value": ""},
        ],
    }
    assert request.to_pyrus() == expected
    assert orjson.loads(pyrus_json.dumps(request)) == expected
    # What we write, we (and the server) read back the same.
    assert parse_comment_request(pyrus_json.dumps(request)).to_pyrus() == expected


def test_field_update_addressing() -> None:
    assert FieldUpdate.by(5, "x").to_pyrus() == {"id": 5, "value": "x"}
    assert FieldUpdate.by("u_item", "x").to_pyrus() == {"code": "u_item", "value": "x"}
    assert FieldUpdate(id=13).to_pyrus() == {"id": 13}
    assert FieldUpdate.from_pyrus({"id": 1, "type": "text", "value": "v"}).to_pyrus() == {
        "id": 1,
        "type": "text",
        "value": "v",
    }
    with pytest.raises(PyrusError) as caught:
        FieldUpdate(value=1)
    assert caught.value.code == "field_identity_missing"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({}, "text_missing"),
        ({"subject": "only a subject"}, "text_missing"),
        ({"text": "a", "formatted_text": "b"}, "both_text_and_formatted_text_specified"),
        (
            {"text": "a", "due": "2024-01-10T10:00:00Z", "due_date": "2024-01-10"},
            "either_due_date_or_due_can_be_set",
        ),
        ({"text": "a", "duration": 10}, "due_missing"),
        ({"text": "a", "due": "2024-01-10T10:00:00Z", "duration": -5}, "negative_duration"),
        ({"form_id": "form"}, "invalid_value_format"),
        ({"form_id": 1, "fields": [{"value": 1}]}, "field_identity_missing"),
        ({"form_id": 1, "approvals": [[{}]]}, "person_identity_missing"),
        (b"nope", "invalid_json"),
    ],
)
def test_create_task_rules(data: Any, code: str) -> None:
    assert error_code(data, parse_create_task_request) == code


def test_create_task_round_trip() -> None:
    data = {
        "form_id": 321,
        "fields": [{"id": 1, "value": "Printer"}, {"code": "u_amount", "value": 0}],
        "approvals": [[{"id": 2001}], [], [{"email": "carol@acme.test"}]],
        "fill_defaults": True,
        "parent_task_id": 5500,
        "attachments": ["guid-1"],
        "list_ids": [77],
        "subscribers": [{"id": 1004}],
        "due": "2024-02-01T10:00:00Z",
        "duration": 60,
        "scheduled_datetime_utc": "2024-01-20T08:00:00Z",
        "subject": "From the API",
        "responsible": {"id": 1002},
        "participants": [{"id": 1001}],
    }
    request = parse_create_task_request(data)
    assert request.to_pyrus() == data
    simple = CreateTaskRequest(text="Call the vendor", due_date=date(2024, 2, 1))
    assert simple.to_pyrus() == {"text": "Call the vendor", "due_date": "2024-02-01"}
