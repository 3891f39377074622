"""Form fields: the JSON envelope (spec 3.7), template info (3.6) and typed values (3.8).

``FormField.value`` stays the raw JSON value, so building a task costs no per-type work;
:meth:`FormField.typed_value` turns it into a Python value (or a value model) on demand.
What a write of each type takes is ``protocol.field_values`` (shared by the SDK and the
platform); :func:`written_value` turns a typed value back into that write form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from pydantic import Field

from pyrus_bots.protocol.models.base import PyrusDate, PyrusDateTime, PyrusModel, RawJson
from pyrus_bots.protocol.models.enums import FieldType
from pyrus_bots.protocol.models.files import File
from pyrus_bots.protocol.models.person import Person
from pyrus_bots.protocol.pyrus_json import parse_date, parse_datetime, parse_time

__all__ = [
    "CatalogValue",
    "ChoiceOption",
    "DueDateValue",
    "FieldTypeName",
    "FormField",
    "FormFieldInfo",
    "FormLinkValue",
    "MultipleChoiceValue",
    "Project",
    "ProjectValue",
    "TableRow",
    "TitleValue",
    "iter_nested_fields",
    "written_value",
]

FieldTypeName = Annotated[FieldType | str, Field(union_mode="left_to_right")]
"""A field type: the :class:`FieldType` member when known, else the raw string."""


class CatalogValue(PyrusModel):
    """A catalog field value. ``item_id`` and ``values`` are the deprecated single-item form;
    ``item_ids`` and ``rows`` list every selected item. ``item_name(s)`` address items by their
    first column on write."""

    item_id: int | None = None
    item_ids: list[int] = Field(default_factory=list)
    headers: list[str] = Field(default_factory=list)
    values: list[str] = Field(default_factory=list)
    rows: list[list[str]] = Field(default_factory=list)
    item_name: str | None = None
    item_names: list[str] = Field(default_factory=list)

    def selected_ids(self) -> list[int]:
        """The selected item ids, whichever of the two forms the value used."""
        if self.item_ids:
            return list(self.item_ids)
        return [self.item_id] if self.item_id is not None else []

    def row_dicts(self) -> list[dict[str, str]]:
        """Each selected item as ``{header: cell}``."""
        rows = self.rows or ([self.values] if self.values else [])
        return [dict(zip(self.headers, row, strict=False)) for row in rows]


class MultipleChoiceValue(PyrusModel):
    """A multiple choice value; ``fields`` are the fields attached to the chosen option."""

    choice_ids: list[int] = Field(default_factory=list)
    choice_names: list[str] = Field(default_factory=list)
    choice_id: int | None = None
    fields: list[FormField] = Field(default_factory=list)

    def selected_ids(self) -> list[int]:
        if self.choice_ids:
            return list(self.choice_ids)
        return [self.choice_id] if self.choice_id is not None else []


class TitleValue(PyrusModel):
    """A title (section) value: an optional checkmark and the child fields."""

    checkmark: str | None = None
    fields: list[FormField] = Field(default_factory=list)


class TableRow(PyrusModel):
    """A table row. On write, ``delete: true`` removes the row."""

    row_id: int | None = None
    cells: list[FormField] = Field(default_factory=list)
    position: int | None = None
    deleted: bool | None = None
    delete: bool | None = None


class FormLinkValue(PyrusModel):
    """A link to other tasks (``task_id`` is the deprecated single form)."""

    task_ids: list[int] = Field(default_factory=list)
    subject: str | None = None
    task_id: int | None = None


class Project(PyrusModel):
    """A project (task list) with its parent chain."""

    id: int | None = None
    name: str | None = None
    parent: Project | None = None


class ProjectValue(PyrusModel):
    """A project field value."""

    projects: list[Project] = Field(default_factory=list)


class DueDateValue(PyrusModel):
    """A due date field read as one value: the date (or date-time) and the ``duration`` sibling
    key in minutes."""

    due_date: PyrusDate | None = None
    due: PyrusDateTime | None = None
    duration: int | None = None


class ChoiceOption(PyrusModel):
    """An option of a multiple choice field in a form template."""

    choice_id: int | None = None
    choice_value: str | None = None
    deleted: bool | None = None
    fields: list[FormField] = Field(default_factory=list)


class FormFieldInfo(PyrusModel):
    """Template-side description of a field; which keys apply depends on the field type."""

    required_step: int | None = None
    immutable_step: int | None = None
    options: list[ChoiceOption] = Field(default_factory=list)
    catalog_id: int | None = None
    columns: list[FormField] = Field(default_factory=list)
    fields: list[FormField] = Field(default_factory=list)
    form_id: int | None = None
    code: str | None = None
    decimal_places: int | None = None
    multiple_choice: bool | None = None
    multiline: bool | None = None

    def option(self, key: int | str) -> ChoiceOption | None:
        """The option with this choice id (int) or this text (str)."""
        for option in self.options:
            if option.choice_id == key if isinstance(key, int) else option.choice_value == key:
                return option
        return None


class FormField(PyrusModel):
    """A field of a task or a form template; ``value`` is the raw JSON value (absent = empty)."""

    id: int | None = None
    type: FieldTypeName | None = None
    name: str | None = None
    code: str | None = None
    value: RawJson = None
    info: FormFieldInfo | None = None
    parent_id: int | None = None
    row_id: int | None = None
    duration: int | None = None

    @property
    def field_type(self) -> FieldType | None:
        """The type as a :class:`FieldType`, or None when missing or unknown to us."""
        if isinstance(self.type, FieldType):
            return self.type
        try:
            return FieldType(self.type) if self.type is not None else None
        except ValueError:
            return None

    @property
    def field_code(self) -> str | None:
        """The code, also where a template keeps it only in ``info.code``."""
        if self.code:
            return self.code
        return self.info.code if self.info is not None else None

    def typed_value(self) -> Any:
        """The value as Python: str, int/float, date, time, datetime, Person, list[File],
        list[TableRow] or a value model, by ``type`` (spec 3.8). None when the field is empty;
        the raw value for unknown types. Raises ValueError on a value that does not fit."""
        if self.value is None:
            return None
        convert = _CONVERTERS.get(self.field_type) if self.field_type else None
        return convert(self.value) if convert is not None else self.value

    def due_value(self) -> DueDateValue | None:
        """A due_date/due_date_time field's value together with its ``duration``."""
        if self.value is None:
            return None
        if self.field_type is FieldType.DUE_DATE_TIME:
            return DueDateValue(due=_datetime(self.value), duration=self.duration)
        return DueDateValue(due_date=_date(self.value), duration=self.duration)

    def children(self) -> list[FormField]:
        """Fields nested in this one: title children, table cells (with ``row_id`` filled in),
        fields attached to the chosen option. Built from the raw value on each call."""
        return list(iter_nested_fields(self))


def iter_nested_fields(field: FormField) -> Iterator[FormField]:
    """Fields nested directly inside ``field``'s value (not recursive)."""
    value = field.value
    kind = field.field_type
    if kind is FieldType.TITLE or kind is FieldType.MULTIPLE_CHOICE:
        if isinstance(value, dict):
            for child in value.get("fields") or ():
                yield FormField.model_validate(child)
    elif kind is FieldType.TABLE and isinstance(value, list):
        for row in value:
            if not isinstance(row, dict):
                continue
            row_id = row.get("row_id")
            for cell in row.get("cells") or ():
                built = FormField.model_validate(cell)
                if built.row_id is None and row_id is not None:
                    built.row_id = row_id
                if built.parent_id is None:
                    built.parent_id = field.id
                yield built


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueError("a number field holds a number, not a boolean")
    if isinstance(value, int | float):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        return float(text)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value


def _creation_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if len(text) > 10:  # the long form of newer help revisions (spec 3.8)
        return parse_datetime(text).date()
    return parse_date(text)


# Values already typed (a server building a task from Python values) pass through.


def _date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return parse_date(_text(value))


def _time(value: Any) -> time:
    if isinstance(value, time):
        return value
    return parse_time(_text(value))


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return parse_datetime(_text(value))


def _step(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("a step is an integer")
    return int(value)


def _files(value: Any) -> list[File]:
    return [File.model_validate(item) for item in value]


def _rows(value: Any) -> list[TableRow]:
    return [TableRow.model_validate(row) for row in value]


_CONVERTERS: dict[FieldType, Callable[[Any], Any]] = {
    FieldType.TEXT: _text,
    FieldType.EMAIL: _text,
    FieldType.PHONE: _text,
    FieldType.NOTE: _text,
    FieldType.CHECKMARK: _text,
    FieldType.FLAG: _text,
    FieldType.STATUS: _text,
    FieldType.MONEY: _number,
    FieldType.NUMBER: _number,
    FieldType.DATE: _date,
    FieldType.DUE_DATE: _date,
    FieldType.CREATION_DATE: _creation_date,
    FieldType.TIME: _time,
    FieldType.DUE_DATE_TIME: _datetime,
    FieldType.STEP: _step,
    FieldType.PERSON: Person.model_validate,
    FieldType.AUTHOR: Person.model_validate,
    FieldType.CATALOG: CatalogValue.model_validate,
    FieldType.MULTIPLE_CHOICE: MultipleChoiceValue.model_validate,
    FieldType.FILE: _files,
    FieldType.TABLE: _rows,
    FieldType.TITLE: TitleValue.model_validate,
    FieldType.FORM_LINK: FormLinkValue.model_validate,
    FieldType.PROJECT: ProjectValue.model_validate,
}


def written_value(typed: Any) -> Any:
    """The write form (spec 3.8) of a value read with :meth:`FormField.typed_value`, so that a
    value read from a task can be written back as it is: value models become the ids a write
    takes, a File its attachment id, a Person its identity; other values are returned unchanged."""
    if isinstance(typed, list):
        return [written_value(item) for item in typed]
    if not isinstance(typed, PyrusModel):
        return typed
    if isinstance(typed, MultipleChoiceValue):
        return {"choice_ids": typed.selected_ids()}
    if isinstance(typed, CatalogValue):
        return {"item_ids": typed.selected_ids()}
    if isinstance(typed, FormLinkValue):
        return {"task_ids": typed.task_ids or ([typed.task_id] if typed.task_id else [])}
    if isinstance(typed, File) and typed.id is not None:
        return {"attachment_id": typed.id}
    if isinstance(typed, Person):
        return typed.identity().to_pyrus()
    if isinstance(typed, TitleValue | TableRow):
        return typed.to_pyrus()
    return typed


for _model in (MultipleChoiceValue, TitleValue, TableRow, Project, ChoiceOption, FormFieldInfo):
    _model.model_rebuild()
