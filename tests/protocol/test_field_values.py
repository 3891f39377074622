"""The write rule of every field type: canonical values and refusals with Pyrus's error codes.

Whether the SDK and the platform apply these rules alike is tested in
``tests/server/workflow/test_field_value_agreement.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from pyrus_bots.protocol.field_values import (
    FIELD_TYPES,
    READ_ONLY_TYPES,
    WRITE_RULES,
    WireValueError,
    clears,
    wire_duration,
    wire_number,
    wire_value,
)
from pyrus_bots.protocol.models.enums import FieldType


def test_every_type_is_writable_or_read_only() -> None:
    assert set(WRITE_RULES) | READ_ONLY_TYPES == FIELD_TYPES == {t.value for t in FieldType}
    assert not set(WRITE_RULES) & READ_ONLY_TYPES


CANONICAL: list[tuple[str, Any, Any]] = [
    ("text", "x", "x"),
    ("number", "12.50", 12.5),
    ("number", 3.0, 3),
    ("money", 7, 7),
    ("date", " 2026-04-01 ", "2026-04-01"),
    ("due_date_time", "2026-04-01T12:00:00+02:00", "2026-04-01T10:00:00Z"),
    ("time", "09:30:59", "09:30"),
    ("checkmark", True, "checked"),
    ("flag", " None ", "none"),
    ("multiple_choice", 2, {"choice_ids": [2]}),
    ("multiple_choice", {"choice_ids": [2, 2, 1]}, {"choice_ids": [2, 1]}),
    ("multiple_choice", {"choice_name": "New"}, {"choice_names": ["New"]}),
    ("multiple_choice", {"fields": []}, {"choice_ids": []}),
    ("catalog", 5, {"item_ids": [5], "item_names": []}),
    ("catalog", {"item_id": 5, "item_name": "A"}, {"item_ids": [5], "item_names": ["A"]}),
    ("person", 5, {"id": 5}),
    ("person", {"email": "a@b.c", "x": 1}, {"email": "a@b.c"}),
    ("file", "g", [{"guid": "g"}]),
    ("file", [4, {"id": 5}], [{"attachment_id": 4}, {"attachment_id": 5}]),
    ("file", {"url": "u", "name": "n"}, [{"url": "u", "name": "n"}]),
    ("form_link", {"task_id": 3}, {"task_ids": [3]}),
    ("table", [], []),
    ("title", {"checkmark": "Checked"}, {"checkmark": "checked"}),
]


@pytest.mark.parametrize(("kind", "value", "canonical"), CANONICAL)
def test_canonical_values(kind: str, value: Any, canonical: Any) -> None:
    assert wire_value(kind, value) == canonical


REFUSED: list[tuple[str, Any, str]] = [
    ("text", 5, "invalid_value_format"),
    ("number", True, "invalid_value_format"),
    ("number", "NaN", "invalid_value_format"),
    ("money", "1e400", "invalid_value_format"),
    ("date", "2026-02-30", "invalid_value_format"),
    ("due_date_time", "2026-04-01", "invalid_value_format"),
    ("time", "24:00", "invalid_value_format"),
    ("checkmark", "none", "invalid_value_format"),
    ("multiple_choice", "New", "invalid_value_format"),
    ("multiple_choice", {"choice_ids": [True]}, "invalid_value_format"),
    ("catalog", {"item_names": "A"}, "invalid_value_format"),
    ("person", {"id": "5"}, "invalid_person_id"),
    ("person", {"email": 5}, "invalid_email"),
    ("person", "a@b.c", "person_identity_missing"),
    ("file", [{"name": "n"}], "unrecognized_attachment_id"),
    ("form_link", {"task_ids": [-1]}, "invalid_value_format"),
    ("table", [{"row_id": "0"}], "invalid_table_row"),
    ("table", [{"cells": {}}], "invalid_value_format"),
    ("title", {"checkmark": "on"}, "invalid_value_format"),
    ("step", 1, "type_is_not_supported"),
]


@pytest.mark.parametrize(("kind", "value", "code"), REFUSED)
def test_refused_values(kind: str, value: Any, code: str) -> None:
    with pytest.raises(WireValueError) as caught:
        wire_value(kind, value)
    assert caught.value.code == code


def test_clearing_duration_and_decimal_places() -> None:
    assert clears("text", "") and clears("file", []) and not clears("table", [])
    assert wire_value("date", None) is None
    assert wire_duration({"duration": "140"}) == 140
    assert wire_duration({}) is None
    with pytest.raises(WireValueError, match="negative") as caught:
        wire_duration({"duration": -1})
    assert caught.value.code == "negative_duration"
    assert wire_number("1.20", "money") == 1.2
    assert wire_number(1.2345) == 1.2345
    with pytest.raises(WireValueError) as caught:
        wire_number(1.234, "money")
    assert caught.value.code == "too_many_decimal_places"
    with pytest.raises(WireValueError):
        wire_number(1.5, "number", 0)
    assert wire_number(3, "number", 0) == 3
