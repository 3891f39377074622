"""Pyrus JSON: empty keys omitted at every depth, Pyrus spellings of dates and times."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
import pytest

from pyrus_bots.protocol import PersonIdentity
from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.pyrus_json import (
    dumps,
    format_date,
    format_datetime,
    format_time,
    loads,
    omit_empty,
    parse_date,
    parse_datetime,
    parse_filter_date,
    parse_microsoft_date,
    parse_time,
    to_jsonable,
)


def test_omit_empty_drops_empties_at_every_depth_and_keeps_zero_and_false() -> None:
    data: dict[str, Any] = {
        "a": None,
        "b": "",
        "c": [],
        "d": {},
        "zero": 0,
        "no": False,
        "float_zero": 0.0,
        "nested": {"x": None, "y": {"z": ""}, "keep": 1},
        "list": [{"p": None, "q": 2}, [], {}, None, ""],
        "vanishes": {"only": {"empty": []}},
    }
    assert omit_empty(data) == {
        "zero": 0,
        "no": False,
        "float_zero": 0.0,
        "nested": {"keep": 1},
        # List items keep their place: an empty inner list of approvals_added is a step.
        "list": [{"q": 2}, [], {}, None, ""],
    }


def test_omit_empty_does_not_touch_the_input() -> None:
    data = {"a": {"b": None}}
    omit_empty(data)
    assert data == {"a": {"b": None}}


class Color(enum.Enum):
    RED = "red"


def test_dumps_spells_values_the_pyrus_way() -> None:
    moscow = timezone(timedelta(hours=3))
    payload = {
        "naive": datetime(2024, 1, 10, 9, 0, 5, 123456),
        "aware": datetime(2024, 1, 10, 12, 0, 5, tzinfo=moscow),
        "day": date(2024, 2, 1),
        "at": time(14, 30, 59),
        "money": Decimal("1365.27"),
        "big": Decimal("12345678901234567890.123456789"),
        "color": Color.RED,
        "person": PersonIdentity(id=7),
        "empty": None,
        "tuple": (1, 2),
    }
    assert orjson.loads(dumps(payload)) == {
        "naive": "2024-01-10T09:00:05Z",
        "aware": "2024-01-10T09:00:05Z",
        "day": "2024-02-01",
        "at": "14:30",
        "money": 1365.27,
        "big": 12345678901234567890.123456789,
        "color": "red",
        "person": {"id": 7},
        "tuple": [1, 2],
    }
    # Decimal digits reach the wire exactly, not through a float.
    assert b'"big":12345678901234567890.123456789' in dumps(payload)


def test_to_jsonable_returns_plain_data() -> None:
    assert to_jsonable({"m": Decimal("2.50"), "n": Decimal("3"), "d": date(2024, 1, 2)}) == {
        "m": 2.5,
        "n": 3,
        "d": "2024-01-02",
    }


def test_dumps_refuses_non_finite_decimals() -> None:
    with pytest.raises(ValueError):
        dumps({"x": Decimal("NaN")})


def test_loads_accepts_bytes_and_str_and_rejects_garbage() -> None:
    assert loads(b'{"a": 1}') == {"a": 1}
    assert loads('{"a": [1, 2]}') == {"a": [1, 2]}
    with pytest.raises(ValueError):
        loads(b"{not json")


def test_datetime_format_and_parse() -> None:
    assert format_datetime(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05Z"
    assert (
        format_datetime(datetime(2024, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=5))))
        == "2023-12-31T20:00:00Z"
    )
    parsed = parse_datetime("2024-01-02T03:04:05Z")
    assert parsed == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)
    assert parse_datetime("2024-01-02T06:04:05.250+03:00") == datetime(
        2024, 1, 2, 3, 4, 5, 250000, tzinfo=UTC
    )
    assert parse_datetime("2024-01-02T03:04:05").tzinfo is not None
    with pytest.raises(ValueError):
        parse_datetime("yesterday")


def test_date_and_time_format_and_parse() -> None:
    assert format_date(date(2024, 3, 9)) == "2024-03-09"
    assert format_date(datetime(2024, 3, 9, 23, 30, tzinfo=timezone(timedelta(hours=-2)))) == (
        "2024-03-10"
    )
    assert parse_date("2024-03-09") == date(2024, 3, 9)
    assert format_time(time(7, 5, 59)) == "07:05"
    assert parse_time("07:05") == time(7, 5)
    assert parse_time("07:05:30") == time(7, 5, 30)
    with pytest.raises(ValueError):
        parse_date("09.03.2024")
    with pytest.raises(ValueError):
        parse_time("7h")


def test_filter_dates_in_every_client_spelling() -> None:
    new_year = datetime(2020, 1, 1, tzinfo=UTC)
    for text in (
        "2020-01-01T00:00:00Z",  # Python, TypeScript, C# register
        "2020-01-01T03:00:00+03:00",
        "/Date(1577836800000)/",  # C# (Newtonsoft), UTC
        " /Date(1577836800000+0300)/ ",  # the offset says where the sender is
    ):
        assert parse_filter_date(text, "created_after") == new_year
    assert parse_filter_date("", "created_after") is None
    assert parse_filter_date(None, "created_after") is None
    local = parse_microsoft_date("/Date(1577826000000+0300)/")
    assert local is not None and local.date() == date(2020, 1, 1)  # the sender's day
    assert parse_microsoft_date("/Date(-1000-0130)/") == datetime(
        1969, 12, 31, 23, 59, 59, tzinfo=UTC
    )
    for bad in (
        "/Date(x)/",
        "/Date(1+03)/",
        "/Date(1+2400)/",
        "/Date(1234567890123456)/",
        "soon",
        5,
    ):
        with pytest.raises(PyrusError) as raised:
            parse_filter_date(bad, "created_after")
        assert (
            raised.value.code == "invalid_value_format" and "created_after" in raised.value.message
        )
