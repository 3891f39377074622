"""Smaller rules: less common spellings of values and identities, and their refusals."""

from __future__ import annotations

from typing import Any

import pytest

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.workflow.render import render_task
from pyrus_bots.server.workflow.state import Directory

from .conftest import ALICE, BOB, BOT, CAROL, ROLE, ROLE_FORM, Flow, start


@pytest.mark.parametrize(
    ("entry", "stored"),
    [
        ({"id": 2, "value": "100"}, 100),
        ({"id": 2, "value": 100.0}, 100),
        ({"id": 7, "value": 2}, {"choice_ids": [2]}),
        ({"id": 7, "value": {"choice_name": "Approved"}}, {"choice_ids": [2]}),
        ({"id": 17, "value": 2}, {"item_ids": [2]}),
        ({"id": 20, "value": BOB}, BOB),
        ({"id": 19, "value": "G-2"}, [502]),
        ({"id": 19, "value": [501]}, [501]),
        ({"id": 29, "value": 12}, {"task_ids": [12]}),
        ({"id": 29, "value": {}}, None),
        (
            {"id": 22, "value": [{"cells": [{"id": 23, "value": "a"}, {"id": 24, "value": None}]}]},
            [{"row_id": 0, "cells": {"23": "a"}}],
        ),
        (
            {
                "id": 22,
                "value": [
                    {"cells": [{"id": 23, "value": "a"}]},
                    {"row_id": 0, "cells": [{"id": 23, "value": None}]},
                ],
            },
            [{"row_id": 0, "cells": {}}],
        ),
        ({"id": 25, "value": None}, None),
        ({"id": 25, "value": {"checkmark": None}}, None),
    ],
)
def test_other_spellings(flow: Flow, entry: dict[str, Any], stored: Any) -> None:
    flow.comment(BOT, field_updates=[entry])
    assert flow.task.fields.get(entry["id"]) == stored


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        ("not an object", "invalid_value_format"),
        ({"id": 1, "code": "u_amount", "value": "x"}, "invalid_field_code"),
        # A code or name that is no text: the request model refuses it, as the API always did.
        ({"code": 5, "value": "x"}, "invalid_value_format"),
        ({"code": "u_item", "name": "Amount", "value": "x"}, "invalid_field_name"),
        ({"name": 5, "value": "x"}, "invalid_value_format"),
        ({"id": 2, "value": "NaN"}, "invalid_value_format"),
        ({"id": 2, "value": "1e400"}, "invalid_value_format"),
        ({"id": 9, "value": "2026-01-01", "duration": "long"}, "invalid_value_format"),
        ({"id": 17, "value": "CC1"}, "invalid_value_format"),
        ({"id": 17, "value": {"item_name": 5}}, "invalid_value_format"),
        ({"id": 17, "value": {"item_names": "CC1"}}, "invalid_value_format"),
        ({"id": 7, "value": {"choice_names": "New"}}, "invalid_value_format"),
        ({"id": 7, "value": {"choice_names": ["Nope"]}}, "invalid_value_format"),
        ({"id": 20, "value": "bob"}, "person_identity_missing"),
        ({"id": 20, "value": {"id": ROLE}}, "invalid_person_id"),
        ({"id": 29, "value": "12"}, "invalid_value_format"),
        ({"id": 29, "value": {"task_ids": [0]}}, "invalid_value_format"),
        ({"id": 22, "value": ["row"]}, "invalid_value_format"),
        ({"id": 22, "value": [{"cells": "x"}]}, "invalid_value_format"),
        (
            {"id": 22, "value": [{"cells": [{"id": 23, "value": "a"}, {"id": 23, "value": "b"}]}]},
            "duplicate_field",
        ),
        ({"id": 25, "value": "checked"}, "invalid_value_format"),
        ({"id": 25, "value": {"fields": "x"}}, "invalid_value_format"),
    ],
)
def test_other_refusals(flow: Flow, entry: Any, code: str) -> None:
    with pytest.raises(PyrusError) as caught:
        flow.comment(BOT, field_updates=[entry])
    assert caught.value.code == code


def test_field_updates_must_be_a_list(flow: Flow) -> None:
    with pytest.raises(PyrusError) as caught:
        flow.comment(BOT, field_updates={"id": 1, "value": "x"})
    assert caught.value.code == "invalid_value_format"


def test_non_unique_code_and_missing_catalog(directory: Directory) -> None:
    form = directory.forms[321]
    form.fields[1].code = "u_item"
    form.fields[16].catalog_id = 999
    flow = start(directory)
    for entry, code in (
        ({"code": "u_item", "value": "x"}, "non_unique_code"),
        ({"id": 17, "value": {"item_id": 1}}, "invalid_catalog_id"),
    ):
        with pytest.raises(PyrusError) as caught:
            flow.comment(BOT, field_updates=[entry])
        assert caught.value.code == code


def test_acknowledged_by_an_outsider_is_refused(flow: Flow) -> None:
    flow.comment(ALICE, participants_added=[{"id": CAROL}])
    with pytest.raises(PyrusError) as caught:
        flow.comment(CAROL, approval_choice="acknowledged")
    assert caught.value.code == "access_denied"


def test_role_approver_renders_as_a_person_of_type_role(directory: Directory) -> None:
    flow = start(directory, form_id=ROLE_FORM)
    rendered = render_task(directory, flow.task, flow.comments)
    assert rendered["approvals"][0][0]["person"] == {
        "id": ROLE,
        "first_name": "Managers",
        "type": "role",
    }
    assert rendered["comments"][0]["approvals_added"][0][0]["person"]["type"] == "role"


def test_unknown_people_and_files_keep_their_ids(directory: Directory, flow: Flow) -> None:
    flow.comment(BOT, field_updates=[{"id": 19, "value": ["G-1"]}], reassign_to={"id": BOB})
    del directory.people[BOB]
    del directory.files_by_id[501]
    rendered = render_task(directory, flow.task, flow.comments)
    assert rendered["responsible"] == {"id": BOB}
    quote = next(f for f in rendered["fields"] if f["id"] == 19)
    assert "value" not in quote
