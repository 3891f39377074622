"""TaskView gives the same typed answers as the full TaskWithComments model, validating only
what is read."""

from __future__ import annotations

from typing import Any

import pytest

from pyrus_bots.bot.task_view import TaskView
from pyrus_bots.protocol import TaskWithComments
from pyrus_bots.testing import make_comment, make_task, typed

NESTED_FIELDS: list[dict[str, Any]] = [
    {"id": 1, "type": "money", "code": "u_amount", "name": "Amount", "value": 12.5},
    {
        "id": 2,
        "type": "title",
        "name": "Section",
        "value": {
            "checkmark": "checked",
            "fields": [{"id": 3, "type": "text", "name": "Inner", "value": "in"}],
        },
    },
    {
        "id": 4,
        "type": "table",
        "code": "u_rows",
        "value": [
            {"row_id": 0, "cells": [{"id": 5, "type": "number", "code": "u_qty", "value": 1}]},
            {"row_id": 1, "cells": [{"id": 5, "type": "number", "code": "u_qty", "value": 2}]},
        ],
    },
    {
        "id": 6,
        "type": "multiple_choice",
        "name": "Kind",
        "info": {"code": "u_kind"},
        "value": {
            "choice_ids": [1],
            "fields": [{"id": 7, "type": "date", "name": "When", "value": "2026-01-01"}],
        },
    },
    {"id": 8, "type": "text", "name": "Inner", "value": "second with the same name"},
]


@pytest.fixture
def raw() -> dict[str, Any]:
    return make_task(
        form_id=321,
        step=2,
        steps=2,
        fields=NESTED_FIELDS,
        comments=[make_comment("first"), make_comment("last")],
        participants=[{"id": 9, "first_name": "P"}],
    )


@pytest.mark.parametrize(
    "ref", [1, 3, 5, 7, 8, 99, "u_amount", "Inner", "u_qty", "u_kind", "When", "nothing"]
)
def test_field_lookup_matches_the_model(raw: dict[str, Any], ref: int | str) -> None:
    model = TaskWithComments.model_validate(raw)
    view = TaskView(raw)
    assert view.field(ref) == model.field(ref)
    assert view.field(ref) is view.field(ref)  # cached


def test_attributes_match_the_model_and_validate_lazily(raw: dict[str, Any]) -> None:
    model = TaskWithComments.model_validate(raw)
    view = TaskView(raw)
    assert view.author == model.author and view.author is not None
    assert view._model is None  # nothing but the author was validated
    for name in (
        "id",
        "text",
        "subject",
        "form_id",
        "current_step",
        "is_closed",
        "create_date",
        "due_date",
        "responsible",
        "participants",
        "fields",
        "approvals",
        "subscribers",
        "steps",
        "attachments",
        "comments",
        "last_note_id",
        "close_date",
    ):
        assert getattr(view, name) == getattr(model, name), name
    assert view.last_comment == model.last_comment
    assert view._model is None
    assert view.waiting_on(2) == model.waiting_on(2)  # a method: the full model is built
    assert view.model == model
    assert "TaskView(id=" in repr(view)


def test_empty_task_defaults() -> None:
    view = TaskView({"id": 1})
    assert view.fields == [] and view.comments == [] and view.last_comment is None
    assert view.author is None and view.field("x") is None
    with pytest.raises(AttributeError):
        view._secret  # noqa: B018


def test_typed_values_from_a_view() -> None:
    view = TaskView(make_task(form_id=1, fields={"u_amount": typed("money", 7)}))
    field = view.field("u_amount")
    assert field is not None and field.value == 7 and field.typed_value() == 7
