"""``fill_defaults: true`` on task creation: the form's defaults go into the fields left empty.

A field's default (``FieldDef.default``, from the workspace file) is a value in the write format,
written exactly as a request's own value would be. Fields are filled in template order, so a
multiple-choice default is in place before the sub-fields of its options are looked at: a
sub-field gets its default only when its option ends up chosen. A field the request gave a value
keeps it; without ``fill_defaults`` no default applies.
"""

from __future__ import annotations

from typing import Any

from pyrus_bots.protocol.models.requests import FieldUpdate
from pyrus_bots.server.workflow.addressing import enclosing_table
from pyrus_bots.server.workflow.option_fields import is_shown
from pyrus_bots.server.workflow.state import Directory, FormDef
from pyrus_bots.server.workflow.updates import FieldChange, apply_field_updates
from pyrus_bots.server.workflow.values import is_empty

__all__ = ["fill_defaults"]


def fill_defaults(directory: Directory, form: FormDef, fields: dict[int, Any]) -> list[FieldChange]:
    """Write the default of every empty field of ``form`` that has one into ``fields``."""
    changes: list[FieldChange] = []
    for fdef in form.fields:
        if fdef.default is None or not is_empty(fields.get(fdef.id)):
            continue
        if enclosing_table(form, fdef) is not None or not is_shown(form, fields, fdef):
            continue
        update = FieldUpdate.by_id(fdef.id, fdef.default)
        changes += apply_field_updates(directory, form, fields, [update])
    return changes
