"""Helpers of the read-side models: field lookup, approvals, templates, catalogs, webhooks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pyrus_bots.protocol import (
    ApprovalChoice,
    AuthRequest,
    AuthResponse,
    Catalog,
    FieldType,
    FormTemplate,
    Person,
    PersonIdentity,
    PersonRights,
    PyrusError,
    Task,
    TaskComment,
    WebhookPayload,
)


@pytest.fixture
def payload(fixture_json: Callable[[str], Any]) -> WebhookPayload:
    return WebhookPayload.from_pyrus(fixture_json("webhook_form_task.json"))


def test_webhook_metadata(payload: WebhookPayload) -> None:
    assert payload.event == "comment"
    assert payload.task_id == payload.task.id == 5600
    assert payload.user_id == 21913
    assert payload.bot_settings == '{"limit": 1000, "currency": "EUR"}'
    assert payload.settings_json() == {"limit": 1000, "currency": "EUR"}


@pytest.mark.parametrize(
    ("settings", "expected"),
    [(None, None), ("", None), ("   ", None), ("limit=5", None), ("[1, 2]", [1, 2]), ("7", 7)],
)
def test_settings_json(settings: str | None, expected: Any) -> None:
    payload = WebhookPayload.from_pyrus({"bot_settings": settings, "task": {"id": 1}})
    assert payload.settings_json() == expected


def test_unknown_event_is_kept() -> None:
    payload = WebhookPayload.from_pyrus({"event": "task_created", "task": {"id": 1}})
    assert payload.event == "task_created"


def test_webhook_needs_a_task() -> None:
    with pytest.raises(ValueError):
        WebhookPayload.from_pyrus({"event": "comment"})


def test_secrets_stay_out_of_repr(payload: WebhookPayload) -> None:
    assert "tkn-webhook-5600" not in repr(payload)
    assert "tkn-webhook-5600" not in str(payload)
    assert "hunter2" not in repr(AuthRequest(login="bot@x", security_key="hunter2"))
    assert "s3cr3t" not in repr(AuthResponse(access_token="s3cr3t"))
    # The value itself is untouched.
    assert payload.access_token == "tkn-webhook-5600"


def test_field_lookup_by_id_code_and_name(payload: WebhookPayload) -> None:
    task = payload.task
    by_id = task.field(2)
    assert by_id is not None
    assert by_id.code == "u_amount"
    assert task.field("u_amount") is by_id
    assert task.field("Amount") is by_id
    assert task.field("missing") is None
    assert task.field(404) is None


def test_field_lookup_reaches_nested_fields(payload: WebhookPayload) -> None:
    task = payload.task
    address = task.field("u_address")
    assert address is not None
    assert address.parent_id == 23
    serial = task.field(30)
    assert serial is not None
    assert serial.typed_value() == "SN-42"
    first_line = task.field("u_line_item")
    assert first_line is not None
    assert (first_line.row_id, first_line.typed_value()) == (0, "Printer")
    cells = [f for f in task.fields_flat() if f.id == 21]
    assert [(f.row_id, f.value) for f in cells] == [(0, "Printer"), (1, "Toner"), (2, "Paper")]


def test_fields_flat_fills_row_and_parent_of_bare_cells() -> None:
    task = Task.from_pyrus(
        {
            "id": 1,
            "form_id": 2,
            "fields": [
                {
                    "id": 5,
                    "type": "table",
                    "value": [{"row_id": 7, "cells": [{"id": 6, "value": "a"}]}],
                }
            ],
        }
    )
    cell = task.field(6)
    assert cell is not None
    assert (cell.row_id, cell.parent_id) == (7, 5)
    # The task itself is not rewritten.
    assert task.to_pyrus()["fields"][0]["value"][0]["cells"][0] == {"id": 6, "value": "a"}


def test_fields_listed_flat_and_nested_are_not_doubled() -> None:
    child = {"id": 2, "type": "text", "name": "Child", "value": "x", "parent_id": 1}
    task = Task.from_pyrus(
        {"id": 1, "fields": [{"id": 1, "type": "title", "value": {"fields": [child]}}, child]}
    )
    assert [f.id for f in task.fields_flat()] == [1, 2]


def test_task_kind_and_last_comment(payload: WebhookPayload) -> None:
    task = payload.task
    assert task.is_form_task
    assert not Task.from_pyrus({"id": 3, "text": "simple"}).is_form_task
    last = task.last_comment
    assert isinstance(last, TaskComment)
    assert last.id == 13770
    assert Task.from_pyrus({"id": 3}).last_comment is None


def test_approvals(payload: WebhookPayload) -> None:
    task = payload.task
    assert len(task.approvals) == 3
    assert task.approvals[0][0].approval_choice is ApprovalChoice.APPROVED
    assert task.approvals[0][0].person is not None
    assert task.approvals[0][0].person.is_bot
    # A missing choice reads as waiting.
    assert task.approvals[2][0].approval_choice is None
    assert task.approvals[2][0].choice == ApprovalChoice.WAITING
    assert [p.id for p in task.waiting_on()] == [1002]
    assert [p.id for p in task.waiting_on(3)] == [3001]
    assert task.approvals_on(9) == []
    assert [s.name for s in task.steps] == ["Automatic check", "Manager", "Accounting"]
    assert task.steps[0].elapsed_time == 300000


def test_comments_read_side(payload: WebhookPayload) -> None:
    first, bot_comment, ack, last = payload.task.comments
    assert [[a.person.id for a in step if a.person] for step in first.approvals_added] == [
        [21913],
        [1002],
        [3001],
    ]
    assert bot_comment.changed_step == 2
    assert bot_comment.approval_step == 1
    assert bot_comment.approvals_added[0] == []
    catalog_update = bot_comment.field_update("u_cc")
    assert catalog_update is not None
    assert catalog_update.type is FieldType.CATALOG
    assert ack.mentions == [1002]
    assert ack.channel is not None
    assert ack.channel.from_ == {"email": "alice@acme.test", "name": "Alice"}
    assert last.reassigned_to is not None
    assert last.reassigned_to.id == 1002
    assert last.duration == 90
    assert last.comment_as_roles[0].member_ids == [1002]


def test_form_template_helpers(fixture_json: Callable[[str], Any]) -> None:
    form = FormTemplate.from_pyrus(fixture_json("form_template.json"))
    assert form.step_name(2) == "Manager"
    assert form.step_name(3) is None
    assert form.step_numbers() == [1, 2, 4]
    amount = form.field("u_amount")
    assert amount is not None
    assert amount.info is not None
    assert (amount.info.required_step, amount.info.immutable_step) == (1, 2)
    # Codes found in info.code only, and nested fields of every kind.
    delivery_date = form.field("u_delivery_date")
    assert delivery_date is not None
    assert delivery_date.id == 25
    assert form.field("u_line_amount") is not None
    assert form.field("u_serial") is not None
    kind = form.field(7)
    assert kind is not None
    assert kind.info is not None
    option = kind.info.option("Hardware")
    assert option is not None
    assert option.choice_id == 2
    assert kind.info.option(3) is not None
    assert kind.info.option(3).deleted is True  # type: ignore[union-attr]
    assert kind.info.option("Nope") is None
    cost_center = form.field("Cost center")
    assert cost_center is not None
    assert cost_center.info is not None
    assert cost_center.info.catalog_id == 4001


def test_catalog_helpers(fixture_json: Callable[[str], Any]) -> None:
    catalog = Catalog.from_pyrus(fixture_json("catalog.json"))
    assert catalog.header_names() == ["Code", "Name", "Owner"]
    item = catalog.item("CC2")
    assert item is not None
    assert item.item_id == 7002
    assert catalog.item(7003) is not None
    assert catalog.item(7003).deleted is True  # type: ignore[union-attr]


def test_person_identity() -> None:
    assert PersonIdentity.of(5).to_pyrus() == {"id": 5}
    assert PersonIdentity.of("a@b.c").to_pyrus() == {"email": "a@b.c"}
    assert PersonIdentity.of(Person(id=9, email="x@y.z")).to_pyrus() == {"id": 9}
    assert PersonIdentity.of(Person(email="x@y.z")).to_pyrus() == {"email": "x@y.z"}
    assert PersonIdentity.of({"id": 3}) == PersonIdentity.by_id(3)
    with pytest.raises(PyrusError) as error:
        PersonIdentity()
    assert error.value.code == "person_identity_missing"
    with pytest.raises(TypeError):
        PersonIdentity.of(True)


def test_person_rights_flags() -> None:
    rights = PersonRights.from_names(["manage_integrations_and_catalogs", "manage_roles"])
    assert int(rights) == 0x401
    assert rights.names() == ["manage_roles", "manage_integrations_and_catalogs"]
    assert PersonRights(0x800).names() == ["create_announcement"]
    assert Person.from_pyrus({"id": 1, "rights": 1024}).rights == (
        PersonRights.MANAGE_INTEGRATIONS_AND_CATALOGS
    )
    with pytest.raises(ValueError, match="fly"):
        PersonRights.from_names(["fly"])
