"""Every field type: write format -> stored format -> read format, and the write errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import parse_comment_request as comment_request
from pyrus_bots.protocol.models.requests import parse_create_task_request as task_request
from pyrus_bots.server.workflow.render import render_task
from pyrus_bots.server.workflow.state import Directory
from pyrus_bots.server.workflow.values import FIELD_TYPES, is_empty

from .conftest import ALICE, BOB, BOT, CAROL, Flow, start


def rendered_fields(flow: Flow) -> dict[int, dict[str, Any]]:
    task = render_task(flow.directory, flow.task, flow.comments)
    out = {f["id"]: f for f in task["fields"]}
    for f in task["fields"]:
        if f["type"] == "title":
            out.update({c["id"]: c for c in f["value"]["fields"]})
    return out


def write(flow: Flow, entry: dict[str, Any], author: int = BOT) -> None:
    flow.comment(author, field_updates=[entry])


# (field id, written value, stored value, read value)
ROUND_TRIPS: list[tuple[int, Any, Any, Any]] = [
    (1, "Laptop", "Laptop", "Laptop"),
    (2, 1365.27, 1365.27, 1365.27),
    (2, "12.5", 12.5, 12.5),
    (3, 7, 7, 7),
    (4, "2026-04-01", "2026-04-01", "2026-04-01"),
    (5, "09:30", "09:30", "09:30"),
    (5, "09:30:59", "09:30", "09:30"),
    (6, "checked", "checked", "checked"),
    (6, True, "checked", "checked"),
    (
        7,
        {"choice_id": 2},
        {"choice_ids": [2]},
        {"choice_ids": [2], "choice_names": ["Approved"], "choice_id": 2},
    ),
    (
        7,
        {"choice_names": ["new"]},
        {"choice_ids": [1]},
        {"choice_ids": [1], "choice_names": ["New"], "choice_id": 1},
    ),
    (
        8,
        {"choice_ids": [11, 12]},
        {"choice_ids": [11, 12]},
        {"choice_ids": [11, 12], "choice_names": ["Office", "IT"], "choice_id": 11},
    ),
    (10, "buyer@acme.test", "buyer@acme.test", "buyer@acme.test"),
    (11, "+1 555 0100", "+1 555 0100", "+1 555 0100"),
    (12, "none", "none", "none"),
    (
        17,
        {"item_id": 1},
        {"item_ids": [1]},
        {
            "item_id": 1,
            "item_ids": [1],
            "headers": ["Code", "Name"],
            "values": ["CC1", "Marketing"],
            "rows": [["CC1", "Marketing"]],
            "item_names": ["CC1"],
        },
    ),
    (17, {"item_name": "CC2"}, {"item_ids": [2]}, None),
    (18, {"item_names": ["CC1", "cc2"]}, {"item_ids": [1, 2]}, None),
    (18, {"item_ids": [2, 1]}, {"item_ids": [2, 1]}, None),
    (19, ["G-1", {"guid": "G-2"}], [501, 502], None),
    (19, [{"attachment_id": 502}], [502], None),
    (20, {"id": BOB}, BOB, None),
    (20, {"email": "CAROL@acme.test"}, CAROL, None),
    (29, {"task_ids": [3, 4]}, {"task_ids": [3, 4]}, {"task_ids": [3, 4], "task_id": 3}),
    (29, {"task_id": 5}, {"task_ids": [5]}, {"task_ids": [5], "task_id": 5}),
    (30, "2026-04-01T10:00:00Z", {"datetime": "2026-04-01T10:00:00Z"}, "2026-04-01T10:00:00Z"),
    (30, "2026-04-01T12:00:00+02:00", {"datetime": "2026-04-01T10:00:00Z"}, None),
    (26, "Main street 1", "Main street 1", "Main street 1"),
]


@pytest.mark.parametrize(("field_id", "written", "stored", "read"), ROUND_TRIPS)
def test_write_store_read(flow: Flow, field_id: int, written: Any, stored: Any, read: Any) -> None:
    write(flow, {"id": field_id, "value": written})
    assert flow.task.fields[field_id] == stored
    assert json.loads(json.dumps(flow.task.fields[field_id])) == stored  # JSON column safe
    value = rendered_fields(flow)[field_id]["value"]
    if read is not None:
        assert value == read
    assert flow.comments[-1].body["field_updates"] == [{"id": field_id, "value": stored}]


def test_person_and_file_read_as_entities(flow: Flow) -> None:
    write(flow, {"id": 20, "value": {"id": BOB}})
    write(flow, {"id": 19, "value": ["G-1"]})
    fields = rendered_fields(flow)
    assert fields[20]["value"]["email"] == "bob@acme.test"
    assert fields[20]["value"]["type"] == "user"
    assert fields[19]["value"] == [
        {"id": 501, "name": "quote.pdf", "size": 10, "md5": "aa", "version": 1}
    ]


def test_due_date_keeps_duration_as_sibling(flow: Flow) -> None:
    write(flow, {"id": 9, "value": "2026-04-02", "duration": "140"})
    assert flow.task.fields[9] == {"date": "2026-04-02", "duration": 140}
    field = rendered_fields(flow)[9]
    assert field["value"] == "2026-04-02"
    assert field["duration"] == 140


def test_computed_types_read_from_task(flow: Flow) -> None:
    fields = rendered_fields(flow)
    assert fields[13]["value"] == 1
    assert fields[14]["value"] == "open"
    assert fields[15]["value"] == "2026-03-01"
    assert fields[16]["value"] == "Fill everything in"
    assert fields[21]["value"]["id"] == ALICE
    assert "value" not in fields[28]


@pytest.mark.parametrize("field_id", [13, 14, 15, 16, 21, 28])
def test_read_only_types_are_ignored_with_or_without_value(flow: Flow, field_id: int) -> None:
    flow.comment(BOT, text="x", field_updates=[{"id": field_id}])
    flow.comment(BOT, text="y", field_updates=[{"id": field_id, "value": "anything"}])
    assert field_id not in flow.task.fields
    assert "field_updates" not in flow.comments[-1].body


def test_every_type_is_listed_once_and_empty_fields_have_no_value(flow: Flow) -> None:
    task = render_task(flow.directory, flow.task, flow.comments)
    types = {f["type"] for f in task["fields"]}
    assert types == FIELD_TYPES
    by_id = {f["id"]: f for f in task["fields"]}
    assert "value" not in by_id[3]
    assert "value" not in by_id[22]
    assert by_id[1] == {"id": 1, "type": "text", "name": "Item", "code": "u_item"}
    # title children only inside the title, each with parent_id
    assert 26 not in by_id
    children = by_id[25]["value"]["fields"]
    assert [c["id"] for c in children] == [26, 27]
    assert all(c["parent_id"] == 25 for c in children)


def test_null_and_empty_clear_a_field(flow: Flow) -> None:
    write(flow, {"id": 1, "value": "x"})
    write(flow, {"id": 1, "value": None})
    assert 1 not in flow.task.fields
    write(flow, {"id": 17, "value": {"item_id": 1}})
    write(flow, {"id": 17, "value": {"item_ids": []}})
    assert 17 not in flow.task.fields
    assert flow.comments[-1].body["field_updates"] == [{"id": 17, "value": None}]


def test_addressing_by_code_and_name(flow: Flow) -> None:
    flow.comment(
        BOT,
        field_updates=[
            {"code": "u_amount", "value": 10},
            {"name": "  quantity ", "value": 2.5},
            {"id": 7, "name": "Status", "value": {"choice_id": 1}},
        ],
    )
    assert flow.task.fields[2] == 10
    assert flow.task.fields[3] == 2.5
    assert flow.task.fields[7] == {"choice_ids": [1]}


ERRORS: list[tuple[dict[str, Any], str]] = [
    ({"id": 999, "value": "x"}, "invalid_field_id"),
    ({"id": "1", "value": "x"}, "invalid_value_format"),  # the request model: ids are ints
    ({"name": "Nope", "value": "x"}, "invalid_field_name"),
    ({"id": 1, "name": "Amount", "value": "x"}, "invalid_field_id_name"),
    ({"code": "u_nope", "value": "x"}, "invalid_field_code"),
    ({"value": "x"}, "field_identity_missing"),
    ({"id": 23, "value": "x"}, "field_is_in_table"),
    ({"name": "Line amount", "value": 1}, "field_is_in_table"),
    ({"id": 1, "value": 5}, "invalid_value_format"),
    ({"id": 2, "value": "ten"}, "invalid_value_format"),
    ({"id": 2, "value": True}, "invalid_value_format"),
    ({"id": 2, "value": 1.234}, "too_many_decimal_places"),
    ({"id": 3, "value": "1.001"}, "too_many_decimal_places"),
    ({"id": 4, "value": "01.04.2026"}, "invalid_value_format"),
    ({"id": 4, "value": "2026-02-30"}, "invalid_value_format"),
    ({"id": 5, "value": "25:00"}, "invalid_value_format"),
    ({"id": 6, "value": "yes"}, "invalid_value_format"),
    ({"id": 12, "value": "maybe"}, "invalid_value_format"),
    ({"id": 7, "value": {"choice_ids": [1, 2]}}, "field_cannot_have_multiple_values"),
    ({"id": 7, "value": {"choice_id": 3}}, "invalid_value_format"),
    ({"id": 7, "value": {"choice_id": 99}}, "invalid_value_format"),
    ({"id": 7, "value": "New"}, "invalid_value_format"),
    ({"id": 9, "value": "2026-04-01", "duration": -5}, "negative_duration"),
    ({"id": 17, "value": {"item_ids": [1, 2]}}, "field_cannot_have_multiple_values"),
    ({"id": 17, "value": {"item_names": ["CC1", "CC2"]}}, "field_cannot_have_multiple_values"),
    ({"id": 17, "value": {"item_id": 99}}, "invalid_catalog_item_id"),
    ({"id": 17, "value": {"item_id": 3}}, "invalid_catalog_item_id"),
    ({"id": 17, "value": {"item_name": "CC9"}}, "invalid_catalog_item_name"),
    ({"id": 17, "value": {"item_id": 1, "item_name": "CC2"}}, "catalog_item_id_name_mismatch"),
    ({"id": 19, "value": ["G-404"]}, "unrecognized_attachment_id"),
    ({"id": 20, "value": {"id": 5555}}, "invalid_person_id"),
    ({"id": 20, "value": {"email": "nobody@acme.test"}}, "invalid_email"),
    ({"id": 20, "value": {"name": "Bob"}}, "person_identity_missing"),
    ({"id": 29, "value": {"task_ids": ["a"]}}, "invalid_value_format"),
    ({"id": 30, "value": "2026-04-01"}, "invalid_value_format"),
    ({"id": 22, "value": {"row_id": 0}}, "invalid_value_format"),
    ({"id": 22, "value": [{"row_id": 5, "delete": True}]}, "invalid_table_row"),
    ({"id": 22, "value": [{"row_id": -1, "cells": []}]}, "invalid_table_row"),
    ({"id": 22, "value": [{"cells": [{"id": 1, "value": "x"}]}]}, "invalid_field_id"),
    ({"id": 22, "value": [{"cells": [{"id": 23, "value": 1}]}]}, "invalid_value_format"),
    ({"id": 25, "value": {"fields": [{"id": 1, "value": "x"}]}}, "invalid_field_id"),
    ({"id": 25, "value": {"checkmark": "on"}}, "invalid_value_format"),
]


@pytest.mark.parametrize(("entry", "code"), ERRORS)
def test_write_errors(flow: Flow, entry: dict[str, Any], code: str) -> None:
    before = flow.task
    with pytest.raises(PyrusError) as caught:
        write(flow, entry)
    assert caught.value.code == code
    assert flow.task is before


def test_duplicate_field_in_one_request(flow: Flow) -> None:
    with pytest.raises(PyrusError) as caught:
        flow.comment(BOT, field_updates=[{"id": 1, "value": "a"}, {"code": "u_item", "value": "b"}])
    assert caught.value.code == "duplicate_field"
    with pytest.raises(PyrusError) as caught:
        flow.comment(
            BOT,
            field_updates=[
                {"id": 26, "value": "a"},
                {"id": 25, "value": {"fields": [{"id": 26, "value": "b"}]}},
            ],
        )
    assert caught.value.code == "duplicate_field"


def test_non_unique_name_and_catalog_name(directory: Directory) -> None:
    form = directory.forms[321]
    form.fields[2].name = "Amount"  # now two fields are named Amount
    flow = start(directory)
    with pytest.raises(PyrusError) as caught:
        flow.comment(BOT, field_updates=[{"name": "Amount", "value": 1}])
    assert caught.value.code == "non_unique_name"
    directory.catalogs[4001].items[1].values[0] = "CC1"
    with pytest.raises(PyrusError) as caught:
        flow.comment(BOT, field_updates=[{"id": 17, "value": {"item_name": "CC1"}}])
    assert caught.value.code == "non_unique_catalog_item_name"


def test_table_rows_add_change_delete(flow: Flow) -> None:
    write(
        flow,
        {
            "code": "u_lines",
            "value": [
                {"cells": [{"id": 23, "value": "Mouse"}, {"id": 24, "value": 20}]},
                {"cells": [{"name": "Line item", "value": "Pad"}]},
            ],
        },
    )
    assert flow.task.fields[22] == [
        {"row_id": 0, "cells": {"23": "Mouse", "24": 20}},
        {"row_id": 1, "cells": {"23": "Pad"}},
    ]
    write(
        flow,
        {
            "id": 22,
            "value": [
                {"row_id": 1, "cells": [{"id": 24, "value": 5}]},
                {"row_id": 0, "delete": True},
                {"row_id": 7, "cells": [{"id": 23, "value": "Cable"}]},
                {"cells": [{"id": 23, "value": "Stand"}]},
            ],
        },
    )
    assert flow.task.fields[22] == [
        {"row_id": 1, "cells": {"23": "Pad", "24": 5}},
        {"row_id": 7, "cells": {"23": "Cable"}},
        {"row_id": 8, "cells": {"23": "Stand"}},
    ]
    rows = rendered_fields(flow)[22]["value"]
    assert [r["row_id"] for r in rows] == [1, 7, 8]
    cells = rows[0]["cells"]
    assert cells[0] == {
        "id": 23,
        "type": "text",
        "name": "Line item",
        "parent_id": 22,
        "row_id": 1,
        "value": "Pad",
    }
    assert cells[1]["value"] == 5
    assert "value" not in rows[1]["cells"][1]  # empty cell listed without a value
    write(flow, {"id": 22, "value": None})
    assert 22 not in flow.task.fields


def test_title_checkmark_and_children(flow: Flow) -> None:
    write(
        flow,
        {
            "id": 25,
            "value": {
                "checkmark": "checked",
                "fields": [
                    {"code": "u_address", "value": "Main st"},
                    {"id": 27, "value": "2026-05-01"},
                ],
            },
        },
    )
    assert flow.task.fields[25] == {"checkmark": "checked"}
    assert flow.task.fields[26] == "Main st"
    assert flow.task.fields[27] == "2026-05-01"
    title = rendered_fields(flow)[25]
    assert title["value"]["checkmark"] == "checked"
    assert [c.get("value") for c in title["value"]["fields"]] == ["Main st", "2026-05-01"]
    updates = {u["id"]: u for u in flow.comments[-1].body["field_updates"]}
    assert set(updates) == {25, 26, 27}


def test_is_empty() -> None:
    empty: Any
    for empty in (None, "", [], {}, {"item_ids": []}, {"choice_ids": []}):
        assert is_empty(empty)
    for full in (0, "unchecked", [0], {"item_ids": [1]}, {"date": "2026-01-01"}):
        assert not is_empty(full)


def test_immutable_step_binds_all_but_form_managers(flow: Flow) -> None:
    write(flow, {"id": 31, "value": "draft"})  # step 1: anyone
    flow.comment(BOT, approval_choice="approved")
    assert flow.task.current_step == 2
    with pytest.raises(PyrusError) as caught:
        write(flow, {"id": 31, "value": "late"}, author=BOT)
    assert caught.value.code == "field_editing_is_not_allowed"
    write(flow, {"id": 31, "value": "by manager"}, author=ALICE)
    assert flow.task.fields[31] == "by manager"


def test_field_updates_on_simple_task(directory: Directory) -> None:
    from pyrus_bots.server.workflow import engine

    applied = engine.create_task(
        directory, directory.people[ALICE], task_request({"text": "hi"}), flow_t0(), 9
    )
    with pytest.raises(PyrusError) as caught:
        engine.apply_comment(
            directory,
            applied.task,
            directory.people[ALICE],
            comment_request({"field_updates": [{"id": 1, "value": "x"}]}),
            flow_t0(),
        )
    assert caught.value.code == "task_has_no_form"


def flow_t0() -> Any:
    from .conftest import T0

    return T0
