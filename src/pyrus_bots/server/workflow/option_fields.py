"""Sub-fields of multiple-choice options: which exist, which show, which a request may fill.

As in Pyrus, an option of a multiple-choice field may hold fields of its own. They are form
fields like the others (unique ids, addressable by id, code or name, stored in the task's
``fields`` at top level) with ``parent_id`` = the choice field and ``option_id`` = the option.
A sub-field shows, counts as required and may be given a value only while its option is chosen
(and, for a sub-field nested deeper, while every enclosing option is chosen). The value of a
sub-field whose option is no longer chosen is kept but not shown, so choosing the option again
brings it back.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.workflow.state import FieldDef, FormDef

__all__ = ["check_shown", "chosen_ids", "is_shown", "option_fields"]


def chosen_ids(stored: Any) -> list[int]:
    """The chosen option ids of a stored multiple-choice value."""
    if isinstance(stored, Mapping):
        return [i for i in stored.get("choice_ids") or () if isinstance(i, int)]
    return []


def option_fields(
    form: FormDef, choice: FieldDef, option_ids: Collection[int] | None = None
) -> list[FieldDef]:
    """The sub-fields of ``choice``'s options (only of ``option_ids`` when given), in template
    order."""
    return [
        f
        for f in form.fields
        if f.parent_id == choice.id
        and f.option_id is not None
        and (option_ids is None or f.option_id in option_ids)
    ]


def is_shown(form: FormDef, fields: Mapping[int, Any], fdef: FieldDef) -> bool:
    """Whether ``fdef`` shows on a task with these stored ``fields``: every option that holds it,
    directly or through its parents, is chosen."""
    current: FieldDef | None = fdef
    while current is not None and current.parent_id is not None:
        parent = form.field_by_id(current.parent_id)
        if current.option_id is not None and (
            parent is None or current.option_id not in chosen_ids(fields.get(parent.id))
        ):
            return False
        current = parent
    return True


def check_shown(form: FormDef, fields: Mapping[int, Any], written: Collection[int]) -> None:
    """Refuse a request that gave a value to a sub-field whose option is not chosen (after the
    whole request is applied: choosing the option in the same request is fine)."""
    for field_id in written:
        fdef = form.field_by_id(field_id)
        if fdef is None or fields.get(field_id) is None:
            continue  # clearing a hidden sub-field is allowed
        if not is_shown(form, fields, fdef):
            raise PyrusError(
                "unable_to_edit_field",
                f"field {fdef.id} ({fdef.name}) belongs to option {fdef.option_id} of field "
                f"{fdef.parent_id}, which is not chosen",
            )
