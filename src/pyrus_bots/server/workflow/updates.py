"""Applying a list of field entries (``field_updates`` of a comment, ``fields`` of a new task).

Each entry (a :class:`FieldUpdate` of the request) names its field (``addressing``) and carries
a value in the write format; the value is converted by ``values.store_value``. A title's own
entry writes its checkmark and, through ``value.fields``, its children; children may also be
written directly by their own id. Naming a field twice in one request is ``duplicate_field``.
Read-only types (step, status, note, author, project, creation_date) are skipped, whether or not
a value was sent: the official Python client sends them without a value and other clients echo
them back with the value they read.
A multiple-choice entry's ``value.fields`` writes the sub-fields of its options (a value with
``fields`` and no choice key leaves the choice as it is); sub-fields may also be written by their
own id, code or name. A value for a sub-field whose option is not chosen once the whole request
is applied is ``unable_to_edit_field`` (``option_fields``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import FieldUpdate
from pyrus_bots.server.workflow.addressing import find_field, find_top_level_field, title_children
from pyrus_bots.server.workflow.option_fields import check_shown, option_fields
from pyrus_bots.server.workflow.state import Directory, FieldDef, FormDef
from pyrus_bots.server.workflow.values import READ_ONLY_TYPES, is_empty, store_title, store_value

_CHOICE_KEYS = frozenset({"choice_ids", "choice_id", "choice_names", "choice_name"})


@dataclass(slots=True, frozen=True)
class FieldChange:
    """One field written by a request: its id and its new stored value (``None`` = cleared)."""

    field_id: int
    stored: Any


@dataclass(slots=True, frozen=True)
class EditRules:
    """Who edits at which step: ``immutable_step`` binds everyone but the form's managers."""

    current_step: int | None = None
    is_form_manager: bool = True


def apply_field_updates(
    directory: Directory,
    form: FormDef,
    fields: dict[int, Any],
    updates: Sequence[FieldUpdate],
    rules: EditRules | None = None,
) -> list[FieldChange]:
    """Write ``updates`` into ``fields`` (mutated) and return what changed, in request order.

    On error ``fields`` may be partly written: callers work on a copy and drop it.
    """
    writer = _Writer(directory, form, fields, rules or EditRules())
    for update in updates:
        # The Pyrus JSON of the entry: value converters read its keys (``value``, ``duration``).
        entry = update.to_pyrus()
        writer.write(find_top_level_field(form, entry), entry)
    check_shown(form, fields, writer.seen)
    return writer.changes


class _Writer:
    def __init__(
        self, directory: Directory, form: FormDef, fields: dict[int, Any], rules: EditRules
    ) -> None:
        self.directory = directory
        self.form = form
        self.fields = fields
        self.rules = rules
        self.seen: set[int] = set()
        self.changes: list[FieldChange] = []

    def write(self, fdef: FieldDef, entry: Mapping[str, Any]) -> None:
        if fdef.id in self.seen:
            raise PyrusError("duplicate_field", f"field {fdef.id} is written twice")
        self.seen.add(fdef.id)
        if fdef.type in READ_ONLY_TYPES:
            return
        self._check_editable(fdef)
        if fdef.type == "title":
            self._write_title(fdef, entry)
            return
        if fdef.type == "multiple_choice" and isinstance(entry.get("value"), Mapping):
            self._write_choice(fdef, entry)
            return
        self._set(
            fdef, store_value(self.directory, self.form, fdef, entry, self.fields.get(fdef.id))
        )

    def _write_title(self, fdef: FieldDef, entry: Mapping[str, Any]) -> None:
        value = entry.get("value")
        if value is None or (isinstance(value, Mapping) and "checkmark" in value):
            self._set(fdef, store_title(fdef, value))
        elif not isinstance(value, Mapping):
            store_title(fdef, value)  # raises the format error
        children = value.get("fields") if isinstance(value, Mapping) else None
        if children is None:
            return
        if not isinstance(children, list):
            raise PyrusError("invalid_value_format", f"title {fdef.id}: fields must be a list")
        scope = title_children(self.form, fdef)
        for child_entry in children:
            self.write(find_field(scope, child_entry), child_entry)

    def _write_choice(self, fdef: FieldDef, entry: Mapping[str, Any]) -> None:
        value: Mapping[str, Any] = entry["value"]
        if _CHOICE_KEYS & value.keys() or "fields" not in value:
            current = self.fields.get(fdef.id)
            self._set(fdef, store_value(self.directory, self.form, fdef, entry, current))
        children = value.get("fields")
        if children is None:
            return
        if not isinstance(children, list):
            raise PyrusError(
                "invalid_value_format", f"multiple choice {fdef.id}: fields must be a list"
            )
        scope = option_fields(self.form, fdef)
        for child_entry in children:
            self.write(find_field(scope, child_entry), child_entry)

    def _check_editable(self, fdef: FieldDef) -> None:
        step = self.rules.current_step
        if (
            fdef.immutable_step is not None
            and step is not None
            and step >= fdef.immutable_step
            and not self.rules.is_form_manager
        ):
            raise PyrusError(
                "field_editing_is_not_allowed",
                f"field {fdef.id} cannot be edited from step {fdef.immutable_step}",
            )

    def _set(self, fdef: FieldDef, stored: Any) -> None:
        if is_empty(stored):
            self.fields.pop(fdef.id, None)
            stored = None
        else:
            self.fields[fdef.id] = stored
        self.changes.append(FieldChange(fdef.id, stored))
