"""The form register (``GET``/``POST /v4/forms/{id}/register``, spec 4.3): filters and CSV.

Parameters arrive as a JSON body (POST) or a query string (GET), so every value may be a string;
arrays may also be comma strings (``"1,2"``). Choices for what Pyrus leaves open:

- Closed tasks are left out unless ``include_archived`` is ``true``/``"y"``/``"true"``/``"1"``.
- ``*_before`` / ``*_after`` compare strictly (``<`` / ``>``); a value may be a date-time, a
  date (midnight UTC) or Newtonsoft's ``/Date(ms)/``. ``closed_*`` filters keep only closed
  tasks.
- ``due_filter`` needs ``now``: ``overdue`` (and ``overdue_on_step``: steps carry no own due
  date here) keeps open tasks whose ``due``/``due_date`` has passed, ``past_due`` also closed
  ones, ``{"overdue_steps": [n]}`` overdue tasks on those steps.
- ``fld<ID>`` grammar: ``empty``; ``*`` (has a value); ``lt<v>``; ``gt<v>``; ``gt<a>,lt<b>``;
  ``a,b,c`` (any of); else equals. Numbers compare numerically, dates as dates (a date-time
  field by its date; a filter value ``YYYY-MM-DD``, a date-time or ``/Date(ms)/``, read as
  the sender's day), catalogs/multiple choice/person/form links by ids. Text-like fields
  (text, email, phone) match case-insensitively by prefix and are never split on commas.
  ``lt``/``gt`` apply to numbers, dates and times only. Tables, titles, files, notes and
  projects cannot be filtered (``filter_type_is_not_supported``). The key ``id`` filters task
  ids with the same grammar.
- ``include_text`` keeps tasks whose text, subject or a text/e-mail/phone field contains it
  (case-insensitive).
- The result is sorted by task id, then cut to ``item_count`` (1..20000).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.pyrus_json import (
    format_datetime,
    parse_datetime,
    parse_filter_date,
    parse_microsoft_date,
)
from pyrus_bots.server.workflow.addressing import enclosing_table
from pyrus_bots.server.workflow.state import Directory, FieldDef, FormDef, TaskState

MAX_ITEM_COUNT = 20000
_TRUE_WORDS = frozenset({"true", "y", "yes", "1"})
_TEXT_TYPES = frozenset({"text", "email", "phone"})
_NUMBER_TYPES = frozenset({"number", "money", "step"})
_DATE_TYPES = frozenset({"date", "creation_date", "due_date", "due_date_time"})
_ID_TYPES = frozenset({"catalog", "multiple_choice", "person", "author", "form_link"})
_WORD_TYPES = frozenset({"checkmark", "flag", "status", "time"})
_UNFILTERABLE = frozenset({"table", "title", "file", "note", "project"})


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE_WORDS


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _int_list(key: str, value: Any) -> list[int]:
    items: Iterable[Any] = value if isinstance(value, list) else str(value).split(",")
    out = []
    for item in items:
        text = str(item).strip()
        if isinstance(item, bool) or not text.lstrip("-").isdigit():
            raise PyrusError("invalid_value_format", f"{key}: {item!r} is not an integer")
        number = int(text)
        if not _INT64_MIN <= number <= _INT64_MAX:  # the databases hold 64-bit integers
            raise PyrusError("invalid_value_format", f"{key}: {text[:30]} is out of range")
        out.append(number)
    return out


def _when(key: str, value: Any) -> datetime:
    bound = parse_filter_date(value, key)
    if bound is None:
        raise PyrusError("invalid_value_format", f"{key} must be a date-time")
    return bound


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- field filter grammar --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Condition:
    kind: str  # empty | any | lt | gt | range | in | eq | prefix
    values: tuple[Any, ...] = ()

    def matches(self, have: list[Any]) -> bool:
        if self.kind == "empty":
            return not have
        if self.kind == "any":
            return bool(have)
        if self.kind == "lt":
            return any(v < self.values[0] for v in have)
        if self.kind == "gt":
            return any(v > self.values[0] for v in have)
        if self.kind == "range":
            return any(self.values[0] < v < self.values[1] for v in have)
        if self.kind == "prefix":
            wanted = str(self.values[0]).casefold()
            return any(str(v).casefold().startswith(wanted) for v in have)
        return any(v in self.values for v in have)  # eq and in


def _converter(kind: str, key: str) -> Callable[[str], Any]:
    def number(text: str) -> Any:
        try:
            return float(text)
        except ValueError:
            raise PyrusError("invalid_value_format", f"{key}: {text!r} is not a number") from None

    def day(text: str) -> Any:
        microsoft = parse_microsoft_date(text)
        if microsoft is not None:
            return microsoft.date()  # the sender's day: the offset it sent, else UTC
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise PyrusError("invalid_value_format", f"{key}: {text!r} is not a date") from None

    def ident(text: str) -> Any:
        if not text.lstrip("-").isdigit():
            raise PyrusError("invalid_value_format", f"{key}: {text!r} is not an id")
        return int(text)

    if kind in _NUMBER_TYPES or kind == "id":
        return number
    if kind in _DATE_TYPES:
        return day
    if kind in _ID_TYPES:
        return ident
    return lambda text: text.strip().lower() if kind != "time" else text.strip()


def _parse_condition(kind: str, key: str, raw: Any) -> _Condition:
    if isinstance(raw, list):
        raw = ",".join(str(v) for v in raw)
    text = str(raw).strip()
    if text == "empty":
        return _Condition("empty")
    if text == "*":
        return _Condition("any")
    if kind in _TEXT_TYPES:
        return _Condition("prefix", (text,))
    convert = _converter(kind, key)
    ordered = kind in _NUMBER_TYPES or kind in _DATE_TYPES or kind in ("time", "id")
    if ordered and text.startswith("gt") and ",lt" in text:
        low, high = text[2:].split(",lt", 1)
        return _Condition("range", (convert(low), convert(high)))
    if ordered and text.startswith("lt"):
        return _Condition("lt", (convert(text[2:]),))
    if ordered and text.startswith("gt"):
        return _Condition("gt", (convert(text[2:]),))
    parts = [p for p in text.split(",") if p.strip()]
    if len(parts) > 1:
        return _Condition("in", tuple(convert(p.strip()) for p in parts))
    return _Condition("eq", (convert(text),))


def _field_values(fdef: FieldDef, task: TaskState) -> list[Any]:
    """What a filter compares for this field of this task (empty list = no value)."""
    kind = fdef.type
    stored = task.fields.get(fdef.id)
    if kind == "step":
        return [float(task.current_step)] if task.current_step is not None else []
    if kind == "status":
        return ["closed" if task.is_closed else "open"]
    if kind == "author":
        return [task.author_id]
    if kind == "creation_date":
        return [_utc(task.create_date).date()]
    if stored is None:
        return []
    if kind in _NUMBER_TYPES:
        return [float(stored)]
    if kind == "date":
        return [date.fromisoformat(stored)]
    if kind == "due_date":
        return [date.fromisoformat(stored["date"])]
    if kind == "due_date_time":
        return [parse_datetime(stored["datetime"]).date()]
    if kind == "catalog":
        return list(stored.get("item_ids", []))
    if kind == "multiple_choice":
        return list(stored.get("choice_ids", []))
    if kind == "form_link":
        return list(stored.get("task_ids", []))
    if kind == "person":
        return [stored]
    if kind in _WORD_TYPES:
        return [str(stored) if kind == "time" else str(stored).lower()]
    return [stored]


def _field_filters(
    form: FormDef, params: dict[str, Any]
) -> list[tuple[FieldDef | None, _Condition]]:
    filters: list[tuple[FieldDef | None, _Condition]] = []
    for key, raw in params.items():
        if key == "id":
            filters.append((None, _parse_condition("id", key, raw)))
            continue
        if not key.startswith("fld"):
            continue
        suffix = key[3:]
        fdef = form.field_by_id(int(suffix)) if suffix.isdigit() else None
        if fdef is None:
            raise PyrusError("invalid_field_id", f"{key}: the form has no such field")
        if fdef.type in _UNFILTERABLE or enclosing_table(form, fdef) is not None:
            raise PyrusError(
                "filter_type_is_not_supported", f"{key}: fields of type {fdef.type} not filtered"
            )
        filters.append((fdef, _parse_condition(fdef.type, key, raw)))
    return filters


# --- the register ----------------------------------------------------------------------------


def _due_moment(task: TaskState) -> datetime | None:
    if task.due is not None:
        return _utc(task.due)
    if task.due_date is not None:
        # a due date is due at the end of that day
        return datetime(task.due_date.year, task.due_date.month, task.due_date.day, tzinfo=UTC)
    return None


def _due_matches(task: TaskState, due_filter: Any, now: datetime | None) -> bool:
    if now is None:
        raise PyrusError("invalid_value_format", "due_filter needs the server's time")
    due = _due_moment(task)
    passed = due is not None and (
        due < _utc(now) if task.due is not None else due.date() < _utc(now).date()
    )
    if isinstance(due_filter, dict):
        steps = _int_list("overdue_steps", due_filter.get("overdue_steps", []))
        return passed and not task.is_closed and task.current_step in steps
    if due_filter in ("overdue", "overdue_on_step"):
        return passed and not task.is_closed
    if due_filter == "past_due":
        return passed
    raise PyrusError("invalid_value_format", f"due_filter: {due_filter!r} is not known")


@dataclass(frozen=True, slots=True)
class Narrowing:
    """What the store can filter on before the tasks are loaded (:func:`filter_register` still
    applies every filter afterwards): open tasks only, these steps, these task ids."""

    open_only: bool
    steps: frozenset[int] | None
    task_ids: frozenset[int] | None


def narrowing(params: dict[str, Any]) -> Narrowing:
    """The register parameters the store can apply itself (raises as :func:`filter_register`)."""
    steps = params.get("steps")
    task_ids = params.get("task_ids")
    return Narrowing(
        open_only=not _truthy(params.get("include_archived", False)),
        steps=None if steps in (None, "", []) else frozenset(_int_list("steps", steps)),
        task_ids=None if task_ids in (None, "", []) else frozenset(_int_list("task_ids", task_ids)),
    )


def filter_register(
    directory: Directory,
    form: FormDef,
    tasks: list[TaskState],
    params: dict[str, Any],
    *,
    now: datetime | None = None,
) -> list[TaskState]:
    """The tasks of ``form`` that the register parameters select (module docstring)."""
    chosen = [t for t in tasks if t.form_id == form.id]
    if not _truthy(params.get("include_archived", False)):
        chosen = [t for t in chosen if not t.is_closed]
    if params.get("steps") not in (None, "", []):
        steps = set(_int_list("steps", params["steps"]))
        chosen = [t for t in chosen if t.current_step in steps]
    if params.get("task_ids") not in (None, "", []):
        ids = set(_int_list("task_ids", params["task_ids"]))
        chosen = [t for t in chosen if t.id in ids]
    if params.get("field_ids") not in (None, "", []):
        selected_field_ids(form, params)  # validates
    for key, attribute in (
        ("modified", "last_modified_date"),
        ("created", "create_date"),
        ("closed", "close_date"),
    ):
        for side in ("before", "after"):
            raw = params.get(f"{key}_{side}")
            if raw in (None, ""):
                continue
            bound = _when(f"{key}_{side}", raw)
            kept = []
            for task in chosen:
                moment = getattr(task, attribute)
                if moment is None:
                    continue
                if (side == "before" and _utc(moment) < bound) or (
                    side == "after" and _utc(moment) > bound
                ):
                    kept.append(task)
            chosen = kept
    words = params.get("include_text")
    if isinstance(words, str) and words.strip():
        chosen = [t for t in chosen if _mentions(form, t, words.strip().casefold())]
    if params.get("due_filter") not in (None, ""):
        chosen = [t for t in chosen if _due_matches(t, params["due_filter"], now)]
    for fdef, condition in _field_filters(form, params):
        if fdef is None:
            chosen = [t for t in chosen if condition.matches([float(t.id)])]
        else:
            chosen = [t for t in chosen if condition.matches(_field_values(fdef, t))]
    chosen.sort(key=lambda t: t.id)
    raw_count = params.get("item_count")
    if raw_count not in (None, ""):
        count = _int_list("item_count", [raw_count])[0]
        if not 1 <= count <= MAX_ITEM_COUNT:
            raise PyrusError("items_count_out_of_range", f"item_count must be 1..{MAX_ITEM_COUNT}")
        chosen = chosen[:count]
    return chosen


def _mentions(form: FormDef, task: TaskState, wanted: str) -> bool:
    texts = [task.text or "", task.formatted_text or "", task.subject or ""]
    texts += [
        str(task.fields.get(f.id, ""))
        for f in form.fields
        if f.type in _TEXT_TYPES and isinstance(task.fields.get(f.id), str)
    ]
    return any(wanted in text.casefold() for text in texts)


def selected_field_ids(form: FormDef, params: dict[str, Any]) -> set[int] | None:
    """The ``field_ids`` parameter as a set (``None`` = all fields); unknown ids are refused."""
    raw = params.get("field_ids")
    if raw in (None, "", []):
        return None
    ids = set(_int_list("field_ids", raw))
    for field_id in ids:
        if form.field_by_id(field_id) is None:
            raise PyrusError("invalid_field_id", f"field_ids: the form has no field {field_id}")
    return ids


# --- CSV -------------------------------------------------------------------------------------


def _csv_text(directory: Directory, fdef: FieldDef, task: TaskState) -> str:
    kind = fdef.type
    stored = task.fields.get(fdef.id)
    if kind == "author":
        return _person_name(directory, task.author_id)
    if kind in ("step", "status", "creation_date"):
        return ", ".join(str(v) for v in _field_values(fdef, task))
    if kind == "note" or stored is None:
        return ""
    if kind in ("due_date", "due_date_time"):
        return str(stored.get("date", stored.get("datetime", "")))
    if kind == "catalog":
        catalog = directory.catalogs.get(fdef.catalog_id) if fdef.catalog_id is not None else None
        items = {i.item_id: i for i in catalog.items} if catalog is not None else {}
        return ", ".join(
            " ".join(items[i].values) if i in items else str(i) for i in stored["item_ids"]
        )
    if kind == "multiple_choice":
        names = {o.id: o.value for o in fdef.options}
        return ", ".join(names.get(i, str(i)) for i in stored["choice_ids"])
    if kind == "person":
        return _person_name(directory, stored)
    if kind == "file":
        files = directory.files_by_id
        return ", ".join(files[i].name if i in files else str(i) for i in stored)
    if kind == "form_link":
        return ", ".join(str(i) for i in stored["task_ids"])
    if kind == "title":
        return str(stored.get("checkmark", ""))
    if kind == "table":
        return str(len(stored))
    return str(stored)


def _person_name(directory: Directory, person_id: int) -> str:
    person = directory.people.get(person_id)
    if person is None:
        role = directory.roles.get(person_id)
        return role.name if role is not None else str(person_id)
    return f"{person.first_name} {person.last_name}".strip() or person.email


def register_csv(
    directory: Directory,
    form: FormDef,
    tasks: list[TaskState],
    delimiter: str = ",",
    field_ids: set[int] | None = None,
    *,
    simple: bool = False,
) -> str:
    """The register as CSV: task id, dates, step, then one column per field (tables: row
    count; title children as their own columns; table cells left out). First row = headers.

    ``simple`` (``simple_format``): nothing is quoted; the delimiter, double quotes and line
    breaks inside a value become spaces, so every line is one task and splitting a line on the
    delimiter gives its cells."""
    columns = [
        f
        for f in form.fields
        if enclosing_table(form, f) is None and (field_ids is None or f.id in field_ids)
    ]
    out = io.StringIO()
    delimiter = delimiter or ","
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    unsafe = str.maketrans({delimiter: " ", '"': " ", "\r": " ", "\n": " "})

    def row(cells: list[Any]) -> None:
        if simple:
            out.write(delimiter.join(str(cell).translate(unsafe) for cell in cells) + "\r\n")
        else:
            writer.writerow(cells)

    row(["id", "create_date", "last_modified_date", "current_step", *(f.name for f in columns)])
    for task in tasks:
        row(
            [
                task.id,
                format_datetime(task.create_date),
                format_datetime(task.last_modified_date),
                task.current_step or "",
                *(_csv_text(directory, f, task) for f in columns),
            ]
        )
    return out.getvalue()
