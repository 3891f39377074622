"""What a field value is on the wire when it is written (spec 3.8): one rule per field type.

The SDK checks a bot's reply with these rules before sending it, the platform checks an incoming
request with them before storing it, so one value is accepted or refused the same way on both
sides. A rule takes decoded JSON and returns the value in its canonical spelling, or raises
:class:`WireValueError` with the Pyrus error code and what the type takes. Rules are pure: whether
a catalog item, a person or a file exists, and whether table cells name columns of the form, is
the platform's part on top.

=================  ===========================================================================
type               accepted on write -> canonical value
=================  ===========================================================================
text, email,       a string -> the string
phone
money, number      a number, or a string holding one -> ``int`` or ``float`` (decimal places
                   are checked against the template by the platform)
date, due_date     ``"YYYY-MM-DD"`` (a real calendar date) -> the same
due_date_time      ``"YYYY-MM-DDThh:mm:ss"`` with ``Z`` or an offset -> UTC ``...Z``
time               ``"HH:MM"`` or ``"HH:MM:SS"`` -> ``"HH:MM"``
checkmark          ``"checked"`` | ``"unchecked"`` (any case) or a JSON bool -> the word
flag               ``"none"`` | ``"checked"`` | ``"unchecked"`` (any case) or a bool -> the word
multiple_choice    a choice id, ``{choice_ids}``, ``{choice_id}``, ``{choice_names}`` or
                   ``{choice_name}`` -> ``{"choice_ids": [...]}`` or ``{"choice_names": [...]}``
catalog            an item id, ``{item_id(s)}`` and/or ``{item_name(s)}`` (first column)
                   -> ``{"item_ids": [...], "item_names": [...]}``
person             a person id, ``{"id": n}`` or ``{"email": s}`` -> ``{"id"}`` or ``{"email"}``
file               a NewFile or a list of them; a NewFile is an upload guid, an attachment id,
                   ``{guid}``, ``{attachment_id}`` (or ``{id}``) or ``{url}`` -> a list
form_link          a task id, ``{task_ids}`` or ``{task_id}``; ids positive -> ``{"task_ids"}``
table              a list of rows ``{row_id?, cells: [...], delete?, position?}``; ``row_id`` a
                   non-negative integer -> the rows (cells are checked against the columns)
title              ``{checkmark?, fields?}`` -> the same, checkmark canonical
step, status,      read-only: computed by the task, never written
note, author,
project,
creation_date
=================  ===========================================================================

``null``, ``""`` and ``[]`` clear a field (a table too: ``[]`` is "no rows changed"); see
:func:`clears`. A due date's ``duration`` sibling key is read by :func:`wire_duration`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pyrus_bots.protocol.models.enums import FieldType
from pyrus_bots.protocol.pyrus_json import format_date, format_datetime, parse_datetime

__all__ = [
    "CHECKMARK_WORDS",
    "FIELD_TYPES",
    "FLAG_WORDS",
    "MONEY_DECIMAL_PLACES",
    "READ_ONLY_TYPES",
    "WRITE_RULES",
    "WireValueError",
    "clears",
    "decimal_places",
    "is_int",
    "parse_number",
    "wire_duration",
    "wire_file_ref",
    "wire_person",
    "wire_value",
]

FIELD_TYPES = frozenset(t.value for t in FieldType)
"""The 24 field types of spec 3.8."""

READ_ONLY_TYPES = frozenset({"step", "status", "note", "author", "project", "creation_date"})
"""Types whose value the task computes; a write to them is ignored, with or without a value."""

MONEY_DECIMAL_PLACES = 2
"""Money fields keep cents unless the template says otherwise."""

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^(\d{2}):(\d{2})(?::\d{2})?$")
CHECKMARK_WORDS = ("checked", "unchecked")
FLAG_WORDS = ("none", "checked", "unchecked")


class WireValueError(ValueError):
    """A written value that does not have its field type's wire shape; ``code`` is Pyrus's."""

    def __init__(self, why: str, code: str = "invalid_value_format") -> None:
        super().__init__(why)
        self.why = why
        self.code = code


def is_int(value: Any) -> bool:
    """A JSON integer (``True`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def clears(kind: str, value: Any) -> bool:
    """Whether writing ``value`` to a field of type ``kind`` clears it."""
    if value is None:
        return True
    return isinstance(value, str | list) and len(value) == 0 and kind != "table"


def _ids(value: Any, what: str) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise WireValueError(f"{what} must be a list of integers")
    return list(dict.fromkeys(value))


def _names(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise WireValueError(f"{what} must be a list of strings")
    return list(value)


# --- scalars ---------------------------------------------------------------------------------


def wire_text(value: Any) -> str:
    if not isinstance(value, str):
        raise WireValueError("expected a string")
    return value


def parse_number(value: Any) -> Decimal:
    """The exact number a number/money value holds (a JSON number or a string with one)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise WireValueError("expected a number")
    try:
        exact = Decimal(str(value).strip())
    except InvalidOperation:
        raise WireValueError(f"{value!r} is not a number") from None
    if not exact.is_finite():
        raise WireValueError("expected a finite number")
    return exact


def decimal_places(exact: Decimal) -> int:
    """Digits after the point, trailing zeros aside (``12.50`` has 1)."""
    exponent = exact.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def wire_number(value: Any, kind: str = "number", setting: int | None = None) -> int | float:
    """A number/money value; more decimal places than the template's ``setting`` allows are
    ``too_many_decimal_places`` (money: :data:`MONEY_DECIMAL_PLACES` unless the template says
    otherwise; a number without a setting takes any)."""
    exact = parse_number(value)
    limit = MONEY_DECIMAL_PLACES if setting is None and kind == "money" else setting
    integral = is_int(value)
    places = 0 if integral else decimal_places(exact)
    if limit is not None and places > limit:
        raise WireValueError(
            f"allows {limit} decimal places, got {places}", "too_many_decimal_places"
        )
    if integral:
        return int(value)
    if places == 0 and abs(exact) < 2**53:
        return int(exact)
    number = float(exact)
    if math.isinf(number):
        raise WireValueError("number out of range")
    return number


def _wire_money(value: Any) -> int | float:
    return wire_number(value, "money")


def wire_date(value: Any) -> str:
    if not isinstance(value, str) or not _DATE_RE.match(value.strip()):
        raise WireValueError("expected a date YYYY-MM-DD")
    try:
        return format_date(date.fromisoformat(value.strip()))
    except ValueError:
        raise WireValueError(f"{value!r} is not a date") from None


def wire_datetime(value: Any) -> str:
    if not isinstance(value, str) or "T" not in value:
        raise WireValueError("expected a date-time YYYY-MM-DDThh:mm:ssZ")
    try:
        return format_datetime(parse_datetime(value))
    except ValueError:
        raise WireValueError(f"{value!r} is not a date-time") from None


def wire_time(value: Any) -> str:
    match = _TIME_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise WireValueError("expected a time HH:MM")
    return f"{match.group(1)}:{match.group(2)}"


def _word(value: Any, allowed: tuple[str, ...]) -> str:
    if isinstance(value, bool):
        return "checked" if value else "unchecked"
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise WireValueError(f"expected one of {', '.join(allowed)}")
    return value.strip().lower()


def wire_checkmark(value: Any) -> str:
    return _word(value, CHECKMARK_WORDS)


def wire_flag(value: Any) -> str:
    return _word(value, FLAG_WORDS)


def wire_duration(entry: Mapping[str, Any]) -> int | None:
    """The ``duration`` sibling key of a due date entry, in minutes (None when not given)."""
    raw = entry.get("duration")
    if raw is None:
        return None
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        raw = int(raw.strip())  # the help example writes it as a string
    if not is_int(raw):
        raise WireValueError("duration must be an integer number of minutes")
    if raw < 0:
        raise WireValueError("duration is negative", "negative_duration")
    return int(raw)


# --- references ------------------------------------------------------------------------------


def _reference(value: Any, one: str, expected: str) -> Mapping[str, Any]:
    """A reference object; a bare id stands for ``{one: id}``."""
    if is_int(value):
        return {one: value}
    if not isinstance(value, Mapping):
        raise WireValueError(f"expected {expected}")
    return value


def _under(
    value: Mapping[str, Any], many: str, one: str, check: Callable[[Any, str], list[Any]]
) -> list[Any] | None:
    """The list under ``many``, or ``[value[one]]``, checked; None when neither key is given."""
    if value.get(many) is not None:
        return check(value[many], many)
    if value.get(one) is not None:
        return check([value[one]], one)
    return None


def wire_multiple_choice(value: Any) -> dict[str, Any]:
    ref = _reference(value, "choice_id", "{choice_ids}, {choice_id} or {choice_names}")
    ids = _under(ref, "choice_ids", "choice_id", _ids)
    if ids is not None:
        return {"choice_ids": ids}
    names = _under(ref, "choice_names", "choice_name", _names)
    if names is not None:
        return {"choice_names": names}
    return {"choice_ids": []}  # only attached fields, or nothing: no choice


def wire_catalog(value: Any) -> dict[str, Any]:
    ref = _reference(value, "item_id", "{item_id}, {item_ids}, {item_name} or {item_names}")
    return {
        "item_ids": _under(ref, "item_ids", "item_id", _ids) or [],
        "item_names": _under(ref, "item_names", "item_name", _names) or [],
    }


def wire_person(value: Any) -> dict[str, Any]:
    """A PersonIdentity: ``{"id": n}`` or ``{"email": s}`` (a bare id is taken as ``{"id"}``)."""
    if is_int(value):
        return {"id": value}
    if isinstance(value, Mapping):
        person_id = value.get("id")
        if person_id is not None:
            if not is_int(person_id):
                why = f"there is no person with id {person_id!r}"
                raise WireValueError(why, "invalid_person_id")
            return {"id": person_id}
        email = value.get("email")
        if email is not None:
            if not isinstance(email, str):
                raise WireValueError(f"there is no person with e-mail {email!r}", "invalid_email")
            return {"email": email}
    raise WireValueError("a person is given as {id} or {email}", "person_identity_missing")


def wire_file_ref(ref: Any) -> dict[str, Any]:
    """A NewFile: ``{"guid"}``, ``{"attachment_id"}`` or ``{"url", "name"?}``, from its forms."""
    if isinstance(ref, str):
        return {"guid": ref}
    if is_int(ref):
        return {"attachment_id": ref}
    if isinstance(ref, Mapping):
        out: dict[str, Any] = {}
        if isinstance(ref.get("guid"), str):
            out["guid"] = ref["guid"]
        file_id = ref.get("attachment_id", ref.get("id"))  # ``id``: a File echoed back
        if is_int(file_id):
            out["attachment_id"] = file_id
        if isinstance(ref.get("url"), str):
            out["url"] = ref["url"]
            if isinstance(ref.get("name"), str):
                out["name"] = ref["name"]
        if out:
            return out
    raise WireValueError(f"no uploaded file {ref!r}", "unrecognized_attachment_id")


def wire_files(value: Any) -> list[dict[str, Any]]:
    return [wire_file_ref(ref) for ref in (value if isinstance(value, list) else [value])]


def wire_form_link(value: Any) -> dict[str, Any]:
    ref = _reference(value, "task_id", "{task_ids} or {task_id}")
    ids = _under(ref, "task_ids", "task_id", _ids) or []
    if any(i <= 0 for i in ids):
        raise WireValueError("task ids are positive")
    return {"task_ids": ids}


# --- containers ------------------------------------------------------------------------------


def wire_table(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        raise WireValueError("a table value is a list of rows")
    for row in value:
        if not isinstance(row, Mapping):
            raise WireValueError("a table row is a JSON object")
        row_id = row.get("row_id")
        if row_id is not None and (not is_int(row_id) or row_id < 0):
            raise WireValueError(f"bad row_id {row_id!r}", "invalid_table_row")
        if row.get("delete") is not True and not isinstance(row.get("cells", []), list):
            raise WireValueError("row cells are a list of fields")
    return value


def wire_title(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise WireValueError("a title value is {checkmark?, fields?}")
    out: dict[str, Any] = {}
    if value.get("checkmark") is not None:
        out["checkmark"] = wire_checkmark(value["checkmark"])
    if value.get("fields") is not None:
        if not isinstance(value["fields"], list):
            raise WireValueError("a title's fields are a list of fields")
        out["fields"] = value["fields"]
    return out


WRITE_RULES: dict[str, Callable[[Any], Any]] = {
    "text": wire_text,
    "email": wire_text,
    "phone": wire_text,
    "money": _wire_money,
    "number": wire_number,
    "date": wire_date,
    "due_date": wire_date,
    "due_date_time": wire_datetime,
    "time": wire_time,
    "checkmark": wire_checkmark,
    "flag": wire_flag,
    "multiple_choice": wire_multiple_choice,
    "catalog": wire_catalog,
    "person": wire_person,
    "file": wire_files,
    "form_link": wire_form_link,
    "table": wire_table,
    "title": wire_title,
}
"""The write rule of every writable type (every type of spec 3.8 but :data:`READ_ONLY_TYPES`)."""


def wire_value(kind: str, value: Any) -> Any:
    """``value`` checked and canonical for a field of type ``kind``; ``None`` when it clears.

    Read-only and unknown types raise ``type_is_not_supported``.
    """
    if clears(kind, value):
        return None
    rule = WRITE_RULES.get(kind)
    if rule is None:
        raise WireValueError(f"type {kind!r} cannot be written", "type_is_not_supported")
    return rule(value)
