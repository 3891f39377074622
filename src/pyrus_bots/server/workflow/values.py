"""Field values of every type: write format -> stored format -> read format (spec 3.8).

What a written value may look like is ``protocol.field_values`` (shared with the SDK); this
module adds what needs the organisation: catalog items, options, people and files looked up in
the directory, table cells checked against the form's columns, decimal places against the
template, and the stored and read formats.

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

from collections.abc import Callable, Mapping
from typing import Any

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.field_values import (
    FIELD_TYPES,
    MONEY_DECIMAL_PLACES,
    READ_ONLY_TYPES,
    WRITE_RULES,
    WireValueError,
    wire_catalog,
    wire_duration,
    wire_file_ref,
    wire_files,
    wire_form_link,
    wire_multiple_choice,
    wire_number,
    wire_person,
    wire_table,
    wire_title,
)
from pyrus_bots.protocol.pyrus_json import format_date, omit_empty
from pyrus_bots.server.workflow.addressing import find_field, table_columns, title_children
from pyrus_bots.server.workflow.entities import render_file, render_person_ref
from pyrus_bots.server.workflow.state import Catalog, Directory, FieldDef, FormDef, TaskState

__all__ = [
    "FIELD_TYPES",
    "MONEY_DECIMAL_PLACES",
    "READ_ONLY_TYPES",
    "is_empty",
    "read_field",
    "read_value",
    "resolve_file_id",
    "resolve_person_id",
    "store_title",
    "store_value",
]


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


def _bad(fdef: FieldDef, why: str, code: str = "invalid_value_format") -> PyrusError:
    return PyrusError(code, f"field {fdef.id} ({fdef.type}): {why}")


def _checked(fdef: FieldDef, rule: Callable[..., Any], value: Any, *more: Any) -> Any:
    """``rule(value, *more)`` (a wire rule), its error worded for this field."""
    try:
        return rule(value, *more)
    except WireValueError as error:
        raise _bad(fdef, error.why, error.code) from None


# --- write -> stored: the wire rules of protocol.field_values plus the directory --------------


def _store_due(fdef: FieldDef, value: Any, entry: Mapping[str, Any], current: Any) -> Any:
    key = "date" if fdef.type == "due_date" else "datetime"
    stored: dict[str, Any] = {key: _checked(fdef, WRITE_RULES[fdef.type], value)}
    duration = _checked(fdef, wire_duration, entry)
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


def _catalog_item_by_name(catalog: Catalog, name: str) -> int:
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


def _single(fdef: FieldDef, chosen: list[int], what: str) -> None:
    if len(chosen) > 1 and not fdef.multiple_choice:
        raise PyrusError(
            "field_cannot_have_multiple_values", f"field {fdef.id} takes a single {what}"
        )


def _store_catalog(directory: Directory, fdef: FieldDef, value: Any) -> Any:
    catalog = _catalog(directory, fdef)
    ref = _checked(fdef, wire_catalog, value)
    by_id: list[int] = ref["item_ids"]
    by_name = [_catalog_item_by_name(catalog, n) for n in ref["item_names"]]
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
    _single(fdef, chosen, "catalog item")
    return {"item_ids": chosen} if chosen else None


def _store_multiple_choice(fdef: FieldDef, value: Any) -> Any:
    ref = _checked(fdef, wire_multiple_choice, value)
    live = {o.id: o.value for o in fdef.options if not o.deleted}
    chosen: list[int] = ref.get("choice_ids", [])
    if "choice_names" in ref:
        for name in ref["choice_names"]:
            match = [cid for cid, text in live.items() if text.casefold() == name.casefold()]
            if not match:
                raise _bad(fdef, f"no option named {name!r}")
            chosen.append(match[0])
        chosen = list(dict.fromkeys(chosen))
    for choice_id in chosen:
        if choice_id not in live:
            raise _bad(fdef, f"no option with id {choice_id}")
    _single(fdef, chosen, "option")
    return {"choice_ids": chosen} if chosen else None


def resolve_person_id(directory: Directory, identity: Any, *, allow_roles: bool = False) -> int:
    """The person id a PersonIdentity (``{"id"}`` or ``{"email"}``, or a bare id) names."""
    try:
        ref = wire_person(identity)
    except WireValueError as error:
        raise PyrusError(error.code, error.why) from None
    if "id" in ref:
        person_id: int = ref["id"]
        if person_id in directory.people or (allow_roles and person_id in directory.roles):
            return person_id
        raise PyrusError("invalid_person_id", f"there is no person with id {person_id!r}")
    person = directory.person_by_email(ref["email"])
    if person is None:
        raise PyrusError("invalid_email", f"there is no person with e-mail {ref['email']!r}")
    return person.id


def resolve_file_id(directory: Directory, ref: Any) -> int:
    """The file id a NewFile (guid string, ``{guid}``, ``{attachment_id}`` or ``{id}``) names.

    A ``{url}`` NewFile left here is refused: callers that accept them fetch and store the
    file first and name it by guid (``tasks.attachments``).
    """
    try:
        new_file = wire_file_ref(ref)
    except WireValueError as error:
        raise PyrusError(error.code, error.why) from None
    guid = new_file.get("guid")
    if guid is not None and guid in directory.files_by_guid:
        return directory.files_by_guid[guid].id
    file_id = new_file.get("attachment_id")
    if file_id is not None and file_id in directory.files_by_id:
        return int(file_id)
    shown = guid if guid is not None else file_id if file_id is not None else new_file.get("url")
    raise PyrusError("unrecognized_attachment_id", f"no uploaded file {shown!r}")


def _store_table(
    directory: Directory, form: FormDef, fdef: FieldDef, value: Any, current: Any
) -> Any:
    rows: list[dict[str, Any]] = [
        {"row_id": r["row_id"], "cells": dict(r["cells"])} for r in (current or [])
    ]
    columns = table_columns(form, fdef)
    for raw_row in _checked(fdef, wire_table, value):
        row_id = raw_row.get("row_id")
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
        seen: set[int] = set()
        for cell in raw_row.get("cells", []):
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
    checkmark = _checked(fdef, wire_title, value).get("checkmark")
    return {"checkmark": checkmark} if checkmark is not None else None


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
        return None  # protocol.field_values.clears, inline on this hot path
    if kind in ("money", "number"):
        return _checked(fdef, wire_number, value, kind, fdef.decimal_places)
    if kind in ("due_date", "due_date_time"):
        return _store_due(fdef, value, entry, current)
    if kind == "catalog":
        return _store_catalog(directory, fdef, value)
    if kind == "multiple_choice":
        return _store_multiple_choice(fdef, value)
    if kind == "person":
        return resolve_person_id(directory, value)
    if kind == "file":
        refs = _checked(fdef, wire_files, value)
        return list(dict.fromkeys(resolve_file_id(directory, ref) for ref in refs)) or None
    if kind == "form_link":
        ids = _checked(fdef, wire_form_link, value)["task_ids"]
        return {"task_ids": ids} if ids else None
    if kind == "table":
        return _store_table(directory, form, fdef, value, current)
    if kind == "title":
        return store_title(fdef, value)
    rule = WRITE_RULES.get(kind)
    if rule is None:
        raise PyrusError("type_is_not_supported", f"field {fdef.id} has unsupported type {kind!r}")
    # text, email, phone, date, time, checkmark, flag: the canonical wire value is stored
    return _checked(fdef, rule, value)


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
    value = read_value(
        directory, form, fdef, stored, task=task, children=children, files_url=files_url
    )
    envelope: dict[str, Any] = {  # the key order of protocol.models.FormField
        "id": fdef.id,
        "type": fdef.type,
        "name": fdef.name,
        "code": fdef.code,
        "value": value,
        "parent_id": fdef.parent_id,
        "row_id": row_id,
    }
    if fdef.type in ("due_date", "due_date_time") and isinstance(stored, Mapping):
        envelope["duration"] = stored.get("duration")
    cleaned: dict[str, Any] = omit_empty(envelope)
    return cleaned
