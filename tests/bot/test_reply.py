"""Reply: every field of the comment request, its rules, and field updates checked against the
delivered task."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest

from pyrus_bots.bot import FieldValueError, Reply, ReplyError
from pyrus_bots.bot.reply import current_delivery, render_reply
from pyrus_bots.protocol import parse_comment_request
from pyrus_bots.testing import make_task, typed

from .conftest import purchase_form, purchase_task


def test_every_field_of_the_comment_request_round_trips_through_the_protocol_model() -> None:
    reply = (
        Reply.approve("Done", steps=[1, 2])
        .set_subject("New subject")
        .reassign(7)
        .add_participants(5, "x@y.z")
        .remove_participants({"id": 6})
        .add_subscribers("s@y.z")
        .remove_subscribers(8)
        .rerequest_subscribers(9)
        .add_approvers(2, 1001)
        .remove_approvers(3, "boss@acme.test")
        .rerequest_approvals(1, 1002)
        .set_due(datetime(2026, 1, 2, 10, 30, tzinfo=UTC), duration=90)
        .cancel_schedule()
        .schedule(date(2026, 2, 1))
        .attach("guid-1", 42, {"url": "https://x.test/a.pdf", "name": "a.pdf"})
        .add_to_lists(11, 12)
        .remove_from_lists(13)
        .via_channel("email", to="c@d.e", sender="bot@acme.test")
        .spent(15)
        .skip_satisfaction()
        .skip_notification()
        .skip_auto_reopen()
        .close()
        .edit_comment(99)
    )
    wire = reply.to_dict()
    assert wire == {
        "text": "Done",
        "approval_choice": "approved",
        "approval_steps": [1, 2],
        "subject": "New subject",
        "reassign_to": {"id": 7},
        "participants_added": [{"id": 5}, {"email": "x@y.z"}],
        "participants_removed": [{"id": 6}],
        "subscribers_added": [{"email": "s@y.z"}],
        "subscribers_removed": [{"id": 8}],
        "subscribers_rerequested": [{"id": 9}],
        "approvals_added": [[], [{"id": 1001}]],
        "approvals_removed": [[], [], [{"email": "boss@acme.test"}]],
        "approvals_rerequested": [[{"id": 1002}]],
        "due": "2026-01-02T10:30:00Z",
        "duration": 90,
        "cancel_schedule": True,
        "scheduled_date": "2026-02-01",
        "attachments": [
            {"guid": "guid-1"},
            {"attachment_id": 42},
            {"url": "https://x.test/a.pdf", "name": "a.pdf"},
        ],
        "added_list_ids": [11, 12],
        "removed_list_ids": [13],
        "channel": {"type": "email", "to": "c@d.e", "from": "bot@acme.test"},
        "spent_minutes": 15,
        "skip_satisfaction": True,
        "skip_notification": True,
        "skip_auto_reopen": True,
        "action": "finished",
        "edit_comment_id": 99,
    }
    model = parse_comment_request(wire)  # the platform's own validation accepts it
    assert model.to_pyrus()["approvals_added"] == [[], [{"id": 1001}]]


@pytest.mark.parametrize(
    ("reply", "choice"),
    [
        (Reply.approve(), "approved"),
        (Reply.reject(), "rejected"),
        (Reply.acknowledge(), "acknowledged"),
        (Reply.revoke(), "revoked"),
    ],
)
def test_approval_constructors(reply: Reply, choice: str) -> None:
    assert reply.to_dict() == {"approval_choice": choice}


def test_formatted_text_due_date_schedule_datetime_cancel_due_and_reopen() -> None:
    wire = (
        Reply.comment(formatted_text="<b>hi</b>")
        .set_due_date("2026-03-04")
        .cancel_due()
        .schedule(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
        .reopen()
        .to_dict()
    )
    assert wire == {
        "formatted_text": "<b>hi</b>",
        "due_date": "2026-03-04",
        "cancel_due": True,
        "scheduled_datetime_utc": "2026-03-01T08:00:00Z",
        "action": "reopened",
    }
    parse_comment_request(wire)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Reply("a").set_formatted_text("<b>b</b>"), "not both"),
        (lambda: Reply(formatted_text="<b>b</b>").set_text("a"), "not both"),
        (lambda: Reply().set_due_date(date(2026, 1, 1)).set_due("2026-01-01T00:00:00Z"), "due"),
        (lambda: Reply().set_due("2026-01-01T10:00:00Z").set_due_date("2026-01-01"), "due"),
        (lambda: Reply().set_approval("maybe"), "approval_choice"),  # type: ignore[arg-type]
        (lambda: Reply().add_approvers(0, 5), "step"),
        (lambda: Reply().reassign("not-an-email"), "e-mail"),
        (lambda: Reply().spent(-1), "minutes"),
        (lambda: Reply().add_to_lists("x"), "int ids"),  # type: ignore[arg-type]
        (lambda: Reply().attach(3.5), "file"),
        (lambda: Reply().set_due_date("tomorrow"), "date"),
        (lambda: Reply(5), "string"),  # type: ignore[arg-type]
    ],
)
def test_rule_breaches_raise_before_anything_is_sent(build: Any, message: str) -> None:
    with pytest.raises(ReplyError, match=message):
        build()


def test_duration_needs_due() -> None:
    reply = Reply()
    reply._data["duration"] = 5
    with pytest.raises(ReplyError, match="duration goes with due"):
        reply.to_dict()


def test_field_updates_resolve_by_id_code_and_name_against_the_task() -> None:
    task = purchase_task()
    wire = (
        Reply.approve()
        .set_field("u_amount", 99.5)  # code
        .set_field("Status", "Approved")  # name; option name -> choice id
        .set_field(5, True)  # id of u_urgent (checkmark)
        .set_fields({"u_due": date(2026, 5, 1)}, u_item="Scanner")
        .to_dict(task, form=purchase_form())
    )
    assert wire["field_updates"] == [
        {"id": 2, "value": 99.5},
        {"id": 3, "value": {"choice_ids": [2]}},
        {"id": 5, "value": "checked"},
        {"id": 4, "value": "2026-05-01"},
        {"id": 1, "value": "Scanner"},
    ]


@pytest.mark.parametrize(
    ("ref", "value", "expected"),
    [
        ("u_amount", Decimal("12.50"), 12.5),
        ("u_amount", 7, 7),
        ("u_status", 3, {"choice_ids": [3]}),
        ("u_status", ["New", 2], {"choice_ids": [1, 2]}),
        ("u_due", "2026-02-28", "2026-02-28"),
        ("u_urgent", "unchecked", "unchecked"),
        ("u_cc", 4001, {"item_id": 4001}),
        ("u_cc", "CC1", {"item_name": "CC1"}),
        ("u_cc", [1, 2], {"item_ids": [1, 2]}),
        ("u_cc", ["CC1", "CC2"], {"item_names": ["CC1", "CC2"]}),
        ("u_owner", 1001, {"id": 1001}),
        ("u_owner", "bob@acme.test", {"email": "bob@acme.test"}),
        ("u_owner", {"id": 5, "first_name": "X"}, {"id": 5}),
        ("u_item", None, None),
    ],
)
def test_values_are_converted_to_the_wire_form_of_the_field_type(
    ref: str, value: Any, expected: Any
) -> None:
    wire = Reply().set_field(ref, value).to_dict(purchase_task(), form=purchase_form())
    assert wire["field_updates"][0]["value"] == expected


@pytest.mark.parametrize(
    ("ref", "value", "message"),
    [
        ("u_amount", "1000", r"'u_amount' \(money\) needs a number, got str"),
        ("u_amount", True, "needs a number"),
        ("u_due", datetime(2026, 1, 1, tzinfo=UTC), "not a date-time"),
        ("u_due", "01.02.2026", "needs a date"),
        ("u_due", "2026-02-30", "real calendar date"),
        ("u_urgent", "yes", "needs a bool"),
        ("u_status", "Maybe", "no choice named 'Maybe'; valid names: 'New', 'Approved'"),
        ("u_status", 17, "no choice id 17"),
        ("u_cc", 2.5, "catalog item"),
        ("u_owner", "nobody", "person id or e-mail"),
        ("u_note", "x", "read-only"),
        ("u_item", 5, "needs a string"),
        ("u_missing", 1, "no field 'u_missing'.*u_amount"),
        (999, 1, "no field 999"),
    ],
)
def test_wrong_values_raise_a_clear_error(ref: Any, value: Any, message: str) -> None:
    with pytest.raises(FieldValueError, match=message):
        Reply().set_field(ref, value).to_dict(purchase_task(), form=purchase_form())


def test_more_types_time_datetime_flag_email_form_link_file_table_title() -> None:
    task = make_task(
        form_id=1,
        fields={
            "u_time": typed("time"),
            "u_when": typed("due_date_time"),
            "u_flag": typed("flag"),
            "u_mail": typed("email"),
            "u_link": typed("form_link"),
            "u_files": typed("file"),
            "u_rows": typed("table"),
            "u_section": typed("title"),
            "u_new": typed("some_future_type"),
        },
    )
    wire = (
        Reply()
        .set_field("u_time", time(9, 5))
        .set_field("u_when", datetime(2026, 1, 1, 12, 0, tzinfo=UTC))
        .set_field("u_flag", None)
        .set_field("u_mail", "a@b.c")
        .set_field("u_link", [5, 6])
        .set_field("u_files", "guid-9")
        .set_field("u_rows", [{"row_id": 0, "cells": [{"id": 99, "value": "x"}]}])
        .set_field("u_section", True)
        .set_field("u_new", {"anything": 1})
        .to_dict(task)
    )
    assert [u["value"] for u in wire["field_updates"]] == [
        "09:05",
        "2026-01-01T12:00:00Z",
        "none",
        "a@b.c",
        {"task_ids": [5, 6]},
        [{"guid": "guid-9"}],
        [{"row_id": 0, "cells": [{"id": 99, "value": "x"}]}],
        {"checkmark": "checked"},
        {"anything": 1},
    ]
    with pytest.raises(FieldValueError, match="HH:MM"):
        Reply().set_field("u_time", "25:00").to_dict(task)
    with pytest.raises(FieldValueError, match="e-mail"):
        Reply().set_field("u_mail", "nope").to_dict(task)


def test_nested_title_fields_are_addressable_and_table_cells_are_not() -> None:
    task = make_task(
        form_id=1,
        fields=[
            {
                "id": 10,
                "type": "title",
                "name": "Section",
                "value": {"fields": [{"id": 11, "type": "number", "code": "u_inner"}]},
            },
            {
                "id": 20,
                "type": "table",
                "code": "u_table",
                "value": [{"row_id": 0, "cells": [{"id": 21, "type": "text", "code": "u_cell"}]}],
            },
            {"id": 30, "type": "text", "name": "Twin"},
            {"id": 31, "type": "text", "name": "Twin"},
        ],
    )
    assert Reply().set_field("u_inner", 3).to_dict(task)["field_updates"] == [
        {"id": 11, "value": 3}
    ]
    with pytest.raises(FieldValueError, match="table cell"):
        Reply().set_field("u_cell", "x").to_dict(task)
    with pytest.raises(FieldValueError, match="several fields are named 'Twin'"):
        Reply().set_field("Twin", "x").to_dict(task)


def test_inside_a_handler_a_wrong_value_raises_at_the_set_field_line() -> None:
    class Delivery:
        from pyrus_bots.bot.fields import FieldIndex

        fields = FieldIndex.of_task(purchase_task())

    token = current_delivery.set(Delivery())
    try:
        with pytest.raises(FieldValueError, match="needs a number"):
            Reply.approve().set_field("u_amount", "lots")
        ok = Reply.approve().set_field("u_amount", 5)
    finally:
        current_delivery.reset(token)
    assert ok.to_dict() == {"approval_choice": "approved", "field_updates": [{"id": 2, "value": 5}]}


def test_without_a_task_a_reference_cannot_be_checked() -> None:
    with pytest.raises(FieldValueError, match="needs the task"):
        Reply().set_field("u_amount", 5).to_dict()


def test_render_accepts_dicts_strings_none_and_protocol_models() -> None:
    task = purchase_task()
    assert render_reply(None, task) == {}
    assert render_reply("hi", task) == {"text": "hi"}
    assert render_reply({"text": "x", "approval_choice": "approved"}, task) == {
        "text": "x",
        "approval_choice": "approved",
    }
    model = parse_comment_request({"text": "m"})
    assert render_reply(model, task) == {"text": "m"}
    with pytest.raises(ReplyError, match="not a valid comment request"):
        render_reply({"text": "a", "formatted_text": "b"}, task)
    with pytest.raises(ReplyError, match="returns a Reply"):
        render_reply(42, task)
