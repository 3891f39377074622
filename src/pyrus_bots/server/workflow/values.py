"""Field values of every type: write format -> stored format -> read format (spec 3.8).

The stored format is plain JSON (the store keeps ``TaskState.fields`` in a JSON column), so every
stored value survives a JSON round trip unchanged:

=================  ==========================================================================
type               stored value
=================  ==========================================================================
text, email,       the string
phone
money, number      the number (``int`` or ``float``), decimal places checked on write
date               ``"YYYY-MM-DD"``
time               ``"HH:MM"``
checkmark          ``"checked"`` | ``"unchecked"``
flag               ``"none"`` | ``"checked"`` | ``"unchecked"``
due_date           ``{"date": "YYYY-MM-DD", "duration"?: minutes}``
due_date_time      ``{"datetime": "YYYY-MM-DDThh:mm:ssZ", "duration"?: minutes}``
catalog            ``{"item_ids": [int, ...]}``
multiple_choice    ``{"choice_ids": [int, ...]}``
person             the person id (``int``)
file               ``[file id, ...]`` (a write replaces the list)
form_link          ``{"task_ids": [int, ...]}``
table              ``[{"row_id": int, "cells": {"<column id>": stored, ...}}, ...]``
title              ``{"checkmark": ...}`` or ``{}``; its children are stored at top level
step, status,      never stored: computed from the task when read, ignored on write
note, author,
project,
creation_date
=================  ==========================================================================

A write of ``null`` (or an empty string/list) clears a field; cleared fields are not stored.
Tables merge: rows named by ``row_id`` are changed cell by cell, new ids add rows (a row without
``row_id`` gets the next free id), ``{"row_id": n, "delete": true}`` removes a row, rows not
mentioned stay. Row ``position`` is accepted and ignored (rows keep their insertion order).
A due date written without the sibling ``duration`` key keeps the stored duration (clients that
echo a field back drop that key); ``"duration": null`` removes it.
Values attached to multiple-choice options (``value.fields``) are ignored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.pyrus_json import (
    format_date,
    format_datetime,
    omit_empty,
    parse_datetime,
)
from pyrus_bots.server.workflow.addressing import find_field, table_columns, title_children
from pyrus_bots.server.workflow.entities import render_file, render_person_ref
from pyrus_bots.server.workflow.state import Catalog, Directory, FieldDef, FormDef, TaskState

FIELD_TYPES = frozenset(
    {
        "text",
        "money",
        "number",
        "date",
        "time",
        "checkmark",
        "multiple_choice",
        "due_date",
        "email",
        "phone",
        "flag",
        "step",
        "status",
        "creation_date",
        "note",
        "catalog",
        "file",
        "person",
        "author",
        "table",
        "title",
        "project",
        "form_link",
        "due_date_time",
    }
)
"""The 24 field types of spec 3.8."""

READ_ONLY_TYPES = frozenset({"step", "status", "note", "author", "project", "creation_date"})
"""Types whose value the task computes; writes to them are ignored, with or without a value."""

MONEY_DECIMAL_PLACES = 2
"""Money fields keep cents unless the template says otherwise."""

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^(\d{2}):(\d{2})(?::\d{2})?$")
_CHECKMARK_VALUES = ("checked", "unchecked")
_FLAG_VALUES = ("none", "checked", "unchecked")


def is_empty(stored: Any) -> bool:
    """Whether a stored value means "no value" (then the field's ``value`` is not rendered)."""
    if stored is None:
        return True
    if isinstance(stored, str | list | dict):
        if len(stored) == 0:
            return True
        if isinstance(stored, dict):
            return all(is_empty(v) for v in stored.values())
    return False


def _bad(fdef: FieldDef, why: str) -> PyrusError:
    return PyrusError("invalid_value_format", f"field {fdef.id} ({fdef.type}): {why}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ids(fdef: FieldDef, value: Any, what: str) -> list[int]:
    if not isinstance(value, list) or not all(_is_int(v) for v in value):
        raise _bad(fdef, f"{what} must be a list of integers")
    return list(dict.fromkeys(value))


# --- write -> stored -------------------------------------------------------------------------


def _store_text(fdef: FieldDef, value: Any) -> Any:
    if not isinstance(value, str):
        raise _bad(fdef, "expected a string")
    return value


def _store_number(fdef: FieldDef, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _bad(fdef, "expected a number")
    try:
        exact = Decimal(str(value).strip())
    except InvalidOperation:
        raise _bad(fdef, f"{value!r} is not a number") from None
    if not exact.is_finite():
        raise _bad(fdef, "expected a finite number")
    limit = fdef.decimal_places
    if limit is None and fdef.type == "money":
        limit = MONEY_DECIMAL_PLACES
    exponent = exact.normalize().as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if limit is not None and places > limit:
        raise PyrusError(
            "too_many_decimal_places",
            f"field {fdef.id} allows {limit} decimal places, got {places}",
        )
    if _is_int(value):
        return value
    if places == 0 and abs(exact) < 2**53:
        return int(exact)
    number = float(exact)
    if math.isinf(number):
        raise _bad(fdef, "number out of range")
    return number


def _parse_date_text(fdef: FieldDef, value: Any) -> str:
    if not isinstance(value, str) or not _DATE_RE.match(value.strip()):
        raise _bad(fdef, "expected a date YYYY-MM-DD")
    try:
        return format_date(date.fromisoformat(value.strip()))
    except ValueError:
        raise _bad(fdef, f"{value!r} is not a date") from None


def _parse_datetime_text(fdef: FieldDef, value: Any) -> str:
    if not isinstance(value, str) or "T" not in value:
        raise _bad(fdef, "expected a date-time YYYY-MM-DDThh:mm:ssZ")
    try:
        return format_datetime(parse_datetime(value))
    except ValueError:
        raise _bad(fdef, f"{value!r} is not a date-time") from None


def _store_time(fdef: FieldDef, value: Any) -> Any:
    match = _TIME_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise _bad(fdef, "expected a time HH:MM")
    return f"{match.group(1)}:{match.group(2)}"


def _store_choice_word(fdef: FieldDef, value: Any, allowed: tuple[str, ...]) -> Any:
    if isinstance(value, bool):
        return "checked" if value else "unchecked"
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise _bad(fdef, f"expected one of {', '.join(allowed)}")
    return value.strip().lower()


def _duration(fdef: FieldDef, entry: Mapping[str, Any]) -> int | None:
    raw = entry.get("duration")
    if raw is None:
        return None
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        raw = int(raw.strip())  # the help example writes it as a string
    if not _is_int(raw):
        raise _bad(fdef, "duration must be an integer number of minutes")
    if raw < 0:
        raise PyrusError("negative_duration", f"field {fdef.id}: duration is negative")
    return int(raw)


def _store_due(fdef: FieldDef, value: Any, entry: Mapping[str, Any], current: Any) -> Any:
    if fdef.type == "due_date":
        stored: dict[str, Any] = {"date": _parse_date_text(fdef, value)}
    else:
        stored = {"datetime": _parse_datetime_text(fdef, value)}
    duration = _duration(fdef, entry)
    if "duration" not in entry and isinstance(current, Mapping):
        # clients that echo a field back (the official Python one) drop the sibling key
        duration = current.get("duration")
    if duration is not None:
        stored["duration"] = duration
    return stored


def _catalog(directory: Directory, fdef: FieldDef) -> Catalog:
    catalog = directory.catalogs.get(fdef.catalog_id) if fdef.catalog_id is not None else None
    if catalog is None:
        raise PyrusError("invalid_catalog_id", f"field {fdef.id} refers to no catalog")
    return catalog


def _catalog_item_by_name(catalog: Catalog, fdef: FieldDef, name: Any) -> int:
    if not isinstance(name, str):
        raise _bad(fdef, "catalog item names must be strings")
    wanted = name.strip().casefold()
    found = [
        i.item_id
        for i in catalog.items
        if not i.deleted and i.values and i.values[0].strip().casefold() == wanted
    ]
    if not found:
        raise PyrusError("invalid_catalog_item_name", f"no item {name!r} in catalog {catalog.id}")
    if len(found) > 1:
        raise PyrusError(
            "non_unique_catalog_item_name", f"several items {name!r} in catalog {catalog.id}"
        )
    return found[0]


def _store_catalog(directory: Directory, fdef: FieldDef, value: Any) -> Any:
    catalog = _catalog(directory, fdef)
    if _is_int(value):
        value = {"item_id": value}
    if not isinstance(value, Mapping):
        raise _bad(fdef, "expected {item_id}, {item_ids}, {item_name} or {item_names}")
    by_id: list[int] = []
    if value.get("item_ids") is not None:
        by_id = _ids(fdef, value["item_ids"], "item_ids")
    elif value.get("item_id") is not None:
        by_id = _ids(fdef, [value["item_id"]], "item_id")
    names: list[Any] = []
    if value.get("item_names") is not None:
        if not isinstance(value["item_names"], list):
            raise _bad(fdef, "item_names must be a list")
        names = list(value["item_names"])
    elif value.get("item_name") is not None:
        names = [value["item_name"]]
    by_name = [_catalog_item_by_name(catalog, fdef, n) for n in names]
    if by_id and by_name and set(by_id) != set(by_name):
        raise PyrusError(
            "catalog_item_id_name_mismatch", f"field {fdef.id}: item ids and names disagree"
        )
    chosen = list(dict.fromkeys(by_id or by_name))
    live = {i.item_id for i in catalog.items if not i.deleted}
    for item_id in chosen:
        if item_id not in live:
            raise PyrusError(
                "invalid_catalog_item_id", f"no item {item_id} in catalog {catalog.id}"
            )
    if len(chosen) > 1 and not fdef.multiple_choice:
        raise PyrusError(
            "field_cannot_have_multiple_values", f"field {fdef.id} takes a single catalog item"
        )
    return {"item_ids": chosen} if chosen else None


def _store_multiple_choice(fdef: FieldDef, value: Any) -> Any:
    if _is_int(value):
        value = {"choice_id": value}
    if not isinstance(value, Mapping):
        raise _bad(fdef, "expected {choice_ids}, {choice_id} or {choice_names}")
    live = {o.id: o.value for o in fdef.options if not o.deleted}
    chosen: list[int] = []
    if value.get("choice_ids") is not None:
        chosen = _ids(fdef, value["choice_ids"], "choice_ids")
    elif value.get("choice_id") is not None:
        chosen = _ids(fdef, [value["choice_id"]], "choice_id")
    elif value.get("choice_names") is not None or value.get("choice_name") is not None:
        names = value.get("choice_names")
        if names is None:
            names = [value["choice_name"]]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise _bad(fdef, "choice_names must be a list of strings")
        for name in names:
            match = [cid for cid, text in live.items() if text.casefold() == name.casefold()]
            if not match:
                raise _bad(fdef, f"no option named {name!r}")
            chosen.append(match[0])
        chosen = list(dict.fromkeys(chosen))
    for choice_id in chosen:
        if choice_id not in live:
            raise _bad(fdef, f"no option with id {choice_id}")
    if len(chosen) > 1 and not fdef.multiple_choice:
        raise PyrusError(
            "field_cannot_have_multiple_values", f"field {fdef.id} takes a single option"
        )
    return {"choice_ids": chosen} if chosen else None


def resolve_person_id(directory: Directory, identity: Any, *, allow_roles: bool = False) -> int:
    """The person id a PersonIdentity (``{"id"}`` or ``{"email"}``, or a bare id) names."""
    if _is_int(identity):
        identity = {"id": identity}
    if not isinstance(identity, Mapping):
        raise PyrusError("person_identity_missing", "a person is given as {id} or {email}")
    person_id = identity.get("id")
    if person_id is not None:
        known = person_id in directory.people or (allow_roles and person_id in directory.roles)
        if not _is_int(person_id) or not known:
            raise PyrusError("invalid_person_id", f"there is no person with id {person_id!r}")
        return int(person_id)
    email = identity.get("email")
    if email is not None:
        person = directory.person_by_email(email) if isinstance(email, str) else None
        if person is None:
            raise PyrusError("invalid_email", f"there is no person with e-mail {email!r}")
        return person.id
    raise PyrusError("person_identity_missing", "a person is given as {id} or {email}")


def resolve_file_id(directory: Directory, ref: Any) -> int:
    """The file id a NewFile (guid string, ``{guid}``, ``{attachment_id}`` or ``{id}``) names."""
    guid: Any = None
    file_id: Any = None
    if isinstance(ref, str):
        guid = ref
    elif _is_int(ref):
        file_id = ref
    elif isinstance(ref, Mapping):
        guid = ref.get("guid")
        file_id = ref.get("attachment_id", ref.get("id"))
    if isinstance(guid, str) and guid in directory.files_by_guid:
        return directory.files_by_guid[guid].id
    if _is_int(file_id) and file_id in directory.files_by_id:
        return int(file_id)
    shown = guid if guid is not None else file_id
    raise PyrusError("unrecognized_attachment_id", f"no uploaded file {shown!r}")


def _store_file(directory: Directory, fdef: FieldDef, value: Any) -> Any:
    if not isinstance(value, list):
        value = [value]
    return list(dict.fromkeys(resolve_file_id(directory, ref) for ref in value)) or None


def _store_form_link(fdef: FieldDef, value: Any) -> Any:
    if _is_int(value):
        value = {"task_id": value}
    if not isinstance(value, Mapping):
        raise _bad(fdef, "expected {task_ids} or {task_id}")
    if value.get("task_ids") is not None:
        ids = _ids(fdef, value["task_ids"], "task_ids")
    elif value.get("task_id") is not None:
        ids = _ids(fdef, [value["task_id"]], "task_id")
    else:
        ids = []
    if any(i <= 0 for i in ids):
        raise _bad(fdef, "task ids are positive")
    return {"task_ids": ids} if ids else None


def _store_table(
    directory: Directory, form: FormDef, fdef: FieldDef, value: Any, current: Any
) -> Any:
    if not isinstance(value, list):
        raise _bad(fdef, "a table value is a list of rows")
    rows: list[dict[str, Any]] = [
        {"row_id": r["row_id"], "cells": dict(r["cells"])} for r in (current or [])
    ]
    columns = table_columns(form, fdef)
    for raw_row in value:
        if not isinstance(raw_row, Mapping):
            raise _bad(fdef, "a table row is a JSON object")
        row_id = raw_row.get("row_id")
        if row_id is not None and (not _is_int(row_id) or row_id < 0):
            raise PyrusError("invalid_table_row", f"table {fdef.id}: bad row_id {row_id!r}")
        existing = next((r for r in rows if r["row_id"] == row_id), None)
        if raw_row.get("delete") is True:
            if existing is None:
                raise PyrusError("invalid_table_row", f"table {fdef.id} has no row {row_id!r}")
            rows.remove(existing)
            continue
        if existing is None:
            if row_id is None:
                row_id = max((r["row_id"] for r in rows), default=-1) + 1
            existing = {"row_id": row_id, "cells": {}}
            rows.append(existing)
        cells = raw_row.get("cells", [])
        if not isinstance(cells, list):
            raise _bad(fdef, "row cells are a list of fields")
        seen: set[int] = set()
        for cell in cells:
            column = find_field(columns, cell)
            if column.id in seen:
                raise PyrusError("duplicate_field", f"row {row_id} names field {column.id} twice")
            seen.add(column.id)
            if column.type in READ_ONLY_TYPES or column.type in ("table", "title"):
                continue
            old = existing["cells"].get(str(column.id))
            stored = store_value(directory, form, column, cell, old)
            if is_empty(stored):
                existing["cells"].pop(str(column.id), None)
            else:
                existing["cells"][str(column.id)] = stored
    return rows or None


def store_title(fdef: FieldDef, value: Any) -> Any:
    """The stored part of a title's own value: its checkmark (children are stored apart)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _bad(fdef, "a title value is {checkmark?, fields?}")
    checkmark = value.get("checkmark")
    if checkmark is None:
        return None
    return {"checkmark": _store_choice_word(fdef, checkmark, _CHECKMARK_VALUES)}


def store_value(
    directory: Directory,
    form: FormDef,
    fdef: FieldDef,
    entry: Mapping[str, Any],
    current: Any = None,
) -> Any:
    """Validate ``entry["value"]`` for ``fdef`` and return its stored form (``None`` = clear).

    ``entry`` is the whole field entry because some types read sibling keys (``duration``);
    ``current`` is the stored value before the write (tables merge rows into it).
    Read-only types and titles are handled by the caller (``updates``).
    """
    value = entry.get("value")
    kind = fdef.type
    if value is None or (isinstance(value, str | list) and len(value) == 0 and kind != "table"):
        return None
    if kind in ("text", "email", "phone"):
        return _store_text(fdef, value)
    if kind in ("money", "number"):
        return _store_number(fdef, value)
    if kind == "date":
        return _parse_date_text(fdef, value)
    if kind == "time":
        return _store_time(fdef, value)
    if kind == "checkmark":
        return _store_choice_word(fdef, value, _CHECKMARK_VALUES)
    if kind == "flag":
        return _store_choice_word(fdef, value, _FLAG_VALUES)
    if kind in ("due_date", "due_date_time"):
        return _store_due(fdef, value, entry, current)
    if kind == "catalog":
        return _store_catalog(directory, fdef, value)
    if kind == "multiple_choice":
        return _store_multiple_choice(fdef, value)
    if kind == "person":
        return resolve_person_id(directory, value)
    if kind == "file":
        return _store_file(directory, fdef, value)
    if kind == "form_link":
        return _store_form_link(fdef, value)
    if kind == "table":
        return _store_table(directory, form, fdef, value, current)
    if kind == "title":
        return store_title(fdef, value)
    raise PyrusError("type_is_not_supported", f"field {fdef.id} has unsupported type {kind!r}")


# --- stored -> read --------------------------------------------------------------------------


def _read_catalog(directory: Directory, fdef: FieldDef, stored: Mapping[str, Any]) -> Any:
    item_ids: list[int] = list(stored.get("item_ids", []))
    catalog = directory.catalogs.get(fdef.catalog_id) if fdef.catalog_id is not None else None
    items = {i.item_id: i for i in catalog.items} if catalog is not None else {}
    rows = [list(items[i].values) if i in items else [] for i in item_ids]
    return {
        "item_id": item_ids[0] if item_ids else None,
        "item_ids": item_ids,
        "headers": list(catalog.headers) if catalog is not None else [],
        "values": rows[0] if rows else [],
        "rows": rows,
        "item_names": [r[0] for r in rows if r],
    }


def _read_multiple_choice(fdef: FieldDef, stored: Mapping[str, Any]) -> Any:
    names = {o.id: o.value for o in fdef.options}
    ids: list[int] = list(stored.get("choice_ids", []))
    return {
        "choice_ids": ids,
        "choice_names": [names.get(i, "") for i in ids],
        "choice_id": ids[0] if ids else None,
    }


def read_value(
    directory: Directory,
    form: FormDef,
    fdef: FieldDef,
    stored: Any,
    *,
    task: TaskState | None = None,
    children: Mapping[int, Any] | None = None,
    files_url: str | None = None,
) -> Any:
    """The read format (spec 3.8) of a stored value; ``None`` when the field has no value.

    Computed types read ``task``; a title reads its children's stored values from ``children``
    (a task's ``fields``).
    """
    kind = fdef.type
    if kind in READ_ONLY_TYPES:
        return _read_computed(directory, fdef, task)
    if kind == "title":
        return {
            "checkmark": (stored or {}).get("checkmark"),
            "fields": [
                read_field(
                    directory,
                    form,
                    child,
                    (children or {}).get(child.id),
                    task=task,
                    children=children,
                    files_url=files_url,
                )
                for child in title_children(form, fdef)
            ],
        }
    if is_empty(stored):
        return None
    if kind in ("due_date", "due_date_time"):
        return stored.get("date", stored.get("datetime"))
    if kind == "catalog":
        return _read_catalog(directory, fdef, stored)
    if kind == "multiple_choice":
        return _read_multiple_choice(fdef, stored)
    if kind == "person":
        return render_person_ref(directory, int(stored))
    if kind == "file":
        return [
            render_file(directory.files_by_id[i], files_url)
            for i in stored
            if i in directory.files_by_id
        ]
    if kind == "form_link":
        ids = list(stored.get("task_ids", []))
        return {"task_ids": ids, "task_id": ids[0] if ids else None}
    if kind == "table":
        columns = table_columns(form, fdef)
        return [
            {
                "row_id": row["row_id"],
                "cells": [
                    read_field(
                        directory,
                        form,
                        column,
                        row["cells"].get(str(column.id)),
                        task=task,
                        row_id=row["row_id"],
                        files_url=files_url,
                    )
                    for column in columns
                ],
            }
            for row in stored
        ]
    return stored


def _read_computed(directory: Directory, fdef: FieldDef, task: TaskState | None) -> Any:
    kind = fdef.type
    if kind == "note":
        return fdef.text
    if task is None:
        return None
    if kind == "step":
        return task.current_step
    if kind == "status":
        return "closed" if task.is_closed else "open"
    if kind == "author":
        return render_person_ref(directory, task.author_id)
    if kind == "creation_date":
        return format_date(task.create_date)
    return None  # project: projects are not modelled


def read_field(
    directory: Directory,
    form: FormDef,
    fdef: FieldDef,
    stored: Any,
    *,
    task: TaskState | None = None,
    children: Mapping[int, Any] | None = None,
    row_id: int | None = None,
    files_url: str | None = None,
) -> dict[str, Any]:
    """The field envelope of spec 3.7: id, type, name, code, parent_id, row_id, value, duration.

    Keys without a value are left out (``value`` while the field is empty).
    """
    envelope: dict[str, Any] = {
        "id": fdef.id,
        "type": fdef.type,
        "name": fdef.name,
        "code": fdef.code,
        "parent_id": fdef.parent_id,
        "row_id": row_id,
    }
    value = read_value(
        directory, form, fdef, stored, task=task, children=children, files_url=files_url
    )
    if value is not None and not (isinstance(value, list | str) and len(value) == 0):
        envelope["value"] = value
    if fdef.type in ("due_date", "due_date_time") and isinstance(stored, Mapping):
        envelope["duration"] = stored.get("duration")
    cleaned: dict[str, Any] = omit_empty(envelope)
    return cleaned
