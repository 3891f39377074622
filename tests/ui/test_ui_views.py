"""What the UI shows for field values, comments and the new-task form."""

from __future__ import annotations

from typing import Any

import pytest

from pyrus_bots.server.admin.ui_views import (
    comment_events,
    field_display,
    task_view,
    timeline,
)
from pyrus_bots.server.workflow.state import (
    Catalog,
    CatalogItem,
    ChoiceOption,
    Directory,
    FieldDef,
    FormDef,
    Person,
    StepDef,
)


def _directory() -> Directory:
    form = FormDef(
        id=321,
        name="Purchase request",
        fields=[
            FieldDef(id=1, type="text", name="Item", code="u_item"),
            FieldDef(id=2, type="money", name="Amount", code="u_amount"),
            FieldDef(
                id=3,
                type="multiple_choice",
                name="Status",
                options=[ChoiceOption(1, "New"), ChoiceOption(2, "Approved")],
            ),
            FieldDef(id=4, type="catalog", name="Cost center", catalog_id=4001),
            FieldDef(id=5, type="date", name="Needed by"),
            FieldDef(id=6, type="checkmark", name="Urgent"),
            FieldDef(id=7, type="table", name="Lines"),
            FieldDef(id=8, type="number", name="Qty", parent_id=7),
            FieldDef(id=9, type="step", name="Step"),
            FieldDef(id=10, type="person", name="Buyer"),
        ],
        steps=[StepDef(1, "Automatic check", [2001]), StepDef(2, "Manager", [1002])],
    )
    return Directory(
        organization_id=1,
        organization_name="Acme",
        people={
            1002: Person(1002, "mark@acme.test", "Mark", "Manager"),
            2001: Person(2001, "bot@0123456789abcdef0123", "Checker", type="bot"),
        },
        forms={321: form},
        catalogs={
            4001: Catalog(4001, "Cost centers", ["Code", "Name"], [CatalogItem(7, ["CC1", "Ads"])])
        },
    )


@pytest.mark.parametrize(
    ("field", "shown"),
    [
        ({"type": "text", "value": "Printer"}, "Printer"),
        ({"type": "money", "value": 1365.5}, "1,365.50"),
        (
            {"type": "multiple_choice", "value": {"choice_ids": [2], "choice_names": ["Approved"]}},
            "Approved",
        ),
        ({"type": "catalog", "value": {"item_ids": [7], "rows": [["CC1", "Ads"]]}}, "CC1 · Ads"),
        (
            {"type": "person", "value": {"id": 1, "first_name": "Ann", "last_name": "Lee"}},
            "Ann Lee",
        ),
        (
            {
                "type": "table",
                "value": [{"row_id": 0, "cells": []}, {"row_id": 1, "deleted": True}],
            },
            "1 row",
        ),
        ({"type": "form_link", "value": {"task_ids": [5, 6]}}, "#5, #6"),
        ({"type": "due_date", "value": "2026-01-31", "duration": 90}, "2026-01-31 (90 min)"),
        ({"type": "text"}, ""),
    ],
)
def test_field_display(field: dict[str, Any], shown: str) -> None:
    assert field_display(field) == shown


def test_comment_events_describe_the_workflow() -> None:
    names = {1: "Automatic check", 2: "Manager"}
    comment = {
        "field_updates": [
            {
                "id": 3,
                "type": "multiple_choice",
                "name": "Status",
                "value": {"choice_names": ["Approved"]},
            },
            {"id": 1, "type": "text", "name": "Item"},
        ],
        "approval_choice": "approved",
        "approval_step": 1,
        "changed_step": 2,
        "approvals_added": [[{"person": {"first_name": "Mark", "last_name": "M"}, "step": 2}]],
    }
    assert comment_events(comment, names) == [
        "set Status to Approved",
        "cleared Item",
        "approved step 1 (Automatic check)",
        "asked Mark M to approve step 2 (Manager)",
        "moved the task to step 2 (Manager)",
    ]
    assert comment_events({"approval_choice": "rejected", "reset_to_step": 1}, names)[-1] == (
        "returned the task to step 1 (Automatic check)"
    )


def test_task_view_and_timeline_mark_bots_and_the_current_step() -> None:
    directory = _directory()
    task = {
        "id": 9,
        "form_id": 321,
        "current_step": 2,
        "create_date": "2026-01-31T09:00:00Z",
        "author": {"id": 1002, "first_name": "Mark", "last_name": "Manager", "type": "user"},
        "fields": [{"id": 1, "type": "text", "name": "Item", "value": "Chair"}],
        "approvals": [
            [
                {
                    "person": {"id": 2001, "first_name": "Checker", "type": "bot"},
                    "approval_choice": "approved",
                }
            ],
            [{"person": {"id": 1002, "first_name": "Mark", "type": "user"}}],
        ],
        "comments": [
            {"id": 1, "author": {"id": 1002, "first_name": "Mark"}, "text": "please"},
            {
                "id": 2,
                "author": {"id": 2001, "first_name": "Checker", "type": "bot"},
                "text": "ok",
                "approval_choice": "approved",
                "approval_step": 1,
                "changed_step": 2,
            },
        ],
    }
    view = task_view(task, directory.forms[321])
    assert view["title"] == "Chair"
    assert (view["step"], view["step_name"]) == (2, "Manager")
    assert [s["current"] for s in view["steps"]] == [False, True]
    assert view["steps"][0]["approvals"][0] == {
        "name": "Checker",
        "is_bot": True,
        "choice": "approved",
    }
    assert view["steps"][1]["approvals"][0]["choice"] == "waiting"
    entries = timeline(task, directory.forms[321])
    assert [e["is_bot"] for e in entries] == [False, True]
    assert entries[1]["events"][-1] == "moved the task to step 2 (Manager)"
