"""The fields of the UI's task forms: inputs for every field type, and what a submitted form means
as the API's ``fields`` (new task) or ``field_updates`` (comment).

A submitted form is a multi-dict of strings (``Submitted``): a select that allows several values
sends its name once per chosen value. Input names:

- ``f<ID>``: the field's value (``f<ID>`` repeated for multi-value choices and catalogs);
  ``f<ID>.duration``: the minutes of a due date-time;
- ``f<COLUMN>@r<ROW_ID>``: a cell of an existing table row, ``f<COLUMN>@n<K>``: a cell of a new
  row; ``del<TABLE>@r<ROW_ID>``: remove that row.

Values are shaped as the API takes them (spec 3.8); the task-change layer then validates them
exactly as for an API call, so the UI never has rules of its own. On a comment only what changed
is sent, and an emptied input clears its field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from pyrus_bots.server.workflow.addressing import table_columns
from pyrus_bots.server.workflow.state import Directory, FieldDef, FormDef

Submitted = Mapping[str, Sequence[str]]
UTC_ZONE = ZoneInfo("UTC")

NEW_TABLE_ROWS = 2
"""Blank rows offered under a table's rows (a table of no rows gets this many to fill)."""

_READ_ONLY_TYPES = frozenset({"step", "status", "creation_date", "author", "project"})
_INPUT_TYPES = {
    "text": "text",
    "money": "number",
    "number": "number",
    "date": "date",
    "due_date": "date",
    "time": "time",
    "due_date_time": "datetime-local",
    "email": "email",
    "phone": "tel",
    "checkmark": "checkbox",
    "form_link": "text",
}
_MULTI_TYPES = frozenset({"multiple_choice", "catalog"})
_NOT_TYPED = frozenset({"note", "title", "file", "unsupported"})
_ROW_INPUT = re.compile(r"^(?:f|del)(\d+)@([rn]\d+)$")


class FieldInputError(ValueError):
    """A value typed in a task form does not fit its field; the message names the field."""

    def __init__(self, field: FieldDef, message: str) -> None:
        super().__init__(f"{field.name}: {message}")
        self.field_id = field.id


@dataclass(frozen=True, slots=True)
class TableRow:
    """A row of a table input: ``key`` is ``r<ROW_ID>`` for a stored row, ``n<K>`` for a new one."""

    key: str
    row_id: int | None


# --- inputs --------------------------------------------------------------------------------------


def _options(field: FieldDef, directory: Directory) -> list[tuple[str, str]]:
    if field.type == "multiple_choice":
        return [(str(o.id), o.value) for o in field.options if not o.deleted]
    if field.type == "catalog":
        catalog = directory.catalogs.get(field.catalog_id or -1)
        items = [] if catalog is None else [i for i in catalog.items if not i.deleted]
        return [(str(i.item_id), " · ".join(i.values)) for i in items]
    if field.type == "person":
        return [
            (str(p.id), f"{p.first_name} {p.last_name}".strip() + f" ({p.email})")
            for p in sorted(directory.people.values(), key=lambda p: p.id)
            if not p.banned and not p.fired
        ]
    if field.type == "flag":
        return [("checked", "checked"), ("unchecked", "unchecked")]
    return []


def _input(field: FieldDef, directory: Directory, step: int | None) -> dict[str, Any]:
    """One field's input description for the templates."""
    entry: dict[str, Any] = {
        "id": field.id,
        "name": field.name,
        "type": field.type,
        "required": field.required_step is not None and field.required_step <= (step or 1),
        "locked": field.immutable_step is not None
        and step is not None
        and step >= field.immutable_step,
        "hint": "",
        "multiple": False,
    }
    if field.type == "note":
        entry.update(input="note", hint=field.text or "")
    elif field.type == "title":
        entry["input"] = "title"
    elif field.type == "text" and field.multiline:
        entry["input"] = "textarea"
    elif field.type in {"multiple_choice", "catalog", "person", "flag"}:
        entry.update(input="select", options=_options(field, directory))
        entry["multiple"] = field.type in _MULTI_TYPES and field.multiple_choice
    elif field.type == "file":
        entry.update(input="file", multiple=True)
    elif field.type in _INPUT_TYPES:
        entry["input"] = _INPUT_TYPES[field.type]
        if field.type == "due_date_time":
            entry["hint"] = "in your time zone; the duration is in minutes"
        if field.type == "form_link":
            entry["hint"] = "task ids, separated by commas"
    else:
        entry["input"] = "unsupported"
    return entry


def field_inputs(
    form: FormDef,
    directory: Directory,
    *,
    step: int | None = None,
    table_rows: Mapping[int, list[TableRow]] | None = None,
) -> list[dict[str, Any]]:
    """The inputs of a form's fields in template order. A table's entry lists its ``columns``
    and ``rows`` (stored rows from ``table_rows``, then blank ones); read-only types are left
    out. ``step`` is the task's current step (``None`` for a new task)."""
    inputs: list[dict[str, Any]] = []
    for field in form.fields:
        parent = form.field_by_id(field.parent_id) if field.parent_id is not None else None
        if field.type in _READ_ONLY_TYPES or (parent is not None and parent.type == "table"):
            continue
        entry = _input(field, directory, step)
        if field.type == "table":
            stored = list((table_rows or {}).get(field.id, []))
            blank = [TableRow(f"n{k}", None) for k in range(NEW_TABLE_ROWS)]
            entry.update(
                input="table",
                columns=[_input(c, directory, step) for c in table_columns(form, field)],
                rows=stored + blank,
            )
        entry["nested"] = parent is not None
        inputs.append(entry)
    return inputs


# --- the current values of a task, as a submitted form ----------------------------------------


def _flat(fields: Any) -> Iterator[Mapping[str, Any]]:
    for item in fields or []:
        if isinstance(item, Mapping):
            yield item
            value = item.get("value")
            if item.get("type") == "title" and isinstance(value, Mapping):
                yield from _flat(value.get("fields"))


def local_input(value: str, zone: ZoneInfo) -> str:
    """A UTC ``...Z`` date-time as a ``datetime-local`` input in ``zone``."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def utc_value(text: str, zone: ZoneInfo) -> str:
    """A ``datetime-local`` input typed in ``zone`` as the API's UTC ``...Z``; ValueError when
    it is no date-time."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_inputs(kind: str, value: Any, zone: ZoneInfo) -> list[str]:
    """A rendered field value as the strings its input holds."""
    if value in (None, "", []):
        return []
    if isinstance(value, Mapping):
        if kind == "multiple_choice":
            return [str(i) for i in value.get("choice_ids") or []]
        if kind == "catalog":
            ids = value.get("item_ids") or ([value["item_id"]] if "item_id" in value else [])
            return [str(i) for i in ids]
        if kind == "person":
            return [str(value["id"])] if "id" in value else []
        if kind == "form_link":
            ids = value.get("task_ids") or ([value["task_id"]] if "task_id" in value else [])
            return [", ".join(str(i) for i in ids)] if ids else []
        return []
    if kind == "due_date_time" and isinstance(value, str):
        return [local_input(value, zone)]
    if isinstance(value, bool):
        return ["checked" if value else "unchecked"]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return [str(value)]


def task_inputs(
    task: Mapping[str, Any], zone: ZoneInfo = UTC_ZONE
) -> tuple[dict[str, list[str]], dict[int, list[TableRow]]]:
    """A rendered task's field values as the inputs of its edit form (date-times in the viewer's
    ``zone``), and its tables' rows."""
    values: dict[str, list[str]] = {}
    rows: dict[int, list[TableRow]] = {}
    for field in _flat(task.get("fields")):
        field_id, kind, value = field.get("id"), str(field.get("type")), field.get("value")
        if kind == "table" and isinstance(value, list) and isinstance(field_id, int):
            for row in value:
                if not isinstance(row, Mapping) or row.get("deleted"):
                    continue
                key = f"r{row.get('row_id')}"
                rows.setdefault(field_id, []).append(TableRow(key, int(row.get("row_id") or 0)))
                for cell in row.get("cells") or []:
                    cell_kind = str(cell.get("type"))
                    values[f"f{cell.get('id')}@{key}"] = _as_inputs(
                        cell_kind, cell.get("value"), zone
                    )
        elif kind in {"title", "file"}:
            continue  # a title is a heading here; files are added, never retyped
        else:
            values[f"f{field_id}"] = _as_inputs(kind, value, zone)
            if field.get("duration") is not None:
                values[f"f{field_id}.duration"] = [str(field["duration"])]
    return values, rows


# --- submitted values as API field values -------------------------------------------------------


def _number(text: str, field: FieldDef) -> int | float:
    try:
        parsed = Decimal(text.replace(",", "").replace(" ", ""))
    except InvalidOperation:
        raise FieldInputError(field, f"“{text}” is not a number") from None
    if not parsed.is_finite():
        raise FieldInputError(field, f"“{text}” is not a number")
    return int(parsed) if parsed == parsed.to_integral_value() else float(parsed)


def _date(text: str, field: FieldDef) -> str:
    try:
        date.fromisoformat(text)
    except ValueError:
        raise FieldInputError(field, f"“{text}” is not a date (YYYY-MM-DD)") from None
    return text


def _id(text: str, field: FieldDef) -> int:
    if not text.isdigit() or len(text) > 18:
        raise FieldInputError(field, f"“{text}” is not one of its choices")
    return int(text)


def _value(field: FieldDef, raw: list[str], zone: ZoneInfo) -> Any:
    """The API value of one field from its non-empty input strings."""
    first = raw[0]
    match field.type:
        case "money" | "number":
            return _number(first, field)
        case "date" | "due_date":
            return _date(first, field)
        case "due_date_time":
            try:
                return utc_value(first, zone)
            except ValueError:
                raise FieldInputError(field, f"“{first}” is not a date and time") from None
        case "multiple_choice":
            return {"choice_ids": [_id(r, field) for r in raw]}
        case "catalog":
            return {"item_ids": [_id(r, field) for r in raw]}
        case "person":
            return {"id": _id(first, field)}
        case "form_link":
            parts = [p.strip() for p in first.replace(";", ",").split(",") if p.strip()]
            return {"task_ids": [_id(p, field) for p in parts]}
        case _:
            return first


def _strings(submitted: Submitted, name: str) -> list[str]:
    return [s.strip() for s in submitted.get(name, []) if s.strip()]


def _table_value(
    form: FormDef,
    table: FieldDef,
    submitted: Submitted,
    previous: Submitted | None,
    zone: ZoneInfo,
) -> list[dict[str, Any]]:
    """The rows of a table update: changed stored rows, removed rows, filled new rows."""
    columns = [c for c in table_columns(form, table) if c.type not in _READ_ONLY_TYPES]
    ids = {table.id, *(c.id for c in columns)}
    keys = {
        found.group(2)
        for name in [*submitted, *(previous or {})]
        if (found := _ROW_INPUT.match(name)) and int(found.group(1)) in ids
    }
    rows: list[dict[str, Any]] = []
    for key in sorted(keys, key=lambda k: (k[0], int(k[1:]))):
        stored = key.startswith("r")
        if stored and _strings(submitted, f"del{table.id}@{key}"):
            rows.append({"row_id": int(key[1:]), "delete": True})
            continue
        cells = []
        for column in columns:
            name = f"f{column.id}@{key}"
            now = _strings(submitted, name)
            before = _strings(previous or {}, name) if stored else []
            if now == before:
                continue
            cells.append({"id": column.id, "value": _value(column, now, zone) if now else None})
        if stored and cells:
            rows.append({"row_id": int(key[1:]), "cells": cells})
        elif not stored and any(c["value"] is not None for c in cells):
            rows.append({"cells": [c for c in cells if c["value"] is not None]})
    return rows


def field_values(
    form: FormDef,
    directory: Directory,
    submitted: Submitted,
    *,
    previous: Submitted | None = None,
    step: int | None = None,
    zone: ZoneInfo = UTC_ZONE,
) -> list[dict[str, Any]]:
    """The ``fields`` (new task) or, with ``previous`` (the task's inputs before editing), the
    ``field_updates`` (comment: only changed fields, an emptied one cleared) of a submitted form.
    Files are not here: they arrive as uploads (the caller adds them)."""
    out: list[dict[str, Any]] = []
    for entry in field_inputs(form, directory, step=step):
        field = form.field_by_id(entry["id"])
        assert field is not None
        if entry["input"] in _NOT_TYPED or entry["locked"]:
            continue
        if field.type == "table":
            rows = _table_value(form, field, submitted, previous, zone)
            if rows:
                out.append({"id": field.id, "value": rows})
            continue
        now = _strings(submitted, f"f{field.id}")
        duration = _strings(submitted, f"f{field.id}.duration")
        if previous is not None:
            before = _strings(previous, f"f{field.id}")
            if now == before and duration == _strings(previous, f"f{field.id}.duration"):
                continue
            if not now:
                # an unticked box sends nothing: for a checkmark that is "unchecked"
                cleared = "unchecked" if field.type == "checkmark" else None
                out.append({"id": field.id, "value": cleared})
                continue
        elif not now:
            continue
        update: dict[str, Any] = {"id": field.id, "value": _value(field, now, zone)}
        if duration and field.type == "due_date_time":
            if not duration[0].isdigit():
                raise FieldInputError(field, f"duration “{duration[0]}” is not a whole number")
            update["duration"] = int(duration[0])
        out.append(update)
    return out
