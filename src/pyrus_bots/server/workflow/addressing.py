"""Finding the field a ``field_updates`` entry (or a table cell) means: by id, code or name.

Spec 3.9: an entry names its field by ``id``, ``code`` or ``name``. When several are given they
must agree. Names compare after trimming and case folding; codes compare exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.workflow.state import FieldDef, FormDef


def _same_name(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def find_field(scope: Sequence[FieldDef], entry: Mapping[str, Any]) -> FieldDef:
    """The field of ``scope`` that ``entry`` names, or a PyrusError with the Pyrus code."""
    if not isinstance(entry, Mapping):
        raise PyrusError("invalid_value_format", "a field entry must be a JSON object")
    field_id = entry.get("id")
    name = entry.get("name")
    code = entry.get("code")
    if field_id is not None:
        if not _is_int(field_id):
            raise PyrusError("invalid_field_id", f"field id {field_id!r} is not an integer")
        found = next((f for f in scope if f.id == field_id), None)
        if found is None:
            raise PyrusError("invalid_field_id", f"there is no field with id {field_id}")
        if isinstance(name, str) and not _same_name(found.name, name):
            raise PyrusError("invalid_field_id_name", f"field {field_id} is not named {name!r}")
        if isinstance(code, str) and found.code != code:
            raise PyrusError("invalid_field_code", f"field {field_id} has no code {code!r}")
        return found
    if code is not None:
        if not isinstance(code, str):
            raise PyrusError("invalid_field_code", "a field code must be a string")
        by_code = [f for f in scope if f.code is not None and f.code == code]
        if not by_code:
            raise PyrusError("invalid_field_code", f"there is no field with code {code!r}")
        if len(by_code) > 1:
            raise PyrusError("non_unique_code", f"several fields have the code {code!r}")
        if isinstance(name, str) and not _same_name(by_code[0].name, name):
            raise PyrusError("invalid_field_name", f"field {code!r} is not named {name!r}")
        return by_code[0]
    if name is not None:
        if not isinstance(name, str):
            raise PyrusError("invalid_field_name", "a field name must be a string")
        by_name = [f for f in scope if _same_name(f.name, name)]
        if not by_name:
            raise PyrusError("invalid_field_name", f"there is no field named {name!r}")
        if len(by_name) > 1:
            raise PyrusError("non_unique_name", f"several fields are named {name!r}")
        return by_name[0]
    raise PyrusError("field_identity_missing", "a field entry needs an id, a code or a name")


def table_columns(form: FormDef, table: FieldDef) -> list[FieldDef]:
    """The column fields of a table field, in template order."""
    return [f for f in form.fields if f.parent_id == table.id]


def title_children(form: FormDef, title: FieldDef) -> list[FieldDef]:
    """The fields grouped under a title, in template order."""
    return [f for f in form.fields if f.parent_id == title.id]


def enclosing_table(form: FormDef, fdef: FieldDef) -> FieldDef | None:
    """The table a field is a column of, if any (a column may sit under a title in a table)."""
    parent_id = fdef.parent_id
    while parent_id is not None:
        parent = form.field_by_id(parent_id)
        if parent is None:
            return None
        if parent.type == "table":
            return parent
        parent_id = parent.parent_id
    return None


def find_top_level_field(form: FormDef, entry: Mapping[str, Any]) -> FieldDef:
    """The field a top-level ``field_updates`` entry names; table cells are refused.

    Title children are addressable directly (spec 3.8). Table columns are looked up only to
    answer ``field_is_in_table`` instead of an unknown-field error.
    """
    outside = [f for f in form.fields if enclosing_table(form, f) is None]
    try:
        return find_field(outside, entry)
    except PyrusError as first_error:
        if first_error.code not in {"invalid_field_id", "invalid_field_name", "invalid_field_code"}:
            raise
        inside = [f for f in form.fields if enclosing_table(form, f) is not None]
        try:
            find_field(inside, entry)
        except PyrusError:
            raise first_error from None
        raise PyrusError(
            "field_is_in_table", "a table cell is written through its table's value"
        ) from None
