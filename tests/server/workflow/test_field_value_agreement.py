"""The SDK's check of a field value (``bot.fields``) and the platform's (``workflow.values``)
agree on every field type: both apply ``protocol.field_values``.

Each case feeds one JSON value to both sides. Most cases must come out the same; the others name
why they differ, in one of three ways:

- ``SERVER_MORE``: the platform reads the value leniently (as Pyrus does), the SDK asks the bot
  author for the strict spelling;
- ``SDK_CONVENIENCE``: the SDK turns a Python shorthand into a wire value (the raw shorthand is
  not a wire value, the platform refuses it); the converted value is accepted;
- ``DIRECTORY``: only the platform knows the organisation (catalog items, people, files, table
  columns and title children of the form).

Whenever the SDK accepts a value, the platform accepts what the SDK sends; and a value read from
a task (``FormField.typed_value``) is written back by the SDK to the same stored value.
"""

from __future__ import annotations

from typing import Any

import pytest

from pyrus_bots.bot.fields import FieldIndex, FieldValueError
from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.field_values import FIELD_TYPES
from pyrus_bots.protocol.models.task import TaskWithComments
from pyrus_bots.server.workflow.render import render_form, render_task
from pyrus_bots.server.workflow.state import Directory

from .conftest import BOB, BOT, FORM, start

SAME = "same"
SERVER_MORE = "server accepts more"
SDK_CONVENIENCE = "SDK shorthand"
DIRECTORY = "needs the directory"
COMPUTED = "computed field"

# (field id, value, sdk accepts, server accepts, why they may differ)
CASES: list[tuple[int, Any, bool, bool, str]] = [
    (1, "Laptop", True, True, SAME),
    (1, 5, False, False, SAME),
    (1, "", True, True, SAME),
    (1, None, True, True, SAME),
    (2, 1365.27, True, True, SAME),
    (2, 1.234, False, False, SAME),  # money keeps cents
    (2, True, False, False, SAME),
    (2, "12.5", False, True, SERVER_MORE),  # a number written as a string
    (3, 2.25, True, True, SAME),
    (3, 2.125, False, False, SAME),  # the template allows 2 decimal places
    (4, "2026-04-01", True, True, SAME),
    (4, "01.04.2026", False, False, SAME),
    (4, "2026-02-30", False, False, SAME),
    (4, " 2026-04-01 ", False, True, SERVER_MORE),  # blanks around a date
    (5, "09:30", True, True, SAME),
    (5, "25:00", False, False, SAME),
    (5, "09:30:59", False, True, SERVER_MORE),  # seconds are dropped
    (6, "checked", True, True, SAME),
    (6, True, True, True, SAME),
    (6, "yes", False, False, SAME),
    (6, "CHECKED", False, True, SERVER_MORE),  # any case
    (7, {"choice_id": 2}, True, True, SAME),
    (7, {"choice_ids": [1]}, True, True, SAME),
    (7, 2, True, True, SAME),
    (7, {"choice_ids": [1, 2]}, False, False, SAME),  # a single-choice field
    (7, {"choice_id": 3}, False, False, SAME),  # a deleted option
    (7, {"choice_id": 99}, False, False, SAME),
    (7, {"choice_ids": ["a"]}, False, False, SAME),
    (7, "New", True, False, SDK_CONVENIENCE),  # a choice by its text
    (7, {"choice_names": ["new"]}, False, True, SERVER_MORE),  # choice_names on write
    (8, {"choice_ids": [11, 12]}, True, True, SAME),
    (9, "2026-04-02", True, True, SAME),
    (9, "2026-04-02T10:00:00Z", False, False, SAME),
    (10, "buyer@acme.test", True, True, SAME),
    (10, "nope", False, True, SERVER_MORE),  # the SDK wants an @ in an e-mail field
    (11, "+1 555 0100", True, True, SAME),
    (12, "none", True, True, SAME),
    (12, None, True, True, SAME),  # SDK: "none"; platform: cleared
    (12, "maybe", False, False, SAME),
    (13, 5, False, True, COMPUTED),  # the platform ignores echoed computed fields
    (14, "closed", False, True, COMPUTED),
    (17, {"item_id": 1}, True, True, SAME),
    (17, {"item_name": "CC2"}, True, True, SAME),
    (17, 1, True, True, SDK_CONVENIENCE),  # the SDK sends {"item_id": 1}
    (17, "CC2", True, False, SDK_CONVENIENCE),  # the SDK sends {"item_name": "CC2"}
    (17, {"item_ids": [1, 2]}, False, False, SAME),  # a single-item field
    (17, {"item_ids": ["x"]}, False, False, SAME),
    (17, {"item_id": 99}, True, False, DIRECTORY),
    (17, {"item_name": "CC9"}, True, False, DIRECTORY),
    (18, {"item_ids": [1, 2]}, True, True, SAME),
    (18, [1, 2], True, False, SDK_CONVENIENCE),
    (19, ["G-1"], True, True, SAME),
    (19, [{"attachment_id": 502}], True, True, SAME),
    (19, [{"guid": "G-2"}], True, True, SAME),
    (19, ["G-404"], True, False, DIRECTORY),
    (19, [{"url": "https://x.test/a.pdf", "name": "a.pdf"}], True, False, DIRECTORY),  # no fetch
    (19, [{"id": 502}], False, True, SERVER_MORE),  # a File echoed back
    (19, [True], False, False, SAME),
    (20, {"id": BOB}, True, True, SAME),
    (20, {"email": "bob@acme.test"}, True, True, SAME),
    (20, BOB, True, True, SAME),
    (20, {"name": "Bob"}, False, False, SAME),
    (20, "bob@acme.test", True, False, SDK_CONVENIENCE),
    (20, {"id": 5555}, True, False, DIRECTORY),
    (22, [{"cells": [{"id": 23, "value": "Mouse"}]}], True, True, SAME),
    (22, {"row_id": 0}, False, False, SAME),
    (22, [{"row_id": -1, "cells": []}], False, False, SAME),
    (22, [{"cells": "x"}], False, False, SAME),
    (22, [{"cells": [{"id": 1, "value": "x"}]}], True, False, DIRECTORY),  # not a column
    (22, [{"row_id": 5, "delete": True}], True, False, DIRECTORY),  # no such row yet
    (25, {"checkmark": "checked"}, True, True, SAME),
    (25, {"checkmark": "on"}, False, False, SAME),
    (25, True, True, False, SDK_CONVENIENCE),
    (25, {"fields": [{"id": 1, "value": "x"}]}, True, False, DIRECTORY),  # not a child
    (29, {"task_ids": [3, 4]}, True, True, SAME),
    (29, {"task_id": 5}, True, True, SAME),
    (29, 5, True, True, SAME),
    (29, {"task_ids": ["a"]}, False, False, SAME),
    (29, {"task_ids": [0]}, False, False, SAME),
    (29, [5, 6], True, False, SDK_CONVENIENCE),
    (30, "2026-04-01T10:00:00Z", True, True, SAME),
    (30, "2026-04-01", False, False, SAME),
    (30, "2026-04-01T12:00:00+02:00", False, True, SERVER_MORE),  # an offset, stored in UTC
]


def sdk_index(directory: Directory) -> FieldIndex:
    """What the SDK knows of the form: the template (options, multi-select, decimal places)."""
    return FieldIndex(render_form(directory, directory.forms[FORM])["fields"])


def sdk_update(directory: Directory, field_id: int, value: Any) -> dict[str, Any] | None:
    try:
        return sdk_index(directory).update(field_id, value)
    except FieldValueError:
        return None


def server_accepts(directory: Directory, entry: dict[str, Any]) -> bool:
    flow = start(directory)
    try:
        flow.comment(BOT, field_updates=[entry])
    except PyrusError:
        return False
    return True


@pytest.mark.parametrize(("field_id", "value", "sdk_ok", "server_ok", "why"), CASES)
def test_sdk_and_platform_agree(
    directory: Directory, field_id: int, value: Any, sdk_ok: bool, server_ok: bool, why: str
) -> None:
    sent = sdk_update(directory, field_id, value)
    assert (sent is not None, server_accepts(directory, {"id": field_id, "value": value})) == (
        sdk_ok,
        server_ok,
    )
    assert (why == SAME) == (sdk_ok == server_ok) or why == SDK_CONVENIENCE
    if sent is not None and why != DIRECTORY:
        assert server_accepts(directory, sent), sent


def test_every_field_type_has_a_case(directory: Directory) -> None:
    form = directory.forms[FORM]
    ids = {case[0] for case in CASES}
    covered = {f.type for f in form.fields if f.id in ids}
    read_only = {"status", "step", "note", "author", "project", "creation_date"}
    assert covered | read_only == FIELD_TYPES


WRITTEN = [case for case in CASES if case[4] == SAME and case[2] and case[3]]


@pytest.mark.parametrize(("field_id", "value"), [case[:2] for case in WRITTEN])
def test_a_value_read_from_the_task_is_written_back_unchanged(
    directory: Directory, field_id: int, value: Any
) -> None:
    """platform stores -> render -> protocol model reads a typed value -> SDK writes it ->
    platform stores the same."""
    flow = start(directory)
    flow.comment(BOT, field_updates=[{"id": field_id, "value": value}])
    stored = flow.task.fields.get(field_id)
    if stored is None:
        return  # a value that clears the field: nothing to read
    read = TaskWithComments.from_pyrus(render_task(directory, flow.task, flow.comments))
    field = read.field(field_id)
    assert field is not None
    flow.comment(BOT, field_updates=[sdk_index(directory).update(field_id, field.typed_value())])
    assert flow.task.fields.get(field_id) == stored
