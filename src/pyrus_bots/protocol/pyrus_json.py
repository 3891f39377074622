"""Pyrus JSON: how Pyrus spells values on the wire, and the rule that empty keys are omitted.

Pyrus never returns a key whose value is empty (``null``, ``""``, ``[]``, ``{}``), and the
official Python client crashes on ``null`` where it expects a value, so everything we emit goes
through :func:`omit_empty`. ``0`` and ``false`` are values, not empties. Date-times are UTC as
``YYYY-MM-DDThh:mm:ssZ`` without a fraction, dates ``YYYY-MM-DD``, times ``HH:MM``.

Filter values (register, list tasks, calendar) are read more widely, because the official clients
spell dates differently: :func:`parse_filter_date` also takes any ISO 8601 form and Newtonsoft's
``/Date(ms)/`` (the C# client; ``"\\/Date(ms)\\/"`` in the JSON text).
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
from pydantic import BaseModel

from pyrus_bots.protocol.errors import PyrusError

__all__ = [
    "dumps",
    "format_date",
    "format_datetime",
    "format_time",
    "is_empty",
    "loads",
    "omit_empty",
    "parse_date",
    "parse_datetime",
    "parse_filter_date",
    "parse_microsoft_date",
    "parse_time",
    "to_jsonable",
]


def is_empty(value: Any) -> bool:
    """Whether Pyrus would leave out a key holding ``value`` (``0`` and ``False`` are kept)."""
    if value is None:
        return True
    if isinstance(value, str | list | dict | tuple):
        return len(value) == 0
    return False


def omit_empty(obj: Any) -> Any:
    """A copy of ``obj`` without dict keys holding empty values, at every depth.

    List items are kept in place even when empty: positions carry meaning (an empty inner list
    of ``approvals_added`` stands for a step without changes).
    """
    if type(obj) is dict:
        return _omit_in_dict(obj)
    if type(obj) is list:
        return _omit_in_list(obj)
    if isinstance(obj, dict):
        return _omit_in_dict(obj)
    if isinstance(obj, list | tuple):
        return _omit_in_list(obj)
    return obj


# The two walkers below run on every payload the platform sends: exact type checks first
# (JSON data is made of plain dicts, lists, str, int, float, bool), generic checks after.


def _omit_in_dict(obj: dict[Any, Any]) -> dict[Any, Any]:
    cleaned: dict[Any, Any] = {}
    for key, value in obj.items():
        kind = type(value)
        if kind is str:
            if value:
                cleaned[key] = value
        elif kind is int or kind is float or kind is bool:
            cleaned[key] = value
        elif value is None:
            continue
        elif kind is dict:
            value = _omit_in_dict(value)
            if value:
                cleaned[key] = value
        elif kind is list:
            if value:
                cleaned[key] = _omit_in_list(value)
        else:
            value = omit_empty(value)
            if not is_empty(value):
                cleaned[key] = value
    return cleaned


def _omit_in_list(obj: list[Any] | tuple[Any, ...]) -> list[Any]:
    items: list[Any] = []
    for item in obj:
        kind = type(item)
        if kind is dict:
            items.append(_omit_in_dict(item))
        elif kind is list:
            items.append(_omit_in_list(item))
        elif kind is str or kind is int or kind is float or kind is bool or item is None:
            items.append(item)
        else:
            items.append(omit_empty(item))
    return items


def to_jsonable(obj: Any) -> Any:
    """``obj`` as plain JSON data in the Pyrus form: empty keys omitted, dates, times, enums and
    models spelled as Pyrus does. A Decimal becomes an int or a float here; :func:`dumps` keeps
    its exact digits instead."""
    return _to_wire(obj, exact_decimals=False)


def _to_wire(obj: Any, exact_decimals: bool = True) -> Any:
    """``omit_empty`` plus the Pyrus spelling of dates, times, decimals, enums and models."""
    kind = type(obj)
    if kind is dict:
        return _wire_dict(obj, exact_decimals)
    if kind is list:
        return _wire_list(obj, exact_decimals)
    if kind is str or kind is int or kind is float or kind is bool or obj is None:
        return obj
    return _wire_other(obj, exact_decimals)


def _wire_dict(obj: dict[Any, Any], exact_decimals: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in obj.items():
        if type(key) is not str:
            key = str(key.value if isinstance(key, enum.Enum) else key)
        kind = type(value)
        if kind is str:
            if value:
                cleaned[key] = value
        elif kind is int or kind is float or kind is bool:
            cleaned[key] = value
        elif value is None:
            continue
        elif kind is dict:
            value = _wire_dict(value, exact_decimals)
            if value:
                cleaned[key] = value
        elif kind is list:
            if value:
                cleaned[key] = _wire_list(value, exact_decimals)
        else:
            value = _wire_other(value, exact_decimals)
            if not is_empty(value):
                cleaned[key] = value
    return cleaned


def _wire_list(obj: list[Any] | tuple[Any, ...], exact_decimals: bool) -> list[Any]:
    items: list[Any] = []
    for item in obj:
        kind = type(item)
        if kind is dict:
            items.append(_wire_dict(item, exact_decimals))
        elif kind is str or kind is int or kind is float or kind is bool or item is None:
            items.append(item)
        elif kind is list:
            items.append(_wire_list(item, exact_decimals))
        else:
            items.append(_wire_other(item, exact_decimals))
    return items


def _wire_other(obj: Any, exact_decimals: bool) -> Any:
    """Everything that is not a plain dict, list or JSON scalar."""
    if isinstance(obj, enum.Enum):
        return _to_wire(obj.value, exact_decimals)
    if isinstance(obj, datetime):
        return format_datetime(obj)
    if isinstance(obj, date):
        return format_date(obj)
    if isinstance(obj, time):
        return format_time(obj)
    if isinstance(obj, Decimal):
        if not obj.is_finite():
            raise ValueError(f"{obj} is not a JSON number")
        if not exact_decimals:
            return int(obj) if obj == obj.to_integral_value() else float(obj)
        return orjson.Fragment(str(obj).encode())
    if isinstance(obj, BaseModel):
        to_pyrus = getattr(obj, "to_pyrus", None)
        if callable(to_pyrus):
            return to_pyrus()
        dumped = obj.model_dump(by_alias=True, exclude_none=True)
        return _wire_dict(dumped, exact_decimals)
    if isinstance(obj, dict):
        return _wire_dict(obj, exact_decimals)
    if isinstance(obj, list | tuple | set | frozenset):
        return _wire_list(list(obj), exact_decimals)
    # Subclasses of the JSON scalars, and whatever orjson itself knows (UUID, dataclasses).
    return obj


def dumps(obj: Any) -> bytes:
    """Serialize ``obj`` as Pyrus JSON bytes (empty keys omitted, Pyrus date/time formats)."""
    return orjson.dumps(_to_wire(obj))


_CLEAN_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_NON_STR_KEYS
)


def dumps_clean(obj: Any) -> bytes:
    """:func:`dumps` for data that holds no empty values already (what the platform's renderers
    return): the same bytes, without walking the data a second time. Values orjson would not
    write as Pyrus does (dates, decimals, enums, models) still get the Pyrus spelling."""
    return orjson.dumps(obj, default=_clean_default, option=_CLEAN_OPTIONS)


def _clean_default(obj: Any) -> Any:
    return _wire_other(obj, exact_decimals=True)


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON text; raises ``orjson.JSONDecodeError`` (a ``ValueError``) on bad input."""
    return orjson.loads(data)


def format_datetime(value: datetime) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` in UTC; a naive value is taken as UTC already."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        value = value.astimezone(UTC)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}Z"
    )


def parse_datetime(text: str) -> datetime:
    """An aware UTC datetime from the Pyrus form, or any ISO 8601 form (fraction, offset)."""
    parsed = datetime.fromisoformat(text.strip())
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_date(value: date) -> str:
    """``YYYY-MM-DD`` (a datetime is cut to its date, after conversion to UTC)."""
    if isinstance(value, datetime):
        value = parse_datetime(format_datetime(value)).date()
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def parse_date(text: str) -> date:
    """A date from ``YYYY-MM-DD``."""
    return date.fromisoformat(text.strip())


def format_time(value: time) -> str:
    """``HH:MM`` (seconds dropped, as Pyrus stores minutes)."""
    return f"{value.hour:02d}:{value.minute:02d}"


def parse_time(text: str) -> time:
    """A time from ``HH:MM`` (``HH:MM:SS`` accepted too)."""
    return time.fromisoformat(text.strip())


_MICROSOFT_DATE = re.compile(r"^/Date\((-?\d{1,15})(?:([+-])(\d{2})(\d{2}))?\)/$")


def parse_microsoft_date(text: str) -> datetime | None:
    """Newtonsoft's ``/Date(ms)/`` or ``/Date(ms+hhmm)/`` as an aware datetime, ``None`` when
    ``text`` is not in that form. The milliseconds count from the epoch in UTC; the offset only
    says where the sender lives, so the result carries it (its ``date()`` is the sender's day)."""
    match = _MICROSOFT_DATE.match(text.strip())
    if match is None:
        return None
    millis, sign, hours, minutes = match.groups()
    zone: timezone = UTC
    if sign is not None:
        offset = timedelta(hours=int(hours), minutes=int(minutes))
        if offset >= timedelta(hours=24):
            return None
        zone = timezone(offset if sign == "+" else -offset)
    try:
        return datetime.fromtimestamp(int(millis) / 1000, tz=UTC).astimezone(zone)
    except (OverflowError, OSError, ValueError):
        return None


def parse_filter_date(value: Any, key: str) -> datetime | None:
    """A date-time filter value in UTC, ``None`` when absent or empty: Pyrus's form, any ISO 8601
    form (a date alone is its midnight UTC), or Newtonsoft's ``/Date(ms)/``. Anything else is 400
    ``invalid_value_format`` naming ``key``."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PyrusError("invalid_value_format", f"{key} must be a date-time string")
    microsoft = parse_microsoft_date(value)
    if microsoft is not None:
        return microsoft.astimezone(UTC)
    try:
        return parse_datetime(value)
    except ValueError:
        raise PyrusError("invalid_value_format", f"{key} must be YYYY-MM-DDThh:mm:ssZ") from None
