"""Field updates checked against the task: find a field by id, code or name and convert a Python
value to the wire value its type takes (spec 3.8, 3.9).

Python conveniences (dates, bools, choice names, bare ids) are turned into wire values here; the
result is then checked with the same per-type rules the platform applies
(``protocol.field_values``), so a value this module lets through has the shape Pyrus takes.

Pyrus lists every form field in a delivered task (values omitted while empty), so a bot can
address and type-check any field without asking the API. A wrong reference or value raises
:class:`FieldValueError` in the bot, before anything is sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from pyrus_bots.bot.references import new_file, person_identity
from pyrus_bots.bot.reply_errors import (
    FieldValueError,
    ReplyError,
    UnknownCatalogItemError,
    UnknownChoiceError,
    UnresolvedNameError,
)
from pyrus_bots.protocol.field_values import (
    CHECKMARK_WORDS,
    FLAG_WORDS,
    READ_ONLY_TYPES,
    WRITE_RULES,
    WireValueError,
    wire_number,
)
from pyrus_bots.protocol.models.fields import written_value
from pyrus_bots.protocol.pyrus_json import format_date, format_datetime, format_time

__all__ = [
    "FieldIndex",
    "FieldRef",
    "FieldSpec",
    "FieldValueError",
    "ReplyError",
    "convert_value",
    "new_file",
    "person_identity",
]

FieldRef = int | str
"""A field is addressed by its id (int), its code or its name (str; code is tried first)."""

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^\d{2}:\d{2}$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@dataclass(slots=True)
class FieldSpec:
    """What the bot knows about one form field from the delivered task."""

    id: int
    type: str
    name: str | None = None
    code: str | None = None
    in_table: bool = False
    choices: dict[str, int] = field(default_factory=dict)  # option text -> choice id
    choice_ids: set[int] = field(default_factory=set)
    all_choices_known: bool = False  # the template's option list is known (read or delivered)
    catalog_multiple: bool | None = None  # info.multiple_choice (catalog or choice field)
    catalog_id: int | None = None  # info.catalog_id from the form template
    catalog_items: dict[str, list[int]] | None = None  # first column -> item ids, once read
    decimal_places: int | None = None

    @property
    def label(self) -> str:
        return repr(self.code or self.name or self.id)


class FieldIndex:
    """The fields of one task (title children and the sub-fields of chosen options included),
    looked up by id, code or name."""

    __slots__ = ("_by_code", "_by_id", "_by_name")

    def __init__(self, fields: Sequence[Mapping[str, Any]] | None) -> None:
        self._by_id: dict[int, FieldSpec] = {}
        self._by_code: dict[str, FieldSpec] = {}
        self._by_name: dict[str, list[FieldSpec]] = {}
        for raw, in_table in _walk(fields or (), in_table=False):
            self._add(raw, in_table)

    @classmethod
    def of_task(cls, task: Mapping[str, Any] | None) -> FieldIndex:
        return cls(task.get("fields") if task else None)

    def extend(self, fields: Sequence[Mapping[str, Any]]) -> None:
        """Add the fields (template or task JSON) this index does not list yet: the sub-fields
        of options a task has not chosen appear only in the form template."""
        for raw, in_table in _walk(fields, in_table=False):
            self._add(raw, in_table)

    def _add(self, raw: Mapping[str, Any], in_table: bool) -> None:
        field_id = raw.get("id")
        if not isinstance(field_id, int) or field_id in self._by_id:
            return
        info = _info(raw)
        code = raw.get("code") or info.get("code")
        spec = FieldSpec(
            id=field_id,
            type=str(raw.get("type") or "unknown"),
            name=raw.get("name"),
            code=code,
            in_table=in_table or raw.get("row_id") is not None,
        )
        _collect_choices(spec, raw, info)
        if "multiple_choice" in info:
            spec.catalog_multiple = bool(info["multiple_choice"])
        if isinstance(info.get("decimal_places"), int):
            spec.decimal_places = info["decimal_places"]
        self._by_id[field_id] = spec
        if code:
            self._by_code.setdefault(code, spec)
        if spec.name:
            self._by_name.setdefault(spec.name, []).append(spec)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[FieldSpec]:
        return iter(self._by_id.values())

    def find(self, ref: FieldRef) -> FieldSpec:
        """The field ``ref`` names; :class:`FieldValueError` when none or several do."""
        if isinstance(ref, bool) or not isinstance(ref, int | str):
            raise FieldValueError(f"a field is named by its id, code or name, not {ref!r}")
        if isinstance(ref, int):
            spec = self._by_id.get(ref)
        else:
            spec = self._by_code.get(ref)
            if spec is None:
                named = self._by_name.get(ref, [])
                if len(named) > 1:
                    ids = ", ".join(str(s.id) for s in named)
                    raise FieldValueError(
                        f"several fields are named {ref!r} (ids {ids}): use the id or the code"
                    )
                spec = named[0] if named else None
        if spec is None:
            known = sorted(s.code or s.name or str(s.id) for s in self._by_id.values())
            hint = f"; the task has: {', '.join(known)}" if known else "; the task has no fields"
            raise FieldValueError(f"the task has no field {ref!r}{hint}")
        return spec

    def update(self, ref: FieldRef, value: Any) -> dict[str, Any]:
        """The ``field_updates`` entry that sets the field ``ref`` to ``value``."""
        spec = self.find(ref)
        if spec.in_table:
            raise FieldValueError(
                f"field {spec.label} is a table cell: set it through its table's rows"
            )
        return {"id": spec.id, "value": convert_value(spec, value)}


def _info(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    info = raw.get("info")
    return info if isinstance(info, Mapping) else {}


def _walk(
    fields: Sequence[Mapping[str, Any]], *, in_table: bool
) -> Iterator[tuple[Mapping[str, Any], bool]]:
    for raw in fields:
        if not isinstance(raw, Mapping):
            continue
        yield raw, in_table
        value = raw.get("value")
        kind = raw.get("type")
        info = _info(raw)
        if kind == "title":
            nested = value.get("fields") if isinstance(value, Mapping) else None
            yield from _walk(nested or info.get("fields") or (), in_table=in_table)
        elif kind == "multiple_choice":
            # sub-fields of the chosen options (a task), of every option (a template)
            chosen = value.get("fields") if isinstance(value, Mapping) else None
            yield from _walk(chosen or (), in_table=in_table)
            for option in info.get("options") or ():
                if isinstance(option, Mapping):
                    yield from _walk(option.get("fields") or (), in_table=in_table)
        elif kind == "table":
            for row in value if isinstance(value, list) else ():
                if isinstance(row, Mapping):
                    yield from _walk(row.get("cells") or (), in_table=True)
            yield from _walk(info.get("columns") or (), in_table=True)


def _collect_choices(spec: FieldSpec, raw: Mapping[str, Any], info: Mapping[str, Any]) -> None:
    """Options of a multiple-choice field from the template info and the current value."""
    options = info.get("options") or ()
    spec.all_choices_known = bool(options)
    for option in options:
        if not isinstance(option, Mapping):
            continue
        choice_id = option.get("choice_id", option.get("id"))
        text = option.get("choice_value", option.get("value"))
        if isinstance(choice_id, int) and not option.get("deleted"):
            spec.choice_ids.add(choice_id)
            if isinstance(text, str):
                spec.choices[text] = choice_id
    value = raw.get("value")
    if spec.type == "multiple_choice" and isinstance(value, Mapping):
        ids = value.get("choice_ids") or (
            [value["choice_id"]] if isinstance(value.get("choice_id"), int) else []
        )
        names = value.get("choice_names") or []
        for index, choice_id in enumerate(ids):
            if isinstance(choice_id, int):
                spec.choice_ids.add(choice_id)
                if index < len(names) and isinstance(names[index], str):
                    spec.choices.setdefault(names[index], choice_id)


# --- value conversion, one function per family of types -------------------------------------


def _fail(spec: FieldSpec, expected: str, value: Any) -> FieldValueError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return FieldValueError(
        f"field {spec.label} ({spec.type}) needs {expected}, got {type(value).__name__} {shown}"
    )


def _refuse(spec: FieldSpec, value: Any) -> FieldValueError:
    return _fail(spec, _EXPECTED[spec.type], value)


def _text(spec: FieldSpec, value: Any) -> Any:
    if not isinstance(value, str):
        raise _refuse(spec, value)
    if spec.type == "email" and value and "@" not in value:
        raise _fail(spec, "an e-mail address", value)
    return value


def _number(spec: FieldSpec, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _fail(spec, "a number", value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _refuse(spec, value)
        return int(value) if value == value.to_integral_value() else float(value)
    return value  # NaN and infinities are refused by the wire rule


def _date(spec: FieldSpec, value: Any) -> Any:
    if isinstance(value, datetime):
        raise _fail(spec, "a date (datetime.date or 'YYYY-MM-DD'), not a date-time", value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, str) and _DATE_RE.match(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            raise _fail(spec, "a real calendar date", value) from None
        return value
    raise _refuse(spec, value)


def _datetime(spec: FieldSpec, value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, str) and _DATETIME_RE.match(value):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise _fail(spec, "a real date-time", value) from None
        return value
    raise _refuse(spec, value)


def _time(spec: FieldSpec, value: Any) -> Any:
    if isinstance(value, time):
        return format_time(value)
    if isinstance(value, str) and _TIME_RE.match(value):
        return value  # the wire rule checks the hour and the minute
    raise _refuse(spec, value)


def _checkmark(spec: FieldSpec, value: Any) -> Any:
    if isinstance(value, bool):
        return "checked" if value else "unchecked"
    if value in CHECKMARK_WORDS:
        return value
    raise _refuse(spec, value)


def _flag(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "checked" if value else "unchecked"
    if value in FLAG_WORDS:
        return value
    raise _refuse(spec, value)


def _choice_id(spec: FieldSpec, item: Any) -> int:
    if isinstance(item, bool):
        raise _fail(spec, "a choice id or a choice name", item)
    if isinstance(item, int):
        if spec.all_choices_known and item not in spec.choice_ids:
            known = ", ".join(f"{n!r}={i}" for n, i in sorted(spec.choices.items()))
            raise FieldValueError(f"field {spec.label} has no choice id {item}; known: {known}")
        return item
    if isinstance(item, str):
        if item in spec.choices:
            return spec.choices[item]
        if spec.all_choices_known:
            raise UnknownChoiceError(spec.label, item, list(spec.choices))
        raise UnresolvedNameError(
            f"field {spec.label}: the choice name {item!r} needs the form template (a task "
            "carries a choice field's value, not its options); the SDK reads it with the "
            "delivery's token, or pass form= to Reply.to_dict, or the choice id"
        )
    raise _fail(spec, "a choice id or a choice name", item)


def _multiple_choice(spec: FieldSpec, value: Any) -> Any:
    if isinstance(value, Mapping):
        if not ("choice_ids" in value or "choice_id" in value):
            raise _refuse(spec, value)
        return dict(value)
    items = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
    return {"choice_ids": [_choice_id(spec, item) for item in items]}


def _catalog(spec: FieldSpec, value: Any) -> Any:
    if isinstance(value, Mapping):
        if not {"item_id", "item_ids", "item_name", "item_names"} & set(value):
            raise _refuse(spec, value)
        return dict(value)
    if isinstance(value, list | tuple):
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return {"item_ids": list(value)}
        if all(isinstance(v, str) for v in value):
            if spec.catalog_items is not None:
                return {"item_ids": [_catalog_item(spec, name) for name in value]}
            return {"item_names": list(value)}
        raise _fail(spec, "a list of item ids or a list of item names", value)
    if isinstance(value, bool):
        raise _fail(spec, "a catalog item id or name", value)
    if isinstance(value, int):
        return {"item_id": value}
    if isinstance(value, str):
        if spec.catalog_items is not None:
            return {"item_ids": [_catalog_item(spec, value)]}
        return {"item_name": value}  # Pyrus resolves a first-column text itself
    raise _fail(spec, "a catalog item id or name", value)


def _catalog_item(spec: FieldSpec, name: str) -> int:
    """The id of the catalog item whose first column is ``name`` (the catalog was read)."""
    items = spec.catalog_items or {}
    ids = items.get(name, [])
    if len(ids) != 1:
        raise UnknownCatalogItemError(spec.label, name, list(items), ambiguous=bool(ids))
    return ids[0]


def _person(spec: FieldSpec, value: Any) -> Any:
    try:
        return person_identity(value)
    except ReplyError:
        raise _refuse(spec, value) from None


def _file(spec: FieldSpec, value: Any) -> Any:
    items = list(value) if isinstance(value, list | tuple) else [value]
    try:
        return [new_file(item) for item in items]
    except ReplyError:
        raise _refuse(spec, value) from None


def _form_link(spec: FieldSpec, value: Any) -> Any:
    if isinstance(value, Mapping) and ("task_ids" in value or "task_id" in value):
        return dict(value)
    items = list(value) if isinstance(value, list | tuple) else [value]
    if items and all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        return {"task_ids": items}
    raise _refuse(spec, value)


def _table(spec: FieldSpec, value: Any) -> Any:
    if isinstance(value, list | tuple) and all(isinstance(row, Mapping) for row in value):
        return [dict(row) for row in value]
    raise _refuse(spec, value)


def _title(spec: FieldSpec, value: Any) -> Any:
    if isinstance(value, bool):
        return {"checkmark": "checked" if value else "unchecked"}
    if isinstance(value, Mapping):
        return dict(value)
    raise _refuse(spec, value)


_CONVERTERS = {
    "text": _text,
    "email": _text,
    "phone": _text,
    "money": _number,
    "number": _number,
    "date": _date,
    "due_date": _date,
    "due_date_time": _datetime,
    "time": _time,
    "checkmark": _checkmark,
    "flag": _flag,
    "multiple_choice": _multiple_choice,
    "catalog": _catalog,
    "person": _person,
    "file": _file,
    "form_link": _form_link,
    "table": _table,
    "title": _title,
}


def convert_value(spec: FieldSpec, value: Any) -> Any:
    """The wire value for ``value`` in field ``spec``; :class:`FieldValueError` if it can't be."""
    if spec.type in READ_ONLY_TYPES:
        raise FieldValueError(f"field {spec.label} ({spec.type}) is read-only")
    if value is None and spec.type != "flag":
        return None  # clears the field
    converter = _CONVERTERS.get(spec.type)
    if converter is None:  # a type this SDK does not know yet: send as given
        return value
    wire = converter(spec, written_value(value))  # a value read from a task is taken back
    try:
        if spec.type in ("money", "number"):
            canonical = wire_number(wire, spec.type, spec.decimal_places)
        else:
            canonical = WRITE_RULES[spec.type](wire)
    except WireValueError as error:
        if error.code == "too_many_decimal_places":
            raise FieldValueError(f"field {spec.label} ({spec.type}) {error.why}") from None
        raise _refuse(spec, value) from None
    _check_choices(spec, canonical)
    return wire


_EXPECTED = {
    "text": "a string",
    "email": "a string",
    "phone": "a string",
    "money": "a finite number",
    "number": "a finite number",
    "date": "a date (datetime.date or 'YYYY-MM-DD')",
    "due_date": "a date (datetime.date or 'YYYY-MM-DD')",
    "due_date_time": "a date-time (datetime or 'YYYY-MM-DDThh:mm:ssZ')",
    "time": "a time (datetime.time or 'HH:MM')",
    "checkmark": "a bool (or 'checked'/'unchecked')",
    "flag": "a bool, None or 'none'/'checked'/'unchecked'",
    "multiple_choice": "a choice id, a name, a list of them or {'choice_ids': [...]}",
    "catalog": "an item id or name, a list of them, or {'item_ids': [...]}",
    "person": "a person id or e-mail",
    "file": "files (upload guids, attachment ids or NewFile dicts)",
    "form_link": "a task id or a list of task ids",
    "table": "a list of rows ({'row_id': n, 'cells': [...]})",
    "title": "a dict ({'checkmark'?, 'fields'?}) or a bool for its checkmark",
}
"""What each type takes, for the message when the shared wire rule refuses a converted value."""


def _check_choices(spec: FieldSpec, canonical: Any) -> None:
    """What the task tells about the field: its known choices and whether it takes several."""
    if spec.type == "multiple_choice":
        chosen = canonical.get("choice_ids", [])
        for choice_id in chosen:
            _choice_id(spec, choice_id)
        what = "choice"
    elif spec.type == "catalog":
        chosen = canonical["item_ids"] or canonical["item_names"]
        what = "catalog item"
    else:
        return
    if spec.catalog_multiple is False and len(chosen) > 1:
        raise FieldValueError(f"field {spec.label} takes one {what}, not {len(chosen)}")
